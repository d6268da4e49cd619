//! One error shape at the HTTP edge: `{ "error": { "code", "message", "field"?, … } }`.
//!
//! Every error is a [`Problem`] of the contract's catalog (its code, status, field and message
//! live there), plus what a client needs to recover from some of them (the fresh quote of a
//! stale submission, say). Messages are in the language the client asked for
//! (`Accept-Language`, applied by [`localize`]). Server faults are a bare 500 whose cause is
//! logged, never shown.

use axum::extract::Request;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use refund_api::{ErrorBody, ErrorDetail, Payout, Problem};
use refund_core::wire::DecimalStr;
use refund_core::{InputError, Lang, LifecycleError, Quote};
use std::any::Any;
use tower_http::catch_panic::CatchPanicLayer;

use crate::store::StoreError;

#[derive(Clone, Debug, thiserror::Error)]
#[error("{} {}: {}", problem.status(), problem.code(), problem.message(Lang::En))]
pub struct ApiError {
    pub problem: Problem,
    quote: Option<Box<Quote>>,
    left_to_refund: Option<DecimalStr>,
    expected: Option<Vec<Payout>>,
}

impl From<Problem> for ApiError {
    fn from(problem: Problem) -> ApiError {
        ApiError {
            problem,
            quote: None,
            left_to_refund: None,
            expected: None,
        }
    }
}

impl From<InputError> for ApiError {
    fn from(error: InputError) -> ApiError {
        Problem::Input(error).into()
    }
}

impl From<LifecycleError> for ApiError {
    fn from(error: LifecycleError) -> ApiError {
        Problem::Lifecycle(error).into()
    }
}

impl From<StoreError> for ApiError {
    /// A row a workflow needed is gone (404), a race lost more often than a workflow retries
    /// (409, worth trying again), or a fault of ours (500, logged).
    fn from(error: StoreError) -> ApiError {
        match error {
            StoreError::NotFound(_) => Problem::NotFound.into(),
            StoreError::Conflict(cause) => {
                tracing::warn!(%cause, "concurrent writes kept conflicting");
                Problem::ConcurrentUpdate.into()
            }
            StoreError::Database(cause) => ApiError::internal(cause),
        }
    }
}

impl ApiError {
    /// A server fault: logged with its cause, answered without it.
    pub fn internal(cause: impl std::fmt::Display) -> ApiError {
        tracing::error!(%cause, "internal error");
        Problem::Internal.into()
    }

    pub fn with_quote(mut self, quote: Quote) -> ApiError {
        self.quote = Some(Box::new(quote));
        self
    }

    pub fn with_left_to_refund(mut self, left: DecimalStr) -> ApiError {
        self.left_to_refund = Some(left);
        self
    }

    pub fn with_expected(mut self, expected: Vec<Payout>) -> ApiError {
        self.expected = Some(expected);
        self
    }

    pub fn status(&self) -> StatusCode {
        StatusCode::from_u16(self.problem.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    fn body(&self, lang: Lang) -> Vec<u8> {
        let body = ErrorBody {
            error: ErrorDetail {
                quote: self.quote.as_deref(),
                left_to_refund: self.left_to_refund,
                expected: self.expected.clone(),
                ..ErrorDetail::new(&self.problem, lang)
            },
        };
        serde_json::to_vec(&body).unwrap_or_default()
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = (
            self.status(),
            [(header::CONTENT_TYPE, "application/json")],
            self.body(Lang::En),
        )
            .into_response();
        if let Some(retry_after) = self.problem.retry_after()
            && let Ok(value) = HeaderValue::from_str(&retry_after.to_string())
        {
            response.headers_mut().insert(header::RETRY_AFTER, value);
        }
        response.extensions_mut().insert(self);
        response
    }
}

/// The language a client asked for in `Accept-Language`, English by default.
pub fn lang_of(headers: &HeaderMap) -> Lang {
    let accept = headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    Lang::negotiate(
        accept
            .split(',')
            .map(|part| part.split(';').next().unwrap_or("").trim()),
    )
}

/// Re-renders an error response in the client's language, and gives the one error shape to the
/// client errors axum and tower-http answer themselves in plain text (a method a path does not
/// take, a path parameter that is not valid UTF-8, a body over the limit).
pub async fn localize(request: Request, next: Next) -> Response {
    let lang = lang_of(request.headers());
    let mut response = next.run(request).await;
    let error = match response.extensions_mut().remove::<ApiError>() {
        Some(error) => error,
        None if response.status().is_client_error() => plain_client_error(response.status()),
        None => return response,
    };
    let (mut parts, _) = response.into_parts();
    parts.status = error.status();
    parts.headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, axum::body::Body::from(error.body(lang)))
}

/// What a handler that panics answers, as any other server fault: the one error shape, not a
/// dropped connection.
pub fn catch_panics() -> CatchPanicLayer<fn(Box<dyn Any + Send + 'static>) -> Response> {
    CatchPanicLayer::custom(panicked)
}

/// A handler that panicked: logged with what the panic said, answered as a server fault.
fn panicked(payload: Box<dyn Any + Send + 'static>) -> Response {
    let said = payload
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("no message");
    ApiError::internal(format_args!("a handler panicked: {said}")).into_response()
}

fn plain_client_error(status: StatusCode) -> ApiError {
    match status {
        StatusCode::METHOD_NOT_ALLOWED => Problem::MethodNotAllowed,
        StatusCode::PAYLOAD_TOO_LARGE => Problem::BodyTooLarge,
        StatusCode::URI_TOO_LONG => Problem::UriTooLong,
        StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE => Problem::HeadersTooLarge,
        StatusCode::UNSUPPORTED_MEDIA_TYPE => Problem::JsonRequired,
        _ => Problem::InvalidRequest,
    }
    .into()
}

#[cfg(test)]
mod tests {
    use axum::Router;
    use axum::body::{Body, to_bytes};
    use axum::http::{Request, StatusCode};
    use tower::ServiceExt;

    #[tokio::test]
    async fn a_handler_that_panics_is_answered_as_a_server_fault_without_what_it_said() {
        async fn explode() -> StatusCode {
            panic!("the secret cause")
        }
        let app = Router::new()
            .route("/", axum::routing::get(explode))
            .layer(super::catch_panics())
            .layer(axum::middleware::from_fn(super::localize));
        let answer = app
            .oneshot(Request::get("/").body(Body::empty()).unwrap())
            .await
            .unwrap();
        assert_eq!(answer.status(), StatusCode::INTERNAL_SERVER_ERROR);
        let body = String::from_utf8(
            to_bytes(answer.into_body(), 1 << 16)
                .await
                .unwrap()
                .to_vec(),
        )
        .unwrap();
        assert!(body.contains(r#""code":"internal""#), "{body}");
        assert!(!body.contains("secret"), "{body}");
    }
}
