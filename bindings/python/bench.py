"""Benchmark: licet's verify from Python against PyJWT, on the same EdDSA token (the demo license
crates/verifier/testdata/demo.lic and its key keys/demo-ed25519.pub.pem), per token, in one run.
Also the raw Ed25519 signature check (cryptography's Ed25519PublicKey.verify, OpenSSL): no
verifier can be faster than its signature check, so the ratio's ceiling is about PyJWT's time
over the raw signature operation (docs: DECISIONS "where a performance target meets the
machine's ceiling").

With ``--rust-verify PATH`` (the release build of crates/verifier/examples/verify_many), each
round also times the Rust call itself (``verify_license`` on the same token and key, in a child
process): the binding's own cost is licet's time from Python over that, and the ratio's ceiling
for any binding of this verifier is PyJWT's time over it. The rounds of the five measures are
interleaved, so a machine that gets busier or quieter meanwhile shifts them all alike; the best
round of each counts.

A benchmark, not a test. Build the release wheel and run it where licet, PyJWT and cryptography
are installed (PyJWT 2.15.1 and cryptography 48 here), from the root of the repository
(scripts/bench-bindings python does all of this):

    bash bindings/python/build --release
    cargo build --release -p licet-verifier --example verify_many
    python3 -m venv --system-site-packages /tmp/licet-bench
    /tmp/licet-bench/bin/pip install target/bindings/licet-*.whl   # or $CARGO_TARGET_DIR/bindings
    /tmp/licet-bench/bin/python bindings/python/bench.py [--tokens N] [--repeat R] \
        [--rust-verify target/release/examples/verify_many]
    rm -rf /tmp/licet-bench
"""

from __future__ import annotations

import argparse
import base64
import functools
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Callable, Dict, List, Optional

import jwt
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import load_pem_public_key

import licet

REPO = Path(__file__).resolve().parents[2]
KEY = REPO / "keys" / "demo-ed25519.pub.pem"
LICENSE = REPO / "crates" / "verifier" / "testdata" / "demo.lic"


def one_round(fn: Callable[[], object], tokens: int) -> float:
    """Seconds per call over one round of ``tokens`` calls."""
    started = time.perf_counter()
    for _ in range(tokens):
        fn()
    return (time.perf_counter() - started) / tokens


def rust_round(verify_many: str, tokens: int) -> float:
    """Seconds per call of the Rust ``verify_license`` on the demo license, ``tokens`` calls."""
    done = subprocess.run(
        [verify_many, str(LICENSE), str(KEY), str(tokens)],
        check=True, capture_output=True, text=True,
    )
    return float(json.loads(done.stdout)["full_us"]) / 1e6


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tokens", type=int, default=5000, help="calls per round (default 5000)")
    parser.add_argument("--repeat", type=int, default=5, help="rounds; the best counts (default 5)")
    parser.add_argument(
        "--rust-verify", metavar="PATH",
        help="verify_many (crates/verifier/examples, release): also time the Rust call, and the ceiling",
    )
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

    measures: Dict[str, Callable[[], float]] = {}
    for name, fn in [
        ("licet verify (report.valid)", licet_verify),
        ("licet verify (report.claims dict)", licet_verify_claims),
        ("PyJWT decode (EdDSA, aud, exp)", pyjwt_decode),
        ("raw Ed25519 verify (cryptography)", raw_signature),
    ]:
        for _ in range(min(args.tokens, 200)):  # warm up
            fn()
        measures[name] = functools.partial(one_round, fn, args.tokens)
    rust: Optional[str] = args.rust_verify
    if rust is not None:
        measures["Rust verify_license (no binding)"] = functools.partial(rust_round, rust, args.tokens)
    rounds: Dict[str, List[float]] = {name: [] for name in measures}
    for _ in range(args.repeat):
        for name, measure in measures.items():
            rounds[name].append(measure())
    results = {}
    for name, times in rounds.items():
        results[name] = min(times)
        print(
            f"{name:36} {min(times) * 1e6:8.1f} us/token "
            f"(median {statistics.median(times) * 1e6:.1f} us over {args.repeat} x {args.tokens})"
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
    if rust is not None:
        rust_time = results["Rust verify_license (no binding)"]
        print(
            f"ceiling PyJWT / Rust verify_license: {pyjwt / rust_time:.2f}x (the ratio with a "
            f"binding that cost nothing); the binding's own cost: {(best - rust_time) * 1e6:.1f} us "
            f"per call, licet reaches {pyjwt / best / (pyjwt / rust_time):.2f} of the ceiling"
        )
    print(f"licet {licet.__version__}, PyJWT {jwt.__version__}, Python {sys.version.split()[0]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
