//! One function per command: turn arguments into library calls, and results into output.

use crate::args::*;
use crate::io::{print_stderr, print_stdout, read_capped};
use crate::output::{paint, printable, printable_lines};
use crate::{EXIT_OK, EXIT_REJECTED};
use anyhow::{anyhow, bail, Context, Result};
use licet_issuer::{
    generate_license_id, generate_license_key, mint_license, parse_date, parse_feature,
    CertificateInfo, DateMeaning,
};
use licet_verifier::{
    check_license, inspect_untrusted, verify_license, Algorithm, KeyCheck, LicenseClaims,
    LicenseKey, LicenseType, ListInput, ListStatus, MachineCheck, MachineId, StateSettings,
    StatefulVerifier, UnixTime, VerificationReport, VerifyOptions, MAX_LICENSE_FILE_BYTES,
};
use serde_json::{json, Map, Value};
use std::path::{Path, PathBuf};

mod audit;
mod clock;
mod database;
mod demo;
mod keys;
mod lifecycle;
mod manage;
mod offline;
mod reissue;
mod relay;
mod serve;
mod trust;
mod usage;

pub use keys::load_trusted_keys;
use keys::{load_signing_key, LoadedKey};

/// A time option (`--at`, `--issued-at`): RFC 3339, or `YYYY-MM-DD` meaning 00:00:00Z of that day.
pub fn parse_time_option(text: &str, option: &str) -> Result<UnixTime> {
    licet_issuer::parse_date(text, licet_issuer::DateMeaning::StartOfDay)
        .with_context(|| format!("{option}: expected RFC 3339 or YYYY-MM-DD"))
}

/// Runs a command and returns the exit code.
pub fn run(cli: Cli) -> Result<u8> {
    match cli.command {
        Command::Keygen(args) => keys::keygen(args),
        Command::Key(KeyCommand::Jwks(args)) => keys::key_jwks(args),
        Command::Key(KeyCommand::Public(args)) => keys::key_public(args),
        Command::Key(KeyCommand::Rollover(args)) => trust::key_rollover(args),
        Command::Trust(TrustCommand::Add(args)) => trust::trust_add(args),
        Command::Trust(TrustCommand::List(args)) => trust::trust_list(args),
        Command::Cert(CertCommand::Info(args)) => keys::cert_info(args),
        Command::VerifyResponse(args) => verify_response(args),
        Command::Serve(args) => serve::serve(args),
        Command::Db(DbCommand::Init(args)) => serve::db_init(args),
        Command::Token(TokenCommand::Create(args)) => serve::token_create(args),
        Command::Token(TokenCommand::List(args)) => manage::token_list(args),
        Command::Token(TokenCommand::Revoke(args)) => manage::token_revoke(args),
        Command::AdminLog(args) => manage::admin_log(args),
        Command::LicenseKey(LicenseKeyCommand::List(args)) => manage::key_list(args),
        Command::LicenseKey(LicenseKeyCommand::Show(args)) => manage::key_show(args),
        Command::LicenseKey(LicenseKeyCommand::Update(args)) => manage::key_update(*args),
        Command::LicenseKey(LicenseKeyCommand::FreeSeat(args)) => manage::key_free_seat(args),
        Command::Issue(args) => issue(*args),
        Command::Verify(args) => verify(args),
        Command::Inspect(args) => inspect(args),
        Command::MachineId(args) => machine_id(args),
        Command::LicenseKey(LicenseKeyCommand::New { count, json }) => license_key_new(count, json),
        Command::LicenseKey(LicenseKeyCommand::Create(args)) => serve::license_key_create(*args),
        Command::LicenseKey(LicenseKeyCommand::Check { key, json }) => {
            license_key_check(&key, json)
        }
        Command::Demo(args) => demo::run(args.keep),
        Command::Revoke(args) => lifecycle::revoke(args),
        Command::Audit(args) => audit::audit(args),
        Command::Activation(ActivationCommand::Request(args)) => offline::request(args),
        Command::Activation(ActivationCommand::Respond(args)) => offline::respond(args),
        Command::Activation(ActivationCommand::Install(args)) => offline::install(args),
        Command::Activation(ActivationCommand::Release(args)) => offline::release(args),
        Command::Ledger(LedgerCommand::Verify(args)) => lifecycle::ledger_verify(args),
        Command::Reissue(args) => reissue::reissue(args),
        Command::Clock(ClockCommand::Request(args)) => clock::request(args),
        Command::Clock(ClockCommand::Attest(args)) => clock::attest(args),
        Command::Clock(ClockCommand::Apply(args)) => clock::apply(args),
        Command::Relay(RelayCommand::Init(args)) => relay::init(args),
        Command::Relay(RelayCommand::Grant(args)) => relay::grant(*args),
        Command::Relay(RelayCommand::Serve(args)) => relay::serve(args),
        Command::Relay(RelayCommand::Report(args)) => usage::report(args),
        Command::Relay(RelayCommand::VerifyReport(args)) => usage::verify_report(args),
        Command::VerifyLease(args) => relay::verify(args),
    }
}

pub(crate) fn parse_alg(name: Option<&str>) -> Result<Option<Algorithm>> {
    name.map(|n| {
        Algorithm::from_name_ignore_case(n)
            .ok_or_else(|| anyhow!("--alg must be EdDSA, RS256 or PS256, not `{n}`"))
    })
    .transpose()
}

/// `--expires DATE` (valid through that day when a bare date) or `--days N` from `now`; `None`
/// when neither is given (perpetual).
pub(crate) fn expiry_option(
    expires: Option<&str>,
    days: Option<u32>,
    now: UnixTime,
) -> Result<Option<UnixTime>> {
    Ok(match (expires, days) {
        (Some(date), _) => {
            Some(parse_date(date, DateMeaning::ThroughEndOfDay).context("--expires")?)
        }
        (None, Some(days)) => Some(now.saturating_add(i64::from(days) * 86_400)),
        (None, None) => None,
    })
}

/// The `--feature NAME=VALUE` options as a JSON object; a name given twice is refused.
pub(crate) fn feature_options(assignments: &[String]) -> Result<Map<String, Value>> {
    let mut features = Map::new();
    for assignment in assignments {
        let (name, value) = parse_feature(assignment)?;
        if features.insert(name.clone(), value).is_some() {
            bail!("--feature {name} is given more than once");
        }
    }
    Ok(features)
}

fn issue(args: IssueArgs) -> Result<u8> {
    let alg = parse_alg(args.alg.as_deref())?;
    let LoadedKey { key, certificate } = load_signing_key(
        &args.key,
        args.passphrase_file.as_deref(),
        args.alias.as_deref(),
    )?;

    let now = match &args.issued_at {
        Some(t) => parse_time_option(t, "--issued-at")?,
        None => UnixTime::now(),
    };
    let expires_at = expiry_option(args.expires.as_deref(), args.days, now)?;
    let features = feature_options(&args.features)?;
    let machine_ids = args
        .machines
        .iter()
        .map(|m| MachineId::parse(m).context("--machine"))
        .collect::<Result<Vec<_>>>()?;
    let claims = LicenseClaims {
        license_id: args.license_id.clone().unwrap_or_else(generate_license_id),
        customer_id: args.customer.clone(),
        issued_at: now,
        not_before: args
            .not_before
            .as_deref()
            .map(|d| parse_date(d, DateMeaning::StartOfDay))
            .transpose()
            .context("--not-before")?,
        expires_at,
        entitlement_expires_at: None,
        issuer: args.issuer.clone(),
        product: args.product.clone(),
        license_type: match &args.license_type {
            Some(t) => LicenseType::parse(t).map_err(|e| anyhow!("--type: {e}"))?,
            None => LicenseType::standard(),
        },
        features: (!features.is_empty()).then_some(features),
        machine_ids: (!machine_ids.is_empty()).then_some(machine_ids),
        license_key: args
            .license_key
            .as_deref()
            .map(LicenseKey::parse)
            .transpose()
            .context("--license-key")?,
        owner_name: args.owner_name.clone(),
        owner_email: args.owner_email.clone(),
        grace_days: args.grace_days,
        other: Map::new(),
    };
    // Catch what the verifier would refuse (empty ids, over-long grace) before signing.
    LicenseClaims::from_json(claims.to_json())
        .map_err(|e| anyhow!("the license would be invalid: {e}"))?;
    if let Some(cert) = &certificate {
        check_certificate(cert, &claims, args.allow_expired_cert)?;
    }
    let minted = mint_license(&key, alg, &claims)?;
    // Recorded before the file is written: every license signed is in the ledger.
    if let Some(ledger) = &args.ledger {
        let record = licet_issuer::ledger::LedgerRecord {
            action: licet_issuer::ledger::LedgerAction::Issue,
            license_id: &minted.claims.license_id,
            customer_id: Some(&minted.claims.customer_id),
            kid: &minted.kid,
            file: minted.token.as_bytes(),
        };
        lifecycle::record_in_ledger(ledger, &record, UnixTime::now())?;
    }

    let to_stdout = args.out.as_deref().is_none_or(|p| p == Path::new("-"));
    if args.json {
        let mut summary = json!({
            "licenseId": minted.claims.license_id, "customerId": minted.claims.customer_id,
            "kid": minted.kid, "alg": minted.alg.name(),
            "expiry": minted.claims.expires_at.map(|t| t.to_rfc3339()),
        });
        if let (Some(path), false) = (&args.out, to_stdout) {
            write_license(path, &minted.token)?;
            summary["file"] = json!(path.to_string_lossy());
        } else {
            summary["license"] = json!(minted.token);
        }
        print_stdout(&format!("{}\n", serde_json::to_string_pretty(&summary)?))?;
    } else if to_stdout {
        print_stdout(&format!("{}\n", minted.token))?;
    } else if let Some(path) = &args.out {
        write_license(path, &minted.token)?;
        print_stderr(&format!(
            "wrote {} (license {}, {} signed by kid {})",
            path.display(),
            printable(&minted.claims.license_id),
            minted.alg,
            minted.kid
        ));
    }
    Ok(EXIT_OK)
}

/// Refuses to sign outside the certificate's validity (unless allowed) and warns when the license
/// outlives the certificate.
fn check_certificate(
    cert: &CertificateInfo,
    claims: &LicenseClaims,
    allow_expired: bool,
) -> Result<()> {
    // Checked at the real time and at the issue time, so --issued-at cannot step around it.
    let wall_clock = UnixTime::now();
    let outside = [wall_clock, claims.issued_at]
        .into_iter()
        .find(|t| !cert.is_valid_at(*t));
    if let Some(now) = outside {
        let message = format!(
            "the signing certificate {} is not valid at {now}: it is valid from {} to {}",
            printable(&cert.name),
            cert.not_before,
            cert.expiry
        );
        if !allow_expired {
            bail!("{message}; use --allow-expired-cert to sign anyway");
        }
        print_stderr(&format!(
            "warning: {message} (signing anyway: --allow-expired-cert)"
        ));
    }
    if let Some(exp) = claims.expires_at {
        if exp > cert.not_after_time() {
            print_stderr(&format!(
                "warning: the license expires at {exp}, after the signing certificate does ({})",
                cert.expiry
            ));
        }
    }
    Ok(())
}

/// Writes a license file, replacing an existing license but never a file of another kind (a
/// key, keystore, certificate, revocation list or ledger given as --out by mistake).
fn write_license(path: &Path, token: &str) -> Result<()> {
    crate::kinds::write_kind(
        path,
        token,
        crate::kinds::FileKind::License,
        "a license file",
    )
}

pub(crate) fn verify_options(checks: &CheckArgs) -> Result<VerifyOptions> {
    let now = match &checks.at {
        Some(at) => {
            licet_issuer::parse_date(at, licet_issuer::DateMeaning::StartOfDay).context("--at")?
        }
        None => UnixTime::now(),
    };
    // On the shell a pool license verifies like any file (ACTIVE, type POOL: the relay's machine
    // checks its pool so); products embedding the library refuse it by default.
    let mut options = VerifyOptions::at(now)
        .with_leeway(checks.leeway)
        .accepting_pool_licenses();
    if let Some(machine) = &checks.machine {
        options.machine = MachineCheck::Machine(MachineId::parse(machine).context("--machine")?);
    }
    options.product = checks.product.clone();
    Ok(options)
}

/// Reads a license file for verification: at most one byte over the limit, so an oversized
/// file reaches the verifier (which rejects it as MALFORMED) without being read whole.
/// The revocation lists of `--revocations`, each with its file name (for the report).
pub(crate) fn read_revocation_lists(paths: &[PathBuf]) -> Result<Vec<(String, Vec<u8>)>> {
    paths
        .iter()
        .map(|path| {
            let bytes = read_capped(path, licet_verifier::MAX_REVOCATION_LIST_BYTES as u64 + 1)?.0;
            Ok((path.to_string_lossy().into_owned(), bytes))
        })
        .collect()
}

/// The lists read by [`read_revocation_lists`], as the verifier takes them.
pub(crate) fn list_inputs(lists: &[(String, Vec<u8>)]) -> Vec<ListInput<'_>> {
    lists
        .iter()
        .map(|(source, bytes)| ListInput { source, bytes })
        .collect()
}

/// The lines of each list's verdict, as `verify` and `verify-lease` print them.
pub(crate) fn describe_lists(lists: &[licet_verifier::ListReport]) -> String {
    lists
        .iter()
        .map(|list| {
            format!(
                "  list {} {}: {}\n",
                printable(&list.source),
                paint(list.status.as_str(), list.status == ListStatus::Accepted),
                printable(&list.reason)
            )
        })
        .collect()
}

pub(crate) fn read_license(path: &Path) -> Result<Vec<u8>> {
    Ok(read_capped(path, MAX_LICENSE_FILE_BYTES as u64)?.0)
}

fn verify(args: VerifyArgs) -> Result<u8> {
    refuse_stdin_twice(&args.file, &args.pubkeys)?;
    let keys = load_trusted_keys(&args.pubkeys)?;
    let options = verify_options(&args.checks)?.with_clock_tolerance(args.clock_tolerance);
    let file = read_license(&args.file)?;
    let lists = read_revocation_lists(&args.revocations)?;
    let inputs = list_inputs(&lists);
    let report = match &args.state {
        Some(dir) => {
            let settings = StateSettings {
                clock_tolerance_secs: args.clock_tolerance,
                lock_timeout: std::time::Duration::from_secs(args.lock_timeout),
            };
            StatefulVerifier::open(dir, keys, settings)
                .and_then(|verifier| verifier.check(&file, &inputs, &options))
                .map_err(|e| anyhow!(e))?
        }
        None => check_license(&file, &inputs, &keys, &options),
    };
    if args.json {
        print_stdout(&format!("{}\n", serde_json::to_string_pretty(&report)?))?;
    } else if !args.quiet {
        let mut text = describe_report(&report.license);
        text.push_str(&describe_lists(&report.revocation_lists));
        if report.lists_enforced > report.revocation_lists.len() {
            text.push_str(&format!(
                "  revocations enforced from {} list(s), kept in the state\n",
                report.lists_enforced
            ));
        }
        print_stdout(&text)?;
    }
    Ok(if report.passed() {
        EXIT_OK
    } else {
        EXIT_REJECTED
    })
}

pub(crate) fn refuse_stdin_twice(file: &Path, keys: &[PathBuf]) -> Result<()> {
    let stdin = Path::new("-");
    let count = keys.iter().filter(|k| k.as_path() == stdin).count() + usize::from(file == stdin);
    if count > 1 {
        bail!("standard input (`-`) can be given only once: for the license or for one key file");
    }
    Ok(())
}

fn describe_report(report: &VerificationReport) -> String {
    let mut text = format!(
        "{}: {}\n",
        paint(report.status.as_str(), report.valid),
        printable(&report.reason)
    );
    if let Some(license) = &report.license {
        let mut row = |name: &str, value: Option<String>| {
            if let Some(value) = value {
                text.push_str(&format!("  {name:<10} {}\n", printable(&value)));
            }
        };
        row("license", Some(license.license_id.clone()));
        row("customer", Some(license.customer_id.clone()));
        row("type", Some(license.license_type.clone()));
        row("product", license.product.clone());
        row("issued", Some(license.created_at.clone()));
        row(
            "expires",
            Some(
                license
                    .expiry
                    .clone()
                    .unwrap_or_else(|| "never (perpetual)".into()),
            ),
        );
        row(
            "features",
            license
                .features
                .as_ref()
                .map(|f| Value::Object(f.clone()).to_string()),
        );
        row(
            "machines",
            license.machine_ids.as_ref().map(|m| m.join(", ")),
        );
    }
    if let (Some(kid), Some(alg)) = (&report.kid, &report.alg) {
        text.push_str(&format!("  {:<10} {} ({alg})\n", "key", printable(kid)));
    }
    text
}

fn inspect(args: InspectArgs) -> Result<u8> {
    refuse_stdin_twice(&args.file, &args.pubkeys)?;
    let file = read_license(&args.file)?;
    let contents = inspect_untrusted(&file);
    let report = if args.pubkeys.is_empty() {
        None
    } else {
        let keys = load_trusted_keys(&args.pubkeys)?;
        Some(verify_license(&file, &keys, &verify_options(&args.checks)?))
    };
    if args.json {
        let out = json!({"untrusted": contents, "verification": report});
        print_stdout(&format!("{}\n", serde_json::to_string_pretty(&out)?))?;
    } else {
        let mut text = String::from(
            "NOT VERIFIED: decoded without checking the signature; nothing below is trusted.\n",
        );
        if let Some(header) = &contents.header {
            text.push_str(&format!(
                "header: {}\n",
                printable_lines(&serde_json::to_string_pretty(header)?)
            ));
        }
        if let Some(claims) = &contents.claims {
            text.push_str(&format!(
                "claims: {}\n",
                printable_lines(&serde_json::to_string_pretty(claims)?)
            ));
            for name in ["iat", "nbf", "exp"] {
                if let Some(t) = claims
                    .get(name)
                    .and_then(Value::as_i64)
                    .and_then(|s| UnixTime::from_secs(s).ok())
                {
                    text.push_str(&format!("  {name} = {t}\n"));
                }
            }
        }
        if let Some(n) = contents.signature_bytes {
            text.push_str(&format!("signature: {n} bytes\n"));
        }
        for problem in &contents.problems {
            text.push_str(&format!("problem: {}\n", printable(problem)));
        }
        if let Some(report) = &report {
            text.push_str("\nverification with the given keys:\n");
            text.push_str(&describe_report(report));
        }
        print_stdout(&text)?;
    }
    let decoded =
        contents.problems.is_empty() && contents.header.is_some() && contents.claims.is_some();
    Ok(match report {
        Some(r) if !r.valid => EXIT_REJECTED,
        _ if !decoded => EXIT_REJECTED,
        _ => EXIT_OK,
    })
}

fn verify_response(args: VerifyResponseArgs) -> Result<u8> {
    refuse_stdin_twice(&args.file, &args.pubkeys)?;
    let keys = load_trusted_keys(&args.pubkeys)?;
    let bytes = crate::io::read_input(&args.file, 1024 * 1024)?;
    let freshness = licet_verifier::Freshness {
        now: licet_verifier::UnixTime::now(),
        nonce: args.nonce.as_deref(),
        max_age_secs: args.max_age,
        clock_tolerance_secs: args.clock_tolerance,
        license_key: args.license_key.as_deref(),
        machine_id: args.machine.as_deref(),
    };
    let result = licet_verifier::verify_fresh_response(&bytes, &keys, &freshness);
    if args.json {
        let out = match &result {
            Ok(v) => {
                json!({"valid": true, "kind": v.kind, "kid": v.kid, "reason": null, "timestamp": v.timestamp(), "nonce": v.nonce(), "content": v.content})
            }
            Err(e) => {
                json!({"valid": false, "kind": null, "kid": null, "reason": e.to_string(), "timestamp": null, "nonce": null, "content": null})
            }
        };
        print_stdout(&format!("{}\n", serde_json::to_string_pretty(&out)?))?;
    } else {
        match &result {
            Ok(v) => print_stdout(&format!(
                "{}: signed response ({}) verified with kid {}\n",
                paint("VERIFIED", true),
                if v.kind == licet_verifier::ResponseKind::Data {
                    "data + signature"
                } else {
                    "response envelope"
                },
                v.kid
            ))?,
            Err(e) => print_stdout(&format!(
                "{}: {}\n",
                paint("REJECTED", false),
                printable(&e.to_string())
            ))?,
        }
    }
    Ok(if result.is_ok() {
        EXIT_OK
    } else {
        EXIT_REJECTED
    })
}

fn machine_id(args: MachineIdArgs) -> Result<u8> {
    let (id, source) = match &args.raw {
        Some(raw) => (MachineId::from_raw_identifier(raw), "--raw".to_owned()),
        None => (
            MachineId::this_machine().context("cannot determine this machine's id")?,
            licet_verifier::machine_identifier_sources().join(", then "),
        ),
    };
    if args.json {
        print_stdout(&format!(
            "{}\n",
            json!({"machineId": id.as_str(), "source": source})
        ))?;
    } else {
        print_stdout(&format!("{id}\n"))?;
    }
    Ok(EXIT_OK)
}

fn license_key_new(count: u32, json: bool) -> Result<u8> {
    if count == 0 || count > 100_000 {
        bail!("--count must be between 1 and 100000");
    }
    let keys: Vec<String> = (0..count)
        .map(|_| generate_license_key().to_string())
        .collect();
    if json {
        print_stdout(&format!("{}\n", json!({ "keys": keys })))?;
    } else {
        print_stdout(&(keys.join("\n") + "\n"))?;
    }
    Ok(EXIT_OK)
}

fn license_key_check(key: &str, json: bool) -> Result<u8> {
    // A well-formed key whose check character does not match is refused like a malformed one:
    // both are a "no" for the key as typed. An older key is accepted, as it cannot be checked.
    let verdict = LicenseKey::parse(key).map(|k| {
        let check = k.check_character();
        (k, check)
    });
    let accepted = matches!(verdict, Ok((_, KeyCheck::Valid | KeyCheck::OlderKey)));
    if json {
        let out = match &verdict {
            Ok((k, check)) if accepted => json!({"valid": true, "licenseKey": k.as_str(),
                "reason": null, "check": check.name()}),
            Ok((k, check)) => json!({"valid": false, "licenseKey": null,
                "reason": format!("{k}: {check}"), "check": check.name()}),
            Err(e) => {
                json!({"valid": false, "licenseKey": null, "reason": e.to_string(), "check": null})
            }
        };
        print_stdout(&format!("{out}\n"))?;
    } else {
        match &verdict {
            // The canonical form alone on stdout, as before, for scripts; the verdict on stderr.
            Ok((k, check)) if accepted => {
                print_stdout(&format!("{k}\n"))?;
                print_stderr(&format!("{k}: {check}"));
            }
            Ok((k, check)) => print_stdout(&format!("invalid: {k}: {check}\n"))?,
            Err(e) => print_stdout(&format!("invalid: {e}\n"))?,
        }
    }
    Ok(if accepted { EXIT_OK } else { EXIT_REJECTED })
}
