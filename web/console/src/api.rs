//! The merchant API as the desk calls it: same origin, the session in its cookie, the CSRF
//! token echoed on every call that changes something, errors in the staff member's language.

use gloo_net::http::{Method, RequestBuilder};
use leptos::prelude::*;
use refund_api::{
    AddressBody, Approval, Assignment, BatchApproval, BatchResult, DeliveryLog, DeskSession,
    DeskSettings, EndpointChange, EndpointSecret, EndpointView, ErrorBody, ErrorCode, ErrorHead,
    MerchantOrderView, NewEndpoint, NewMessage, NewStaff, QueueCounts, RefundPaid, Rejection,
    ReplyTemplate, RequestPage, ReturnAddress, Rotation, SetUp, SetUpLink, SignIn, StaffChange,
    StaffView, TemplateBody, Thread,
};
use refund_core::Quote;
use refund_core::messages::Lang;
use serde::Serialize;
use serde::de::{DeserializeOwned, IgnoredAny};

use crate::model::Request;

/// What went wrong with a call.
#[derive(Clone, Debug, PartialEq)]
pub enum ApiError {
    /// No answer: offline, or the connection dropped.
    Network,
    /// The API's error shape (code and message empty for an answer that is not the API's).
    Server { status: u16, head: ErrorHead },
}

impl ApiError {
    pub fn is(&self, code: ErrorCode) -> bool {
        matches!(self, ApiError::Server { head, .. } if head.is(code))
    }

    /// The request changed meanwhile (someone else acted, or a deadline passed).
    pub fn is_conflict(&self) -> bool {
        matches!(self, ApiError::Server { status: 409, .. })
    }
}

const TIMEOUT_MS: u32 = 30_000;
const MERCHANT: &str = "/api/v1/merchant";
const DESK: &str = "/api/v1/desk";

/// The desk's API. `signed_out` turns on when the server says the session has ended, so the
/// app shows the sign-in form again.
#[derive(Clone, Copy)]
pub struct Api {
    csrf: RwSignal<String>,
    lang: Signal<Lang>,
    pub signed_out: RwSignal<bool>,
}

fn path_part(value: &str) -> String {
    String::from(js_sys::encode_uri_component(value))
}

impl Api {
    pub fn new(lang: Signal<Lang>) -> Api {
        Api {
            csrf: RwSignal::new(String::new()),
            lang,
            signed_out: RwSignal::new(false),
        }
    }

    /// Keeps the session's CSRF token for the calls that change something.
    pub fn keep(&self, session: &DeskSession) {
        self.csrf.set(session.csrf_token.clone());
        self.signed_out.set(false);
    }

    async fn call<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        body: Option<String>,
    ) -> Result<T, ApiError> {
        let controller = web_sys::AbortController::new().map_err(|_| ApiError::Network)?;
        let abort = controller.clone();
        let _timeout = gloo_timers::callback::Timeout::new(TIMEOUT_MS, move || abort.abort());
        let signal = controller.signal();
        let mut builder = RequestBuilder::new(path)
            .method(method.clone())
            .abort_signal(Some(&signal))
            .header("Accept-Language", self.lang.get_untracked().tag());
        if method != Method::GET {
            builder = builder.header("X-CSRF-Token", &self.csrf.get_untracked());
        }
        let request = match body {
            Some(json) => builder
                .header("Content-Type", "application/json")
                .body(json),
            None => builder.build(),
        }
        .map_err(|_| ApiError::Network)?;
        let response = request.send().await.map_err(|_| ApiError::Network)?;
        let status = response.status();
        let text = response.text().await.map_err(|_| ApiError::Network)?;
        if response.ok() {
            let text = if text.is_empty() { "null" } else { &text };
            return browser_json::from_json(text).ok_or_else(|| unreadable(status));
        }
        let error = match browser_json::from_json::<ErrorBody<ErrorHead>>(&text) {
            Some(body) => ApiError::Server {
                status,
                head: body.error,
            },
            None => unreadable(status),
        };
        if status == 401
            && (error.is(ErrorCode::DeskSessionEnded) || error.is(ErrorCode::Unauthorized))
        {
            self.signed_out.set(true);
        }
        Err(error)
    }

    async fn send<B: Serialize, T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        body: &B,
    ) -> Result<T, ApiError> {
        let json = serde_json::to_string(body).map_err(|_| ApiError::Network)?;
        self.call(method, path, Some(json)).await
    }

    async fn merchant<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
    ) -> Result<T, ApiError> {
        self.call(method, &format!("{MERCHANT}{path}"), None).await
    }

    pub async fn session(&self) -> Result<DeskSession, ApiError> {
        self.call(Method::GET, &format!("{DESK}/session"), None)
            .await
    }

    pub async fn sign_in(&self, email: &str, password: &str) -> Result<DeskSession, ApiError> {
        let body = SignIn {
            email: email.to_owned(),
            password: password.to_owned(),
        };
        self.send(Method::POST, &format!("{DESK}/sign-in"), &body)
            .await
    }

    pub async fn set_up(&self, token: &str, password: &str) -> Result<DeskSession, ApiError> {
        let body = SetUp {
            token: token.to_owned(),
            password: password.to_owned(),
        };
        self.send(Method::POST, &format!("{DESK}/set-up"), &body)
            .await
    }

    pub async fn sign_out(&self) -> Result<(), ApiError> {
        self.call::<IgnoredAny>(Method::DELETE, &format!("{DESK}/session"), None)
            .await
            .map(drop)
    }

    pub async fn requests(&self, query: &str) -> Result<RequestPage<Quote>, ApiError> {
        self.merchant(Method::GET, &format!("/requests?{query}"))
            .await
    }

    pub async fn counts(&self, query: &str) -> Result<QueueCounts, ApiError> {
        self.merchant(Method::GET, &format!("/requests/counts?{query}"))
            .await
    }

    pub async fn request(&self, id: &str) -> Result<Request, ApiError> {
        self.merchant(Method::GET, &format!("/requests/{}", path_part(id)))
            .await
    }

    pub async fn order(&self, number: &str) -> Result<MerchantOrderView, ApiError> {
        self.merchant(Method::GET, &format!("/orders/{}", path_part(number)))
            .await
    }

    async fn step<B: Serialize>(
        &self,
        id: &str,
        step: &str,
        body: Option<&B>,
    ) -> Result<Request, ApiError> {
        let path = format!("{MERCHANT}/requests/{}/{step}", path_part(id));
        match body {
            Some(body) => self.send(Method::POST, &path, body).await,
            None => self.call(Method::POST, &path, None).await,
        }
    }

    pub async fn approve(&self, id: &str, approval: &Approval) -> Result<Request, ApiError> {
        self.step(id, "approve", Some(approval)).await
    }

    pub async fn reject(&self, id: &str, rejection: &Rejection) -> Result<Request, ApiError> {
        self.step(id, "reject", Some(rejection)).await
    }

    pub async fn confirm_receipt(&self, id: &str) -> Result<Request, ApiError> {
        self.step::<()>(id, "receipt", None).await
    }

    pub async fn complete_exchange(&self, id: &str) -> Result<Request, ApiError> {
        self.step::<()>(id, "exchange", None).await
    }

    pub async fn record_refund(&self, id: &str, paid: &RefundPaid) -> Result<Request, ApiError> {
        self.step(id, "refund", Some(paid)).await
    }

    pub async fn assign(&self, id: &str, staff_id: Option<String>) -> Result<Request, ApiError> {
        self.step(id, "assign", Some(&Assignment { staff_id }))
            .await
    }

    pub async fn approve_batch(&self, ids: Vec<String>) -> Result<BatchResult, ApiError> {
        let path = format!("{MERCHANT}/requests/approve");
        self.send(Method::POST, &path, &BatchApproval { ids }).await
    }

    pub async fn thread(&self, id: &str) -> Result<Thread, ApiError> {
        self.merchant(
            Method::GET,
            &format!("/requests/{}/messages", path_part(id)),
        )
        .await
    }

    pub async fn write(&self, id: &str, message: &NewMessage) -> Result<Thread, ApiError> {
        let path = format!("{MERCHANT}/requests/{}/messages", path_part(id));
        self.send(Method::POST, &path, message).await
    }

    pub async fn mark_read(&self, id: &str) -> Result<(), ApiError> {
        self.merchant::<IgnoredAny>(
            Method::POST,
            &format!("/requests/{}/messages/read", path_part(id)),
        )
        .await
        .map(drop)
    }

    pub async fn staff(&self) -> Result<Vec<StaffView>, ApiError> {
        self.merchant(Method::GET, "/staff").await
    }

    pub async fn invite(&self, new: &NewStaff) -> Result<SetUpLink, ApiError> {
        self.send(Method::POST, &format!("{MERCHANT}/staff"), new)
            .await
    }

    pub async fn change_staff(
        &self,
        id: &str,
        change: &StaffChange,
    ) -> Result<StaffView, ApiError> {
        let path = format!("{MERCHANT}/staff/{}", path_part(id));
        self.send(Method::PATCH, &path, change).await
    }

    pub async fn new_set_up_link(&self, id: &str) -> Result<SetUpLink, ApiError> {
        self.merchant(
            Method::POST,
            &format!("/staff/{}/set-up-link", path_part(id)),
        )
        .await
    }

    pub async fn templates(&self) -> Result<Vec<ReplyTemplate>, ApiError> {
        self.merchant(Method::GET, "/reply-templates").await
    }

    pub async fn save_template(
        &self,
        id: Option<&str>,
        body: &TemplateBody,
    ) -> Result<ReplyTemplate, ApiError> {
        match id {
            Some(id) => {
                let path = format!("{MERCHANT}/reply-templates/{}", path_part(id));
                self.send(Method::PUT, &path, body).await
            }
            None => {
                self.send(Method::POST, &format!("{MERCHANT}/reply-templates"), body)
                    .await
            }
        }
    }

    pub async fn delete_template(&self, id: &str) -> Result<(), ApiError> {
        self.merchant::<IgnoredAny>(
            Method::DELETE,
            &format!("/reply-templates/{}", path_part(id)),
        )
        .await
        .map(drop)
    }

    pub async fn addresses(&self) -> Result<Vec<ReturnAddress>, ApiError> {
        self.merchant(Method::GET, "/return-addresses").await
    }

    pub async fn save_address(
        &self,
        id: Option<&str>,
        body: &AddressBody,
    ) -> Result<ReturnAddress, ApiError> {
        match id {
            Some(id) => {
                let path = format!("{MERCHANT}/return-addresses/{}", path_part(id));
                self.send(Method::PUT, &path, body).await
            }
            None => {
                self.send(Method::POST, &format!("{MERCHANT}/return-addresses"), body)
                    .await
            }
        }
    }

    pub async fn delete_address(&self, id: &str) -> Result<(), ApiError> {
        self.merchant::<IgnoredAny>(
            Method::DELETE,
            &format!("/return-addresses/{}", path_part(id)),
        )
        .await
        .map(drop)
    }

    pub async fn set_settings(&self, settings: &DeskSettings) -> Result<DeskSettings, ApiError> {
        self.send(Method::PUT, &format!("{MERCHANT}/desk-settings"), settings)
            .await
    }

    pub async fn endpoints(&self) -> Result<Vec<EndpointView>, ApiError> {
        self.merchant(Method::GET, "/webhooks").await
    }

    /// The answer carries the endpoint's signing secret, this once.
    pub async fn add_endpoint(&self, new: &NewEndpoint) -> Result<EndpointSecret, ApiError> {
        self.send(Method::POST, &format!("{MERCHANT}/webhooks"), new)
            .await
    }

    pub async fn change_endpoint(
        &self,
        id: &str,
        change: &EndpointChange,
    ) -> Result<EndpointView, ApiError> {
        let path = format!("{MERCHANT}/webhooks/{}", path_part(id));
        self.send(Method::PATCH, &path, change).await
    }

    pub async fn delete_endpoint(&self, id: &str) -> Result<(), ApiError> {
        self.merchant::<IgnoredAny>(Method::DELETE, &format!("/webhooks/{}", path_part(id)))
            .await
            .map(drop)
    }

    /// A new signing secret, shown this once; the old one keeps signing for the server's
    /// default overlap.
    pub async fn rotate_secret(&self, id: &str) -> Result<EndpointSecret, ApiError> {
        let path = format!("{MERCHANT}/webhooks/{}/rotate", path_part(id));
        self.send(Method::POST, &path, &Rotation::default()).await
    }

    pub async fn deliveries(&self, id: &str) -> Result<DeliveryLog, ApiError> {
        self.merchant(
            Method::GET,
            &format!("/webhooks/{}/deliveries", path_part(id)),
        )
        .await
    }

    pub async fn redeliver(&self, id: &str, event_id: &str) -> Result<(), ApiError> {
        self.merchant::<IgnoredAny>(
            Method::POST,
            &format!(
                "/webhooks/{}/events/{}/redeliver",
                path_part(id),
                path_part(event_id)
            ),
        )
        .await
        .map(drop)
    }
}

fn unreadable(status: u16) -> ApiError {
    ApiError::Server {
        status,
        head: ErrorHead {
            code: String::new(),
            message: String::new(),
        },
    }
}
