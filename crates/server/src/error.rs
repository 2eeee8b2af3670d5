//! API errors in the seed's shape: `{"code":"LE_ERR_SS_400","errors":[{"message","path","code"}]}`.
//! Internal details never reach a response body; they go to the log with the request's path.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;

/// One entry of `errors`.
#[derive(Debug, Serialize, Clone, PartialEq, utoipa::ToSchema)]
pub struct ErrorDetail {
    /// What went wrong, for a person.
    pub message: String,
    /// The request path, or null for internal errors.
    pub path: Option<String>,
    /// The detail code, such as `LE_ERR_SS_008`; null for internal errors.
    pub code: Option<String>,
}

/// The error body.
#[derive(Debug, Serialize, Clone, PartialEq, utoipa::ToSchema)]
pub struct ErrorBody {
    /// `LE_ERR_SS_<status>`.
    pub code: String,
    /// Details.
    pub errors: Vec<ErrorDetail>,
}

/// An error response of the license APIs.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    detail_code: Option<&'static str>,
    message: String,
    path: Option<String>,
}

impl ApiError {
    fn new(
        status: StatusCode,
        detail_code: &'static str,
        message: impl Into<String>,
        path: &str,
    ) -> Self {
        ApiError {
            status,
            detail_code: Some(detail_code),
            message: message.into(),
            path: Some(path.to_owned()),
        }
    }

    /// 400, LE_ERR_SS_008: the license (or request) did not validate.
    pub fn validation(message: impl Into<String>, path: &str) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "LE_ERR_SS_008", message, path)
    }

    /// 401, LE_ERR_SS_301: no credentials, or credentials of the wrong form.
    pub fn missing_credentials(path: &str) -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "LE_ERR_SS_301",
            "Authentication failed. Please check your credentials.",
            path,
        )
    }

    /// 401, LE_ERR_SS_303: a token that is unknown or expired.
    pub fn invalid_token(path: &str) -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "LE_ERR_SS_303",
            "Invalid or expired token",
            path,
        )
    }

    /// 403, LE_ERR_SS_302: the token lacks a permission.
    pub fn forbidden(permission: &str, path: &str) -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            "LE_ERR_SS_302",
            format!("The token does not have the `{permission}` permission"),
            path,
        )
    }

    /// 403, LE_ERR_SS_304: a console request that changes state without its session's CSRF
    /// token (`X-CSRF-Token`).
    pub fn csrf(path: &str) -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            "LE_ERR_SS_304",
            "The request changes state but does not carry the session's X-CSRF-Token",
            path,
        )
    }

    /// 403, LE_ERR_SS_304: a console sign-in that is not JSON from the console's own origin.
    pub fn csrf_sign_in(path: &str) -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            "LE_ERR_SS_304",
            "Sign in from the console's own page: a JSON body from this origin",
            path,
        )
    }

    /// 404, LE_ERR_SS_001.
    pub fn not_found(message: impl Into<String>, path: &str) -> Self {
        Self::new(StatusCode::NOT_FOUND, "LE_ERR_SS_001", message, path)
    }

    /// 405, LE_ERR_SS_405: the route exists, the method does not.
    pub fn method_not_allowed(method: &str, path: &str) -> Self {
        Self::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "LE_ERR_SS_405",
            format!("{method} is not allowed on this route"),
            path,
        )
    }

    /// 408, LE_ERR_SS_408: the request took longer than the server allows.
    pub fn timeout(path: &str) -> Self {
        Self::new(
            StatusCode::REQUEST_TIMEOUT,
            "LE_ERR_SS_408",
            "The request took too long",
            path,
        )
    }

    /// 409 with a detail code, such as LE_ERR_SS_1101 (a certificate alias that exists).
    pub fn conflict(detail_code: &'static str, message: impl Into<String>, path: &str) -> Self {
        Self::new(StatusCode::CONFLICT, detail_code, message, path)
    }

    /// 422, LE_ERR_SS_422: a query parameter is malformed or out of range; the message names it.
    pub fn bad_parameter(bad: &crate::admin::BadParameter, path: &str) -> Self {
        Self::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "LE_ERR_SS_422",
            format!("The query parameter {bad}"),
            path,
        )
    }

    /// 422, LE_ERR_SS_422: the request is well formed but cannot be done as asked; the message
    /// says why.
    pub fn unprocessable(message: impl Into<String>, path: &str) -> Self {
        Self::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "LE_ERR_SS_422",
            message,
            path,
        )
    }

    /// 413, LE_ERR_SS_413: the body is over the route's limit.
    pub fn too_large(limit: usize, path: &str) -> Self {
        Self::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "LE_ERR_SS_413",
            format!("The request body is larger than {limit} bytes"),
            path,
        )
    }

    /// 500 with the seed's fixed body; `cause` is logged, never sent.
    pub fn internal(cause: impl std::fmt::Display, path: &str) -> Self {
        tracing::error!(%cause, "internal error"); // not the path: it can carry a license key
        let _ = path;
        ApiError {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            detail_code: None,
            message: "Internal Server Error".into(),
            path: None,
        }
    }

    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        self.status
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            code: format!("LE_ERR_SS_{}", self.status.as_u16()),
            errors: vec![ErrorDetail {
                message: self.message,
                path: self.path,
                code: self.detail_code.map(str::to_owned),
            }],
        };
        (self.status, Json(body)).into_response()
    }
}
