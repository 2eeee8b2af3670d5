//! The pool licenses a relay serves, checked before it starts: each must verify with the vendor's
//! keys, be a `POOL` license, name this relay's key and be bound to this machine. Each refusal
//! names the file and the reason.

use crate::error::RelayError;
use licet_verifier::lease::PoolTerms;
use licet_verifier::{
    verify_license, MachineCheck, MachineId, TrustedKeys, UnixTime, VerifyOptions,
    MAX_LICENSE_FILE_BYTES,
};
use std::path::{Path, PathBuf};

/// One pool served.
#[derive(Debug, Clone)]
pub struct Pool {
    /// The file it was read from.
    pub path: PathBuf,
    /// The pool license, as given (what products check leases against).
    pub token: String,
    /// Its terms.
    pub terms: PoolTerms,
    /// The pool license it replaces (its `replaces` claim, from `licet reissue`), if any.
    pub replaces: Option<String>,
}

impl Pool {
    /// The pool license id.
    pub fn id(&self) -> &str {
        &self.terms.license_id
    }

    /// Whether a request naming `name` (a pool license id or a product) means this pool.
    pub fn answers_to(&self, name: &str) -> bool {
        self.terms.license_id == name || self.terms.product.as_deref() == Some(name)
    }
}

/// Reads and checks every pool file; the first refusal stops the start.
pub fn load_pools(
    files: &[PathBuf],
    trusted: &TrustedKeys,
    relay_kid: &str,
    machine: &MachineId,
    now: UnixTime,
) -> Result<Vec<Pool>, RelayError> {
    if files.is_empty() {
        return Err(RelayError::Settings(
            "no pool license given: give --pool FILE (the file `licet relay grant` made)".into(),
        ));
    }
    let mut pools: Vec<Pool> = Vec::new();
    for path in files {
        let pool = load_pool(path, trusted, relay_kid, machine, now)?;
        if let Some(twin) = pools.iter().find(|p| p.id() == pool.id()) {
            return Err(RelayError::Pool(
                path.clone(),
                format!(
                    "is the same pool license ({}) as {}: give each pool once",
                    pool.id(),
                    twin.path.display()
                ),
            ));
        }
        pools.push(pool);
    }
    // A pool license and its re-issue under a new key are one grant of seats: serving both
    // would lend the seats twice.
    for pool in &pools {
        if let Some(older) = pools
            .iter()
            .find(|p| pool.replaces.as_deref() == Some(p.id()))
        {
            return Err(RelayError::Pool(
                older.path.clone(),
                format!(
                    "is pool license {}, which {} ({}) replaces (licet reissue): give only the newer one",
                    older.id(),
                    pool.id(),
                    pool.path.display()
                ),
            ));
        }
    }
    Ok(pools)
}

fn load_pool(
    path: &Path,
    trusted: &TrustedKeys,
    relay_kid: &str,
    machine: &MachineId,
    now: UnixTime,
) -> Result<Pool, RelayError> {
    let refuse = |message: String| RelayError::Pool(path.to_path_buf(), message);
    let bytes = licet_verifier::state::read_regular_capped(path, MAX_LICENSE_FILE_BYTES as u64)
        .map_err(|e| refuse(format!("cannot be read: {e}")))?;
    let options = VerifyOptions {
        machine: MachineCheck::NotChecked,
        accept_pool_licenses: true,
        ..VerifyOptions::at(now)
    };
    let report = verify_license(&bytes, trusted, &options);
    if !report.valid {
        return Err(refuse(format!(
            "the pool license is {}: {}",
            report.status, report.reason
        )));
    }
    let Some(verified) = report.verified_license() else {
        return Err(refuse("the pool license was not verified".into()));
    };
    let terms = PoolTerms::from_claims(verified.claims())
        .map_err(|e| refuse(format!("is not a usable pool license: its {e}")))?;
    if terms.relay_kid() != relay_kid {
        return Err(refuse(format!(
            "names relay key {}, and this relay's key is {relay_kid}: it was granted to another relay (or for an older key of this one)",
            terms.relay_kid()
        )));
    }
    if terms.relay_machine != *machine {
        return Err(refuse(format!(
            "is bound to machine {}, and this machine is {machine}: a pool license serves on the machine it was granted for",
            terms.relay_machine
        )));
    }
    let token = String::from_utf8_lossy(&bytes).trim().to_owned();
    let replaces = verified
        .claims()
        .other
        .get("replaces")
        .and_then(|v| v.as_str())
        .map(str::to_owned);
    Ok(Pool {
        path: path.to_path_buf(),
        token,
        terms,
        replaces,
    })
}
