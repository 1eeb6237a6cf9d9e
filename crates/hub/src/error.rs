//! The API's error answer: JupyterHub's body `{"status": N, "message": ...}` exactly, with
//! hubcap's `explanation` beside it when there is one to give.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use store::StoreError;

/// An error answer of the REST API.
#[derive(Debug, Clone)]
pub struct ApiError {
    /// The status.
    pub status: StatusCode,
    /// JupyterHub's message; `None` is sent as `null` (a bare `HTTPError(404)`).
    pub message: Option<String>,
    /// hubcap's explanation, sent as `explanation` beside the message.
    pub explanation: Option<Value>,
    /// Seconds for a `Retry-After` header (a 429 of `concurrent_spawn_limit`).
    pub retry_after: Option<u32>,
}

impl ApiError {
    /// An error with a message.
    pub fn new(status: StatusCode, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            message: Some(message.into()),
            explanation: None,
            retry_after: None,
        }
    }

    /// An error whose message is `null`, as JupyterHub sends for a bare `HTTPError(code)`.
    pub fn bare(status: StatusCode) -> ApiError {
        ApiError {
            status,
            message: None,
            explanation: None,
            retry_after: None,
        }
    }

    /// 400 with a message.
    pub fn bad_request(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, message)
    }

    /// 404 with a message.
    pub fn not_found(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, message)
    }

    /// 403 with a message.
    pub fn forbidden(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::FORBIDDEN, message)
    }

    /// 409 with a message.
    pub fn conflict(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::CONFLICT, message)
    }

    /// The same error with an explanation.
    #[must_use]
    pub fn explained(mut self, explanation: Value) -> ApiError {
        self.explanation = Some(explanation);
        self
    }

    /// The same error with `Retry-After: seconds`.
    #[must_use]
    pub fn retry_after(mut self, seconds: u32) -> ApiError {
        self.retry_after = Some(seconds);
        self
    }

    /// A database failure. JupyterHub answers 500 to any SQL error; hubcap says 503 when
    /// the database was only busy (retrying helps) and 500 otherwise, logging the cause
    /// (never sent: it may name tables and values).
    pub fn store(error: &StoreError) -> ApiError {
        match error {
            StoreError::Invalid(invalid) => return ApiError::bad_request(invalid.to_string()),
            StoreError::AlreadyExists { .. } => return ApiError::conflict(error.to_string()),
            _ => {}
        }
        if error.is_busy() {
            tracing::warn!(%error, "database busy");
            return ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "The database is busy; try again in a moment.",
            );
        }
        tracing::error!(%error, "database error");
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Internal database error; the hub's log has the details.",
        )
    }

    /// The JSON body.
    pub fn body(&self) -> Value {
        let mut body = json!({"status": self.status.as_u16(), "message": self.message});
        if let (Some(explanation), Some(map)) = (&self.explanation, body.as_object_mut()) {
            map.insert("explanation".to_owned(), explanation.clone());
        }
        body
    }
}

impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> Self {
        ApiError::store(&error)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = json_response(self.status, &self.body());
        if let Some(seconds) = self.retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}

/// A JSON answer with JupyterHub's API content type (no charset).
pub fn json_response(status: StatusCode, value: &Value) -> Response {
    let mut response = (status, value.to_string()).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

/// The result type of handlers.
pub type ApiResult = Result<Response, ApiError>;
