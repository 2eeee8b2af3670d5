//! Key commands (`keygen`, `key jwks`, `cert info`) and reading signing keys: PEM or PKCS#12,
//! with the passphrase from a file, the environment, or a no-echo prompt on a terminal.

use crate::args::{CertInfoArgs, JwksArgs, KeyPublicArgs, KeygenAlg, KeygenArgs};
use crate::io::{print_stdout, read_input, read_secret, Overwrite, StagedFile};
use crate::output::printable;
use crate::EXIT_OK;
use anyhow::{anyhow, bail, Context, Result};
use licet_issuer::pkcs11::{is_pkcs11_uri, Pin, Pkcs11Error, Pkcs11Uri};
use licet_issuer::{
    jwks, load_pkcs12, self_signed_certificate, write_pkcs12, CertificateInfo, KeyError, KeySpec,
    Passphrase, Pkcs12Error, SigningKey, MAX_PKCS12_BYTES,
};
use licet_verifier::{parse_public_keys, Algorithm, TrustedKeys, UnixTime};
use serde_json::json;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};

/// The largest passphrase file read.
const MAX_PASSPHRASE_FILE_BYTES: usize = 64 * 1024;
/// The subject of `keygen --p12` certificates when none is given.
const DEFAULT_SUBJECT: &str = "CN=licet signing key";
/// The validity of `keygen --p12` certificates when none is given.
const DEFAULT_CERT_DAYS: u32 = 3650;

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

/// The PIN of a PKCS#11 token: `--pin-file` (first line), else `LICET_PKCS11_PIN`, else a no-echo
/// prompt on a terminal; never from the command line or the URI.
fn resolve_pin(file: Option<&Path>, uri: &Pkcs11Uri) -> Result<Pin> {
    if let Some(path) = file {
        let bytes = read_secret(path, MAX_PASSPHRASE_FILE_BYTES)?;
        return Pin::from_file_contents(&bytes)
            .map_err(|_| anyhow!("the PIN file {} is not UTF-8 text", path.display()));
    }
    match std::env::var("LICET_PKCS11_PIN") {
        Ok(value) => return Ok(Pin::new(value)),
        Err(std::env::VarError::NotPresent) => {}
        Err(std::env::VarError::NotUnicode(_)) => bail!("LICET_PKCS11_PIN is not valid Unicode"),
    }
    if std::io::stdin().is_terminal() {
        let text = rpassword::prompt_password(format!(
            "PIN for {}: ",
            uri.token.as_deref().unwrap_or("the token")
        ))
        .context("cannot read the PIN")?;
        return Ok(Pin::new(text));
    }
    Err(Pkcs11Error::PinRequired.into())
}

/// Opens a key in a PKCS#11 token named by a URI.
fn load_token_key(text: &str, pin_file: Option<&Path>, alias: Option<&str>) -> Result<SigningKey> {
    if alias.is_some() {
        bail!(
            "--alias applies to PKCS#12 files only; a PKCS#11 key is named by object= in its URI"
        );
    }
    let uri = Pkcs11Uri::parse(text)?;
    let pin = resolve_pin(pin_file, &uri)?;
    SigningKey::from_pkcs11(&uri, &pin).with_context(|| format!("cannot use the PKCS#11 key {uri}"))
}

/// Asks for a passphrase without echo, if stdin is a terminal.
fn prompt(what: &str) -> Result<Option<Passphrase>> {
    if !std::io::stdin().is_terminal() {
        return Ok(None);
    }
    let text = rpassword::prompt_password(format!("passphrase for {what}: "))
        .context("cannot read the passphrase")?;
    Ok(Some(Passphrase::new(text)))
}

/// A signing key, and its certificate when it came from PKCS#12.
pub struct LoadedKey {
    pub key: SigningKey,
    pub certificate: Option<CertificateInfo>,
}

/// Whether a key file is PKCS#12: by its name (.p12, .pfx), else by its first byte (DER, not PEM).
fn is_pkcs12(path: &Path, bytes: &[u8]) -> bool {
    let extension = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    matches!(extension.as_deref(), Some("p12" | "pfx")) || bytes.first() == Some(&0x30)
}

/// Refuses a PKCS#12 file over the size limit before reading it.
fn check_pkcs12_size(path: &Path) -> Result<()> {
    if let Ok(meta) = std::fs::metadata(path) {
        if meta.is_file() && meta.len() > MAX_PKCS12_BYTES {
            bail!("{}: {}", path.display(), Pkcs12Error::TooLarge);
        }
    }
    Ok(())
}

/// Reads a PKCS#12 file whose bytes were already read (once: `-` may be a pipe).
fn load_identity(
    path: &Path,
    bytes: &[u8],
    passphrase_file: Option<&Path>,
    alias: Option<&str>,
) -> Result<licet_issuer::Pkcs12Identity> {
    let given = resolve_passphrase(passphrase_file)?;
    let name = path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    let context = || format!("cannot use the PKCS#12 file {}", path.display());
    match load_pkcs12(bytes, given.as_ref(), alias, &name) {
        Err(Pkcs12Error::PassphraseRequired) => match prompt(&path.display().to_string())? {
            Some(passphrase) => {
                load_pkcs12(bytes, Some(&passphrase), alias, &name).with_context(context)
            }
            None => Err(Pkcs12Error::PassphraseRequired).with_context(context),
        },
        other => other.with_context(context),
    }
}

/// Reads a signing key: PKCS#12 (with its certificate) or PEM.
pub fn load_signing_key(
    path: &Path,
    passphrase_file: Option<&Path>,
    alias: Option<&str>,
) -> Result<LoadedKey> {
    // `pkcs11:...` names a key in a token (a file of that name is given as ./pkcs11:...).
    if let Some(text) = path.to_str().filter(|t| is_pkcs11_uri(t)) {
        return Ok(LoadedKey {
            key: load_token_key(text, passphrase_file, alias)?,
            certificate: None,
        });
    }
    check_pkcs12_size(path)?;
    let bytes = read_secret(path, MAX_PKCS12_BYTES as usize)?;
    if is_pkcs12(path, &bytes) {
        let identity = load_identity(path, &bytes, passphrase_file, alias)?;
        return Ok(LoadedKey {
            key: identity.key,
            certificate: Some(identity.certificate),
        });
    }
    if alias.is_some() {
        bail!(
            "--alias applies to PKCS#12 files only; {} is PEM",
            path.display()
        );
    }
    let text = std::str::from_utf8(&bytes)
        .map_err(|_| anyhow!("{} is neither PEM text nor PKCS#12", path.display()))?;
    let given = resolve_passphrase(passphrase_file)?;
    let context = || format!("cannot load the signing key {}", path.display());
    let key = match SigningKey::from_pem(text, given.as_ref()) {
        Err(KeyError::PassphraseRequired) => match prompt(&path.display().to_string())? {
            Some(passphrase) => {
                SigningKey::from_pem(text, Some(&passphrase)).with_context(context)?
            }
            None => return Err(KeyError::PassphraseRequired).with_context(context),
        },
        other => other.with_context(context)?,
    };
    Ok(LoadedKey {
        key,
        certificate: None,
    })
}

fn key_paths(prefix: &Path) -> (PathBuf, PathBuf) {
    let with = |suffix: &str| {
        let mut name = prefix.as_os_str().to_owned();
        name.push(suffix);
        PathBuf::from(name)
    };
    (with(".key.pem"), with(".pub.pem"))
}

/// The CN of a subject given as `CN=...,O=...`, or the whole text when it is a plain name.
fn common_name(subject: &str) -> String {
    subject
        .split(',')
        .find_map(|part| {
            part.trim()
                .strip_prefix("CN=")
                .or_else(|| part.trim().strip_prefix("cn="))
        })
        .unwrap_or(subject)
        .trim()
        .to_owned()
}

pub fn keygen(args: KeygenArgs) -> Result<u8> {
    let spec = match (args.alg, args.bits) {
        (KeygenAlg::Ed25519, Some(_)) => {
            bail!("--bits applies to RSA keys only; Ed25519 keys have a fixed size")
        }
        (KeygenAlg::Ed25519, None) => KeySpec::Ed25519,
        (KeygenAlg::Rs256 | KeygenAlg::Ps256, bits) => KeySpec::Rsa(bits.unwrap_or(2048)),
    };
    if let Some(uri) = args.pkcs11.as_deref() {
        return keygen_in_token(&args, uri, spec);
    }
    let pem_paths = args.out.as_deref().map(key_paths);
    let mut targets: Vec<&Path> = pem_paths
        .iter()
        .flat_map(|(a, b)| [a.as_path(), b.as_path()])
        .collect();
    targets.extend(args.p12.as_deref());
    if let Some(p12) = args.p12.as_deref() {
        if targets.iter().filter(|t| **t == p12).count() > 1 {
            bail!(
                "--p12 {} is also one of the PEM files of --out; choose another name",
                p12.display()
            );
        }
    }
    if !args.force {
        if let Some(existing) = targets.into_iter().find(|p| p.exists()) {
            bail!(
                "{} already exists; use --force to replace it",
                existing.display()
            );
        }
    } else {
        // --force replaces a key with a key, never a file of another kind (a ledger, a list, a
        // license) that a mistyped prefix happens to name.
        use crate::kinds::{refuse_other_kind, FileKind};
        if let Some((private_path, public_path)) = &pem_paths {
            refuse_other_kind(private_path, FileKind::PrivateKey, "a private key")?;
            refuse_other_kind(public_path, FileKind::PublicPem, "a public key")?;
        }
        if let Some(p12) = args.p12.as_deref() {
            refuse_other_kind(p12, FileKind::Binary, "a PKCS#12 keystore")?;
        }
    }
    let mut passphrase = resolve_passphrase(args.passphrase_file.as_deref())?;
    if passphrase.is_none() && args.p12.is_some() {
        // A typo here would lose the key: ask twice.
        if let Some(first) = prompt("the new PKCS#12 file")? {
            match prompt("the new PKCS#12 file (again)")? {
                Some(second) if second.expose() == first.expose() => passphrase = Some(first),
                _ => bail!("the two passphrases differ; nothing was written"),
            }
        }
    }
    if passphrase.as_ref().is_some_and(Passphrase::is_empty) {
        bail!("the passphrase is empty; give a non-empty one, or none at all for an unencrypted PEM key");
    }
    if args.p12.is_some() && passphrase.is_none() {
        bail!("a PKCS#12 file needs a passphrase: give --passphrase-file or LICET_PASSPHRASE");
    }
    let alg = match args.alg {
        KeygenAlg::Ed25519 => Algorithm::EdDSA,
        KeygenAlg::Rs256 => Algorithm::RS256,
        KeygenAlg::Ps256 => Algorithm::PS256,
    };
    // The PEM files record the algorithm: `issue` signs with it, `key jwks` publishes it.
    let key = SigningKey::generate(spec)?.with_algorithm(alg)?;

    // Every file is written in full before any is renamed into place.
    let mut staged = Vec::new();
    if let Some((private_path, public_path)) = &pem_paths {
        staged.push(StagedFile::new(
            private_path,
            key.to_pkcs8_pem(passphrase.as_ref())?.as_bytes(),
            0o600,
        )?);
        staged.push(StagedFile::new(
            public_path,
            key.public_key_pem()?.as_bytes(),
            0o644,
        )?);
    }
    let mut certificate = None;
    if let (Some(p12_path), Some(passphrase)) = (&args.p12, &passphrase) {
        let subject = args.subject.as_deref().unwrap_or(DEFAULT_SUBJECT);
        let days = args.cert_days.unwrap_or(DEFAULT_CERT_DAYS);
        let der = self_signed_certificate(&key, subject, UnixTime::now(), days)?;
        let bytes = write_pkcs12(&key, &der, passphrase, &common_name(subject))?;
        // Read it back as a user would: the same key, a certificate that matches.
        let name = p12_path.display().to_string();
        let identity = load_pkcs12(&bytes, Some(passphrase), None, &name)
            .context("the new PKCS#12 file did not read back")?;
        if identity.key.kid() != key.kid() {
            bail!("the new PKCS#12 file read back a different key; nothing was written");
        }
        certificate = Some(identity.certificate);
        staged.push(StagedFile::new(p12_path, &bytes, 0o600)?);
    }
    let overwrite = if args.force {
        Overwrite::Replace
    } else {
        Overwrite::Refuse
    };
    for file in staged {
        file.commit(overwrite)?;
    }

    let encrypted = passphrase.is_some();
    if args.json {
        let summary = json!({
            "privateKey": pem_paths.as_ref().map(|(p, _)| p.to_string_lossy()),
            "publicKey": pem_paths.as_ref().map(|(_, p)| p.to_string_lossy()),
            "pkcs12": args.p12.as_ref().map(|p| p.to_string_lossy()),
            "kid": key.kid(),
            "keyType": key.key_type().to_string(),
            "algorithm": alg.name(),
            "encrypted": encrypted,
            "certificate": certificate,
        });
        print_stdout(&format!("{}\n", serde_json::to_string_pretty(&summary)?))?;
    } else {
        let mut text = String::new();
        if let Some((private_path, public_path)) = &pem_paths {
            text.push_str(&format!(
                "wrote {} (private, mode 0600, {}) and {}\n",
                private_path.display(),
                if encrypted {
                    "encrypted"
                } else {
                    "NOT encrypted"
                },
                public_path.display()
            ));
        }
        if let (Some(p12_path), Some(cert)) = (&args.p12, &certificate) {
            text.push_str(&format!(
                "wrote {} (PKCS#12, mode 0600, AES-256-CBC): certificate {}, valid until {}\n",
                p12_path.display(),
                printable(&cert.subject),
                cert.expiry
            ));
        }
        text.push_str(&format!(
            "key type {}, algorithm {alg} (recorded in the PEM files), kid {}\n",
            key.key_type(),
            key.kid()
        ));
        if args.p12.is_some() && alg == Algorithm::PS256 {
            text.push_str("note: a PKCS#12 file does not record the algorithm: sign with `licet issue --alg PS256` when you use it, or use the PEM files\n");
        }
        print_stdout(&text)?;
    }
    Ok(EXIT_OK)
}

/// Reads every trusted key from the given files.
pub fn load_trusted_keys(paths: &[PathBuf]) -> Result<TrustedKeys> {
    let mut keys = TrustedKeys::new();
    for path in paths {
        let bytes = read_input(path, licet_verifier::MAX_KEY_FILE_BYTES)?;
        let parsed = parse_public_keys(&bytes)
            .with_context(|| format!("cannot use the public key file {}", path.display()))?;
        parsed.into_iter().for_each(|k| keys.push(k));
    }
    Ok(keys)
}

pub fn key_jwks(args: JwksArgs) -> Result<u8> {
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

/// `keygen --pkcs11`: the key pair is made inside the token; only PREFIX.pub.pem is written.
fn keygen_in_token(args: &KeygenArgs, uri: &str, spec: KeySpec) -> Result<u8> {
    let Some(prefix) = args.out.as_deref() else {
        bail!("--pkcs11 needs --out PREFIX: the public key is written to PREFIX.pub.pem");
    };
    let (_, public_path) = key_paths(prefix);
    if public_path.exists() {
        if !args.force {
            bail!(
                "{} already exists; use --force to replace it",
                public_path.display()
            );
        }
        crate::kinds::refuse_other_kind(
            &public_path,
            crate::kinds::FileKind::PublicPem,
            "a public key",
        )?;
    }
    let uri = Pkcs11Uri::parse(uri)?;
    let pin = resolve_pin(args.passphrase_file.as_deref(), &uri)?;
    let alg = match args.alg {
        KeygenAlg::Ed25519 => Algorithm::EdDSA,
        KeygenAlg::Rs256 => Algorithm::RS256,
        KeygenAlg::Ps256 => Algorithm::PS256,
    };
    let key = SigningKey::generate_in_pkcs11(&uri, &pin, spec)
        .with_context(|| format!("cannot make a key in the PKCS#11 token of {uri}"))?
        .with_algorithm(alg)?;
    // The token made the key; a test signature shows it signs and that the public half is its.
    key.sign(alg, b"licet keygen --pkcs11 self-test")
        .context("the new key in the token cannot sign")?;
    let staged = StagedFile::new(&public_path, key.public_key_pem()?.as_bytes(), 0o644)?;
    staged.commit(if args.force {
        Overwrite::Replace
    } else {
        Overwrite::Refuse
    })?;
    let (token, _) = key.token().unwrap_or(("?", ""));
    if args.json {
        let summary = json!({
            "publicKey": public_path.to_string_lossy(),
            "pkcs11": uri.to_string(),
            "token": token,
            "kid": key.kid(),
            "keyType": key.key_type().to_string(),
            "algorithm": alg.name(),
        });
        print_stdout(&format!("{}\n", serde_json::to_string_pretty(&summary)?))?;
    } else {
        print_stdout(&format!(
            "made a {} key in token {} (non-extractable; the private key stays there)\nwrote {}\nkid: {}\n",
            key.key_type(),
            printable(token),
            public_path.display(),
            key.kid()
        ))?;
    }
    Ok(EXIT_OK)
}

pub fn key_public(args: KeyPublicArgs) -> Result<u8> {
    let LoadedKey { key, .. } = load_signing_key(
        &args.key,
        args.passphrase_file.as_deref(),
        args.alias.as_deref(),
    )?;
    let pem = key.public_key_pem()?;
    if args.json {
        let out = json!({"publicKey": pem, "kid": key.kid(), "keyType": key.key_type().to_string(),
                         "algorithm": key.default_algorithm().name(),
                         "algorithmRecorded": key.made_for().is_some()});
        print_stdout(&format!("{}\n", serde_json::to_string_pretty(&out)?))?;
    } else {
        print_stdout(&pem)?;
    }
    Ok(EXIT_OK)
}

pub fn cert_info(args: CertInfoArgs) -> Result<u8> {
    check_pkcs12_size(&args.file)?;
    let bytes = read_secret(&args.file, MAX_PKCS12_BYTES as usize)?;
    let identity = load_identity(
        &args.file,
        &bytes,
        args.passphrase_file.as_deref(),
        args.alias.as_deref(),
    )?;
    let cert = &identity.certificate;
    if args.json {
        print_stdout(&format!("{}\n", serde_json::to_string_pretty(cert)?))?;
    } else {
        let rows = [
            ("name", cert.name.clone()),
            ("type", cert.certificate_type.to_owned()),
            ("subject", cert.subject.clone()),
            ("issuer", cert.issuer.clone()),
            ("serial", cert.serial.clone()),
            ("notBefore", cert.not_before.clone()),
            ("expiry", cert.expiry.clone()),
            (
                "key",
                format!("{} {} bits", cert.key_algorithm, cert.key_size),
            ),
            ("kid", cert.kid.clone()),
            ("sha256", cert.sha256_fingerprint.clone()),
            (
                "chain",
                format!("{} more certificate(s)", cert.chain_length),
            ),
        ];
        let text: String = rows
            .iter()
            .map(|(k, v)| format!("{k:<10} {}\n", printable(v)))
            .collect();
        print_stdout(&text)?;
    }
    Ok(EXIT_OK)
}
