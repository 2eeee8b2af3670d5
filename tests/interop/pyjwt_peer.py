#!/usr/bin/env python3
"""The PyJWT side of the interop tests (tests/interop_pyjwt.rs) and of scripts/bench-peers.

  verify TOKEN_FILE PUB_PEM ALG        decode with jwt.decode (signature + exp/nbf), print {"header","claims"}
  mint PRIV_PEM ALG KID CLAIMS_JSON    print a token with typ license+jwt and the given kid (- for none)
  thumbprint PUB_PEM                   print the RFC 7638 thumbprint, computed here independently of licet
"""
import base64, hashlib, json, sys
import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def load_public(path):
    with open(path, "rb") as f:
        return serialization.load_pem_public_key(f.read())


def thumbprint(key) -> str:
    if isinstance(key, ed25519.Ed25519PublicKey):
        x = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        canonical = '{"crv":"Ed25519","kty":"OKP","x":"%s"}' % b64(x)
    else:
        nums = key.public_numbers()
        n = nums.n.to_bytes((nums.n.bit_length() + 7) // 8, "big")
        e = nums.e.to_bytes((nums.e.bit_length() + 7) // 8, "big")
        canonical = '{"e":"%s","kty":"RSA","n":"%s"}' % (b64(e), b64(n))
    return b64(hashlib.sha256(canonical.encode()).digest())


def main(argv):
    command = argv[1]
    if command == "verify":
        token = open(argv[2]).read().strip()
        claims = jwt.decode(token, load_public(argv[3]), algorithms=[argv[4]], options={"verify_aud": False})
        print(json.dumps({"header": jwt.get_unverified_header(token), "claims": claims}))
    elif command == "mint":
        with open(argv[2], "rb") as f:
            key = serialization.load_pem_private_key(f.read(), password=None)
        claims = json.loads(argv[5])
        headers = {"typ": "license+jwt"}
        if argv[4] != "-":  # "-" means: no kid header
            headers["kid"] = argv[4]
        print(jwt.encode(claims, key, algorithm=argv[3], headers=headers))
    elif command == "thumbprint":
        print(thumbprint(load_public(argv[2])))
    else:
        raise SystemExit(f"unknown command {command}")


if __name__ == "__main__":
    main(sys.argv)
