//! Extractors whose rejections answer in the API's error shape (axum's own answer in plain text).

use crate::error::ApiError;
use axum::extract::{FromRequestParts, Path};
use axum::http::request::Parts;

/// The one path parameter of a route, such as `{licenseId}`. A parameter that cannot be decoded
/// (for example `%FF`, not UTF-8) is a 400 LE_ERR_SS_008.
#[derive(Debug)]
pub struct PathParam(pub String);

impl<S: Send + Sync> FromRequestParts<S> for PathParam {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match Path::<String>::from_request_parts(parts, state).await {
            Ok(Path(value)) => {
                crate::text::refuse_nul("path", &value, parts.uri.path())?;
                Ok(PathParam(value))
            }
            Err(e) => Err(ApiError::validation(
                format!("The path is invalid: {}", e.body_text()),
                parts.uri.path(),
            )),
        }
    }
}

/// The two path parameters of a route, such as `{key}` and `{machine_id}`; the same 400 as
/// [`PathParam`] when one cannot be decoded.
#[derive(Debug)]
pub struct PathParams2(pub String, pub String);

impl<S: Send + Sync> FromRequestParts<S> for PathParams2 {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match Path::<(String, String)>::from_request_parts(parts, state).await {
            Ok(Path((a, b))) => {
                crate::text::refuse_nul("path", &a, parts.uri.path())?;
                crate::text::refuse_nul("path", &b, parts.uri.path())?;
                Ok(PathParams2(a, b))
            }
            Err(e) => Err(ApiError::validation(
                format!("The path is invalid: {}", e.body_text()),
                parts.uri.path(),
            )),
        }
    }
}
