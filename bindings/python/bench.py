"""Benchmark: licet's verify from Python against PyJWT, on the same EdDSA token (the demo license
crates/verifier/testdata/demo.lic and its key keys/demo-ed25519.pub.pem), per token, in one run.
Also the raw Ed25519 signature check (cryptography's Ed25519PublicKey.verify, OpenSSL): no
verifier can be faster than its signature check, so the ratio's ceiling is about PyJWT's time
over the raw signature operation (docs: DECISIONS "where a performance target meets the
machine's ceiling").

A benchmark, not a test. Build the release wheel and run it where licet, PyJWT and cryptography
are installed (PyJWT 2.15.1 and cryptography 48 here), from the root of the repository:

    bash bindings/python/build --release
    python3 -m venv --system-site-packages /tmp/licet-bench
    /tmp/licet-bench/bin/pip install target/bindings/licet-*.whl   # or $CARGO_TARGET_DIR/bindings
    /tmp/licet-bench/bin/python bindings/python/bench.py [--tokens N] [--repeat R]
    rm -rf /tmp/licet-bench
"""

from __future__ import annotations

import argparse
import base64
import statistics
import sys
import time
from pathlib import Path
from typing import Callable, List

import jwt
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import load_pem_public_key

import licet

REPO = Path(__file__).resolve().parents[2]
KEY = REPO / "keys" / "demo-ed25519.pub.pem"
LICENSE = REPO / "crates" / "verifier" / "testdata" / "demo.lic"


def per_token(fn: Callable[[], object], tokens: int, repeat: int) -> List[float]:
    """Seconds per call, one figure per round."""
    for _ in range(min(tokens, 200)):  # warm up
        fn()
    rounds = []
    for _ in range(repeat):
        started = time.perf_counter()
        for _ in range(tokens):
            fn()
        rounds.append((time.perf_counter() - started) / tokens)
    return rounds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tokens", type=int, default=5000, help="calls per round (default 5000)")
    parser.add_argument("--repeat", type=int, default=5, help="rounds; the best counts (default 5)")
    args = parser.parse_args()

    token = LICENSE.read_text().strip()
    token_bytes = token.encode()
    pem = KEY.read_bytes()

    keys = licet.TrustedKeys.from_bytes(pem)
    report = licet.verify(token_bytes, keys)
    assert report.valid, report
    public_key = load_pem_public_key(pem)
    assert isinstance(public_key, Ed25519PublicKey)
    claims = jwt.decode(token, public_key, algorithms=["EdDSA"], audience="example-product")
    assert claims["jti"] == report.license_id
    signing_input, _, signature_b64 = token.rpartition(".")
    signature = base64.urlsafe_b64decode(signature_b64 + "=" * (-len(signature_b64) % 4))
    public_key.verify(signature, signing_input.encode())

    def licet_verify() -> object:
        return licet.verify(token_bytes, keys).valid

    def licet_verify_claims() -> object:
        return licet.verify(token_bytes, keys).claims

    def pyjwt_decode() -> object:
        return jwt.decode(token, public_key, algorithms=["EdDSA"], audience="example-product")

    def raw_signature() -> None:
        public_key.verify(signature, signing_input.encode())

    results = {}
    for name, fn in [
        ("licet verify (report.valid)", licet_verify),
        ("licet verify (report.claims dict)", licet_verify_claims),
        ("PyJWT decode (EdDSA, aud, exp)", pyjwt_decode),
        ("raw Ed25519 verify (cryptography)", raw_signature),
    ]:
        rounds = per_token(fn, args.tokens, args.repeat)
        results[name] = min(rounds)
        print(
            f"{name:36} {min(rounds) * 1e6:8.1f} us/token "
            f"(median {statistics.median(rounds) * 1e6:.1f} us over {args.repeat} x {args.tokens})"
        )

    pyjwt = results["PyJWT decode (EdDSA, aud, exp)"]
    raw = results["raw Ed25519 verify (cryptography)"]
    best = results["licet verify (report.valid)"]
    with_claims = results["licet verify (report.claims dict)"]
    print(f"ratio PyJWT / licet: {pyjwt / best:.2f}x (with the claims dict: {pyjwt / with_claims:.2f}x)")
    # The ceiling holds for a verifier on the same signature code; licet has its own Ed25519
    # (ed25519-zebra), which can be faster than OpenSSL's, and then beats it.
    print(
        f"ceiling PyJWT / raw OpenSSL signature: {pyjwt / raw:.2f}x "
        f"(PyJWT's work besides the signature: {(pyjwt - raw) * 1e6:.1f} us; licet's whole "
        f"verify is {'faster' if best < raw else 'slower'} than OpenSSL's signature check alone)"
    )
    print(f"licet {licet.__version__}, PyJWT {jwt.__version__}, Python {sys.version.split()[0]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
