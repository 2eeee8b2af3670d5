//! Random values: license keys and license ids.

use licet_verifier::{LicenseKey, LICENSE_KEY_ALPHABET_V2};
use rand::Rng;

/// A new license key from the operating system's CSPRNG: 24 symbols drawn uniformly (rejection
/// sampling, no modulo bias) from the 31 of [`LICENSE_KEY_ALPHABET_V2`], so 118.9 bits of
/// entropy, and a check symbol (docs/FORMAT.md, "License keys").
pub fn generate_license_key() -> LicenseKey {
    let mut rng = rand::rngs::OsRng;
    let mut indexes = [0u8; 24];
    for ix in &mut indexes {
        *ix = rng.gen_range(0..LICENSE_KEY_ALPHABET_V2.len() as u8);
    }
    // gen_range(0..31) yields only valid indexes, so `None` cannot happen.
    #[allow(clippy::expect_used)]
    LicenseKey::from_payload_indexes(&indexes).expect("every index is below 31")
}

/// A new random (version 4) UUID for a license id.
pub fn generate_license_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use licet_verifier::KeyCheck;
    use std::collections::HashSet;

    #[test]
    fn keys_are_well_formed_and_distinct() {
        let keys: HashSet<String> = (0..500)
            .map(|_| generate_license_key().to_string())
            .collect();
        assert_eq!(keys.len(), 500);
        for key in &keys {
            let parsed = LicenseKey::parse_canonical(key).unwrap();
            assert_eq!(parsed.check_character(), KeyCheck::Valid, "{key}");
        }
    }

    #[test]
    fn every_symbol_appears() {
        // 2000 keys = 48,000 random symbols (the check symbol left out, as it is not drawn);
        // each of 31 symbols is expected ~1548 times.
        let mut counts = [0usize; 31];
        for _ in 0..2000 {
            for b in generate_license_key()
                .as_str()
                .bytes()
                .filter(|b| *b != b'-')
                .take(24)
            {
                let ix = LICENSE_KEY_ALPHABET_V2
                    .iter()
                    .position(|a| *a == b)
                    .unwrap();
                counts[ix] += 1;
            }
        }
        assert!(
            counts.iter().all(|c| (1300..1800).contains(c)),
            "{counts:?}"
        );
    }

    #[test]
    fn license_ids_are_uuid_v4() {
        let id = generate_license_id();
        assert_eq!(uuid::Uuid::parse_str(&id).unwrap().get_version_num(), 4);
    }
}
