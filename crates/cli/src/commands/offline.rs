//! `licet activation request|respond|install|release`: offline activation by file.

use super::keys::{load_signing_key, load_trusted_keys, LoadedKey};
use super::lifecycle::record_in_ledger;
use super::serve::runtime;
use crate::args::{
    ActivationInstallArgs, ActivationReleaseArgs, ActivationRequestArgs, ActivationRespondArgs,
};
use crate::io::{print_stderr, print_stdout, read_input, Overwrite, StagedFile};
use crate::kinds::{kind_of, refuse_other_kind, write_kind, FileKind};
use crate::output::printable;
use crate::{EXIT_OK, EXIT_REJECTED};
use anyhow::{anyhow, bail, Context, Result};
use licet_issuer::ledger::{LedgerAction, LedgerRecord};
use licet_server::activation::{respond_offline, OfflineOutcome, RespondError};
use licet_server::store::{Activation, LicenseKeyRecord, SeatFileError};
use licet_verifier::offline::{
    install_response, record_pending, release_activation, ActivationRequest, OfflineError,
    OfflineMessage, MAX_OFFLINE_FILE_BYTES,
};
use licet_verifier::state::default_state_dir;
use licet_verifier::{KeyCheck, LicenseKey, MachineId, UnixTime, MAX_LICENSE_FILE_BYTES};
use serde_json::json;
use std::path::{Path, PathBuf};

pub fn state_dir(given: Option<&Path>) -> Result<PathBuf> {
    given
        .map(Path::to_path_buf)
        .or_else(default_state_dir)
        .ok_or_else(|| anyhow!("no data directory is known for this user: give --state DIR"))
}

/// Writes `text` plus a newline to `out` (stdout when absent or `-`; an existing file only if it
/// holds `kind`), and the QR code on stderr.
fn deliver(out: Option<&Path>, text: &str, qr: bool, kind: FileKind, what: &str) -> Result<()> {
    let path = out.unwrap_or(Path::new("-"));
    write_kind(path, text, kind, what)?;
    if path != Path::new("-") {
        print_stderr(&format!(
            "wrote {what} to {} ({} bytes)",
            path.display(),
            text.len()
        ));
    }
    if qr {
        print_stderr(&qr_picture(text, what)?);
    }
    Ok(())
}

fn qr_picture(text: &str, what: &str) -> Result<String> {
    let code = qrcode::QrCode::new(text.as_bytes()).with_context(|| {
        format!(
            "the {what} ({} bytes) does not fit in a QR code",
            text.len()
        )
    })?;
    Ok(code
        .render::<qrcode::render::unicode::Dense1x2>()
        .quiet_zone(true)
        .build())
}

pub fn request(args: ActivationRequestArgs) -> Result<u8> {
    let key = LicenseKey::parse(&args.license_key).context("--license-key")?;
    // Refused here, before anything is written or recorded: a typo found now saves a trip to the
    // vendor and back (an older key cannot be checked and passes).
    if !args.no_key_check && key.check_character() == KeyCheck::Mistyped {
        bail!(
            "--license-key {key}: {}; check what you typed, or give --no-key-check to send it as it is",
            KeyCheck::Mistyped
        );
    }
    let machine = match &args.machine {
        Some(hex) => MachineId::parse(hex).context("--machine")?,
        None => MachineId::this_machine().context("this machine's id")?,
    };
    let state = state_dir(args.state.as_deref())?;
    let request = ActivationRequest::new(&key, &machine, UnixTime::now())?;
    // The --out file is checked before anything is recorded: a refused --out records nothing.
    if let Some(out) = args.out.as_deref().filter(|p| *p != Path::new("-")) {
        refuse_other_kind(
            out,
            FileKind::LicetJson("licet-activation-request"),
            "an activation request",
        )?;
    }
    record_pending(&state, &request)?;
    deliver(
        args.out.as_deref(),
        &request.to_json(),
        args.qr,
        FileKind::LicetJson("licet-activation-request"),
        "the activation request",
    )?;
    Ok(EXIT_OK)
}

pub fn respond(args: ActivationRespondArgs) -> Result<u8> {
    let bytes = read_input(&args.file, MAX_OFFLINE_FILE_BYTES as u64)?;
    match kind_of(&bytes) {
        FileKind::LicetJson("licet-activation-request" | "licet-activation-release") => {}
        FileKind::License => bail!(
            "{} is a license file, not an activation request or release: `respond` answers the request file a customer's `licet activation request` wrote",
            args.file.display()
        ),
        other @ (FileKind::PrivateKey | FileKind::PublicPem | FileKind::RevocationList | FileKind::Ledger | FileKind::TimeAttestation | FileKind::LicetJson(_)) => bail!(
            "{} is {}, not an activation request or release",
            args.file.display(),
            other.describe()
        ),
        _ => {}
    }
    let message = OfflineMessage::parse(&bytes).with_context(|| {
        format!(
            "{} is not an activation request or release",
            args.file.display()
        )
    })?;
    let LoadedKey { key, .. } = load_signing_key(
        &args.key,
        args.passphrase_file.as_deref(),
        args.alias.as_deref(),
    )?;
    let now = UnixTime::now();
    let out_file = args.out.as_deref().filter(|p| *p != Path::new("-"));
    // Everything that can fail is done before the seat is committed, inside the activation's
    // transaction: the output file is written to a temporary name, the QR code drawn and the
    // ledger entry appended; a failure there takes no seat and leaves no file. Only the rename
    // into place (and printing) comes after the commit.
    let mut staged: Option<StagedFile> = None;
    let mut picture: Option<String> = None;
    let outcome = {
        let mut deliver = |file: &str,
                           activation: &Activation,
                           record: &LicenseKeyRecord|
         -> Result<(), SeatFileError> {
            if let Some(out) = out_file {
                refuse_other_kind(out, FileKind::License, "a license file")
                    .map_err(|e| SeatFileError::from(e.to_string()))?;
                staged = Some(StagedFile::new(out, format!("{file}\n").as_bytes(), 0o644)?);
            }
            if args.qr && !args.json {
                picture = Some(qr_picture(file, "the license")?);
            }
            if let Some(ledger) = &args.ledger {
                let entry = LedgerRecord {
                    action: LedgerAction::Activate,
                    license_id: &activation.license_id,
                    customer_id: Some(&record.customer),
                    kid: key.kid(),
                    file: file.as_bytes(),
                };
                record_in_ledger(ledger, &entry, now)?;
            }
            Ok(())
        };
        let database = args.db.resolve()?;
        runtime()?.block_on(async {
            let store = database.open().await?;
            let outcome =
                respond_offline(store.as_ref(), &key, &message, now.as_secs(), &mut deliver).await;
            store.close().await;
            Ok::<_, anyhow::Error>(outcome)
        })?
    };
    let outcome = match outcome {
        Ok(outcome) => outcome,
        Err(RespondError::Refused(reason)) => {
            if args.json {
                print_stdout(&format!(
                    "{}\n",
                    serde_json::to_string_pretty(&json!({"granted": false, "reason": reason}))?
                ))?;
            }
            print_stderr(&format!("refused: {}", printable(&reason)));
            return Ok(EXIT_REJECTED);
        }
        Err(e) => return Err(anyhow!(e)),
    };
    match outcome {
        OfflineOutcome::Activated {
            file,
            license_id,
            customer,
            new_seat,
            activations,
        } => {
            if let Some(staged) = staged {
                staged.commit(Overwrite::Replace)?;
            }
            if args.json {
                let summary = json!({"granted": true, "action": "activate", "licenseId": license_id,
                    "customerId": customer, "newSeat": new_seat, "activations": activations,
                    "bytes": file.len(), "license": file});
                print_stdout(&format!("{}\n", serde_json::to_string_pretty(&summary)?))?;
            } else {
                match out_file {
                    Some(out) => print_stderr(&format!(
                        "wrote the license to {} ({} bytes)",
                        out.display(),
                        file.len()
                    )),
                    None => print_stdout(&format!("{file}\n"))?,
                }
                if let Some(picture) = &picture {
                    print_stderr(picture);
                }
                print_stderr(&format!(
                    "activated: license {} for {} ({}; {} seat(s) in use)",
                    printable(&license_id),
                    printable(&customer),
                    if new_seat {
                        "new seat"
                    } else {
                        "the machine's seat, again"
                    },
                    activations
                ));
            }
        }
        OfflineOutcome::Released {
            license_id,
            remaining,
        } => {
            if args.json {
                let summary = json!({"granted": true, "action": "release", "licenseId": license_id,
                                     "activations": remaining});
                print_stdout(&format!("{}\n", serde_json::to_string_pretty(&summary)?))?;
            } else {
                print_stdout(&format!(
                    "released: license {} ({} seat(s) still in use)\n",
                    printable(&license_id),
                    remaining
                ))?;
            }
        }
    }
    Ok(EXIT_OK)
}

pub fn install(args: ActivationInstallArgs) -> Result<u8> {
    let keys = load_trusted_keys(&args.pubkeys)?;
    let license = read_input(&args.file, MAX_LICENSE_FILE_BYTES as u64)?;
    match kind_of(&license) {
        FileKind::LicetJson("licet-activation-request") => bail!(
            "{} is the activation request itself, not the vendor's response: carry it to the vendor, who answers it with `licet activation respond`, then install the license file that comes back",
            args.file.display()
        ),
        other @ (FileKind::PrivateKey | FileKind::PublicPem | FileKind::RevocationList | FileKind::Ledger | FileKind::TimeAttestation | FileKind::LicetJson(_)) => bail!(
            "{} is {}, not a license file from `licet activation respond`",
            args.file.display(),
            other.describe()
        ),
        _ => {}
    }
    let state = state_dir(args.state.as_deref())?;
    let now = match &args.at {
        Some(at) => super::parse_time_option(at, "--at")?,
        None => UnixTime::now(),
    };
    match install_response(&state, &license, &keys, now, args.clock_tolerance) {
        Ok((installed, report)) => {
            if args.json {
                let summary = json!({"installed": true, "licenseId": installed.license_id,
                    "machineId": installed.machine_id, "status": report.status,
                    "reason": report.reason});
                print_stdout(&format!("{}\n", serde_json::to_string_pretty(&summary)?))?;
            } else {
                print_stdout(&format!(
                    "installed: license {} on machine {} ({})\n",
                    printable(&installed.license_id),
                    installed.machine_id,
                    printable(&report.reason)
                ))?;
            }
            Ok(EXIT_OK)
        }
        Err(e @ (OfflineError::UnknownNonce(_) | OfflineError::Refused { .. })) => {
            if args.json {
                let summary = json!({"installed": false, "reason": e.to_string()});
                print_stdout(&format!("{}\n", serde_json::to_string_pretty(&summary)?))?;
            }
            print_stderr(&format!("refused: {}", printable(&e.to_string())));
            Ok(EXIT_REJECTED)
        }
        Err(e) => Err(anyhow!(e)),
    }
}

pub fn release(args: ActivationReleaseArgs) -> Result<u8> {
    let state = state_dir(args.state.as_deref())?;
    let prepared = release_activation(&state, args.license_id.as_deref(), UnixTime::now())?;
    let text = serde_json::to_string(&prepared.release)?;
    // The release is written (durably) first; only then is the installed license removed, so a
    // failure to write it loses nothing.
    deliver(
        args.out.as_deref(),
        &text,
        args.qr,
        FileKind::LicetJson("licet-activation-release"),
        "the release",
    )?;
    prepared.complete()?;
    Ok(EXIT_OK)
}
