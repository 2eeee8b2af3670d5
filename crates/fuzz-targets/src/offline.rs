//! The targets of the files carried between an isolated machine and the vendor: activation
//! requests, responses and releases, time-attestation requests and attestations, and the
//! verifier's state file.

use crate::{fixed, harness};
use licet_server::activation::{respond_offline, OfflineOutcome, RespondError};
use licet_verifier::clock::{
    apply_time_attestation, verify_time_attestation, ClockRequest, CLOCK_REQUEST_TYPE,
};
use licet_verifier::offline::{
    install_response, installed_activations, record_pending, release_activation, ActivationRelease,
    ActivationRequest, OfflineMessage, REQUEST_TYPE,
};
use licet_verifier::state::{ClockRequestRecord, StateError, VerifierState, STATE_FILE};
use licet_verifier::{
    verify_license, LicenseKey, MachineCheck, MachineId, StateSettings, StatefulVerifier,
    VerifyOptions,
};
use std::path::Path;

/// Parses a request or release and checks that it reads back unchanged from the JSON licet
/// writes of it.
fn parse_round_trip(data: &[u8]) -> Option<OfflineMessage> {
    let message = OfflineMessage::parse(data).ok()?;
    let written = match &message {
        OfflineMessage::Request(request) => request.to_json(),
        OfflineMessage::Release(release) => serde_json::to_string(release).unwrap_or_default(),
    };
    match OfflineMessage::parse(written.as_bytes()) {
        Ok(back) => assert_eq!(back, message, "the file changed in a round trip"),
        Err(e) => panic!("a file that parsed does not read back from its own JSON: {e}"),
    }
    Some(message)
}

/// Answers `message` as `licet activation respond --db` does, with the vendor's Ed25519 key.
fn respond(message: &OfflineMessage) -> Result<OfflineOutcome, RespondError> {
    let harness = harness::harness();
    harness.block_on(respond_offline(
        harness::store(),
        fixed::ed25519_key(),
        message,
        fixed::NOW_SECS,
        &mut |_, _, _| Ok(()),
    ))
}

/// The store never fails on an input: every refusal is a rule's.
fn no_store_error<T>(outcome: Result<T, RespondError>, what: &str) -> Result<T, String> {
    match outcome {
        Ok(value) => Ok(value),
        Err(RespondError::Refused(reason)) => Err(reason),
        Err(e) => panic!("{what}: the vendor's side failed: {e}"),
    }
}

/// An offline activation request (`licet activation request` writes it, the vendor's `licet
/// activation respond` reads it: [`OfflineMessage::parse`], then [`respond_offline`] on the
/// vendor's database, which holds the fixed license key). Asserts: a file that parses reads back
/// unchanged from its JSON; the vendor's side never fails but by a rule; and the whole round
/// trip of a request it grants works: the license file verifies, valid, bound to the request's
/// machine, for its key, carrying its nonce; the isolated machine installs it for the pending
/// request; the release made there parses and frees the seat on the vendor's side.
pub fn offline_request(data: &[u8]) {
    let Some(message) = parse_round_trip(data) else {
        return;
    };
    let OfflineMessage::Request(request) = &message else {
        return;
    };
    let _exclusive = harness::exclusive();
    let Ok(OfflineOutcome::Activated {
        file, license_id, ..
    }) = no_store_error(respond(&message), "a request")
    else {
        return;
    };
    let Ok(machine) = MachineId::parse(&request.machine_id) else {
        panic!("a request was granted for a machine id that does not parse");
    };
    let options = VerifyOptions {
        machine: MachineCheck::Machine(machine),
        ..VerifyOptions::at(fixed::now())
    };
    let report = verify_license(file.as_bytes(), fixed::trusted_keys(), &options);
    let Some(verified) = report.valid_license() else {
        panic!(
            "the vendor answered with a file that is {}: {}",
            report.status, report.reason
        );
    };
    let claims = verified.claims();
    assert_eq!(claims.license_id, license_id);
    assert_eq!(
        claims.other.get("nonce").and_then(|n| n.as_str()),
        Some(request.nonce.as_str()),
        "the answer does not carry the request's nonce"
    );
    let canonical = LicenseKey::parse_canonical(&request.license_key).ok();
    assert_eq!(
        claims.license_key, canonical,
        "the answer is for another key"
    );

    let dir = fixed::scratch_dir();
    record_pending(dir.path(), request).unwrap_or_else(|e| client_refuses(e));
    let (installed, _) = install_response(
        dir.path(),
        file.as_bytes(),
        fixed::trusted_keys(),
        fixed::now(),
        licet_verifier::DEFAULT_CLOCK_TOLERANCE_SECS,
    )
    .unwrap_or_else(|e| client_refuses(e));
    assert_eq!(installed.license_id, license_id);
    let release = release_activation(dir.path(), None, fixed::now())
        .and_then(|prepared| prepared.complete())
        .unwrap_or_else(|e| client_refuses(e));
    let release_json = match serde_json::to_vec(&release) {
        Ok(json) => json,
        Err(e) => panic!("a release does not serialise: {e}"),
    };
    let Ok(release_message) = OfflineMessage::parse(&release_json) else {
        panic!("the release licet wrote does not parse");
    };
    match no_store_error(respond(&release_message), "a release") {
        Ok(OfflineOutcome::Released {
            license_id: freed, ..
        }) => assert_eq!(freed, license_id),
        Ok(_) => panic!("a release answered as an activation"),
        Err(reason) => panic!("the vendor refuses the release of a seat it granted: {reason}"),
    }
}

fn client_refuses(e: licet_verifier::offline::OfflineError) -> ! {
    panic!("the isolated machine refuses the vendor's answer to its own request: {e}")
}

/// An offline release (`licet activation release` writes it, `licet activation respond` reads
/// it). Asserts: a file that parses reads back unchanged; the vendor's side never fails but by a
/// rule; and a release that names a seat other than the one its machine holds frees nothing:
/// the machine is given a seat first, the release is answered, and the seat must still be there
/// unless the answer was "released" (then it is gone), after which the seat is freed again.
pub fn offline_release(data: &[u8]) {
    let Some(message) = parse_round_trip(data) else {
        return;
    };
    let OfflineMessage::Release(release) = &message else {
        return;
    };
    let _exclusive = harness::exclusive();
    let take_seat = OfflineMessage::Request(ActivationRequest {
        kind: REQUEST_TYPE.into(),
        version: 1,
        license_key: release.license_key.clone(),
        machine_id: release.machine_id.clone(),
        hostname: "fuzz-host".into(),
        time: fixed::now().to_rfc3339(),
        nonce: release.nonce.clone(),
    });
    let seat = match no_store_error(respond(&take_seat), "a seat for the release") {
        Ok(OfflineOutcome::Activated { license_id, .. }) => Some(license_id),
        _ => None,
    };
    let answered = no_store_error(respond(&message), "a release");
    let Some(seat) = seat else {
        return;
    };
    let released = matches!(answered, Ok(OfflineOutcome::Released { .. }));
    if let Ok(OfflineOutcome::Released { license_id, .. }) = &answered {
        assert_eq!(license_id, &seat, "another seat was released");
        assert_eq!(
            release.license_id, seat,
            "a release freed a seat it does not name"
        );
    }
    let free_seat = OfflineMessage::Release(ActivationRelease {
        license_id: seat,
        ..release.clone()
    });
    let freed = no_store_error(respond(&free_seat), "freeing the seat");
    assert_eq!(
        freed.is_ok(),
        !released,
        "a refused release freed the seat, or a released one did not"
    );
}

/// An offline activation response (the license file the vendor sends back; `licet activation
/// install`: [`install_response`]) against a state with one pending request (the fixed key on
/// the fixed machine, nonce [`fixed::NONCE`]). Asserts: an installed response verifies, valid,
/// with a trusted key (checked from the raw parts), bound to the request's machine, for its key,
/// carrying its nonce; it is the one installed activation; its release parses back; and a refused
/// response consumes nothing (the request stays pending, nothing is installed).
pub fn offline_response(data: &[u8]) {
    let dir = fixed::scratch_dir();
    let request = fixed::pending_request();
    if let Err(e) = record_pending(dir.path(), &request) {
        panic!("the pending request cannot be recorded: {e}");
    }
    let installed = install_response(
        dir.path(),
        data,
        fixed::trusted_keys(),
        fixed::now(),
        licet_verifier::DEFAULT_CLOCK_TOLERANCE_SECS,
    );
    let pending = dir
        .path()
        .join("pending")
        .join(format!("{}.json", request.nonce));
    let listed = match installed_activations(dir.path()) {
        Ok(listed) => listed,
        Err(e) => panic!("the installed activations cannot be listed: {e}"),
    };
    let Ok((installed, report)) = installed else {
        assert!(pending.exists(), "a refused response consumed the request");
        assert!(listed.is_empty(), "a refused response installed something");
        return;
    };
    assert!(
        !pending.exists(),
        "an installed response left its request pending"
    );
    assert_eq!(
        listed,
        vec![installed.clone()],
        "what install reports is what is installed"
    );
    let Some(verified) = report.valid_license() else {
        panic!("installed, but {}: {}", report.status, report.reason);
    };
    assert!(
        fixed::signature_verifies(data, verified.kid(), verified.alg()),
        "installed, but the signature does not verify with trusted key {}",
        verified.kid()
    );
    let claims = verified.claims();
    let bound = claims
        .machine_ids
        .as_ref()
        .is_some_and(|ids| ids.contains(&fixed::machine()));
    assert!(
        bound,
        "installed a license not bound to the request's machine"
    );
    assert_eq!(
        claims.license_key.as_ref().map(LicenseKey::as_str),
        Some(request.license_key.as_str())
    );
    assert_eq!(
        claims.other.get("nonce").and_then(|n| n.as_str()),
        Some(request.nonce.as_str())
    );
    assert_eq!(
        (
            installed.license_id.as_str(),
            installed.nonce.as_str(),
            installed.machine_id.as_str()
        ),
        (
            claims.license_id.as_str(),
            request.nonce.as_str(),
            request.machine_id.as_str()
        )
    );
    let release = match release_activation(dir.path(), None, fixed::now()) {
        Ok(prepared) => prepared.release,
        Err(e) => panic!("an installed activation cannot be released: {e}"),
    };
    let json = serde_json::to_vec(&release).unwrap_or_default();
    match OfflineMessage::parse(&json) {
        Ok(OfflineMessage::Release(back)) => assert_eq!(back, release),
        other => panic!("the release does not read back: {other:?}"),
    }
}

/// A time-attestation request (`licet clock request` writes it, the vendor's `licet clock
/// attest` reads it: [`ClockRequest::parse`], [`licet_issuer::attest_time`]). Asserts: a request
/// that parses reads back unchanged from its JSON, and the vendor answers it with an attestation
/// that verifies and names the request's nonce and state.
pub fn clock_request(data: &[u8]) {
    let Ok(request) = ClockRequest::parse(data) else {
        return;
    };
    assert_eq!(request.kind, CLOCK_REQUEST_TYPE);
    match ClockRequest::parse(request.to_json().as_bytes()) {
        Ok(back) => assert_eq!(back, request, "the request changed in a round trip"),
        Err(e) => panic!("a request that parsed does not read back from its own JSON: {e}"),
    }
    let signed = match licet_issuer::attest_time(fixed::ed25519_key(), None, data, fixed::now()) {
        Ok(signed) => signed,
        Err(e) => panic!("the vendor cannot answer a request that parses: {e}"),
    };
    match verify_time_attestation(signed.token.as_bytes(), fixed::trusted_keys()) {
        Ok(attestation) => {
            assert_eq!(attestation.nonce, request.nonce);
            assert_eq!(attestation.state_id, request.state_id);
            assert_eq!(attestation.time, fixed::now());
        }
        Err(e) => panic!("the vendor's attestation does not verify: {e}"),
    }
}

/// The state of the `time_attestation` target: its id [`fixed::STATE_ID`], a mark a day before
/// [`fixed::now`], and one pending request with nonce [`fixed::NONCE`] made at that mark.
fn attestation_state() -> VerifierState {
    let mark = fixed::NOW_SECS - 86_400;
    VerifierState {
        version: licet_verifier::state::STATE_VERSION,
        state_id: Some(fixed::STATE_ID.into()),
        latest_seen: Some(mark),
        clock_requests: vec![ClockRequestRecord {
            nonce: fixed::NONCE.into(),
            requested_at: mark,
            mark_at_request: Some(mark),
        }],
        ..VerifierState::default()
    }
}

/// A time attestation (`licet clock apply`: [`apply_time_attestation`]) on a state with one
/// pending request. Asserts: an applied attestation verifies on its own, was signed by a trusted
/// key (checked from the raw parts), answers the pending request of this state, and leaves the
/// state's mark at the attested time with no request pending; a refused one leaves the state as
/// it was.
pub fn time_attestation(data: &[u8]) {
    let dir = fixed::scratch_dir();
    let state = attestation_state();
    if let Err(e) = state.save(dir.path()) {
        panic!("the state cannot be written: {e}");
    }
    let verified = verify_time_attestation(data, fixed::trusted_keys());
    let applied = apply_time_attestation(dir.path(), data, fixed::trusted_keys(), fixed::now());
    let after = match VerifierState::load(dir.path()) {
        Ok(after) => after,
        Err(e) => panic!("the state does not load after an attestation: {e}"),
    };
    let Ok(applied) = applied else {
        assert_eq!(after, state, "a refused attestation changed the state");
        return;
    };
    let Ok(attestation) = verified else {
        panic!("applied an attestation that does not verify");
    };
    let alg_ok = [
        licet_verifier::Algorithm::EdDSA,
        licet_verifier::Algorithm::RS256,
        licet_verifier::Algorithm::PS256,
    ]
    .into_iter()
    .any(|alg| fixed::signature_verifies(data, &attestation.kid, alg));
    assert!(
        alg_ok,
        "applied, but the signature does not verify with {}",
        attestation.kid
    );
    assert_eq!(attestation.nonce, fixed::NONCE);
    assert_eq!(attestation.state_id, fixed::STATE_ID);
    assert_eq!(applied.attested, attestation.time.to_rfc3339());
    assert_eq!(after.latest_seen, Some(attestation.time.as_secs()));
    assert!(after.clock_requests.is_empty(), "a request stays pending");
}

/// The verifier's state file (`state.json` of `--state DIR`: [`VerifierState::load`],
/// [`StatefulVerifier`]). Asserts: a state that loads is saved and loads back equal (parse,
/// serialise, parse); a check of the control license with it either reports or names a corrupt
/// state, and never moves the state's mark back; what it saves loads again.
pub fn state(data: &[u8]) {
    let dir = fixed::scratch_dir();
    if let Err(e) = std::fs::write(dir.path().join(STATE_FILE), data) {
        panic!("the state file cannot be written: {e}");
    }
    let Ok(state) = VerifierState::load(dir.path()) else {
        return;
    };
    let again = fixed::scratch_dir();
    if let Err(e) = state.save(again.path()) {
        panic!("a state that loaded cannot be saved: {e}");
    }
    match VerifierState::load(again.path()) {
        Ok(back) => assert_eq!(back, state, "the state changed in a round trip"),
        Err(e) => panic!("a saved state does not load: {e}"),
    }
    check_with_state(dir.path(), &state);
}

fn check_with_state(dir: &Path, before: &VerifierState) {
    let verifier =
        match StatefulVerifier::open(dir, fixed::trusted_keys_owned(), StateSettings::default()) {
            Ok(verifier) => verifier,
            Err(e) => panic!("a state that loads does not open: {e}"),
        };
    let checked = verifier.check(
        fixed::control_license().as_bytes(),
        &[],
        &fixed::verify_options(),
    );
    match checked {
        Ok(_) => {}
        Err(StateError::Corrupt { .. }) => return,
        Err(e) => panic!("a check with a state that loads fails: {e}"),
    }
    let after = match VerifierState::load(dir) {
        Ok(after) => after,
        Err(e) => panic!("the state saved by a check does not load: {e}"),
    };
    assert!(
        after.latest_seen >= before.latest_seen,
        "a check moved the mark back"
    );
    assert_eq!(
        after.revocation_seq, before.revocation_seq,
        "no list was given"
    );
}
