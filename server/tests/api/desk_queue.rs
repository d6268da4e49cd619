//! The desk's queue: tabs and their counts, the deadline order, search, filters, pages,
//! assignment, and what a request shows its staff.

use crate::helpers::*;

fn ids(reply: &Reply) -> Vec<String> {
    reply.body["requests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn open_tabs_sort_by_the_running_deadline_soonest_first_and_each_tab_is_counted() {
    let app = TestApp::new().await;
    let session = app.session("A1001").await;
    // Two requests waiting for a decision, submitted an hour apart, and one auto-approved return.
    let first = app.submitted(&session, one_mug_changed_mind(), "a").await;
    app.clock.advance(TimeDelta::hours(1));
    let other = app.another_order("A1002", "han.mei@example.com").await;
    let second = app.submitted(&other, one_mug_changed_mind(), "b").await;
    app.clock.advance(TimeDelta::minutes(1));
    let approved = app.submitted(&session, one_shirt("99.00"), "c").await;

    let needs = app
        .merchant("GET", "/requests?tab=needs_decision", None)
        .await;
    assert_eq!(
        ids(&needs),
        vec![first.clone(), second.clone()],
        "the older deadline first"
    );
    let parcel = app
        .merchant("GET", "/requests?tab=awaiting_parcel", None)
        .await;
    assert_eq!(ids(&parcel), vec![approved.clone()]);
    let newest = app.merchant("GET", "/requests", None).await;
    assert_eq!(
        ids(&newest),
        vec![approved, second, first],
        "all: newest first"
    );

    let counts = app.merchant("GET", "/requests/counts", None).await;
    assert_eq!(counts.status, StatusCode::OK);
    assert_eq!(
        counts.body,
        json!({"needs_decision": 2, "awaiting_parcel": 1, "parcel_on_the_way": 0,
               "to_finish": 0, "done": 0, "all": 3, "overdue": 0})
    );
    let counted = app
        .merchant("GET", "/requests/counts?reason=quality_issue", None)
        .await;
    assert_eq!(counted.body["all"], 1, "counts take the list's filters");
}

#[tokio::test]
async fn pages_follow_the_deadline_order_without_repeating_or_skipping() {
    let app = TestApp::new().await;
    let mut submitted = Vec::new();
    for n in 0..5 {
        let session = app
            .another_order(&format!("P{n}"), &format!("p{n}@example.com"))
            .await;
        submitted.push(
            app.submitted(&session, one_mug_changed_mind(), &format!("k{n}"))
                .await,
        );
        app.clock.advance(TimeDelta::minutes(10));
    }
    let mut seen = Vec::new();
    let mut cursor = String::new();
    loop {
        let page = app
            .merchant(
                "GET",
                &format!("/requests?tab=needs_decision&limit=2&cursor={cursor}"),
                None,
            )
            .await;
        assert_eq!(page.status, StatusCode::OK, "{:?}", page.body);
        seen.extend(ids(&page));
        match page.body["next_cursor"].as_str() {
            Some(next) => cursor = next.to_owned(),
            None => break,
        }
    }
    assert_eq!(seen, submitted);
}

#[tokio::test]
async fn a_request_is_found_by_its_number_its_order_number_or_the_shoppers_email() {
    let app = TestApp::new().await;
    let session = app.session("A1001").await;
    let mine = app.submit(&session, one_mug_changed_mind(), "a").await;
    let other = app.another_order("B2002", "Han.Mei@Example.com").await;
    let theirs = app.submitted(&other, one_mug_changed_mind(), "b").await;
    let number = mine.body["number"].as_str().unwrap();
    let found = app
        .merchant("GET", &format!("/requests?q={number}"), None)
        .await;
    assert_eq!(
        ids(&found),
        vec![mine.body["id"].as_str().unwrap().to_owned()]
    );
    let by_order = app.merchant("GET", "/requests?q=B2002", None).await;
    assert_eq!(ids(&by_order), vec![theirs.clone()]);
    let by_email = app
        .merchant("GET", "/requests?q=han.mei%40example.com", None)
        .await;
    assert_eq!(ids(&by_email), vec![theirs]);
    let nothing = app
        .merchant("GET", "/requests?q=RF00000000000000", None)
        .await;
    assert!(ids(&nothing).is_empty());
}

#[tokio::test]
async fn the_queue_filters_by_kind_reason_amount_and_assignee() {
    let app = TestApp::new().await;
    let session = app.session("A1001").await;
    let mug = app.submitted(&session, one_mug_changed_mind(), "a").await;
    let shirt = app.submitted(&session, one_shirt("99.00"), "b").await;
    let by_amount = app
        .merchant("GET", "/requests?min_total=50&max_total=100", None)
        .await;
    assert_eq!(ids(&by_amount), vec![shirt.clone()]);
    let cheap = app.merchant("GET", "/requests?max_total=42.00", None).await;
    assert_eq!(ids(&cheap), vec![mug.clone()]);
    let by_reason = app
        .merchant(
            "GET",
            "/requests?reason=changed_mind&kind=return_and_refund",
            None,
        )
        .await;
    assert_eq!(ids(&by_reason), vec![mug]);
    let unassigned = app.merchant("GET", "/requests?assignee=none", None).await;
    assert_eq!(
        ids(&unassigned).len(),
        2,
        "no agents yet, so nobody was assigned"
    );
    assert_error(
        &app.merchant("GET", "/requests?assignee=me", None).await,
        StatusCode::BAD_REQUEST,
        "invalid_query",
    );
    assert_error(
        &app.merchant("GET", "/requests?min_total=10&max_total=1", None)
            .await,
        StatusCode::BAD_REQUEST,
        "invalid_query",
    );
    // chrono reads years past 9999, which the stores would compare as text and find nothing.
    assert_error(
        &app.merchant("GET", "/requests?to=%2B10000-01-01T00:00:00Z", None)
            .await,
        StatusCode::BAD_REQUEST,
        "invalid_query",
    );
}

#[tokio::test]
async fn new_requests_go_to_active_agents_in_turn() {
    let app = TestApp::new().await;
    let li = app.staff("agent").await;
    // Agents never assigned are taken in the order they joined.
    app.clock.advance(TimeDelta::minutes(1));
    let wang = app.staff("agent").await;
    let off = app.staff("agent").await;
    app.merchant(
        "PATCH",
        &format!("/staff/{}", off.id),
        Some(json!({"active": false})),
    )
    .await;
    app.staff("owner").await;
    let session = app.session("A1001").await;
    let mut assignees = Vec::new();
    for key in ["a", "b", "c"] {
        let request = app.submit(&session, one_mug_changed_mind(), key).await;
        let id = request.body["id"].as_str().unwrap();
        let seen = app.merchant("GET", &format!("/requests/{id}"), None).await;
        assignees.push(
            seen.body["desk"]["assignee"]["id"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
        app.cancel(&session, id).await;
    }
    assert_eq!(assignees, vec![li.id.clone(), wang.id, li.id.clone()]);
    let mine = app.desk(&li, "GET", "/requests?assignee=me", None).await;
    assert_eq!(ids(&mine).len(), 2);
}

#[tokio::test]
async fn with_automatic_assignment_off_new_requests_wait_unassigned() {
    let app = TestApp::new().await;
    app.staff("agent").await;
    let set = app
        .merchant("PUT", "/desk-settings", Some(json!({"auto_assign": false})))
        .await;
    assert_eq!(set.status, StatusCode::OK);
    let session = app.session("A1001").await;
    let id = app.submitted(&session, one_mug_changed_mind(), "a").await;
    let seen = app.merchant("GET", &format!("/requests/{id}"), None).await;
    assert!(
        seen.body["desk"].get("assignee").is_none(),
        "{:?}",
        seen.body["desk"]
    );
}

#[tokio::test]
async fn an_agent_takes_a_request_or_hands_it_over_and_the_timeline_says_who() {
    let app = TestApp::new().await;
    let session = app.session("A1001").await;
    let id = app.submitted(&session, one_mug_changed_mind(), "a").await;
    let li = app.staff("agent").await;
    let wang = app.staff("agent").await;
    let viewer = app.staff("viewer").await;
    let taken = app
        .desk(
            &li,
            "POST",
            &format!("/requests/{id}/assign"),
            Some(json!({"staff_id": li.id})),
        )
        .await;
    assert_eq!(taken.status, StatusCode::OK, "{:?}", taken.body);
    assert_eq!(taken.body["desk"]["assignee"]["id"], li.id.as_str());
    let handed = app
        .desk(
            &li,
            "POST",
            &format!("/requests/{id}/assign"),
            Some(json!({"staff_id": wang.id})),
        )
        .await;
    assert_eq!(handed.body["desk"]["assignee"]["id"], wang.id.as_str());
    let to_viewer = app
        .desk(
            &li,
            "POST",
            &format!("/requests/{id}/assign"),
            Some(json!({"staff_id": viewer.id})),
        )
        .await;
    assert_error(
        &to_viewer,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_assignee",
    );
    let history = handed.body["history"].as_array().unwrap();
    let last = history.last().unwrap();
    assert_eq!(last["action"], "assign");
    assert_eq!(
        last["by"],
        json!({"kind": "staff", "id": li.id, "name": "agent 0"})
    );
    assert_eq!(last["detail"]["assignee"]["id"], wang.id.as_str());
    // The shopper sees neither the assignments nor who did them.
    let theirs = app.shopper_request(&session, &id).await;
    assert!(
        theirs.body["history"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["action"] != "assign" && e.get("by").is_none()),
        "{:?}",
        theirs.body["history"]
    );
}

#[tokio::test]
async fn staff_see_what_the_shopper_said_and_the_lines_by_name_and_lists_carry_history() {
    let app = TestApp::new().await;
    let session = app.session("A1001").await;
    let mut body = one_mug_changed_mind();
    body["note"] = json!("杯子有裂纹");
    let id = app.submitted(&session, body, "a").await;
    let seen = app.merchant("GET", &format!("/requests/{id}"), None).await;
    assert_eq!(
        seen.body["desk"],
        json!({"customer_email": "li.lei@example.com", "note": "杯子有裂纹",
               "goods_intact": true, "policy_version": 1})
    );
    assert_eq!(
        seen.body["lines"],
        json!([{"line_id": "L2", "sku": "MUG", "title": "Mug", "quantity": 1}])
    );
    let listed = app.merchant("GET", "/requests", None).await;
    let first = &listed.body["requests"][0];
    assert_eq!(first["history"][0]["action"], "submit", "{first:?}");
    assert_eq!(first["desk"]["note"], "杯子有裂纹");
    let shopper = app.shopper_request(&session, &id).await;
    assert!(
        shopper.body.get("desk").is_none(),
        "the desk's facts are the desk's"
    );
    assert_eq!(shopper.body["lines"][0]["title"], "Mug");
}

#[tokio::test]
async fn every_step_names_the_staff_member_or_the_api_key() {
    let app = TestApp::new().await;
    let session = app.session("A1001").await;
    let by_key = app.submitted(&session, one_mug_changed_mind(), "a").await;
    let by_agent = app.submitted(&session, one_shirt("99.00"), "b").await;
    let agent = app.staff("agent").await;
    let approved = app.decide(&by_key, "approve", None).await;
    assert_eq!(
        approved.body["history"].as_array().unwrap().last().unwrap()["by"],
        json!({"kind": "api_key"})
    );
    let received = app
        .desk(
            &agent,
            "POST",
            &format!("/requests/{by_agent}/receipt"),
            None,
        )
        .await;
    assert_eq!(
        received.status,
        StatusCode::CONFLICT,
        "not shipped yet: {:?}",
        received.body
    );
    let rejected = app
        .desk(
            &agent,
            "POST",
            &format!("/requests/{by_key}/reject"),
            Some(json!({"reason": "no"})),
        )
        .await;
    assert_error(&rejected, StatusCode::CONFLICT, "transition_not_allowed");
    let shipped = app
        .shopper(
            &session,
            "POST",
            &format!("/requests/{by_agent}/shipment"),
            Some(json!({"carrier": "顺丰", "tracking_number": "SF100"})),
            None,
        )
        .await;
    assert_eq!(shipped.status, StatusCode::OK, "{:?}", shipped.body);
    let received = app
        .desk(
            &agent,
            "POST",
            &format!("/requests/{by_agent}/receipt"),
            None,
        )
        .await;
    let last = received.body["history"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(last["action"], "confirm_receipt");
    assert_eq!(last["by"]["kind"], "staff");
    assert_eq!(last["by"]["id"], agent.id.as_str());
}
