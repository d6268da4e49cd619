//! What every API test uses: a fresh app on this run's database (see `support`) with a clock
//! the test moves, the demo-like merchant, order and policy, and named calls.

pub use std::sync::Arc;

pub use axum::body::Body;
pub use axum::http::{Request, StatusCode, header};
pub use chrono::{DateTime, TimeDelta, Utc};
pub use serde_json::{Value, json};

use axum::Router;
use http_body_util::BodyExt;
use refund_server::clock::ManualClock;
use refund_server::routes::AppState;
use refund_server::service::create_merchant;
use refund_server::store::Store;
use tower::ServiceExt;

use crate::support;

pub struct Shop {
    pub pk: String,
    pub sk: String,
}

pub struct TestApp {
    pub router: Router,
    pub state: AppState,
    pub clock: Arc<ManualClock>,
    pub shop: Shop,
    _db: support::TestDb,
}

/// The smallest PNG: eight signature bytes and a header chunk.
pub const PNG: &[u8] =
    b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0\x1f\x15\xc4\x89";

pub fn start() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-11-06T12:00:00+08:00")
        .unwrap()
        .to_utc()
}

/// A delivered order: a shirt line of 3 at 99.00, a mug at 50.00, 10.00 shipping, 357.00 paid.
pub fn order(number: &str) -> Value {
    json!({
        "number": number,
        "currency": "CNY",
        "customer_email": "li.lei@example.com",
        "status": "paid",
        "placed_at": "2026-11-01T10:00:00+08:00",
        "shipped_at": "2026-11-02T10:00:00+08:00",
        "delivered_at": "2026-11-04T15:00:00+08:00",
        "lines": [
            {"id": "L1", "sku": "SHIRT-M", "title": "Oxford shirt", "unit_price": "99.00", "quantity": 3, "category": "apparel"},
            {"id": "L2", "sku": "MUG", "title": "Mug", "unit_price": "50.00", "quantity": 1, "category": "home"}
        ],
        "shipping_fee": "10.00",
        "payments": [{"method": "alipay", "amount": "357.00"}]
    })
}

pub fn policy() -> Value {
    json!({
        "reasons": {"quality_issue": {"evidence_required": false}},
        "auto_approve": {"reasons": ["quality_issue", "not_received"], "max_recent_requests": 100},
        "amounts": {"CNY": {"auto_approve_max": "200.00", "return_shipping_fee": "8.00"}}
    })
}

/// A staff member signed in to the desk: their session cookie and CSRF token.
#[derive(Clone, Debug)]
pub struct Desk {
    pub id: String,
    pub email: String,
    pub cookie: String,
    pub csrf: String,
}

/// The password every test staff member chooses.
pub const PASSWORD: &str = "correct horse battery";

pub struct Reply {
    pub status: StatusCode,
    pub headers: axum::http::HeaderMap,
    pub body: Value,
    pub raw: Vec<u8>,
}

impl TestApp {
    pub async fn new() -> TestApp {
        TestApp::with_settings(refund_server::Settings::new("http://refunds.test")).await
    }

    /// An app with the operator's `settings`.
    pub async fn with_settings(settings: refund_server::Settings) -> TestApp {
        let db = support::fresh().await;
        let store: Arc<dyn Store> = db.open().await;
        let clock = Arc::new(ManualClock::new(start()));
        let (router, state) = refund_server::app(store.clone(), clock.clone(), settings);
        let created = create_merchant(
            store.as_ref(),
            "Demo",
            vec!["https://shop.example".to_owned()],
            start(),
        )
        .await
        .unwrap();
        let app = TestApp {
            router,
            state,
            clock,
            shop: Shop {
                pk: created.merchant.publishable_key,
                sk: created.secret_key,
            },
            _db: db,
        };
        assert_eq!(
            app.merchant("PUT", "/policy", Some(policy())).await.status,
            StatusCode::OK
        );
        assert_eq!(
            app.merchant("PUT", "/orders/A1001", Some(order("A1001")))
                .await
                .status,
            StatusCode::CREATED
        );
        app
    }

    pub async fn send(&self, request: Request<Body>) -> Reply {
        let response = self.router.clone().oneshot(request).await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let raw = response
            .into_body()
            .collect()
            .await
            .unwrap()
            .to_bytes()
            .to_vec();
        let body = serde_json::from_slice(&raw).unwrap_or(Value::Null);
        Reply {
            status,
            headers,
            body,
            raw,
        }
    }

    pub fn request(
        method: &str,
        uri: &str,
        bearer: Option<&str>,
        body: Option<Value>,
    ) -> axum::http::request::Builder {
        let mut builder = Request::builder().method(method).uri(uri);
        if let Some(token) = bearer {
            builder = builder.header(header::AUTHORIZATION, format!("Bearer {token}"));
        }
        if body.is_some() {
            builder = builder.header(header::CONTENT_TYPE, "application/json");
        }
        builder
    }

    pub async fn merchant(&self, method: &str, path: &str, body: Option<Value>) -> Reply {
        self.merchant_as(&self.shop.sk, method, path, body).await
    }

    pub async fn merchant_as(
        &self,
        key: &str,
        method: &str,
        path: &str,
        body: Option<Value>,
    ) -> Reply {
        let uri = format!("/api/v1/merchant{path}");
        let builder = TestApp::request(method, &uri, Some(key), body.clone());
        self.send(
            builder
                .body(body.map_or(Body::empty(), |b| Body::from(b.to_string())))
                .unwrap(),
        )
        .await
    }

    pub async fn shopper(
        &self,
        session: &str,
        method: &str,
        path: &str,
        body: Option<Value>,
        key: Option<&str>,
    ) -> Reply {
        let uri = format!("/api/v1/shops/{}{path}", self.shop.pk);
        let mut builder = TestApp::request(method, &uri, Some(session), body.clone());
        if let Some(key) = key {
            builder = builder.header("idempotency-key", key);
        }
        self.send(
            builder
                .body(body.map_or(Body::empty(), |b| Body::from(b.to_string())))
                .unwrap(),
        )
        .await
    }

    pub async fn open(&self, body: Value) -> Reply {
        let uri = format!("/api/v1/shops/{}/session", self.shop.pk);
        let builder = TestApp::request("POST", &uri, None, Some(body.clone()));
        self.send(builder.body(Body::from(body.to_string())).unwrap())
            .await
    }

    /// A shopper session for `number`, through a signed link.
    pub async fn session(&self, number: &str) -> String {
        let link = self
            .merchant("POST", &format!("/orders/{number}/links"), Some(json!({})))
            .await;
        assert_eq!(link.status, StatusCode::OK, "{:?}", link.body);
        let opened = self.open(json!({"token": link.body["token"]})).await;
        assert_eq!(opened.status, StatusCode::OK, "{:?}", opened.body);
        opened.body["session"].as_str().unwrap().to_owned()
    }

    /// Opens a session by looking the order up, as a client at `peer`.
    pub async fn lookup_from(&self, peer: std::net::SocketAddr, body: Value) -> Reply {
        let uri = format!("/api/v1/shops/{}/session", self.shop.pk);
        let mut request = TestApp::request("POST", &uri, None, Some(body.clone()))
            .body(Body::from(body.to_string()))
            .unwrap();
        request
            .extensions_mut()
            .insert(axum::extract::ConnectInfo(peer));
        self.send(request).await
    }

    /// Submits `body` for the session's order under `key`.
    pub async fn submit(&self, session: &str, body: Value, key: &str) -> Reply {
        self.shopper(session, "POST", "/requests", Some(body), Some(key))
            .await
    }

    /// Submits `body` and says the recorded request's id.
    pub async fn submitted(&self, session: &str, body: Value, key: &str) -> String {
        let reply = self.submit(session, body, key).await;
        assert_eq!(reply.status, StatusCode::CREATED, "{:?}", reply.body);
        reply.body["id"].as_str().unwrap().to_owned()
    }

    /// The merchant takes `action` (`approve`, `reject`, `receipt`, `refund`, `exchange`) on a
    /// request.
    pub async fn decide(&self, id: &str, action: &str, body: Option<Value>) -> Reply {
        self.merchant("POST", &format!("/requests/{id}/{action}"), body)
            .await
    }

    /// A request as the shopper sees it.
    pub async fn shopper_request(&self, session: &str, id: &str) -> Reply {
        self.shopper(session, "GET", &format!("/requests/{id}"), None, None)
            .await
    }

    /// The shopper withdraws a request.
    pub async fn cancel(&self, session: &str, id: &str) -> Reply {
        self.shopper(
            session,
            "POST",
            &format!("/requests/{id}/cancel"),
            None,
            None,
        )
        .await
    }

    /// Quotes `body` for the session's order.
    pub async fn quote(&self, session: &str, body: Value) -> Reply {
        self.shopper(session, "POST", "/quote", Some(body), None)
            .await
    }

    /// Uploads an evidence image for the session's order.
    pub async fn upload(&self, session: &str, bytes: Vec<u8>) -> Reply {
        let uri = format!("/api/v1/shops/{}/evidence", self.shop.pk);
        let request = Request::builder()
            .method("POST")
            .uri(uri)
            .header(header::AUTHORIZATION, format!("Bearer {session}"))
            .header(header::CONTENT_TYPE, "image/png")
            .body(Body::from(bytes))
            .unwrap();
        self.send(request).await
    }

    /// The merchant's view of an order.
    pub async fn order_view(&self, number: &str) -> Reply {
        self.merchant("GET", &format!("/orders/{number}"), None)
            .await
    }

    /// Applies the deadlines due at the clock's time; how many requests moved.
    pub async fn sweep(&self) -> usize {
        self.state.service.sweep_deadlines().await.unwrap()
    }

    /// A new staff member of the test merchant with `role`, set up and signed in.
    pub async fn staff(&self, role: &str) -> Desk {
        let n = self
            .state
            .service
            .store()
            .list_staff(&self.merchant_id().await)
            .await
            .unwrap()
            .len();
        let email = format!("{role}{n}@shop.example");
        let invited = self
            .merchant(
                "POST",
                "/staff",
                Some(json!({"email": email, "name": format!("{role} {n}"), "role": role})),
            )
            .await;
        assert_eq!(invited.status, StatusCode::CREATED, "{:?}", invited.body);
        let url = invited.body["url"].as_str().unwrap();
        let token = url.split("token=").nth(1).unwrap();
        let set = self
            .desk_call(
                None,
                "POST",
                "/api/v1/desk/set-up",
                Some(json!({"token": token, "password": PASSWORD})),
            )
            .await;
        assert_eq!(set.status, StatusCode::OK, "{:?}", set.body);
        Desk::from_reply(&set, &email)
    }

    /// Signs `email` in with `password` from `peer`.
    pub async fn sign_in_from(
        &self,
        peer: std::net::SocketAddr,
        email: &str,
        password: &str,
    ) -> Reply {
        let body = json!({"email": email, "password": password});
        let mut request =
            TestApp::request("POST", "/api/v1/desk/sign-in", None, Some(body.clone()))
                .body(Body::from(body.to_string()))
                .unwrap();
        request
            .extensions_mut()
            .insert(axum::extract::ConnectInfo(peer));
        self.send(request).await
    }

    /// A call with a desk session's cookie (and its CSRF token, unless `desk.csrf` is empty).
    pub async fn desk_call(
        &self,
        desk: Option<&Desk>,
        method: &str,
        uri: &str,
        body: Option<Value>,
    ) -> Reply {
        let mut builder = TestApp::request(method, uri, None, body.clone());
        if let Some(desk) = desk {
            builder = builder.header(header::COOKIE, &desk.cookie);
            if !desk.csrf.is_empty() {
                builder = builder.header("x-csrf-token", &desk.csrf);
            }
        }
        self.send(
            builder
                .body(body.map_or(Body::empty(), |b| Body::from(b.to_string())))
                .unwrap(),
        )
        .await
    }

    /// A merchant API call as a signed-in staff member.
    pub async fn desk(&self, desk: &Desk, method: &str, path: &str, body: Option<Value>) -> Reply {
        self.desk_call(Some(desk), method, &format!("/api/v1/merchant{path}"), body)
            .await
    }

    /// The test merchant's id.
    pub async fn merchant_id(&self) -> String {
        self.state
            .service
            .merchant_by_publishable_key(&self.shop.pk)
            .await
            .unwrap()
            .unwrap()
            .id
    }

    /// Pushes another delivered order like `order`, and opens a session for it.
    pub async fn another_order(&self, number: &str, email: &str) -> String {
        let mut body = order(number);
        body["customer_email"] = json!(email);
        let pushed = self
            .merchant("PUT", &format!("/orders/{number}"), Some(body))
            .await;
        assert_eq!(pushed.status, StatusCode::CREATED, "{:?}", pushed.body);
        self.session(number).await
    }

    /// Another merchant, with its secret key.
    pub async fn other_merchant(&self, name: &str) -> refund_server::service::CreatedMerchant {
        create_merchant(self.state.service.store(), name, vec![], start())
            .await
            .unwrap()
    }
}

pub fn request_body(kind: &str, reason: &str, lines: Value, expected_total: &str) -> Value {
    json!({
        "kind": kind, "reason": reason, "lines": lines, "goods_intact": true,
        "expected_total": expected_total
    })
}

pub fn one_shirt(expected_total: &str) -> Value {
    request_body(
        "return_and_refund",
        "quality_issue",
        json!([{"line_id": "L1", "quantity": 1}]),
        expected_total,
    )
}

/// The mug (L2) back for a change of mind: 50.00 less the 8.00 return fee.
pub fn one_mug_changed_mind() -> Value {
    request_body(
        "return_and_refund",
        "changed_mind",
        json!([{"line_id": "L2", "quantity": 1}]),
        "42.00",
    )
}

impl Desk {
    /// The session a sign-in or set-up answered with.
    pub fn from_reply(reply: &Reply, email: &str) -> Desk {
        let set_cookie = reply.headers[header::SET_COOKIE].to_str().unwrap();
        Desk {
            id: reply.body["staff"]["id"].as_str().unwrap().to_owned(),
            email: email.to_owned(),
            cookie: set_cookie.split(';').next().unwrap().to_owned(),
            csrf: reply.body["csrf_token"].as_str().unwrap().to_owned(),
        }
    }
}

pub fn assert_error(reply: &Reply, status: StatusCode, code: &str) {
    assert_eq!(reply.status, status, "{:?}", reply.body);
    assert_eq!(reply.body["error"]["code"], code, "{:?}", reply.body);
    assert!(
        reply.body["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty())
    );
}

/// A refused submission: 422 `request_ineligible`, the first line's first code being `code`.
pub fn assert_line_refused(reply: &Reply, code: &str) {
    assert_error(
        reply,
        StatusCode::UNPROCESSABLE_ENTITY,
        "request_ineligible",
    );
    assert_eq!(
        reply.body["error"]["quote"]["lines"][0]["codes"][0]["code"], code,
        "{:?}",
        reply.body
    );
}
