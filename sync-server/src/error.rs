//! API errors: every failure a handler returns becomes an RFC 9457 problem with a stable `type`.
//! Internal causes are logged with the request's id and never reach the client.

use std::time::Duration;

use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;

use crate::db::DbError;
use crate::http::problem;

/// What a handler can fail with.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The request is malformed (`bad-request`).
    #[error("{0}")]
    BadRequest(String),
    /// A field has an invalid value (`validation`, 422).
    #[error("{field}: {message}")]
    Validation {
        /// The field, as named in the request.
        field: &'static str,
        /// What is wrong with it.
        message: String,
    },
    /// No or invalid credentials (`unauthorized`, 401).
    #[error("{0}")]
    Unauthorized(&'static str),
    /// The caller may see the resource but not do this (`forbidden`, 403).
    #[error("{0}")]
    Forbidden(&'static str),
    /// The account's email must be verified first (`email-unverified`, 403).
    #[error("verify your email address to continue")]
    EmailUnverified,
    /// No such resource, or the caller may not see it (`not-found`, 404).
    #[error("no such resource")]
    NotFound,
    /// The request conflicts with the current state (`conflict`, 409).
    #[error("{0}")]
    Conflict(String),
    /// The thing existed but is used up or expired (`gone`, 410).
    #[error("{0}")]
    Gone(&'static str),
    /// Unsupported content type (`unsupported-media-type`, 415).
    #[error("{0}")]
    UnsupportedMediaType(String),
    /// The body is too large (`payload-too-large`, 413).
    #[error("{0}")]
    PayloadTooLarge(String),
    /// The team's credits or plan do not cover the request (402; `kind` is
    /// `insufficient-credits` or `plan-upgrade-required`, see [`crate::credits::CreditsError`]).
    /// The extension members (amounts, an upgrade hint) are added to the problem.
    #[error("{detail}")]
    PaymentRequired {
        /// The problem type's last segment.
        kind: &'static str,
        /// The problem's title.
        title: &'static str,
        /// What happened, for a person.
        detail: String,
        /// Extra members of the problem object.
        extensions: serde_json::Map<String, serde_json::Value>,
    },
    /// A rate limit was hit (`rate-limited`, 429 with `Retry-After`).
    #[error("too many requests")]
    RateLimited(Duration),
    /// Something on our side failed (`internal`, 500); logged, never shown.
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl ApiError {
    /// A 422 for `field`.
    pub fn invalid(field: &'static str, message: impl Into<String>) -> ApiError {
        ApiError::Validation { field, message: message.into() }
    }
}

impl From<DbError> for ApiError {
    fn from(e: DbError) -> ApiError {
        match e {
            DbError::Conflict(what) => ApiError::Conflict(format!("{what} is already taken")),
            other => ApiError::Internal(anyhow::Error::new(other)),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let detail = self.to_string();
        match self {
            ApiError::BadRequest(_) => problem(StatusCode::BAD_REQUEST, "bad-request", "Bad request", &detail),
            ApiError::Validation { field, message } => {
                let mut r = problem(StatusCode::UNPROCESSABLE_ENTITY, "validation", "Invalid value", &detail);
                // The field is repeated in a machine-readable member, as RFC 9457 allows.
                let body = serde_json::json!({
                    "type": "https://creativeflow.dev/problems/validation",
                    "title": "Invalid value",
                    "status": 422,
                    "detail": detail,
                    "errors": [{ "field": field, "message": message }],
                });
                *r.body_mut() = axum::body::Body::from(body.to_string());
                r
            }
            ApiError::Unauthorized(_) => {
                let mut r = problem(StatusCode::UNAUTHORIZED, "unauthorized", "Unauthorized", &detail);
                r.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
                r
            }
            ApiError::Forbidden(_) => problem(StatusCode::FORBIDDEN, "forbidden", "Forbidden", &detail),
            ApiError::EmailUnverified => {
                problem(StatusCode::FORBIDDEN, "email-unverified", "Email not verified", &detail)
            }
            ApiError::NotFound => problem(StatusCode::NOT_FOUND, "not-found", "Not found", &detail),
            ApiError::Conflict(_) => problem(StatusCode::CONFLICT, "conflict", "Conflict", &detail),
            ApiError::Gone(_) => problem(StatusCode::GONE, "gone", "Gone", &detail),
            ApiError::UnsupportedMediaType(_) => {
                problem(StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported-media-type", "Unsupported media type", &detail)
            }
            ApiError::PayloadTooLarge(_) => {
                problem(StatusCode::PAYLOAD_TOO_LARGE, "payload-too-large", "Request body too large", &detail)
            }
            ApiError::PaymentRequired { kind, title, detail, extensions } => {
                let mut r = problem(StatusCode::PAYMENT_REQUIRED, kind, title, &detail);
                let mut body = serde_json::Map::new();
                body.insert("type".into(), format!("https://creativeflow.dev/problems/{kind}").into());
                body.insert("title".into(), title.into());
                body.insert("status".into(), 402.into());
                body.insert("detail".into(), detail.into());
                for (k, v) in extensions {
                    body.entry(k).or_insert(v);
                }
                *r.body_mut() = axum::body::Body::from(serde_json::Value::Object(body).to_string());
                r
            }
            ApiError::RateLimited(wait) => {
                let secs = wait.as_secs_f64().ceil().max(1.0) as u64;
                let mut r = problem(
                    StatusCode::TOO_MANY_REQUESTS,
                    "rate-limited",
                    "Too many requests",
                    &format!("slow down: try again in {secs} s"),
                );
                if let Ok(v) = HeaderValue::from_str(&secs.to_string()) {
                    r.headers_mut().insert(header::RETRY_AFTER, v);
                }
                r
            }
            ApiError::Internal(e) => {
                tracing::error!(error = format!("{e:#}"), "internal error");
                problem(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal",
                    "Internal error",
                    "something went wrong on our side; it has been logged",
                )
            }
        }
    }
}

/// A JSON body whose rejections are problems: 415 without `Content-Type: application/json`,
/// 400 for malformed JSON, 422 naming the field for a wrong shape or an unknown field (bodies
/// deny unknown fields, so `role` or `owner_id` in an update is refused, not ignored).
#[derive(Debug, Clone, Copy, Default)]
pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(v)) => Ok(ApiJson(v)),
            Err(JsonRejection::MissingJsonContentType(_)) => Err(ApiError::UnsupportedMediaType(
                "send the body as JSON with `Content-Type: application/json`".into(),
            )),
            Err(JsonRejection::JsonSyntaxError(e)) => {
                Err(ApiError::BadRequest(format!("malformed JSON: {}", e.body_text())))
            }
            Err(JsonRejection::JsonDataError(e)) => Err(ApiError::Validation { field: "body", message: e.body_text() }),
            Err(JsonRejection::BytesRejection(e)) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                Err(ApiError::PayloadTooLarge(format!(
                    "request bodies may be at most {} bytes",
                    crate::http::MAX_BODY_BYTES
                )))
            }
            Err(e) => Err(ApiError::BadRequest(e.body_text())),
        }
    }
}

/// Path parameters whose rejections are problems; an id that does not parse is a 404 (nothing
/// could have that id).
#[derive(Debug, Clone, Copy, Default)]
pub struct ApiPath<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Send> FromRequestParts<S> for ApiPath<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match axum::extract::Path::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(v)) => Ok(ApiPath(v)),
            Err(PathRejection::FailedToDeserializePathParams(_)) => Err(ApiError::NotFound),
            Err(e) => Err(ApiError::BadRequest(e.body_text())),
        }
    }
}

/// Query parameters whose rejections are 422 problems.
#[derive(Debug, Clone, Copy, Default)]
pub struct ApiQuery<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Query(v)) => Ok(ApiQuery(v)),
            Err(QueryRejection::FailedToDeserializeQueryString(e)) => {
                Err(ApiError::Validation { field: "query", message: e.body_text() })
            }
            Err(e) => Err(ApiError::BadRequest(e.body_text())),
        }
    }
}
