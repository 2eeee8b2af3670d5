//! `licet reissue`: a fleet's licenses minted again under a new key, from the ledger's claims.

use super::keys::{load_signing_key, load_trusted_keys, LoadedKey};
use super::lifecycle::MAX_LEDGER_BYTES;
use super::parse_alg;
use crate::args::ReissueArgs;
use crate::io::{print_stderr, print_stdout, read_capped, Overwrite, StagedFile};
use crate::output::printable;
use crate::{EXIT_OK, EXIT_REJECTED};
use anyhow::{anyhow, bail, Context, Result};
use licet_issuer::ledger::{verify_ledger, LedgerAction, LedgerRecord, LockedLedger};
use licet_issuer::reissue::{plan_reissue, reissue_license, ReissueInputs};
use licet_issuer::{parse_date, DateMeaning};
use licet_verifier::{verify_revocation_list_license_entries, UnixTime, MAX_REVOCATION_LIST_BYTES};
use serde_json::json;
use std::collections::HashSet;
use std::io::IsTerminal;

/// `licet reissue`.
pub fn reissue(args: ReissueArgs) -> Result<u8> {
    let alg = parse_alg(args.alg.as_deref())?;
    let now = UnixTime::now();
    let at = match args.only_valid_at.as_deref() {
        Some(text) => parse_date(text, DateMeaning::StartOfDay).context("--only-valid-at")?,
        None => now,
    };
    if args.out_dir.exists() && !args.out_dir.is_dir() {
        bail!("--out-dir {} is not a directory", args.out_dir.display());
    }
    let LoadedKey { key, .. } = load_signing_key(
        &args.key,
        args.passphrase_file.as_deref(),
        args.alias.as_deref(),
    )?;
    // Without --pubkey nothing but the ledger's own hashes vouches for its files: said in the
    // report, never silently.
    let signatures_checked = !args.pubkeys.is_empty();
    let mut keys = load_trusted_keys(&args.pubkeys)?;
    if keys.find(key.kid()).is_none() {
        // Files re-issued earlier under this key verify too.
        keys.push(key.public_key().clone());
    }
    let mut revoked = HashSet::new();
    for path in &args.revocations {
        // Only its license entries matter here: a successor's list that revokes the old key
        // is read without the rollover that links the two.
        let (bytes, _) = read_capped(path, MAX_REVOCATION_LIST_BYTES as u64)?;
        let list = verify_revocation_list_license_entries(&bytes, &keys)
            .with_context(|| format!("revocation list {}", path.display()))?;
        revoked.extend(list.entries.iter().map(|e| e.license_id.clone()));
    }
    if let Some(head) = &args.head {
        if head.len() != 64 || !head.bytes().all(|b| b.is_ascii_hexdigit()) {
            bail!(
                "--head must be the 64 hex digits `licet ledger verify` printed, not {}",
                printable(head)
            );
        }
    }
    if !args.ledger.is_file() {
        bail!(
            "the ledger {} does not exist (or is not a file): give the ledger `licet issue --ledger` wrote",
            args.ledger.display()
        );
    }
    // Locked from the first read to the last append: a revocation or a second run waits.
    let mut ledger = LockedLedger::open(&args.ledger).map_err(|e| anyhow!(e))?;
    let bytes = ledger.read_all(MAX_LEDGER_BYTES).map_err(|e| anyhow!(e))?;
    let mut check = verify_ledger(&bytes);
    if let Some(head) = &args.head {
        check.require_head(head);
    }
    let inputs = ReissueInputs {
        at,
        new_kid: key.kid(),
        keys: signatures_checked.then_some(&keys),
        revoked: &revoked,
    };
    let plan = plan_reissue(&check, &inputs)
        .with_context(|| format!("the ledger {}", args.ledger.display()))?;
    // Licenses that should be re-issued but cannot be (no file kept, one that does not verify).
    let unissuable = plan
        .skipped
        .iter()
        .filter(|s| s.reason.is_failure())
        .count();
    if !args.dry_run && !plan.licenses.is_empty() {
        std::fs::create_dir_all(&args.out_dir)
            .with_context(|| format!("cannot make --out-dir {}", args.out_dir.display()))?;
    }
    let bar = (!args.dry_run && std::io::stderr().is_terminal()).then(|| {
        let bar = indicatif::ProgressBar::new(plan.licenses.len() as u64);
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "{spinner} {pos}/{len} licenses re-issued ({per_sec}, {eta} left) {wide_bar}",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        bar
    });
    let mut reissued = Vec::new();
    for candidate in &plan.licenses {
        if args.dry_run {
            reissued.push(json!({
                "replaces": candidate.license_id,
                "ledgerLine": candidate.line,
                "customerId": candidate.claims.customer_id,
                "expiry": candidate.claims.expires_at.map(|t| t.to_rfc3339()),
            }));
            continue;
        }
        let minted = reissue_license(&key, alg, candidate, now)?;
        let path = args
            .out_dir
            .join(format!("{}.lic", minted.claims.license_id));
        // The file is on disk (synced) before the ledger records it, and appears under its name
        // only once recorded: a failure leaves neither a recorded license without its file nor a
        // file the ledger does not know.
        let staged = StagedFile::new(&path, format!("{}\n", minted.token).as_bytes(), 0o644)?;
        let record = LedgerRecord {
            action: LedgerAction::Reissue,
            license_id: &minted.claims.license_id,
            customer_id: Some(&minted.claims.customer_id),
            kid: &minted.kid,
            file: minted.token.as_bytes(),
        };
        let entry = ledger.append(&record, now).map_err(|e| anyhow!(e))?;
        staged.commit(Overwrite::Refuse).with_context(|| {
            format!(
                "license {} replacing {} is recorded in the ledger (seq {}, which keeps the file), but its file could not be put in place",
                minted.claims.license_id, candidate.license_id, entry.seq
            )
        })?;
        if let Some(bar) = &bar {
            bar.inc(1);
        }
        reissued.push(json!({
            "licenseId": minted.claims.license_id,
            "replaces": candidate.license_id,
            "customerId": minted.claims.customer_id,
            "expiry": minted.claims.expires_at.map(|t| t.to_rfc3339()),
            "file": path.to_string_lossy(),
        }));
    }
    if let Some(bar) = &bar {
        bar.finish_and_clear();
    }
    let code = if unissuable > 0 {
        EXIT_REJECTED
    } else {
        EXIT_OK
    };
    if args.json {
        let summary = json!({
            "dryRun": args.dry_run,
            "kid": key.kid(),
            "validAt": at.to_rfc3339(),
            "signaturesChecked": signatures_checked,
            "reissued": reissued,
            "skipped": plan.skipped,
            "ok": code == EXIT_OK,
        });
        print_stdout(&format!("{}\n", serde_json::to_string_pretty(&summary)?))?;
        return Ok(code);
    }
    let verb = if args.dry_run {
        "would re-issue"
    } else {
        "re-issued"
    };
    let mut text = format!(
        "{verb} {} license(s) under kid {} (valid at {}), skipped {}",
        reissued.len(),
        key.kid(),
        at.to_rfc3339(),
        plan.skipped.len()
    );
    if !args.dry_run && !reissued.is_empty() {
        text.push_str(&format!(", into {}", args.out_dir.display()));
    }
    text.push('\n');
    if !signatures_checked {
        text.push_str("warning: no --pubkey given, so the ledger's files were checked against its hashes only, not their signatures: anyone who can write the ledger could have added or changed a license; give --pubkey with the keys that signed them\n");
    }
    for (candidate, done) in plan.licenses.iter().zip(&reissued) {
        let expiry = candidate
            .claims
            .expires_at
            .map_or_else(|| "perpetual".to_owned(), |t| t.to_rfc3339());
        let line = match done["file"].as_str() {
            Some(file) => format!(
                "  re-issued {} (customer {}, {expiry}) as {}\n",
                printable(&candidate.license_id),
                printable(&candidate.claims.customer_id),
                printable(file)
            ),
            None => format!(
                "  would re-issue {} (customer {}, {expiry}; ledger line {})\n",
                printable(&candidate.license_id),
                printable(&candidate.claims.customer_id),
                candidate.line
            ),
        };
        text.push_str(&line);
    }
    for skipped in &plan.skipped {
        text.push_str(&format!(
            "  skipped {} (ledger line {}): {}\n",
            printable(&skipped.license_id),
            skipped.line,
            printable(&skipped.reason.to_string())
        ));
    }
    if unissuable > 0 {
        text.push_str(&format!(
            "{unissuable} license(s) still valid could not be re-issued: see above\n"
        ));
    }
    print_stderr(&text);
    Ok(code)
}
