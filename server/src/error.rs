//! One error shape at the HTTP edge: `{ "error": { "code", "message", "field"? } }`.
//!
//! Every client mistake is a 4xx with a stable code and a message that says what to fix, in the
//! language the client asked for (`Accept-Language`, applied by [`localize`]). Server faults are a
//! bare 500 whose cause is logged, never shown.

use axum::Json;
use axum::extract::Request;
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use refund_core::messages::{input_error, lifecycle_error};
use refund_core::{InputError, Lang, LifecycleError};
use serde::Serialize;
use serde_json::Value;

/// A message in every supported language.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Text {
    pub zh: String,
    pub en: String,
}

impl Text {
    pub fn new(zh: impl Into<String>, en: impl Into<String>) -> Text {
        Text {
            zh: zh.into(),
            en: en.into(),
        }
    }

    pub fn get(&self, lang: Lang) -> &str {
        match lang {
            Lang::ZhCn => &self.zh,
            Lang::En => &self.en,
        }
    }
}

#[derive(Clone, Debug, thiserror::Error)]
#[error("{status} {code}: {}", message.en)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: Text,
    pub field: Option<String>,
    /// Extra data for the client, e.g. the fresh quote of a stale submission.
    pub details: Option<Value>,
}

#[derive(Serialize)]
struct Body<'a> {
    error: Inner<'a>,
}

#[derive(Serialize)]
struct Inner<'a> {
    code: &'a str,
    message: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    field: Option<&'a str>,
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    details: Option<&'a Value>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: Text) -> ApiError {
        ApiError {
            status,
            code,
            message,
            field: None,
            details: None,
        }
    }

    pub fn field(mut self, field: impl Into<String>) -> ApiError {
        self.field = Some(field.into());
        self
    }

    pub fn details(mut self, details: Value) -> ApiError {
        self.details = Some(details);
        self
    }

    pub fn not_found() -> ApiError {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            Text::new("未找到。", "Not found."),
        )
    }

    pub fn unauthorized() -> ApiError {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            Text::new(
                "缺少或无效的凭证，请检查 API 密钥或重新打开退款链接。",
                "Missing or invalid credentials: check the API key, or open the refund link again.",
            ),
        )
    }

    pub fn bad_request(code: &'static str, message: Text) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, code, message)
    }

    pub fn conflict(code: &'static str, message: Text) -> ApiError {
        ApiError::new(StatusCode::CONFLICT, code, message)
    }

    pub fn unprocessable(code: &'static str, message: Text) -> ApiError {
        ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, code, message)
    }

    /// A server fault: logged with its cause, answered without it.
    pub fn internal(cause: impl std::fmt::Display) -> ApiError {
        tracing::error!(%cause, "internal error");
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            Text::new(
                "服务器出错，请稍后重试。",
                "Something went wrong on our side; please try again.",
            ),
        )
    }

    fn body(&self, lang: Lang) -> Vec<u8> {
        let body = Body {
            error: Inner {
                code: self.code,
                message: self.message.get(lang),
                field: self.field.as_deref(),
                details: self.details.as_ref(),
            },
        };
        serde_json::to_vec(&body).unwrap_or_default()
    }
}

impl From<InputError> for ApiError {
    fn from(error: InputError) -> ApiError {
        let mut api = ApiError::unprocessable(
            error.code(),
            Text::new(
                input_error(&error, Lang::ZhCn),
                input_error(&error, Lang::En),
            ),
        );
        api.field = error.field().map(str::to_owned);
        api
    }
}

impl From<LifecycleError> for ApiError {
    /// A missing or overlong text is the caller's input to fix (422, naming the field); anything
    /// else is a conflict with the request's current state (409).
    fn from(error: LifecycleError) -> ApiError {
        let text = Text::new(
            lifecycle_error(&error, Lang::ZhCn),
            lifecycle_error(&error, Lang::En),
        );
        match error {
            LifecycleError::InvalidText { field, .. } => {
                ApiError::unprocessable(error.code(), text).field(field)
            }
            _ => ApiError::conflict(error.code(), text),
        }
    }
}

impl From<crate::store::StoreError> for ApiError {
    /// A row a workflow needed is gone (404), a race lost more often than a workflow retries
    /// (409, worth trying again), or a fault of ours (500, logged).
    fn from(error: crate::store::StoreError) -> ApiError {
        use crate::store::StoreError;
        match error {
            StoreError::NotFound(_) => ApiError::not_found(),
            StoreError::Conflict(cause) => {
                tracing::warn!(%cause, "concurrent writes kept conflicting");
                ApiError::conflict(
                    "concurrent_update",
                    Text::new(
                        "数据正被同时修改，请稍后重试。",
                        "Someone else changed this at the same moment; please try again.",
                    ),
                )
            }
            StoreError::Database(cause) => ApiError::internal(cause),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = (
            self.status,
            [(header::CONTENT_TYPE, "application/json")],
            self.body(Lang::En),
        )
            .into_response();
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
/// few client errors axum answers itself in plain text (a method a path does not take, a path
/// parameter that is not valid UTF-8).
pub async fn localize(request: Request, next: Next) -> Response {
    let lang = lang_of(request.headers());
    let mut response = next.run(request).await;
    let error = match response.extensions_mut().remove::<ApiError>() {
        Some(error) => error,
        None if response.status().is_client_error() => plain_client_error(response.status()),
        None => return response,
    };
    if lang == Lang::En
        && response
            .headers()
            .get(header::CONTENT_TYPE)
            .is_some_and(|v| v == "application/json")
    {
        return response;
    }
    let (mut parts, _) = response.into_parts();
    parts.headers.insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static("application/json"),
    );
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, axum::body::Body::from(error.body(lang)))
}

fn plain_client_error(status: StatusCode) -> ApiError {
    match status {
        StatusCode::METHOD_NOT_ALLOWED => ApiError::new(
            status,
            "method_not_allowed",
            Text::new(
                "该地址不支持此请求方法。",
                "This path does not take that method.",
            ),
        ),
        StatusCode::PAYLOAD_TOO_LARGE => too_large(),
        _ => ApiError::new(
            status,
            "invalid_request",
            Text::new(
                "请求无效，请检查地址和参数。",
                "The request is not valid; check its path and parameters.",
            ),
        ),
    }
}

/// A JSON body extractor whose rejections use the one error shape.
pub struct JsonBody<T>(pub T);

impl<S, T> axum::extract::FromRequest<S> for JsonBody<T>
where
    T: serde::de::DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, ApiError> {
        match Json::<T>::from_request(request, state).await {
            Ok(Json(value)) => Ok(JsonBody(value)),
            Err(rejection) => Err(json_rejection(rejection)),
        }
    }
}

fn json_rejection(rejection: axum::extract::rejection::JsonRejection) -> ApiError {
    use axum::extract::rejection::JsonRejection as R;
    match rejection {
        R::JsonDataError(e) => ApiError::unprocessable(
            "invalid_body",
            Text::new(
                format!("请求内容不符合要求：{}", e.body_text()),
                format!(
                    "The body does not match what this endpoint takes: {}",
                    e.body_text()
                ),
            ),
        ),
        R::JsonSyntaxError(e) => ApiError::bad_request(
            "malformed_json",
            Text::new(
                format!("请求内容不是有效的 JSON：{}", e.body_text()),
                format!("The body is not valid JSON: {}", e.body_text()),
            ),
        ),
        R::MissingJsonContentType(_) => ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "json_required",
            Text::new(
                "请使用 Content-Type: application/json。",
                "Send the body with Content-Type: application/json.",
            ),
        ),
        R::BytesRejection(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => too_large(),
        other => ApiError::bad_request(
            "unreadable_body",
            Text::new(
                format!("无法读取请求内容：{other}"),
                format!("The body could not be read: {other}"),
            ),
        ),
    }
}

pub fn too_large() -> ApiError {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "body_too_large",
        Text::new("请求内容过大。", "The body is too large."),
    )
}

/// A query-string extractor whose rejections use the one error shape.
pub struct QueryArgs<T>(pub T);

impl<S, T> axum::extract::FromRequestParts<S> for QueryArgs<T>
where
    T: serde::de::DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &S,
    ) -> Result<Self, ApiError> {
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Query(value)) => Ok(QueryArgs(value)),
            Err(rejection) => Err(ApiError::bad_request(
                "invalid_query",
                Text::new(
                    format!("查询参数有误：{}", rejection.body_text()),
                    format!("The query string is not valid: {}", rejection.body_text()),
                ),
            )),
        }
    }
}
