//! The fixed material every target checks against, so that a run is reproducible and the seed
//! corpora (made by `examples/make_corpus.rs`) reach past the signature checks: the demo keys of
//! `keys/` (public knowledge, committed), one clock, one machine, one license key, one nonce,
//! one PKCS#12 passphrase and one API token. Keys are parsed and the control license is signed at
//! first use (Ed25519 and RSA PKCS#1 v1.5 signatures are deterministic, so it is the same file on
//! every run).

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use licet_issuer::{mint_license, SigningKey};
use licet_verifier::offline::{ActivationRequest, REQUEST_TYPE};
use licet_verifier::{
    Algorithm, LicenseClaims, LicenseKey, MachineCheck, MachineId, TrustedKey, TrustedKeys,
    UnixTime, VerifyOptions,
};
use serde_json::{json, Map, Value};
use std::sync::OnceLock;

/// The trusted Ed25519 public key (`keys/demo-ed25519.pub.pem`).
pub const ED25519_PUBLIC_PEM: &str = include_str!("../../../keys/demo-ed25519.pub.pem");
/// The trusted RSA-2048 public key (`keys/demo-rsa2048.pub.pem`): RS256 and PS256.
pub const RSA_PUBLIC_PEM: &str = include_str!("../../../keys/demo-rsa2048.pub.pem");
/// The Ed25519 private key, for the round trips that sign again what was read.
const ED25519_PRIVATE_PEM: &str = include_str!("../../../keys/demo-ed25519.key.pem");
/// The RSA private key: the server's response key and the RS256 signer.
const RSA_PRIVATE_PEM: &str = include_str!("../../../keys/demo-rsa2048.key.pem");

/// The evaluation time of every target: 2027-01-01T00:00:00Z (the attack corpus's time too).
pub const NOW_SECS: i64 = 1_798_761_600;
/// The passphrase of every PKCS#12 file the `pkcs12` and `server` seeds hold.
pub const PKCS12_PASSPHRASE: &str = "licet-fuzz";
/// The nonce of the pending offline request and of the pending time-attestation request
/// (base64url of `licet-fuzz-nonce`).
pub const NONCE: &str = "bGljZXQtZnV6ei1ub25jZQ";
/// The state id of the `time_attestation` target's state (hex of `licet-fuzz-state`).
pub const STATE_ID: &str = "6c696365742d66757a7a2d7374617465";
/// The API token of the `server` target, with every permission and no expiry.
pub const TOKEN: &str = "lct_bGljZXQtZnV6ei1hZG1pbi10b2tlbi0zMi1ieXRlcyE";
/// The token's user (`X-User-Id` of the workspace routes).
pub const USER: &str = "fuzz";
/// The id of the department that exists in the `server` target's database (certificates are
/// uploaded into it).
pub const DEPARTMENT_ID: &str = "6c696365-742d-4675-a87a-2d6465707400";
/// The customer of the fixed license key and of the control license.
pub const CUSTOMER: &str = "ACME-FUZZ";
/// The product of the fixed license key and of the control license.
pub const PRODUCT: &str = "fuzz-product";
/// The id of the control license (a valid Ed25519 license named by `kid`).
pub const CONTROL_LICENSE_ID: &str = "L-FUZZ-CONTROL";
/// The id of the pool license the `lease` target checks leases against.
pub const POOL_LICENSE_ID: &str = "POOL-FUZZ";
/// That pool's `max_lease_ttl`, in seconds.
pub const POOL_MAX_LEASE_TTL: u32 = 900;
/// The relay key's seed (32 bytes, `licet-fuzz-relay-key-seed-000000`): the key that signs the
/// `lease` target's leases.
const RELAY_SEED: &[u8; 32] = b"licet-fuzz-relay-key-seed-000000";

/// [`NOW_SECS`].
pub fn now() -> UnixTime {
    UnixTime::from_secs(NOW_SECS).unwrap_or(UnixTime::EPOCH)
}

/// The machine node-locked licenses are checked against, and the one the pending offline
/// request names.
pub fn machine() -> MachineId {
    MachineId::from_raw_identifier("licet-fuzz-machine")
}

/// The license key that exists in the `server` target's database and that the pending offline
/// request names: 24 symbols `ABCD...` and its check character.
pub fn license_key() -> LicenseKey {
    let mut indexes = [0u8; 24];
    for (i, slot) in indexes.iter_mut().enumerate() {
        *slot = (i % 31) as u8;
    }
    match LicenseKey::from_payload_indexes(&indexes) {
        Some(key) => key,
        None => unreachable!("the indexes are within the alphabet"),
    }
}

struct Keys {
    trusted: TrustedKeys,
    ed25519: SigningKey,
    rsa: SigningKey,
    control: String,
}

fn keys() -> &'static Keys {
    static KEYS: OnceLock<Keys> = OnceLock::new();
    KEYS.get_or_init(|| {
        let load = |pem: &str| match TrustedKey::from_pem(pem) {
            Ok(key) => key,
            Err(e) => panic!("a committed demo public key does not load: {e}"),
        };
        let trusted: TrustedKeys = [load(ED25519_PUBLIC_PEM), load(RSA_PUBLIC_PEM)]
            .into_iter()
            .collect();
        let ed25519 = new_ed25519_key();
        let rsa = new_rsa_key();
        let claims = LicenseClaims {
            expires_at: Some(now().saturating_add(365 * 86_400)),
            product: Some(PRODUCT.into()),
            issuer: Some("licet fuzz".into()),
            ..LicenseClaims::new(CONTROL_LICENSE_ID, CUSTOMER, now().saturating_add(-86_400))
        };
        let control = match mint_license(&ed25519, Some(Algorithm::EdDSA), &claims) {
            Ok(minted) => minted.token,
            Err(e) => panic!("the control license cannot be signed: {e}"),
        };
        Keys {
            trusted,
            ed25519,
            rsa,
            control,
        }
    })
}

/// The fixed trusted key set: the Ed25519 key and the RSA key, in that order.
pub fn trusted_keys() -> &'static TrustedKeys {
    &keys().trusted
}

/// A fresh copy of [`trusted_keys`] (a [`TrustedKeys`] is not `Clone`).
pub fn trusted_keys_owned() -> TrustedKeys {
    trusted_keys().iter().cloned().collect()
}

/// The Ed25519 signing key (the vendor key of the offline and time-attestation round trips).
pub fn ed25519_key() -> &'static SigningKey {
    &keys().ed25519
}

/// The RSA signing key (the server's response key).
pub fn rsa_key() -> &'static SigningKey {
    &keys().rsa
}

fn private(pem: &str) -> SigningKey {
    match SigningKey::from_pem(pem, None) {
        Ok(key) => key,
        Err(e) => panic!("a committed demo private key does not load: {e}"),
    }
}

/// A new copy of the Ed25519 signing key (a [`SigningKey`] is not `Clone`).
pub fn new_ed25519_key() -> SigningKey {
    private(ED25519_PRIVATE_PEM)
}

/// A new copy of the RSA signing key.
pub fn new_rsa_key() -> SigningKey {
    private(RSA_PRIVATE_PEM)
}

/// The private key of the trusted key `kid`, if it is one of the two.
pub fn signing_key_for(kid: &str) -> Option<&'static SigningKey> {
    [ed25519_key(), rsa_key()]
        .into_iter()
        .find(|k| k.kid() == kid)
}

/// A valid license (Ed25519, named by `kid`, of [`CUSTOMER`] for [`PRODUCT`], valid at
/// [`now`]): the other file of every batch, and the license the state and revocation checks run.
pub fn control_license() -> &'static str {
    &keys().control
}

/// The options every license check uses: at [`now`], node-locked licenses against [`machine`].
pub fn verify_options() -> VerifyOptions {
    VerifyOptions {
        machine: MachineCheck::Machine(machine()),
        ..VerifyOptions::at(now())
    }
}

/// A compact JWS of `claims` with the header `{"alg", "kid", "typ"}`, signed by `key`: how the
/// issuer signs licenses, lists and attestations.
pub fn sign_compact(
    key: &SigningKey,
    alg: Algorithm,
    typ: &str,
    claims: &Map<String, Value>,
) -> String {
    let header = json!({"alg": alg.name(), "typ": typ, "kid": key.kid()});
    let mut token = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(Value::Object(claims.clone()).to_string())
    );
    let signature = match key.sign(alg, token.as_bytes()) {
        Ok(signature) => signature,
        Err(e) => panic!("a demo key cannot sign: {e}"),
    };
    token.push('.');
    token.push_str(&URL_SAFE_NO_PAD.encode(signature));
    token
}

/// Whether the compact JWS in `file` (surrounding whitespace ignored) carries a signature by the
/// trusted key `kid` with `alg`: checked here from the raw parts, independently of the parser
/// that accepted it.
pub fn signature_verifies(file: &[u8], kid: &str, alg: Algorithm) -> bool {
    let Ok(text) = std::str::from_utf8(file) else {
        return false;
    };
    let text = text.trim();
    let Some((signing_input, signature)) = text.rsplit_once('.') else {
        return false;
    };
    let Ok(signature) = URL_SAFE_NO_PAD.decode(signature) else {
        return false;
    };
    trusted_keys().iter().filter(|k| k.kid() == kid).any(|k| {
        k.verify_signature(alg, signing_input.as_bytes(), &signature)
            .is_ok()
    })
}

/// A new empty directory for one input's files (a state directory), on the RAM disk
/// `/dev/shm` when there is one (no disk writes, no fsync cost), else in the temporary directory.
pub fn scratch_dir() -> tempfile::TempDir {
    let shm = std::path::Path::new("/dev/shm");
    let made = if shm.is_dir() {
        tempfile::Builder::new()
            .prefix("licet-fuzz-")
            .tempdir_in(shm)
    } else {
        Err(std::io::Error::other("no /dev/shm"))
    };
    match made.or_else(|_| tempfile::Builder::new().prefix("licet-fuzz-").tempdir()) {
        Ok(dir) => dir,
        Err(e) => panic!("no scratch directory can be made: {e}"),
    }
}

/// The offline activation request the `offline_response` target's state holds as pending: the
/// fixed license key on the fixed machine, nonce [`NONCE`].
pub fn pending_request() -> ActivationRequest {
    ActivationRequest {
        kind: REQUEST_TYPE.into(),
        version: 1,
        license_key: license_key().as_str().to_owned(),
        machine_id: machine().as_str().to_owned(),
        hostname: "fuzz-host".into(),
        time: now().to_rfc3339(),
        nonce: NONCE.into(),
    }
}

/// The relay's Ed25519 signing key, made from a fixed seed.
pub fn relay_key() -> &'static SigningKey {
    static KEY: OnceLock<SigningKey> = OnceLock::new();
    KEY.get_or_init(|| {
        // PKCS#8 of an Ed25519 seed (RFC 8410): a fixed prefix, then the 32 bytes.
        let mut der = vec![
            0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22,
            0x04, 0x20,
        ];
        der.extend_from_slice(RELAY_SEED);
        match SigningKey::from_pkcs8_der(&der) {
            Ok(key) => key,
            Err(e) => panic!("the fixed relay key does not load: {e}"),
        }
    })
}

/// The pool license of the `lease` target: [`POOL_LICENSE_ID`], 5 seats, granted by the Ed25519
/// vendor key to [`relay_key`] on [`machine`], product [`PRODUCT`], valid for a year from [`now`].
pub fn pool_license() -> &'static str {
    static POOL: OnceLock<String> = OnceLock::new();
    POOL.get_or_init(|| {
        let request = relay_request();
        let grant = licet_issuer::pool::PoolGrant {
            license_id: POOL_LICENSE_ID.into(),
            customer_id: CUSTOMER.into(),
            seats: 5,
            product: Some(PRODUCT.into()),
            issuer: None,
            expires_at: Some(now().saturating_add(365 * 86_400)),
            features: None,
            max_lease_ttl_secs: Some(POOL_MAX_LEASE_TTL),
        };
        match licet_issuer::pool::mint_pool_license(
            ed25519_key(),
            Some(Algorithm::EdDSA),
            &request,
            &grant,
            now().saturating_add(-60),
        ) {
            Ok(minted) => minted.token,
            Err(e) => panic!("the fixed pool license cannot be signed: {e}"),
        }
    })
}

/// The fixed relay request: [`relay_key`] on [`machine`], nonce [`NONCE`], made at [`now`].
pub fn relay_request() -> licet_issuer::pool::RelayRequest {
    match licet_issuer::pool::RelayRequest::new(relay_key().public_key(), &machine(), now()) {
        Ok(request) => licet_issuer::pool::RelayRequest {
            nonce: NONCE.into(),
            hostname: "fuzz-relay".into(),
            ..request
        },
        Err(e) => panic!("the fixed relay request cannot be made: {e}"),
    }
}
