//! What the status view shows of a recorded request beyond its state: the items asked for, the
//! rejection in the shopper's language, where the goods go back and with which carrier, what was
//! paid out, and the thread with the merchant (协商). Plain functions, tested natively.

use chrono::{DateTime, FixedOffset, Utc};
use refund_api::{
    Author, DeadlineView, HistoryEvent, MAX_MESSAGE_CHARS, MAX_MESSAGE_PHOTOS, MessageView,
    NewMessage, PayoutRecord, ReturnTo, Thread,
};
use refund_core::messages::{self, Lang};
use refund_core::{DeadlineKind, State};
use serde::de::IgnoredAny;

use super::{Loaded, RequestView, format_time};
use crate::texts::{self, desk_texts};

/// The items the request asks for, by title: `T恤 × 2、袜子 × 1`.
pub fn requested_items(view: &RequestView, lang: Lang) -> String {
    view.lines
        .iter()
        .map(|l| format!("{} × {}", l.title, l.quantity))
        .collect::<Vec<_>>()
        .join(desk_texts(lang).list_sep)
}

/// Why the merchant rejected the request: a template's text in the shopper's language, else the
/// reason as the merchant wrote it.
pub fn rejection(view: &RequestView, lang: Lang) -> Option<String> {
    view.reject_reason_text
        .as_ref()
        .map(|text| text.pick(lang))
        .filter(|text| !text.trim().is_empty())
        .or(view.reject_reason.as_deref())
        .filter(|text| !text.trim().is_empty())
        .map(str::to_owned)
}

/// Where the goods go back: while the shopper is to send them and once they are on their way.
pub fn return_address(view: &RequestView) -> Option<&ReturnTo> {
    view.return_to
        .as_ref()
        .filter(|_| view.kind.returns_goods())
        .filter(|_| matches!(view.state, State::Approved | State::ReturnShipped))
}

/// The address in one line, as courier apps take it when pasted: recipient, phone, address.
pub fn address_to_copy(to: &ReturnTo) -> String {
    [&to.recipient, &to.phone, &to.address]
        .into_iter()
        .map(|part| part.trim())
        .filter(|part| !part.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// The carriers offered for the parcel back; `Other` lets the shopper type one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Carrier {
    Sf,
    Zto,
    Yto,
    Yunda,
    Sto,
    Jd,
    ChinaPost,
    Jt,
    Other,
}

impl Carrier {
    pub const ALL: [Carrier; 9] = [
        Carrier::Sf,
        Carrier::Zto,
        Carrier::Yto,
        Carrier::Yunda,
        Carrier::Sto,
        Carrier::Jd,
        Carrier::ChinaPost,
        Carrier::Jt,
        Carrier::Other,
    ];

    /// The option's value in the select.
    pub fn code(self) -> &'static str {
        match self {
            Carrier::Sf => "sf",
            Carrier::Zto => "zto",
            Carrier::Yto => "yto",
            Carrier::Yunda => "yunda",
            Carrier::Sto => "sto",
            Carrier::Jd => "jd",
            Carrier::ChinaPost => "china_post",
            Carrier::Jt => "jt",
            Carrier::Other => "other",
        }
    }

    pub fn from_code(code: &str) -> Option<Carrier> {
        Carrier::ALL.into_iter().find(|c| c.code() == code)
    }

    pub fn label(self, lang: Lang) -> &'static str {
        texts::carrier_label(self.code(), lang)
    }

    /// What the server records for a listed carrier: its Chinese and English names together
    /// (`顺丰速运 SF Express`), the same whichever language the shopper used, so the merchant
    /// reads it either way and sees one spelling per carrier.
    fn recorded(self) -> Option<String> {
        (self != Carrier::Other)
            .then(|| format!("{} {}", self.label(Lang::ZhCn), self.label(Lang::En)))
    }
}

/// The carrier and tracking number to send, trimmed, or `None` while either is missing.
pub fn shipment(carrier: Option<Carrier>, other: &str, tracking: &str) -> Option<(String, String)> {
    let carrier = match carrier? {
        Carrier::Other => Some(other.trim().to_owned()).filter(|c| !c.is_empty()),
        listed => listed.recorded(),
    }?;
    let tracking = tracking.trim();
    (!tracking.is_empty()).then(|| (carrier, tracking.to_owned()))
}

/// A recorded carrier in the shopper's language when it is one of the list, else as typed.
pub fn carrier_shown(recorded: &str, lang: Lang) -> String {
    Carrier::ALL
        .into_iter()
        .find(|c| c.recorded().as_deref() == Some(recorded))
        .map_or_else(|| recorded.to_owned(), |c| c.label(lang).to_owned())
}

/// A recorded payout as the shopper reads it.
#[derive(Clone, Debug, PartialEq)]
pub struct PayoutShown {
    /// Each payment method, what went back to it, and when it usually arrives.
    pub rows: Vec<(String, String, &'static str)>,
    /// What the merchant kept back (negative) and why.
    pub deduction: Option<(String, String)>,
    pub total: String,
    pub reference: Option<String>,
}

impl Loaded {
    /// What was paid back, per payment of the order, with any deduction and the reference.
    pub fn payout(&self, record: &PayoutRecord, lang: Lang) -> PayoutShown {
        let payments = self.order.payments();
        let currency = self.order.currency();
        PayoutShown {
            rows: record
                .payouts
                .iter()
                .map(|p| {
                    let payment = usize::try_from(p.payment)
                        .ok()
                        .and_then(|i| payments.get(i));
                    let method = payment.map_or_else(
                        || {
                            format!(
                                "{} {}",
                                desk_texts(lang).payment,
                                p.payment.saturating_add(1)
                            )
                        },
                        |payment| messages::method_label(payment.method(), lang).to_owned(),
                    );
                    let arrives =
                        payment.map_or("", |payment| texts::arrival(payment.method(), lang));
                    (method, self.money(p.amount, lang), arrives)
                })
                .collect(),
            deduction: record.deduction.as_ref().map(|d| {
                (
                    messages::format_money(-d.amount.0, currency, lang),
                    d.reason.clone(),
                )
            }),
            total: self.money(record.total, lang),
            reference: record
                .reference
                .as_deref()
                .map(str::trim)
                .filter(|r| !r.is_empty())
                .map(str::to_owned),
        }
    }
}

/// Whether the request still shows money: one that ended without a refund (rejected,
/// cancelled, closed) shows none, so no amount reads as coming; an exchange moves none.
pub fn shows_money(view: &RequestView) -> bool {
    view.kind != refund_core::RequestKind::Exchange
        && !matches!(
            view.state,
            State::Rejected | State::Cancelled | State::Closed
        )
}

/// What an ended request without a refund leaves the shopper to do.
pub fn next_step(view: &RequestView, lang: Lang) -> Option<&'static str> {
    let t = desk_texts(lang);
    match view.state {
        State::Rejected => Some(t.rejected_next),
        State::Cancelled => Some(t.cancelled_next),
        State::Closed => Some(t.closed_next),
        _ => None,
    }
}

/// A payout deadline that has passed: the state stays as it is, so the shopper is told the
/// merchant is late rather than shown a countdown stuck at zero.
pub fn payout_overdue(deadline: &DeadlineView, now: DateTime<Utc>) -> bool {
    deadline.kind == DeadlineKind::Payout && deadline.at <= now
}

/// A deadline that has passed and will move the request on: worth re-reading it soon.
pub fn deadline_moves(deadline: &DeadlineView, now: DateTime<Utc>) -> bool {
    deadline.kind != DeadlineKind::Payout && deadline.at <= now
}

/// The steps the timeline lists: messages are in the thread, not among the steps.
pub fn timeline_steps(
    history: &[HistoryEvent<IgnoredAny>],
) -> impl Iterator<Item = &HistoryEvent<IgnoredAny>> {
    history
        .iter()
        .filter(|e| e.action != "message" && e.action != "assign")
}

/// One message as the thread shows it.
#[derive(Clone, Debug, PartialEq)]
pub struct MessageRow {
    pub id: String,
    /// The shopper wrote it.
    pub mine: bool,
    /// Plain text, shown as text.
    pub body: String,
    pub photos: Vec<String>,
    /// The merchant asks for photos in it.
    pub asks_for_photos: bool,
    pub at: DateTime<Utc>,
}

/// The thread, oldest first.
pub fn message_rows(thread: &Thread) -> Vec<MessageRow> {
    let mut messages: Vec<&MessageView> = thread.messages.iter().collect();
    // The server sends them oldest first; an insertion sort keeps that in one pass (and weighs
    // less in the download than the standard library's sort).
    for i in 1..messages.len() {
        let mut j = i;
        while j > 0 && messages[j - 1].at > messages[j].at {
            messages.swap(j - 1, j);
            j -= 1;
        }
    }
    messages
        .into_iter()
        .map(|m| {
            let mine = m.author == Author::Shopper;
            MessageRow {
                id: m.id.clone(),
                mine,
                body: m.body.clone(),
                photos: m.photos.clone(),
                asks_for_photos: m.asks_for_photos && !mine,
                at: m.at,
            }
        })
        .collect()
}

/// Who wrote a message and when, in the shopper's offset and language: `商家 · 2026年11月20日 12:00`.
pub fn message_meta(row: &MessageRow, offset: FixedOffset, lang: Lang) -> String {
    let t = desk_texts(lang);
    format!(
        "{} · {}",
        if row.mine { t.me } else { t.merchant },
        format_time(row.at, offset, lang)
    )
}

/// Whether the merchant's latest message asks for photos (a later reply with photos answers it).
pub fn photos_asked(thread: &Thread) -> bool {
    let latest = |author| {
        thread
            .messages
            .iter()
            .filter(move |m| m.author == author)
            .max_by_key(|m| m.at)
    };
    match (latest(Author::Merchant), latest(Author::Shopper)) {
        (Some(asked), answer) if asked.asks_for_photos => {
            !answer.is_some_and(|a| a.at >= asked.at && !a.photos.is_empty())
        }
        _ => false,
    }
}

/// What the thread section shows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ThreadShown {
    Closed,
    Loading,
    /// The read failed and nothing was read before: why, and a retry.
    Failed,
    Empty,
    Messages,
}

pub fn thread_shown(open: bool, thread: Option<&Thread>, failed: bool) -> ThreadShown {
    match thread {
        _ if !open => ThreadShown::Closed,
        Some(t) if t.messages.is_empty() => ThreadShown::Empty,
        Some(_) => ThreadShown::Messages,
        None if failed => ThreadShown::Failed,
        None => ThreadShown::Loading,
    }
}

/// The unread count on a request, until its thread is open: `3`, or `99+`.
pub fn unread_badge(unread: u32, open: bool) -> Option<String> {
    match unread {
        _ if open => None,
        0 => None,
        1..=99 => Some(unread.to_string()),
        _ => Some("99+".to_owned()),
    }
}

/// Why a reply cannot be sent as it is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReplyProblem {
    /// Photos are still uploading.
    Uploading,
    /// No text and no photo.
    Empty,
    TooLong,
    TooManyPhotos,
}

/// The message to send, checked as the server checks it.
pub fn reply(body: &str, photos: Vec<String>, uploading: bool) -> Result<NewMessage, ReplyProblem> {
    let body = body.trim();
    if uploading {
        Err(ReplyProblem::Uploading)
    } else if body.is_empty() && photos.is_empty() {
        Err(ReplyProblem::Empty)
    } else if body.chars().count() > MAX_MESSAGE_CHARS {
        Err(ReplyProblem::TooLong)
    } else if photos.len() > MAX_MESSAGE_PHOTOS {
        Err(ReplyProblem::TooManyPhotos)
    } else {
        Ok(NewMessage {
            body: body.to_owned(),
            photos,
            asks_for_photos: false,
        })
    }
}

/// After an answer was lost: whether the thread, re-read, holds the message among those after
/// the first `known`, so it is not sent twice.
pub fn delivered(thread: &Thread, sent: &NewMessage, known: usize) -> bool {
    thread.messages.iter().skip(known).any(|m| {
        m.author == Author::Shopper && m.body.trim() == sent.body && m.photos == sent.photos
    })
}

/// What to tell the shopper about a reply that cannot be sent.
pub fn reply_problem_text(problem: ReplyProblem, lang: Lang) -> &'static str {
    let t = desk_texts(lang);
    match problem {
        ReplyProblem::Uploading => texts::texts(lang).wait_uploads,
        ReplyProblem::Empty => t.reply_empty,
        ReplyProblem::TooLong => t.reply_too_long,
        ReplyProblem::TooManyPhotos => t.message_too_many,
    }
}
