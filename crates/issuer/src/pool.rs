//! Floating seats, the signing side: the relay request a customer's relay writes (`licet relay
//! init`), the pool license the vendor signs for it (`licet relay grant`), and the lease tokens
//! the relay signs with its own key (`licet relay serve`). The verifier's
//! [`licet_verifier::lease`] reads all three.

use crate::mint::{mint_license, sign_compact, MintError, MintedLicense};
use crate::signing_key::SigningKey;
use licet_verifier::lease::{
    relay_key_from_jwk, LeaseClaims, PoolTerms, LEASE_TYP, MAX_LEASE_TTL_SECS, MAX_POOL_SEATS,
    POOL_LICENSE_TYPE,
};
use licet_verifier::offline::{hostname, new_nonce};
use licet_verifier::{
    Algorithm, KeyType, LicenseClaims, LicenseType, MachineId, TrustedKey, UnixTime,
};
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

/// `type` of a relay request file.
pub const RELAY_REQUEST_TYPE: &str = "licet-relay-request";
/// The largest relay request file read.
pub const MAX_RELAY_REQUEST_BYTES: usize = 16 * 1024;

/// What a relay sends the vendor to be granted a pool: its public key and its machine.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RelayRequest {
    /// [`RELAY_REQUEST_TYPE`].
    #[serde(rename = "type")]
    pub kind: String,
    /// 1.
    pub version: u32,
    /// The relay's public key, an Ed25519 JWK with its thumbprint as `kid`.
    pub relay_key: Map<String, Value>,
    /// The relay machine's id (64 hex).
    pub machine_id: String,
    /// The relay machine's host name, for the vendor's records.
    pub hostname: String,
    /// When the request was made, RFC 3339.
    pub time: String,
    /// 128 random bits, base64url: carried into the pool license.
    pub nonce: String,
}

/// Why a relay request or a pool grant was refused.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PoolError {
    /// The request file is not a relay request.
    #[error("{0}")]
    BadRequest(String),
    /// The grant's terms are out of range.
    #[error("{0}")]
    BadTerms(String),
    /// Signing failed.
    #[error(transparent)]
    Mint(#[from] MintError),
}

impl RelayRequest {
    /// A request for the relay key `relay_key` (Ed25519) on `machine`.
    pub fn new(
        relay_key: &TrustedKey,
        machine: &MachineId,
        now: UnixTime,
    ) -> Result<Self, PoolError> {
        if relay_key.key_type() != KeyType::Ed25519 {
            return Err(PoolError::BadRequest(format!(
                "a relay key is Ed25519, not {}",
                relay_key.key_type()
            )));
        }
        let Value::Object(jwk) = relay_key.jwk(Some(Algorithm::EdDSA)) else {
            return Err(PoolError::BadRequest("the relay key has no JWK".into()));
        };
        Ok(RelayRequest {
            kind: RELAY_REQUEST_TYPE.into(),
            version: 1,
            relay_key: jwk,
            machine_id: machine.as_str().to_owned(),
            hostname: hostname(),
            time: now.to_rfc3339(),
            nonce: new_nonce().map_err(|e| PoolError::BadRequest(e.to_string()))?,
        })
    }

    /// Reads a relay request strictly: type, version and every field's format.
    pub fn parse(bytes: &[u8]) -> Result<Self, PoolError> {
        let bad = |m: String| PoolError::BadRequest(m);
        if bytes.len() > MAX_RELAY_REQUEST_BYTES {
            return Err(bad(format!(
                "the file is larger than {MAX_RELAY_REQUEST_BYTES} bytes"
            )));
        }
        let value: Value =
            serde_json::from_slice(bytes).map_err(|e| bad(format!("the file is not JSON: {e}")))?;
        match value.get("type").and_then(Value::as_str) {
            Some(RELAY_REQUEST_TYPE) => {}
            Some(other) => {
                return Err(bad(format!(
                    "the file's `type` is {}; expected {RELAY_REQUEST_TYPE} (the file `licet relay init` wrote)",
                    licet_verifier::jws::quote(other)
                )))
            }
            None => {
                return Err(bad(format!(
                    "the file has no `type` {RELAY_REQUEST_TYPE}: it is not a relay request"
                )))
            }
        }
        let request: RelayRequest =
            serde_json::from_value(value).map_err(|e| bad(format!("the relay request {e}")))?;
        if request.version != 1 {
            return Err(bad(format!(
                "version {} is not one this licet knows (1)",
                request.version
            )));
        }
        request.key().map_err(|e| bad(format!("relay_key {e}")))?;
        MachineId::parse_canonical(&request.machine_id)
            .map_err(|e| bad(format!("machine_id: {e}")))?;
        UnixTime::parse_rfc3339(&request.time).map_err(|e| bad(format!("time: {e}")))?;
        if request.nonce.len() != 22 {
            return Err(bad(
                "nonce: expected 22 base64url characters (128 bits)".into()
            ));
        }
        if request.hostname.len() > 253 {
            return Err(bad("hostname: longer than 253 characters".into()));
        }
        Ok(request)
    }

    /// The relay's public key.
    pub fn key(&self) -> Result<TrustedKey, String> {
        relay_key_from_jwk(&self.relay_key)
    }

    /// The compact JSON of the request (what is written and carried).
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
}

/// The terms of a pool the vendor grants.
#[derive(Debug, Clone)]
pub struct PoolGrant {
    /// The pool license's id (`jti`).
    pub license_id: String,
    /// The customer (`sub`).
    pub customer_id: String,
    /// How many leases may be out at once.
    pub seats: u32,
    /// The product (`aud`).
    pub product: Option<String>,
    /// The vendor (`iss`).
    pub issuer: Option<String>,
    /// The pool's expiry; `None` is perpetual.
    pub expires_at: Option<UnixTime>,
    /// Entitlements, copied into the pool license.
    pub features: Option<Map<String, Value>>,
    /// The longest lease the relay may sign, in seconds.
    pub max_lease_ttl_secs: Option<u32>,
}

/// Signs a pool license for `request`: type `POOL`, bound to the relay's machine, naming the relay
/// key in `cnf.jwk` (RFC 7800, with its RFC 7638 thumbprint as `kid`), with `seats`, an optional
/// `max_lease_ttl` and the request's `nonce`. The result is verified (as any minted license) and
/// its pool terms read back before it is returned.
pub fn mint_pool_license(
    key: &SigningKey,
    alg: Option<Algorithm>,
    request: &RelayRequest,
    grant: &PoolGrant,
    now: UnixTime,
) -> Result<MintedLicense, PoolError> {
    if grant.seats == 0 || grant.seats > MAX_POOL_SEATS {
        return Err(PoolError::BadTerms(format!(
            "the seat count must be 1 to {MAX_POOL_SEATS}, not {}",
            grant.seats
        )));
    }
    if let Some(ttl) = grant.max_lease_ttl_secs {
        if ttl == 0 || ttl > MAX_LEASE_TTL_SECS {
            return Err(PoolError::BadTerms(format!(
                "the longest lease must be 1 second to 31 days, not {ttl} seconds"
            )));
        }
    }
    let relay_key = request
        .key()
        .map_err(|e| PoolError::BadRequest(format!("relay_key {e}")))?;
    let machine = MachineId::parse_canonical(&request.machine_id)
        .map_err(|e| PoolError::BadRequest(format!("machine_id: {e}")))?;
    let mut claims = LicenseClaims {
        expires_at: grant.expires_at,
        issuer: grant.issuer.clone(),
        product: grant.product.clone(),
        license_type: LicenseType::parse(POOL_LICENSE_TYPE).map_err(PoolError::BadTerms)?,
        features: grant.features.clone(),
        machine_ids: Some(vec![machine]),
        ..LicenseClaims::new(grant.license_id.clone(), grant.customer_id.clone(), now)
    };
    let mut jwk = relay_key.jwk(Some(Algorithm::EdDSA));
    if let Value::Object(map) = &mut jwk {
        map.remove("use");
    }
    claims.other.insert("cnf".into(), json!({ "jwk": jwk }));
    claims
        .other
        .insert("seats".into(), Value::from(grant.seats));
    if let Some(ttl) = grant.max_lease_ttl_secs {
        claims
            .other
            .insert("max_lease_ttl".into(), Value::from(ttl));
    }
    claims
        .other
        .insert("nonce".into(), Value::from(request.nonce.clone()));
    let minted = mint_license(key, alg, &claims)?;
    let terms = PoolTerms::from_claims(&minted.claims)
        .map_err(|e| MintError::SelfCheck(format!("the pool terms did not read back: {e}")))?;
    if terms.relay_kid() != relay_key.kid() || terms.seats != grant.seats {
        return Err(
            MintError::SelfCheck("the pool terms did not read back unchanged".into()).into(),
        );
    }
    Ok(minted)
}

/// Signs a lease token (`typ` `lease+jwt`, EdDSA, `kid` the relay key's thumbprint) with the
/// relay's Ed25519 key. No self-check: the relay signs thousands per second, and its tests verify
/// every kind of token it answers with [`licet_verifier::lease::verify_lease`].
pub fn sign_lease(relay_key: &SigningKey, claims: &LeaseClaims) -> Result<String, MintError> {
    sign_compact(relay_key, Algorithm::EdDSA, LEASE_TYP, &claims.to_json())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::signing_key::KeySpec;
    use licet_verifier::lease::{verify_lease, LeasePart};
    use licet_verifier::{Status, TrustedKeys, VerifyOptions};

    struct World {
        vendor: SigningKey,
        relay: SigningKey,
        pool: MintedLicense,
        now: UnixTime,
        machine: MachineId,
    }

    fn world(ttl: Option<u32>) -> World {
        let vendor = SigningKey::generate(KeySpec::Ed25519).expect("vendor key");
        let relay = SigningKey::generate(KeySpec::Ed25519).expect("relay key");
        let now = UnixTime::from_secs(1_800_000_000).expect("t");
        let request = RelayRequest::new(
            relay.public_key(),
            &MachineId::from_raw_identifier("relay-host"),
            now,
        )
        .expect("request");
        let request = RelayRequest::parse(request.to_json().as_bytes()).expect("reads back");
        let pool = mint_pool_license(&vendor, None, &request, &grant(now, ttl), now).expect("pool");
        World {
            vendor,
            relay,
            pool,
            now,
            machine: MachineId::from_raw_identifier("render-7"),
        }
    }

    fn grant(now: UnixTime, ttl: Option<u32>) -> PoolGrant {
        PoolGrant {
            license_id: "POOL-1".into(),
            customer_id: "ACME".into(),
            seats: 10,
            product: Some("render".into()),
            issuer: None,
            expires_at: Some(now.saturating_add(30 * 86_400)),
            features: None,
            max_lease_ttl_secs: ttl,
        }
    }

    fn lease(w: &World, pool: &str, ttl: i64, key: &SigningKey) -> String {
        sign_lease(
            key,
            &LeaseClaims {
                lease_id: "lease-1".into(),
                machine_id: w.machine.clone(),
                pool_license_id: pool.into(),
                issued_at: w.now,
                expires_at: w.now.saturating_add(ttl),
            },
        )
        .expect("lease")
    }

    fn check(
        w: &World,
        token: &str,
        pool: &str,
        at: UnixTime,
    ) -> licet_verifier::lease::LeaseReport {
        let keys: TrustedKeys = [w.vendor.public_key().clone()].into_iter().collect();
        verify_lease(
            token.as_bytes(),
            pool.as_bytes(),
            &keys,
            &VerifyOptions::at(at).with_machine(w.machine.clone()),
        )
    }

    #[test]
    fn the_chain_verifies_and_each_break_is_named() {
        let w = world(Some(900));
        let good = lease(&w, "POOL-1", 900, &w.relay);
        let report = check(&w, &good, &w.pool.token, w.now.saturating_add(60));
        assert_eq!(report.status, Status::Active, "{}", report.reason);
        assert!(report.valid && report.part.is_none());

        let expired = check(&w, &good, &w.pool.token, w.now.saturating_add(900));
        assert_eq!(
            (expired.status, expired.part),
            (Status::Expired, Some(LeasePart::Lease))
        );

        let long = lease(&w, "POOL-1", 901, &w.relay);
        assert_eq!(
            check(&w, &long, &w.pool.token, w.now).status,
            Status::LeaseTooLong
        );

        let other_pool = lease(&w, "POOL-2", 60, &w.relay);
        assert_eq!(
            check(&w, &other_pool, &w.pool.token, w.now).status,
            Status::WrongPool
        );

        let stranger = SigningKey::generate(KeySpec::Ed25519).expect("key");
        let forged = lease(&w, "POOL-1", 60, &stranger);
        assert_eq!(
            check(&w, &forged, &w.pool.token, w.now).status,
            Status::UnknownKey
        );

        // The relay's kid on a stranger's signature: the signature is what fails.
        let (head, _) = good.rsplit_once('.').expect("jws");
        let (_, sig) = forged.rsplit_once('.').expect("jws");
        let spliced = format!("{head}.{sig}");
        assert_eq!(
            check(&w, &spliced, &w.pool.token, w.now).status,
            Status::BadSignature
        );

        let keys: TrustedKeys = [w.vendor.public_key().clone()].into_iter().collect();
        let elsewhere = verify_lease(
            good.as_bytes(),
            w.pool.token.as_bytes(),
            &keys,
            &VerifyOptions::at(w.now).with_machine(MachineId::from_raw_identifier("other")),
        );
        assert_eq!(elsewhere.status, Status::MachineMismatch);

        // The pool license's own failures come first, with part = pool.
        let after_pool = check(&w, &good, &w.pool.token, w.now.saturating_add(31 * 86_400));
        assert_eq!(
            (after_pool.status, after_pool.part),
            (Status::Expired, Some(LeasePart::Pool))
        );
        let not_pool = mint_license(
            &w.vendor,
            None,
            &LicenseClaims::new("POOL-1", "ACME", w.now),
        )
        .expect("license");
        let report = check(&w, &good, &not_pool.token, w.now);
        assert_eq!(
            (report.status, report.part),
            (Status::WrongPool, Some(LeasePart::Pool))
        );
        // A license file given as the lease is not a lease.
        assert_eq!(
            check(&w, &w.pool.token, &w.pool.token, w.now).status,
            Status::Malformed
        );
    }

    #[test]
    fn grants_out_of_range_are_refused() {
        let w = world(None);
        let request = RelayRequest::new(
            w.relay.public_key(),
            &MachineId::from_raw_identifier("relay-host"),
            w.now,
        )
        .expect("request");
        let mut grant = PoolGrant {
            license_id: "P".into(),
            customer_id: "C".into(),
            seats: 0,
            product: None,
            issuer: None,
            expires_at: None,
            features: None,
            max_lease_ttl_secs: None,
        };
        assert!(matches!(
            mint_pool_license(&w.vendor, None, &request, &grant, w.now),
            Err(PoolError::BadTerms(_))
        ));
        grant.seats = 1;
        grant.max_lease_ttl_secs = Some(MAX_LEASE_TTL_SECS + 1);
        assert!(matches!(
            mint_pool_license(&w.vendor, None, &request, &grant, w.now),
            Err(PoolError::BadTerms(_))
        ));
    }

    #[test]
    fn relay_requests_are_read_strictly() {
        let w = world(None);
        let request = RelayRequest::new(
            w.relay.public_key(),
            &MachineId::from_raw_identifier("relay-host"),
            w.now,
        )
        .expect("request");
        let mut value: Value = serde_json::from_str(&request.to_json()).expect("json");
        value["relay_key"]["kid"] = Value::from("someone-else");
        let e = RelayRequest::parse(value.to_string().as_bytes()).expect_err("refused");
        assert!(e.to_string().contains("thumbprint"), "{e}");
        let e =
            RelayRequest::parse(br#"{"type":"licet-activation-request"}"#).expect_err("refused");
        assert!(e.to_string().contains("licet relay init"), "{e}");
        let rsa = SigningKey::generate(KeySpec::Rsa(2048)).expect("rsa");
        assert!(RelayRequest::new(rsa.public_key(), &w.machine, w.now).is_err());
    }

    /// Found by the relay_request fuzz target: a machine id in upper case (or with spaces) was
    /// accepted and granted a pool bound to its lower-case form, so the grant named another
    /// machine than the request. A relay writes its request itself: only the canonical form is
    /// read, and the pool names exactly the machine the request does.
    #[test]
    fn a_machine_id_not_in_canonical_form_is_refused() {
        let w = world(None);
        let request = RelayRequest::new(w.relay.public_key(), &w.machine, w.now).expect("request");
        let canonical = request.machine_id.clone();
        for variant in [canonical.to_ascii_uppercase(), format!(" {canonical}\n")] {
            let mut value: Value = serde_json::from_str(&request.to_json()).expect("json");
            value["machine_id"] = Value::from(variant.clone());
            let e = RelayRequest::parse(value.to_string().as_bytes()).expect_err("refused");
            assert!(e.to_string().contains("canonical form"), "{variant:?}: {e}");
            let mut bent = request.clone();
            bent.machine_id = variant;
            let grant = grant(w.now, None);
            assert!(mint_pool_license(&w.vendor, None, &bent, &grant, w.now).is_err());
        }
    }
}
