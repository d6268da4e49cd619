//! The shopper's flows through the real widget on the demo store page, against the real server
//! (PRODUCT.md §5–§9, issues 4 and 5). Each flow has its own server and browser; flows take
//! turns on the browser. Screenshots land in `<target>/e2e-screenshots/`. Every photographed
//! view, and the other states the flows pass through, are checked with axe-core in both
//! languages at both widths (issue 15): any serious or critical violation fails the flow.

use chrono::TimeDelta;
use refund_core::messages::{Lang, actor_label, code_message, format_money, outcome_label};
use refund_core::{Actor, Code, Currency, Outcome, Quote};
use refund_e2e::{Amounts, flow};
use refund_server::seed::DEMO_PUBLISHABLE_KEY;
use refund_widget::texts::{EN, ZH, texts};
use rust_decimal::Decimal;
use serde_json::{Value, json};

fn money(minor: i64, lang: Lang) -> String {
    format_money(Decimal::new(minor, 2), Currency::Cny, lang)
}

fn recorded_quote(request: &Value) -> Quote {
    serde_json::from_value(request["quote"].clone()).expect("the recorded quote")
}

/// The actors of a request's history, as the merchant API records them.
fn actors(request: &Value) -> Vec<String> {
    request["history"]
        .as_array()
        .expect("the request's history")
        .iter()
        .map(|e| e["actor"].as_str().unwrap_or_default().to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refund_before_shipping_is_approved_at_once_for_the_full_amount_with_shipping() {
    flow("1-refund-before-shipping", |server, browser| async move {
        let lang = Lang::En;
        browser.open_order("DEMO-1005", lang.tag()).await;
        browser.choose_kind("refund_only").await;
        browser.choose_reason("changed_mind").await;
        browser.set_quantity("L1", 1).await;
        browser.set_quantity("L2", 2).await;
        browser.wait_for_quote().await;

        // 89.00 + 2 × 15.00 + 8.00 shipping: everything paid, as nothing has shipped.
        let shown = browser.shown_amounts("section.rw-summary").await;
        assert_eq!(
            shown,
            Amounts {
                components: vec![
                    ("item".into(), money(8900, lang)),
                    ("item".into(), money(3000, lang)),
                    ("shipping_refund".into(), money(800, lang)),
                ],
                total: money(12700, lang),
                split: vec![money(12700, lang)],
            }
        );

        let number = browser.submit().await;
        assert_eq!(browser.shown_state().await, "approved");
        let recorded = server.only_request_of("DEMO-1005").await;
        assert_eq!(recorded["number"], number.as_str());
        assert_eq!(recorded["state"], "approved");
        assert_eq!(recorded["quote"]["total"], "127.00");
        assert_eq!(actors(&recorded).last().map(String::as_str), Some("rule"));
        // The host page heard about it.
        browser
            .wait_for(
                "the refund-submitted event",
                "document.getElementById('events').textContent.includes('refund-submitted')",
            )
            .await;
        let events = browser.events().await;
        assert!(events.contains(&number), "events: {events}");
        browser.screenshots().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn returning_two_of_three_couponed_shirts_shows_exactly_the_amounts_the_server_records() {
    flow("2-coupon-amounts", |server, browser| async move {
        let lang = Lang::ZhCn;
        browser.open_order("DEMO-1001", lang.tag()).await;
        browser.choose_kind("return_and_refund").await;
        browser.choose_reason("changed_mind").await;
        browser.set_quantity("L1", 2).await;
        // A no-reason return needs the shopper to confirm the goods are intact.
        browser.click("input[name=goods_intact]").await;
        browser.wait_for_quote().await;
        let live = browser.shown_amounts("section.rw-summary").await;

        let number = browser.submit().await;
        let recorded = server.only_request_of("DEMO-1001").await;
        assert_eq!(recorded["number"], number.as_str());
        let quote = recorded_quote(&recorded);
        // The coupon makes the shirts' paid price uneven; the quote must still be exact.
        assert!(
            quote
                .components
                .iter()
                .any(|c| c.name() == "return_shipping_fee"),
            "a no-reason return pays the return shipping: {quote:?}"
        );
        let expected = Amounts::of(&quote, lang);
        assert_eq!(
            live, expected,
            "what the shopper saw before submitting is what the server recorded"
        );
        // The status view shows the recorded quote, in both languages.
        assert_eq!(
            browser.shown_amounts("section.rw-status ~ section").await,
            expected
        );
        browser.toggle_lang().await;
        assert_eq!(
            browser.shown_amounts("section.rw-status ~ section").await,
            Amounts::of(&quote, Lang::En)
        );
        browser.toggle_lang().await;
        browser.screenshots().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_quality_issue_with_a_photo_is_approved_by_the_merchant_and_the_shopper_sees_it() {
    flow("3-quality-issue-approved", |server, browser| async move {
        let lang = Lang::En;
        let photo = refund_e2e::photo();

        // The yen order: all of it is above the demo policy's auto-approval limit (¥5,000), so
        // the request waits for the merchant.
        browser.open_order("DEMO-2001", lang.tag()).await;
        browser.choose_kind("return_and_refund").await;
        browser.choose_reason("quality_issue").await;
        browser.set_quantity("L1", 2).await;
        browser.set_quantity("L2", 1).await;
        browser.wait_for_selector(".rw-evidence .rw-required").await;
        browser
            .send_file(".rw-evidence input[type=file]", photo.path())
            .await;
        browser
            .wait_for(
                "the photo to be uploaded",
                &format!(
                    "[...root.querySelectorAll('li.rw-thumb')].some(li => li.textContent.includes({}))",
                    refund_e2e::browser::js_str(EN.uploaded)
                ),
            )
            .await;
        browser.wait_for_quote().await;
        let number = browser.submit().await;
        assert_eq!(browser.shown_state().await, "submitted");

        let request = server.only_request_of("DEMO-2001").await;
        assert_eq!(request["state"], "submitted");
        assert_eq!(
            request["evidence"].as_array().map(Vec::len),
            Some(1),
            "the photo is attached: {request}"
        );
        let id = request["id"].as_str().expect("the request id");
        let (status, approved) = server
            .merchant(
                axum::http::Method::POST,
                &format!("/requests/{id}/approve"),
                None,
            )
            .await;
        assert_eq!(status, 200, "approve: {approved}");
        assert_eq!(approved["state"], "approved");

        // What the shopper sees on coming back to the order.
        browser.reopen_request("DEMO-2001", lang.tag(), &number).await;
        assert_eq!(browser.shown_state().await, "approved");
        let timeline = browser.texts("ol.rw-timeline li").await.join("\n");
        assert!(
            timeline.contains(actor_label(Actor::Merchant, lang)),
            "the timeline names the merchant: {timeline}"
        );
        // Approved returns wait for the shopper to send the goods back.
        browser.wait_for_selector("form.rw-ship input[name=tracking_number]").await;
        browser.screenshots().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_final_sale_line_says_why_and_cannot_be_chosen_for_a_no_reason_return() {
    flow("4-final-sale", |_server, browser| async move {
        browser.open_order("DEMO-1003", Lang::ZhCn.tag()).await;
        browser.choose_kind("return_and_refund").await;
        browser.choose_reason("changed_mind").await;
        let line = "li.rw-line[data-line=L2]";
        for lang in [Lang::ZhCn, Lang::En] {
            if browser.lang().await != lang.tag() {
                browser.toggle_lang().await;
            }
            let message = code_message(&Code::FinalSale, lang, Currency::Cny);
            browser
                .wait_for(
                    "the final-sale line to be disabled",
                    &format!("root.querySelector('{line}').classList.contains('rw-disabled')"),
                )
                .await;
            let codes = browser.texts(&format!("{line} ul.rw-codes li")).await;
            assert!(codes.contains(&message), "{lang:?}: {codes:?} lack {message:?}");
            let disabled = browser
                .js(
                    &format!(
                        "return [root.querySelector('{line} button.rw-inc').disabled,
                                 root.querySelector('{line} input.rw-qty').disabled];"
                    ),
                    vec![],
                )
                .await;
            assert_eq!(disabled, serde_json::json!([true, true]));
            // The other lines can still be chosen.
            assert!(
                !browser
                    .js(
                        "return root.querySelector('li.rw-line[data-line=L1]').classList.contains('rw-disabled');",
                        vec![],
                    )
                    .await
                    .as_bool()
                    .unwrap_or(true)
            );
        }
        browser.screenshots().await;

        // The reason is what matters: a fault of the seller's may return a final-sale item.
        browser.choose_reason("quality_issue").await;
        browser
            .wait_for(
                "the final-sale line to be selectable for a quality issue",
                &format!(
                    "!root.querySelector('{line}').classList.contains('rw-disabled') && \
                     !root.querySelector('{line} button.rw-inc').disabled"
                ),
            )
            .await;
    })
    .await;
}

/// Walks the widget and returns what a shopper can read: text nodes and the attributes read out
/// to them (placeholder, aria-label, title, alt), except the language switch, which names the
/// other language in that language on purpose.
const READABLE: &str = "
    const out = [];
    const skip = (el) => el.closest('style, .rw-lang');
    const walk = document.createTreeWalker(root, NodeFilter.SHOW_TEXT | NodeFilter.SHOW_ELEMENT);
    while (walk.nextNode()) {
        const node = walk.currentNode;
        if (node.nodeType === Node.TEXT_NODE) {
            if (!skip(node.parentElement) && node.textContent.trim()) out.push(node.textContent.trim());
        } else if (!skip(node)) {
            for (const name of ['placeholder', 'aria-label', 'title', 'alt']) {
                const value = node.getAttribute(name);
                if (value && value.trim()) out.push(value.trim());
            }
        }
    }
    return out;";

/// Merchant data: shown as the merchant wrote it, in whatever language that is.
async fn merchant_strings(server: &refund_e2e::TestServer, order: &str) -> Vec<String> {
    let order = server.merchant_get(&format!("/orders/{order}")).await;
    let mut strings = vec![
        order["order"]["number"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
    ];
    for line in order["order"]["lines"].as_array().into_iter().flatten() {
        for field in ["title", "sku"] {
            strings.push(line[field].as_str().unwrap_or_default().to_owned());
        }
    }
    // Longest first, so a title is removed before any shorter string inside it.
    strings.sort_by_key(|s| std::cmp::Reverse(s.chars().count()));
    strings
}

fn is_cjk(c: char) -> bool {
    matches!(c, '\u{2E80}'..='\u{9FFF}' | '\u{F900}'..='\u{FAFF}' | '\u{FF00}'..='\u{FFEF}')
}

/// Binds every field of a `Texts` but the language switch and punctuation, and lists them. The pattern is
/// exhaustive, so a text added to the widget cannot be left out of the check.
macro_rules! all_texts {
    ($texts:expr; $($field:ident),* $(,)?) => {{
        let refund_widget::texts::Texts { switch_to: _, switch_label: _, colon: _, brackets: _, $($field),* } = $texts;
        vec![$(*$field),*]
    }};
}

/// Every string of the widget's own catalog in one language, except the switch to the other
/// language (which is meant to be in that other language).
fn catalog(texts: &'static refund_widget::texts::Texts) -> Vec<&'static str> {
    all_texts!(texts;
        title, loading, retry, network_error, server_error, lookup_title,
        lookup_intro, order_number, email, find_order, finding, lookup_missing, order,
        paid, not_shipped, in_transit, delivered, your_requests, view, step_kind, step_reason,
        choose_reason, step_items, no_kinds, quantity, decrease, increase, ordered, left, gift,
        step_details, note, note_placeholder, photos, photos_required, add_photos, photos_hint,
        remove, uploading, uploaded, upload_failed, not_an_image, too_large, too_many, intact,
        summary, need_kind, need_reason, need_lines, to_finish, see_details, total, refunded_to, in_kind, submit,
        submitting, wait_uploads, submit_unconfirmed, stale_title, stale_check, confirm_new_amount,
        submitted, sent, request_number, status, timeline, cancel, cancel_confirm, cancelling,
        ship_title, carrier, tracking, ship_submit, ship_missing, rejected_because, shipped_with,
        back_to_order, nothing_left, session_expired, note_placeholder_required, your_request,
        keep_request, line_used_up, no_lines_for_choice, exchange_for, choose_variant, out_of_stock,
        no_reason_until, no_reason_ended,
    )
}

/// The labels the core's catalog gives in one language (reasons, kinds, states, actors, ...).
fn core_labels(lang: Lang) -> Vec<String> {
    use refund_core::messages::{
        deadline_label, kind_label, method_label, outcome_label, reason_label, state_label,
    };
    use refund_core::wire::PaymentMethod;
    use refund_core::{DeadlineKind, Outcome, Reason, RequestKind, State};
    let mut labels: Vec<&str> = Vec::new();
    labels.extend(Reason::ALL.map(|r| reason_label(r, lang)));
    labels.extend(RequestKind::ALL.map(|k| kind_label(k, lang)));
    labels.extend(State::ALL.map(|s| state_label(s, lang)));
    labels.extend(
        [
            Actor::Shopper,
            Actor::Merchant,
            Actor::Rule,
            Actor::Deadline,
        ]
        .map(|a| actor_label(a, lang)),
    );
    labels.extend(
        [Outcome::Eligible, Outcome::NeedsReview, Outcome::Ineligible]
            .map(|o| outcome_label(o, lang)),
    );
    labels.extend(
        [
            DeadlineKind::Review,
            DeadlineKind::ShipBack,
            DeadlineKind::Receipt,
        ]
        .map(|d| deadline_label(d, lang)),
    );
    labels.extend(PaymentMethod::ALL.map(|m| method_label(m, lang)));
    labels.extend(
        [
            "item",
            "shipping_refund",
            "return_shipping_fee",
            "restocking_fee",
            "lost_free_shipping",
            "lost_threshold_discount",
            "missing_gift",
            "refund_limit",
        ]
        .map(|code| refund_widget::texts::component_title(code, lang)),
    );
    labels.into_iter().map(str::to_owned).collect()
}

/// Switches the widget to `lang` and lists what it shows that is not in `lang`: any string of
/// the other language's catalogs, in English any Chinese character, in Chinese any Latin word
/// the Chinese catalog does not itself use (JPEG, PNG, WebP, MB, UTC). Merchant data is left
/// out.
async fn untranslated(
    browser: &refund_e2e::Browser,
    lang: Lang,
    merchant: &[String],
    screen: &str,
) -> Vec<String> {
    if browser.lang().await != lang.tag() {
        browser.toggle_lang().await;
    }
    let readable: Vec<String> =
        serde_json::from_value(browser.js(READABLE, vec![]).await).expect("the widget's texts");
    let readable: Vec<String> = readable
        .into_iter()
        .map(|mut text| {
            for data in merchant {
                text = text.replace(data.as_str(), " ");
            }
            text
        })
        .collect();
    let other = if lang == Lang::En {
        Lang::ZhCn
    } else {
        Lang::En
    };
    let mut foreign: Vec<String> = catalog(texts(other))
        .into_iter()
        .map(str::to_owned)
        .chain(core_labels(other))
        .collect();
    // A few strings are the same in both languages; they are not foreign.
    let own: Vec<String> = catalog(texts(lang))
        .into_iter()
        .map(str::to_owned)
        .chain(core_labels(lang))
        .collect();
    foreign.retain(|f| !own.contains(f));
    let mut problems = Vec::new();
    for text in &readable {
        for f in &foreign {
            if text.contains(f.as_str()) {
                problems.push(format!(
                    "{screen}, {lang:?}: {text:?} contains the {other:?} string {f:?}"
                ));
            }
        }
        match lang {
            Lang::En => {
                if text.chars().any(is_cjk) {
                    problems.push(format!(
                        "{screen}, {lang:?}: {text:?} has Chinese characters"
                    ));
                }
            }
            Lang::ZhCn => {
                let allowed: Vec<String> = catalog(&ZH)
                    .iter()
                    .flat_map(|s| latin_words(s))
                    .chain(["UTC".to_owned()])
                    .collect();
                let words: Vec<String> = latin_words(text)
                    .into_iter()
                    .filter(|w| !allowed.contains(w))
                    .collect();
                if !words.is_empty() {
                    problems.push(format!(
                        "{screen}, {lang:?}: {text:?} has the Latin words {words:?}"
                    ));
                }
            }
        }
    }
    problems
}

fn latin_words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_ascii_alphabetic())
        .filter(|w| w.len() >= 2)
        .map(str::to_owned)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chinese_and_english_screens_have_no_untranslated_string() {
    flow("5-translations", |server, browser| async move {
        let merchant = merchant_strings(&server, "DEMO-1003").await;
        let both = [Lang::ZhCn, Lang::En];
        // Every screen is checked in both languages before failing, so one failure lists them all.
        let mut problems: Vec<String> = Vec::new();

        // The lookup form, its own error, and the server's answer (localised by the server),
        // each rendered in one language and then switched to the other.
        for lang in both {
            let other = if lang == Lang::En {
                Lang::ZhCn
            } else {
                Lang::En
            };
            browser.goto(&format!("lang={}", lang.tag())).await;
            browser.wait_for_selector("form.rw-lookup").await;
            problems.extend(untranslated(&browser, lang, &merchant, "the lookup form").await);
            browser.click("form.rw-lookup button[type=submit]").await;
            browser.wait_for_selector("form.rw-lookup .rw-error").await;
            problems
                .extend(untranslated(&browser, lang, &merchant, "the lookup form's error").await);
            browser
                .type_into("input[name=order_number]", "DEMO-1003")
                .await;
            browser
                .type_into("input[name=email]", "nobody@example.com")
                .await;
            browser.click("form.rw-lookup button[type=submit]").await;
            browser
                .wait_for(
                    "the lookup to be refused",
                    &format!(
                        "root.querySelector('form.rw-lookup .rw-error') && \
                         root.querySelector('form.rw-lookup .rw-error').textContent.trim() !== {}",
                        refund_e2e::browser::js_str(texts(lang).lookup_missing)
                    ),
                )
                .await;
            problems.extend(untranslated(&browser, lang, &merchant, "the refused lookup").await);
            problems.extend(
                untranslated(
                    &browser,
                    other,
                    &merchant,
                    "the refused lookup, after switching language",
                )
                .await,
            );
        }
        browser.accessibility_checked("the refused lookup").await;

        // The order with a full quote: a gift, a final-sale line, deductions.
        browser.open_order("DEMO-1003", "zh-CN").await;
        browser.accessibility_checked("the empty form").await;
        for lang in both {
            problems.extend(untranslated(&browser, lang, &merchant, "the empty form").await);
        }
        browser.choose_kind("return_and_refund").await;
        browser.choose_reason("changed_mind").await;
        browser.set_quantity("L1", 1).await;
        browser.click("input[name=goods_intact]").await;
        browser.wait_for_quote().await;
        browser
            .accessibility_checked("the form with its quote")
            .await;
        for lang in both {
            problems
                .extend(untranslated(&browser, lang, &merchant, "the form with its quote").await);
        }

        // A photo the server refuses (named .png, not an image): the server's message, shown in
        // the language it was asked in, then after a switch. The file's name is the shopper's.
        let fake = tempfile::Builder::new()
            .suffix(".png")
            .tempfile()
            .expect("a temporary file");
        std::fs::write(fake.path(), "not an image").expect("the file written");
        let file_name = fake
            .path()
            .file_name()
            .and_then(|n| n.to_str())
            .expect("a file name")
            .to_owned();
        let mut with_file = merchant.clone();
        with_file.insert(0, file_name);
        for lang in both {
            let other = if lang == Lang::En {
                Lang::ZhCn
            } else {
                Lang::En
            };
            if browser.lang().await != lang.tag() {
                browser.toggle_lang().await;
            }
            browser
                .send_file(".rw-evidence input[type=file]", fake.path())
                .await;
            browser
                .wait_for_selector("li.rw-thumb.rw-failed [role=alert]")
                .await;
            // A refused file is a compact tile with a placeholder, not a tall broken picture.
            let tile = browser
                .js(
                    "const tile = root.querySelector('li.rw-thumb.rw-failed');
                     return [!!tile.querySelector('img'), tile.querySelector('.rw-thumb-placeholder').getBoundingClientRect().height];",
                    vec![],
                )
                .await;
            assert_eq!(tile[0], false, "a refused photo shows no picture");
            assert!(tile[1].as_f64().is_some_and(|h| h <= 32.0), "placeholder height {}", tile[1]);
            // In both languages at once, so on the first round only.
            if lang == both[0] {
                browser.accessibility_checked("a refused photo").await;
            }
            problems.extend(untranslated(&browser, lang, &with_file, "a refused photo").await);
            problems.extend(
                untranslated(
                    &browser,
                    other,
                    &with_file,
                    "a refused photo, after switching language",
                )
                .await,
            );
            browser.click("li.rw-thumb button.rw-remove").await;
            browser
                .wait_for(
                    "the photo to be removed",
                    "!root.querySelector('li.rw-thumb')",
                )
                .await;
        }

        // The status view, with its countdown and the shipment form.
        let number = browser.submit().await;
        let mut merchant = merchant;
        merchant.insert(0, number);
        browser.wait_for_selector("form.rw-ship").await;
        for lang in both {
            problems.extend(untranslated(&browser, lang, &merchant, "the request's status").await);
        }
        browser.screenshots().await;

        // The order again, with its list of requests.
        browser.click("button.rw-back").await;
        browser.wait_for_selector("li.rw-request-item").await;
        browser
            .accessibility_checked("the order with a request")
            .await;
        for lang in both {
            problems
                .extend(untranslated(&browser, lang, &merchant, "the order with a request").await);
        }
        assert!(
            problems.is_empty(),
            "untranslated strings on screen:\n{}",
            problems.join("\n")
        );
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_submission_whose_answer_is_lost_is_recorded_once_when_the_shopper_tries_again() {
    flow("6-network-drop", |server, browser| async move {
        let lang = Lang::En;
        browser.open_order("DEMO-1005", lang.tag()).await;
        browser.choose_kind("refund_only").await;
        browser.choose_reason("ordered_by_mistake").await;
        browser.set_quantity("L2", 1).await;
        browser.wait_for_quote().await;

        // The server records the request, then the connection drops before the answer.
        server.cut_submissions(true);
        browser.click("button.rw-submit").await;
        let unconfirmed = format!(
            "root.querySelector('button.rw-submit').textContent.trim() === {} && \
             !root.querySelector('button.rw-submit').disabled",
            refund_e2e::browser::js_str(EN.retry)
        );
        browser
            .wait_for(
                "the widget to say the submission is unconfirmed",
                &unconfirmed,
            )
            .await;
        let error = browser.text(".rw-form .rw-error").await;
        assert_eq!(error, EN.submit_unconfirmed);
        let statuses = server.cut_statuses();
        assert!(
            !statuses.is_empty() && statuses.iter().all(|s| *s == 201),
            "the server recorded the submission before the connection dropped: {statuses:?}"
        );
        // Chromium itself may resend a request whose reused connection dropped before any
        // answer; those resends are cut too, which is why there can be more than one.
        println!("connections cut after the server answered: {statuses:?}");
        let first = server.only_request_of("DEMO-1005").await;
        browser.screenshots().await;

        // A reload keeps the unanswered submission and sends it again at once, under its key;
        // that answer is lost too, so the widget still offers the retry.
        let cut_so_far = server.cut_statuses().len();
        browser.open_order("DEMO-1005", lang.tag()).await;
        browser
            .wait_for("the widget to offer the retry again", &unconfirmed)
            .await;
        assert!(
            server.cut_statuses().len() > cut_so_far,
            "the reload sent the submission again"
        );

        // The network is back: the retry replays the same Idempotency-Key.
        server.cut_submissions(false);
        let number = browser.submit().await;
        let only = server.only_request_of("DEMO-1005").await;
        assert_eq!(only["id"], first["id"], "still the one request");
        assert_eq!(only["number"], number.as_str());
        assert_eq!(browser.shown_state().await, "approved");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_the_merchant_ignores_past_the_review_deadline_is_approved_by_the_deadline() {
    flow("7-review-deadline", |server, browser| async move {
        let lang = Lang::ZhCn;
        // Keeping a delivered item (退款不退货) above the keep-the-item threshold needs review.
        browser.open_order("DEMO-1001", lang.tag()).await;
        browser.choose_kind("refund_only").await;
        browser.choose_reason("changed_mind").await;
        browser.set_quantity("L1", 1).await;
        browser.wait_for_quote().await;
        let number = browser.submit().await;
        assert_eq!(browser.shown_state().await, "submitted");
        browser.wait_for_selector(".rw-countdown").await;

        let request = server.only_request_of("DEMO-1001").await;
        assert_eq!(request["state"], "submitted");
        assert_eq!(request["deadline"]["kind"], "review");
        let seconds_left = request["deadline"]["seconds_left"]
            .as_i64()
            .expect("seconds left to review");
        assert!(seconds_left > 0);

        // Nothing happens before the deadline ...
        server.clock.advance(TimeDelta::seconds(seconds_left - 60));
        assert_eq!(server.sweep().await, 0);
        // ... and the request is approved once it has passed.
        server.clock.advance(TimeDelta::seconds(120));
        assert_eq!(server.sweep().await, 1);
        let request = server.only_request_of("DEMO-1001").await;
        assert_eq!(request["state"], "approved");
        assert_eq!(
            actors(&request).last().map(String::as_str),
            Some("deadline")
        );

        browser
            .reopen_request("DEMO-1001", lang.tag(), &number)
            .await;
        assert_eq!(browser.shown_state().await, "approved");
        let timeline = browser.texts("ol.rw-timeline li").await;
        let last = timeline.last().cloned().unwrap_or_default();
        assert!(
            last.contains(actor_label(Actor::Deadline, lang)),
            "the last step names the deadline: {timeline:?}"
        );
        browser.screenshots().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_verdict_that_changed_while_the_shopper_looked_is_shown_again_before_it_is_recorded() {
    flow("8-stale-view", |server, browser| async move {
        let lang = Lang::En;
        browser.open_order("DEMO-1005", lang.tag()).await;
        browser.choose_kind("refund_only").await;
        browser.choose_reason("ordered_by_mistake").await;
        browser.set_quantity("L2", 1).await;
        browser.wait_for_quote().await;
        let seen = browser.shown_amounts("section.rw-summary").await;
        assert_eq!(
            browser.text("section.rw-summary .rw-verdict").await,
            outcome_label(Outcome::Eligible, lang)
        );

        // Meanwhile the merchant stops approving anything above 10.00 by rule: the same money,
        // but now a person decides.
        let mut policy = server.merchant_get("/policy").await;
        policy["amounts"]["CNY"]["auto_approve_max"] = "10.00".into();
        let (status, body) = server
            .merchant(axum::http::Method::PUT, "/policy", Some(policy))
            .await;
        assert_eq!(status, 200, "{body}");

        browser.click("button.rw-submit").await;
        browser.wait_for_selector(".rw-stale").await;
        assert!(
            browser.text(".rw-stale").await.contains(EN.stale_title),
            "the shopper is told the refund changed"
        );
        browser
            .wait_for(
                "the fresh verdict",
                &format!(
                    "root.querySelector('section.rw-summary .rw-verdict').textContent.trim() === {}",
                    refund_e2e::browser::js_str(outcome_label(Outcome::NeedsReview, lang))
                ),
            )
            .await;
        assert_eq!(
            browser.shown_amounts("section.rw-summary").await,
            seen,
            "the money is the same; only the verdict moved"
        );
        assert_eq!(
            browser.text("button.rw-submit").await,
            EN.confirm_new_amount
        );
        assert!(
            server.requests_of("DEMO-1005").await.is_empty(),
            "nothing is recorded until the shopper confirms"
        );
        browser.screenshots().await;

        let number = browser.submit().await;
        let recorded = server.only_request_of("DEMO-1005").await;
        assert_eq!(recorded["number"], number.as_str());
        assert_eq!(recorded["quote"]["outcome"], "needs_review");
        assert_eq!(recorded["state"], "submitted");
        assert_eq!(browser.shown_state().await, "submitted");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_a_phone_the_verdict_and_total_stay_in_view_while_the_shopper_chooses() {
    flow("9-phone-total-in-view", |_server, browser| async move {
        // The widget loads when it nears the viewport: open the order first, then go narrow.
        browser.open_order("DEMO-1001", "en").await;
        browser.set_viewport(360, 740).await;
        browser.choose_kind("return_and_refund").await;
        browser.choose_reason("changed_mind").await;
        browser.click("input[name=goods_intact]").await;
        browser.set_quantity("L1", 1).await;
        browser.wait_for_quote().await;
        // Back at the lines, as a shopper tapping + would be, the breakdown is off-screen…
        browser.set_quantity("L1", 2).await;
        browser.wait_for_quote().await;
        let shown = browser
            .js(
                "root.querySelector('li.rw-line[data-line=L1] button.rw-inc').scrollIntoView({block: 'center'});
                 const bar = root.querySelector('.rw-sticky').getBoundingClientRect();
                 const summary = root.querySelector('section.rw-summary').getBoundingClientRect();
                 return {
                     bar_top: bar.top, bar_bottom: bar.bottom, height: window.innerHeight,
                     summary_top: summary.top,
                     text: root.querySelector('.rw-sticky-text').textContent,
                     total: root.querySelector('section.rw-summary strong.rw-total').textContent.trim(),
                 };",
                vec![],
            )
            .await;
        let number = |key: &str| shown[key].as_f64().unwrap_or_default();
        assert!(number("summary_top") > number("height"), "the breakdown is below: {shown}");
        // …and the bar shows the verdict and the same total, inside the viewport.
        assert!(
            number("bar_top") >= 0.0 && number("bar_bottom") <= number("height") + 0.5,
            "the bar is in view: {shown}"
        );
        let text = shown["text"].as_str().unwrap_or_default();
        let total = shown["total"].as_str().unwrap_or_default();
        assert!(!total.is_empty() && text.contains(total), "{shown}");
        // What the shopper's phone shows at that moment, in both languages: the lines being
        // chosen, and the bar with the verdict and total at the bottom.
        for round in 0..2 {
            if round == 1 {
                browser.toggle_lang().await;
            }
            let in_view = browser
                .js(
                    "root.querySelector('li.rw-line[data-line=L1] button.rw-inc').scrollIntoView({block: 'center'});
                     const bar = root.querySelector('.rw-sticky').getBoundingClientRect();
                     return bar.top >= 0 && bar.bottom <= window.innerHeight + 0.5
                         && root.querySelector('.rw-sticky-text').textContent.includes(
                                root.querySelector('section.rw-summary strong.rw-total').textContent.trim());",
                    vec![],
                )
                .await;
            assert_eq!(in_view, true, "the bar and its total are in view in {}", browser.lang().await);
            browser.next_frame_viewport().await;
            let name = format!("9-phone-choosing-{}-360", browser.lang().await);
            browser.screenshot(&name).await;
        }
        browser.toggle_lang().await;
        browser.click(".rw-sticky button").await;
        browser
            .wait_for(
                "the breakdown in view",
                "root.querySelector('section.rw-summary').getBoundingClientRect().top < window.innerHeight",
            )
            .await;
        browser.screenshots().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_exchange_names_the_size_wanted_from_those_in_stock_and_the_merchant_sees_it() {
    flow("10-exchange-variant", |server, browser| async move {
        browser.open_order("DEMO-1001", Lang::En.tag()).await;
        // The T-shirt shows its picture.
        browser
            .wait_for(
                "the T-shirt's picture",
                "root.querySelector('li.rw-line[data-line=L1] img.rw-line-img')?.complete",
            )
            .await;
        browser.choose_kind("exchange").await;
        browser.choose_reason("size_mismatch").await;
        browser.set_quantity("L1", 1).await;
        // Until a size is chosen, that is what is left to do; the sold-out size cannot be chosen.
        browser
            .wait_for(
                "the size to be asked for",
                "root.querySelector('section.rw-summary .rw-verdict.rw-todo') \
                 && root.querySelector('section.rw-summary').textContent.includes('Choose what to exchange it for')",
            )
            .await;
        let sold_out = browser
            .js(
                "return root.querySelector('select[name=exchange_for] option[value=\"TEE-WHITE-XL\"]').disabled;",
                vec![],
            )
            .await;
        assert_eq!(sold_out, true);
        browser.screenshots().await;

        let select = browser.element("select[name=exchange_for]").await;
        select
            .select_by_value("TEE-WHITE-L")
            .await
            .unwrap_or_else(|e| panic!("choosing the size: {e}"));
        browser
            .wait_for(
                "the exchange to be explained",
                "root.querySelector('.rw-summary .rw-exchanges li')?.textContent.includes('→')",
            )
            .await;
        let chosen = browser
            .js("return root.querySelector('select[name=exchange_for]').value;", vec![])
            .await;
        assert_eq!(chosen, "TEE-WHITE-L");
        browser.click("input[name=goods_intact]").await;
        let number = browser.submit().await;
        assert_eq!(browser.shown_state().await, "submitted");
        let shown = browser.text(".rw-exchanges").await;
        assert!(shown.contains("纯棉短袖T恤 白色 L"), "{shown}");

        let recorded = server.only_request_of("DEMO-1001").await;
        assert_eq!(recorded["number"], number.as_str());
        assert_eq!(recorded["lines"][0]["exchange_for"]["sku"], "TEE-WHITE-L");
        assert_eq!(
            recorded["history"][0]["detail"]["exchanges"][0]["exchange_for"]["sku"],
            "TEE-WHITE-L"
        );
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_standalone_refund_page_in_the_default_theme_passes_axe_from_lookup_to_request() {
    flow("11-standalone-page", |_server, browser| async move {
        // The demo store sets its own accent; stores that link out to /refund get the widget's
        // default colours, which must pass on their own.
        let page = format!(
            "{}/refund?merchant={DEMO_PUBLISHABLE_KEY}&lang=en",
            browser.origin()
        );
        browser
            .client()
            .goto(&page)
            .await
            .unwrap_or_else(|e| panic!("opening {page}: {e}"));
        browser.wait_for_selector("form.rw-lookup").await;
        browser.accessibility_checked("the lookup form").await;

        browser
            .type_into("input[name=order_number]", "DEMO-1002")
            .await;
        browser
            .type_into("input[name=email]", "demo@example.com")
            .await;
        browser.click("form.rw-lookup button[type=submit]").await;
        browser.wait_for_selector(".rw-form").await;
        browser.choose_kind("return_and_refund").await;
        browser.choose_reason("quality_issue").await;
        browser.set_quantity("L1", 1).await;
        let photo = refund_e2e::photo();
        browser
            .send_file(".rw-evidence input[type=file]", photo.path())
            .await;
        browser
            .wait_for(
                "the photo to be uploaded",
                "root.querySelector('li.rw-thumb img[src]')",
            )
            .await;
        browser.wait_for_quote().await;
        browser.screenshots().await;

        browser.submit().await;
        browser.accessibility_checked("the request's status").await;
        browser.click("button.rw-back").await;
        browser.wait_for_selector("li.rw-request-item").await;
        browser
            .accessibility_checked("the order with a request")
            .await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn while_the_wasm_downloads_the_shopper_sees_the_widgets_shape_then_the_form_in_its_place() {
    flow("12-skeleton", |_server, browser| async move {
        // A network slow enough that the wasm takes seconds to arrive.
        browser.throttle_network(150, 100_000, 100_000).await;
        browser.set_viewport(360, 740).await;
        browser.goto("order=DEMO-1001&lang=en").await;
        let skeleton = browser
            .wait_for(
                "the skeleton",
                "root.querySelector('.s .c') && [
                     root.querySelectorAll('.s .c').length,
                     !!root.querySelector('.rw'),
                     root.querySelector('[role=status]').textContent,
                     root.querySelector('.s').getBoundingClientRect().height,
                 ]",
            )
            .await;
        assert_eq!(skeleton[0], 4, "the order form's four cards: {skeleton}");
        assert_eq!(skeleton[1], false, "the widget is not drawn yet");
        assert_eq!(skeleton[2], "Loading the refund form…");
        assert!(skeleton[3].as_f64().is_some_and(|h| h > 300.0), "{skeleton}");
        browser
            .js("host.scrollIntoView({ block: 'start' });", vec![])
            .await;
        browser.screenshot("12-skeleton-en-360").await;

        browser.unthrottle_network().await;
        browser.wait_for_selector("li.rw-line").await;
        // One swap: the form replaced the skeleton, which is gone.
        let after = browser
            .js(
                "return [!!root.querySelector('.s'), !!root.querySelector('.rw-booting'), root.querySelector('.rw').getClientRects().length > 0];",
                vec![],
            )
            .await;
        assert_eq!(after, json!([false, false, true]));
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn when_the_wasm_cannot_be_fetched_the_shopper_is_told_and_trying_again_loads_the_form() {
    flow("13-load-failure", |_server, browser| async move {
        // The loader asks for the wasm beside the glue; here that download fails.
        browser.cdp("Network.enable", json!({})).await;
        browser
            .cdp("Network.setBlockedURLs", json!({"urls": ["*_bg.wasm*"]}))
            .await;
        browser.goto("order=DEMO-1001&lang=en").await;
        let failed = browser
            .wait_for(
                "the failure message",
                "root.querySelector('[role=alert] button') && root.querySelector('[role=alert]').textContent",
            )
            .await;
        assert_eq!(failed, "The refund form could not load. Try again");
        assert!(!browser.exists(".rw").await, "no widget was drawn");

        browser
            .cdp("Network.setBlockedURLs", json!({"urls": []}))
            .await;
        browser.click("[role=alert] button").await;
        browser.wait_for_selector("li.rw-line").await;
        assert!(!browser.exists("[role=alert]").await);
    })
    .await;
}
