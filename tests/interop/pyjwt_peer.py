#!/usr/bin/env python3
"""The PyJWT side of the interop tests (tests/interop_pyjwt.rs) and of scripts/bench-peers.

  verify TOKEN_FILE PUB_PEM ALG        decode with jwt.decode (signature + exp/nbf), print {"header","claims"}
  mint PRIV_PEM ALG KID CLAIMS_JSON    print a token with typ license+jwt and the given kid (- for none)
  thumbprint PUB_PEM                   print the RFC 7638 thumbprint, computed here independently of licet
  bench TOKENS_FILE PUB_PEM ALG ROUNDS [PROCS]
                                       time jwt.decode over every token, print {"per_op_us": ...};
                                       with PROCS > 1, that many processes share the set (aggregate)
"""
import base64, hashlib, json, sys, time
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


def bench_share(args):
    pub_path, alg, rounds, tokens = args
    key = load_public(pub_path)
    for _ in range(rounds):
        for token in tokens:
            jwt.decode(token, key, algorithms=[alg], options={"verify_aud": False})


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
    elif command == "bench":
        tokens = [t for t in open(argv[2]).read().split("\n") if t]
        rounds = int(argv[5])
        procs = int(argv[6]) if len(argv) > 6 else 1
        for token in tokens:  # everything must verify, or the timing means nothing
            jwt.decode(token, load_public(argv[3]), algorithms=[argv[4]], options={"verify_aud": False})
        shares = [tokens[i::procs] for i in range(procs)]
        started = time.perf_counter()
        if procs == 1:
            bench_share((argv[3], argv[4], rounds, tokens))
        else:
            import multiprocessing
            with multiprocessing.Pool(procs) as pool:
                pool.map(bench_share, [(argv[3], argv[4], rounds, share) for share in shares])
        elapsed = time.perf_counter() - started
        print(json.dumps({"per_op_us": elapsed / (rounds * len(tokens)) * 1e6, "procs": procs, "version": jwt.__version__}))
    elif command == "thumbprint":
        print(thumbprint(load_public(argv[2])))
    else:
        raise SystemExit(f"unknown command {command}")


if __name__ == "__main__":
    main(sys.argv)
