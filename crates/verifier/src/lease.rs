//! Floating seats: a pool license (a licet license file of type `POOL`, bound to the relay's
//! machine, naming the relay's own Ed25519 key and a seat count) and the lease tokens that relay
//! (`licet relay serve`) signs with that key for the machines that take a seat.
//!
//! A product checks the chain offline with [`verify_lease`]: the pool license against the
//! vendor's keys, the lease against the relay key the pool license names (never a key the lease
//! carries), then the lease's pool, lifetime, expiry and machine.
//!
//! ```
//! use licet_verifier::lease::verify_lease;
//! use licet_verifier::{Status, TrustedKeys, UnixTime, VerifyOptions};
//!
//! let report = verify_lease(b"not a lease", b"not a pool", &TrustedKeys::new(),
//!                           &VerifyOptions::at(UnixTime::now()));
//! assert_eq!(report.status, Status::Malformed);
//! assert_eq!(report.part, Some(licet_verifier::lease::LeasePart::Pool));
//! ```

use crate::algorithm::Algorithm;
use crate::claims::{
    describe, numeric_date, optional, owned_string, required, ClaimError, LicenseClaims,
};
use crate::jws::{self, quote, JwsError};
use crate::keys::{TrustedKey, TrustedKeys};
use crate::machine::MachineId;
use crate::report::{Status, VerificationReport};
use crate::timestamp::{human_duration, UnixTime};
use crate::verify::{verify_license, MachineCheck, VerifyOptions};
use serde::Serialize;
use serde_json::{Map, Value};

/// The `typ` header of a lease token.
pub const LEASE_TYP: &str = "lease+jwt";
/// The `license_type` of a pool license.
pub const POOL_LICENSE_TYPE: &str = "POOL";
/// The largest lease token read, in bytes.
pub const MAX_LEASE_BYTES: usize = 8 * 1024;
/// The most seats one pool license may carry.
pub const MAX_POOL_SEATS: u32 = 1_000_000;
/// The longest lease lifetime (`max_lease_ttl`) a pool license may allow: 31 days.
pub const MAX_LEASE_TTL_SECS: u32 = 31 * 86_400;
/// The longest lease accepted from a pool license that sets no `max_lease_ttl`: one day.
pub const DEFAULT_MAX_LEASE_TTL_SECS: u32 = 86_400;
/// How far a lease's `iat` may lie ahead of the evaluation time (relay and product clocks
/// differ): 5 minutes. A lease dated further ahead is NOT_YET_VALID, so a relay clock set forward
/// cannot stretch the leases it signs.
pub const LEASE_CLOCK_SKEW_SECS: i64 = 300;

/// The pool terms a verified pool license carries, on top of its license claims.
#[derive(Debug, Clone)]
pub struct PoolTerms {
    /// The pool license's id (`jti`): what a lease names in `pool`.
    pub license_id: String,
    /// The product (`aud`), if the pool names one.
    pub product: Option<String>,
    /// `seats`: how many leases may be out at once.
    pub seats: u32,
    /// `max_lease_ttl`: the longest lifetime of one lease, in seconds; `None` leaves it to the
    /// relay.
    pub max_lease_ttl_secs: Option<u32>,
    /// The pool license's expiry (`exp`), if any.
    pub expires_at: Option<UnixTime>,
    /// The relay's public key (`cnf.jwk`, RFC 7800), Ed25519, pinned to EdDSA.
    pub relay_key: TrustedKey,
    /// The machine the relay runs on (the pool license's one `machine_ids` entry).
    pub relay_machine: MachineId,
}

impl PoolTerms {
    /// Reads the pool terms from a license's claims: type `POOL`, exactly one machine, `seats`, an
    /// optional `max_lease_ttl`, and `cnf.jwk`, an Ed25519 JWK whose `kid` is its RFC 7638
    /// thumbprint.
    pub fn from_claims(claims: &LicenseClaims) -> Result<Self, ClaimError> {
        let problem = |claim: &str, problem: String| ClaimError {
            claim: claim.into(),
            problem,
        };
        if claims.license_type.as_str() != POOL_LICENSE_TYPE {
            return Err(problem(
                "license_type",
                format!(
                    "is {}, not {POOL_LICENSE_TYPE}: this is not a pool license",
                    quote(claims.license_type.as_str())
                ),
            ));
        }
        let relay_machine = match claims.machine_ids.as_deref() {
            Some([one]) => one.clone(),
            Some(many) => {
                return Err(problem(
                    "machine_ids",
                    format!(
                        "names {} machines; a pool license is bound to exactly one, the relay's",
                        many.len()
                    ),
                ))
            }
            None => {
                return Err(problem(
                    "machine_ids",
                    "is missing; a pool license is bound to the relay's machine".into(),
                ))
            }
        };
        let seats = match claims.other.get("seats").map(Value::as_u64) {
            Some(Some(n)) if (1..=u64::from(MAX_POOL_SEATS)).contains(&n) => n as u32,
            Some(_) => {
                return Err(problem(
                    "seats",
                    format!(
                        "must be a whole number from 1 to {MAX_POOL_SEATS}, not {}",
                        describe(&claims.other["seats"])
                    ),
                ))
            }
            None => return Err(problem("seats", "is missing".into())),
        };
        let max_lease_ttl_secs = match claims.other.get("max_lease_ttl") {
            None => None,
            Some(v) => match v.as_u64() {
                Some(n) if (1..=u64::from(MAX_LEASE_TTL_SECS)).contains(&n) => Some(n as u32),
                _ => {
                    return Err(problem(
                        "max_lease_ttl",
                        format!(
                        "must be a whole number of seconds from 1 to {MAX_LEASE_TTL_SECS}, not {}",
                        describe(v)
                    ),
                    ))
                }
            },
        };
        let jwk = match claims.other.get("cnf") {
            Some(Value::Object(cnf)) => match cnf.get("jwk") {
                Some(Value::Object(jwk)) => jwk,
                _ => {
                    return Err(problem(
                        "cnf",
                        "has no `jwk` object (RFC 7800): the relay's public key".into(),
                    ))
                }
            },
            Some(other) => {
                return Err(problem(
                    "cnf",
                    format!("must be a JSON object, not {}", describe(other)),
                ))
            }
            None => {
                return Err(problem(
                    "cnf",
                    "is missing; a pool license names the relay's key in `cnf.jwk`".into(),
                ))
            }
        };
        let relay_key = relay_key_from_jwk(jwk).map_err(|e| problem("cnf.jwk", e))?;
        Ok(PoolTerms {
            license_id: claims.license_id.clone(),
            product: claims.product.clone(),
            seats,
            max_lease_ttl_secs,
            expires_at: claims.expires_at,
            relay_key,
            relay_machine,
        })
    }

    /// The relay key's RFC 7638 thumbprint: the `kid` of every lease the relay signs.
    pub fn relay_kid(&self) -> &str {
        self.relay_key.kid()
    }
}

/// The relay's key from a JWK: Ed25519 only, pinned to EdDSA, with a `kid` that must be its
/// thumbprint (so the pool license names the key in one unambiguous way).
pub fn relay_key_from_jwk(jwk: &Map<String, Value>) -> Result<TrustedKey, String> {
    let key = TrustedKey::from_jwk(jwk).map_err(|e| format!("is not a usable key: {e}"))?;
    if key.ed25519_key().is_none() {
        return Err(format!(
            "is a {} key; a relay key is Ed25519",
            key.key_type()
        ));
    }
    let key = key
        .restricted_to(&[Algorithm::EdDSA])
        .ok_or_else(|| "does not verify EdDSA".to_owned())?;
    match jwk.get("kid") {
        Some(Value::String(kid)) if kid == key.kid() => Ok(key),
        Some(Value::String(kid)) => Err(format!(
            "has kid {}, which is not the key's RFC 7638 thumbprint {}",
            quote(kid),
            key.kid()
        )),
        _ => Err("has no `kid` (the key's RFC 7638 thumbprint)".into()),
    }
}

/// The claims of a lease token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeaseClaims {
    /// `jti`: the lease id, the same across the renewals of one lease.
    pub lease_id: String,
    /// `machine_id`: the machine holding the seat.
    pub machine_id: MachineId,
    /// `pool`: the pool license's id (`jti`).
    pub pool_license_id: String,
    /// `iat`: when this token was signed.
    pub issued_at: UnixTime,
    /// `exp`: when the lease ends unless renewed.
    pub expires_at: UnixTime,
}

impl LeaseClaims {
    /// The JSON payload.
    pub fn to_json(&self) -> Map<String, Value> {
        let mut map = Map::new();
        map.insert("jti".into(), Value::from(self.lease_id.clone()));
        map.insert("machine_id".into(), Value::from(self.machine_id.as_str()));
        map.insert("pool".into(), Value::from(self.pool_license_id.clone()));
        map.insert("iat".into(), Value::from(self.issued_at.as_secs()));
        map.insert("exp".into(), Value::from(self.expires_at.as_secs()));
        map
    }

    /// Reads and checks the claims of a lease (other claims are ignored).
    pub fn from_json(mut map: Map<String, Value>) -> Result<Self, ClaimError> {
        let text = |v: Value| {
            owned_string(v).and_then(|s| {
                if s.is_empty() || s.len() > 128 {
                    Err("must be 1 to 128 characters".into())
                } else {
                    Ok(s)
                }
            })
        };
        let claims = LeaseClaims {
            lease_id: required(&mut map, "jti", text)?,
            machine_id: required(&mut map, "machine_id", |v| {
                MachineId::parse_canonical(&owned_string(v)?)
                    .map_err(|e| format!("is invalid: {e}"))
            })?,
            pool_license_id: required(&mut map, "pool", text)?,
            issued_at: required(&mut map, "iat", numeric_date)?,
            expires_at: required(&mut map, "exp", numeric_date)?,
        };
        if claims.expires_at <= claims.issued_at {
            return Err(ClaimError {
                claim: "exp".into(),
                problem: format!(
                    "({}) is not after `iat` ({}): the lease was never valid",
                    claims.expires_at, claims.issued_at
                ),
            });
        }
        // Claims not defined for leases are ignored, so relays may add some later.
        let _ = optional(&mut map, "nbf", numeric_date)?;
        Ok(claims)
    }
}

/// Which half of the chain a lease verdict is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum LeasePart {
    /// The pool license (vendor-signed).
    Pool,
    /// The lease token (relay-signed).
    Lease,
}

/// The lease fields of a report, once the lease's signature verified.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LeaseView {
    /// `jti`.
    pub lease_id: String,
    /// `machine_id`.
    pub machine_id: String,
    /// `pool`: the pool license id the lease names.
    pub pool_license_id: String,
    /// `iat` as RFC 3339 UTC.
    pub issued_at: String,
    /// `exp` as RFC 3339 UTC.
    pub expires_at: String,
    /// The kid of the relay key that signed it.
    pub relay_kid: String,
}

/// The result of [`verify_lease`]: what `licet verify-lease --json` prints.
#[derive(Debug, Clone, Serialize)]
pub struct LeaseReport {
    /// True when the pool license is valid and the lease is ACTIVE.
    pub valid: bool,
    /// The verdict: the pool license's status when it is not valid, else the lease's.
    pub status: Status,
    /// Why, in a sentence.
    pub reason: String,
    /// Which half failed; `None` when valid.
    pub part: Option<LeasePart>,
    /// The pool license's own report.
    pub pool: VerificationReport,
    /// The lease's fields; null unless its signature verified.
    pub lease: Option<LeaseView>,
    #[serde(skip)]
    claims: Option<LeaseClaims>,
}

impl LeaseReport {
    /// The lease's claims, when its signature verified (whatever the status).
    pub fn lease_claims(&self) -> Option<&LeaseClaims> {
        self.claims.as_ref()
    }
}

/// Verifies a lease token against the pool license it came from and the vendor's keys.
///
/// The pool license is verified like any license (signature, expiry, product, revocation, the
/// clock guard) except its machine binding, which names the relay's machine, not this one; it
/// must be of type `POOL`. The lease must be a `lease+jwt` signed with EdDSA by the relay key the
/// pool license names, name that pool, live no longer than the pool's `max_lease_ttl`, be
/// unexpired at `options.now` (with `options.leeway_secs`) and, unless `options.machine` is
/// [`MachineCheck::NotChecked`], be for the machine checked. Never panics.
pub fn verify_lease(
    lease: &[u8],
    pool: &[u8],
    keys: &TrustedKeys,
    options: &VerifyOptions,
) -> LeaseReport {
    let pool_options = VerifyOptions {
        machine: MachineCheck::NotChecked,
        accept_pool_licenses: true,
        ..options.clone()
    };
    let pool_report = verify_license(pool, keys, &pool_options);
    let mut report = LeaseReport {
        valid: false,
        status: pool_report.status,
        reason: String::new(),
        part: Some(LeasePart::Pool),
        pool: pool_report,
        lease: None,
        claims: None,
    };
    if !report.pool.valid {
        report.reason = format!("the pool license is not valid: {}", report.pool.reason);
        return report;
    }
    let terms = match report
        .pool
        .verified_license()
        .map(|l| PoolTerms::from_claims(l.claims()))
    {
        Some(Ok(terms)) => terms,
        Some(Err(e)) => {
            let status = if e.claim == "license_type" {
                Status::WrongPool
            } else {
                Status::Malformed
            };
            report.status = status;
            report.reason = format!("the pool license's {e}");
            return report;
        }
        None => {
            report.status = Status::Malformed;
            report.reason = "the pool license was not verified".into();
            return report;
        }
    };
    report.part = Some(LeasePart::Lease);
    let (status, reason) = check_lease(lease, &terms, options, &mut report);
    report.valid = status == Status::Active;
    report.part = (!report.valid).then_some(LeasePart::Lease);
    report.status = status;
    report.reason = reason;
    report
}

fn check_lease(
    lease: &[u8],
    terms: &PoolTerms,
    options: &VerifyOptions,
    report: &mut LeaseReport,
) -> (Status, String) {
    if lease.len() > MAX_LEASE_BYTES {
        return (
            Status::Malformed,
            format!(
                "the lease is larger than {MAX_LEASE_BYTES} bytes, the limit for a lease token"
            ),
        );
    }
    let Ok(text) = std::str::from_utf8(lease) else {
        return (Status::Malformed, "the lease is not UTF-8 text".into());
    };
    let decoded = match jws::decode(text.trim()) {
        Ok(decoded) => decoded,
        Err(e) => return (e.status(), format!("the lease: {e}")),
    };
    match decoded.header().get("typ") {
        Some(Value::String(typ)) if typ.eq_ignore_ascii_case(LEASE_TYP) => {}
        Some(Value::String(typ)) => {
            return (
                Status::Malformed,
                format!(
                    "the lease's header `typ` is {}, not `{LEASE_TYP}`: give the token the relay answered with",
                    quote(typ)
                ),
            )
        }
        _ => {
            return (
                Status::Malformed,
                format!("the lease's header has no `typ` `{LEASE_TYP}`"),
            )
        }
    }
    if decoded.alg() != Algorithm::EdDSA {
        return (
            Status::UnsupportedAlgorithm,
            format!(
                "the lease asks for {}; relay keys are Ed25519 and leases are EdDSA only",
                decoded.alg()
            ),
        );
    }
    match decoded.kid() {
        Some(kid) if kid == terms.relay_kid() => {}
        Some(kid) => {
            return (
                Status::UnknownKey,
                format!(
                    "the lease is signed by relay key {}, but the pool license names relay key {}: the lease comes from another relay",
                    quote(kid),
                    terms.relay_kid()
                ),
            )
        }
        None => {
            return (
                Status::Malformed,
                "the lease's header has no `kid` (the relay key's thumbprint)".into(),
            )
        }
    }
    let relay_keys: TrustedKeys = [terms.relay_key.clone()].into_iter().collect();
    let verified =
        match decoded.verify(&relay_keys) {
            Ok(v) => v,
            Err(e @ JwsError::BadSignature) => return (
                e.status(),
                "the lease's signature does not verify with the relay key the pool license names"
                    .into(),
            ),
            Err(e) => return (e.status(), format!("the lease: {e}")),
        };
    let claims = match crate::json::parse_object(verified.payload())
        .map_err(|e| format!("the lease's claims {e}"))
        .and_then(|map| LeaseClaims::from_json(map).map_err(|e| format!("the lease's {e}")))
    {
        Ok(claims) => claims,
        Err(reason) => return (Status::Malformed, reason),
    };
    report.lease = Some(LeaseView {
        lease_id: claims.lease_id.clone(),
        machine_id: claims.machine_id.as_str().to_owned(),
        pool_license_id: claims.pool_license_id.clone(),
        issued_at: claims.issued_at.to_rfc3339(),
        expires_at: claims.expires_at.to_rfc3339(),
        relay_kid: terms.relay_kid().to_owned(),
    });
    report.claims = Some(claims.clone());
    evaluate(&claims, terms, options)
}

fn evaluate(claims: &LeaseClaims, terms: &PoolTerms, options: &VerifyOptions) -> (Status, String) {
    let now = options.now;
    if claims.pool_license_id != terms.license_id {
        return (
            Status::WrongPool,
            format!(
                "the lease is a seat of pool license {}, not of {} (the pool license given)",
                quote(&claims.pool_license_id),
                quote(&terms.license_id)
            ),
        );
    }
    let skew = LEASE_CLOCK_SKEW_SECS.max(i64::from(options.leeway_secs));
    if claims.issued_at.as_secs() > now.as_secs().saturating_add(skew) {
        return (
            Status::NotYetValid,
            format!(
                "the lease was signed at {}, {} ahead of evaluation time {now} (more than the {} s the clocks of relay and product may differ): the relay's clock is ahead",
                claims.issued_at,
                human_duration(claims.issued_at.as_secs() - now.as_secs()),
                skew
            ),
        );
    }
    if let Err(reason) = options.clock_guard.check(now, Some(claims.issued_at)) {
        return (Status::ClockRollback, format!("the lease: {reason}"));
    }
    let lifetime = claims.expires_at.as_secs() - claims.issued_at.as_secs();
    {
        let max = terms
            .max_lease_ttl_secs
            .unwrap_or(DEFAULT_MAX_LEASE_TTL_SECS);
        if lifetime > i64::from(max) {
            return (
                Status::LeaseTooLong,
                format!(
                    "the lease lives {}, longer than the {} the pool license allows (max_lease_ttl, one day when it sets none): the relay is not keeping the vendor's terms",
                    human_duration(lifetime),
                    human_duration(i64::from(max))
                ),
            );
        }
    }
    let leeway = i64::from(options.leeway_secs);
    if now >= claims.expires_at.saturating_add(leeway) {
        return (
            Status::Expired,
            format!(
                "the lease expired at {}: evaluation time {now} is {} after it; renew it from the relay",
                claims.expires_at,
                human_duration(now.as_secs() - claims.expires_at.as_secs())
            ),
        );
    }
    let machine = match options.machine.resolve() {
        Ok(machine) => machine,
        Err(e) => {
            return (
                Status::MachineMismatch,
                format!("the lease is for one machine, and {e}"),
            )
        }
    };
    if let Some(machine) = machine.filter(|m| *m != claims.machine_id) {
        return (
            Status::MachineMismatch,
            format!(
                "the lease is for machine {}, not {machine}",
                claims.machine_id
            ),
        );
    }
    (
        Status::Active,
        format!(
            "the lease is valid until {} ({} from now), a seat of pool license {}",
            claims.expires_at,
            human_duration(claims.expires_at.as_secs() - now.as_secs()),
            quote(&terms.license_id)
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jwk_of(key: &TrustedKey) -> Map<String, Value> {
        match key.jwk(Some(Algorithm::EdDSA)) {
            Value::Object(m) => m,
            _ => unreachable!("a JWK is an object"),
        }
    }

    fn relay_key() -> TrustedKey {
        TrustedKey::from_ed25519_bytes(&[
            0xd7, 0x5a, 0x98, 0x01, 0x82, 0xb1, 0x0a, 0xb7, 0xd5, 0x4b, 0xfe, 0xd3, 0xc9, 0x64,
            0x07, 0x3a, 0x0e, 0xe1, 0x72, 0xf3, 0xda, 0xa6, 0x23, 0x25, 0xaf, 0x02, 0x1a, 0x68,
            0xf7, 0x07, 0x51, 0x1a,
        ])
        .expect("RFC 8032 test key 1")
    }

    fn pool_claims(extra: Value) -> LicenseClaims {
        let mut claims = LicenseClaims::new(
            "POOL-1",
            "ACME",
            UnixTime::from_secs(1_800_000_000).expect("time"),
        );
        claims.license_type = crate::LicenseType::parse("POOL").expect("type");
        claims.machine_ids = Some(vec![MachineId::from_raw_identifier("relay-host")]);
        claims.other.insert(
            "cnf".into(),
            serde_json::json!({"jwk": jwk_of(&relay_key())}),
        );
        claims.other.insert("seats".into(), Value::from(10));
        if let Value::Object(extra) = extra {
            for (k, v) in extra {
                if v.is_null() {
                    claims.other.remove(&k);
                } else {
                    claims.other.insert(k, v);
                }
            }
        }
        claims
    }

    #[test]
    fn pool_terms_read_back() {
        let terms = PoolTerms::from_claims(&pool_claims(serde_json::json!({"max_lease_ttl": 900})))
            .expect("terms");
        assert_eq!(terms.seats, 10);
        assert_eq!(terms.max_lease_ttl_secs, Some(900));
        assert_eq!(terms.relay_kid(), relay_key().kid());
    }

    #[test]
    fn broken_pool_terms_name_the_claim() {
        let cases = [
            (serde_json::json!({"seats": 0}), "seats"),
            (serde_json::json!({"seats": "10"}), "seats"),
            (serde_json::json!({"seats": null}), "seats"),
            (serde_json::json!({"max_lease_ttl": 0}), "max_lease_ttl"),
            (serde_json::json!({"cnf": null}), "cnf"),
            (serde_json::json!({"cnf": {"jkt": "x"}}), "cnf"),
            (
                serde_json::json!({"cnf": {"jwk": {"kty": "OKP", "crv": "Ed25519", "x": "AAAA"}}}),
                "cnf.jwk",
            ),
        ];
        for (extra, claim) in cases {
            let e = PoolTerms::from_claims(&pool_claims(extra.clone())).expect_err("refused");
            assert_eq!(e.claim, claim, "{extra}: {e}");
        }
        let mut not_pool = pool_claims(Value::Null);
        not_pool.license_type = crate::LicenseType::standard();
        assert_eq!(
            PoolTerms::from_claims(&not_pool)
                .expect_err("refused")
                .claim,
            "license_type"
        );
        let mut two = pool_claims(Value::Null);
        two.machine_ids = Some(vec![
            MachineId::from_raw_identifier("a"),
            MachineId::from_raw_identifier("b"),
        ]);
        assert_eq!(
            PoolTerms::from_claims(&two).expect_err("refused").claim,
            "machine_ids"
        );
    }

    #[test]
    fn a_jwk_kid_other_than_the_thumbprint_is_refused() {
        let mut jwk = jwk_of(&relay_key());
        jwk.insert("kid".into(), Value::from("relay-1"));
        let e = relay_key_from_jwk(&jwk).expect_err("refused");
        assert!(e.contains("thumbprint"), "{e}");
        jwk.remove("kid");
        assert!(relay_key_from_jwk(&jwk).is_err());
    }

    #[test]
    fn lease_claims_round_trip_and_refuse_empty_lifetimes() {
        let claims = LeaseClaims {
            lease_id: "L".into(),
            machine_id: MachineId::from_raw_identifier("m"),
            pool_license_id: "POOL-1".into(),
            issued_at: UnixTime::from_secs(100).expect("t"),
            expires_at: UnixTime::from_secs(200).expect("t"),
        };
        assert_eq!(
            LeaseClaims::from_json(claims.to_json()).expect("read"),
            claims
        );
        let mut never = claims.to_json();
        never.insert("exp".into(), Value::from(100));
        assert_eq!(
            LeaseClaims::from_json(never).expect_err("refused").claim,
            "exp"
        );
        let mut bad_machine = claims.to_json();
        bad_machine.insert("machine_id".into(), Value::from("xyz"));
        assert_eq!(
            LeaseClaims::from_json(bad_machine)
                .expect_err("refused")
                .claim,
            "machine_id"
        );
    }
}
