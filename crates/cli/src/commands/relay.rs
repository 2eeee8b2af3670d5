//! `licet relay init|grant|serve` and `licet verify-lease`: floating seats.

use super::keys::{load_signing_key, load_trusted_keys, LoadedKey};
use super::lifecycle::record_in_ledger;
use super::serve::{init_logging, runtime};
use super::{
    describe_lists, expiry_option, feature_options, list_inputs, parse_alg, read_license,
    read_revocation_lists, refuse_stdin_twice, verify_options,
};
use crate::args::{RelayGrantArgs, RelayInitArgs, RelayServeArgs, VerifyLeaseArgs};
use crate::io::{print_stderr, print_stdout, read_capped, read_input};
use crate::kinds::{write_kind, FileKind};
use crate::output::{paint, printable};
use crate::{EXIT_OK, EXIT_REJECTED};
use anyhow::{anyhow, bail, Context, Result};
use licet_issuer::generate_license_id;
use licet_issuer::ledger::{LedgerAction, LedgerRecord};
use licet_issuer::pool::{mint_pool_license, PoolGrant, RelayRequest, MAX_RELAY_REQUEST_BYTES};
use licet_relay::dir::RelayDir;
use licet_relay::engine::Clock;
use licet_relay::serve::{Relay, RelayConfig};
use licet_relay::RelayError;
use licet_verifier::check_lease;
use licet_verifier::lease::MAX_LEASE_BYTES;
use licet_verifier::{MachineId, UnixTime};
use serde_json::json;
use std::path::{Path, PathBuf};
#[cfg(debug_assertions)] // The test clock (the only Arc here) exists in debug builds only.
use std::sync::Arc;
use std::time::Duration;

pub fn init(args: RelayInitArgs) -> Result<u8> {
    let machine = MachineId::this_machine().context("this machine's id")?;
    let dir = RelayDir::new(&args.dir);
    if let Some(out) = args.out.as_deref() {
        crate::kinds::refuse_other_kind(
            out,
            FileKind::LicetJson("licet-relay-request"),
            "a relay request",
        )?;
    }
    let request = dir.init(&machine, UnixTime::now())?;
    let kid = request.key().map_err(|e| anyhow!(e))?.kid().to_owned();
    if let Some(out) = args.out.as_deref() {
        write_kind(
            out,
            &request.to_json(),
            FileKind::LicetJson("licet-relay-request"),
            "the relay request",
        )?;
    }
    if args.json {
        print_stdout(&format!(
            "{}\n",
            serde_json::to_string_pretty(&json!({
                "dir": args.dir.to_string_lossy(),
                "key": dir.key_path().to_string_lossy(),
                "request": dir.request_path().to_string_lossy(),
                "relay_kid": kid,
                "machine_id": request.machine_id,
            }))?
        ))?;
    } else {
        print_stderr(&format!(
            "made relay key {kid} in {} (mode 0600, it never leaves the directory) and wrote the relay request {}: carry it to the vendor, who answers with `licet relay grant`",
            dir.key_path().display(),
            dir.request_path().display()
        ));
    }
    Ok(EXIT_OK)
}

pub fn grant(args: RelayGrantArgs) -> Result<u8> {
    let alg = parse_alg(args.alg.as_deref())?;
    let bytes = read_input(&args.request, MAX_RELAY_REQUEST_BYTES as u64)?;
    let request = RelayRequest::parse(&bytes)
        .with_context(|| format!("{} is not a relay request", args.request.display()))?;
    let LoadedKey { key, .. } = load_signing_key(
        &args.key,
        args.passphrase_file.as_deref(),
        args.alias.as_deref(),
    )?;
    let now = UnixTime::now();
    let expires_at = expiry_option(args.expires.as_deref(), args.days, now)?;
    let features = feature_options(&args.features)?;
    let max_lease_ttl_secs = Some(
        u32::try_from(args.max_lease_ttl)
            .map_err(|_| anyhow!("--max-lease-ttl: at most 31 days"))?,
    );
    let grant = PoolGrant {
        license_id: args.license_id.clone().unwrap_or_else(generate_license_id),
        customer_id: args.customer.clone(),
        seats: args.seats,
        product: args.product.clone(),
        issuer: args.issuer.clone(),
        expires_at,
        features: (!features.is_empty()).then_some(features),
        max_lease_ttl_secs,
    };
    let out = args.out.clone().unwrap_or_else(|| PathBuf::from("-"));
    // Checked before signing: a refused --out signs and records nothing.
    crate::kinds::refuse_other_kind(&out, FileKind::License, "a license file")?;
    let minted = mint_pool_license(&key, alg, &request, &grant, now)?;
    if let Some(ledger) = &args.ledger {
        let record = LedgerRecord {
            action: LedgerAction::Issue,
            license_id: &minted.claims.license_id,
            customer_id: Some(&minted.claims.customer_id),
            kid: &minted.kid,
            file: minted.token.as_bytes(),
        };
        record_in_ledger(ledger, &record, now)?;
    }
    write_kind(&out, &minted.token, FileKind::License, "the pool license")?;
    let relay_kid = request.key().map_err(|e| anyhow!(e))?.kid().to_owned();
    if args.json {
        print_stderr(&serde_json::to_string_pretty(&json!({
            "licenseId": minted.claims.license_id,
            "customerId": minted.claims.customer_id,
            "seats": grant.seats,
            "relayKid": relay_kid,
            "relayMachine": request.machine_id,
            "kid": minted.kid,
            "alg": minted.alg.name(),
            "expiry": minted.claims.expires_at.map(|t| t.to_rfc3339()),
        }))?);
    } else if out != Path::new("-") {
        print_stderr(&format!(
            "wrote {} (pool license {}, {} seats, for relay key {relay_kid} on machine {}, {} signed by kid {})",
            out.display(),
            printable(&minted.claims.license_id),
            grant.seats,
            request.machine_id,
            minted.alg,
            minted.kid
        ));
    }
    Ok(EXIT_OK)
}

pub fn serve(args: RelayServeArgs) -> Result<u8> {
    init_logging(args.log_format);
    let trusted = load_trusted_keys(&args.trust)?;
    if trusted.is_empty() {
        bail!("--trust holds no key: the pool licenses cannot be verified");
    }
    let client_token = match &args.client_token_file {
        Some(path) => {
            let secret = crate::io::read_secret(path, 4096)?;
            let text = std::str::from_utf8(&secret)
                .map_err(|_| anyhow!("{}: the client token is not UTF-8 text", path.display()))?;
            let token = text.lines().next().unwrap_or("").trim().to_owned();
            if token.len() < 16 {
                bail!(
                    "{}: the client token is {} characters; use at least 16 random characters",
                    path.display(),
                    token.len()
                );
            }
            Some(token)
        }
        None => None,
    };
    let machine = MachineId::this_machine().context("this machine's id")?;
    #[cfg(debug_assertions)]
    let clock: Clock = match args.clock_offset_file.clone() {
        Some(path) => Arc::new(move || {
            let offset = std::fs::read_to_string(&path)
                .ok()
                .and_then(|t| t.trim().parse::<i64>().ok())
                .unwrap_or(0);
            UnixTime::now().saturating_add(offset)
        }),
        None => licet_relay::engine::system_clock(),
    };
    #[cfg(not(debug_assertions))]
    let clock: Clock = licet_relay::engine::system_clock();
    let config = RelayConfig {
        dir: RelayDir::new(&args.dir),
        pool_files: args.pools.clone(),
        trusted,
        listen: args.listen,
        ttl: args.ttl.map(Duration::from_secs),
        client_token,
        clock_tolerance_secs: args.clock_tolerance,
        header_timeout: Duration::from_secs(args.header_timeout.max(1)),
        max_connections: args.max_connections,
        machine,
        clock,
    };
    let rt = runtime()?;
    let relay = match rt.block_on(async { Relay::prepare(config) }) {
        Ok(relay) => relay,
        Err(e @ RelayError::Pool(..)) => {
            crate::output::print_error(&anyhow!(e));
            return Ok(EXIT_REJECTED);
        }
        Err(e) => return Err(anyhow!(e)),
    };
    for pool in relay.pools() {
        tracing::info!(
            pool = %pool.id(),
            seats = pool.terms.seats,
            file = %pool.path.display(),
            "serving pool"
        );
    }
    rt.block_on(relay.serve(|addr| {
        let _ = print_stdout(&format!("listening on http://{addr}\n"));
    }))?;
    Ok(EXIT_OK)
}

pub fn verify(args: VerifyLeaseArgs) -> Result<u8> {
    refuse_stdin_twice(&args.lease, &args.pubkeys)?;
    if args.pool == Path::new("-") && args.lease == Path::new("-") {
        bail!("standard input (`-`) can be given only once: for the lease or for the pool license");
    }
    let keys = load_trusted_keys(&args.pubkeys)?;
    let options = verify_options(&args.checks)?.with_clock_tolerance(args.clock_tolerance);
    let lease = read_capped(&args.lease, MAX_LEASE_BYTES as u64)?.0;
    let pool = read_license(&args.pool)?;
    let lists = read_revocation_lists(&args.revocations)?;
    let checked = check_lease(&lease, &pool, &list_inputs(&lists), &keys, &options);
    let report = &checked.lease;
    if args.json {
        print_stdout(&format!("{}\n", serde_json::to_string_pretty(&checked)?))?;
    } else {
        let mut text = format!(
            "{}: {}\n",
            paint(report.status.as_str(), report.valid),
            printable(&report.reason)
        );
        if let Some(lease) = &report.lease {
            text.push_str(&format!("  lease      {}\n", printable(&lease.lease_id)));
            text.push_str(&format!("  machine    {}\n", lease.machine_id));
            text.push_str(&format!("  expires    {}\n", lease.expires_at));
            text.push_str(&format!("  relay key  {}\n", lease.relay_kid));
        }
        if let Some(pool) = &report.pool.license {
            text.push_str(&format!(
                "  pool       {} ({}, {})\n",
                printable(&pool.license_id),
                printable(&pool.customer_id),
                report.pool.status
            ));
        }
        text.push_str(&describe_lists(&checked.revocation_lists));
        print_stdout(&text)?;
    }
    Ok(if checked.passed() {
        EXIT_OK
    } else {
        EXIT_REJECTED
    })
}
