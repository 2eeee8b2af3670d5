//! `licet`: issue and verify offline software licenses.
//!
//! This binary only parses arguments, calls `licet-issuer` and `licet-verifier`, and prints.
#![forbid(unsafe_code)]

mod args;
mod commands;
mod io;
mod kinds;
mod output;

use clap::Parser;
use std::process::ExitCode;

/// mimalloc rather than glibc's malloc: the server allocates a few dozen small blocks per
/// request from two worker threads, where glibc's arenas spent 4% of a validate's CPU
/// (docs/PERFORMANCE.md, issue 10 §5). The libraries leave the allocator to their host.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Exit code: success, or a valid license.
pub const EXIT_OK: u8 = 0;
/// Exit code: a license (or key, or file) was checked and rejected.
pub const EXIT_REJECTED: u8 = 1;
/// Exit code: bad arguments or an I/O error; no verdict was reached.
pub const EXIT_ERROR: u8 = 2;

fn main() -> ExitCode {
    let cli = args::Cli::parse();
    match commands::run(cli) {
        Ok(code) => ExitCode::from(code),
        Err(error) => {
            output::print_error(&error);
            ExitCode::from(EXIT_ERROR)
        }
    }
}
