//! The management commands on the license database (`--db`), for vendors with or without a
//! running server: `licet license-key list|show|update|free-seat`, `licet token list|revoke`
//! and `licet admin-log`. Each calls the same library functions as the API routes, and records
//! its changes in the audit log as `cli:<user>`.

use super::serve::runtime;
use crate::args::{
    AdminLogArgs, DbArgs, LicenseKeyFreeSeatArgs, LicenseKeyListArgs, LicenseKeyShowArgs,
    LicenseKeyUpdateArgs, TokenListArgs, TokenRevokeArgs,
};
use crate::io::{print_stderr, print_stdout};
use crate::{EXIT_OK, EXIT_REJECTED};
use anyhow::{anyhow, Result};
use licet_server::admin::{admin_log_view, rfc3339, token_view, Actor, Page, MAX_PER_PAGE};
use licet_server::license_keys::{
    check_key_filter, free_seat, parse_key_changes, show_license_key, update_license_key,
    CreateKeyError, FreeSeatError, KeyRef,
};
use licet_server::revoke_token;
use licet_server::routes::license_keys::{key_view, seat_view};
use licet_server::store::{AdminLogFilter, KeyFilter, Store};
use licet_verifier::{MachineId, UnixTime};
use serde_json::{json, Map, Value};
use std::future::Future;
use std::sync::Arc;

/// Opens the database, runs `work` on it, and closes it.
fn with_store<T, F, Fut>(db: &DbArgs, work: F) -> Result<T>
where
    F: FnOnce(Arc<dyn Store>) -> Fut,
    Fut: Future<Output = Result<T>>,
{
    let database = db.resolve()?;
    runtime()?.block_on(async {
        let store = database.open().await?;
        let result = work(store.clone()).await;
        store.close().await;
        result
    })
}

fn print_json(value: &Value) -> Result<()> {
    print_stdout(&format!("{}\n", serde_json::to_string_pretty(value)?))
}

fn text(value: &Value) -> String {
    match value {
        Value::Null => "-".into(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn refused(message: &str) -> Result<u8> {
    print_stderr(&format!("refused: {message}"));
    Ok(EXIT_REJECTED)
}

fn key_ref(text: &str) -> Result<KeyRef> {
    KeyRef::parse(text).map_err(|m| anyhow!("KEY|ID: {m}"))
}

pub fn key_list(args: LicenseKeyListArgs) -> Result<u8> {
    let page = Page::parse(Some(&args.page), Some(&args.per_page))
        .map_err(|e| anyhow!("--{}: {}", e.name.replace('_', "-"), e.message))?;
    let filter = KeyFilter {
        customer: args.customer,
        product: args.product,
        status: args.status,
    };
    check_key_filter(&filter).map_err(|e| anyhow!("--{}: {}", e.name, e.message))?;
    let (keys, total) = with_store(&args.db, |store| async move {
        Ok(store.list_license_keys(&filter, page.request()).await?)
    })?;
    let data: Vec<Value> = keys
        .iter()
        .map(|(record, count)| key_view(None, record, *count))
        .collect();
    if args.json {
        print_json(&json!({"data": data, "pagination": page.view(total)}))?;
        return Ok(EXIT_OK);
    }
    let mut out = String::from(
        "ID                                    HINT  CUSTOMER  PRODUCT  STATUS  SEATS  EXPIRES\n",
    );
    for key in &data {
        out.push_str(&format!(
            "{}  {:4}  {}  {}  {}  {}/{}  {}\n",
            text(&key["id"]),
            text(&key["key_hint"]),
            text(&key["customer"]),
            text(&key["product"]),
            text(&key["status"]),
            key["activations"],
            key["max_activations"],
            text(&key["expires_at"]),
        ));
    }
    print_stdout(&out)?;
    print_stderr(&format!(
        "page {} of {}: {} key(s) in all",
        page.page,
        page.view(total)["pages"],
        total
    ));
    Ok(EXIT_OK)
}

pub fn key_show(args: LicenseKeyShowArgs) -> Result<u8> {
    let key_ref = key_ref(&args.key)?;
    let lookup = key_ref.clone();
    let shown = with_store(&args.db, |store| async move {
        Ok(show_license_key(store.as_ref(), &lookup).await?)
    })?;
    let Some((record, count, seats)) = shown else {
        return refused("License key not found");
    };
    let mut view = key_view(key_ref.key(), &record, count);
    view["seats"] = seats.iter().map(seat_view).collect();
    if args.json {
        print_json(&view)?;
        return Ok(EXIT_OK);
    }
    let mut out = String::new();
    for field in [
        "id",
        "license_key",
        "key_hint",
        "customer",
        "product",
        "license_type",
        "status",
        "max_activations",
        "activations",
        "expires_at",
        "lease_days",
        "features",
        "created_at",
        "updated_at",
    ] {
        out.push_str(&format!("{field:16} {}\n", text(&view[field])));
    }
    out.push_str("seats:\n");
    for seat in view["seats"].as_array().into_iter().flatten() {
        out.push_str(&format!(
            "  {}  host {}  activated {}  validated {}  license {}\n",
            text(&seat["machine_id"]),
            text(&seat["hostname"]),
            text(&seat["activated_at"]),
            text(&seat["last_validated_at"]),
            text(&seat["license_id"]),
        ));
    }
    print_stdout(&out)?;
    Ok(EXIT_OK)
}

/// The PATCH body the flags describe, so the CLI and the API share one set of rules.
fn update_body(args: &LicenseKeyUpdateArgs) -> Result<Value> {
    let mut body = Map::new();
    if let Some(n) = args.max_activations {
        body.insert("max_activations".into(), json!(n));
    }
    if let Some(date) = &args.expires {
        body.insert("expires_at".into(), json!(date));
    }
    if args.perpetual {
        body.insert("expires_at".into(), Value::Null);
    }
    if let Some(days) = args.lease_days {
        body.insert("lease_days".into(), json!(days));
    }
    if args.default_lease {
        body.insert("lease_days".into(), Value::Null);
    }
    if !args.features.is_empty() {
        let mut features = Map::new();
        for assignment in &args.features {
            let (name, value) = licet_issuer::parse_feature(assignment)?;
            if features.insert(name.clone(), value).is_some() {
                return Err(anyhow!("--feature {name} is given more than once"));
            }
        }
        body.insert("features".into(), Value::Object(features));
    }
    if args.no_features {
        body.insert("features".into(), Value::Null);
    }
    if let Some(customer) = &args.customer {
        body.insert("customer".into(), json!(customer));
    }
    if let Some(product) = &args.product {
        body.insert("product".into(), json!(product));
    }
    if let Some(license_type) = &args.license_type {
        body.insert("license_type".into(), json!(license_type));
    }
    if let Some(status) = &args.status {
        body.insert("status".into(), json!(status));
    }
    Ok(Value::Object(body))
}

pub fn key_update(args: LicenseKeyUpdateArgs) -> Result<u8> {
    let key_ref = key_ref(&args.key)?;
    let now = UnixTime::now().as_secs();
    let body = update_body(&args)?;
    let changes = parse_key_changes(&body, now).map_err(|m| {
        anyhow!(
            "the key was not changed: {}",
            m.replace(
                "the body names no change: give any of",
                "give any of the options for"
            )
        )
    })?;
    let lookup = key_ref.clone();
    let updated = with_store(&args.db, |store| async move {
        update_license_key(
            store.as_ref(),
            &Actor::cli_from_env(),
            &lookup,
            &changes,
            now,
        )
        .await
        .map_err(|e| match e {
            CreateKeyError::Invalid(m) => anyhow!("the key was not changed: {m}"),
            CreateKeyError::Store(e) => anyhow!(e),
        })
    })?;
    let Some((record, count)) = updated else {
        return refused("License key not found");
    };
    let view = key_view(key_ref.key(), &record, count);
    if args.json {
        print_json(&view)?;
    } else {
        print_stdout(&format!("updated {}\n", record.id))?;
        if count > record.max_activations {
            print_stderr(&format!(
                "note: {count} seats are in use, over the new limit of {}: they are kept, and new activations are refused until {} are freed",
                record.max_activations,
                count - record.max_activations
            ));
        }
    }
    Ok(EXIT_OK)
}

pub fn key_free_seat(args: LicenseKeyFreeSeatArgs) -> Result<u8> {
    let key_ref = key_ref(&args.key)?;
    let machine = MachineId::parse(&args.machine).map_err(|e| anyhow!("--machine: {e}"))?;
    let now = UnixTime::now().as_secs();
    let freed = with_store(&args.db, |store| async move {
        match free_seat(
            store.as_ref(),
            &Actor::cli_from_env(),
            &key_ref,
            &machine,
            now,
        )
        .await
        {
            Ok(done) => Ok(Ok(done)),
            Err(FreeSeatError::Store(e)) => Err(anyhow!(e)),
            Err(refusal) => Ok(Err(refusal.to_string())),
        }
    })?;
    let (record, seat, remaining) = match freed {
        Ok(done) => done,
        Err(message) => return refused(&message),
    };
    if args.json {
        let mut view = seat_view(&seat);
        view["key_id"] = json!(record.id);
        view["activations"] = json!(remaining);
        view["max_activations"] = json!(record.max_activations);
        print_json(&view)?;
    } else {
        print_stdout(&format!(
            "freed the seat of {} (license {}); {remaining} of {} seat(s) in use\n",
            seat.machine_id, seat.license_id, record.max_activations
        ))?;
    }
    Ok(EXIT_OK)
}

pub fn token_list(args: TokenListArgs) -> Result<u8> {
    let tokens = with_store(
        &args.db,
        |store| async move { Ok(store.list_tokens().await?) },
    )?;
    let now = UnixTime::now().as_secs();
    let data: Vec<Value> = tokens.iter().map(|t| token_view(t, now)).collect();
    if args.json {
        print_json(&Value::Array(data))?;
        return Ok(EXIT_OK);
    }
    let mut out =
        String::from("ID                                    USER  STATUS  EXPIRES  PERMISSIONS\n");
    for t in &data {
        let permissions: Vec<String> = t["permissions"]
            .as_array()
            .into_iter()
            .flatten()
            .map(text)
            .collect();
        out.push_str(&format!(
            "{}  {}  {}  {}  {}\n",
            text(&t["id"]),
            text(&t["user_id"]),
            text(&t["status"]),
            text(&t["expires_at"]),
            permissions.join(",")
        ));
    }
    print_stdout(&out)?;
    Ok(EXIT_OK)
}

pub fn token_revoke(args: TokenRevokeArgs) -> Result<u8> {
    let now = UnixTime::now().as_secs();
    let id = args.id.clone();
    let revoked = with_store(&args.db, |store| async move {
        Ok(revoke_token(store.as_ref(), &Actor::cli_from_env(), &id, now).await?)
    })?;
    let Some(token) = revoked else {
        return refused(&format!(
            "no token has the id {}, or it was revoked before",
            licet_verifier::jws::quote(&args.id)
        ));
    };
    if args.json {
        print_json(&token_view(&token, now))?;
    } else {
        print_stdout(&format!("revoked {}\n", token.id))?;
    }
    Ok(EXIT_OK)
}

pub fn admin_log(args: AdminLogArgs) -> Result<u8> {
    if !(1..=MAX_PER_PAGE).contains(&args.limit) {
        return Err(anyhow!("--limit must be from 1 to {MAX_PER_PAGE}"));
    }
    let since = args
        .since
        .as_deref()
        .map(|d| super::parse_time_option(d, "--since"))
        .transpose()?
        .map(UnixTime::as_secs);
    let filter = AdminLogFilter {
        since,
        ..AdminLogFilter::default()
    };
    let page = Page {
        page: 1,
        per_page: args.limit,
    };
    let (entries, total) = with_store(&args.db, |store| async move {
        Ok(store.list_admin_log(&filter, page.request()).await?)
    })?;
    if args.json {
        let data: Vec<Value> = entries.iter().map(admin_log_view).collect();
        print_json(&json!({"data": data, "total": total}))?;
        return Ok(EXIT_OK);
    }
    let mut out = String::new();
    for record in &entries {
        let e = &record.entry;
        out.push_str(&format!(
            "{}  {}  {}  {}  {}\n",
            text(&rfc3339(e.at)),
            e.user_id,
            e.token_id.as_deref().unwrap_or("-"),
            e.action,
            e.target
        ));
    }
    print_stdout(&out)?;
    Ok(EXIT_OK)
}
