//! Key rotation across the air gap: `key rollover` (at the vendor) and `trust add` / `trust list`
//! (on the customer's machine). The rules live in licet-verifier's `rollover`, `trust` and
//! `trust_store` modules; this module parses, calls and prints.

use super::keys::{load_signing_key, load_trusted_keys, LoadedKey};
use super::offline::state_dir;
use crate::args::{KeyRolloverArgs, TrustAddArgs, TrustListArgs};
use crate::commands::parse_alg;
use crate::io::{print_stderr, print_stdout, read_input, write_output, Overwrite};
use crate::output::{paint, printable};
use crate::EXIT_OK;
use anyhow::{anyhow, bail, Context, Result};
use licet_issuer::rollover::{sign_rollover, RolloverTerms};
use licet_issuer::{parse_date, DateMeaning};
use licet_verifier::{
    parse_public_keys, StateSettings, StatefulVerifier, UnixTime, MAX_ROLLOVER_BYTES,
};
use serde_json::json;
use std::path::Path;

fn date(flag: &str, text: Option<&str>) -> Result<Option<UnixTime>> {
    text.map(|t| parse_date(t, DateMeaning::StartOfDay).with_context(|| flag.to_owned()))
        .transpose()
}

/// `licet key rollover`.
pub fn key_rollover(args: KeyRolloverArgs) -> Result<u8> {
    let alg = parse_alg(args.alg.as_deref())?;
    let new_alg = parse_alg(args.new_alg.as_deref()).context("--new-alg")?;
    let bytes = read_input(&args.new, licet_verifier::MAX_KEY_FILE_BYTES)?;
    let mut new_keys = parse_public_keys(&bytes)
        .with_context(|| format!("cannot use the new public key {}", args.new.display()))?;
    if new_keys.len() != 1 {
        bail!(
            "{} holds {} public keys; a rollover introduces exactly one",
            args.new.display(),
            new_keys.len()
        );
    }
    let new_key = new_keys.remove(0);
    let terms = RolloverTerms {
        new_key,
        new_alg,
        new_key_valid_from: date("--not-before", args.not_before.as_deref())?,
        old_key_retired_from: date("--retire-old", args.retire_old.as_deref())?,
        issuer: args.issuer.clone(),
    };
    if args.out != Path::new("-") && args.out.exists() {
        bail!(
            "{} already exists; a rollover statement is never written over a file: choose another name",
            args.out.display()
        );
    }
    let LoadedKey { key, .. } = load_signing_key(
        &args.old,
        args.passphrase_file.as_deref(),
        args.alias.as_deref(),
    )?;
    let now = UnixTime::now();
    let (token, rollover) = sign_rollover(&key, alg, &terms, now)?;
    write_output(
        &args.out,
        format!("{token}\n").as_bytes(),
        0o644,
        Overwrite::Refuse,
    )?;
    let summary = json!({
        "out": args.out.to_string_lossy(),
        "oldKid": rollover.old_kid,
        "newKid": rollover.new_key.kid(),
        "newAlg": rollover.new_key.algorithms().first().map(|a| a.name()),
        "issuedAt": rollover.issued_at.to_rfc3339(),
        "newKeyValidFrom": rollover.new_key_valid_from.map(|t| t.to_rfc3339()),
        "oldKeyRetiredFrom": rollover.old_key_retired_from.map(|t| t.to_rfc3339()),
    });
    if args.json {
        let text = format!("{}\n", serde_json::to_string_pretty(&summary)?);
        if args.out == Path::new("-") {
            print_stderr(text.trim_end());
        } else {
            print_stdout(&text)?;
        }
    } else if args.out != Path::new("-") {
        print_stderr(&format!(
            "wrote {}: key {} introduces key {}{}",
            args.out.display(),
            rollover.old_kid,
            rollover.new_key.kid(),
            rollover
                .old_key_retired_from
                .map(|t| format!(" and retires itself from {t}"))
                .unwrap_or_default()
        ));
    }
    Ok(EXIT_OK)
}

fn open_verifier(
    state: Option<&Path>,
    pubkeys: &[std::path::PathBuf],
    tolerance: u32,
) -> Result<StatefulVerifier> {
    let keys = load_trusted_keys(pubkeys)?;
    let dir = state_dir(state)?;
    let settings = StateSettings {
        clock_tolerance_secs: tolerance,
        ..StateSettings::default()
    };
    StatefulVerifier::open(dir, keys, settings).map_err(|e| anyhow!(e))
}

/// `licet trust add`.
pub fn trust_add(args: TrustAddArgs) -> Result<u8> {
    let verifier = open_verifier(args.state.as_deref(), &args.pubkeys, args.clock_tolerance)?;
    let statement = read_input(&args.statement, MAX_ROLLOVER_BYTES as u64)?;
    let added = verifier
        .add_rollover(&statement, UnixTime::now())
        .map_err(|e| anyhow!(e))
        .with_context(|| format!("not added: {}", args.statement.display()))?;
    if args.json {
        print_stdout(&format!("{}\n", serde_json::to_string_pretty(&added)?))?;
    } else {
        let what = if added.already_kept {
            "already in the trust store"
        } else {
            "added to the trust store"
        };
        let mut line = format!(
            "{what} of {}: key {} introduced by key {} ({})",
            verifier.dir().display(),
            added.new_kid,
            added.old_kid,
            added.issued_at
        );
        if let Some(from) = &added.new_key_valid_from {
            line.push_str(&format!("; believed for files issued from {from}"));
        }
        if let Some(from) = &added.old_key_retired_from {
            line.push_str(&format!("; key {} retired from {from}", added.old_kid));
        }
        print_stdout(&format!("{line}\n"))?;
    }
    Ok(EXIT_OK)
}

/// `licet trust list`.
pub fn trust_list(args: TrustListArgs) -> Result<u8> {
    let verifier = open_verifier(
        args.state.as_deref(),
        &args.pubkeys,
        licet_verifier::DEFAULT_CLOCK_TOLERANCE_SECS,
    )?;
    let list = verifier
        .trust_list(UnixTime::now())
        .map_err(|e| anyhow!(e))?;
    if args.json {
        print_stdout(&format!("{}\n", serde_json::to_string_pretty(&list)?))?;
        return Ok(EXIT_OK);
    }
    let mut text = String::new();
    for key in &list.keys {
        text.push_str(&format!(
            "{} {} {} [{}] {}\n",
            paint(&key.standing, key.standing == "TRUSTED"),
            key.kid,
            key.key_type,
            key.algorithms.join(", "),
            match (&key.introduced_by, &key.introduced_at) {
                (Some(by), Some(at)) => format!("introduced by {by} at {at}"),
                _ => "given (--pubkey)".to_owned(),
            }
        ));
        if let Some(from) = &key.valid_from {
            text.push_str(&format!("  believed for files issued from {from}\n"));
        }
        if let Some(from) = &key.retired_from {
            text.push_str(&format!("  retired from {from}\n"));
        }
        if let Some(reason) = &key.reason {
            text.push_str(&format!("  {}\n", printable(reason)));
        }
    }
    for statement in &list.statements {
        if statement.status != "APPLIED" {
            text.push_str(&format!(
                "statement {}: {}\n",
                paint(statement.status, false),
                printable(&statement.reason)
            ));
        }
    }
    print_stdout(&text)?;
    Ok(EXIT_OK)
}
