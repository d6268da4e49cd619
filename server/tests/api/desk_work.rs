//! What the desk does to requests: talk to the shopper, approve with a return address, reject
//! with a template, pay out (with a deduction), keep payout deadlines, approve in batches.

use crate::helpers::*;

async fn template(app: &TestApp) -> String {
    let added = app
        .merchant(
            "POST",
            "/reply-templates",
            Some(json!({"title": "Used", "text": {"zh-CN": "商品已使用。", "en": "The item was used."}})),
        )
        .await;
    assert_eq!(added.status, StatusCode::CREATED, "{:?}", added.body);
    added.body["id"].as_str().unwrap().to_owned()
}

async fn address(app: &TestApp) -> String {
    let added = app
        .merchant(
            "POST",
            "/return-addresses",
            Some(
                json!({"label": "Hangzhou", "recipient": "Returns desk", "phone": "0571-1",
                        "address": "1 West Road, Hangzhou"}),
            ),
        )
        .await;
    assert_eq!(added.status, StatusCode::CREATED, "{:?}", added.body);
    added.body["id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn the_desk_and_the_shopper_talk_in_a_thread_with_photos_and_unread_counts() {
    let app = TestApp::new().await;
    let session = app.session("A1001").await;
    let id = app.submitted(&session, one_mug_changed_mind(), "a").await;
    let agent = app.staff("agent").await;
    let asked = app
        .desk(
            &agent,
            "POST",
            &format!("/requests/{id}/messages"),
            Some(json!({"body": "请补充一张裂纹的照片 <b>", "asks_for_photos": true})),
        )
        .await;
    assert_eq!(asked.status, StatusCode::CREATED, "{:?}", asked.body);
    assert_eq!(asked.body["messages"][0]["by"]["id"], agent.id.as_str());

    let seen = app.shopper_request(&session, &id).await;
    assert_eq!(seen.body["unread"], 1);
    let thread = app
        .shopper(
            &session,
            "GET",
            &format!("/requests/{id}/messages"),
            None,
            None,
        )
        .await;
    let message = &thread.body["messages"][0];
    assert_eq!(message["body"], "请补充一张裂纹的照片 <b>", "kept as text");
    assert_eq!(message["asks_for_photos"], true);
    assert!(
        message.get("by").is_none(),
        "the shopper is not told which agent wrote"
    );
    let read = app
        .shopper(
            &session,
            "POST",
            &format!("/requests/{id}/messages/read"),
            None,
            None,
        )
        .await;
    assert_eq!(read.status, StatusCode::NO_CONTENT);
    assert_eq!(app.shopper_request(&session, &id).await.body["unread"], 0);

    let photo = app.upload(&session, PNG.to_vec()).await.body["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let answered = app
        .shopper(
            &session,
            "POST",
            &format!("/requests/{id}/messages"),
            Some(json!({"body": "好的", "photos": [photo]})),
            None,
        )
        .await;
    assert_eq!(answered.status, StatusCode::CREATED, "{:?}", answered.body);
    let desk_view = app
        .desk(&agent, "GET", &format!("/requests/{id}"), None)
        .await;
    assert_eq!(desk_view.body["unread"], 1);
    let image = app
        .desk(&agent, "GET", &format!("/evidence/{photo}"), None)
        .await;
    assert_eq!(image.status, StatusCode::OK);
    let actions: Vec<_> = desk_view.body["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        actions,
        vec!["submit", "message", "message"],
        "messages are audited"
    );
    // A photo belongs to one message: it cannot be attached again.
    let again = app
        .shopper(
            &session,
            "POST",
            &format!("/requests/{id}/messages"),
            Some(json!({"body": "again", "photos": [photo]})),
            None,
        )
        .await;
    assert_error(&again, StatusCode::UNPROCESSABLE_ENTITY, "unknown_evidence");
}

#[tokio::test]
async fn messages_are_length_limited_and_each_side_keeps_to_its_part() {
    let app = TestApp::new().await;
    let session = app.session("A1001").await;
    let id = app.submitted(&session, one_mug_changed_mind(), "a").await;
    let path = format!("/requests/{id}/messages");
    let long = "字".repeat(2001);
    for body in [json!({"body": long}), json!({"body": "   "})] {
        let refused = app.shopper(&session, "POST", &path, Some(body), None).await;
        assert_error(&refused, StatusCode::UNPROCESSABLE_ENTITY, "text_length");
    }
    let asks = app
        .shopper(
            &session,
            "POST",
            &path,
            Some(json!({"body": "x", "asks_for_photos": true})),
            None,
        )
        .await;
    assert_error(&asks, StatusCode::UNPROCESSABLE_ENTITY, "not_your_side");
    let photos = app
        .merchant(
            "POST",
            &path,
            Some(json!({"body": "x", "photos": ["ev_1"]})),
        )
        .await;
    assert_error(&photos, StatusCode::UNPROCESSABLE_ENTITY, "not_your_side");
}

#[tokio::test]
async fn a_shopper_cannot_read_or_write_the_thread_of_another_orders_request() {
    let app = TestApp::new().await;
    let session = app.session("A1001").await;
    let id = app.submitted(&session, one_mug_changed_mind(), "a").await;
    let stranger = app.another_order("A1002", "someone@example.com").await;
    let path = format!("/requests/{id}/messages");
    assert_error(
        &app.shopper(&stranger, "GET", &path, None, None).await,
        StatusCode::NOT_FOUND,
        "not_found",
    );
    let wrote = app
        .shopper(&stranger, "POST", &path, Some(json!({"body": "hi"})), None)
        .await;
    assert_error(&wrote, StatusCode::NOT_FOUND, "not_found");
}

#[tokio::test]
async fn approving_a_return_with_an_address_shows_the_shopper_where_to_send_it() {
    let app = TestApp::new().await;
    let session = app.session("A1001").await;
    let id = app.submitted(&session, one_mug_changed_mind(), "a").await;
    let address = address(&app).await;
    let approved = app
        .decide(
            &id,
            "approve",
            Some(json!({"return_address_id": address, "instructions": "请勿到付"})),
        )
        .await;
    assert_eq!(approved.status, StatusCode::OK, "{:?}", approved.body);
    let shown = app.shopper_request(&session, &id).await;
    assert_eq!(
        shown.body["return_to"],
        json!({"recipient": "Returns desk", "phone": "0571-1",
               "address": "1 West Road, Hangzhou", "instructions": "请勿到付"})
    );
    // Editing the address book later does not move a parcel already on its way.
    app.merchant("DELETE", &format!("/return-addresses/{address}"), None)
        .await;
    let still = app.shopper_request(&session, &id).await;
    assert_eq!(still.body["return_to"]["address"], "1 West Road, Hangzhou");
}

#[tokio::test]
async fn an_unknown_address_or_instructions_without_one_are_refused() {
    let app = TestApp::new().await;
    let session = app.session("A1001").await;
    let id = app.submitted(&session, one_mug_changed_mind(), "a").await;
    for body in [
        json!({"return_address_id": "addr_nope"}),
        json!({"instructions": "x"}),
    ] {
        let refused = app.decide(&id, "approve", Some(body)).await;
        assert_error(
            &refused,
            StatusCode::UNPROCESSABLE_ENTITY,
            "unknown_return_address",
        );
    }
}

#[tokio::test]
async fn a_rejection_from_a_template_reaches_the_shopper_in_both_languages() {
    let app = TestApp::new().await;
    let session = app.session("A1001").await;
    let id = app.submitted(&session, one_mug_changed_mind(), "a").await;
    let template = template(&app).await;
    let both = app
        .decide(
            &id,
            "reject",
            Some(json!({"reason": "x", "template_id": template})),
        )
        .await;
    assert_error(
        &both,
        StatusCode::UNPROCESSABLE_ENTITY,
        "one_rejection_reason",
    );
    let unknown = app
        .decide(&id, "reject", Some(json!({"template_id": "tpl_nope"})))
        .await;
    assert_error(
        &unknown,
        StatusCode::UNPROCESSABLE_ENTITY,
        "unknown_template",
    );
    let rejected = app
        .decide(&id, "reject", Some(json!({"template_id": template})))
        .await;
    assert_eq!(rejected.status, StatusCode::OK, "{:?}", rejected.body);
    let shown = app.shopper_request(&session, &id).await;
    assert_eq!(shown.body["reject_reason"], "商品已使用。");
    assert_eq!(
        shown.body["reject_reason_text"],
        json!({"zh-CN": "商品已使用。", "en": "The item was used."})
    );
}

#[tokio::test]
async fn owners_keep_templates_and_addresses_that_are_checked() {
    let app = TestApp::new().await;
    let id = template(&app).await;
    let changed = app
        .merchant(
            "PUT",
            &format!("/reply-templates/{id}"),
            Some(json!({"title": "Worn", "text": {"zh-CN": "有磨损。", "en": "Worn."}})),
        )
        .await;
    assert_eq!(changed.status, StatusCode::OK);
    let listed = app.merchant("GET", "/reply-templates", None).await;
    assert_eq!(listed.body[0]["title"], "Worn");
    let empty = app
        .merchant(
            "POST",
            "/reply-templates",
            Some(json!({"title": "t", "text": {"zh-CN": "", "en": "x"}})),
        )
        .await;
    assert_error(&empty, StatusCode::UNPROCESSABLE_ENTITY, "text_length");
    assert_eq!(empty.body["error"]["field"], "text.zh-CN");
    assert_eq!(
        app.merchant("DELETE", &format!("/reply-templates/{id}"), None)
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    assert_error(
        &app.merchant("DELETE", &format!("/reply-templates/{id}"), None)
            .await,
        StatusCode::NOT_FOUND,
        "not_found",
    );
}

/// A refund-only request for the shirt, approved by the merchant; its id.
async fn approved_refund(app: &TestApp, session: &str) -> String {
    let body = request_body(
        "refund_only",
        "changed_mind",
        json!([{"line_id": "L1", "quantity": 1}]),
        "99.00",
    );
    let submitted = app.submit(session, body, "refund").await;
    assert_eq!(
        submitted.status,
        StatusCode::CREATED,
        "{:?}",
        submitted.body
    );
    let id = submitted.body["id"].as_str().unwrap().to_owned();
    if submitted.body["state"] == "submitted" {
        assert_eq!(
            app.decide(&id, "approve", None).await.status,
            StatusCode::OK
        );
    }
    id
}

#[tokio::test]
async fn a_payout_may_keep_back_a_stated_deduction_but_never_pay_more_than_quoted() {
    let app = TestApp::new().await;
    let session = app.session("A1001").await;
    let id = approved_refund(&app, &session).await;
    let pay = |body: Value| app.decide(&id, "refund", Some(body));
    let more = pay(json!({"payouts": [{"payment": 0, "amount": "99.01"}]})).await;
    assert_error(&more, StatusCode::UNPROCESSABLE_ENTITY, "payout_mismatch");
    let unexplained = pay(json!({"payouts": [{"payment": 0, "amount": "80.00"}]})).await;
    assert_error(
        &unexplained,
        StatusCode::UNPROCESSABLE_ENTITY,
        "payout_mismatch",
    );
    let wrong_sum = pay(json!({"payouts": [{"payment": 0, "amount": "80.00"}],
                               "deduction": {"amount": "10.00", "reason": "划痕"}}))
    .await;
    assert_error(
        &wrong_sum,
        StatusCode::UNPROCESSABLE_ENTITY,
        "payout_mismatch",
    );
    let max = "79228162514264337593543950335";
    let overflowing =
        pay(json!({"payouts": [{"payment": 0, "amount": max}, {"payment": 1, "amount": max}]}))
            .await;
    assert_error(
        &overflowing,
        StatusCode::UNPROCESSABLE_ENTITY,
        "payout_mismatch",
    );
    assert_eq!(
        overflowing.body["error"]["expected"],
        json!([{"payment": 0, "amount": "99.00"}]),
        "the split that would match"
    );
    let elsewhere = app
        .decide(
            "rq_no_such_request",
            "refund",
            Some(
                json!({"payouts": [{"payment": 0, "amount": max}, {"payment": 1, "amount": max}]}),
            ),
        )
        .await;
    assert_error(&elsewhere, StatusCode::NOT_FOUND, "not_found");
    let everything = pay(json!({"payouts": [{"payment": 0, "amount": "0.00"}],
                                "deduction": {"amount": "99.00", "reason": "全损"}}))
    .await;
    assert_error(
        &everything,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_deduction",
    );
    let paid = pay(json!({"payouts": [{"payment": 0, "amount": "79.00"}],
                          "deduction": {"amount": "20.00", "reason": "退回商品有划痕"},
                          "reference": "ALI-2026-0001"}))
    .await;
    assert_eq!(paid.status, StatusCode::OK, "{:?}", paid.body);
    let shown = app.shopper_request(&session, &id).await;
    assert_eq!(shown.body["state"], "refunded");
    assert_eq!(
        shown.body["payout"],
        json!({"payouts": [{"payment": 0, "amount": "79.00"}], "total": "79.00",
               "deduction": {"amount": "20.00", "reason": "退回商品有划痕"},
               "reference": "ALI-2026-0001"})
    );
}

#[tokio::test]
async fn a_late_payout_is_overdue_in_the_queue_and_moves_nothing() {
    let app = TestApp::new().await;
    let session = app.session("A1001").await;
    let id = approved_refund(&app, &session).await;
    let waiting = app.merchant("GET", &format!("/requests/{id}"), None).await;
    assert_eq!(waiting.body["deadline"]["kind"], "payout");
    assert_eq!(waiting.body["deadline"]["overdue"], false);
    let to_finish = app.merchant("GET", "/requests?tab=to_finish", None).await;
    assert_eq!(to_finish.body["requests"][0]["id"], id.as_str());

    app.clock
        .advance(TimeDelta::days(7) + TimeDelta::seconds(1));
    assert_eq!(app.sweep().await, 0, "the server moves no money");
    let late = app.merchant("GET", &format!("/requests/{id}"), None).await;
    assert_eq!(late.body["state"], "approved");
    assert_eq!(late.body["deadline"]["overdue"], true);
    assert_eq!(late.body["deadline"]["seconds_left"], 0);
    let counts = app.merchant("GET", "/requests/counts", None).await;
    assert_eq!(counts.body["overdue"], 1);
}

#[tokio::test]
async fn batch_approval_approves_each_waiting_request_and_says_why_not_for_the_others() {
    let app = TestApp::new().await;
    let mut waiting = Vec::new();
    for n in 0..3 {
        let session = app
            .another_order(&format!("B{n}"), &format!("b{n}@example.com"))
            .await;
        waiting.push(
            app.submitted(&session, one_mug_changed_mind(), &format!("k{n}"))
                .await,
        );
    }
    let session = app.session("A1001").await;
    let auto = app.submitted(&session, one_shirt("99.00"), "auto").await;
    let agent = app.staff("agent").await;
    let mut ids = waiting.clone();
    ids.push(auto.clone());
    ids.push("rq_nope".to_owned());
    let batch = app
        .desk(
            &agent,
            "POST",
            "/requests/approve",
            Some(json!({"ids": ids})),
        )
        .await;
    assert_eq!(batch.status, StatusCode::OK, "{:?}", batch.body);
    let results = batch.body["results"].as_array().unwrap();
    for (result, id) in results.iter().zip(&waiting) {
        assert_eq!(result, &json!({"id": id, "state": "approved"}));
    }
    assert_eq!(results[3]["state"], "approved", "already approved by rule");
    assert_eq!(results[3]["error"]["code"], "transition_not_allowed");
    assert_eq!(results[4]["error"]["code"], "not_found");
    assert!(results[4].get("state").is_none());
    let empty = app
        .desk(
            &agent,
            "POST",
            "/requests/approve",
            Some(json!({"ids": []})),
        )
        .await;
    assert_error(&empty, StatusCode::UNPROCESSABLE_ENTITY, "invalid_batch");
}

#[tokio::test]
async fn two_agents_deciding_at_once_apply_one_decision_and_the_other_is_told() {
    let app = TestApp::new().await;
    let session = app.session("A1001").await;
    let id = app.submitted(&session, one_mug_changed_mind(), "a").await;
    let li = app.staff("agent").await;
    let wang = app.staff("agent").await;
    let approve = format!("/requests/{id}/approve");
    let reject = format!("/requests/{id}/reject");
    let (a, b) = tokio::join!(
        app.desk(&li, "POST", &approve, None),
        app.desk(&wang, "POST", &reject, Some(json!({"reason": "no"}))),
    );
    let statuses = [a.status, b.status];
    assert!(statuses.contains(&StatusCode::OK), "{statuses:?}");
    assert!(statuses.contains(&StatusCode::CONFLICT), "{statuses:?}");
    let decided = app.merchant("GET", &format!("/requests/{id}"), None).await;
    let decisions = decided.body["history"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "approve" || e["action"] == "reject")
        .count();
    assert_eq!(decisions, 1);
}
