//! Signing key rollover statements (`licet key rollover`): the old key vouches for the new
//! public key, so that sites that trust only the old key can come to trust the new one without a
//! network. The format is [`licet_verifier::rollover`]'s.

use crate::mint::{sign_compact, MintError};
use crate::signing_key::SigningKey;
use licet_verifier::{
    verify_rollover, Algorithm, KeyType, Rollover, RolloverError, TrustedKey, TrustedKeys,
    UnixTime, ROLLOVER_TYPE,
};
use serde_json::{Map, Value};

/// What a rollover statement says.
#[derive(Debug, Clone)]
pub struct RolloverTerms {
    /// The new public key.
    pub new_key: TrustedKey,
    /// The algorithm the new key is pinned to; `None` takes the key's own (its PEM annotation,
    /// EdDSA for Ed25519); an RSA key without an annotation needs it.
    pub new_alg: Option<Algorithm>,
    /// Files of the new key are believed only from this time, if set.
    pub new_key_valid_from: Option<UnixTime>,
    /// Files of the old key issued from this time are KEY_RETIRED, if set.
    pub old_key_retired_from: Option<UnixTime>,
    /// `iss`, if any.
    pub issuer: Option<String>,
}

/// Why a statement could not be made.
#[derive(Debug, thiserror::Error)]
pub enum RolloverSignError {
    /// Signing failed.
    #[error(transparent)]
    Mint(#[from] MintError),
    /// The statement did not read back (a bug, reported rather than written).
    #[error("the freshly signed rollover statement did not verify ({0}); nothing was written")]
    SelfCheck(#[from] RolloverError),
    /// The new key is the old one.
    #[error("the new key is the old key ({0}): a rollover introduces another key")]
    SameKey(String),
    /// No algorithm for an RSA key without an annotation.
    #[error("the new RSA key does not say which algorithm it signs with (RS256 or PS256): give --new-alg, or use the .pub.pem `licet keygen` wrote")]
    AlgorithmNeeded,
    /// The algorithm cannot be used with the new key.
    #[error("the new {key_type} key cannot sign with {alg}")]
    WrongAlgorithm {
        /// The key's type.
        key_type: KeyType,
        /// The algorithm asked for.
        alg: Algorithm,
    },
}

/// Signs a rollover statement with the old key (`alg` defaults to its own), issued at `now`,
/// and verifies it with the old key's public half before returning it.
pub fn sign_rollover(
    old: &SigningKey,
    alg: Option<Algorithm>,
    terms: &RolloverTerms,
    now: UnixTime,
) -> Result<(String, Rollover), RolloverSignError> {
    if terms.new_key.kid() == old.kid() {
        return Err(RolloverSignError::SameKey(old.kid().to_owned()));
    }
    let new_alg = match (terms.new_alg, terms.new_key.preferred_algorithm()) {
        (Some(alg), _) | (None, Some(alg)) => alg,
        (None, None) => match terms.new_key.key_type() {
            KeyType::Ed25519 => Algorithm::EdDSA,
            KeyType::Rsa { .. } => return Err(RolloverSignError::AlgorithmNeeded),
        },
    };
    if !terms.new_key.algorithms().contains(&new_alg) {
        return Err(RolloverSignError::WrongAlgorithm {
            key_type: terms.new_key.key_type(),
            alg: new_alg,
        });
    }
    let mut claims = Map::new();
    claims.insert("iat".into(), Value::from(now.as_secs()));
    if let Some(issuer) = &terms.issuer {
        claims.insert("iss".into(), Value::from(issuer.clone()));
    }
    claims.insert("old_kid".into(), Value::from(old.kid()));
    claims.insert("new_key".into(), terms.new_key.jwk(Some(new_alg)));
    if let Some(t) = terms.new_key_valid_from {
        claims.insert("new_key_valid_from".into(), Value::from(t.as_secs()));
    }
    if let Some(t) = terms.old_key_retired_from {
        claims.insert("old_key_retired_from".into(), Value::from(t.as_secs()));
    }
    let alg = alg.unwrap_or_else(|| old.default_algorithm());
    let token = sign_compact(old, alg, ROLLOVER_TYPE, &claims)?;
    let keys: TrustedKeys = [old.public_key().clone()].into_iter().collect();
    let back = verify_rollover(token.as_bytes(), &keys)?;
    if back.new_key.kid() != terms.new_key.kid() || back.new_key.algorithms() != [new_alg] {
        return Err(MintError::SelfCheck(
            "the rollover statement did not read back unchanged".into(),
        )
        .into());
    }
    Ok((token, back))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::KeySpec;
    use licet_verifier::{verify_license, LicenseClaims, RevocationList, Status, VerifyOptions};
    use std::sync::Arc;

    fn at(secs: i64) -> UnixTime {
        UnixTime::from_secs(secs).unwrap()
    }

    fn terms(new: &SigningKey) -> RolloverTerms {
        RolloverTerms {
            new_key: new.public_key().clone(),
            new_alg: None,
            new_key_valid_from: None,
            old_key_retired_from: Some(at(2_000_000_000)),
            issuer: None,
        }
    }

    fn license(key: &SigningKey, iat: i64) -> String {
        let claims = LicenseClaims::new(format!("L-{iat}"), "ACME", at(iat));
        crate::mint_license(key, None, &claims).unwrap().token
    }

    #[test]
    fn a_rollover_moves_trust_and_retires_the_old_key_from_its_date() {
        let a = SigningKey::generate(KeySpec::Ed25519).unwrap();
        let b = SigningKey::generate(KeySpec::Rsa(2048)).unwrap();
        // An RSA key made here records no algorithm: the statement must name one.
        assert!(matches!(
            sign_rollover(&a, None, &terms(&b), at(1_900_000_000)),
            Err(RolloverSignError::AlgorithmNeeded)
        ));
        let mut rsa = terms(&b);
        rsa.new_alg = Some(Algorithm::RS256);
        let (token, _) = sign_rollover(&a, None, &rsa, at(1_900_000_000)).unwrap();
        let mut keys: TrustedKeys = [a.public_key().clone()].into_iter().collect();
        let options = VerifyOptions::at(at(2_000_000_100));
        let from_b = license(&b, 2_000_000_050);
        assert_eq!(
            verify_license(from_b.as_bytes(), &keys, &options).status,
            Status::UnknownKey
        );
        keys.accept_rollover(token.as_bytes()).unwrap();
        assert_eq!(keys.len(), 2);
        assert_eq!(
            verify_license(from_b.as_bytes(), &keys, &options).status,
            Status::Active
        );
        let old = verify_license(license(&a, 1_999_999_999).as_bytes(), &keys, &options);
        assert_eq!(old.status, Status::Active, "{}", old.reason);
        let retired = verify_license(license(&a, 2_000_000_000).as_bytes(), &keys, &options);
        assert_eq!(retired.status, Status::KeyRetired, "{}", retired.reason);
        // The new key is pinned to the algorithm the statement names.
        assert_eq!(keys.find(b.kid()).unwrap().algorithms(), [Algorithm::RS256]);
    }

    #[test]
    fn forged_replayed_and_retired_statements_are_refused() {
        let a = SigningKey::generate(KeySpec::Ed25519).unwrap();
        let b = SigningKey::generate(KeySpec::Ed25519).unwrap();
        let thief = SigningKey::generate(KeySpec::Ed25519).unwrap();
        let keys_a: TrustedKeys = [a.public_key().clone()].into_iter().collect();
        // Signed by a key the site does not trust.
        let (forged, _) = sign_rollover(&thief, None, &terms(&b), at(1_900_000_000)).unwrap();
        let mut keys = keys_a.clone();
        assert!(matches!(
            keys.accept_rollover(forged.as_bytes()),
            Err(RolloverError::Jws(_))
        ));
        // A tampered statement (the new key swapped in the payload) fails its signature.
        let (genuine, _) = sign_rollover(&a, None, &terms(&b), at(1_900_000_000)).unwrap();
        let (swapped, _) = sign_rollover(&a, None, &terms(&thief), at(1_900_000_000)).unwrap();
        let parts: Vec<&str> = genuine.split('.').collect();
        let other: Vec<&str> = swapped.split('.').collect();
        let tampered = format!("{}.{}.{}", parts[0], other[1], parts[2]);
        assert!(matches!(
            keys.accept_rollover(tampered.as_bytes()),
            Err(RolloverError::Jws(
                licet_verifier::jws::JwsError::BadSignature
            ))
        ));
        assert_eq!(keys.len(), 1);
        // The genuine one applies once; the same key again is refused.
        keys.accept_rollover(genuine.as_bytes()).unwrap();
        assert!(matches!(
            keys.accept_rollover(genuine.as_bytes()),
            Err(RolloverError::AlreadyIntroduced(_))
        ));
        // After its retirement date the old key introduces nothing more.
        let mut late = terms(&thief);
        late.old_key_retired_from = None;
        let (after, _) = sign_rollover(&a, None, &late, at(2_000_000_001)).unwrap();
        assert!(matches!(
            keys.accept_rollover(after.as_bytes()),
            Err(RolloverError::SignerRetired { .. })
        ));
        // A statement is not a license, nor a license a statement.
        let report = verify_license(genuine.as_bytes(), &keys_a, &VerifyOptions::at(at(1)));
        assert_eq!(report.status, Status::Malformed);
        assert!(report.reason.contains("trust add"), "{}", report.reason);
        assert!(matches!(
            verify_rollover(license(&a, 5).as_bytes(), &keys_a),
            Err(RolloverError::WrongType(_))
        ));
        assert!(matches!(
            sign_rollover(&a, None, &terms(&a), at(1)),
            Err(RolloverSignError::SameKey(_))
        ));
    }

    #[test]
    fn a_revoked_key_signs_nothing_believable_and_cannot_revoke_its_successor() {
        let a = SigningKey::generate(KeySpec::Ed25519).unwrap();
        let b = SigningKey::generate(KeySpec::Ed25519).unwrap();
        let thief_key = SigningKey::generate(KeySpec::Ed25519).unwrap();
        let mut keys: TrustedKeys = [a.public_key().clone()].into_iter().collect();
        let mut handover = terms(&b);
        handover.old_key_retired_from = None;
        let (a_to_b, _) = sign_rollover(&a, None, &handover, at(1_900_000_000)).unwrap();
        keys.accept_rollover(a_to_b.as_bytes()).unwrap();
        // The thief, holding A, introduces a key of their own (backdated or not).
        let (a_to_thief, _) =
            sign_rollover(&a, None, &terms(&thief_key), at(1_950_000_000)).unwrap();
        keys.accept_rollover(a_to_thief.as_bytes()).unwrap();
        let options = |lists: Vec<Arc<RevocationList>>| {
            let mut o = VerifyOptions::at(at(1_960_000_000));
            o.revocations = lists;
            o
        };
        let thief_license = license(&thief_key, 1_955_000_000);
        assert_eq!(
            verify_license(thief_license.as_bytes(), &keys, &options(vec![])).status,
            Status::Active
        );
        // B revokes A from its creation (DECISIONS, docs/KEYS.md): A's licenses and the thief's
        // key fall, B stands on its own introduction.
        let list = RevocationList::new(1, at(1_958_000_000), None, vec![], b.kid().into())
            .unwrap()
            .with_revoked_keys(vec![licet_verifier::KeyRevocation {
                kid: a.kid().into(),
                from: UnixTime::EPOCH,
                reason: "stolen".into(),
            }])
            .unwrap();
        let lists = vec![Arc::new(list)];
        let thief_report = verify_license(thief_license.as_bytes(), &keys, &options(lists.clone()));
        assert_eq!(
            thief_report.status,
            Status::KeyRevoked,
            "{}",
            thief_report.reason
        );
        assert!(
            thief_report.reason.contains("rollover"),
            "{}",
            thief_report.reason
        );
        let a_report = verify_license(
            license(&a, 1_000).as_bytes(),
            &keys,
            &options(lists.clone()),
        );
        assert_eq!(a_report.status, Status::KeyRevoked);
        let b_report = verify_license(
            license(&b, 1_957_000_000).as_bytes(),
            &keys,
            &options(lists),
        );
        assert_eq!(b_report.status, Status::Active, "{}", b_report.reason);

        // A list signed by A (the thief) that revokes B is refused: a key may revoke only
        // itself and the keys it descends from.
        let revoke_b = [licet_verifier::KeyRevocation {
            kid: b.kid().into(),
            from: UnixTime::EPOCH,
            reason: String::new(),
        }];
        let update = crate::ListUpdate {
            revoke_keys: &revoke_b,
            ..Default::default()
        };
        let by_a = crate::sign_revocation_list(&a, None, &update, at(1_959_000_000), None).unwrap();
        let refused = licet_verifier::verify_revocation_list(by_a.token.as_bytes(), &keys);
        assert!(
            matches!(
                refused,
                Err(licet_verifier::RevocationError::KeyNotGoverned { .. })
            ),
            "{refused:?}"
        );
        // B carries A's license revocations forward and revokes A itself.
        let a_list = crate::extend_revocation_list(
            &a,
            None,
            None,
            &[crate::RevocationRequest {
                license_id: "L-1000".into(),
                reason: "refund".into(),
            }],
            at(1_950_000_000),
            None,
        )
        .unwrap();
        let revoke_a = [licet_verifier::KeyRevocation {
            kid: a.kid().into(),
            from: at(1_959_000_000),
            reason: "stolen".into(),
        }];
        let carried = [a_list.list.clone()];
        let update = crate::ListUpdate {
            carried: &carried,
            revoke_keys: &revoke_a,
            ..Default::default()
        };
        let by_b = crate::sign_revocation_list(&b, None, &update, at(1_959_500_000), None).unwrap();
        assert_eq!(by_b.carried, 1);
        let list = licet_verifier::verify_revocation_list(by_b.token.as_bytes(), &keys).unwrap();
        let entry = list.find("L-1000").unwrap();
        assert_eq!(
            (entry.revoked_at, entry.reason.as_str()),
            (at(1_950_000_000), "refund")
        );
        let report = verify_license(
            license(&a, 1_000).as_bytes(),
            &keys,
            &options(vec![Arc::new(list)]),
        );
        assert_eq!(report.status, Status::Revoked, "{}", report.reason);
    }

    fn revoke_from_creation(signer: &SigningKey, revoked: &SigningKey) -> Arc<RevocationList> {
        let entry = [licet_verifier::KeyRevocation {
            kid: revoked.kid().into(),
            from: UnixTime::EPOCH,
            reason: "stolen".into(),
        }];
        let update = crate::ListUpdate {
            revoke_keys: &entry,
            ..Default::default()
        };
        let signed =
            crate::sign_revocation_list(signer, None, &update, at(1_960_000_000), None).unwrap();
        Arc::new(signed.list)
    }

    #[test]
    fn a_key_slipped_between_the_stolen_key_and_its_successor_falls_with_it() {
        let r = SigningKey::generate(KeySpec::Ed25519).unwrap();
        let k1 = SigningKey::generate(KeySpec::Ed25519).unwrap();
        let thief = SigningKey::generate(KeySpec::Ed25519).unwrap();
        let open = |new: &SigningKey| RolloverTerms {
            old_key_retired_from: None,
            ..terms(new)
        };
        // The thief, holding R, puts their own T above the vendor's public K1: R -> T -> K1.
        let (r_to_t, _) = sign_rollover(&r, None, &open(&thief), at(1_900_000_000)).unwrap();
        let (t_to_k1, _) = sign_rollover(&thief, None, &open(&k1), at(1_900_000_001)).unwrap();
        let mut keys: TrustedKeys = [r.public_key().clone()].into_iter().collect();
        keys.accept_rollover(r_to_t.as_bytes()).unwrap();
        keys.accept_rollover(t_to_k1.as_bytes()).unwrap();
        // K1 revokes R from its creation: only K1's own introduction is exempt, so R -> T is
        // tainted, and T's licenses fall (K1's too, on this forged chain: fail closed).
        let mut options = VerifyOptions::at(at(1_970_000_000));
        options.revocations = vec![revoke_from_creation(&k1, &r)];
        let t_report = verify_license(license(&thief, 1_950_000_000).as_bytes(), &keys, &options);
        assert_eq!(t_report.status, Status::KeyRevoked, "{}", t_report.reason);
        let k1_report = verify_license(license(&k1, 1_950_000_000).as_bytes(), &keys, &options);
        assert_eq!(k1_report.status, Status::KeyRevoked, "{}", k1_report.reason);

        // On the genuine chain R -> K1, K1 stands.
        let (r_to_k1, _) = sign_rollover(&r, None, &open(&k1), at(1_900_000_000)).unwrap();
        let mut genuine: TrustedKeys = [r.public_key().clone()].into_iter().collect();
        genuine.accept_rollover(r_to_k1.as_bytes()).unwrap();
        let report = verify_license(license(&k1, 1_950_000_000).as_bytes(), &genuine, &options);
        assert_eq!(report.status, Status::Active, "{}", report.reason);

        // Both keys given directly, with the statement: the lineage is recorded, so K1 may
        // revoke R and R's licenses fall.
        let mut both: TrustedKeys = [r.public_key().clone(), k1.public_key().clone()]
            .into_iter()
            .collect();
        assert!(
            both.accept_rollover(r_to_k1.as_bytes())
                .unwrap()
                .already_trusted
        );
        let token = {
            let entry = [licet_verifier::KeyRevocation {
                kid: r.kid().into(),
                from: UnixTime::EPOCH,
                reason: String::new(),
            }];
            let update = crate::ListUpdate {
                revoke_keys: &entry,
                ..Default::default()
            };
            crate::sign_revocation_list(&k1, None, &update, at(1_960_000_000), None)
                .unwrap()
                .token
        };
        let list = licet_verifier::verify_revocation_list(token.as_bytes(), &both).unwrap();
        options.revocations = vec![Arc::new(list)];
        let report = verify_license(license(&r, 1_000).as_bytes(), &both, &options);
        assert_eq!(report.status, Status::KeyRevoked, "{}", report.reason);
        let report = verify_license(license(&k1, 1_950_000_000).as_bytes(), &both, &options);
        assert_eq!(report.status, Status::Active, "{}", report.reason);
    }
}
