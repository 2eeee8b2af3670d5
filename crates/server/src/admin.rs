//! Who makes administrative changes, the audit log they leave, and pagination of the
//! administrator's listings: shared by the API and the CLI (`--db`).

use crate::store::{AdminEntry, AdminLogRecord, ApiToken, PageRequest};
use licet_verifier::UnixTime;
use serde_json::{json, Value};

/// Who makes an administrative change: an API token (its id and user), or a CLI command run on
/// the database (`cli:<user>`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    /// The token's id; `None` for a CLI command.
    pub token_id: Option<String>,
    /// The token's user, or `cli:<user>`.
    pub user_id: String,
}

impl Actor {
    /// The caller behind an API token.
    pub fn token(token: &ApiToken) -> Self {
        Actor {
            token_id: Some(token.id.clone()),
            user_id: token.user_id.clone(),
        }
    }

    /// A CLI command run by the operating-system user `user` (`cli:<user>`).
    pub fn cli(user: &str) -> Self {
        Actor {
            token_id: None,
            user_id: format!("cli:{user}"),
        }
    }

    /// The CLI user from the environment (`$USER`, else `$LOGNAME`, else `unknown`).
    pub fn cli_from_env() -> Self {
        let user = std::env::var("USER")
            .or_else(|_| std::env::var("LOGNAME"))
            .ok()
            .filter(|u| !u.trim().is_empty())
            .unwrap_or_else(|| "unknown".into());
        Actor::cli(&user)
    }

    /// An audit-log entry of `action` on `target` by this actor at `now`.
    pub fn entry(
        &self,
        now: i64,
        action: &str,
        target: &str,
        before: Option<Value>,
        after: Option<Value>,
    ) -> AdminEntry {
        AdminEntry {
            at: now,
            token_id: self.token_id.clone(),
            user_id: self.user_id.clone(),
            action: action.to_owned(),
            target: target.to_owned(),
            before,
            after,
        }
    }
}

/// The actions the audit log records.
pub mod actions {
    /// A license key was created.
    pub const KEY_CREATE: &str = "license_key.create";
    /// An administrator took a seat's license file (`POST .../activations/{machine}/license`).
    pub const SEAT_FILE: &str = "license_key.seat_file";
    /// A license key was changed.
    pub const KEY_UPDATE: &str = "license_key.update";
    /// An administrator freed a machine's seat.
    pub const SEAT_FREE: &str = "license_key.free_seat";
    /// An administrator took a seat for a machine.
    pub const SEAT_ACTIVATE: &str = "license_key.activate";
    /// A license key was assigned to its owner.
    pub const KEY_ASSIGN: &str = "license_key.assign";
    /// An API token was created.
    pub const TOKEN_CREATE: &str = "token.create";
    /// An API token was revoked.
    pub const TOKEN_REVOKE: &str = "token.revoke";
    /// A license file was installed (or replaced by a newer one).
    pub const LICENSE_INSTALL: &str = "license.install";
    /// A license was enabled.
    pub const LICENSE_ENABLE: &str = "license.enable";
    /// A license was disabled.
    pub const LICENSE_DISABLE: &str = "license.disable";
    /// A signing certificate was uploaded.
    pub const CERTIFICATE_UPLOAD: &str = "certificate.upload";
    /// A signing certificate was deleted.
    pub const CERTIFICATE_DELETE: &str = "certificate.delete";
    /// A department was created.
    pub const DEPARTMENT_CREATE: &str = "department.create";
    /// A license was applied to the workspace.
    pub const WORKSPACE_APPLY: &str = "workspace.apply";
}

/// Writes an audit-log entry right after a change that the store commits on its own (license
/// install/enable/disable, certificate upload/delete, department create, key assignment,
/// workspace apply). A failed write is logged as an error; the change stands.
pub async fn log_after(store: &dyn crate::store::Store, entry: AdminEntry) {
    if let Err(e) = store.insert_admin_log(&entry).await {
        tracing::error!(cause = %e, action = %entry.action, "the audit log entry was not written");
    }
}

/// The default page size of the administrator's listings.
pub const DEFAULT_PER_PAGE: i64 = 50;
/// The largest page size.
pub const MAX_PER_PAGE: i64 = 500;
/// The largest page number (beyond it the offset would stop meaning anything).
pub const MAX_PAGE: i64 = 1_000_000;

/// A checked page of a listing: `page` from 1 to [`MAX_PAGE`], `per_page` from 1 to
/// [`MAX_PER_PAGE`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    /// 1-based.
    pub page: i64,
    /// Rows per page.
    pub per_page: i64,
}

/// A query parameter that is out of range or malformed: the parameter and a sentence.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{name}`: {message}")]
pub struct BadParameter {
    /// The parameter.
    pub name: String,
    /// What is wrong with it.
    pub message: String,
}

impl BadParameter {
    /// A bad `name`.
    pub fn new(name: &str, message: impl Into<String>) -> Self {
        BadParameter {
            name: name.to_owned(),
            message: message.into(),
        }
    }
}

fn parse_bounded(
    name: &str,
    text: Option<&str>,
    default: i64,
    max: i64,
) -> Result<i64, BadParameter> {
    let Some(text) = text else { return Ok(default) };
    let rule = || {
        format!(
            "must be a whole number from 1 to {max}, not {}",
            licet_verifier::jws::quote(text)
        )
    };
    let n: i64 = text
        .trim()
        .parse()
        .map_err(|_| BadParameter::new(name, rule()))?;
    if (1..=max).contains(&n) {
        Ok(n)
    } else {
        Err(BadParameter::new(name, rule()))
    }
}

impl Page {
    /// Reads `page` and `per_page` (absent: 1 and [`DEFAULT_PER_PAGE`]); page 0, negative,
    /// over [`MAX_PAGE`] or not a number, and `per_page` outside 1 to [`MAX_PER_PAGE`], are
    /// errors that name the parameter.
    pub fn parse(page: Option<&str>, per_page: Option<&str>) -> Result<Page, BadParameter> {
        Ok(Page {
            page: parse_bounded("page", page, 1, MAX_PAGE)?,
            per_page: parse_bounded("per_page", per_page, DEFAULT_PER_PAGE, MAX_PER_PAGE)?,
        })
    }

    /// The rows this page covers.
    pub fn request(self) -> PageRequest {
        PageRequest {
            offset: (self.page - 1) * self.per_page,
            limit: self.per_page,
        }
    }

    /// The `pagination` object of a listing.
    pub fn view(self, total: i64) -> Value {
        json!({
            "page": self.page,
            "per_page": self.per_page,
            "total": total,
            "pages": (total + self.per_page - 1) / self.per_page,
        })
    }
}

/// Reads a query string into its parameters: each at most once, each one of `allowed`, each
/// value at most 1 KiB; else an error naming the parameter.
pub fn query_params(
    raw: Option<&str>,
    allowed: &[&str],
) -> Result<std::collections::BTreeMap<String, String>, BadParameter> {
    let mut params = std::collections::BTreeMap::new();
    for (name, value) in form_urlencoded::parse(raw.unwrap_or("").as_bytes()) {
        if !allowed.contains(&name.as_ref()) {
            return Err(BadParameter::new(
                &name,
                format!(
                    "is not a parameter of this route (they are {})",
                    allowed.join(", ")
                ),
            ));
        }
        if value.len() > 1024 {
            return Err(BadParameter::new(&name, "is longer than 1024 bytes"));
        }
        if value.contains('\0') {
            return Err(BadParameter::new(&name, crate::text::CONTAINS_NUL));
        }
        if params.insert(name.to_string(), value.to_string()).is_some() {
            return Err(BadParameter::new(&name, "is given more than once"));
        }
    }
    Ok(params)
}

/// RFC 3339 of Unix seconds (null when out of range).
pub fn rfc3339(secs: i64) -> Value {
    UnixTime::from_secs(secs).map_or(Value::Null, |t| Value::String(t.to_rfc3339()))
}

/// An audit-log entry as the API and `licet admin-log --json` show it.
pub fn admin_log_view(record: &AdminLogRecord) -> Value {
    let e = &record.entry;
    json!({
        "seq": record.seq,
        "at": rfc3339(e.at),
        "token_id": e.token_id,
        "user_id": e.user_id,
        "action": e.action,
        "target": e.target,
        "before": e.before,
        "after": e.after,
    })
}

/// A token as listings show it: never its text or hash.
pub fn token_view(token: &ApiToken, now: i64) -> Value {
    let status = if token.revoked_at.is_some() {
        "revoked"
    } else if token.expires_at.is_some_and(|exp| now >= exp) {
        "expired"
    } else {
        "active"
    };
    let names: Vec<&str> = token.permissions.iter().map(|p| p.name()).collect();
    json!({
        "id": token.id,
        "user_id": token.user_id,
        "permissions": names,
        "created_at": rfc3339(token.created_at),
        "expires_at": token.expires_at.map_or(Value::Null, rfc3339),
        "revoked_at": token.revoked_at.map_or(Value::Null, rfc3339),
        "status": status,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_are_bounded_and_named() {
        assert_eq!(
            Page::parse(None, None),
            Ok(Page {
                page: 1,
                per_page: DEFAULT_PER_PAGE
            })
        );
        for bad in ["0", "-1", "1000001", "x", "1e3", "99999999999999999999"] {
            assert_eq!(
                Page::parse(Some(bad), None).unwrap_err().name,
                "page",
                "{bad}"
            );
        }
        for bad in ["0", "501", "-5"] {
            assert_eq!(Page::parse(None, Some(bad)).unwrap_err().name, "per_page");
        }
        let last = Page::parse(Some("1000000"), Some("500")).unwrap();
        assert_eq!(last.request().offset, 999_999 * 500);
        assert_eq!(last.view(1001)["pages"], 3);
    }
}
