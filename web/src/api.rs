//! The shopper API, over `fetch` (gloo-net), plus evidence uploads over XMLHttpRequest, the one
//! browser API that reports upload progress.

use gloo_net::http::{Method, RequestBuilder, Response};
use leptos::prelude::*;
use refund_api::{
    ErrorBody, ErrorCode, ErrorHead, SessionRequest, SessionResponse, Shipment, ShopperRequest,
    Uploaded,
};
use refund_core::messages::Lang;
use serde::de::{DeserializeOwned, IgnoredAny};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;

use crate::model::{OrderResponse, RequestView};

/// What went wrong with a call, in the terms the widget acts on.
#[derive(Clone, Debug, PartialEq)]
pub enum ApiError {
    /// No answer: offline, DNS, CORS, or the connection dropped. The call may or may not have
    /// reached the server.
    Network,
    /// The server's one error shape: a stable code and a message in the shopper's language
    /// (both empty for an answer that is not the API's, a proxy's error page, say).
    Server { status: u16, head: ErrorHead },
}

impl ApiError {
    /// Whether the server answered with this code.
    pub fn is(&self, code: ErrorCode) -> bool {
        matches!(self, ApiError::Server { head, .. } if head.is(code))
    }

    /// Whether the call may have done its work even so: no answer, or the server (or a proxy
    /// in front of it) failed before answering.
    pub fn maybe_done(&self) -> bool {
        match self {
            ApiError::Network => true,
            ApiError::Server { status, .. } => *status >= 500,
        }
    }
}

/// How long a call may take before the widget treats it as a network failure.
const TIMEOUT_MS: u32 = 30_000;
const UPLOAD_TIMEOUT_MS: u32 = 120_000;

/// One merchant's shopper API. The session token is reactive so every view sees a renewal; an
/// expired session is reopened from the link token once and the call repeated, and without a
/// link token `lost` tells the app to ask for the order again.
#[derive(Clone, Copy)]
pub struct Api {
    base: StoredValue<String>,
    session: RwSignal<Option<String>>,
    token: StoredValue<Option<String>>,
    pub lost: RwSignal<bool>,
    lang: Signal<Lang>,
}

impl Api {
    pub fn new(api_base: &str, merchant: &str, token: Option<String>, lang: Signal<Lang>) -> Api {
        let base = format!(
            "{}/api/v1/shops/{}",
            api_base.trim_end_matches('/'),
            js_sys::encode_uri_component(merchant)
        );
        Api {
            base: StoredValue::new(base),
            session: RwSignal::new(None),
            token: StoredValue::new(token),
            lost: RwSignal::new(false),
            lang,
        }
    }

    pub fn has_token(&self) -> bool {
        self.token.with_value(Option::is_some)
    }

    pub fn has_session(&self) -> bool {
        self.session.with_untracked(Option::is_some)
    }

    pub fn forget_session(&self) {
        self.session.set(None);
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base.get_value())
    }

    /// Opens a session from the link token, if there is one.
    pub async fn open_from_token(&self) -> Result<(), ApiError> {
        match self.token.get_value() {
            Some(token) => self.open(&SessionRequest::Link { token }).await,
            None => Err(ApiError::Network),
        }
    }

    pub async fn open_with_lookup(&self, number: &str, email: &str) -> Result<(), ApiError> {
        self.open(&SessionRequest::Lookup {
            order_number: number.to_owned(),
            email: email.to_owned(),
        })
        .await
    }

    async fn open(&self, body: &SessionRequest) -> Result<(), ApiError> {
        let json = serde_json::to_string(body).map_err(|_| ApiError::Network)?;
        let session: SessionResponse = self
            .once(Method::POST, "/session", Some(json), None)
            .await?;
        self.session.set(Some(session.session));
        Ok(())
    }

    pub async fn order(&self) -> Result<OrderResponse, ApiError> {
        self.call(Method::GET, "/order", None, None).await
    }

    pub async fn submit(&self, body: &ShopperRequest, key: &str) -> Result<RequestView, ApiError> {
        let json = serde_json::to_string(body).map_err(|_| ApiError::Network)?;
        self.call(Method::POST, "/requests", Some(json), Some(key))
            .await
    }

    pub async fn request(&self, id: &str) -> Result<RequestView, ApiError> {
        let path = format!("/requests/{}", js_sys::encode_uri_component(id));
        self.call(Method::GET, &path, None, None).await
    }

    pub async fn cancel(&self, id: &str) -> Result<RequestView, ApiError> {
        let path = format!("/requests/{}/cancel", js_sys::encode_uri_component(id));
        self.call(Method::POST, &path, None, None).await
    }

    pub async fn ship(
        &self,
        id: &str,
        carrier: &str,
        tracking_number: &str,
    ) -> Result<RequestView, ApiError> {
        let path = format!("/requests/{}/shipment", js_sys::encode_uri_component(id));
        let body = Shipment {
            carrier: carrier.to_owned(),
            tracking_number: tracking_number.to_owned(),
        };
        let json = serde_json::to_string(&body).map_err(|_| ApiError::Network)?;
        self.call(Method::POST, &path, Some(json), None).await
    }

    /// Deletes an uploaded photo the shopper removed, so it stops counting towards the order's
    /// limit. Best effort: a photo left behind is simply never attached to a request.
    pub async fn delete_evidence(&self, id: &str) {
        let path = format!("/evidence/{}", js_sys::encode_uri_component(id));
        let _ = self
            .call::<IgnoredAny>(Method::DELETE, &path, None, None)
            .await;
    }

    /// A call that survives an expired session when the widget has a link token.
    async fn call<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        body: Option<String>,
        key: Option<&str>,
    ) -> Result<T, ApiError> {
        let first = self.once(method.clone(), path, body.clone(), key).await;
        if !session_invalid(&first) {
            return first;
        }
        if self.open_from_token().await.is_ok() {
            return self.once(method, path, body, key).await;
        }
        self.lost.set(true);
        first
    }

    async fn once<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        body: Option<String>,
        key: Option<&str>,
    ) -> Result<T, ApiError> {
        let controller = web_sys::AbortController::new().map_err(|_| ApiError::Network)?;
        let abort = controller.clone();
        // Dropped (and so cancelled) when the call returns.
        let _timeout = gloo_timers::callback::Timeout::new(TIMEOUT_MS, move || abort.abort());
        let signal = controller.signal();
        let mut builder = RequestBuilder::new(&self.url(path))
            .method(method)
            .abort_signal(Some(&signal))
            .header("Accept-Language", self.lang.get_untracked().tag());
        if let Some(token) = self.session.get_untracked() {
            builder = builder.header("Authorization", &format!("Bearer {token}"));
        }
        if let Some(key) = key {
            builder = builder.header("Idempotency-Key", key);
        }
        let request = match body {
            Some(json) => builder
                .header("Content-Type", "application/json")
                .body(json),
            None => builder.build(),
        }
        .map_err(|_| ApiError::Network)?;
        read(request.send().await).await
    }

    /// Uploads one image, reporting progress in percent; resolves to the evidence id.
    pub async fn upload(
        &self,
        file: &web_sys::File,
        progress: impl Fn(u32) + Clone + 'static,
    ) -> Result<String, ApiError> {
        let first = self.upload_once(file, progress.clone()).await;
        if !session_invalid(&first) {
            return first;
        }
        if self.open_from_token().await.is_ok() {
            return self.upload_once(file, progress).await;
        }
        self.lost.set(true);
        first
    }

    async fn upload_once(
        &self,
        file: &web_sys::File,
        progress: impl Fn(u32) + 'static,
    ) -> Result<String, ApiError> {
        let xhr = web_sys::XmlHttpRequest::new().map_err(|_| ApiError::Network)?;
        xhr.open_with_async("POST", &self.url("/evidence"), true)
            .map_err(|_| ApiError::Network)?;
        xhr.set_timeout(UPLOAD_TIMEOUT_MS);
        let _ = xhr.set_request_header("Accept-Language", self.lang.get_untracked().tag());
        if let Some(token) = self.session.get_untracked() {
            let _ = xhr.set_request_header("Authorization", &format!("Bearer {token}"));
        }
        let on_progress =
            Closure::<dyn Fn(web_sys::ProgressEvent)>::new(move |event: web_sys::ProgressEvent| {
                if event.length_computable() && event.total() > 0.0 {
                    // A percentage for display only; never money.
                    progress((event.loaded() / event.total() * 100.0).floor() as u32);
                }
            });
        if let Ok(upload) = xhr.upload() {
            upload.set_onprogress(Some(on_progress.as_ref().unchecked_ref()));
        }
        let done = js_sys::Promise::new(&mut |resolve, _| {
            xhr.set_onloadend(Some(&resolve));
        });
        xhr.send_with_opt_blob(Some(file))
            .map_err(|_| ApiError::Network)?;
        let _ = wasm_bindgen_futures::JsFuture::from(done).await;
        drop(on_progress);
        let status = xhr.status().unwrap_or(0);
        let text = xhr.response_text().ok().flatten().unwrap_or_default();
        if status == 0 {
            return Err(ApiError::Network);
        }
        if (200..300).contains(&status) {
            serde_json::from_str::<Uploaded>(&text)
                .map(|u| u.id)
                .map_err(|_| unreadable(status))
        } else {
            Err(server_error(status, &text))
        }
    }
}

fn session_invalid<T>(answer: &Result<T, ApiError>) -> bool {
    matches!(answer, Err(e @ ApiError::Server { status: 401, .. }) if e.is(ErrorCode::SessionInvalid))
}

async fn read<T: DeserializeOwned>(
    response: Result<Response, gloo_net::Error>,
) -> Result<T, ApiError> {
    let response = response.map_err(|_| ApiError::Network)?;
    let status = response.status();
    let text = response.text().await.map_err(|_| ApiError::Network)?;
    if response.ok() {
        serde_json::from_str(&text).map_err(|_| unreadable(status))
    } else {
        Err(server_error(status, &text))
    }
}

fn server_error(status: u16, text: &str) -> ApiError {
    // Only the code and message are read: the widget re-reads the order rather than take a
    // stale answer's fresh quote from the error.
    match serde_json::from_str::<ErrorBody<ErrorHead>>(text) {
        Ok(body) => ApiError::Server {
            status,
            head: body.error,
        },
        Err(_) => unreadable(status),
    }
}

/// An answer that is not the API's: a proxy's error page, say. Shown as the generic message.
fn unreadable(status: u16) -> ApiError {
    ApiError::Server {
        status,
        head: ErrorHead {
            code: String::new(),
            message: String::new(),
        },
    }
}
