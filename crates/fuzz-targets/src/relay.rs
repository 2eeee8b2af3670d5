//! The targets of floating seats: the relay request a customer's relay writes (read by the
//! vendor's `licet relay grant`) and the lease token a relay answers with (read by every product,
//! `verify_lease`).

use crate::fixed;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use licet_issuer::pool::{mint_pool_license, PoolGrant, RelayRequest};
use licet_verifier::lease::{verify_lease, LeaseClaims, PoolTerms};
use licet_verifier::{Algorithm, MachineCheck, TrustedKeys, VerifyOptions};

/// A relay request, as `licet relay grant` reads it. Asserts: a request that parses reads back
/// unchanged from its own JSON; the pool license granted for it verifies with the vendor key, is
/// bound to the request's machine, and names the request's relay key and the seat count granted.
pub fn relay_request(data: &[u8]) {
    let Ok(request) = RelayRequest::parse(data) else {
        return;
    };
    match RelayRequest::parse(request.to_json().as_bytes()) {
        Ok(back) => assert_eq!(back, request, "the request changed in a round trip"),
        Err(e) => panic!("a request that parsed does not read back from its own JSON: {e}"),
    }
    let grant = PoolGrant {
        license_id: "POOL-FUZZ".into(),
        customer_id: fixed::CUSTOMER.into(),
        seats: 7,
        product: Some(fixed::PRODUCT.into()),
        issuer: None,
        expires_at: Some(fixed::now().saturating_add(86_400)),
        features: None,
        max_lease_ttl_secs: Some(900),
    };
    let minted = match mint_pool_license(fixed::ed25519_key(), None, &request, &grant, fixed::now())
    {
        Ok(minted) => minted,
        Err(e) => panic!("a request that parsed could not be granted: {e}"),
    };
    let options = VerifyOptions {
        machine: MachineCheck::NotChecked,
        accept_pool_licenses: true,
        ..VerifyOptions::at(fixed::now())
    };
    let report =
        licet_verifier::verify_license(minted.token.as_bytes(), fixed::trusted_keys(), &options);
    let Some(verified) = report.valid_license() else {
        panic!("a granted pool license does not verify: {}", report.reason);
    };
    let terms = match PoolTerms::from_claims(verified.claims()) {
        Ok(terms) => terms,
        Err(e) => panic!("a granted pool license has no usable terms: {e}"),
    };
    let key = match request.key() {
        Ok(key) => key,
        Err(e) => panic!("a request that parsed has no usable key: {e}"),
    };
    assert_eq!(
        terms.relay_kid(),
        key.kid(),
        "the pool names another relay key"
    );
    assert_eq!(
        terms.relay_machine.as_str(),
        request.machine_id,
        "the pool is bound elsewhere"
    );
    assert_eq!(terms.seats, 7);
}

/// A lease token, checked against the fixed pool license (granted by the fixed vendor key to the
/// fixed relay key, [`fixed::pool_license`]). Asserts: a lease judged valid is one whose
/// signature verifies again from its raw parts with the relay key, whose claims name the fixed
/// pool and machine, and which is unexpired and within the pool's `max_lease_ttl`.
pub fn lease(data: &[u8]) {
    let options = VerifyOptions::at(fixed::now()).with_machine(fixed::machine());
    let report = verify_lease(
        data,
        fixed::pool_license().as_bytes(),
        fixed::trusted_keys(),
        &options,
    );
    if !report.valid {
        return;
    }
    let Some(claims) = report.lease_claims() else {
        panic!("a valid lease report has no claims");
    };
    check_claims(claims);
    let text = std::str::from_utf8(data).unwrap_or_else(|_| panic!("a valid lease is not UTF-8"));
    let Some((signing_input, signature)) = text.trim().rsplit_once('.') else {
        panic!("a valid lease is not a compact JWS");
    };
    let signature = URL_SAFE_NO_PAD
        .decode(signature)
        .unwrap_or_else(|e| panic!("a valid lease's signature is not base64url: {e}"));
    let relay: TrustedKeys = [fixed::relay_key().public_key().clone()]
        .into_iter()
        .collect();
    let verified = relay.iter().any(|key| {
        key.verify_signature(Algorithm::EdDSA, signing_input.as_bytes(), &signature)
            .is_ok()
    });
    assert!(
        verified,
        "a lease judged valid does not verify with the relay key"
    );
}

/// A usage report, as `licet relay verify-report` reads it, checked against the fixed relay key.
/// Asserts: a report that verifies lists every day of its period once per pool, in order, and
/// names the relay key that signed it; its claims signed again verify to the same claims; and a
/// vendor's record accepts it as a relay's first report, then refuses it as STALE.
pub fn usage_report(data: &[u8]) {
    use licet_issuer::usage::{sign_usage_report, utc_days, verify_usage_report, ReportLedger};
    let relay = fixed::relay_key();
    let Ok(verified) = verify_usage_report(data, relay.public_key(), fixed::now()) else {
        return;
    };
    let report = &verified.report;
    assert_eq!(
        report.relay_kid,
        relay.kid(),
        "a report of another relay key"
    );
    let days = utc_days(report.period).unwrap_or_else(|e| panic!("a valid report's period: {e}"));
    for pool in &report.pools {
        let listed: Vec<&String> = pool.days.iter().map(|d| &d.day).collect();
        assert_eq!(
            listed,
            days.iter().collect::<Vec<_>>(),
            "days of a valid report"
        );
    }
    let again = sign_usage_report(relay, report)
        .unwrap_or_else(|e| panic!("a valid report's claims do not sign again: {e}"));
    match verify_usage_report(again.as_bytes(), relay.public_key(), fixed::now()) {
        Ok(back) => assert_eq!(&back.report, report, "the claims changed when signed again"),
        Err(e) => panic!("a valid report signed again does not verify: {e}"),
    }
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("temp dir: {e}"));
    let ledger = ReportLedger::new(dir.path());
    if let Err(e) = ledger.accept(&verified, fixed::now()) {
        panic!("a valid report is refused as a relay's first: {e}");
    }
    match ledger.accept(&verified, fixed::now()) {
        Err(e) => assert_eq!(e.status(), "STALE", "{e}"),
        Ok(_) => panic!("the same report was accepted twice"),
    }
}

fn check_claims(claims: &LeaseClaims) {
    assert_eq!(
        claims.pool_license_id,
        fixed::POOL_LICENSE_ID,
        "a valid lease of another pool"
    );
    assert_eq!(
        claims.machine_id,
        fixed::machine(),
        "a valid lease of another machine"
    );
    assert!(
        claims.expires_at > fixed::now(),
        "a valid lease that has expired"
    );
    assert!(
        claims.expires_at.as_secs() - claims.issued_at.as_secs()
            <= i64::from(fixed::POOL_MAX_LEASE_TTL),
        "a valid lease longer than the pool allows"
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The `valid.jwt` seed's kind of lease is judged valid, so the target's assertions on a
    /// valid lease are reached (a corpus of refusals only would test nothing past the parser).
    #[test]
    fn a_lease_of_the_fixed_relay_is_valid() {
        let claims = LeaseClaims {
            lease_id: "L".into(),
            machine_id: fixed::machine(),
            pool_license_id: fixed::POOL_LICENSE_ID.into(),
            issued_at: fixed::now().saturating_add(-60),
            expires_at: fixed::now().saturating_add(600),
        };
        let token = licet_issuer::pool::sign_lease(fixed::relay_key(), &claims).expect("signs");
        let options = VerifyOptions::at(fixed::now()).with_machine(fixed::machine());
        let report = verify_lease(
            token.as_bytes(),
            fixed::pool_license().as_bytes(),
            fixed::trusted_keys(),
            &options,
        );
        assert!(report.valid, "{}", report.reason);
        lease(token.as_bytes());
        relay_request(fixed::relay_request().to_json().as_bytes());
    }

    /// The `valid.jwt` seed of `usage_report` verifies, so the target's assertions are reached.
    #[test]
    fn the_valid_usage_report_seed_verifies() {
        let seed = include_bytes!("../../../fuzz/corpus/usage_report/valid.jwt");
        let verified = licet_issuer::usage::verify_usage_report(
            seed,
            fixed::relay_key().public_key(),
            fixed::now(),
        );
        assert!(verified.is_ok(), "{verified:?}");
        usage_report(seed);
    }
}
