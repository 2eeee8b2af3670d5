//! Revocation lists, the issuance ledger, and the verifier's state directory.

use super::keys::{load_signing_key, LoadedKey};
use super::parse_alg;
use crate::args::{LedgerVerifyArgs, RevokeArgs};
use crate::io::{print_stderr, print_stdout, read_capped, read_input};
use crate::output::printable;
use crate::{EXIT_OK, EXIT_REJECTED};
use anyhow::{anyhow, bail, Context, Result};
use licet_issuer::ledger::{append_to_ledger, verify_ledger, LedgerAction, LedgerRecord};
use licet_issuer::{parse_date, sign_revocation_list, DateMeaning, ListUpdate, RevocationRequest};
use licet_verifier::state::write_atomically;
use licet_verifier::{
    parse_public_keys, verify_revocation_list, KeyRevocation, RevocationList, TrustedKeys,
    UnixTime, MAX_REVOCATION_LIST_BYTES,
};
use serde_json::json;
use std::collections::HashSet;
use std::path::Path;

/// The largest ledger read at once.
pub(super) const MAX_LEDGER_BYTES: u64 = 1024 * 1024 * 1024;

/// Reads and verifies a revocation list against `keys`.
pub fn load_revocation_list(path: &Path, keys: &TrustedKeys) -> Result<RevocationList> {
    let (bytes, _) = read_capped(path, MAX_REVOCATION_LIST_BYTES as u64)?;
    verify_revocation_list(&bytes, keys)
        .with_context(|| format!("revocation list {}", path.display()))
}

/// Appends a ledger entry, naming the ledger in the error.
pub fn record_in_ledger(
    ledger: &Path,
    record: &LedgerRecord<'_>,
    now: UnixTime,
) -> Result<licet_issuer::ledger::LedgerEntry> {
    append_to_ledger(ledger, record, now).map_err(|e| anyhow!(e))
}

/// Whether `id` is in the form licet gives license ids it makes: a UUID, hyphenated and lower
/// case (`generate_license_id`, and the seats of `activation respond` and the server).
fn is_licet_uuid(id: &str) -> bool {
    uuid::Uuid::try_parse(id).is_ok_and(|u| u.hyphenated().to_string() == id)
}

/// The ids among `ids` that `licet revoke` does not recognise as license ids: not a licet UUID
/// and, when a ledger is given, not issued (or activated) in it. A revocation of a mistyped id is
/// signed and published without complaint and revokes nothing, so it is caught before.
fn unrecognised_ids<'a>(ids: &'a [String], ledger: Option<&Path>) -> Result<Vec<&'a str>> {
    let issued: HashSet<String> = match ledger {
        Some(path) => match std::fs::metadata(path) {
            Ok(_) => {
                let (bytes, _) = read_capped(path, MAX_LEDGER_BYTES)?;
                // A ledger with a broken chain still names the licenses it recorded;
                // `licet ledger verify` is where a broken chain is reported.
                verify_ledger(&bytes)
                    .entries
                    .into_iter()
                    .filter(|(_, e)| e.action.records_license())
                    .map(|(_, e)| e.license_id)
                    .collect()
            }
            // A ledger not made yet records nothing.
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => HashSet::new(),
            Err(e) => bail!("{}: {e}", path.display()),
        },
        None => HashSet::new(),
    };
    // With a ledger, an id must be in it: a one-character typo of a real UUID is still a UUID.
    let with_ledger = ledger.is_some();
    Ok(ids
        .iter()
        .map(String::as_str)
        .filter(|id| {
            if with_ledger {
                !issued.contains(*id)
            } else {
                !is_licet_uuid(id)
            }
        })
        .collect())
}

/// The licenses that re-issue any of `ids` (directly or through other re-issues), as the
/// ledger's `reissue` entries record them: `(replacement, the license it replaces)`, each once,
/// none of `ids`. Revoking a license revokes its re-issues under newer keys too, or the customer
/// would keep the right through the new file. The entries are read unverified: a changed ledger
/// can only make more revoked, never fewer.
fn replacements_of(ids: &[String], ledger: &Path) -> Result<Vec<(String, String)>> {
    let bytes = match std::fs::metadata(ledger) {
        Ok(_) => read_capped(ledger, MAX_LEDGER_BYTES)?.0,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => bail!("{}: {e}", ledger.display()),
    };
    let mut children: std::collections::HashMap<String, Vec<String>> = Default::default();
    for (_, entry) in verify_ledger(&bytes).entries {
        if entry.action == LedgerAction::Reissue {
            if let Some(old) = entry.unverified_replaces() {
                children.entry(old).or_default().push(entry.license_id);
            }
        }
    }
    let mut seen: HashSet<String> = ids.iter().cloned().collect();
    let mut queue: Vec<String> = ids.to_vec();
    let mut found = Vec::new();
    while let Some(id) = queue.pop() {
        for child in children.get(&id).into_iter().flatten() {
            if seen.insert(child.clone()) {
                found.push((child.clone(), id.clone()));
                queue.push(child.clone());
            }
        }
    }
    Ok(found)
}

/// The keys of `--revoke-key`: each value is a public-key file (every key in it) or a kid.
fn keys_to_revoke(args: &RevokeArgs) -> Result<Vec<KeyRevocation>> {
    let from = match &args.key_revoked_from {
        Some(text) => parse_date(text, DateMeaning::StartOfDay).context("--key-revoked-from")?,
        None => UnixTime::EPOCH,
    };
    let mut revoked = Vec::new();
    for value in &args.revoke_key {
        let path = Path::new(value);
        let kids: Vec<String> = if path.is_file() {
            let bytes = read_input(path, licet_verifier::MAX_KEY_FILE_BYTES)?;
            parse_public_keys(&bytes)
                .with_context(|| format!("--revoke-key {}", path.display()))?
                .iter()
                .map(|k| k.kid().to_owned())
                .collect()
        } else if value.len() == 43
            && value
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            vec![value.clone()]
        } else {
            bail!(
                "--revoke-key {}: neither a public-key file nor a kid (a key's RFC 7638 thumbprint: 43 base64url characters, as `licet key public --json` prints it)",
                printable(value)
            );
        };
        for kid in kids {
            if !revoked.iter().any(|k: &KeyRevocation| k.kid == kid) {
                revoked.push(KeyRevocation {
                    kid,
                    from,
                    reason: args.reason.clone(),
                });
            }
        }
    }
    Ok(revoked)
}

pub fn revoke(args: RevokeArgs) -> Result<u8> {
    if args.license_ids.is_empty() && args.revoke_key.is_empty() && args.carry_forward.is_empty() {
        bail!("nothing to revoke: give license ids, --revoke-key, or --carry-forward");
    }
    let revoke_keys = keys_to_revoke(&args)?;
    let carried: Vec<RevocationList> = if args.carry_forward.is_empty() {
        Vec::new()
    } else {
        let keys = super::keys::load_trusted_keys(&args.pubkeys)?;
        if keys.is_empty() {
            bail!("--carry-forward needs --pubkey: the public keys that verify the lists carried");
        }
        args.carry_forward
            .iter()
            .map(|path| load_revocation_list(path, &keys))
            .collect::<Result<_>>()?
    };
    if !args.force {
        let unknown = unrecognised_ids(&args.license_ids, args.ledger.as_deref())?;
        if !unknown.is_empty() {
            let names: Vec<String> = unknown
                .iter()
                .map(|id| licet_verifier::jws::quote(id))
                .collect();
            let looked = match &args.ledger {
                Some(ledger) => format!("issued in the ledger {}", ledger.display()),
                None => "issued in a ledger (none given: --ledger FILE)".to_owned(),
            };
            let (verb, it) = if unknown.len() == 1 {
                ("is not a license id", "it")
            } else {
                ("are not license ids", "them")
            };
            bail!(
                "not revoking: {} {verb} licet recognises (neither a UUID, as licet makes them, \
                 nor {looked}); check, or give --force to revoke {it} as given",
                names.join(", "),
            );
        }
    }
    let alg = parse_alg(args.alg.as_deref())?;
    let LoadedKey { key, .. } = load_signing_key(
        &args.key,
        args.passphrase_file.as_deref(),
        args.alias.as_deref(),
    )?;
    let own: TrustedKeys = [key.public_key().clone()].into_iter().collect();
    // Held from reading the list until the new one is in place: two `licet revoke` at once
    // cannot both extend the same list and lose one revocation.
    let lock_path = {
        let mut name = args.list.as_os_str().to_owned();
        name.push(".lock");
        std::path::PathBuf::from(name)
    };
    crate::kinds::refuse_other_kind(
        &args.list,
        crate::kinds::FileKind::RevocationList,
        "a revocation list",
    )?;
    let _lock =
        licet_verifier::state::lock_file(&lock_path, licet_verifier::state::DEFAULT_LOCK_TIMEOUT)
            .map_err(|e| anyhow!(e))?;
    let previous = match std::fs::metadata(&args.list) {
        Ok(_) => Some(load_revocation_list(&args.list, &own)?),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => bail!("{}: {e}", args.list.display()),
    };
    let replacements = match &args.ledger {
        Some(ledger) => replacements_of(&args.license_ids, ledger)?,
        None => Vec::new(),
    };
    let requests: Vec<RevocationRequest> = args
        .license_ids
        .iter()
        .chain(replacements.iter().map(|(new, _)| new))
        .map(|id| RevocationRequest {
            license_id: id.clone(),
            reason: args.reason.clone(),
        })
        .collect();
    let now = UnixTime::now();
    let update = ListUpdate {
        previous: previous.as_ref(),
        carried: &carried,
        add: &requests,
        revoke_keys: &revoke_keys,
    };
    let signed = sign_revocation_list(&key, alg, &update, now, args.issuer)?;
    let file = format!("{}\n", signed.token);
    if let Some(ledger) = &args.ledger {
        for id in &signed.added {
            let record = LedgerRecord {
                action: LedgerAction::Revoke,
                license_id: id,
                customer_id: None,
                kid: key.kid(),
                file: file.as_bytes(),
            };
            record_in_ledger(ledger, &record, now)?;
        }
    }
    write_atomically(&args.list, file.as_bytes())
        .with_context(|| format!("writing {}", args.list.display()))?;
    let already: Vec<&String> = args
        .license_ids
        .iter()
        .filter(|id| !signed.added.contains(id))
        .collect();
    if args.json {
        let revoked_keys: Vec<_> = signed
            .list
            .revoked_keys
            .iter()
            .map(|k| json!({"kid": k.kid, "from": k.from.to_rfc3339(), "reason": k.reason}))
            .collect();
        let summary = json!({"list": args.list.to_string_lossy(), "seq": signed.list.seq,
            "kid": signed.list.kid, "revoked": signed.added, "alreadyRevoked": already,
            "entries": signed.list.entries.len(), "revokedKeys": revoked_keys,
            "carried": signed.carried,
            "reissuesRevoked": replacements.iter()
                .map(|(new, old)| json!({"licenseId": new, "replaces": old}))
                .collect::<Vec<_>>()});
        print_stdout(&format!("{}\n", serde_json::to_string_pretty(&summary)?))?;
    } else {
        for (new, old) in &replacements {
            print_stderr(&format!(
                "also revoking {}: the ledger records it as a re-issue of {}\n",
                printable(new),
                printable(old)
            ));
        }
        print_stderr(&format!(
            "wrote {} (seq {}, {} entries, {} revoked key(s), {} carried forward; newly revoked: {}{})",
            args.list.display(),
            signed.list.seq,
            signed.list.entries.len(),
            signed.list.revoked_keys.len(),
            signed.carried,
            printable(&signed.added.join(", ")),
            if already.is_empty() {
                String::new()
            } else {
                format!(
                    "; already revoked: {}",
                    printable(
                        &already
                            .iter()
                            .map(|s| s.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    )
                )
            }
        ));
    }
    Ok(EXIT_OK)
}

pub fn ledger_verify(args: LedgerVerifyArgs) -> Result<u8> {
    let bytes = read_input(&args.file, MAX_LEDGER_BYTES)?;
    // A wrong file is named as such, not reported as a broken chain.
    match crate::kinds::kind_of(&bytes) {
        crate::kinds::FileKind::Ledger | crate::kinds::FileKind::OtherJson => {}
        other => bail!(
            "{} is {}, not an issuance ledger (JSON Lines written by `licet issue --ledger`)",
            args.file.display(),
            other.describe()
        ),
    }
    let mut check = verify_ledger(&bytes);
    if let Some(head) = &args.head {
        check.require_head(head);
    }
    if args.json {
        let out = json!({"intact": check.is_intact(), "lines": check.lines,
                         "headSha256": check.head_sha256, "problems": check.problems});
        print_stdout(&format!("{}\n", serde_json::to_string_pretty(&out)?))?;
    } else if check.is_intact() {
        print_stdout(&format!(
            "intact: {} entries, head {}\n",
            check.lines, check.head_sha256
        ))?;
    } else {
        let mut text = format!(
            "BROKEN: {} problem(s) in {} lines\n",
            check.problems.len(),
            check.lines
        );
        for p in &check.problems {
            text.push_str(&format!("  line {}: {}\n", p.line, printable(&p.message)));
        }
        print_stdout(&text)?;
    }
    Ok(if check.is_intact() {
        EXIT_OK
    } else {
        EXIT_REJECTED
    })
}
