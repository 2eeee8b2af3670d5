//! The fuzz targets of licet, as plain functions: one per entry point that reads outside bytes.
//!
//! Each `pub fn TARGET(data: &[u8])` feeds `data` to one entry point and asserts what must hold
//! beyond "no crash" (a round trip, a verdict that agrees with another path, a signature checked
//! again from the raw parts); a failed assertion is a panic, which libFuzzer reports as a crash.
//! `fuzz/fuzz_targets/TARGET.rs` is a one-line `fuzz_target!` calling it, and
//! `tests/replay.rs` replays every committed corpus and crash file (`fuzz/corpus/TARGET/`,
//! `fuzz/regressions/TARGET/`) through it on the stable toolchain, in `cargo test`. The fixed
//! keys, clock and identities are in [`fixed`]; docs/FUZZING.md explains the whole setup.
//!
//! ```
//! // Any bytes: a target returns, or panics naming what does not hold.
//! licet_fuzz_targets::license(b"eyJhbGciOiJFZERTQSJ9.e30.AAAA");
//! licet_fuzz_targets::keys(b"{\"keys\":[]}");
//! assert!(licet_fuzz_targets::TARGETS.iter().any(|t| t.name == "server"));
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod audit;
pub mod fixed;
mod harness;
mod issuer;
mod offline;
mod relay;
mod server;
mod verifier;

pub use audit::audit;
pub use issuer::{ledger, pkcs12};
pub use offline::{
    clock_request, offline_release, offline_request, offline_response, state, time_attestation,
};
pub use relay::{lease, relay_request, usage_report};
pub use server::server;
pub use verifier::{inspect, keys, license, revocation, signed_response};

/// One fuzz target: its name (of `fuzz/fuzz_targets/NAME.rs` and `fuzz/corpus/NAME/`) and its
/// function.
#[derive(Clone, Copy)]
pub struct Target {
    /// The name.
    pub name: &'static str,
    /// The function libFuzzer calls with each input.
    pub run: fn(&[u8]),
}

impl std::fmt::Debug for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name)
    }
}

/// Every target, in the order `scripts/fuzz` runs them.
pub const TARGETS: &[Target] = &[
    Target {
        name: "license",
        run: license,
    },
    Target {
        name: "inspect",
        run: inspect,
    },
    Target {
        name: "keys",
        run: keys,
    },
    Target {
        name: "pkcs12",
        run: pkcs12,
    },
    Target {
        name: "revocation",
        run: revocation,
    },
    Target {
        name: "offline_request",
        run: offline_request,
    },
    Target {
        name: "offline_response",
        run: offline_response,
    },
    Target {
        name: "offline_release",
        run: offline_release,
    },
    Target {
        name: "clock_request",
        run: clock_request,
    },
    Target {
        name: "time_attestation",
        run: time_attestation,
    },
    Target {
        name: "signed_response",
        run: signed_response,
    },
    Target {
        name: "ledger",
        run: ledger,
    },
    Target {
        name: "audit",
        run: audit,
    },
    Target {
        name: "state",
        run: state,
    },
    Target {
        name: "server",
        run: server,
    },
    Target {
        name: "relay_request",
        run: relay_request,
    },
    Target {
        name: "lease",
        run: lease,
    },
    Target {
        name: "usage_report",
        run: usage_report,
    },
];
