//! The activation rules, one implementation for every transport: `/license/activate` and the
//! offline request/response files. A seat is taken atomically by the store, and its license file,
//! bound to the machine, is minted inside the same transaction: a seat whose file cannot be made
//! is never taken.
//!
//! Seat files are leases: a file expires at `min(key expiry, now + lease)`, and the key's own end
//! travels as `entitlement_exp`. Online, `/license/validate` renews the lease; a machine whose
//! seat was freed keeps a file that dies at its lease end.

use crate::store::{
    ActivateError, Activation, ActivationOutcome, AdminEntry, LicenseKeyRecord, SeatFileError,
    SeatFileMaker, Store, StoreError,
};
use aws_lc_rs::digest::{digest, SHA256};
use licet_issuer::{mint_license, KeySpec, MintError, SigningKey};
use licet_verifier::{
    LicenseClaims, LicenseKey, LicenseType, MachineId, UnixTime, MAX_LICENSE_FILE_BYTES,
};
use std::collections::HashMap;
use std::ops::RangeInclusive;
use std::sync::Mutex;

/// SHA-256 of a license key's canonical text: how keys are stored and looked up.
pub fn key_hash(key: &LicenseKey) -> Vec<u8> {
    digest(&SHA256, key.as_str().as_bytes()).as_ref().to_vec()
}

/// The lease of an online seat whose key sets no `lease_days`.
pub const DEFAULT_LEASE_DAYS: i64 = 30;

/// The `lease_days` a key may set: one day to ten years.
pub const LEASE_DAYS: RangeInclusive<i64> = 1..=3650;

/// A cached seat file is answered again until the lease end a new file would carry is more than
/// this much later than the cached file's `exp` (the project's decision: most validations cost
/// no license signature, and a returned file's lease end is within a day of `now + lease`).
pub const RENEWAL_STEP_SECS: i64 = 86_400;

const DAY_SECS: i64 = 86_400;

/// `/license/validate` records a seat's `last_validated_at` only when the stored value is older
/// than this (or absent), deciding from the row it read anyway: so the hot path writes at most
/// once per seat per minute, and `last_validated_at` is accurate to within this many seconds.
/// `AppState::validation_stamp_secs` overrides it (tests).
pub const VALIDATION_STAMP_SECS: i64 = 60;

/// Whether a validation at `now` should be written, given the seat's stored stamp.
pub fn validation_stamp_due(last_validated_at: Option<i64>, now: i64, granularity: i64) -> bool {
    last_validated_at.is_none_or(|last| now.saturating_sub(last) >= granularity)
}

/// The longest hostname stored with a seat, in bytes (a DNS name is at most 253).
pub const MAX_HOSTNAME_BYTES: usize = 253;

/// Checks a hostname named by an activation: 1 to [`MAX_HOSTNAME_BYTES`] bytes, no control
/// characters and no invisible formatting characters (bidirectional overrides, zero-width
/// characters), which a customer could use to make a hostname read as another in an
/// administrator's listing. The error is a sentence for the caller.
pub fn check_hostname(hostname: &str) -> Result<(), String> {
    if hostname.is_empty() || hostname.len() > MAX_HOSTNAME_BYTES {
        return Err(format!(
            "The hostname must be 1 to {MAX_HOSTNAME_BYTES} bytes long."
        ));
    }
    if hostname.chars().any(char::is_control) {
        return Err("The hostname must not contain control characters.".into());
    }
    if hostname.chars().any(is_invisible_format) {
        return Err(
            "The hostname must not contain invisible formatting characters (bidirectional or zero-width)."
                .into(),
        );
    }
    Ok(())
}

/// Unicode format characters (general category Cf) that change how text around them reads:
/// bidirectional embeddings, overrides, isolates and marks, zero-width characters, the soft
/// hyphen and the byte-order mark.
fn is_invisible_format(c: char) -> bool {
    matches!(c,
        '\u{00AD}' | '\u{061C}' | '\u{180E}' | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}'
        | '\u{2060}'..='\u{2064}' | '\u{2066}'..='\u{206F}' | '\u{FEFF}')
}

/// The seat holders named in an administrator's refusal (the first ones; the count says how
/// many there are in all).
pub const HOLDERS_NAMED: i64 = 50;

/// Names the machines holding a full key's seats, for an administrator: `id (hostname)`, ...
pub fn describe_holders(holders: &[Activation], in_use: i64) -> String {
    let mut names: Vec<String> = holders
        .iter()
        .map(|a| match &a.hostname {
            Some(host) => format!("{} ({})", a.machine_id, licet_verifier::jws::quote(host)),
            None => a.machine_id.clone(),
        })
        .collect();
    let shown = i64::try_from(holders.len()).unwrap_or(i64::MAX);
    if in_use > shown {
        names.push(format!("and {} more", in_use - shown));
    }
    names.join(", ")
}

/// How a seat's license file travels, which decides its lease.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport<'a> {
    /// `/license/activate` and `/license/validate`: the lease is the key's `lease_days`, else
    /// [`DEFAULT_LEASE_DAYS`]; the machine renews it by validating.
    Online,
    /// `licet activation respond`: the key's `lease_days` when the vendor set one (the machine
    /// re-activates by file before it ends), else the key's expiry. The file carries the
    /// request's nonce.
    Offline {
        /// The request's nonce.
        nonce: &'a str,
    },
}

/// The `exp` of a seat file minted at `now`: the lease end, never later than the key's expiry;
/// `None` (perpetual) only for an offline seat of a perpetual key without `lease_days`.
pub fn seat_file_expiry(
    record: &LicenseKeyRecord,
    now: i64,
    transport: Transport<'_>,
) -> Option<i64> {
    let lease_days = match transport {
        Transport::Online => Some(record.lease_days.unwrap_or(DEFAULT_LEASE_DAYS)),
        Transport::Offline { .. } => record.lease_days,
    };
    let lease_end = lease_days.map(|days| now.saturating_add(days.saturating_mul(DAY_SECS)));
    match (lease_end, record.expires_at) {
        (Some(lease), Some(key_end)) => Some(lease.min(key_end)),
        (lease, key_end) => lease.or(key_end),
    }
}

/// Applies the activation rules: the key exists, is active, is not expired, and has a seat left;
/// a machine that already has a seat keeps it. `make_file` makes the seat's license file inside
/// the store's transaction; if it fails, no seat is taken. A new seat stores `hostname`.
pub async fn activate(
    store: &dyn Store,
    key: &LicenseKey,
    machine: &MachineId,
    hostname: Option<&str>,
    now: i64,
    make_file: SeatFileMaker<'_>,
) -> Result<ActivationOutcome, ActivateError> {
    activate_by_hash(
        store,
        &key_hash(key),
        machine,
        hostname,
        now,
        make_file,
        None,
    )
    .await
}

/// [`activate`] for a key named by its hash (an administrator may name it by id), writing `log`
/// with the new seat in the same transaction. A new seat always gets a new license id, so a
/// machine whose seat was freed never gets its old seat's license id (nor its cached file) back.
pub async fn activate_by_hash(
    store: &dyn Store,
    key_sha256: &[u8],
    machine: &MachineId,
    hostname: Option<&str>,
    now: i64,
    make_file: SeatFileMaker<'_>,
    log: Option<&AdminEntry>,
) -> Result<ActivationOutcome, ActivateError> {
    let license_id = uuid::Uuid::new_v4().to_string();
    store
        .activate(
            key_sha256,
            machine.as_str(),
            &license_id,
            hostname,
            now,
            make_file,
            log,
        )
        .await
}

/// A license file for a seat: signed by `signing_key` (with its default algorithm: EdDSA, or
/// RS256 for RSA), bound to the machine, carrying the key's customer, product, type and features,
/// the seat's license id as `jti`, `exp` at the lease end ([`seat_file_expiry`]) and the key's
/// expiry as `entitlement_exp`; offline, the request's `nonce` too.
pub fn license_file_for_seat(
    signing_key: &SigningKey,
    key: &LicenseKey,
    record: &LicenseKeyRecord,
    activation: &Activation,
    machine: &MachineId,
    now: i64,
    transport: Transport<'_>,
) -> Result<String, MintError> {
    let time =
        |secs: i64| UnixTime::from_secs(secs).map_err(|e| MintError::Encoding(e.to_string()));
    let mut other = serde_json::Map::new();
    if let Transport::Offline { nonce } = transport {
        other.insert("nonce".into(), serde_json::Value::from(nonce));
    }
    let claims = LicenseClaims {
        license_id: activation.license_id.clone(),
        customer_id: record.customer.clone(),
        issued_at: time(now)?,
        not_before: None,
        expires_at: seat_file_expiry(record, now, transport)
            .map(time)
            .transpose()?,
        entitlement_expires_at: record.expires_at.map(time).transpose()?,
        issuer: None,
        product: record.product.clone(),
        license_type: LicenseType::parse(&record.license_type).map_err(MintError::Encoding)?,
        features: record.features.clone(),
        machine_ids: Some(vec![machine.clone()]),
        license_key: Some(key.clone()),
        owner_name: record.owner_name.clone(),
        owner_email: record.owner_email.clone(),
        grace_days: None,
        other,
    };
    Ok(mint_license(signing_key, None, &claims)?.token)
}

/// The longest owner name and e-mail an assignment stores (`POST /api/v1/assign-license-key`).
const MAX_OWNER_FIELD_BYTES: usize = 4096;

/// How much longer than an Ed25519 signature (86 characters) the longest signature the server
/// may use is: RSA-8192, 1,024 bytes, 1,366 characters of base64url.
const LONGEST_SIGNATURE_MARGIN: usize = 1366 - 86;

/// Checks, by minting one, that the license files of a key could be minted for any seat: at
/// creation and on update, so that a key whose seats could never get a file is refused at once
/// rather than failing every activation. The trial file is worst-case: a dummy machine and
/// license id, owner name and e-mail of the longest length an assignment stores, both expiries
/// and an offline nonce, signed by a throwaway Ed25519 key and measured against the limit with
/// room for an RSA-8192 signature. The error names the field to blame.
pub fn check_seat_files_can_be_minted(record: &LicenseKeyRecord, now: i64) -> Result<(), String> {
    let mut worst = record.clone();
    worst.owner_name = Some("n".repeat(MAX_OWNER_FIELD_BYTES));
    worst.owner_email = Some("e".repeat(MAX_OWNER_FIELD_BYTES));
    // Both `exp` and `entitlement_exp` present, with as many digits as any real one.
    worst.expires_at = Some(record.expires_at.unwrap_or(now + 3650 * DAY_SECS));
    let key = LicenseKey::parse_canonical("AAAAA-AAAAA-AAAAA-AAAAA-AAAAA")
        .map_err(|e| format!("the trial license key: {e}"))?;
    let activation = Activation {
        machine_id: "0".repeat(64),
        license_id: uuid::Uuid::nil().to_string(),
        activated_at: now,
        hostname: None,
        last_validated_at: None,
    };
    let machine = MachineId::parse(&activation.machine_id).map_err(|e| e.to_string())?;
    let signing_key = SigningKey::generate(KeySpec::Ed25519).map_err(|e| e.to_string())?;
    let nonce = "n".repeat(22);
    let minted = license_file_for_seat(
        &signing_key,
        &key,
        &worst,
        &activation,
        &machine,
        now,
        Transport::Offline { nonce: &nonce },
    );
    let problem = match minted {
        Ok(file) if file.len() + LONGEST_SIGNATURE_MARGIN <= MAX_LICENSE_FILE_BYTES => return Ok(()),
        Ok(file) => format!(
            "its seats' license files would be about {} bytes, over the {MAX_LICENSE_FILE_BYTES}-byte limit of a license file",
            file.len() + LONGEST_SIGNATURE_MARGIN
        ),
        Err(e) => format!("its seats' license files could not be minted: {e}"),
    };
    if LicenseType::parse(&record.license_type).is_err() {
        return Err(format!("`license_type`: {problem}"));
    }
    // Otherwise the size is what fails: blame the largest of the free-length fields.
    let features = record.features.as_ref().map_or(0, |f| {
        serde_json::Value::Object(f.clone()).to_string().len()
    });
    let customer = record.customer.len();
    let product = record.product.as_ref().map_or(0, String::len);
    let field = if features >= customer && features >= product {
        "features"
    } else if customer >= product {
        "customer"
    } else {
        "product"
    };
    Err(format!(
        "`{field}`: {problem} (room is kept for an owner name and e-mail of {MAX_OWNER_FIELD_BYTES} bytes each)"
    ))
}

/// What `licet activation respond` did.
#[derive(Debug, Clone)]
pub enum OfflineOutcome {
    /// A seat is held by the machine; `file` is its license, carrying the request's nonce.
    Activated {
        /// The license file.
        file: String,
        /// The seat's license id.
        license_id: String,
        /// The key's customer.
        customer: String,
        /// Whether a new seat was taken (false: the machine had one).
        new_seat: bool,
        /// Seats in use.
        activations: i64,
    },
    /// The seat was freed.
    Released {
        /// The released license id.
        license_id: String,
        /// Seats still in use.
        remaining: i64,
    },
}

/// Why an offline request was not granted.
#[derive(Debug, thiserror::Error)]
pub enum RespondError {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The license could not be minted, or `deliver` failed: no seat was taken.
    #[error("no seat was taken: {0}")]
    File(SeatFileError),
    /// The rules refuse it (the same answers as `/license/activate`).
    #[error("{0}")]
    Refused(String),
}

impl From<ActivateError> for RespondError {
    fn from(e: ActivateError) -> Self {
        match e {
            ActivateError::Store(e) => RespondError::Store(e),
            ActivateError::File(e) => RespondError::File(e),
        }
    }
}

/// What `deliver` of [`respond_offline`] gets: the new license file, the seat, and the key.
pub type OfflineDelivery<'a> =
    &'a mut (dyn FnMut(&str, &Activation, &LicenseKeyRecord) -> Result<(), SeatFileError> + Send);

/// Answers an offline activation request or release with the same rules as the server's
/// `/license/activate` and `/license/deactivate` (the same function takes the seat).
///
/// For a request, `deliver` is called with the license file before the seat is committed (it
/// records the ledger entry and stages the output file); if minting or `deliver` fails, the seat
/// is not taken.
pub async fn respond_offline(
    store: &dyn Store,
    signing_key: &SigningKey,
    message: &licet_verifier::offline::OfflineMessage,
    now: i64,
    deliver: OfflineDelivery<'_>,
) -> Result<OfflineOutcome, RespondError> {
    use licet_verifier::offline::OfflineMessage;
    let parse = |key: &str, machine: &str| {
        let key = LicenseKey::parse_canonical(key)
            .map_err(|e| RespondError::Refused(format!("license_key: {e}")))?;
        let machine = MachineId::parse(machine)
            .map_err(|e| RespondError::Refused(format!("machine_id: {e}")))?;
        Ok::<_, RespondError>((key, machine))
    };
    match message {
        OfflineMessage::Request(request) => {
            let (key, machine) = parse(&request.license_key, &request.machine_id)?;
            let mut make_file = |record: &LicenseKeyRecord, activation: &Activation| {
                let file = license_file_for_seat(
                    signing_key,
                    &key,
                    record,
                    activation,
                    &machine,
                    now,
                    Transport::Offline {
                        nonce: &request.nonce,
                    },
                )?;
                deliver(&file, activation, record)?;
                Ok::<_, SeatFileError>(file)
            };
            let hostname = Some(request.hostname.as_str()).filter(|h| check_hostname(h).is_ok());
            match activate(store, &key, &machine, hostname, now, &mut make_file).await? {
                ActivationOutcome::NotFound => {
                    Err(RespondError::Refused("License key not found".into()))
                }
                ActivationOutcome::Suspended => {
                    Err(RespondError::Refused("License key is suspended".into()))
                }
                ActivationOutcome::Expired => {
                    Err(RespondError::Refused("License key has expired".into()))
                }
                ActivationOutcome::LimitReached { max_activations } => {
                    // The vendor runs this command: name the machines holding the seats.
                    let hash = key_hash(&key);
                    let holders = store.list_seats(&hash, HOLDERS_NAMED).await?;
                    let in_use = store.get_license_key(&hash).await?.map_or(0, |(_, n)| n);
                    Err(RespondError::Refused(format!(
                        "Activation limit reached: all {max_activations} seat(s) are in use, held by {}",
                        describe_holders(&holders, in_use)
                    )))
                }
                ActivationOutcome::Active {
                    key: record,
                    activation,
                    activations,
                    new_seat,
                    file,
                } => Ok(OfflineOutcome::Activated {
                    file,
                    license_id: activation.license_id,
                    customer: record.customer,
                    new_seat,
                    activations,
                }),
            }
        }
        OfflineMessage::Release(release) => {
            let (key, machine) = parse(&release.license_key, &release.machine_id)?;
            let hash = key_hash(&key);
            let not_activated = || {
                RespondError::Refused("This machine is not activated for the license key".into())
            };
            let seat = store
                .find_activation(&hash, machine.as_str())
                .await?
                .ok_or_else(not_activated)?;
            if seat.license_id != release.license_id {
                return Err(RespondError::Refused(format!(
                    "the release is for license {}, but the machine's seat holds license {}: it releases an earlier activation",
                    licet_verifier::jws::quote(&release.license_id),
                    seat.license_id
                )));
            }
            let (freed, remaining) = store
                .deactivate(&hash, machine.as_str(), None)
                .await?
                .ok_or_else(not_activated)?;
            Ok(OfflineOutcome::Released {
                license_id: freed.license_id,
                remaining,
            })
        }
    }
}

/// The license files already minted for seats, so that most `/license/validate` requests sign
/// once (the response) rather than twice (the response and a new file).
///
/// One entry per seat (key, machine, license id), holding the file, its `exp`, and every field of
/// the key record that goes into it (customer, product, type, features, owner, the key's expiry,
/// `lease_days`). [`SeatFileCache::get_or_mint`] answers the cached file unless one of those
/// fields changed or the lease end a new file would carry is more than [`RENEWAL_STEP_SECS`]
/// later than the cached `exp`; then it mints a new file with the same `jti` and replaces the
/// entry. A hit is therefore a file equal, claim for claim, to a fresh one but for its `iat` and
/// a lease end at most a day earlier. The map is bounded: when full it is emptied, which costs
/// one signature per seat afterwards and never a wrong answer.
#[derive(Debug, Default)]
pub struct SeatFileCache {
    files: Mutex<CachedFiles>,
}

#[derive(Debug, Default)]
struct CachedFiles {
    by_seat: HashMap<SeatId, CachedFile>,
    bytes: usize,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct SeatId {
    key_sha256: Vec<u8>,
    machine_id: String,
    license_id: String,
}

#[derive(Debug)]
struct CachedFile {
    file: String,
    /// The file's `exp`.
    expires_at: Option<i64>,
    /// The key record's fields that went into the file.
    inputs: FileInputs,
    /// What the entry counts for against [`SEAT_FILE_CACHE_BYTES`].
    weight: usize,
}

#[derive(Debug, PartialEq)]
struct FileInputs {
    customer: String,
    product: Option<String>,
    license_type: String,
    features: Option<serde_json::Map<String, serde_json::Value>>,
    owner_name: Option<String>,
    owner_email: Option<String>,
    entitlement_end: Option<i64>,
    lease_days: Option<i64>,
}

impl FileInputs {
    fn of(record: &LicenseKeyRecord) -> Self {
        FileInputs {
            customer: record.customer.clone(),
            product: record.product.clone(),
            license_type: record.license_type.clone(),
            features: record.features.clone(),
            owner_name: record.owner_name.clone(),
            owner_email: record.owner_email.clone(),
            entitlement_end: record.expires_at,
            lease_days: record.lease_days,
        }
    }

    /// Compared field by field against the record, without copying it (every validate does this).
    fn matches(&self, record: &LicenseKeyRecord) -> bool {
        self.customer == record.customer
            && self.product == record.product
            && self.license_type == record.license_type
            && self.features == record.features
            && self.owner_name == record.owner_name
            && self.owner_email == record.owner_email
            && self.entitlement_end == record.expires_at
            && self.lease_days == record.lease_days
    }

    fn weight(&self) -> usize {
        self.customer.len()
            + self.product.as_ref().map_or(0, String::len)
            + self.license_type.len()
            + self.features.as_ref().map_or(0, |f| {
                serde_json::Value::Object(f.clone()).to_string().len()
            })
            + self.owner_name.as_ref().map_or(0, String::len)
            + self.owner_email.as_ref().map_or(0, String::len)
    }
}

impl SeatId {
    fn weight(&self) -> usize {
        self.key_sha256.len() + self.machine_id.len() + self.license_id.len()
    }
}

/// Seats whose files are kept; about 1.5 KB each with an RSA-2048 signature and few features.
pub const SEAT_FILE_CACHE_ENTRIES: usize = 50_000;
/// Bytes of files kept at most (files with large features count for what they weigh).
pub const SEAT_FILE_CACHE_BYTES: usize = 64 * 1024 * 1024;

/// Whether a cached file whose `exp` is `cached` must give way to one whose `exp` would be `new`.
fn lease_needs_renewal(cached: Option<i64>, new: Option<i64>) -> bool {
    match (cached, new) {
        (Some(cached), Some(new)) => new > cached.saturating_add(RENEWAL_STEP_SECS),
        (None, None) => false,
        _ => true,
    }
}

impl SeatFileCache {
    /// The seat's online license file: the cached one, or a new one from
    /// [`license_file_for_seat`] when the key's fields changed or the lease is due for renewal.
    /// `on_mint` is called with each new file before it is cached or returned (it records the
    /// ledger entry); when it fails, the file is neither cached nor returned. A cache hit calls
    /// nothing.
    #[allow(clippy::too_many_arguments)]
    pub fn get_or_mint(
        &self,
        signing_key: &SigningKey,
        key: &LicenseKey,
        record: &LicenseKeyRecord,
        activation: &Activation,
        machine: &MachineId,
        now: i64,
        on_mint: &mut dyn FnMut(&str) -> Result<(), SeatFileError>,
    ) -> Result<String, SeatFileError> {
        let id = SeatId {
            key_sha256: record.key_sha256.clone(),
            machine_id: machine.as_str().to_owned(),
            license_id: activation.license_id.clone(),
        };
        let lease_end = seat_file_expiry(record, now, Transport::Online);
        if let Some(cached) = self.lock().by_seat.get(&id) {
            if cached.inputs.matches(record) && !lease_needs_renewal(cached.expires_at, lease_end) {
                return Ok(cached.file.clone());
            }
        }
        // Minted outside the lock: two requests for one seat may both sign; both files are valid.
        let file = license_file_for_seat(
            signing_key,
            key,
            record,
            activation,
            machine,
            now,
            Transport::Online,
        )?;
        on_mint(&file)?;
        let inputs = FileInputs::of(record);
        let weight = file.len() + id.weight() + inputs.weight();
        let mut files = self.lock();
        if let Some(old) = files.by_seat.remove(&id) {
            files.bytes -= old.weight;
        }
        if files.by_seat.len() >= SEAT_FILE_CACHE_ENTRIES
            || files.bytes + weight > SEAT_FILE_CACHE_BYTES
        {
            files.by_seat.clear();
            files.bytes = 0;
        }
        if weight <= SEAT_FILE_CACHE_BYTES {
            files.by_seat.insert(
                id,
                CachedFile {
                    file: file.clone(),
                    expires_at: lease_end,
                    inputs,
                    weight,
                },
            );
            files.bytes += weight;
        }
        Ok(file)
    }

    /// Forgets a seat's files (after a deactivation).
    pub fn forget(&self, key_sha256: &[u8], machine: &MachineId) {
        let mut files = self.lock();
        let mut freed = 0;
        files.by_seat.retain(|id, cached| {
            let keep = !(id.key_sha256 == key_sha256 && id.machine_id == machine.as_str());
            if !keep {
                freed += cached.weight;
            }
            keep
        });
        files.bytes -= freed;
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, CachedFiles> {
        self.files
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostnames_that_would_read_as_others_are_refused() {
        assert!(check_hostname("build-07.example").is_ok());
        assert!(check_hostname("bücher-rechner").is_ok());
        for spoof in [
            "build-07\u{202E}lpmaxe",
            "build\u{200B}-07",
            "\u{FEFF}build",
            "a\u{2066}b",
        ] {
            let err = check_hostname(spoof).unwrap_err();
            assert!(err.contains("invisible formatting"), "{spoof:?}: {err}");
        }
        assert!(check_hostname("a\u{1b}[31mb")
            .unwrap_err()
            .contains("control"));
    }

    fn record(expires_at: Option<i64>, lease_days: Option<i64>) -> LicenseKeyRecord {
        LicenseKeyRecord {
            key_sha256: vec![0; 32],
            id: uuid::Uuid::nil().to_string(),
            key_hint: None,
            customer: "C".into(),
            product: None,
            license_type: "STANDARD".into(),
            features: None,
            max_activations: 1,
            expires_at,
            lease_days,
            status: "active".into(),
            owner_name: None,
            owner_email: None,
            created_at: 0,
            updated_at: 0,
        }
    }

    #[test]
    fn the_lease_never_outlives_the_key() {
        let now = 1_000_000;
        let offline = Transport::Offline { nonce: "n" };
        let day = DAY_SECS;
        assert_eq!(
            seat_file_expiry(&record(None, None), now, Transport::Online),
            Some(now + 30 * day)
        );
        assert_eq!(
            seat_file_expiry(&record(None, Some(7)), now, Transport::Online),
            Some(now + 7 * day)
        );
        assert_eq!(
            seat_file_expiry(&record(Some(now + day), None), now, Transport::Online),
            Some(now + day)
        );
        assert_eq!(seat_file_expiry(&record(None, None), now, offline), None);
        assert_eq!(
            seat_file_expiry(&record(Some(now + 99 * day), None), now, offline),
            Some(now + 99 * day)
        );
        assert_eq!(
            seat_file_expiry(&record(Some(now + 99 * day), Some(7)), now, offline),
            Some(now + 7 * day)
        );
        assert_eq!(
            seat_file_expiry(&record(Some(now + day), Some(7)), now, offline),
            Some(now + day)
        );
    }

    #[test]
    fn the_trial_mint_blames_the_field_that_does_not_fit() {
        let with_blob = |bytes: usize| {
            let mut r = record(None, None);
            let mut features = serde_json::Map::new();
            features.insert("blob".into(), serde_json::Value::from("x".repeat(bytes)));
            r.features = Some(features);
            r
        };
        assert_eq!(
            check_seat_files_can_be_minted(&with_blob(38_000), 1_000_000),
            Ok(())
        );
        let refused = check_seat_files_can_be_minted(&with_blob(41_000), 1_000_000);
        assert!(
            refused
                .as_ref()
                .is_err_and(|m| m.starts_with("`features`: ")),
            "{refused:?}"
        );
        let mut bad_type = record(None, None);
        bad_type.license_type = "lower".into();
        let refused = check_seat_files_can_be_minted(&bad_type, 1_000_000);
        assert!(
            refused
                .as_ref()
                .is_err_and(|m| m.starts_with("`license_type`: ")),
            "{refused:?}"
        );
    }

    #[test]
    fn renewal_waits_for_more_than_a_day() {
        assert!(!lease_needs_renewal(
            Some(100),
            Some(100 + RENEWAL_STEP_SECS)
        ));
        assert!(lease_needs_renewal(
            Some(100),
            Some(101 + RENEWAL_STEP_SECS)
        ));
        assert!(!lease_needs_renewal(Some(100), Some(50)));
        assert!(!lease_needs_renewal(None, None));
        assert!(lease_needs_renewal(None, Some(1)));
    }
}
