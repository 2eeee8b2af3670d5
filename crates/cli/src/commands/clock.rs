//! `licet clock request|attest|apply`: the way back for a clock guard whose mark was raised by a
//! clock that ran fast, by file (docs/OFFLINE.md).

use super::keys::{load_signing_key, LoadedKey};
use super::parse_alg;
use crate::args::{ClockApplyArgs, ClockAttestArgs, ClockRequestArgs};
use crate::io::{print_stderr, print_stdout, read_input};
use crate::kinds::{refuse_other_kind, write_kind, FileKind};
use crate::output::printable;
use crate::EXIT_OK;
use anyhow::{anyhow, Result};
use licet_verifier::clock::{
    apply_time_attestation, request_time_attestation, MAX_CLOCK_FILE_BYTES,
};
use licet_verifier::UnixTime;
use serde_json::json;
use std::path::Path;

pub fn request(args: ClockRequestArgs) -> Result<u8> {
    let state = super::offline::state_dir(args.state.as_deref())?;
    let out = args.out.as_deref().unwrap_or(Path::new("-"));
    // Refused before the request is recorded: a failure records nothing.
    refuse_other_kind(
        out,
        FileKind::LicetJson("licet-clock-request"),
        "a time-attestation request",
    )?;
    let request = request_time_attestation(&state, UnixTime::now()).map_err(|e| anyhow!(e))?;
    write_kind(
        out,
        &request.to_json(),
        FileKind::LicetJson("licet-clock-request"),
        "a time-attestation request",
    )?;
    if out != Path::new("-") {
        print_stderr(&format!(
            "wrote the time-attestation request to {}: the vendor answers it with `licet clock attest`",
            out.display()
        ));
    }
    Ok(EXIT_OK)
}

pub fn attest(args: ClockAttestArgs) -> Result<u8> {
    let alg = parse_alg(args.alg.as_deref())?;
    let request = read_input(&args.request, MAX_CLOCK_FILE_BYTES as u64)?;
    let LoadedKey { key, .. } = load_signing_key(
        &args.key,
        args.passphrase_file.as_deref(),
        args.alias.as_deref(),
    )?;
    let signed = licet_issuer::attest_time(&key, alg, &request, UnixTime::now())
        .map_err(|e| anyhow!("{}: {e}", args.request.display()))?;
    let out = args.out.as_deref().unwrap_or(Path::new("-"));
    write_kind(
        out,
        &signed.token,
        FileKind::TimeAttestation,
        "a time attestation",
    )?;
    let claimed = UnixTime::parse_rfc3339(&signed.request.clock).ok();
    let offset = claimed.map(|c| c.as_secs() - signed.time.as_secs());
    if args.json {
        let summary = json!({"attested": signed.time.to_rfc3339(), "stateId": signed.request.state_id,
            "nonce": signed.request.nonce, "machineClock": signed.request.clock,
            "machineClockOffsetSecs": offset, "kid": key.kid()});
        print_stderr(&serde_json::to_string_pretty(&summary)?);
    } else {
        print_stderr(&format!(
            "attested {} for state {} (the machine's clock read {} when it asked{})",
            signed.time,
            printable(&signed.request.state_id),
            printable(&signed.request.clock),
            offset.map_or(String::new(), |o| format!(", {o} s from now"))
        ));
    }
    Ok(EXIT_OK)
}

pub fn apply(args: ClockApplyArgs) -> Result<u8> {
    let keys = super::load_trusted_keys(&args.pubkeys)?;
    let state = super::offline::state_dir(args.state.as_deref())?;
    let bytes = read_input(&args.file, MAX_CLOCK_FILE_BYTES as u64 + 1)?;
    let applied = apply_time_attestation(&state, &bytes, &keys, UnixTime::now())
        .map_err(|e| anyhow!("{}: {e}", args.file.display()))?;
    if args.json {
        print_stdout(&format!("{}\n", serde_json::to_string_pretty(&applied)?))?;
    } else {
        print_stdout(&format!(
            "applied: the clock guard's mark is now {} (was {}); this clock is {} s {} the attested time\n",
            applied.attested,
            applied.previous_mark.as_deref().unwrap_or("unset"),
            applied.clock_offset_secs.abs(),
            if applied.clock_offset_secs >= 0 { "ahead of" } else { "behind" }
        ))?;
    }
    Ok(EXIT_OK)
}
