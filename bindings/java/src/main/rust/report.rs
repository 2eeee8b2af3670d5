//! The Java `dev.licet.Report` of a check: a plain object, filled here, with no native handle.

use crate::boundary::Error;
use jni::objects::{JObject, JValue};
use jni::JNIEnv;
use licet_verifier::lease::LeasePart;
use licet_verifier::{CheckReport, LeaseCheckReport, ListReport, UnixTime};

/// `Report(String status, boolean valid, boolean passed, String reason, String kid, String alg,
/// String claimsJson, String licenseId, String customerId, String product, String licenseType,
/// long issuedAt, long expiresAt, long notBefore, ListReport[] lists, int listsEnforced)`.
const REPORT_SIG: &str = "(Ljava/lang/String;ZZLjava/lang/String;Ljava/lang/String;Ljava/lang/String;Ljava/lang/String;Ljava/lang/String;Ljava/lang/String;Ljava/lang/String;Ljava/lang/String;JJJ[Ldev/licet/ListReport;I)V";

/// `ListReport(String source, String status, String reason, String kid)`.
const LIST_REPORT_SIG: &str =
    "(Ljava/lang/String;Ljava/lang/String;Ljava/lang/String;Ljava/lang/String;)V";

/// `LeaseReport(String status, boolean valid, boolean passed, String reason, String part,
/// String leaseId, String machineId, String poolLicenseId, long issuedAt, long expiresAt,
/// Report pool, String json)`.
const LEASE_REPORT_SIG: &str = "(Ljava/lang/String;ZZLjava/lang/String;Ljava/lang/String;Ljava/lang/String;Ljava/lang/String;Ljava/lang/String;JJLdev/licet/Report;Ljava/lang/String;)V";

/// A time that is absent (`Report.ABSENT` on the Java side).
const ABSENT: i64 = i64::MIN;

fn time(t: Option<UnixTime>) -> i64 {
    t.map_or(ABSENT, UnixTime::as_secs)
}

fn optional_string<'local>(
    env: &mut JNIEnv<'local>,
    text: Option<&str>,
) -> Result<JObject<'local>, Error> {
    Ok(match text {
        Some(text) => env.new_string(text)?.into(),
        None => JObject::null(),
    })
}

fn list_report<'local>(
    env: &mut JNIEnv<'local>,
    list: &ListReport,
) -> Result<JObject<'local>, Error> {
    let source = env.new_string(&list.source)?;
    let status = env.new_string(list.status.as_str())?;
    let reason = env.new_string(&list.reason)?;
    let kid = optional_string(env, list.kid.as_deref())?;
    Ok(env.new_object(
        "dev/licet/ListReport",
        LIST_REPORT_SIG,
        &[
            JValue::Object(&source),
            JValue::Object(&status),
            JValue::Object(&reason),
            JValue::Object(&kid),
        ],
    )?)
}

/// Local references a report's frame holds at most: its strings, the list array and the report.
const REPORT_FRAME: i32 = 16;
/// Local references a list report's frame holds at most: four strings and the list report.
const LIST_FRAME: i32 = 8;

/// The Java report of `report`. Its local references live in a frame of their own, and each
/// list report's in another, popped once it is in the array: however many lists, the caller's
/// frame gains one reference (the report), within the 16 that JNI guarantees a native method.
pub fn report<'local>(
    env: &mut JNIEnv<'local>,
    report: &CheckReport,
) -> Result<JObject<'local>, Error> {
    env.with_local_frame_returning_local(REPORT_FRAME, |env| report_in_frame(env, report))
}

fn report_in_frame<'local>(
    env: &mut JNIEnv<'local>,
    report: &CheckReport,
) -> Result<JObject<'local>, Error> {
    let license = &report.license;
    let claims = license.verified_license().map(|v| v.claims());
    let status = env.new_string(license.status.as_str())?;
    let reason = env.new_string(&license.reason)?;
    let kid = optional_string(env, license.kid.as_deref())?;
    let alg = optional_string(env, license.alg.as_deref())?;
    let claims_json = claims.map(|c| serde_json::Value::Object(c.to_json()).to_string());
    let claims_json = optional_string(env, claims_json.as_deref())?;
    let license_id = optional_string(env, claims.map(|c| c.license_id.as_str()))?;
    let customer_id = optional_string(env, claims.map(|c| c.customer_id.as_str()))?;
    let product = optional_string(env, claims.and_then(|c| c.product.as_deref()))?;
    let license_type = optional_string(env, claims.map(|c| c.license_type.as_str()))?;

    let count = i32::try_from(report.revocation_lists.len())
        .map_err(|_| crate::boundary::illegal_argument("too many revocation lists"))?;
    let lists = env.new_object_array(count, "dev/licet/ListReport", JObject::null())?;
    for (i, list) in (0..count).zip(&report.revocation_lists) {
        env.with_local_frame(LIST_FRAME, |env| -> Result<(), Error> {
            let item = list_report(env, list)?;
            env.set_object_array_element(&lists, i, &item)?;
            Ok(())
        })?;
    }
    let enforced = i32::try_from(report.lists_enforced).unwrap_or(i32::MAX);

    Ok(env.new_object(
        "dev/licet/Report",
        REPORT_SIG,
        &[
            JValue::Object(&status),
            JValue::Bool(u8::from(license.valid)),
            JValue::Bool(u8::from(report.passed())),
            JValue::Object(&reason),
            JValue::Object(&kid),
            JValue::Object(&alg),
            JValue::Object(&claims_json),
            JValue::Object(&license_id),
            JValue::Object(&customer_id),
            JValue::Object(&product),
            JValue::Object(&license_type),
            JValue::Long(time(claims.map(|c| c.issued_at))),
            JValue::Long(time(claims.and_then(|c| c.expires_at))),
            JValue::Long(time(claims.and_then(|c| c.not_before))),
            JValue::Object(&lists),
            JValue::Int(enforced),
        ],
    )?)
}

/// The Java lease report of `checked`, in a frame of its own like [`report`]; the pool's
/// report is built in a nested frame, so the caller's frame gains one reference.
pub fn lease_report<'local>(
    env: &mut JNIEnv<'local>,
    checked: &LeaseCheckReport,
) -> Result<JObject<'local>, Error> {
    env.with_local_frame_returning_local(REPORT_FRAME, |env| lease_report_in_frame(env, checked))
}

fn lease_report_in_frame<'local>(
    env: &mut JNIEnv<'local>,
    checked: &LeaseCheckReport,
) -> Result<JObject<'local>, Error> {
    let lease = &checked.lease;
    let claims = lease.lease_claims();
    let pool = report(
        env,
        &CheckReport {
            license: lease.pool.clone(),
            revocation_lists: checked.revocation_lists.clone(),
            lists_enforced: checked.lists_enforced,
        },
    )?;
    let status = env.new_string(lease.status.as_str())?;
    let reason = env.new_string(&lease.reason)?;
    let part = optional_string(
        env,
        lease.part.map(|part| match part {
            LeasePart::Pool => "pool",
            LeasePart::Lease => "lease",
        }),
    )?;
    let lease_id = optional_string(env, claims.map(|c| c.lease_id.as_str()))?;
    let machine_id = optional_string(env, claims.map(|c| c.machine_id.as_str()))?;
    let pool_license_id = optional_string(env, claims.map(|c| c.pool_license_id.as_str()))?;
    let json = serde_json::to_string(checked)
        .map_err(|e| crate::boundary::licet("INTERNAL", e.to_string()))?;
    let json = env.new_string(json)?;
    Ok(env.new_object(
        "dev/licet/LeaseReport",
        LEASE_REPORT_SIG,
        &[
            JValue::Object(&status),
            JValue::Bool(u8::from(lease.valid)),
            JValue::Bool(u8::from(checked.passed())),
            JValue::Object(&reason),
            JValue::Object(&part),
            JValue::Object(&lease_id),
            JValue::Object(&machine_id),
            JValue::Object(&pool_license_id),
            JValue::Long(time(claims.map(|c| c.issued_at))),
            JValue::Long(time(claims.map(|c| c.expires_at))),
            JValue::Object(&pool),
            JValue::Object(&json),
        ],
    )?)
}
