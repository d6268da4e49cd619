//! The shopper API, over `fetch` (gloo-net), plus evidence uploads over XMLHttpRequest, the one
//! browser API that reports upload progress.

use gloo_net::http::{Method, RequestBuilder, Response};
use leptos::prelude::*;
use refund_api::{
    ErrorBody, ErrorCode, ErrorHead, NewMessage, SessionRequest, SessionResponse, Shipment,
    ShopperRequest, Thread, Uploaded,
};
use refund_core::messages::Lang;
use serde::de::{DeserializeOwned, IgnoredAny};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;

use crate::dom;
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

    /// Opens a session from the link token, if there is one; the order comes with it.
    pub async fn open_from_token(&self) -> Result<OrderResponse, ApiError> {
        self.open(&self.link()?).await
    }

    /// Opens a session by looking the order up; the order comes with it.
    pub async fn open_with_lookup(
        &self,
        number: &str,
        email: &str,
    ) -> Result<OrderResponse, ApiError> {
        self.open(&SessionRequest::Lookup {
            order_number: number.to_owned(),
            email: email.to_owned(),
        })
        .await
    }

    /// Opens a fresh session from the link token after one expired, passing over the order.
    async fn reopen(&self) -> Result<IgnoredAny, ApiError> {
        self.open(&self.link()?).await
    }

    fn link(&self) -> Result<SessionRequest, ApiError> {
        let token = self.token.get_value().ok_or(ApiError::Network)?;
        Ok(SessionRequest::Link { token })
    }

    async fn open<O: DeserializeOwned>(&self, body: &SessionRequest) -> Result<O, ApiError> {
        let json = dom::to_json(body).ok_or(ApiError::Network)?;
        let answer = self
            .send(Method::POST, "/session", Some(json), None)
            .await?;
        let opened: SessionResponse<O> = read(answer).await?;
        self.session.set(Some(opened.session));
        Ok(opened.order)
    }

    pub async fn order(&self) -> Result<OrderResponse, ApiError> {
        self.call(Method::GET, "/order", None, None).await
    }

    pub async fn submit(&self, body: &ShopperRequest, key: &str) -> Result<RequestView, ApiError> {
        let json = dom::to_json(body).ok_or(ApiError::Network)?;
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
        let json = dom::to_json(&body).ok_or(ApiError::Network)?;
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

    /// Photos left unsent when the screen that held them goes away, the widget with it: deleted
    /// as [`Api::delete_evidence`] does, with what the calls need read now.
    pub fn delete_evidence_soon(&self, ids: Vec<String>) {
        let (Some(base), Some(session)) =
            (self.base.try_get_value(), self.session.try_get_untracked())
        else {
            return;
        };
        for id in ids {
            let url = format!("{base}/evidence/{}", js_sys::encode_uri_component(&id));
            let mut builder = RequestBuilder::new(&url).method(Method::DELETE);
            if let Some(token) = &session {
                builder = builder.header("Authorization", &format!("Bearer {token}"));
            }
            if let Ok(request) = builder.build() {
                leptos::task::spawn_local(async move {
                    let _ = request.send().await;
                });
            }
        }
    }

    /// The request's thread with the merchant (协商), oldest first.
    pub async fn thread(&self, id: &str) -> Result<Thread, ApiError> {
        let path = format!("/requests/{}/messages", js_sys::encode_uri_component(id));
        self.call(Method::GET, &path, None, None).await
    }

    /// Writes to the merchant; answers with the thread, the message in it.
    pub async fn post_message(&self, id: &str, body: &NewMessage) -> Result<Thread, ApiError> {
        let path = format!("/requests/{}/messages", js_sys::encode_uri_component(id));
        let json = dom::to_json(body).ok_or(ApiError::Network)?;
        self.call(Method::POST, &path, Some(json), None).await
    }

    /// Marks the merchant's messages on the request read.
    pub async fn mark_read(&self, id: &str) -> Result<(), ApiError> {
        let path = format!(
            "/requests/{}/messages/read",
            js_sys::encode_uri_component(id)
        );
        self.call::<IgnoredAny>(Method::POST, &path, None, None)
            .await
            .map(|_| ())
    }

    /// An evidence image of the order (it needs the session, so an `<img>` cannot fetch it by
    /// itself), as an object URL the caller revokes.
    pub async fn photo_url(&self, id: &str) -> Result<String, ApiError> {
        let path = format!("/evidence/{}", js_sys::encode_uri_component(id));
        read_image(self.exchange(Method::GET, &path, None, None).await?).await
    }

    /// A call that survives an expired session when the widget has a link token, its answer
    /// read as JSON.
    async fn call<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        body: Option<String>,
        key: Option<&str>,
    ) -> Result<T, ApiError> {
        read(self.exchange(method, path, body, key).await?).await
    }

    /// Sends a call, once more after reopening an expired session from the link token. Not
    /// generic, so each answer type adds only its reading to the download.
    async fn exchange(
        &self,
        method: Method,
        path: &str,
        body: Option<String>,
        key: Option<&str>,
    ) -> Result<Answer, ApiError> {
        let first = self.send(method.clone(), path, body.clone(), key).await;
        if !session_invalid(&first) {
            return first;
        }
        if self.reopen().await.is_ok() {
            return self.send(method, path, body, key).await;
        }
        self.lost.set(true);
        first
    }

    /// One request: a successful answer, still to be read, or the error it carries.
    async fn send(
        &self,
        method: Method,
        path: &str,
        body: Option<String>,
        key: Option<&str>,
    ) -> Result<Answer, ApiError> {
        let controller = web_sys::AbortController::new().map_err(|_| ApiError::Network)?;
        let abort = controller.clone();
        // Kept with the answer until its body is read, then dropped (and so cancelled).
        let timeout = gloo_timers::callback::Timeout::new(TIMEOUT_MS, move || abort.abort());
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
        let response = request.send().await.map_err(|_| ApiError::Network)?;
        if !response.ok() {
            let text = response.text().await.map_err(|_| ApiError::Network)?;
            return Err(server_error(response.status(), &text));
        }
        Ok(Answer {
            response,
            _timeout: timeout,
        })
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
        if self.reopen().await.is_ok() {
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
            browser_json::from_json::<Uploaded>(&text)
                .map(|u| u.id)
                .ok_or_else(|| unreadable(status))
        } else {
            Err(server_error(status, &text))
        }
    }
}

fn session_invalid<T>(answer: &Result<T, ApiError>) -> bool {
    matches!(answer, Err(e @ ApiError::Server { status: 401, .. }) if e.is(ErrorCode::SessionInvalid))
}

/// A successful answer whose body is still to be read, with the timeout that guards the read.
struct Answer {
    response: Response,
    _timeout: gloo_timers::callback::Timeout,
}

async fn read<T: DeserializeOwned>(answer: Answer) -> Result<T, ApiError> {
    let status = answer.response.status();
    let text = answer
        .response
        .text()
        .await
        .map_err(|_| ApiError::Network)?;
    // An answer without a body (204) reads as `null`.
    let text = if text.is_empty() { "null" } else { &text };
    browser_json::from_json(text).ok_or_else(|| unreadable(status))
}

/// An image answer as an object URL.
async fn read_image(answer: Answer) -> Result<String, ApiError> {
    let status = answer.response.status();
    let bytes = answer
        .response
        .binary()
        .await
        .map_err(|_| ApiError::Network)?;
    let parts = js_sys::Array::of1(&js_sys::Uint8Array::from(bytes.as_slice()));
    web_sys::Blob::new_with_u8_array_sequence(&parts)
        .and_then(|blob| web_sys::Url::create_object_url_with_blob(&blob))
        .map_err(|_| unreadable(status))
}

fn server_error(status: u16, text: &str) -> ApiError {
    // Only the code and message are read: the widget re-reads the order rather than take a
    // stale answer's fresh quote from the error.
    match browser_json::from_json::<ErrorBody<ErrorHead>>(text) {
        Some(body) => ApiError::Server {
            status,
            head: body.error,
        },
        None => unreadable(status),
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
