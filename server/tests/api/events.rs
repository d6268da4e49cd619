//! Events out: every change writes its event in its own transaction, a receiver on loopback
//! gets each one in order with a signature an independent implementation accepts, failures
//! are retried on schedule, 410 turns an endpoint off, and the shopper's e-mails arrive in
//! their language with a link that opens their order.

use std::time::Duration;

use refund_server::deliver::http::Sender;
use refund_server::deliver::mail::Mailer;
use refund_server::service::dispatch::{Dispatcher, Round};

use crate::helpers::*;
use crate::support::smtp::SmtpReceiver;
use crate::support::webhooks::{Receiver, python_verifies};

async fn app() -> TestApp {
    let mut settings = refund_server::Settings::new("http://refunds.test");
    settings.allow_private_webhooks = true;
    TestApp::with_settings(settings).await
}

fn dispatcher(app: &TestApp, mailer: Mailer) -> Dispatcher {
    Dispatcher::new(
        app.state.service.clone(),
        Sender::new(true),
        Arc::new(mailer),
    )
}

/// Runs rounds until one finds nothing to do; what they did together.
async fn until_idle(dispatcher: &Dispatcher) -> Round {
    let mut total = Round::default();
    loop {
        let round = dispatcher.round().await.unwrap();
        if !round.worked() {
            return total;
        }
        total.delivered += round.delivered;
        total.retried += round.retried;
        total.failed += round.failed;
        total.emails += round.emails;
    }
}

fn log_only() -> Mailer {
    Mailer::from_settings(None, "Refunds <no-reply@refunds.test>").unwrap()
}

/// Subscribes `url` to `types` (all when empty); the endpoint's id and secret.
async fn subscribe(app: &TestApp, url: &str, types: Value) -> (String, String) {
    let created = app
        .merchant(
            "POST",
            "/webhooks",
            Some(json!({"url": url, "types": types})),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{:?}", created.body);
    (
        created.body["endpoint"]["id"].as_str().unwrap().to_owned(),
        created.body["secret"].as_str().unwrap().to_owned(),
    )
}

/// A page of the feed once it holds `count` events. On PostgreSQL an event shows once every
/// transaction older than it has ended, in any database of the cluster (other tests run
/// beside this one), so a read right after a commit may still miss it for a moment.
async fn feed(app: &TestApp, query: &str, count: usize) -> Value {
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let page = app.merchant("GET", &format!("/events{query}"), None).await;
        assert_eq!(page.status, StatusCode::OK, "{:?}", page.body);
        if page.body["events"].as_array().map_or(0, Vec::len) >= count
            || std::time::Instant::now() > deadline
        {
            return page.body;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn types(page: &Value) -> Vec<String> {
    page["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["type"].as_str().unwrap().to_owned())
        .collect()
}

/// A change-of-mind return of the mug that waits for the merchant, taken to its payout.
async fn return_all_the_way(app: &TestApp) -> String {
    let session = app.session("A1001").await;
    let id = app.submitted(&session, one_mug_changed_mind(), "mug").await;
    assert_eq!(
        app.decide(&id, "approve", None).await.status,
        StatusCode::OK
    );
    let again = app.decide(&id, "approve", None).await;
    assert_error(&again, StatusCode::CONFLICT, "transition_not_allowed");
    let wrote = app
        .merchant(
            "POST",
            &format!("/requests/{id}/messages"),
            Some(json!({"body": "请用顺丰寄回"})),
        )
        .await;
    assert_eq!(wrote.status, StatusCode::CREATED, "{:?}", wrote.body);
    let shipped = app
        .shopper(
            &session,
            "POST",
            &format!("/requests/{id}/shipment"),
            Some(json!({"carrier": "SF Express", "tracking_number": "SF1"})),
            None,
        )
        .await;
    assert_eq!(shipped.status, StatusCode::OK, "{:?}", shipped.body);
    assert_eq!(
        app.decide(&id, "receipt", None).await.status,
        StatusCode::OK
    );
    let refunded = app
        .decide(
            &id,
            "refund",
            Some(json!({"payouts": [{"payment": 0, "amount": "42.00"}]})),
        )
        .await;
    assert_eq!(refunded.status, StatusCode::OK, "{:?}", refunded.body);
    id
}

const THE_RETURN: [&str; 6] = [
    "request.submitted",
    "request.approved",
    "message.created",
    "request.return_shipped",
    "request.received",
    "request.refunded",
];

#[tokio::test]
async fn each_change_writes_one_event_and_a_refused_change_writes_none() {
    let app = app().await;
    let id = return_all_the_way(&app).await;
    let all = feed(&app, "", THE_RETURN.len()).await;
    assert_eq!(types(&all), THE_RETURN);
    let events = all["events"].as_array().unwrap();
    assert!(events.iter().all(|e| e["data"]["request"]["id"] == id));
    assert_eq!(events[2]["data"]["message"]["body"], "请用顺丰寄回");
    assert_eq!(events[5]["data"]["request"]["payout"]["total"], "42.00");
    assert_eq!(events[1]["data"]["by"]["kind"], "api_key");

    // A page at a time, from the cursor; nothing new is an empty page at the same cursor.
    let first = feed(&app, "?limit=2", 2).await;
    assert_eq!(types(&first), THE_RETURN[..2]);
    let rest = feed(
        &app,
        &format!("?after={}", first["next"].as_str().unwrap()),
        4,
    )
    .await;
    assert_eq!(types(&rest), THE_RETURN[2..]);
    let none = feed(
        &app,
        &format!("?after={}", rest["next"].as_str().unwrap()),
        0,
    )
    .await;
    assert_eq!(types(&none), Vec::<String>::new());
    assert_eq!(none["next"], rest["next"]);
    let bad = app.merchant("GET", "/events?after=abc", None).await;
    assert_error(&bad, StatusCode::BAD_REQUEST, "invalid_cursor");
}

#[tokio::test]
async fn a_submission_a_rule_approves_raises_both_events_and_a_deadline_raises_its_own() {
    let app = app().await;
    let session = app.session("A1001").await;
    app.submitted(&session, one_shirt("99.00"), "shirt").await;
    let mug = app.submitted(&session, one_mug_changed_mind(), "mug").await;
    assert_eq!(
        types(&feed(&app, "", 3).await),
        ["request.submitted", "request.approved", "request.submitted"]
    );
    app.clock.advance(TimeDelta::days(3));
    assert_eq!(app.sweep().await, 1, "the mug's review deadline passes");
    let all = feed(&app, "", 4).await;
    let last = all["events"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["type"], "request.approved");
    assert_eq!(last["data"]["request"]["id"], mug);
    assert!(last["data"].get("by").is_none(), "{last}");
}

#[tokio::test]
async fn a_receiver_gets_every_event_in_order_signed_as_standard_webhooks_says() {
    let app = app().await;
    let receiver = Receiver::start().await;
    let (_, secret) = subscribe(&app, &receiver.url, json!([])).await;
    let only_refunds = Receiver::start().await;
    subscribe(&app, &only_refunds.url, json!(["request.refunded"])).await;
    return_all_the_way(&app).await;
    let dispatcher = dispatcher(&app, log_only());
    let delivered = until_idle(&dispatcher).await.delivered;
    assert_eq!(delivered, THE_RETURN.len() + 1);

    let got = receiver.received();
    let kinds: Vec<String> = got
        .iter()
        .map(|d| d.json()["type"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(kinds, THE_RETURN);
    for delivery in &got {
        assert!(delivery.id.starts_with("evt_"));
        assert_eq!(delivery.json()["id"], delivery.id.as_str());
        assert_eq!(delivery.timestamp, app.state.service.now().timestamp());
        assert!(python_verifies(&secret, delivery), "{delivery:?}");
        assert!(!python_verifies(
            "whsec_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
            delivery
        ));
    }
    assert_eq!(only_refunds.received().len(), 1);
    // Delivered means done: the next round sends nothing.
    assert_eq!(dispatcher.round().await.unwrap(), Round::default());
}

#[tokio::test]
async fn failed_deliveries_are_retried_on_schedule_and_later_events_of_the_request_wait() {
    let app = app().await;
    let receiver = Receiver::start().await;
    let (endpoint, _) = subscribe(&app, &receiver.url, json!([])).await;
    receiver.answer_next(&[500, 500]);
    let session = app.session("A1001").await;
    let id = app.submitted(&session, one_mug_changed_mind(), "mug").await;
    app.decide(&id, "approve", None).await;
    let dispatcher = dispatcher(&app, log_only());

    let first = dispatcher.round().await.unwrap();
    assert_eq!((first.delivered, first.retried), (0, 1));
    assert_eq!(
        receiver.received().len(),
        1,
        "the approval waits for the submission"
    );
    assert_eq!(
        dispatcher.round().await.unwrap(),
        Round::default(),
        "not due yet"
    );

    app.clock.advance(TimeDelta::seconds(7));
    let second = dispatcher.round().await.unwrap();
    assert_eq!(second.retried, 1);
    app.clock.advance(TimeDelta::minutes(7));
    let third = dispatcher.round().await.unwrap();
    assert_eq!(third.delivered, 1);
    let fourth = dispatcher.round().await.unwrap();
    assert_eq!(fourth.delivered, 1, "then the approval");

    let kinds: Vec<String> = receiver
        .received()
        .iter()
        .map(|d| d.json()["type"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        kinds,
        [
            "request.submitted",
            "request.submitted",
            "request.submitted",
            "request.approved"
        ]
    );
    let ids: Vec<String> = receiver.received().iter().map(|d| d.id.clone()).collect();
    assert_eq!(ids[0], ids[2], "a retry carries the same webhook-id");

    let log = app
        .merchant("GET", &format!("/webhooks/{endpoint}/deliveries"), None)
        .await;
    assert_eq!(log.status, StatusCode::OK, "{:?}", log.body);
    let submitted = &log.body["deliveries"][1];
    assert_eq!(submitted["state"], "delivered");
    let statuses: Vec<&Value> = submitted["attempts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| &a["status"])
        .collect();
    assert_eq!(statuses, [&json!(500), &json!(500), &json!(200)]);
    let endpoints = app.merchant("GET", "/webhooks", None).await;
    assert!(
        endpoints.body[0].get("failing_since").is_none(),
        "healthy again"
    );
}

#[tokio::test]
async fn a_410_turns_the_endpoint_off_and_the_merchant_is_told() {
    let app = app().await;
    let receiver = Receiver::start().await;
    let (endpoint, _) = subscribe(&app, &receiver.url, json!([])).await;
    receiver.answer_next(&[410]);
    let session = app.session("A1001").await;
    app.submitted(&session, one_mug_changed_mind(), "mug").await;
    let round = dispatcher(&app, log_only()).round().await.unwrap();
    assert_eq!(round.failed, 1);
    let listed = app.merchant("GET", "/webhooks", None).await;
    assert_eq!(listed.body[0]["enabled"], false);
    assert_eq!(listed.body[0]["disabled_reason"], "gone");
    let told = feed(&app, "", 2).await;
    let last = told["events"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["type"], "endpoint.disabled");
    assert_eq!(last["data"]["endpoint"]["id"], endpoint.as_str());

    // Nothing goes to an endpoint that is off, until it is turned back on and redelivers.
    let id = app.merchant("GET", "/requests", None).await.body["requests"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    app.decide(&id, "approve", None).await;
    let dispatcher = dispatcher(&app, log_only());
    let off = dispatcher.round().await.unwrap();
    assert_eq!((off.delivered, off.retried, off.failed), (0, 0, 0));
    let on = app
        .merchant(
            "PATCH",
            &format!("/webhooks/{endpoint}"),
            Some(json!({"enabled": true})),
        )
        .await;
    assert_eq!(on.body["enabled"], true, "{:?}", on.body);
    let submitted = told["events"][0]["id"].as_str().unwrap();
    let again = app
        .merchant(
            "POST",
            &format!("/webhooks/{endpoint}/events/{submitted}/redeliver"),
            None,
        )
        .await;
    assert_eq!(again.status, StatusCode::NO_CONTENT, "{:?}", again.body);
    dispatcher.round().await.unwrap();
    let got = receiver.received();
    assert_eq!(got.len(), 2);
    assert_eq!(got[1].id, submitted);
    let unknown = app
        .merchant(
            "POST",
            &format!("/webhooks/{endpoint}/events/evt_nope/redeliver"),
            None,
        )
        .await;
    assert_error(&unknown, StatusCode::NOT_FOUND, "not_found");
}

#[tokio::test]
async fn a_rotated_secret_signs_beside_the_old_one_during_the_overlap() {
    let app = app().await;
    let receiver = Receiver::start().await;
    let (endpoint, old) = subscribe(&app, &receiver.url, json!([])).await;
    let rotated = app
        .merchant(
            "POST",
            &format!("/webhooks/{endpoint}/rotate"),
            Some(json!({"overlap_hours": 1})),
        )
        .await;
    assert_eq!(rotated.status, StatusCode::OK, "{:?}", rotated.body);
    let new = rotated.body["secret"].as_str().unwrap().to_owned();
    assert_ne!(new, old);
    let session = app.session("A1001").await;
    app.submitted(&session, one_mug_changed_mind(), "mug").await;
    let dispatcher = dispatcher(&app, log_only());
    dispatcher.round().await.unwrap();
    let during = &receiver.received()[0];
    assert!(python_verifies(&new, during) && python_verifies(&old, during));

    app.clock.advance(TimeDelta::hours(2));
    let id = app.merchant("GET", "/requests", None).await.body["requests"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    app.decide(&id, "approve", None).await;
    until_idle(&dispatcher).await;
    let after = &receiver.received()[1];
    assert!(python_verifies(&new, after) && !python_verifies(&old, after));
    let listed = app.merchant("GET", "/webhooks", None).await;
    assert!(
        !listed.raw.windows(6).any(|w| w == b"whsec_"),
        "secrets are shown once"
    );
}

#[tokio::test]
async fn endpoints_are_checked_and_kept_by_owners_only() {
    let app = TestApp::new().await;
    for url in [
        "ftp://example.com/hook",
        "https://user:pass@example.com/hook",
        "not a url",
        "http://127.0.0.1:9/hook",
        "http://10.1.2.3/hook",
        "http://[::1]/hook",
    ] {
        let refused = app
            .merchant("POST", "/webhooks", Some(json!({"url": url})))
            .await;
        assert_error(
            &refused,
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_webhook_url",
        );
    }
    for n in 0..10 {
        let ok = app
            .merchant(
                "POST",
                "/webhooks",
                Some(json!({"url": format!("https://hooks.example.com/{n}")})),
            )
            .await;
        assert_eq!(ok.status, StatusCode::CREATED, "{:?}", ok.body);
    }
    let eleventh = app
        .merchant(
            "POST",
            "/webhooks",
            Some(json!({"url": "https://hooks.example.com/x"})),
        )
        .await;
    assert_error(
        &eleventh,
        StatusCode::UNPROCESSABLE_ENTITY,
        "too_many_endpoints",
    );
    let agent = app.staff("agent").await;
    let denied = app.desk(&agent, "GET", "/webhooks", None).await;
    assert_error(&denied, StatusCode::FORBIDDEN, "forbidden");
    let feed = app.desk(&agent, "GET", "/events", None).await;
    assert_eq!(feed.status, StatusCode::OK, "agents may read the feed");
}

#[tokio::test]
async fn the_shopper_gets_the_approval_in_their_language_with_a_link_that_opens_their_order() {
    let app = app().await;
    let smtp = SmtpReceiver::start().await;
    let mailer = Mailer::from_settings(Some(&smtp.url), "Refunds <no-reply@refunds.test>").unwrap();
    let session = app.session("A1001").await;
    let uri = format!("/api/v1/shops/{}/requests", app.shop.pk);
    let body = one_mug_changed_mind();
    let sent = app
        .send(
            TestApp::request("POST", &uri, Some(&session), Some(body.clone()))
                .header("idempotency-key", "en")
                .header("accept-language", "en")
                .body(Body::from(body.to_string()))
                .unwrap(),
        )
        .await;
    assert_eq!(sent.status, StatusCode::CREATED, "{:?}", sent.body);
    let id = sent.body["id"].as_str().unwrap();
    let number = sent.body["number"].as_str().unwrap().to_owned();
    app.decide(id, "approve", None).await;
    let round = dispatcher(&app, mailer).round().await.unwrap();
    assert_eq!(round.emails, 2);
    let mails = smtp.wait_for(2, Duration::from_secs(10)).await;
    assert_eq!(mails[1].to, ["li.lei@example.com"]);
    let subject = mails[1].subject();
    assert!(
        subject.contains(&number) && subject.contains("approved"),
        "{subject}"
    );
    let text = mails[1].text();
    assert!(text.contains("send the goods back"), "{text}");
    let link = text
        .split_whitespace()
        .find(|w| w.starts_with("http://refunds.test/refund?"))
        .unwrap_or_else(|| panic!("a link in {text}"));
    let token = link
        .split(['?', '&'])
        .find_map(|p| p.strip_prefix("token="))
        .unwrap();
    let opened = app.open(json!({"token": token})).await;
    assert_eq!(
        opened.status,
        StatusCode::OK,
        "the link opens the order: {:?}",
        opened.body
    );
    assert!(link.contains("lang=en"));
}

#[tokio::test]
async fn a_relay_that_answers_451_gets_the_email_again_later() {
    let app = app().await;
    let smtp = SmtpReceiver::start().await;
    smtp.fail_next(1, 451);
    let mailer = Mailer::from_settings(Some(&smtp.url), "Refunds <no-reply@refunds.test>").unwrap();
    let session = app.session("A1001").await;
    app.submitted(&session, one_mug_changed_mind(), "mug").await;
    let dispatcher = dispatcher(&app, mailer);
    dispatcher.round().await.unwrap();
    assert!(smtp.received().is_empty());
    app.clock.advance(TimeDelta::seconds(7));
    dispatcher.round().await.unwrap();
    let mails = smtp.wait_for(1, Duration::from_secs(10)).await;
    assert!(
        mails[0].subject().contains("received"),
        "{}",
        mails[0].subject()
    );
}
