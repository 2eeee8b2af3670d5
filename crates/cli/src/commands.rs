//! One function per command: turn arguments into library calls, and results into output.

use crate::args::*;
use crate::io::{
    print_stderr, print_stdout, read_capped, read_input, read_secret, write_output, Overwrite,
    StagedFile,
};
use crate::output::{paint, printable};
use crate::{EXIT_OK, EXIT_REJECTED};
use anyhow::{anyhow, bail, Context, Result};
use licet_issuer::{
    generate_license_id, generate_license_key, jwks, mint_license, parse_date, parse_feature,
    DateMeaning, KeySpec, Passphrase, SigningKey,
};
use licet_verifier::{
    inspect_untrusted, parse_public_keys, verify_license, Algorithm, LicenseClaims, LicenseKey,
    LicenseType, MachineCheck, MachineId, TrustedKeys, UnixTime, VerificationReport, VerifyOptions,
    MAX_LICENSE_FILE_BYTES,
};
use serde_json::{json, Map, Value};
use std::path::{Path, PathBuf};

mod demo;

/// The largest key file read.
const MAX_KEY_FILE_BYTES: u64 = 1024 * 1024;
/// The largest passphrase file read.
const MAX_PASSPHRASE_FILE_BYTES: usize = 64 * 1024;

/// Runs a command and returns the exit code.
pub fn run(cli: Cli) -> Result<u8> {
    match cli.command {
        Command::Keygen(args) => keygen(args),
        Command::Key(KeyCommand::Jwks(args)) => key_jwks(args),
        Command::Issue(args) => issue(*args),
        Command::Verify(args) => verify(args),
        Command::Inspect(args) => inspect(args),
        Command::MachineId(args) => machine_id(args),
        Command::LicenseKey(LicenseKeyCommand::New { count, json }) => license_key_new(count, json),
        Command::LicenseKey(LicenseKeyCommand::Check { key, json }) => {
            license_key_check(&key, json)
        }
        Command::Demo(args) => demo::run(args.keep),
    }
}

/// The passphrase from `--passphrase-file` (first line), else `LICET_PASSPHRASE`, else none.
pub fn resolve_passphrase(file: Option<&Path>) -> Result<Option<Passphrase>> {
    if let Some(path) = file {
        let bytes = read_secret(path, MAX_PASSPHRASE_FILE_BYTES)?;
        let passphrase = Passphrase::from_file_contents(&bytes)
            .map_err(|_| anyhow!("the passphrase file {} is not UTF-8 text", path.display()))?;
        return Ok(Some(passphrase));
    }
    match std::env::var("LICET_PASSPHRASE") {
        Ok(value) => Ok(Some(Passphrase::new(value))),
        Err(std::env::VarError::NotPresent) => Ok(None),
        Err(std::env::VarError::NotUnicode(_)) => bail!("LICET_PASSPHRASE is not valid Unicode"),
    }
}

fn key_paths(prefix: &Path) -> (PathBuf, PathBuf) {
    let with = |suffix: &str| {
        let mut name = prefix.as_os_str().to_owned();
        name.push(suffix);
        PathBuf::from(name)
    };
    (with(".key.pem"), with(".pub.pem"))
}

fn keygen(args: KeygenArgs) -> Result<u8> {
    let spec = match (args.alg, args.bits) {
        (KeygenAlg::Ed25519, Some(_)) => {
            bail!("--bits applies to RSA keys only; Ed25519 keys have a fixed size")
        }
        (KeygenAlg::Ed25519, None) => KeySpec::Ed25519,
        (KeygenAlg::Rs256 | KeygenAlg::Ps256, bits) => KeySpec::Rsa(bits.unwrap_or(2048)),
    };
    let (private_path, public_path) = key_paths(&args.out);
    if !args.force {
        for path in [&private_path, &public_path] {
            if path.exists() {
                bail!(
                    "{} already exists; use --force to replace it",
                    path.display()
                );
            }
        }
    }
    let passphrase = resolve_passphrase(args.passphrase_file.as_deref())?;
    if passphrase.as_ref().is_some_and(Passphrase::is_empty) {
        bail!(
            "the passphrase is empty; give a non-empty one, or none at all for an unencrypted key"
        );
    }
    let key = SigningKey::generate(spec)?;
    let private_pem = key.to_pkcs8_pem(passphrase.as_ref())?;
    let public_pem = key.public_key_pem()?;
    let overwrite = if args.force {
        Overwrite::Replace
    } else {
        Overwrite::Refuse
    };
    // Both files are written in full before either is renamed into place.
    let private_file = StagedFile::new(&private_path, private_pem.as_bytes(), 0o600)?;
    let public_file = StagedFile::new(&public_path, public_pem.as_bytes(), 0o644)?;
    private_file.commit(overwrite)?;
    public_file.commit(overwrite)?;
    if args.json {
        let summary = json!({
            "privateKey": private_path.to_string_lossy(), "publicKey": public_path.to_string_lossy(), "kid": key.kid(),
            "keyType": key.key_type().to_string(), "encrypted": passphrase.is_some(),
        });
        print_stdout(&format!("{}\n", serde_json::to_string_pretty(&summary)?))?;
    } else {
        print_stdout(&format!(
            "wrote {} (private, mode 0600{}) and {}\nkey type {}, kid {}\n",
            private_path.display(),
            if passphrase.is_some() {
                ", encrypted"
            } else {
                ", NOT encrypted"
            },
            public_path.display(),
            key.key_type(),
            key.kid()
        ))?;
    }
    Ok(EXIT_OK)
}

/// Reads every trusted key from the given files.
pub fn load_trusted_keys(paths: &[PathBuf]) -> Result<TrustedKeys> {
    let mut keys = TrustedKeys::new();
    for path in paths {
        let bytes = read_input(path, MAX_KEY_FILE_BYTES)?;
        let parsed = parse_public_keys(&bytes)
            .with_context(|| format!("cannot use the public key file {}", path.display()))?;
        parsed.into_iter().for_each(|k| keys.push(k));
    }
    Ok(keys)
}

fn key_jwks(args: JwksArgs) -> Result<u8> {
    let rsa_alg = match &args.rsa_alg {
        None => None,
        Some(name) => match Algorithm::from_name_ignore_case(name) {
            Some(alg) if alg.is_rsa() => Some(alg),
            _ => bail!("--rsa-alg must be RS256 or PS256, not `{name}`"),
        },
    };
    let keys = load_trusted_keys(&args.keys)?;
    print_stdout(&format!(
        "{}\n",
        serde_json::to_string_pretty(&jwks(keys.iter(), rsa_alg))?
    ))?;
    Ok(EXIT_OK)
}

fn parse_alg(name: Option<&str>) -> Result<Option<Algorithm>> {
    name.map(|n| {
        Algorithm::from_name_ignore_case(n)
            .ok_or_else(|| anyhow!("--alg must be EdDSA, RS256 or PS256, not `{n}`"))
    })
    .transpose()
}

fn issue(args: IssueArgs) -> Result<u8> {
    let alg = parse_alg(args.alg.as_deref())?;
    let passphrase = resolve_passphrase(args.passphrase_file.as_deref())?;
    let key_bytes = read_secret(&args.key, MAX_KEY_FILE_BYTES as usize)?;
    let key_text = std::str::from_utf8(&key_bytes)
        .map_err(|_| anyhow!("{} is not a PEM text file", args.key.display()))?;
    let key = SigningKey::from_pem(key_text, passphrase.as_ref())
        .with_context(|| format!("cannot load the signing key {}", args.key.display()))?;

    let now = match &args.issued_at {
        Some(t) => UnixTime::parse_rfc3339(t)?,
        None => UnixTime::now(),
    };
    let expires_at = match (&args.expires, args.days) {
        (Some(date), _) => {
            Some(parse_date(date, DateMeaning::ThroughEndOfDay).context("--expires")?)
        }
        (None, Some(days)) => Some(now.saturating_add(i64::from(days) * 86_400)),
        (None, None) => None,
    };
    let mut features = Map::new();
    for assignment in &args.features {
        let (name, value) = parse_feature(assignment)?;
        if features.insert(name.clone(), value).is_some() {
            bail!("--feature {name} is given more than once");
        }
    }
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
    let minted = mint_license(&key, alg, &claims)?;

    let to_stdout = args.out.as_deref().map_or(true, |p| p == Path::new("-"));
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

/// Writes a license file, replacing an existing license but never a file holding PEM (a key or
/// certificate given as --out by mistake).
fn write_license(path: &Path, token: &str) -> Result<()> {
    if let Ok((existing, _)) = read_capped(path, MAX_KEY_FILE_BYTES) {
        if existing.windows(11).any(|w| w == b"-----BEGIN ") {
            bail!(
                "{} holds PEM data (a key or certificate?); refusing to replace it with a license",
                path.display()
            );
        }
    }
    write_output(
        path,
        format!("{token}\n").as_bytes(),
        0o644,
        Overwrite::Replace,
    )
}

fn verify_options(checks: &CheckArgs) -> Result<VerifyOptions> {
    let now = match &checks.at {
        Some(at) => UnixTime::parse_rfc3339(at).context("--at")?,
        None => UnixTime::now(),
    };
    let mut options = VerifyOptions::at(now).with_leeway(checks.leeway);
    if let Some(machine) = &checks.machine {
        options.machine = MachineCheck::Machine(MachineId::parse(machine).context("--machine")?);
    }
    options.product = checks.product.clone();
    Ok(options)
}

/// Reads a license file for verification: at most one byte over the limit, so an oversized
/// file reaches the verifier (which rejects it as MALFORMED) without being read whole.
fn read_license(path: &Path) -> Result<Vec<u8>> {
    Ok(read_capped(path, MAX_LICENSE_FILE_BYTES as u64)?.0)
}

fn verify(args: VerifyArgs) -> Result<u8> {
    refuse_stdin_twice(&args.file, &args.pubkeys)?;
    let keys = load_trusted_keys(&args.pubkeys)?;
    let options = verify_options(&args.checks)?;
    let file = read_license(&args.file)?;
    let report = verify_license(&file, &keys, &options);
    if args.json {
        print_stdout(&format!("{}\n", serde_json::to_string_pretty(&report)?))?;
    } else if !args.quiet {
        print_stdout(&describe_report(&report))?;
    }
    Ok(if report.valid { EXIT_OK } else { EXIT_REJECTED })
}

fn refuse_stdin_twice(file: &Path, keys: &[PathBuf]) -> Result<()> {
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
                serde_json::to_string_pretty(header)?
            ));
        }
        if let Some(claims) = &contents.claims {
            text.push_str(&format!(
                "claims: {}\n",
                serde_json::to_string_pretty(claims)?
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
    let result = LicenseKey::parse(key);
    if json {
        let out = match &result {
            Ok(k) => json!({"valid": true, "licenseKey": k.as_str(), "reason": null}),
            Err(e) => json!({"valid": false, "licenseKey": null, "reason": e.to_string()}),
        };
        print_stdout(&format!("{out}\n"))?;
    } else {
        match &result {
            Ok(k) => print_stdout(&format!("{k}\n"))?,
            Err(e) => print_stdout(&format!("invalid: {e}\n"))?,
        }
    }
    Ok(if result.is_ok() {
        EXIT_OK
    } else {
        EXIT_REJECTED
    })
}
