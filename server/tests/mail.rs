//! E-mails over a real SMTP conversation: the transport against an in-process receiver.

#[path = "support/smtp.rs"]
mod smtp;

use std::time::Duration;

use chrono::{DateTime, FixedOffset};
use refund_api::ReturnTo;
use refund_core::{Currency, Lang};
use refund_server::deliver::mail::{Email, MailError, Mailer};
use refund_server::service::emails::{MailFacts, MailKind, render};
use smtp::SmtpReceiver;

const FROM: &str = "Demo Store <refunds@shop.example>";
const TO: &str = "shopper@example.com";
const WAIT: Duration = Duration::from_secs(5);

fn approval() -> Email {
    let facts = MailFacts {
        store: "Demo Store",
        number: "RF-2026-000042",
        currency: Currency::Cny,
        link: "https://shop.example/refunds?request=RF-2026-000042&lang=zh-CN",
        offset: FixedOffset::east_opt(8 * 3600).unwrap(),
    };
    let kind = MailKind::Approved {
        ship_by: DateTime::from_timestamp(1_795_154_700, 0),
        return_to: Some(ReturnTo {
            recipient: "王仓库".to_owned(),
            phone: "+86 21 5555 0100".to_owned(),
            address: "上海市浦东新区世纪大道 100 号".to_owned(),
            instructions: None,
        }),
    };
    render(&kind, &facts, Lang::ZhCn, TO)
}

#[tokio::test]
async fn the_chinese_approval_arrives_with_its_subject_text_html_and_link() {
    let receiver = SmtpReceiver::start().await;
    let mailer = Mailer::from_settings(Some(&receiver.url), FROM).unwrap();
    let email = approval();
    mailer.send(&email).await.unwrap();
    let received = receiver.wait_for(1, WAIT).await;
    let got = &received[0];
    assert_eq!(got.to, [TO]);
    assert_eq!(got.subject(), "[Demo Store] 退款申请 RF-2026-000042 已同意");
    assert_eq!(got.text(), email.text);
    assert!(got.text().contains("收件人：王仓库"), "{}", got.text());
    assert!(
        got.text()
            .ends_with("https://shop.example/refunds?request=RF-2026-000042&lang=zh-CN\n"),
        "{}",
        got.text()
    );
    assert_eq!(got.html(), email.html);
    assert_eq!(mailer.logged(), 0);
}

#[tokio::test]
async fn lines_that_start_with_a_dot_arrive_as_written() {
    let receiver = SmtpReceiver::start().await;
    let mailer = Mailer::from_settings(Some(&receiver.url), FROM).unwrap();
    let email = Email {
        to: TO.to_owned(),
        subject: "dots".to_owned(),
        text: ".one\n..two\n.\n".to_owned(),
        html: "<p>dots</p>\n".to_owned(),
    };
    mailer.send(&email).await.unwrap();
    let received = receiver.wait_for(1, WAIT).await;
    assert_eq!(received[0].text(), email.text);
}

#[tokio::test]
async fn a_451_is_transient_and_the_next_attempt_is_delivered() {
    let receiver = SmtpReceiver::start().await;
    let mailer = Mailer::from_settings(Some(&receiver.url), FROM).unwrap();
    receiver.fail_next(1, 451);
    let result = mailer.send(&approval()).await;
    assert!(matches!(result, Err(MailError::Transient(_))), "{result:?}");
    assert!(receiver.received().is_empty());
    mailer.send(&approval()).await.unwrap();
    assert_eq!(receiver.wait_for(1, WAIT).await.len(), 1);
}

#[tokio::test]
async fn a_550_is_permanent() {
    let receiver = SmtpReceiver::start().await;
    let mailer = Mailer::from_settings(Some(&receiver.url), FROM).unwrap();
    receiver.fail_next(1, 550);
    let result = mailer.send(&approval()).await;
    assert!(matches!(result, Err(MailError::Permanent(_))), "{result:?}");
    assert!(receiver.received().is_empty());
}

#[tokio::test]
async fn a_relay_that_does_not_listen_is_transient() {
    // A port just freed: nothing listens there.
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let mailer = Mailer::from_settings(Some(&format!("smtp://127.0.0.1:{port}")), FROM).unwrap();
    let result = mailer.send(&approval()).await;
    assert!(matches!(result, Err(MailError::Transient(_))), "{result:?}");
}

#[tokio::test]
async fn without_a_relay_the_email_is_logged_and_counted_instead_of_sent() {
    let mailer = Mailer::from_settings(None, FROM).unwrap();
    mailer.send(&approval()).await.unwrap();
    mailer.send(&approval()).await.unwrap();
    assert_eq!(mailer.logged(), 2);
}
