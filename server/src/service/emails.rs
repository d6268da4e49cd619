//! What the e-mails to shoppers say: one subject, one plain-text body and one HTML body per
//! event that reaches the shopper, in the shopper's language, each ending with the link back to
//! the request's status view. Pure: sending is `deliver::mail`.
//!
//! The HTML is deliberately plain (inline styles, no images, nothing loaded from elsewhere), so
//! it reads the same in every client and tracks nobody. Store names, reasons, messages and
//! addresses were typed by people, so every string is escaped on its way into the HTML.

use chrono::{DateTime, FixedOffset, Utc};
use refund_api::ReturnTo;
use refund_core::messages::{Lang, format_datetime, format_money, method_label};
use refund_core::{Currency, wire::PaymentMethod};
use rust_decimal::Decimal;

use crate::deliver::mail::Email;

/// The events of a request that the shopper hears about.
#[derive(Clone, Debug, PartialEq)]
pub enum MailKind {
    Submitted,
    /// `return_to` for returns and exchanges (send the goods back there, by `ship_by`); neither
    /// for a refund without return, which is being paid.
    Approved {
        ship_by: Option<DateTime<Utc>>,
        return_to: Option<ReturnTo>,
    },
    Rejected {
        reason: String,
    },
    /// A message from the store in the request's thread.
    Message {
        body: String,
    },
    /// The amount paid back, and how it was split across the order's payment methods.
    Refunded {
        total: Decimal,
        split: Vec<(PaymentMethod, Decimal)>,
    },
    /// Cancelled by the shopper, or closed (a missed ship-back deadline, an exchange done).
    Closed,
}

/// What every e-mail about one request needs besides its event.
#[derive(Clone, Copy, Debug)]
pub struct MailFacts<'a> {
    pub store: &'a str,
    pub number: &'a str,
    pub currency: Currency,
    /// The request's status view.
    pub link: &'a str,
    /// The store's UTC offset, for dates.
    pub offset: FixedOffset,
}

/// A piece of an e-mail's body, rendered once as text and once as HTML.
enum Block {
    Paragraph(String),
    /// Words a person typed (a reason, a message), set apart and kept as written.
    Quote(String),
    /// Label and value pairs: an address, a refund's split.
    Table(Vec<(String, String)>),
}

/// The e-mail to `to` about `kind`, in `lang`.
pub fn render(kind: &MailKind, facts: &MailFacts, lang: Lang, to: &str) -> Email {
    let title = title(kind, facts.number, lang);
    let blocks = blocks(kind, facts, lang);
    let link_label = say(lang, "查看申请进度", "View your request");
    Email {
        to: to.to_owned(),
        subject: format!("[{}] {title}", facts.store),
        text: text(lang, &title, &blocks, link_label, facts.link),
        html: html(lang, facts.store, &title, &blocks, link_label, facts.link),
    }
}

fn say<'a>(lang: Lang, zh: &'a str, en: &'a str) -> &'a str {
    match lang {
        Lang::ZhCn => zh,
        Lang::En => en,
    }
}

fn title(kind: &MailKind, number: &str, lang: Lang) -> String {
    let (zh, en) = match kind {
        MailKind::Submitted => ("已提交", "received"),
        MailKind::Approved { .. } => ("已同意", "approved"),
        MailKind::Rejected { .. } => ("已拒绝", "rejected"),
        MailKind::Message { .. } => ("有新消息", "has a new message"),
        MailKind::Refunded { .. } => ("已退款", "refunded"),
        MailKind::Closed => ("已关闭", "closed"),
    };
    match lang {
        Lang::ZhCn => format!("退款申请 {number} {zh}"),
        Lang::En => format!("Refund request {number} {en}"),
    }
}

fn blocks(kind: &MailKind, facts: &MailFacts, lang: Lang) -> Vec<Block> {
    let para = |zh: &str, en: &str| Block::Paragraph(say(lang, zh, en).to_owned());
    let money = |amount: Decimal| format_money(amount, facts.currency, lang);
    match kind {
        MailKind::Submitted => vec![para(
            "我们已收到你的退款申请，商家处理后会再发邮件通知你。",
            "We have received your refund request. We will write again once the store has decided.",
        )],
        MailKind::Approved {
            return_to: None,
            ship_by: Some(at),
        } => {
            let by = format_datetime(at.with_timezone(&facts.offset), lang);
            vec![Block::Paragraph(match lang {
                Lang::ZhCn => format!(
                    "商家已同意你的申请。请在 {by} 前按商家告知的地址将商品寄回，寄出后在申请页面填写物流单号。"
                ),
                Lang::En => format!(
                    "The store approved your request. Please send the goods back by {by} to the address the store gives you, then enter the tracking number on the request page."
                ),
            })]
        }
        MailKind::Approved {
            return_to: None,
            ship_by: None,
        } => vec![para(
            "商家已同意你的退款申请，退款正在原路退回，到账后会再通知你。",
            "The store approved your refund request. The refund is being paid back to how you paid; we will write again once it is done.",
        )],
        MailKind::Approved {
            ship_by,
            return_to: Some(to),
        } => {
            let ask = match (ship_by, lang) {
                (Some(at), Lang::ZhCn) => format!(
                    "商家已同意你的申请。请在 {} 前将商品寄回以下地址，寄出后在申请页面填写物流单号。",
                    format_datetime(at.with_timezone(&facts.offset), lang)
                ),
                (Some(at), Lang::En) => format!(
                    "The store approved your request. Please send the goods back to the address below by {}, then enter the tracking number on the request page.",
                    format_datetime(at.with_timezone(&facts.offset), lang)
                ),
                (None, _) => say(
                    lang,
                    "商家已同意你的申请。请将商品寄回以下地址，寄出后在申请页面填写物流单号。",
                    "The store approved your request. Please send the goods back to the address below, then enter the tracking number on the request page.",
                )
                .to_owned(),
            };
            let mut rows = vec![
                (say(lang, "收件人", "Recipient"), to.recipient.clone()),
                (say(lang, "电话", "Phone"), to.phone.clone()),
                (say(lang, "地址", "Address"), to.address.clone()),
            ];
            if let Some(instructions) = &to.instructions {
                rows.push((
                    say(lang, "商家说明", "From the store"),
                    instructions.clone(),
                ));
            }
            vec![
                Block::Paragraph(ask),
                Block::Table(rows.into_iter().map(|(l, v)| (l.to_owned(), v)).collect()),
            ]
        }
        MailKind::Rejected { reason } => vec![
            para(
                "很抱歉，商家拒绝了你的退款申请，理由如下：",
                "We are sorry: the store rejected your refund request, for this reason:",
            ),
            Block::Quote(reason.clone()),
            para(
                "如有疑问，可以在申请页面给商家留言。",
                "If you have questions, you can write to the store on the request page.",
            ),
        ],
        MailKind::Message { body } => vec![
            para(
                "商家就你的退款申请发来一条消息：",
                "The store sent you a message about your refund request:",
            ),
            Block::Quote(body.clone()),
            para("可以在申请页面回复。", "You can reply on the request page."),
        ],
        MailKind::Refunded { total, split } => vec![
            Block::Paragraph(match lang {
                Lang::ZhCn => format!("退款已完成，共退回 {}：", money(*total)),
                Lang::En => format!(
                    "Your refund is done: {} in total, paid back as follows:",
                    money(*total)
                ),
            }),
            Block::Table(
                split
                    .iter()
                    .map(|(method, amount)| {
                        (method_label(*method, lang).to_owned(), money(*amount))
                    })
                    .collect(),
            ),
            para(
                "到账时间以各支付渠道为准。",
                "How soon it shows depends on each payment provider.",
            ),
        ],
        MailKind::Closed => vec![para(
            "你的退款申请已关闭，详情请查看申请页面。",
            "Your refund request is closed. The request page has the details.",
        )],
    }
}

fn text(lang: Lang, title: &str, blocks: &[Block], link_label: &str, link: &str) -> String {
    let mut out = format!("{title}\n\n{}\n\n", say(lang, "您好，", "Hello,"));
    for block in blocks {
        match block {
            Block::Paragraph(words) | Block::Quote(words) => out.push_str(words),
            Block::Table(rows) => {
                let colon = say(lang, "：", ": ");
                let lines: Vec<String> = rows
                    .iter()
                    .map(|(label, value)| format!("{label}{colon}{value}"))
                    .collect();
                out.push_str(&lines.join("\n"));
            }
        }
        out.push_str("\n\n");
    }
    out.push_str(&format!("{link_label}{}{link}\n", say(lang, "：", ": ")));
    out
}

/// Escapes text for HTML content and for double- or single-quoted attribute values.
fn escape(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    for c in raw.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Escaped, with the writer's line breaks kept (mail clients do not all honour `pre-wrap`).
fn escape_lines(raw: &str) -> String {
    raw.lines().map(escape).collect::<Vec<_>>().join("<br>")
}

fn html(
    lang: Lang,
    store: &str,
    title: &str,
    blocks: &[Block],
    link_label: &str,
    link: &str,
) -> String {
    const P: &str = "margin:0 0 16px;line-height:1.6;";
    let mut body = String::new();
    for block in blocks {
        match block {
            Block::Paragraph(words) => {
                body.push_str(&format!("<p style=\"{P}\">{}</p>\n", escape_lines(words)));
            }
            Block::Quote(words) => body.push_str(&format!(
                "<blockquote style=\"{P}padding:8px 12px;border-left:3px solid #ccc;background:#f6f6f6;\">{}</blockquote>\n",
                escape_lines(words)
            )),
            Block::Table(rows) => {
                body.push_str("<table style=\"margin:0 0 16px;border-collapse:collapse;\">\n");
                for (label, value) in rows {
                    body.push_str(&format!(
                        "<tr><td style=\"padding:4px 16px 4px 0;color:#666;vertical-align:top;white-space:nowrap;\">{}</td><td style=\"padding:4px 0;\">{}</td></tr>\n",
                        escape(label),
                        escape_lines(value)
                    ));
                }
                body.push_str("</table>\n");
            }
        }
    }
    format!(
        "<!DOCTYPE html>\n\
         <html lang=\"{lang}\">\n\
         <head><meta charset=\"utf-8\"><title>{title}</title></head>\n\
         <body style=\"margin:0;padding:24px;background:#f2f2f2;color:#222;font-family:-apple-system,'PingFang SC','Microsoft YaHei',Helvetica,Arial,sans-serif;font-size:15px;\">\n\
         <div style=\"max-width:560px;margin:0 auto;padding:24px;background:#fff;border-radius:6px;\">\n\
         <p style=\"{P}color:#666;font-size:13px;\">{store}</p>\n\
         <h1 style=\"margin:0 0 16px;font-size:18px;\">{title}</h1>\n\
         <p style=\"{P}\">{hello}</p>\n\
         {body}\
         <p style=\"margin:24px 0 0;\"><a href=\"{href}\" style=\"display:inline-block;padding:10px 16px;background:#222;color:#fff;text-decoration:none;border-radius:4px;\">{link_label}</a></p>\n\
         </div>\n\
         </body>\n\
         </html>\n",
        lang = lang.tag(),
        title = escape(title),
        store = escape(store),
        hello = say(lang, "您好，", "Hello,"),
        href = escape(link),
        link_label = escape(link_label),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const TO: &str = "shopper@example.com";
    const NUMBER: &str = "RF-2026-000042";
    /// With an `&`, so the `href` must be escaped to match.
    const LINK: &str = "https://shop.example/refunds?request=RF-2026-000042&lang=zh-CN";
    const ESCAPED_LINK: &str = "https://shop.example/refunds?request=RF-2026-000042&amp;lang=zh-CN";
    const HOSTILE: &str = "<script>alert(1)</script> & \"x\"";
    const HOSTILE_ESCAPED: &str = "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;x&quot;";

    fn facts(store: &str) -> MailFacts<'_> {
        MailFacts {
            store,
            number: NUMBER,
            currency: Currency::Cny,
            link: LINK,
            offset: FixedOffset::east_opt(8 * 3600).unwrap(),
        }
    }

    fn ship_by() -> DateTime<Utc> {
        // 20 Nov 2026, 06:05 UTC: 14:05 in the store's UTC+08:00.
        DateTime::from_timestamp(1_795_154_700, 0).unwrap()
    }

    fn return_to() -> ReturnTo {
        ReturnTo {
            recipient: "王仓库".to_owned(),
            phone: "+86 21 5555 0100".to_owned(),
            address: "上海市浦东新区世纪大道 100 号\n3 号门".to_owned(),
            instructions: Some("请勿到付".to_owned()),
        }
    }

    fn refunded() -> MailKind {
        MailKind::Refunded {
            total: Decimal::new(123_450, 2),
            split: vec![
                (PaymentMethod::Alipay, Decimal::new(100_000, 2)),
                (PaymentMethod::Points, Decimal::new(23_450, 2)),
            ],
        }
    }

    /// The e-mail for `kind` in `lang` has `subject`, and its text and HTML both hold the
    /// request's number, each of `words`, and end with the link back.
    fn check(kind: MailKind, lang: Lang, subject: &str, words: &[&str]) {
        let email = render(&kind, &facts("Demo Store"), lang, TO);
        assert_eq!(email.to, TO);
        assert_eq!(email.subject, subject);
        for (part, body) in [("text", &email.text), ("html", &email.html)] {
            for word in [NUMBER].iter().chain(words) {
                assert!(
                    body.contains(word),
                    "{subject}: the {part} has {word:?}:\n{body}"
                );
            }
        }
        assert!(email.text.ends_with(&format!("{LINK}\n")), "{}", email.text);
        let href = email.html.find(&format!("href=\"{ESCAPED_LINK}\""));
        let last_word = words.iter().filter_map(|w| email.html.rfind(w)).max();
        assert!(
            href > last_word,
            "the html ends with the link:\n{}",
            email.html
        );
    }

    #[test]
    fn every_kind_in_both_languages_names_the_request_says_what_happened_and_links_back() {
        let approved_return = MailKind::Approved {
            ship_by: Some(ship_by()),
            return_to: Some(return_to()),
        };
        let approved_refund = MailKind::Approved {
            ship_by: None,
            return_to: None,
        };
        let rejected = MailKind::Rejected {
            reason: "商品已使用".to_owned(),
        };
        let message = MailKind::Message {
            body: "Could you send a photo?".to_owned(),
        };
        use Lang::{En, ZhCn};
        check(
            MailKind::Submitted,
            ZhCn,
            "[Demo Store] 退款申请 RF-2026-000042 已提交",
            &["已收到你的退款申请"],
        );
        check(
            MailKind::Submitted,
            En,
            "[Demo Store] Refund request RF-2026-000042 received",
            &["We have received your refund request"],
        );
        check(
            approved_return.clone(),
            ZhCn,
            "[Demo Store] 退款申请 RF-2026-000042 已同意",
            &["商家已同意", "寄回以下地址", "物流单号"],
        );
        check(
            approved_return,
            En,
            "[Demo Store] Refund request RF-2026-000042 approved",
            &[
                "The store approved",
                "send the goods back",
                "tracking number",
            ],
        );
        check(
            approved_refund.clone(),
            ZhCn,
            "[Demo Store] 退款申请 RF-2026-000042 已同意",
            &["商家已同意", "原路退回"],
        );
        check(
            approved_refund,
            En,
            "[Demo Store] Refund request RF-2026-000042 approved",
            &["The store approved", "being paid back"],
        );
        check(
            rejected.clone(),
            ZhCn,
            "[Demo Store] 退款申请 RF-2026-000042 已拒绝",
            &["商家拒绝了你的退款申请", "商品已使用"],
        );
        check(
            rejected,
            En,
            "[Demo Store] Refund request RF-2026-000042 rejected",
            &["the store rejected your refund request", "商品已使用"],
        );
        check(
            message.clone(),
            ZhCn,
            "[Demo Store] 退款申请 RF-2026-000042 有新消息",
            &["发来一条消息", "Could you send a photo?", "回复"],
        );
        check(
            message,
            En,
            "[Demo Store] Refund request RF-2026-000042 has a new message",
            &["sent you a message", "Could you send a photo?", "reply"],
        );
        check(
            refunded(),
            ZhCn,
            "[Demo Store] 退款申请 RF-2026-000042 已退款",
            &["退款已完成", "支付宝", "积分"],
        );
        check(
            refunded(),
            En,
            "[Demo Store] Refund request RF-2026-000042 refunded",
            &["refund is done", "Alipay", "Points"],
        );
        check(
            MailKind::Closed,
            ZhCn,
            "[Demo Store] 退款申请 RF-2026-000042 已关闭",
            &["已关闭"],
        );
        check(
            MailKind::Closed,
            En,
            "[Demo Store] Refund request RF-2026-000042 closed",
            &["is closed"],
        );
    }

    #[test]
    fn a_message_from_the_store_is_escaped_in_the_html_and_verbatim_in_the_text() {
        let kind = MailKind::Message {
            body: HOSTILE.to_owned(),
        };
        for lang in Lang::ALL {
            let email = render(&kind, &facts("Demo Store"), lang, TO);
            assert!(email.text.contains(HOSTILE), "{}", email.text);
            assert!(email.html.contains(HOSTILE_ESCAPED), "{}", email.html);
            assert!(!email.html.contains("<script"), "{}", email.html);
        }
    }

    #[test]
    fn nothing_a_person_typed_reaches_the_html_unescaped() {
        let hostile_address = ReturnTo {
            recipient: HOSTILE.to_owned(),
            phone: HOSTILE.to_owned(),
            address: HOSTILE.to_owned(),
            instructions: Some(HOSTILE.to_owned()),
        };
        let kinds = [
            MailKind::Rejected {
                reason: HOSTILE.to_owned(),
            },
            MailKind::Approved {
                ship_by: None,
                return_to: Some(hostile_address),
            },
            MailKind::Closed,
        ];
        for kind in &kinds {
            for lang in Lang::ALL {
                let email = render(kind, &facts(HOSTILE), lang, TO);
                assert!(!email.html.contains("<script"), "{}", email.html);
                assert!(!email.html.contains("\"x\""), "{}", email.html);
                assert!(email.html.contains(HOSTILE_ESCAPED), "{}", email.html);
            }
        }
    }

    #[test]
    fn the_html_loads_nothing_from_elsewhere() {
        let kinds = [
            MailKind::Submitted,
            MailKind::Approved {
                ship_by: Some(ship_by()),
                return_to: Some(return_to()),
            },
            refunded(),
        ];
        for kind in &kinds {
            for lang in Lang::ALL {
                let html = render(kind, &facts("Demo Store"), lang, TO).html;
                for external in ["<img", "src=", "url(", "<link", "<script", "<style"] {
                    assert!(!html.contains(external), "{external} in\n{html}");
                }
            }
        }
    }

    #[test]
    fn a_refund_shows_the_total_and_each_payment_as_the_core_formats_them() {
        for lang in Lang::ALL {
            let email = render(&refunded(), &facts("Demo Store"), lang, TO);
            for (method, amount) in [
                (None, "1234.50"),
                (Some(PaymentMethod::Alipay), "1000.00"),
                (Some(PaymentMethod::Points), "234.50"),
            ] {
                let formatted = format_money(amount.parse().unwrap(), Currency::Cny, lang);
                let line = match method {
                    Some(method) => format!(
                        "{}{}{formatted}",
                        method_label(method, lang),
                        say(lang, "：", ": ")
                    ),
                    None => formatted.clone(),
                };
                assert!(email.text.contains(&line), "{line} in\n{}", email.text);
                assert!(
                    email.html.contains(&formatted),
                    "{formatted} in\n{}",
                    email.html
                );
            }
        }
        let zh = render(&refunded(), &facts("Demo Store"), Lang::ZhCn, TO);
        assert!(zh.text.contains("共退回 ¥1,234.50"), "{}", zh.text);
        let en = render(&refunded(), &facts("Demo Store"), Lang::En, TO);
        assert!(en.text.contains("CN¥1,234.50 in total"), "{}", en.text);
    }

    #[test]
    fn an_approved_return_shows_where_to_send_the_goods_and_by_when_in_the_stores_offset() {
        let kind = MailKind::Approved {
            ship_by: Some(ship_by()),
            return_to: Some(return_to()),
        };
        let zh = render(&kind, &facts("Demo Store"), Lang::ZhCn, TO);
        for line in [
            "请在 2026年11月20日 14:05 (UTC+08:00) 前将商品寄回",
            "收件人：王仓库",
            "电话：+86 21 5555 0100",
            "地址：上海市浦东新区世纪大道 100 号\n3 号门",
            "商家说明：请勿到付",
        ] {
            assert!(zh.text.contains(line), "{line} in\n{}", zh.text);
        }
        assert!(
            zh.html.contains("上海市浦东新区世纪大道 100 号<br>3 号门"),
            "{}",
            zh.html
        );
        let en = render(&kind, &facts("Demo Store"), Lang::En, TO);
        for line in [
            "by 20 Nov 2026, 14:05 (UTC+08:00)",
            "Recipient: 王仓库",
            "Phone: +86 21 5555 0100",
            "From the store: 请勿到付",
        ] {
            assert!(en.text.contains(line), "{line} in\n{}", en.text);
        }
        assert!(
            en.html.contains("20 Nov 2026, 14:05 (UTC+08:00)"),
            "{}",
            en.html
        );
    }

    #[test]
    fn escape_replaces_the_five_characters_that_mean_something_in_html() {
        assert_eq!(
            escape(r#"a&b<c>d"e'f 退款"#),
            "a&amp;b&lt;c&gt;d&quot;e&#39;f 退款"
        );
    }
}
