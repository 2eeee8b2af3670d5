//! Random values: license keys and license ids.

use licet_verifier::{LicenseKey, LICENSE_KEY_ALPHABET};
use rand::Rng;

/// A new license key from the operating system's CSPRNG: 25 symbols drawn uniformly (rejection
/// sampling, no modulo bias) from 36, so 129.2 bits of entropy.
pub fn generate_license_key() -> LicenseKey {
    let mut rng = rand::rngs::OsRng;
    let mut indexes = [0u8; 25];
    for ix in &mut indexes {
        *ix = rng.gen_range(0..LICENSE_KEY_ALPHABET.len() as u8);
    }
    // gen_range(0..36) yields only valid indexes, so `None` cannot happen.
    #[allow(clippy::expect_used)]
    LicenseKey::from_symbol_indexes(&indexes).expect("every index is below 36")
}

/// A new random (version 4) UUID for a license id.
pub fn generate_license_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn keys_are_well_formed_and_distinct() {
        let keys: HashSet<String> = (0..500)
            .map(|_| generate_license_key().to_string())
            .collect();
        assert_eq!(keys.len(), 500);
        for key in &keys {
            assert!(LicenseKey::parse_canonical(key).is_ok(), "{key}");
        }
    }

    #[test]
    fn every_symbol_appears() {
        // 2000 keys = 50,000 symbols; each of 36 symbols is expected ~1389 times.
        let mut counts = [0usize; 36];
        for _ in 0..2000 {
            for b in generate_license_key()
                .as_str()
                .bytes()
                .filter(|b| *b != b'-')
            {
                let ix = LICENSE_KEY_ALPHABET.iter().position(|a| *a == b).unwrap();
                counts[ix] += 1;
            }
        }
        assert!(
            counts.iter().all(|c| (1100..1700).contains(c)),
            "{counts:?}"
        );
    }

    #[test]
    fn license_ids_are_uuid_v4() {
        let id = generate_license_id();
        assert_eq!(uuid::Uuid::parse_str(&id).unwrap().get_version_num(), 4);
    }
}
