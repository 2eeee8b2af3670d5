//! `licet serve`, `licet token create` and `licet license-key create`: the commands on the
//! license database (the other management commands are in `manage.rs`).

use super::keys::{load_signing_key, load_trusted_keys};
use crate::args::{DbInitArgs, LicenseKeyCreateArgs, LogFormat, ServeArgs, TokenCreateArgs};
use crate::io::{print_stderr, print_stdout};
use crate::EXIT_OK;
use anyhow::{anyhow, Context, Result};
use licet_server::admin::Actor;
use licet_server::auth::Permission;
use licet_server::client_addr::{ProxyHeader, TrustedProxies};
use licet_server::ledger::ServerLedger;
use licet_server::license_keys::{create_license_key, CreateKeyError, NewLicenseKey};
use licet_server::master_key::MasterKey;
use licet_server::ratelimit::RateLimiter;
use licet_server::{
    check_master_key, check_replica_keys, check_response_key, create_token_as,
    default_master_key_path, default_signing_key_path, load_or_create_signing_key, require_rsa,
    serve_ops, AppState, Backend, ServeOptions, DEFAULT_TOKEN_EXPIRY_DAYS,
};
use licet_verifier::UnixTime;
use serde_json::json;
use std::io::IsTerminal;
use std::sync::Arc;
use std::time::Duration;

pub fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

/// Logs to stderr in `format` (LICET_LOG sets the level; info by default).
pub fn init_logging(format: LogFormat) {
    let filter =
        tracing_subscriber::EnvFilter::try_from_env("LICET_LOG").unwrap_or_else(|_| "info".into());
    let log = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false);
    match format {
        LogFormat::Text => log.with_ansi(std::io::stderr().is_terminal()).init(),
        // One JSON object per line, the event's fields at the top level.
        LogFormat::Json => log
            .json()
            .flatten_event(true)
            .with_current_span(false)
            .with_span_list(false)
            .init(),
    }
}

/// What PKCS11 certificate registrations may name, checked at start.
fn token_policy(args: &ServeArgs) -> Result<licet_server::token_keys::TokenPolicy> {
    for module in &args.pkcs11_modules {
        if !module.is_absolute() {
            anyhow::bail!(
                "--pkcs11-module {}: give the module's absolute path (registrations must name exactly this path)",
                module.display()
            );
        }
        if !module.is_file() {
            anyhow::bail!("--pkcs11-module {}: no such file", module.display());
        }
    }
    if let Some(dir) = &args.pkcs11_pin_dir {
        if !dir.is_dir() {
            anyhow::bail!("--pkcs11-pin-dir {}: not a directory", dir.display());
        }
    }
    Ok(licet_server::token_keys::TokenPolicy {
        modules: args.pkcs11_modules.clone(),
        pin_dir: args.pkcs11_pin_dir.clone(),
    })
}

pub fn serve(args: ServeArgs) -> Result<u8> {
    init_logging(args.log_format);

    let trusted = load_trusted_keys(&args.trust)?;
    if trusted.is_empty() {
        // Through the log, so that `--log-format json` keeps every line JSON.
        tracing::warn!("no --trust key: every license file will be refused (UNKNOWN_KEY)");
    }
    let license_key = match &args.license_signing_key {
        Some(path) => Some(
            load_signing_key(
                path,
                args.license_passphrase_file.as_deref(),
                args.license_alias.as_deref(),
            )?
            .key,
        ),
        None => None,
    };
    let ledger = args
        .ledger
        .as_deref()
        .map(ServerLedger::open)
        .transpose()?
        .map(Arc::new);
    let tls = match (&args.tls_cert, &args.tls_key, &args.tls_p12) {
        (Some(cert), Some(key), None) => Some(licet_server::tls::load_pem(cert, key)?),
        (None, None, Some(p12)) => {
            let passphrase = tls_passphrase(args.tls_passphrase_file.as_deref())?;
            Some(licet_server::tls::load_pkcs12(p12, passphrase.as_ref())?)
        }
        _ => None,
    };
    let mut nets = Vec::new();
    for text in &args.trusted_proxies {
        nets.push(parse_proxy(text)?);
    }
    let header = if args.proxy_header == "forwarded" {
        ProxyHeader::Forwarded
    } else {
        ProxyHeader::XForwardedFor
    };
    let scheme = if tls.is_some() { "https" } else { "http" };
    let options = ServeOptions {
        tls,
        header_timeout: Duration::from_secs(args.header_timeout),
        max_connections: usize::try_from(args.max_connections).unwrap_or(usize::MAX),
        max_connections_per_ip: usize::try_from(args.max_connections_per_ip).unwrap_or(usize::MAX),
        ..ServeOptions::default()
    };
    let database = args.db.resolve()?;
    let on_postgres = database.backend() == Backend::Postgres;
    // A server on an in-memory database would lose every key, seat and token when it stops.
    if !on_postgres && licet_server::database_file(&database.url)?.is_none() {
        anyhow::bail!(
            "licet serve needs a database file, not `{}`: an in-memory database loses every key, seat and token when the server stops; create one with `licet db init sqlite://PATH`",
            database.display()
        );
    }
    // Replicas share one database, so each must be given the same keys: none is made beside
    // a database that has no directory here.
    if on_postgres {
        if args.signing_key.is_none() {
            anyhow::bail!(
                "on PostgreSQL give --signing-key (the response-signing RSA key): every replica must sign with the same key, so none is generated"
            );
        }
        if args.master_key_file.is_none() {
            anyhow::bail!(
                "on PostgreSQL give --master-key-file (the key that seals uploaded certificate keys): every replica must open what another sealed, so none is generated"
            );
        }
    }
    runtime()?.block_on(async {
        let store = database.open().await?;
        // After the database: a mistyped --db must not leave a new key beside it.
        let signing_key = match &args.signing_key {
            Some(path) => {
                // A key file must be private; a key in a token is no file.
                let in_token = path
                    .to_str()
                    .is_some_and(licet_issuer::pkcs11::is_pkcs11_uri);
                if !in_token {
                    licet_server::private::require_private(path)?;
                }
                let loaded = load_signing_key(path, args.passphrase_file.as_deref(), None)?;
                let key = require_rsa(loaded.key)
                    .map_err(|m| anyhow!("the signing key {}: {m}", path.display()))?;
                check_response_key(&key)
                    .map_err(|e| anyhow!("the signing key {}: {e}", path.display()))?;
                key
            }
            None => load_or_create_signing_key(&default_signing_key_path(&database.url))?,
        };
        if license_key.is_none() {
            tracing::warn!(
                kid = signing_key.kid(),
                "no --license-signing-key: seat licenses are signed RS256 by the response-signing key, so customers verify them with /license/public-key; give your vendor key to sign them like your other license files"
            );
        }
        let mut state = AppState::new(store, trusted, signing_key);
        if let Some(key) = license_key {
            state = state.with_license_key(key)?;
        }
        state.ledger = ledger;
        state.rate_limiter = Arc::new(RateLimiter::new(
            args.rate_limit_per_ip,
            args.rate_limit_per_key,
        ));
        // The console's cookie is `Secure` when the browser reaches it over TLS: this server's,
        // or a trusted proxy's in front of it.
        state.secure_cookies = scheme == "https" || !nets.is_empty();
        state.trusted_proxies = Arc::new(TrustedProxies::new(nets, header));
        state.token_policy = Arc::new(token_policy(&args)?);
        let master_path = args
            .master_key_file
            .clone()
            .unwrap_or_else(|| default_master_key_path(&database.url));
        let holds_sealed_keys = state
            .store
            .list_certificates()
            .await?
            .iter()
            .any(|(c, _)| c.key.sealed().is_some());
        if !master_path.exists() && holds_sealed_keys {
            anyhow::bail!(
                "the master key {} is missing, but the database holds sealed certificate keys; restore the key file (a new key could not open them)",
                master_path.display()
            );
        }
        let master_key = MasterKey::load_or_create(&master_path)?;
        check_master_key(state.store.as_ref(), &master_key, &master_path).await?;
        // Replicas on one database must hold the same keys (PostgreSQL; nothing on SQLite).
        check_replica_keys(
            state.store.as_ref(),
            &state.signing_key,
            &state.license_signing_key,
            &master_key,
            UnixTime::now().as_secs(),
        )
        .await?;
        state.master_key = Arc::new(master_key);
        // The monitoring listener: bound before the main one, so a bad address stops the start.
        let metrics_bound = match args.metrics_listen {
            Some(addr) => {
                let listener = tokio::net::TcpListener::bind(addr)
                    .await
                    .with_context(|| format!("cannot listen on --metrics-listen {addr}"))?;
                let bound = listener.local_addr()?;
                let ops_state = state.clone();
                tokio::spawn(async move {
                    if let Err(e) = serve_ops(listener, ops_state).await {
                        tracing::error!(cause = %e, "the metrics listener failed");
                    }
                });
                Some(bound)
            }
            None => None,
        };
        licet_server::serve_with(state, args.listen, options, |bound| {
            let _ = print_stdout(&format!("listening on {scheme}://{bound}\n"));
            if let Some(metrics) = metrics_bound {
                let _ = print_stdout(&format!("metrics on http://{metrics}\n"));
            }
        })
        .await?;
        Ok::<_, anyhow::Error>(())
    })?;
    Ok(EXIT_OK)
}

/// `--tls-passphrase-file` (first line), else LICET_TLS_PASSPHRASE, else none (the empty one).
fn tls_passphrase(file: Option<&std::path::Path>) -> Result<Option<licet_issuer::Passphrase>> {
    if file.is_some() {
        return super::keys::resolve_passphrase(file);
    }
    match std::env::var("LICET_TLS_PASSPHRASE") {
        Ok(value) => Ok(Some(licet_issuer::Passphrase::new(value))),
        Err(std::env::VarError::NotPresent) => Ok(None),
        Err(std::env::VarError::NotUnicode(_)) => {
            Err(anyhow!("LICET_TLS_PASSPHRASE is not valid Unicode"))
        }
    }
}

/// `--trusted-proxy`: a CIDR, or a single address (a /32 or /128).
fn parse_proxy(text: &str) -> Result<ipnet::IpNet> {
    if let Ok(net) = text.parse::<ipnet::IpNet>() {
        return Ok(net);
    }
    text.parse::<std::net::IpAddr>()
        .map(ipnet::IpNet::from)
        .map_err(|_| anyhow!("--trusted-proxy {text:?} is not an address or CIDR (for example 10.0.0.0/8, 127.0.0.1 or ::1/128)"))
}

/// `licet db init URL`: creates the database (mode 0600) or migrates an existing one.
pub fn db_init(args: DbInitArgs) -> Result<u8> {
    let database =
        super::database::resolve(args.url.as_deref(), "URL", args.db_password_file.as_deref())?;
    if args.url.is_none() && std::env::var_os(super::database::DB_URL_ENV).is_none() {
        anyhow::bail!(
            "name the database: licet db init sqlite://PATH (or postgres://USER@HOST/DATABASE, or set {})",
            super::database::DB_URL_ENV
        );
    }
    let outcome = runtime()?.block_on(async {
        let (store, outcome) = licet_server::init_store(&database.url, &database.options)
            .await
            .with_context(|| format!("cannot initialise the database {}", database.display()))?;
        store.close().await;
        Ok::<_, anyhow::Error>(outcome)
    })?;
    let shown = database.display();
    if args.json {
        let out = json!({"url": shown, "created": outcome.created, "migrationsApplied": outcome.migrations_applied});
        print_stdout(&format!("{}\n", serde_json::to_string_pretty(&out)?))?;
    } else if outcome.created && database.backend() == Backend::Postgres {
        print_stdout(&format!("created licet's tables in the database {shown}\n"))?;
    } else if outcome.created {
        print_stdout(&format!("created the database {shown}\n"))?;
    } else if outcome.migrations_applied > 0 {
        print_stdout(&format!(
            "the database {shown} already exists: applied {} pending migration(s); nothing else changed\n",
            outcome.migrations_applied
        ))?;
    } else {
        print_stdout(&format!(
            "the database {shown} already exists and is up to date; nothing changed\n"
        ))?;
    }
    Ok(EXIT_OK)
}

pub fn token_create(args: TokenCreateArgs) -> Result<u8> {
    let mut permissions = Vec::new();
    for name in &args.permissions {
        if name == "all" {
            permissions.extend(Permission::ALL);
        } else {
            permissions.push(name.parse::<Permission>()?);
        }
    }
    if args.user.trim().is_empty() {
        return Err(anyhow!("--user must not be empty"));
    }
    let now = UnixTime::now().as_secs();
    let expires_at = if args.no_expiry {
        None
    } else {
        let days = args.expires_days.unwrap_or(DEFAULT_TOKEN_EXPIRY_DAYS);
        if days == 0 {
            return Err(anyhow!(
                "--expires-days must be at least 1 (or give --no-expiry)"
            ));
        }
        Some(now + i64::from(days) * 86_400)
    };
    let database = args.db.resolve()?;
    let (token, record) = runtime()?.block_on(async {
        let store = database.open().await?;
        let created = create_token_as(
            store.as_ref(),
            &Actor::cli_from_env(),
            &args.user,
            &permissions,
            now,
            expires_at,
        )
        .await;
        store.close().await;
        created.map_err(anyhow::Error::from)
    })?;
    if args.json {
        let names: Vec<&str> = record.permissions.iter().map(|p| p.name()).collect();
        let out = json!({"token": token.as_str(), "id": record.id, "userId": record.user_id, "permissions": names,
                         "expiresAt": record.expires_at.and_then(|t| UnixTime::from_secs(t).ok()).map(|t| t.to_rfc3339())});
        print_stdout(&format!("{}\n", serde_json::to_string_pretty(&out)?))?;
    } else {
        print_stdout(&format!("{}\n", token.as_str()))?;
        print_stderr("this token is shown once; only its SHA-256 is stored");
    }
    Ok(EXIT_OK)
}

pub fn license_key_create(args: LicenseKeyCreateArgs) -> Result<u8> {
    let mut features = serde_json::Map::new();
    for assignment in &args.features {
        let (name, value) = licet_issuer::parse_feature(assignment)?;
        if features.insert(name.clone(), value).is_some() {
            return Err(anyhow!("--feature {name} is given more than once"));
        }
    }
    let expires_at = args
        .expires
        .as_deref()
        .map(|d| licet_issuer::parse_date(d, licet_issuer::DateMeaning::ThroughEndOfDay))
        .transpose()
        .context("--expires")?
        .map(|t| t.to_rfc3339());
    let new = NewLicenseKey {
        customer: args.customer.clone(),
        product: args.product.clone(),
        license_type: args.license_type.clone(),
        features: (!features.is_empty()).then_some(features),
        max_activations: args.max_activations,
        expires_at,
        lease_days: args.lease_days,
    };
    let now = UnixTime::now().as_secs();
    let database = args.db.resolve()?;
    let (key, record) = runtime()?.block_on(async {
        let store = database.open().await?;
        let created = create_license_key(store.as_ref(), &Actor::cli_from_env(), new, now).await;
        store.close().await;
        created.map_err(|e| match e {
            CreateKeyError::Invalid(message) => {
                anyhow!("the license key was not created: {message}")
            }
            CreateKeyError::Store(e) => anyhow!(e),
        })
    })?;
    if args.json {
        let out = licet_server::routes::license_keys::key_view(Some(&key), &record, 0);
        print_stdout(&format!("{}\n", serde_json::to_string_pretty(&out)?))?;
    } else {
        print_stdout(&format!("{}\n", key.as_str()))?;
        print_stderr("this key is shown once; only its SHA-256 is stored");
    }
    Ok(EXIT_OK)
}
