//! The shopper API, over `fetch` (gloo-net), plus evidence uploads over XMLHttpRequest, the one
//! browser API that reports upload progress.

use gloo_net::http::{Request, RequestBuilder, Response};
use leptos::prelude::*;
use refund_core::Quote;
use refund_core::messages::Lang;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;

use crate::model::{OrderResponse, RequestView, Submission};

/// What went wrong with a call, in the terms the widget acts on.
#[derive(Clone, Debug, PartialEq)]
pub enum ApiError {
    /// No answer: offline, DNS, CORS, or the connection dropped. The call may or may not have
    /// reached the server.
    Network,
    /// The server's one error shape: a stable code and a message in the shopper's language.
    Server {
        status: u16,
        code: String,
        message: String,
        quote: Option<Box<Quote>>,
    },
}

impl ApiError {
    pub fn code(&self) -> Option<&str> {
        match self {
            ApiError::Server { code, .. } => Some(code),
            ApiError::Network => None,
        }
    }
}

#[derive(Deserialize)]
struct ErrorBody {
    error: ErrorInner,
}

#[derive(Deserialize)]
struct ErrorInner {
    code: String,
    message: String,
    #[serde(default)]
    details: Option<ErrorDetails>,
}

#[derive(Deserialize)]
struct ErrorDetails {
    #[serde(default)]
    quote: Option<Box<Quote>>,
}

#[derive(Deserialize)]
struct SessionResponse {
    session: String,
}

#[derive(Deserialize)]
struct Uploaded {
    id: String,
}

/// One merchant's shopper API; the session token is reactive so every view sees a renewal.
#[derive(Clone, Copy)]
pub struct Api {
    base: StoredValue<String>,
    session: RwSignal<Option<String>>,
    lang: Signal<Lang>,
}

impl Api {
    pub fn new(api_base: &str, merchant: &str, lang: Signal<Lang>) -> Api {
        let base = format!(
            "{}/api/v1/shops/{}",
            api_base.trim_end_matches('/'),
            js_sys::encode_uri_component(merchant)
        );
        Api {
            base: StoredValue::new(base),
            session: RwSignal::new(None),
            lang,
        }
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

    fn builder(&self, builder: RequestBuilder) -> RequestBuilder {
        let builder = builder.header("Accept-Language", self.lang.get_untracked().tag());
        match self.session.get_untracked() {
            Some(token) => builder.header("Authorization", &format!("Bearer {token}")),
            None => builder,
        }
    }

    pub async fn open_with_token(&self, token: &str) -> Result<(), ApiError> {
        self.open(serde_json::json!({ "token": token })).await
    }

    pub async fn open_with_lookup(&self, number: &str, email: &str) -> Result<(), ApiError> {
        self.open(serde_json::json!({ "order_number": number, "email": email }))
            .await
    }

    async fn open(&self, body: serde_json::Value) -> Result<(), ApiError> {
        let request = self
            .builder(Request::post(&self.url("/session")))
            .json(&body)
            .map_err(|_| ApiError::Network)?;
        let session: SessionResponse = read(request.send().await).await?;
        self.session.set(Some(session.session));
        Ok(())
    }

    pub async fn order(&self) -> Result<OrderResponse, ApiError> {
        read(self.builder(Request::get(&self.url("/order"))).send().await).await
    }

    pub async fn submit(&self, body: &Submission, key: &str) -> Result<RequestView, ApiError> {
        let request = self
            .builder(Request::post(&self.url("/requests")))
            .header("Idempotency-Key", key)
            .json(body)
            .map_err(|_| ApiError::Network)?;
        read(request.send().await).await
    }

    pub async fn request(&self, id: &str) -> Result<RequestView, ApiError> {
        let url = self.url(&format!("/requests/{}", js_sys::encode_uri_component(id)));
        read(self.builder(Request::get(&url)).send().await).await
    }

    pub async fn cancel(&self, id: &str) -> Result<RequestView, ApiError> {
        let url = self.url(&format!(
            "/requests/{}/cancel",
            js_sys::encode_uri_component(id)
        ));
        read(self.builder(Request::post(&url)).send().await).await
    }

    pub async fn ship(
        &self,
        id: &str,
        carrier: &str,
        tracking_number: &str,
    ) -> Result<RequestView, ApiError> {
        let url = self.url(&format!(
            "/requests/{}/shipment",
            js_sys::encode_uri_component(id)
        ));
        let request = self
            .builder(Request::post(&url))
            .json(&serde_json::json!({ "carrier": carrier, "tracking_number": tracking_number }))
            .map_err(|_| ApiError::Network)?;
        read(request.send().await).await
    }

    /// Uploads one image, reporting progress in percent; resolves to the evidence id.
    pub async fn upload(
        &self,
        file: &web_sys::File,
        progress: impl Fn(u32) + 'static,
    ) -> Result<String, ApiError> {
        let xhr = web_sys::XmlHttpRequest::new().map_err(|_| ApiError::Network)?;
        xhr.open_with_async("POST", &self.url("/evidence"), true)
            .map_err(|_| ApiError::Network)?;
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
    match serde_json::from_str::<ErrorBody>(text) {
        Ok(body) => ApiError::Server {
            status,
            code: body.error.code,
            message: body.error.message,
            quote: body.error.details.and_then(|d| d.quote),
        },
        Err(_) => unreadable(status),
    }
}

/// An answer that is not the API's: a proxy's error page, say. Shown as the generic message.
fn unreadable(status: u16) -> ApiError {
    ApiError::Server {
        status,
        code: "unreadable_response".to_owned(),
        message: String::new(),
        quote: None,
    }
}
