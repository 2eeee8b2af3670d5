//! Command-line arguments (clap). Parsing only: validation into typed values happens in commands.

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

const EXIT_CODES: &str = "Exit codes: 0 success or valid license; 1 license rejected (or a check failed); 2 usage or I/O error.";

/// Issue and verify offline software licenses: compact JWTs signed with Ed25519 or RSA.
#[derive(Parser)]
#[command(name = "licet", version, about, after_help = EXIT_CODES, propagate_version = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand)]
// Parsed once per run; boxing `serve`'s many flags would buy nothing.
#[allow(clippy::large_enum_variant)]
pub enum Command {
    /// Generate a signing key pair: PREFIX.key.pem (mode 0600) and PREFIX.pub.pem.
    #[command(
        after_help = "Examples:\n  licet keygen --alg ed25519 --out vendor\n  licet keygen --alg rs256 --bits 3072 --out vendor-rsa --passphrase-file pass.txt\n  licet keygen --alg rs256 --p12 vendor.p12 --subject \"CN=Example Vendor,O=Example\" --cert-days 730 --passphrase-file pass.txt\n  licet keygen --alg ed25519 --pkcs11 'pkcs11:token=vendor;object=license-signing?module-path=/usr/lib/softhsm/libsofthsm2.so' --pin-file pin.txt --out vendor\n\nWith --pkcs11 the key pair is made inside the token (non-extractable) and only PREFIX.pub.pem is written.\nThe passphrase may also come from LICET_PASSPHRASE, or a prompt when stdin is a terminal (for --p12).\nWithout one the PEM private key is written unencrypted; a PKCS#12 file always needs one."
    )]
    Keygen(KeygenArgs),
    /// Public-key utilities.
    #[command(subcommand)]
    Key(KeyCommand),
    /// Mint a license file signed with a private key.
    #[command(
        after_help = "Examples:\n  licet issue --key vendor.key.pem --customer ACME-001 --days 365 --out acme.lic\n  licet issue --key vendor.key.pem --customer ACME-001 --type TRIAL --expires 2027-01-31 \\\n      --feature seats=10 --feature tier=gold --machine $(licet machine-id) --product myapp\n\nDATE is RFC 3339 (2027-01-31T12:00:00Z) or YYYY-MM-DD. For --expires a bare date means valid\nthrough that whole day in UTC; for --not-before it means 00:00:00Z of that day.\nFeature values are JSON when they parse as JSON (10, true, {\"a\":1}), else strings."
    )]
    Issue(Box<IssueArgs>),
    /// Revoke licenses: add them to a signed revocation list (made when missing).
    #[command(
        after_help = "Examples:\n  licet revoke --key vendor.key.pem --list revocations.jwt 6f0c5a2e-3b1d-4c8e-9a7f-2d4b6e8c0a13 --reason refunded\n  licet revoke --key vendor.p12 --list revocations.jwt --ledger issued.jsonl L-1 L-2\n  licet revoke --key vendor.key.pem --list revocations.jwt --force L-2024-0042\n  licet revoke --key new.key.pem --list new-list.jwt --carry-forward old-list.jwt --pubkey old.pub.pem\n  licet revoke --key new.key.pem --list new-list.jwt --revoke-key old.pub.pem --reason 'key stolen'\n\nOnly ids licet recognises are revoked: a UUID (as licet makes license ids), or an id issued in\nthe --ledger given; any other id is refused (exit 2, nothing signed) unless --force, so a\nmistyped id is not revoked in vain.\nAn existing list is verified with the key's public key, kept whole, and its seq raised by one;\nthe new list replaces the file atomically. Customers check licenses with\n`licet verify FILE --pubkey PUB --revocations revocations.jwt`.\n--revoke-key revokes a signing key from --key-revoked-from (default: every file it signed):\nits files are KEY_REVOKED. A list may revoke only its own key and the keys that key descends\nfrom through rollovers (`licet key rollover`); see docs/KEYS.md."
    )]
    Revoke(RevokeArgs),
    /// Offline activation by file: request, respond, install, release (no network).
    #[command(subcommand)]
    Activation(ActivationCommand),
    /// The clock guard's way back: a vendor-signed time attestation, requested and applied by file.
    #[command(subcommand)]
    Clock(ClockCommand),
    /// A state's trust store: key rollover statements that move a site to a vendor's new key.
    #[command(subcommand)]
    Trust(TrustCommand),
    /// Verify every license file under files and directories, in parallel; reconcile with a ledger.
    #[command(
        after_help = "Examples:\n  licet audit licenses/ --pubkey vendor.pub.pem\n  licet audit licenses/ extra.lic --pubkey jwks.json --ledger issued.jsonl --revocations a.jwt --revocations b.jwt --json\n  licet audit licenses/ --pubkey vendor.pub.pem --at 2027-01-01 --csv > audit.csv\n\nEvery regular file under the paths is considered, whatever its name: license files are\nrecognised by content (a compact JWS, even a damaged one, is audited); keys, JSON, ledgers,\nrevocation lists, other text and files over 64 KiB are listed as skipped, with the reason (an\nunrecognisable file named *.lic, *.jwt, *.jws or *.license is audited as a damaged license).\nSymbolic links are followed, to files and directories; a link loop or a link that leads nowhere\nis reported as skipped. FIFOs, sockets and devices are never opened, only reported as skipped.\nA file reached twice (named twice, through a link, overlapping paths) is audited once and\nflagged. Files with the same license id and different expiries are renewals: the newest counts,\nolder ones are listed as superseded; copies with the same expiry are flagged as duplicates.\nLedger revoke entries and every --revocations list (each verified with the trusted keys; a list\nthat does not verify is an error, exit 2) make licenses REVOKED. Machine bindings are reported,\nnot checked (this is not the customer's machine). CSV cells starting with = + - @, a tab or a\ncarriage return get a leading '.\nExit 0: at least one license file, every one valid, no duplicates and, with --ledger,\nreconciled; 1 otherwise (also when no license file was found); 2: usage or I/O error."
    )]
    Audit(AuditArgs),
    /// Mint every still-valid license of the ledger again under a new key (same claims, new jti).
    #[command(
        after_help = "Examples:\n  licet reissue --ledger issued.jsonl --key vendor-2027.key.pem --pubkey vendor-2026.pub.pem --out-dir reissued/\n  licet reissue --ledger issued.jsonl --key vendor-2027.key.pem --pubkey vendor-2026.pub.pem --revocations revocations.jwt \\\n      --head 3f9a...e1 --out-dir reissued/ --only-valid-at 2027-03-01 --json\n  licet reissue --ledger issued.jsonl --key vendor-2027.key.pem --pubkey vendor-2026.pub.pem --out-dir reissued/ --dry-run\n\nThe ledger must be intact (`licet ledger verify`; with --head, continue from that head), and\nonly what a --pubkey key signed is believed: each entry's license file, kept in the ledger, must\nhash to the entry and verify. The ledger is locked for the whole run. For each license id, its\nnewest entry (renewals share the id) is minted again with the same claims, a new jti, iat now, the new key's\nkid and `replaces` naming the old license; each file is written to DIR/<new jti>.lic, recorded\nin the ledger as `reissue`, then renamed into place (an existing file is never replaced).\nSkipped, and listed with the reason: licenses expired at --only-valid-at (default now), revoked\nin the ledger or a --revocations list (or replacing a revoked one), already replaced, already\nsigned by the new key, recorded before the ledger kept files, or whose file does not verify.\nRunning it again re-issues nothing twice.\nExit 0: every license that needs it was re-issued (or there was none); 1: some license could not\nbe (no file kept, a file that does not verify, conflicting entries); 2: usage or I/O error, a\nbroken or empty ledger, a revocation list that does not verify."
    )]
    Reissue(ReissueArgs),
    /// The issuance ledger (JSON Lines, hash-chained).
    #[command(subcommand)]
    Ledger(LedgerCommand),
    /// Verify a license file offline. Exit 0 valid, 1 rejected, 2 usage or I/O error.
    #[command(
        after_help = "Examples:\n  licet verify acme.lic --pubkey vendor.pub.pem\n  licet verify - --pubkey jwks.json --at 2027-06-01T00:00:00Z --json < acme.lic\n  licet verify acme.lic --pubkey vendor.pub.pem --machine 3f1c...e9 --product myapp\n  licet verify acme.lic --pubkey vendor.pub.pem --revocations revocations.jwt --state /var/lib/licet\n\nA node-locked license is checked against this machine's id unless --machine is given.\nA clock more than --clock-tolerance before the license's own issue time gives CLOCK_ROLLBACK.\nWith --state, the latest trustworthy time and every revocation list seen are kept in DIR: a\nrevocation sticks when its list is later left out, a clock found behind the latest time seen\ngives CLOCK_ROLLBACK, and a list older than one seen from its key is refused.\nEvery list given gets its own status in the report; exit 1 when the license is not valid or a\nlist was refused (older, dated ahead, bad signature)."
    )]
    Verify(VerifyArgs),
    /// Decode a license file WITHOUT verifying it; with --pubkey also print the verdict.
    #[command(
        after_help = "Examples:\n  licet inspect acme.lic\n  licet inspect acme.lic --json --pubkey vendor.pub.pem"
    )]
    Inspect(InspectArgs),
    /// Print this machine's id (SHA-256 of the OS machine identifier), or the id of a raw identifier.
    #[command(
        name = "machine-id",
        after_help = "Examples:\n  licet machine-id\n  licet machine-id --raw 4c4c4544-0042-3510-8051-b4c04f4e4b32"
    )]
    MachineId(MachineIdArgs),
    /// Generate or check license keys (XXXXX-XXXXX-XXXXX-XXXXX-XXXXX).
    #[command(name = "license-key", subcommand)]
    LicenseKey(LicenseKeyCommand),
    /// Signing certificates in PKCS#12 files.
    #[command(subcommand)]
    Cert(CertCommand),
    /// Check a saved signed API response offline (activation `{data, signature}` or assignment envelope).
    #[command(
        name = "verify-response",
        after_help = "Examples:\n  curl -s localhost:8080/license/public-key > api.pub.pem\n  licet verify-response activation.json --pubkey api.pub.pem\n  licet verify-response - --pubkey api.pub.pem --json < assign.json\n  # A fresh answer to this request: the nonce sent, signed less than a minute ago\n  licet verify-response answer.json --pubkey api.pub.pem --nonce \"$NONCE\" --max-age 60s\n\nExit 0: the signature verifies (and the answer is fresh, when asked); 1: it does not, the answer is stale or answers another nonce, or the file is not a signed response; 2: usage or I/O error."
    )]
    VerifyResponse(VerifyResponseArgs),
    /// Run the license HTTP API (installed licenses, signing keys) on SQLite.
    #[command(
        after_help = "Examples:\n  licet serve --trust vendor.pub.pem\n  licet serve --db sqlite:///var/lib/licet/licet.db --listen 0.0.0.0:8443 --signing-key api.p12 --passphrase-file p.txt --trust jwks.json\n  licet serve --tls-cert server.crt.pem --tls-key server.key.pem --listen [::]:8443\n  licet serve --license-signing-key vendor.key.pem --ledger issued.jsonl --metrics-listen 127.0.0.1:9090 --log-format json\n  licet serve --trusted-proxy 127.0.0.1/32 --trusted-proxy ::1/128    # behind nginx on the same host\n\nThe database must exist: create it with `licet db init URL`.\nWithout --signing-key, an RSA-2048 key is made on first start beside the database (licet-signing.key.pem, mode 0600).\nWithout --license-signing-key, that response key also signs seat licenses (RS256): give the vendor key that signs your other license files, so customers need one public key.\nLogs go to stderr (LICET_LOG=debug for more); the bound address is printed on stdout (then the metrics address, with --metrics-listen)."
    )]
    Serve(ServeArgs),
    /// The license database of `licet serve`.
    #[command(subcommand)]
    Db(DbCommand),
    /// API tokens for `licet serve`.
    #[command(subcommand)]
    Token(TokenCommand),
    /// Read the administrative audit log of the license database (newest first).
    #[command(
        name = "admin-log",
        after_help = "Examples:\n  licet admin-log --db sqlite://licet.db\n  licet admin-log --since 2027-01-01 --limit 500 --json\n\nEvery administrative change is recorded: key create/update/free-seat/activation, token\ncreate/revoke, license install/enable/disable, certificate upload/delete, department create,\nkey assignment, workspace apply; who (token id and user, or cli:<user>), what, when, and the\nstate before and after (never a key, token, passkey or private key)."
    )]
    AdminLog(AdminLogArgs),
    /// Floating seats on the customer's network: the relay's key, pool licenses, the lease server.
    #[command(subcommand)]
    Relay(RelayCommand),
    /// Verify a lease token from `licet relay serve` offline, against its pool license and the vendor's key.
    #[command(
        name = "verify-lease",
        after_help = "Examples:\n  licet verify-lease lease.jwt --pool pool.lic --pubkey vendor.pub.pem\n  licet verify-lease lease.jwt --pool pool.lic --pubkey vendor.pub.pem --revocations revocations.jwt\n  curl -s -X PUT http://relay:7070/v1/leases/$(licet machine-id) | jq -r .lease | licet verify-lease - --pool pool.lic --pubkey vendor.pub.pem --json\n\nThe pool license is verified against --pubkey (signature, expiry, product, type POOL; its\nmachine binding names the relay's machine, so it is not checked here); the lease must be signed\nby the relay key the pool license names (never a key the lease carries), name that pool, live\nno longer than the pool's max_lease_ttl, be unexpired, and be for this machine (or --machine).\nExit 0 valid; 1 rejected (the report's `part` says whether the pool or the lease failed); 2 usage or I/O error."
    )]
    VerifyLease(VerifyLeaseArgs),
    /// Run the whole story in a temporary directory: keygen, issue, verify, tamper, expire.
    #[command(
        after_help = "Examples:\n  licet demo\n  licet demo --keep    # keep the directory with the key pair and the license files"
    )]
    Demo(DemoArgs),
}

#[derive(Args)]
pub struct VerifyResponseArgs {
    /// The saved response (JSON), or `-` for stdin.
    #[arg(value_name = "FILE|-")]
    pub file: PathBuf,
    /// The API's public key (from /license/public-key or /.well-known/jwks.json); repeatable.
    #[arg(long = "pubkey", required = true, value_name = "PEM_OR_JWKS")]
    pub pubkeys: Vec<PathBuf>,
    /// The nonce the request carried: the signed answer must echo it exactly.
    #[arg(long, value_name = "NONCE")]
    pub nonce: Option<String>,
    /// The license key the request named: the signed answer must name it (no relayed answer).
    #[arg(long, value_name = "KEY")]
    pub license_key: Option<String>,
    /// The machine id the request named: the signed answer must name it (no relayed answer).
    #[arg(long, value_name = "HEX")]
    pub machine: Option<String>,
    /// The oldest answer accepted: its signed `timestamp` at most this long ago (seconds, or a
    /// number with s, m, h or d: 90, 90s, 5m, 1h, 7d).
    #[arg(long, value_name = "DURATION", value_parser = parse_duration_secs)]
    pub max_age: Option<u64>,
    /// How far the signed `timestamp` may lie ahead of this clock, in seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = licet_verifier::DEFAULT_RESPONSE_CLOCK_TOLERANCE_SECS)]
    pub clock_tolerance: u32,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

/// A duration in seconds: a number, optionally followed by s, m, h or d.
pub fn parse_duration_secs(text: &str) -> Result<u64, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let expected = "expected seconds, or a number with s, m, h or d (90, 90s, 5m, 1h, 7d)";
    let n: u64 = number
        .parse()
        .map_err(|_| format!("`{text}` is not a duration: {expected}"))?;
    let scale = match unit {
        "" | "s" => 1,
        "m" => 60,
        "h" => 3_600,
        "d" => 86_400,
        _ => return Err(format!("`{text}` has an unknown unit `{unit}`: {expected}")),
    };
    n.checked_mul(scale)
        .ok_or_else(|| format!("`{text}` is too long a duration"))
}

#[derive(Args)]
pub struct ServeArgs {
    #[command(flatten)]
    pub db: DbArgs,
    /// Address to listen on.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8080")]
    pub listen: std::net::SocketAddr,
    /// RSA key that signs API responses (PEM or PKCS#12); default: generated beside the database.
    #[arg(long, value_name = "KEY.pem|KEY.p12")]
    pub signing_key: Option<PathBuf>,
    /// Passphrase file for the signing key (else LICET_PASSPHRASE, else a prompt on a terminal); for a pkcs11: key, its token's PIN (else LICET_PKCS11_PIN).
    #[arg(long, value_name = "FILE", visible_alias = "pin-file")]
    pub passphrase_file: Option<PathBuf>,
    /// Vendor public key (PEM, JWK or JWKS) that installed license files must verify against (repeatable).
    #[arg(long = "trust", value_name = "PUB.pem|JWKS")]
    pub trust: Vec<PathBuf>,
    /// File holding the 32-byte key that encrypts uploaded private keys (default: licet-master.key beside the database, created on first start).
    #[arg(long, value_name = "FILE")]
    pub master_key_file: Option<PathBuf>,
    /// A PKCS#11 module (absolute path) that certificate registrations of type PKCS11 may name in their URI's module-path; repeatable. Without it, PKCS11 registrations are refused.
    #[arg(long = "pkcs11-module", value_name = "PATH")]
    pub pkcs11_modules: Vec<PathBuf>,
    /// Directory of PIN files that PKCS11 registrations may reference as `file:NAME` (each mode 0600); `env:LICET_PKCS11_PIN...` references need no directory.
    #[arg(long, value_name = "DIR")]
    pub pkcs11_pin_dir: Option<PathBuf>,
    /// Requests per minute per client address on /license/*.
    #[arg(long, value_name = "N", default_value_t = 120)]
    pub rate_limit_per_ip: u32,
    /// Requests per minute per license key on /license/*.
    #[arg(long, value_name = "N", default_value_t = 600)]
    pub rate_limit_per_key: u32,
    /// Vendor key that signs every seat license the server hands out (PEM or PKCS#12; EdDSA,
    /// RS256 or PS256, the key's algorithm as `licet issue` picks it). Default: the response key
    /// signs them RS256, and customers verify them with /license/public-key.
    #[arg(long, value_name = "KEY.pem|KEY.p12")]
    pub license_signing_key: Option<PathBuf>,
    /// Passphrase file for --license-signing-key (else LICET_PASSPHRASE, else a prompt on a terminal); for a pkcs11: key, its token's PIN (else LICET_PKCS11_PIN).
    #[arg(
        long,
        value_name = "FILE",
        visible_alias = "license-pin-file",
        requires = "license_signing_key"
    )]
    pub license_passphrase_file: Option<PathBuf>,
    /// The key entry of a --license-signing-key PKCS#12 file that holds several, by friendlyName.
    #[arg(long, value_name = "NAME", requires = "license_signing_key")]
    pub license_alias: Option<String>,
    /// Issuance ledger that records every license file the server mints (the format of
    /// `licet issue --ledger`); created when missing, refused at start when it does not verify.
    #[arg(long, value_name = "FILE")]
    pub ledger: Option<PathBuf>,
    /// Also serve /metrics (no token), /healthz and /readyz on this address, plain HTTP, for
    /// monitoring only (on the main listener /metrics needs a `read-metrics` token).
    #[arg(long, value_name = "ADDR")]
    pub metrics_listen: Option<std::net::SocketAddr>,
    /// Log format on stderr: text, or json (one JSON object per line).
    #[arg(long, value_enum, default_value = "text")]
    pub log_format: LogFormat,
    /// Serve HTTPS with this PEM certificate chain (leaf first); needs --tls-key.
    #[arg(
        long,
        value_name = "CERT.pem",
        requires = "tls_key",
        conflicts_with = "tls_p12"
    )]
    pub tls_cert: Option<PathBuf>,
    /// The PEM private key of --tls-cert (unencrypted, mode 0600).
    #[arg(long, value_name = "KEY.pem", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// Serve HTTPS with the key and certificate chain of this PKCS#12 file (mode 0600).
    #[arg(long, value_name = "FILE.p12")]
    pub tls_p12: Option<PathBuf>,
    /// Passphrase file for --tls-p12 (else LICET_TLS_PASSPHRASE, else the empty passphrase).
    #[arg(long, value_name = "FILE", requires = "tls_p12")]
    pub tls_passphrase_file: Option<PathBuf>,
    /// Seconds a connection may go without a request in progress (TLS handshake, request head, idle keep-alive) before it is closed.
    #[arg(long, value_name = "SECONDS", default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub header_timeout: u64,
    /// Open connections at most; at the bound the one idle the longest is closed for a new one.
    #[arg(long, value_name = "N", default_value_t = 10_000, value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
    pub max_connections: u64,
    /// Open connections one client address (IPv4, or IPv6 /64) may hold; more are closed at once. Trusted proxies are exempt.
    #[arg(long, value_name = "N", default_value_t = 256, value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
    pub max_connections_per_ip: u64,
    /// A reverse proxy (address or CIDR) whose forwarding header names the client (repeatable); never believed from other peers.
    #[arg(long = "trusted-proxy", value_name = "CIDR")]
    pub trusted_proxies: Vec<String>,
    /// The header trusted proxies write: x-forwarded-for or forwarded (RFC 7239).
    #[arg(long, value_name = "HEADER", default_value = "x-forwarded-for", value_parser = ["x-forwarded-for", "forwarded"])]
    pub proxy_header: String,
}

/// How `licet serve` writes its log.
#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// JSON lines (one object per event: timestamp, level, fields).
    Json,
}

#[derive(Subcommand)]
pub enum DbCommand {
    /// Create the database (mode 0600) and apply the migrations; an existing one is only migrated.
    #[command(
        after_help = "Examples:\n  licet db init sqlite://licet.db\n  licet db init sqlite:///var/lib/licet/licet.db --json\n\nOther commands never create a database: a --db that does not exist is an error, so a\nmistyped path cannot start an empty license server. On an existing database `db init`\napplies pending migrations only, says so, and exits 0.\nExit 0: created or up to date; 2: the URL is not a SQLite URL, or the file cannot be made."
    )]
    Init(DbInitArgs),
}

#[derive(Args)]
pub struct DbInitArgs {
    /// Database URL: sqlite://PATH (the file is created, mode 0600) or postgres://USER@HOST/DB
    /// (the database must exist; its tables are created). Default: $LICET_DB_URL. A password is
    /// refused here: put it in LICET_DB_URL or --db-password-file.
    #[arg(value_name = "URL")]
    pub url: Option<String>,
    /// File holding the PostgreSQL password (mode 0600, one line), for a URL without one.
    #[arg(long, value_name = "FILE")]
    pub db_password_file: Option<PathBuf>,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

/// The license database, as every command that opens it takes it.
#[derive(Args, Debug, Clone)]
pub struct DbArgs {
    /// Database URL: sqlite://PATH or postgres://USER@HOST[:PORT]/DATABASE[?sslmode=verify-full&sslrootcert=CA.pem].
    /// Default: $LICET_DB_URL, else sqlite://licet.db. A password is refused here (every user of
    /// the machine can read a command line): put it in LICET_DB_URL or --db-password-file.
    #[arg(long = "db", value_name = "URL")]
    pub url: Option<String>,
    /// File holding the PostgreSQL password (mode 0600, one line), for a --db URL without one.
    #[arg(long, value_name = "FILE")]
    pub db_password_file: Option<PathBuf>,
}

#[derive(Subcommand)]
pub enum TokenCommand {
    /// Create an API token; it is printed once and only its SHA-256 is stored.
    #[command(
        after_help = "Examples:\n  licet token create --db sqlite://licet.db --user admin --permission all\n  licet token create --user ops --permission manage-licenses --permission manage-license-keys --json\n  licet token create --user ci --permission view-admin-log --expires-days 7\n\nTokens expire after 90 days unless --expires-days N or --no-expiry is given."
    )]
    Create(TokenCreateArgs),
    /// List every token (never its text or hash): id, user, permissions, created, expiry, status.
    #[command(
        after_help = "Examples:\n  licet token list --db sqlite://licet.db\n  licet token list --json"
    )]
    List(TokenListArgs),
    /// Revoke a token by its id: a running server refuses it from the next request on.
    #[command(
        after_help = "Examples:\n  licet token revoke 6f0c5a2e-3b1d-4c8e-9a7f-2d4b6e8c0a13 --db sqlite://licet.db\n\nThe token's row is kept (its id is never reused). Exit 0 revoked, 1 no such token or already\nrevoked (nothing is logged), 2 usage or I/O error."
    )]
    Revoke(TokenRevokeArgs),
}

#[derive(Args)]
pub struct TokenListArgs {
    #[command(flatten)]
    pub db: DbArgs,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Args)]
pub struct TokenRevokeArgs {
    /// The token's id (from `licet token list`).
    #[arg(value_name = "ID")]
    pub id: String,
    #[command(flatten)]
    pub db: DbArgs,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Args)]
pub struct AdminLogArgs {
    #[command(flatten)]
    pub db: DbArgs,
    /// Only entries at or after DATE (RFC 3339, or YYYY-MM-DD meaning 00:00:00Z).
    #[arg(long, value_name = "DATE")]
    pub since: Option<String>,
    /// At most N entries (1 to 500).
    #[arg(
        long,
        value_name = "N",
        default_value_t = 50,
        allow_negative_numbers = true
    )]
    pub limit: i64,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Args)]
pub struct TokenCreateArgs {
    #[command(flatten)]
    pub db: DbArgs,
    /// The user the token belongs to (the X-User-Id it goes with).
    #[arg(long, value_name = "USER_ID")]
    pub user: String,
    /// edit-privileged-setting, manage-certificates, manage-licenses, manage-license-keys,
    /// manage-tokens, view-admin-log, read-metrics, or all (repeatable).
    #[arg(long = "permission", value_name = "P", required = true)]
    pub permissions: Vec<String>,
    /// The token expires after N days (default: 90).
    #[arg(long, value_name = "N", conflicts_with = "no_expiry")]
    pub expires_days: Option<u32>,
    /// The token never expires (revoke it with `licet token revoke` when it is no longer used).
    #[arg(long)]
    pub no_expiry: bool,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Subcommand)]
pub enum CertCommand {
    /// Print the certificate of a PKCS#12 file: name, type, subject, issuer, serial, validity, key, kid, fingerprint.
    #[command(
        after_help = "Examples:\n  licet cert info vendor.p12 --passphrase-file pass.txt\n  licet cert info store.pfx --alias signing --json"
    )]
    Info(CertInfoArgs),
}

#[derive(Args)]
pub struct CertInfoArgs {
    /// The PKCS#12 file (.p12/.pfx).
    #[arg(value_name = "FILE.p12")]
    pub file: PathBuf,
    /// File whose first line is the passphrase (else LICET_PASSPHRASE, else a prompt on a terminal).
    #[arg(long, value_name = "FILE")]
    pub passphrase_file: Option<PathBuf>,
    /// The key entry to describe, by friendlyName, when the file holds several.
    #[arg(long, value_name = "NAME")]
    pub alias: Option<String>,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum KeygenAlg {
    /// Ed25519 (signs EdDSA).
    Ed25519,
    /// RSA (signs RS256 by default).
    Rs256,
    /// RSA (the same key type; sign with `issue --alg PS256`).
    Ps256,
}

#[derive(Args)]
pub struct KeygenArgs {
    /// Key algorithm.
    #[arg(long, value_enum, ignore_case = true)]
    pub alg: KeygenAlg,
    /// RSA modulus size: 2048, 3072 or 4096 (default 2048).
    #[arg(long)]
    pub bits: Option<u32>,
    /// Output prefix: writes PREFIX.key.pem and PREFIX.pub.pem.
    #[arg(long, value_name = "PREFIX", required_unless_present = "p12")]
    pub out: Option<PathBuf>,
    /// Also (or instead) write the key with a self-signed certificate as PKCS#12 (needs a passphrase).
    #[arg(long, value_name = "OUT.p12")]
    pub p12: Option<PathBuf>,
    /// Generate the key pair inside a PKCS#11 token (RFC 7512 URI naming the token, the new key's
    /// object label and the module), non-extractable; writes only PREFIX.pub.pem. The PIN comes
    /// from --pin-file or LICET_PKCS11_PIN.
    #[arg(long, value_name = "URI", conflicts_with_all = ["p12", "subject", "cert_days"])]
    pub pkcs11: Option<String>,
    /// Certificate subject for --p12, such as "CN=Example Vendor,O=Example" (default CN=licet signing key).
    #[arg(long, value_name = "DN", requires = "p12")]
    pub subject: Option<String>,
    /// Certificate validity for --p12, in days from now (default 3650).
    #[arg(long, value_name = "N", requires = "p12")]
    pub cert_days: Option<u32>,
    /// Encrypt the private key with the first line of this file (else LICET_PASSPHRASE, else unencrypted); for a pkcs11: key, its token's PIN (else LICET_PKCS11_PIN).
    #[arg(long, value_name = "FILE", visible_alias = "pin-file")]
    pub passphrase_file: Option<PathBuf>,
    /// Replace existing key files.
    #[arg(long)]
    pub force: bool,
    /// Print a JSON summary.
    #[arg(long)]
    pub json: bool,
}

#[derive(Subcommand)]
pub enum KeyCommand {
    /// Print a JWKS ({"keys":[...]}) of public keys, with kid, alg and use.
    #[command(
        after_help = "Examples:\n  licet key jwks vendor.pub.pem > jwks.json\n  licet key jwks rsa.pub.pem --rsa-alg PS256\n\nA JWKS `alg` pins a key to that algorithm. A key file made by `licet keygen` records its\nalgorithm, and that is what is published; other RSA keys get RS256 unless --rsa-alg says otherwise."
    )]
    Jwks(JwksArgs),
    /// Print the public key of a private key (PEM, PKCS#12 or a PKCS#11 token), as PEM.
    #[command(
        after_help = "Examples:\n  licet key public vendor.key.pem > vendor.pub.pem\n  licet key public vendor.p12 --passphrase-file p.txt > vendor.pub.pem\n  licet key public 'pkcs11:token=vendor;object=license-signing?module-path=/usr/lib/softhsm/libsofthsm2.so' --pin-file pin.txt\n\nThe same public key (and kid) as `licet keygen` wrote; no openssl step is needed after\n`keygen --p12`."
    )]
    Public(KeyPublicArgs),
    /// Sign a key rollover statement: the old key introduces a new public key (and may retire itself).
    #[command(
        after_help = "Examples:\n  licet key rollover --old vendor-2026.key.pem --new vendor-2027.pub.pem --out rollover.jwt\n  licet key rollover --old vendor-2026.key.pem --new vendor-2027.pub.pem --retire-old 2027-03-01 --out rollover.jwt\n  licet key rollover --old 'pkcs11:token=vendor;object=k2026?module-path=/usr/lib/softhsm/libsofthsm2.so' --pin-file pin.txt --new k2027.pub.pem --out rollover.jwt\n\nThe statement (typ key-rollover+jwt) is signed by the old key and carries the new public key\nas a JWK pinned to its algorithm. Customers add it with `licet trust add rollover.jwt --state DIR\n--pubkey OLD.pub.pem`; from then on licenses of the new key verify there. With --retire-old,\nlicenses the old key signs from that date are KEY_RETIRED; earlier ones stay valid until they\nexpire. With --not-before, the new key is believed only for files issued from that date.\nThe runbook is in docs/KEYS.md. Exit 0 written, 2 usage or I/O error."
    )]
    Rollover(KeyRolloverArgs),
}

#[derive(Args)]
pub struct KeyRolloverArgs {
    /// The old private key, which signs the statement (PEM, PKCS#12, or a pkcs11: URI).
    #[arg(long, value_name = "OLD_KEY")]
    pub old: PathBuf,
    /// In a PKCS#12 file with several keys, the one with this friendlyName.
    #[arg(long, value_name = "NAME")]
    pub alias: Option<String>,
    /// File whose first line is the old key's passphrase (else LICET_PASSPHRASE); for a pkcs11: key, its token's PIN (else LICET_PKCS11_PIN).
    #[arg(long, value_name = "FILE", visible_alias = "pin-file")]
    pub passphrase_file: Option<PathBuf>,
    /// Signature algorithm of the statement (default: the old key's).
    #[arg(long, value_name = "ALG")]
    pub alg: Option<String>,
    /// The new public key (PEM or JWK), or `-`.
    #[arg(long, value_name = "NEW_PUB")]
    pub new: PathBuf,
    /// The algorithm the new key is pinned to (default: the one its .pub.pem records; EdDSA for Ed25519).
    #[arg(long, value_name = "ALG")]
    pub new_alg: Option<String>,
    /// The new key is believed only for files issued from DATE (RFC 3339 or YYYY-MM-DD).
    #[arg(long, value_name = "DATE")]
    pub not_before: Option<String>,
    /// Files the old key signs from DATE on are KEY_RETIRED (RFC 3339 or YYYY-MM-DD).
    #[arg(long, value_name = "DATE")]
    pub retire_old: Option<String>,
    /// Vendor name (`iss`).
    #[arg(long, value_name = "NAME")]
    pub issuer: Option<String>,
    /// Where to write the statement (`-` for stdout); an existing file is not replaced.
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
    /// Print a JSON summary.
    #[arg(long)]
    pub json: bool,
}

#[derive(Subcommand)]
pub enum TrustCommand {
    /// Add a key rollover statement to a state's trust store (it must verify with a key trusted there).
    #[command(
        after_help = "Examples:\n  licet trust add rollover.jwt --state /var/lib/licet --pubkey vendor-2026.pub.pem\n\nThe statement must verify with a key this site trusts already: one of --pubkey, or one an\nearlier statement introduced. It is refused when it was signed after its key was retired or\nrevoked (by a revocation list this state kept), or is dated ahead of the clock. The state keeps\nthe statement, not the key: every check re-verifies the chain from its --pubkey.\nExit 0 added (or already there), 2 refused or unusable (the reason is printed)."
    )]
    Add(TrustAddArgs),
    /// Show the keys a state trusts: the given ones, those statements introduced, retirements and revocations.
    #[command(
        after_help = "Examples:\n  licet trust list --state /var/lib/licet --pubkey vendor-2026.pub.pem\n  licet trust list --state /var/lib/licet --pubkey vendor-2026.pub.pem --json\n\nEach key shows who introduced it, when, from when it is retired, and its standing for a file\nsigned now (TRUSTED, KEY_RETIRED, KEY_REVOKED). Each statement kept shows whether it applied\nfrom the keys given. Exit 0, 2 usage or I/O error."
    )]
    List(TrustListArgs),
}

#[derive(Args)]
pub struct TrustAddArgs {
    /// The rollover statement, or `-` for stdin.
    #[arg(value_name = "ROLLOVER|-")]
    pub statement: PathBuf,
    /// State directory (default: the platform data directory, e.g. $XDG_DATA_HOME/licet).
    #[arg(long, value_name = "DIR")]
    pub state: Option<PathBuf>,
    /// The keys this site trusts (PEM, JWK or JWKS); repeatable.
    #[arg(long = "pubkey", value_name = "FILE", required = true)]
    pub pubkeys: Vec<PathBuf>,
    /// Seconds a statement may be dated ahead of the clock.
    #[arg(long, value_name = "SECS", default_value_t = licet_verifier::DEFAULT_CLOCK_TOLERANCE_SECS)]
    pub clock_tolerance: u32,
    /// Print a JSON summary.
    #[arg(long)]
    pub json: bool,
}

#[derive(Args)]
pub struct TrustListArgs {
    /// State directory (default: the platform data directory, e.g. $XDG_DATA_HOME/licet).
    #[arg(long, value_name = "DIR")]
    pub state: Option<PathBuf>,
    /// The keys this site trusts (PEM, JWK or JWKS); repeatable.
    #[arg(long = "pubkey", value_name = "FILE", required = true)]
    pub pubkeys: Vec<PathBuf>,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Args)]
pub struct KeyPublicArgs {
    /// The private key: PEM (PKCS#8, encrypted PKCS#8, PKCS#1) or PKCS#12 (.p12/.pfx), or `-`, or a key in a PKCS#11 token (`pkcs11:token=...;object=...?module-path=...`).
    #[arg(value_name = "KEY")]
    pub key: PathBuf,
    /// In a PKCS#12 file with several keys, the one with this friendlyName.
    #[arg(long, value_name = "NAME")]
    pub alias: Option<String>,
    /// File whose first line is the key's passphrase (else LICET_PASSPHRASE, else a prompt); for a pkcs11: key, its token's PIN (else LICET_PKCS11_PIN).
    #[arg(long, value_name = "FILE", visible_alias = "pin-file")]
    pub passphrase_file: Option<PathBuf>,
    /// Print a JSON object with the PEM, kid and algorithm instead.
    #[arg(long)]
    pub json: bool,
}

#[derive(Args)]
pub struct JwksArgs {
    /// Public key files (PEM, JWK or JWKS).
    #[arg(required = true, value_name = "PUB.pem")]
    pub keys: Vec<PathBuf>,
    /// The `alg` written for RSA keys: RS256 (default) or PS256.
    #[arg(long, value_name = "ALG")]
    pub rsa_alg: Option<String>,
}

#[derive(Args)]
pub struct IssueArgs {
    /// The private signing key: PEM (PKCS#8, encrypted PKCS#8, PKCS#1) or PKCS#12 (.p12/.pfx), or a key in a PKCS#11 token (`pkcs11:token=...;object=...?module-path=...`).
    #[arg(long, value_name = "KEY.pem|KEY.p12")]
    pub key: PathBuf,
    /// In a PKCS#12 file with several keys, the one with this friendlyName.
    #[arg(long, value_name = "NAME")]
    pub alias: Option<String>,
    /// Sign even when the PKCS#12 certificate is outside its validity period.
    #[arg(long)]
    pub allow_expired_cert: bool,
    /// Signature algorithm: EdDSA for Ed25519 keys; RS256 (default) or PS256 for RSA keys.
    #[arg(long)]
    pub alg: Option<String>,
    /// File whose first line is the key's passphrase (else LICET_PASSPHRASE); for a pkcs11: key, its token's PIN (else LICET_PKCS11_PIN).
    #[arg(long, value_name = "FILE", visible_alias = "pin-file")]
    pub passphrase_file: Option<PathBuf>,
    /// Customer id (`sub`).
    #[arg(long)]
    pub customer: String,
    /// License type, an upper-case word such as TRIAL or STANDARD (default STANDARD).
    #[arg(long = "type", value_name = "TYPE")]
    pub license_type: Option<String>,
    /// Expiry: RFC 3339, or YYYY-MM-DD (valid through that day, UTC). Without it the license is perpetual.
    #[arg(long, value_name = "DATE", conflicts_with = "days")]
    pub expires: Option<String>,
    /// Expiry N days after now.
    #[arg(long, value_name = "N")]
    pub days: Option<u32>,
    /// Not valid before: RFC 3339, or YYYY-MM-DD (from 00:00:00Z that day).
    #[arg(long, value_name = "DATE")]
    pub not_before: Option<String>,
    /// Days after expiry during which the license still works (IN_GRACE).
    #[arg(long, value_name = "N")]
    pub grace_days: Option<u32>,
    /// An entitlement NAME=VALUE (repeatable).
    #[arg(long = "feature", value_name = "NAME=VALUE")]
    pub features: Vec<String>,
    /// Bind to a machine id, 64 hex characters (repeatable).
    #[arg(long = "machine", value_name = "HEX")]
    pub machines: Vec<String>,
    /// License key this file belongs to (XXXXX-XXXXX-XXXXX-XXXXX-XXXXX).
    #[arg(long, value_name = "K")]
    pub license_key: Option<String>,
    /// Product (`aud`).
    #[arg(long, value_name = "P")]
    pub product: Option<String>,
    /// Vendor name (`iss`).
    #[arg(long, value_name = "NAME")]
    pub issuer: Option<String>,
    /// Owner's name.
    #[arg(long, value_name = "S")]
    pub owner_name: Option<String>,
    /// Owner's e-mail address.
    #[arg(long, value_name = "S")]
    pub owner_email: Option<String>,
    /// License id (`jti`); a random UUID v4 when absent.
    #[arg(long, value_name = "ID")]
    pub license_id: Option<String>,
    /// Issue time (`iat`) instead of now, RFC 3339 (for reproducible fixtures).
    #[arg(long, value_name = "RFC3339", hide = true)]
    pub issued_at: Option<String>,
    /// Output file; `-` or absent for stdout.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Append an entry to this issuance ledger (JSON Lines, hash-chained; created when missing).
    #[arg(long, value_name = "FILE")]
    pub ledger: Option<PathBuf>,
    /// Print a JSON summary (with the license itself when writing to stdout).
    #[arg(long)]
    pub json: bool,
}

#[derive(Args)]
pub struct RevokeArgs {
    /// The private signing key that signs the list (PEM or PKCS#12), or a key in a PKCS#11 token (`pkcs11:token=...;object=...?module-path=...`).
    #[arg(long, value_name = "KEY")]
    pub key: PathBuf,
    /// In a PKCS#12 file with several keys, the one with this friendlyName.
    #[arg(long, value_name = "NAME")]
    pub alias: Option<String>,
    /// File whose first line is the key's passphrase (else LICET_PASSPHRASE); for a pkcs11: key, its token's PIN (else LICET_PKCS11_PIN).
    #[arg(long, value_name = "FILE", visible_alias = "pin-file")]
    pub passphrase_file: Option<PathBuf>,
    /// Signature algorithm: EdDSA for Ed25519 keys; RS256 (default) or PS256 for RSA keys.
    #[arg(long, value_name = "ALG")]
    pub alg: Option<String>,
    /// The revocation list to extend (made when missing); replaced atomically.
    #[arg(long, value_name = "FILE")]
    pub list: PathBuf,
    /// Why the licenses are revoked (shown by the verifier).
    #[arg(long, value_name = "TEXT", default_value = "")]
    pub reason: String,
    /// Vendor name (`iss`) of a new list.
    #[arg(long, value_name = "NAME")]
    pub issuer: Option<String>,
    /// Append an entry per newly revoked license to this ledger; ids issued in it are recognised.
    #[arg(long, value_name = "FILE")]
    pub ledger: Option<PathBuf>,
    /// Revoke ids that are neither a UUID nor issued in the --ledger given (else refused).
    #[arg(long)]
    pub force: bool,
    /// Revoke a signing key: its kid, or a public-key file; repeatable. Files it signed from --key-revoked-from on are KEY_REVOKED.
    #[arg(long, value_name = "KID|PUB")]
    pub revoke_key: Vec<String>,
    /// From when the keys of --revoke-key are revoked (RFC 3339 or YYYY-MM-DD; default: from the beginning, every file they signed).
    #[arg(long, value_name = "DATE", requires = "revoke_key")]
    pub key_revoked_from: Option<String>,
    /// Carry every entry of this list (of another key, e.g. the key being replaced) into the new one; repeatable. Verified with --pubkey.
    #[arg(long, value_name = "LIST")]
    pub carry_forward: Vec<PathBuf>,
    /// The public keys that verify the --carry-forward lists.
    #[arg(long = "pubkey", value_name = "FILE", requires = "carry_forward")]
    pub pubkeys: Vec<PathBuf>,
    /// Print a JSON summary.
    #[arg(long)]
    pub json: bool,
    /// The license ids (`jti`) to revoke.
    #[arg(value_name = "LICENSE_ID")]
    pub license_ids: Vec<String>,
}

#[derive(Subcommand)]
pub enum ActivationCommand {
    /// On the isolated machine: write an activation request and record it as pending.
    #[command(
        after_help = "Examples:\n  licet activation request --license-key PRQDU-CT2KE-YS3WX-TH4CH-ECK5P --out request.json\n  licet activation request --license-key prqduct2keys3wxth4check5p --qr   # and a QR code\n  licet activation request --license-key ABCDE-... --no-key-check   # skip the local check\n\nCarry request.json to the vendor, who answers with `licet activation respond`.\nThe state directory defaults to $XDG_DATA_HOME/licet (~/.local/share/licet).\nThe key's check character is checked first: a mistyped key is refused (exit 2) and nothing is\nwritten or recorded. Keys with a 0, O, 1, I or L are older keys and are not checked.\nExit 0 written, 2 usage or I/O error (a malformed or mistyped key among them)."
    )]
    Request(ActivationRequestArgs),
    /// At the vendor: answer a request (take a seat, write a machine-bound license) or a release.
    #[command(
        after_help = "Examples:\n  licet activation respond request.json --key vendor.key.pem --db sqlite://licet.db --out license.lic\n  licet activation respond release.json --key vendor.key.pem --db sqlite://licet.db\n\nThe same seat rules as `licet serve`'s /license/activate, over the same database: the key must\nexist, be active and unexpired, and have a seat left; a machine that has a seat keeps it.\nExit 0 granted, 1 refused (the reason is printed), 2 usage or I/O error."
    )]
    Respond(ActivationRespondArgs),
    /// On the isolated machine: install the vendor's license for a pending request.
    #[command(
        after_help = "Examples:\n  licet activation install license.lic --pubkey vendor.pub.pem\n\nThe license must carry the nonce of a pending request of this state directory, be bound to that\nrequest's machine and key, and verify now. Exit 0 installed, 1 refused, 2 usage or I/O error."
    )]
    Install(ActivationInstallArgs),
    /// On the isolated machine: remove the installed license and write a release for the vendor.
    #[command(
        after_help = "Examples:\n  licet activation release --out release.json\n  licet activation release --license-id 6f0c... --out release.json\n\nCarry release.json to the vendor: `licet activation respond release.json ...` frees the seat.\nA release rests on trust in the customer: see docs/OFFLINE.md."
    )]
    Release(ActivationReleaseArgs),
}

#[derive(Subcommand)]
pub enum ClockCommand {
    /// On the isolated machine: write a time-attestation request and record it as pending.
    #[command(
        after_help = "Examples:\n  licet clock request --state /var/lib/licet --out clock-request.json\n\nUse it when checks say CLOCK_ROLLBACK although the clock is right now (an earlier clock ran\nfast and raised the state's mark). Carry the file to the vendor (`licet clock attest`), then\napply the answer with `licet clock apply`. The state directory defaults to $XDG_DATA_HOME/licet."
    )]
    Request(ClockRequestArgs),
    /// At the vendor: sign the current time for a request.
    #[command(
        after_help = "Examples:\n  licet clock attest clock-request.json --key vendor.key.pem --out clock-attestation.jwt\n\nThe attestation (typ licet-time+jwt) carries this machine's time, the request's nonce and the\nrequesting state's id; it applies once, to that state only. The machine's clock reading in the\nrequest is printed, so you can see how far off it is."
    )]
    Attest(ClockAttestArgs),
    /// On the isolated machine: apply an attestation; the clock guard's mark becomes the attested time.
    #[command(
        after_help = "Examples:\n  licet clock apply clock-attestation.jwt --pubkey vendor.pub.pem --state /var/lib/licet\n\nThe attestation must verify with a trusted key and answer a pending request of this state.\nExit 0 applied, 2 refused or unusable (the reason is printed)."
    )]
    Apply(ClockApplyArgs),
}

#[derive(Args)]
pub struct ClockRequestArgs {
    /// State directory (default: the platform data directory, e.g. $XDG_DATA_HOME/licet).
    #[arg(long, value_name = "DIR")]
    pub state: Option<PathBuf>,
    /// Where to write the request; `-` or absent for stdout.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

#[derive(Args)]
pub struct ClockAttestArgs {
    /// The request file, or `-` for stdin.
    #[arg(value_name = "REQUEST|-")]
    pub request: PathBuf,
    /// The private key that signs (PEM or PKCS#12), or a key in a PKCS#11 token (`pkcs11:token=...;object=...?module-path=...`).
    #[arg(long, value_name = "KEY")]
    pub key: PathBuf,
    /// In a PKCS#12 file with several keys, the one with this friendlyName.
    #[arg(long, value_name = "NAME")]
    pub alias: Option<String>,
    /// File whose first line is the key's passphrase (else LICET_PASSPHRASE); for a pkcs11: key, its token's PIN (else LICET_PKCS11_PIN).
    #[arg(long, value_name = "FILE", visible_alias = "pin-file")]
    pub passphrase_file: Option<PathBuf>,
    /// Signature algorithm (default: the key's).
    #[arg(long, value_name = "ALG")]
    pub alg: Option<String>,
    /// Where to write the attestation; `-` or absent for stdout.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Print a JSON summary on stderr.
    #[arg(long)]
    pub json: bool,
}

#[derive(Args)]
pub struct ClockApplyArgs {
    /// The attestation file, or `-` for stdin.
    #[arg(value_name = "ATTESTATION|-")]
    pub file: PathBuf,
    /// Trusted public key: PEM, JWK or JWKS (repeatable).
    #[arg(long = "pubkey", required = true, value_name = "PEM_OR_JWKS")]
    pub pubkeys: Vec<PathBuf>,
    /// State directory (default: the platform data directory).
    #[arg(long, value_name = "DIR")]
    pub state: Option<PathBuf>,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Args)]
pub struct ActivationRequestArgs {
    /// The license key to activate.
    #[arg(long, value_name = "KEY")]
    pub license_key: String,
    /// The machine id to bind (64 hex); this machine's by default.
    #[arg(long, value_name = "HEX")]
    pub machine: Option<String>,
    /// State directory (default: the platform data directory, e.g. $XDG_DATA_HOME/licet).
    #[arg(long, value_name = "DIR")]
    pub state: Option<PathBuf>,
    /// Where to write the request; `-` or absent for stdout.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Also print the request as a QR code (on stderr).
    #[arg(long)]
    pub qr: bool,
    /// Skip the local check of the key's check character: for an older key (made before check
    /// characters) that happens to have no 0, O, 1, I or L and so looks mistyped.
    #[arg(long)]
    pub no_key_check: bool,
}

#[derive(Args)]
pub struct ActivationRespondArgs {
    /// The request or release file, or `-` for stdin.
    #[arg(value_name = "FILE|-")]
    pub file: PathBuf,
    /// The private key that signs the license (PEM or PKCS#12), or a key in a PKCS#11 token (`pkcs11:token=...;object=...?module-path=...`).
    #[arg(long, value_name = "KEY")]
    pub key: PathBuf,
    /// In a PKCS#12 file with several keys, the one with this friendlyName.
    #[arg(long, value_name = "NAME")]
    pub alias: Option<String>,
    /// File whose first line is the key's passphrase (else LICET_PASSPHRASE); for a pkcs11: key, its token's PIN (else LICET_PKCS11_PIN).
    #[arg(long, value_name = "FILE", visible_alias = "pin-file")]
    pub passphrase_file: Option<PathBuf>,
    #[command(flatten)]
    pub db: DbArgs,
    /// Where to write the license; `-` or absent for stdout.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Append an `activate` entry to this issuance ledger.
    #[arg(long, value_name = "FILE")]
    pub ledger: Option<PathBuf>,
    /// Also print the license as a QR code (on stderr).
    #[arg(long)]
    pub qr: bool,
    /// Print a JSON summary.
    #[arg(long)]
    pub json: bool,
}

#[derive(Args)]
pub struct ActivationInstallArgs {
    /// The license file from the vendor, or `-` for stdin.
    #[arg(value_name = "FILE|-")]
    pub file: PathBuf,
    /// Trusted public key: PEM, JWK or JWKS (repeatable).
    #[arg(long = "pubkey", required = true, value_name = "PEM_OR_JWKS")]
    pub pubkeys: Vec<PathBuf>,
    /// State directory (default: the platform data directory).
    #[arg(long, value_name = "DIR")]
    pub state: Option<PathBuf>,
    /// How far behind the latest time seen the clock may be, in seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = licet_verifier::DEFAULT_CLOCK_TOLERANCE_SECS)]
    pub clock_tolerance: u32,
    /// Evaluation time instead of now, RFC 3339 (simulates the clock).
    #[arg(long, value_name = "RFC3339")]
    pub at: Option<String>,
    /// Print a JSON summary.
    #[arg(long)]
    pub json: bool,
}

#[derive(Args)]
pub struct ActivationReleaseArgs {
    /// State directory (default: the platform data directory).
    #[arg(long, value_name = "DIR")]
    pub state: Option<PathBuf>,
    /// The installed license to release, when several are installed.
    #[arg(long, value_name = "ID")]
    pub license_id: Option<String>,
    /// Where to write the release; `-` or absent for stdout.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Also print the release as a QR code (on stderr).
    #[arg(long)]
    pub qr: bool,
}

#[derive(Args)]
pub struct LicenseKeyCreateArgs {
    #[command(flatten)]
    pub db: DbArgs,
    /// The customer.
    #[arg(long, value_name = "ID")]
    pub customer: String,
    /// Seats (machines that may activate), 1 to 1,000,000.
    #[arg(long, value_name = "N")]
    pub max_activations: i64,
    /// Product (`aud` of the license files).
    #[arg(long, value_name = "P")]
    pub product: Option<String>,
    /// License type (STANDARD by default).
    #[arg(long = "type", value_name = "T")]
    pub license_type: Option<String>,
    /// Expiry: RFC 3339, or YYYY-MM-DD (valid through that day, UTC). Perpetual when absent.
    #[arg(long, value_name = "DATE")]
    pub expires: Option<String>,
    /// Seat lease, 1 to 3650 days: each seat's license file expires N days after it is issued
    /// (never after the key). Default: 30 days online; offline, the key's expiry.
    #[arg(long, value_name = "N", allow_negative_numbers = true)]
    pub lease_days: Option<i64>,
    /// An entitlement NAME=VALUE (repeatable).
    #[arg(long = "feature", value_name = "NAME=VALUE")]
    pub features: Vec<String>,
    /// Print JSON (the key and its fields).
    #[arg(long)]
    pub json: bool,
}

#[derive(Args)]
pub struct LicenseKeyListArgs {
    #[command(flatten)]
    pub db: DbArgs,
    /// Only this customer's keys.
    #[arg(long, value_name = "ID")]
    pub customer: Option<String>,
    /// Only keys of this product.
    #[arg(long, value_name = "P")]
    pub product: Option<String>,
    /// Only keys with this status: active or suspended.
    #[arg(long, value_name = "STATUS")]
    pub status: Option<String>,
    /// The page, from 1.
    #[arg(
        long,
        value_name = "N",
        default_value = "1",
        allow_negative_numbers = true
    )]
    pub page: String,
    /// Keys per page, 1 to 500.
    #[arg(
        long,
        value_name = "N",
        default_value = "50",
        allow_negative_numbers = true
    )]
    pub per_page: String,
    /// Print JSON (`data` and `pagination`, as the API).
    #[arg(long)]
    pub json: bool,
}

#[derive(Args)]
pub struct LicenseKeyShowArgs {
    /// The key's text or its id.
    #[arg(value_name = "KEY|ID")]
    pub key: String,
    #[command(flatten)]
    pub db: DbArgs,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Args)]
pub struct LicenseKeyUpdateArgs {
    /// The key's text or its id.
    #[arg(value_name = "KEY|ID")]
    pub key: String,
    #[command(flatten)]
    pub db: DbArgs,
    /// Seats, 1 to 1,000,000.
    #[arg(long, value_name = "N", allow_negative_numbers = true)]
    pub max_activations: Option<i64>,
    /// New expiry (renewal): RFC 3339, or YYYY-MM-DD (valid through that day, UTC).
    #[arg(long, value_name = "DATE", conflicts_with = "perpetual")]
    pub expires: Option<String>,
    /// Make the key perpetual.
    #[arg(long)]
    pub perpetual: bool,
    /// Seat lease, 1 to 3650 days.
    #[arg(
        long,
        value_name = "N",
        allow_negative_numbers = true,
        conflicts_with = "default_lease"
    )]
    pub lease_days: Option<i64>,
    /// Return to the default lease (30 days online).
    #[arg(long)]
    pub default_lease: bool,
    /// An entitlement NAME=VALUE (repeatable); the ones given replace the key's features.
    #[arg(
        long = "feature",
        value_name = "NAME=VALUE",
        conflicts_with = "no_features"
    )]
    pub features: Vec<String>,
    /// Remove every feature.
    #[arg(long)]
    pub no_features: bool,
    /// The customer.
    #[arg(long, value_name = "ID")]
    pub customer: Option<String>,
    /// The product (an empty string removes it).
    #[arg(long, value_name = "P")]
    pub product: Option<String>,
    /// The license type.
    #[arg(long = "type", value_name = "T")]
    pub license_type: Option<String>,
    /// active or suspended.
    #[arg(long, value_name = "STATUS")]
    pub status: Option<String>,
    /// Print JSON (the key after the change).
    #[arg(long)]
    pub json: bool,
}

#[derive(Args)]
pub struct LicenseKeyFreeSeatArgs {
    /// The key's text or its id.
    #[arg(value_name = "KEY|ID")]
    pub key: String,
    /// The machine whose seat is freed (64 hex).
    #[arg(long, value_name = "HEX")]
    pub machine: String,
    #[command(flatten)]
    pub db: DbArgs,
    /// Print JSON (the freed seat).
    #[arg(long)]
    pub json: bool,
}

#[derive(Args)]
pub struct AuditArgs {
    /// License files and directories.
    #[arg(value_name = "PATH", required = true)]
    pub paths: Vec<PathBuf>,
    /// Trusted public key: PEM, JWK or JWKS (repeatable).
    #[arg(long = "pubkey", required = true, value_name = "PEM_OR_JWKS")]
    pub pubkeys: Vec<PathBuf>,
    /// The issuance ledger to reconcile the files with.
    #[arg(long, value_name = "FILE")]
    pub ledger: Option<PathBuf>,
    /// A signed revocation list: listed licenses are REVOKED (repeatable: lists of several keys
    /// merge; each must verify with the trusted keys).
    #[arg(long, value_name = "FILE")]
    pub revocations: Vec<PathBuf>,
    /// Evaluation time instead of now: RFC 3339, or YYYY-MM-DD (the start of that day, UTC).
    #[arg(long, value_name = "TIME")]
    pub at: Option<String>,
    /// Require this product (`aud`).
    #[arg(long, value_name = "P")]
    pub product: Option<String>,
    /// Print the whole report as JSON.
    #[arg(long, conflicts_with = "csv")]
    pub json: bool,
    /// Print one CSV row per license file: path,status,valid,licenseId,customerId,kid,expiry,
    /// reason,machineIds,product,licenseType,features,issuedAt,notBefore.
    #[arg(long)]
    pub csv: bool,
}

#[derive(Subcommand)]
pub enum LedgerCommand {
    /// Check a ledger's hash chain. Exit 0 intact, 1 broken, 2 unreadable.
    #[command(
        after_help = "Examples:\n  licet ledger verify issued.jsonl\n  licet ledger verify issued.jsonl --head 9f2c...41 --json\n\nThe chain shows a changed, removed or reordered line by the line after it. The last line has\nno successor: keep the printed head hash elsewhere and give it back with --head."
    )]
    Verify(LedgerVerifyArgs),
}

#[derive(Args)]
pub struct ReissueArgs {
    /// The issuance ledger (JSON Lines) whose licenses are re-issued; the new entries are appended to it.
    #[arg(long, value_name = "FILE")]
    pub ledger: PathBuf,
    /// The new private signing key (PEM, PKCS#12, or a pkcs11: URI).
    #[arg(long, value_name = "NEW_KEY")]
    pub key: PathBuf,
    /// The vendor public keys the ledger's license files must verify with (every key that signed them; the new key's own is added); repeatable. Without it, files are checked against the ledger's hashes only, and the report says so.
    #[arg(long = "pubkey", value_name = "PUB")]
    pub pubkeys: Vec<PathBuf>,
    /// A revocation list (verified with --pubkey); licenses it revokes, and those that replace them, are not re-issued; repeatable.
    #[arg(long = "revocations", value_name = "LIST")]
    pub revocations: Vec<PathBuf>,
    /// The head hash recorded earlier (`licet ledger verify`): the ledger must continue from it.
    #[arg(long, value_name = "HEX")]
    pub head: Option<String>,
    /// In a PKCS#12 file with several keys, the one with this friendlyName.
    #[arg(long, value_name = "NAME")]
    pub alias: Option<String>,
    /// File whose first line is the key's passphrase (else LICET_PASSPHRASE); for a pkcs11: key, its token's PIN (else LICET_PKCS11_PIN).
    #[arg(long, value_name = "FILE", visible_alias = "pin-file")]
    pub passphrase_file: Option<PathBuf>,
    /// Signature algorithm (default: the key's: EdDSA for Ed25519, RS256 for RSA).
    #[arg(long, value_name = "ALG")]
    pub alg: Option<String>,
    /// Directory for the new license files (made when missing); existing files are never replaced.
    #[arg(long, value_name = "DIR")]
    pub out_dir: PathBuf,
    /// Re-issue only licenses not expired at TIME (RFC 3339 or YYYY-MM-DD; default now).
    #[arg(long, value_name = "TIME")]
    pub only_valid_at: Option<String>,
    /// Print what would be re-issued and skipped; sign and write nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Print a JSON summary.
    #[arg(long)]
    pub json: bool,
}

#[derive(Args)]
pub struct LedgerVerifyArgs {
    /// The ledger file, or `-` for stdin.
    #[arg(value_name = "FILE|-")]
    pub file: PathBuf,
    /// The head hash recorded earlier: the ledger's last line must hash to it, or continue from
    /// a line that does.
    #[arg(long, value_name = "HEX")]
    pub head: Option<String>,
    /// Print the result as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Args, Clone)]
pub struct VerifyArgs {
    /// The license file, or `-` for stdin.
    #[arg(value_name = "FILE|-")]
    pub file: PathBuf,
    /// Trusted public key: PEM, JWK or JWKS (repeatable).
    #[arg(long = "pubkey", required = true, value_name = "PEM_OR_JWKS")]
    pub pubkeys: Vec<PathBuf>,
    #[command(flatten)]
    pub checks: CheckArgs,
    /// A signed revocation list: a license listed in it is REVOKED (repeatable: lists of several
    /// keys merge).
    #[arg(long, value_name = "FILE")]
    pub revocations: Vec<PathBuf>,
    /// State directory: remembers the latest trustworthy time, every revocation list seen and
    /// the highest list seq per key.
    #[arg(long, value_name = "DIR")]
    pub state: Option<PathBuf>,
    /// How far behind the latest trustworthy time (the license's `iat`; with --state also the
    /// latest time recorded) the clock may be, and how far ahead a list may be dated, in seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = licet_verifier::DEFAULT_CLOCK_TOLERANCE_SECS)]
    pub clock_tolerance: u32,
    /// With --state: how long to wait for another check holding the state's lock, in seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = 5, requires = "state")]
    pub lock_timeout: u64,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
    /// Print nothing; only the exit code tells.
    #[arg(short, long, conflicts_with = "json")]
    pub quiet: bool,
}

#[derive(Args, Clone)]
pub struct CheckArgs {
    /// Check node-locked licenses against this machine id (64 hex).
    #[arg(long, value_name = "HEX", conflicts_with = "this_machine")]
    pub machine: Option<String>,
    /// Check node-locked licenses against this machine's id (the default).
    #[arg(long)]
    pub this_machine: bool,
    /// Evaluation time, RFC 3339 or YYYY-MM-DD (00:00:00Z of that day); default: now.
    #[arg(long, value_name = "TIME")]
    pub at: Option<String>,
    /// Require the license's product (`aud`) to be P.
    #[arg(long, value_name = "P")]
    pub product: Option<String>,
    /// Seconds of clock skew tolerated on expiry and not-before (default 0).
    #[arg(long, value_name = "SECONDS", default_value_t = 0)]
    pub leeway: u32,
}

#[derive(Args)]
pub struct InspectArgs {
    /// The license file, or `-` for stdin.
    #[arg(value_name = "FILE|-")]
    pub file: PathBuf,
    /// Also verify against these trusted keys and print the verdict.
    #[arg(long = "pubkey", value_name = "PEM_OR_JWKS")]
    pub pubkeys: Vec<PathBuf>,
    #[command(flatten)]
    pub checks: CheckArgs,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Args)]
pub struct MachineIdArgs {
    /// Hash this raw identifier instead of reading this machine's.
    #[arg(long, value_name = "VALUE")]
    pub raw: Option<String>,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Subcommand)]
pub enum LicenseKeyCommand {
    /// Generate random license keys: 24 random symbols without look-alikes (118.9 bits) and a
    /// check character.
    #[command(after_help = "Example:\n  licet license-key new --count 10")]
    New {
        /// How many keys.
        #[arg(long, default_value_t = 1)]
        count: u32,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Create a license key in the license database (as POST /api/v1/license-keys does),
    /// for `licet serve` and `licet activation respond`. The key is printed once.
    #[command(
        after_help = "Examples:\n  licet license-key create --db sqlite://licet.db --customer ACME-001 --max-activations 5\n  licet license-key create --customer ACME-001 --product app --type TRIAL --expires 2027-06-30 \\\n      --feature seats=10 --max-activations 2 --json\n  licet license-key create --customer ACME-001 --max-activations 1 --lease-days 7   # weekly re-activation\n\nOnly the key's SHA-256 is stored: keep the printed key, it cannot be shown again."
    )]
    Create(Box<LicenseKeyCreateArgs>),
    /// List and search the keys of the license database (never their text: id and hint).
    #[command(
        after_help = "Examples:\n  licet license-key list --db sqlite://licet.db\n  licet license-key list --customer ACME-001 --status active --page 2 --per-page 100 --json\n\nFilters are exact matches. Pages are 1 to 1,000,000, of 1 to 500 keys (default 50)."
    )]
    List(LicenseKeyListArgs),
    /// Show one key, named by its text or its id, with its seats.
    #[command(
        after_help = "Examples:\n  licet license-key show PRQDU-CT2KE-YS3WX-TH4CH-ECK5P --db sqlite://licet.db\n  licet license-key show 6f0c5a2e-3b1d-4c8e-9a7f-2d4b6e8c0a13 --json\n\nEach seat: machine id, hostname (if the activation named one), activated at, last validated\nat (accurate to within 60 seconds), seat license id. Exit 1 when there is no such key."
    )]
    Show(LicenseKeyShowArgs),
    /// Change a key (named by its text or its id): seats, expiry (renewal), lease, features,
    /// customer, product, type, status.
    #[command(
        after_help = "Examples:\n  licet license-key update ACME1-... --max-activations 10 --expires 2028-06-30\n  licet license-key update 6f0c5a2e-... --status suspended --json\n  licet license-key update 6f0c5a2e-... --feature seats=20 --feature tier=gold   # replaces the features\n\nLowering --max-activations below the seats in use keeps every seat; new activations are\nrefused until enough seats are freed. Exit 1 when there is no such key."
    )]
    Update(Box<LicenseKeyUpdateArgs>),
    /// Free one machine's seat of a key as an administrator.
    #[command(
        name = "free-seat",
        after_help = "Examples:\n  licet license-key free-seat 6f0c5a2e-... --machine 3f1c...e9 --db sqlite://licet.db\n\nThe machine's license file dies at its lease end; if it activates again it gets a new seat\nand a new license id. Exit 1 when there is no such key or the machine holds no seat."
    )]
    FreeSeat(LicenseKeyFreeSeatArgs),
    /// Check a license key's format and check character and print its canonical form.
    /// Exit 0 valid (or an older key), 1 malformed or mistyped.
    #[command(
        after_help = "Examples:\n  licet license-key check ' prqdu-ct2ke-ys3wx-th4ch-eck5p '\n  licet license-key check PRQDUCT2KEYS3WXTH4CHECK5P --json\n\nCase, dashes and spaces do not matter. A key with a 0, O, 1, I or L is an older key (made\nbefore check characters): it is accepted, not checked. Any other key must have a matching\ncheck character: else it is mistyped, or an older key that happens to have none of those five\ncharacters (then `licet activation request --no-key-check` still sends it). The canonical key\nis printed on stdout, the verdict on stderr; --json adds \"check\": valid, mistyped or older-key."
    )]
    Check {
        /// The key.
        key: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Args)]
pub struct DemoArgs {
    /// Keep the demo's directory instead of deleting it, and print its path.
    #[arg(long)]
    pub keep: bool,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    /// Every leaf command, new ones included, shows examples in its --help.
    #[test]
    fn every_command_has_examples() {
        fn walk(command: &clap::Command, path: String, missing: &mut Vec<String>) {
            let subcommands: Vec<&clap::Command> = command.get_subcommands().collect();
            if subcommands.is_empty() {
                let help = command
                    .get_after_help()
                    .map(|h| h.to_string())
                    .unwrap_or_default();
                if !help.contains("Example") {
                    missing.push(path);
                }
                return;
            }
            for sub in subcommands {
                walk(sub, format!("{path} {}", sub.get_name()), missing);
            }
        }
        let mut missing = Vec::new();
        walk(&Cli::command(), "licet".into(), &mut missing);
        assert!(missing.is_empty(), "no examples in --help of: {missing:?}");
    }
}

#[derive(Subcommand)]
pub enum RelayCommand {
    /// Make the relay's own Ed25519 key in DIR (mode 0600) and the relay request to carry to the vendor.
    #[command(
        after_help = "Examples:\n  licet relay init --dir /var/lib/licet-relay\n  licet relay init --dir /var/lib/licet-relay --out /media/usb/relay-request.json\n\nThe request (the relay's public key, this machine's id, hostname, a nonce) is written to\nDIR/relay-request.json and, with --out, also there (`-` for stdout). The vendor answers it with\n`licet relay grant`. A directory that has a relay key already is refused: the key is never replaced."
    )]
    Init(RelayInitArgs),
    /// At the vendor: sign a pool license for a relay request (N concurrent seats).
    #[command(
        after_help = "Examples:\n  licet relay grant relay-request.json --key vendor.key.pem --customer ACME-001 --seats 10 --product render --days 365 --out pool.lic\n  licet relay grant req.json --key vendor.p12 --customer ACME-001 --seats 100 --expires 2027-12-31 --max-lease-ttl 1h --ledger issued.jsonl --out pool.lic\n\nThe pool license is a licet license file of type POOL, bound to the relay's machine, naming\nthe relay's key (cnf.jwk, with its RFC 7638 thumbprint as kid), the seat count (`seats`) and\nthe longest lease the relay may sign (`max_lease_ttl`). `licet verify pool.lic` on the relay's\nmachine says ACTIVE; products refuse type POOL for their own license check."
    )]
    Grant(Box<RelayGrantArgs>),
    /// Serve leases of the pool licenses on this network (PUT/DELETE /v1/leases/{machine_id}).
    #[command(
        after_help = "Examples:\n  licet relay serve --dir /var/lib/licet-relay --pool pool.lic --trust vendor.pub.pem --listen 0.0.0.0:7070\n  licet relay serve --dir d --pool a.lic --pool b.lic --trust vendor.pub.pem --ttl 5m --client-token-file token.txt\n\nThe relay refuses to start unless every pool license verifies with --trust, is of type POOL,\nnames this relay's key and is bound to this machine (each refusal names the file; exit 1).\nLeases are kept in DIR/relay.db, on disk before any answer; a restart keeps them. A lease not\nrenewed within the TTL is freed (and never sooner than a TTL of real time, whatever the wall\nclock says). A clock set back more than --clock-tolerance behind the latest time the relay acted\nat stops every grant (503) until it is right again. The bound address is printed on stdout."
    )]
    Serve(RelayServeArgs),
    /// Write the next usage report (true-up) for the vendor, signed with the relay key.
    #[command(
        after_help = "Examples:\n  licet relay report --dir /var/lib/licet-relay --out usage-2027-01.jwt\n  licet relay report --dir d --since 2027-01-01 --out usage.jwt --json\n  licet relay report --dir d --resend 3 --out usage-3.jwt   # write report 3 again\n\nThe report carries its number (1, 2, ...), the SHA-256 of the report before it, the period\n(from --since, else the end of the last report, else the first lease; to now), per pool and\nper UTC day the most leases valid at once and the grants, and the head of the lease log. The\nlease log is checked whole first. The report is recorded in DIR/relay.db before it is written,\nso one that reached no file can be written again with --resend. It can run while the relay serves."
    )]
    Report(RelayReportArgs),
    /// At the vendor: verify a relay's usage report against its pool license and the vendor key.
    #[command(
        name = "verify-report",
        after_help = "Examples:\n  licet relay verify-report usage.jwt --pool pool.lic --pubkey vendor.pub.pem\n  licet relay verify-report usage.jwt --pool a.lic --pool b.lic --pubkey vendor.pub.pem --state /var/lib/licet/reports --json\n\nEach pool license must verify with --pubkey (an expired one is accepted: its past use is still\nreported) and name one relay key; the report must be signed by that key (never a key the report\ncarries). With --state, the report must follow the last one accepted from that relay: an older\nor repeated report (STALE), another history (FORKED: a copied or restored relay directory, a\nshorter lease log, a clock set back) and a skipped report (OUT_OF_ORDER) are refused and not\nrecorded. Without --state each report is checked alone, and the output says so.\nExit 0 valid; 1 refused; 2 usage or I/O error."
    )]
    VerifyReport(RelayVerifyReportArgs),
}

#[derive(Args)]
pub struct RelayReportArgs {
    /// The relay's directory (`licet relay init`).
    #[arg(long, value_name = "DIR")]
    pub dir: PathBuf,
    /// Start of the period: RFC 3339 or YYYY-MM-DD (UTC); default the end of the last report.
    #[arg(long, value_name = "DATE", conflicts_with = "resend")]
    pub since: Option<String>,
    /// Write the recorded report SEQ again instead of a new one.
    #[arg(long, value_name = "SEQ")]
    pub resend: Option<u64>,
    /// Output file; `-` or absent for stdout.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Print a JSON summary on stderr.
    #[arg(long)]
    pub json: bool,
}

#[derive(Args)]
pub struct RelayVerifyReportArgs {
    /// The usage report (`licet relay report` wrote it), or `-` for stdin.
    #[arg(value_name = "REPORT|-")]
    pub report: PathBuf,
    /// A pool license of the relay (repeatable; all must name the same relay key).
    #[arg(long = "pool", value_name = "FILE", required = true)]
    pub pools: Vec<PathBuf>,
    /// The vendor's public key: PEM, JWK or JWKS (repeatable).
    #[arg(long = "pubkey", required = true, value_name = "PEM_OR_JWKS")]
    pub pubkeys: Vec<PathBuf>,
    /// The vendor's record of the reports accepted (created when missing): refuses replays,
    /// forks and skipped reports.
    #[arg(long, value_name = "DIR")]
    pub state: Option<PathBuf>,
    /// Print the result as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Args)]
pub struct RelayInitArgs {
    /// The relay's directory (created when missing).
    #[arg(long, value_name = "DIR")]
    pub dir: PathBuf,
    /// Also write the request here; `-` for stdout.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Print a JSON summary.
    #[arg(long)]
    pub json: bool,
}

#[derive(Args)]
pub struct RelayGrantArgs {
    /// The relay request file (`licet relay init` wrote it), or `-` for stdin.
    #[arg(value_name = "REQUEST|-")]
    pub request: PathBuf,
    /// The vendor's private signing key: PEM or PKCS#12, or a key in a PKCS#11 token (`pkcs11:token=...;object=...?module-path=...`).
    #[arg(long, value_name = "KEY")]
    pub key: PathBuf,
    /// In a PKCS#12 file with several keys, the one with this friendlyName.
    #[arg(long, value_name = "NAME")]
    pub alias: Option<String>,
    /// File whose first line is the key's passphrase (else LICET_PASSPHRASE); for a pkcs11: key, its token's PIN (else LICET_PKCS11_PIN).
    #[arg(long, value_name = "FILE", visible_alias = "pin-file")]
    pub passphrase_file: Option<PathBuf>,
    /// Signature algorithm: EdDSA for Ed25519 keys; RS256 (default) or PS256 for RSA keys.
    #[arg(long)]
    pub alg: Option<String>,
    /// Customer id (`sub`).
    #[arg(long)]
    pub customer: String,
    /// Concurrent seats (leases out at once), 1 to 1,000,000.
    #[arg(long, value_name = "N")]
    pub seats: u32,
    /// Product (`aud`).
    #[arg(long, value_name = "P")]
    pub product: Option<String>,
    /// Expiry: RFC 3339, or YYYY-MM-DD (valid through that day, UTC). Without it the pool is perpetual.
    #[arg(long, value_name = "DATE", conflicts_with = "days")]
    pub expires: Option<String>,
    /// Expiry N days after now.
    #[arg(long, value_name = "N")]
    pub days: Option<u32>,
    /// An entitlement NAME=VALUE (repeatable).
    #[arg(long = "feature", value_name = "NAME=VALUE")]
    pub features: Vec<String>,
    /// The longest lease the relay may sign (seconds, or 90s, 15m, 1h, 1d; at most 31d).
    #[arg(long, value_name = "DURATION", value_parser = parse_duration_secs, default_value = "1h")]
    pub max_lease_ttl: u64,
    /// Vendor name (`iss`).
    #[arg(long, value_name = "NAME")]
    pub issuer: Option<String>,
    /// Pool license id (`jti`); a random UUID v4 when absent.
    #[arg(long, value_name = "ID")]
    pub license_id: Option<String>,
    /// Output file; `-` or absent for stdout.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Append an `issue` entry to this issuance ledger.
    #[arg(long, value_name = "FILE")]
    pub ledger: Option<PathBuf>,
    /// Print a JSON summary.
    #[arg(long)]
    pub json: bool,
}

#[derive(Args)]
pub struct RelayServeArgs {
    /// The relay's directory (`licet relay init`).
    #[arg(long, value_name = "DIR")]
    pub dir: PathBuf,
    /// A pool license to serve (repeatable).
    #[arg(long = "pool", value_name = "FILE", required = true)]
    pub pools: Vec<PathBuf>,
    /// The vendor's public key: PEM, JWK or JWKS (repeatable).
    #[arg(long = "trust", value_name = "PEM_OR_JWKS", required = true)]
    pub trust: Vec<PathBuf>,
    /// Address to listen on.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:7070")]
    pub listen: std::net::SocketAddr,
    /// Lease lifetime without renewal (seconds, or 90s, 15m, 1h); default 15m, at most the pools' max_lease_ttl.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration_secs)]
    pub ttl: Option<u64>,
    /// File whose first line is the client token: requests without `Authorization: Bearer <token>` get 401.
    #[arg(long, value_name = "FILE")]
    pub client_token_file: Option<PathBuf>,
    /// How far the clock may go back behind the latest time the relay acted at, in seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = licet_verifier::DEFAULT_CLOCK_TOLERANCE_SECS)]
    pub clock_tolerance: u32,
    /// Seconds a connection may take to send a request head (and may stay idle).
    #[arg(long, value_name = "SECONDS", default_value_t = 10)]
    pub header_timeout: u64,
    /// Open connections at most.
    #[arg(long, value_name = "N", default_value_t = 4096)]
    pub max_connections: usize,
    /// Log format on stderr.
    #[arg(long, value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
    /// Testing (debug builds only, never in a release binary): a file holding seconds to add to
    /// the system clock, read at every batch.
    #[cfg(debug_assertions)]
    #[arg(long, value_name = "FILE", hide = true)]
    pub clock_offset_file: Option<PathBuf>,
}

#[derive(Args)]
pub struct VerifyLeaseArgs {
    /// The lease token (the `lease` of the relay's answer), or `-` for stdin.
    #[arg(value_name = "LEASE|-")]
    pub lease: PathBuf,
    /// The pool license the lease is a seat of.
    #[arg(long, value_name = "FILE")]
    pub pool: PathBuf,
    /// A signed revocation list of the vendor (repeatable): a revoked pool license is REVOKED.
    #[arg(long = "revocations", value_name = "FILE")]
    pub revocations: Vec<PathBuf>,
    /// The vendor's public key: PEM, JWK or JWKS (repeatable).
    #[arg(long = "pubkey", required = true, value_name = "PEM_OR_JWKS")]
    pub pubkeys: Vec<PathBuf>,
    #[command(flatten)]
    pub checks: CheckArgs,
    /// How far behind the lease's issue time the clock may be, in seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = licet_verifier::DEFAULT_CLOCK_TOLERANCE_SECS)]
    pub clock_tolerance: u32,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
}
