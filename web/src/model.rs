//! What the widget knows and decides, free of the DOM, so it is unit-tested natively.
//!
//! The server's order view is parsed once into [`Loaded`] (checked domain types from the core);
//! the shopper's choices are a serialisable [`Draft`]. Everything the form shows (which kinds and
//! reasons are offered, each line's status, the live quote and its explanation) is a pure
//! function of those two and the server-aligned clock, computed by the same core the server uses.

use chrono::{DateTime, FixedOffset, TimeDelta, Utc};
use litemap::LiteMap;
use refund_api::{ComponentSummary, QuoteSummary, RequestedLine, ShopperRequest};
use refund_core::messages::{self, Lang};
use refund_core::wire::{DecimalStr, RequestLineWire, RequestWire};
use refund_core::{
    Code, Component, Context, InputError, Ledger, Line, LineIndex, Order, Outcome, Policy, Quote,
    Reason, RefundRequest, RequestKind, SplitLine, line_codes, outcome_of, quote,
};
use serde::de::IgnoredAny;
use serde::{Deserialize, Serialize};

mod recorded;
pub use recorded::*;

/// Evidence images: what the server accepts, checked before uploading.
pub const IMAGE_TYPES: [&str; 3] = ["image/jpeg", "image/png", "image/webp"];
pub const MAX_IMAGE_BYTES: f64 = 5.0 * 1024.0 * 1024.0;
pub const MAX_IMAGES: usize = 9;

/// `GET /order`, its recorded quotes read for their amounts only.
pub type OrderResponse = refund_api::OrderView<QuoteSummary, IgnoredAny>;

/// A recorded request as the server shows it, its quote read for its amounts only (parsing the
/// engine's whole `Quote`, 26 tagged codes, would add about 90 KB to every shopper's download
/// for text the request's state already conveys) and its steps without their details.
pub type RequestView = refund_api::RequestView<QuoteSummary, IgnoredAny>;

/// The server's clock as seen from the browser: the core judges windows at the server's "now",
/// so a shopper whose phone clock is wrong still sees what the server will decide.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ServerClock {
    offset: TimeDelta,
}

impl ServerClock {
    pub fn new(server_time: DateTime<Utc>, local_now: DateTime<Utc>) -> ServerClock {
        ServerClock {
            offset: server_time - local_now,
        }
    }

    pub fn now(self, local_now: DateTime<Utc>) -> DateTime<Utc> {
        local_now + self.offset
    }
}

/// The order view parsed into the core's checked types.
#[derive(Clone, Debug)]
pub struct Loaded {
    pub order: Order,
    pub policy: Policy,
    pub ledger: Ledger,
    pub recent_requests: u32,
    pub requests: Vec<RequestView>,
    pub clock: ServerClock,
}

impl Loaded {
    pub fn new(response: OrderResponse, local_now: DateTime<Utc>) -> Result<Loaded, InputError> {
        let order = Order::new(&response.order)?;
        let policy = Policy::new(&response.policy)?;
        let ledger = Ledger::from_wire(&order, &response.ledger)?;
        // The server lists them oldest first (`OrderView`'s contract); the shopper reads the
        // newest first. Reversing, not sorting, spares the download a sort for this type.
        let mut requests = response.requests;
        requests.reverse();
        Ok(Loaded {
            order,
            policy,
            ledger,
            recent_requests: response.recent_requests,
            requests,
            clock: ServerClock::new(response.server_time, local_now),
        })
    }

    /// The kinds the policy enables and the order's state allows: goods can only travel back
    /// once they have arrived.
    pub fn kinds(&self) -> Vec<RequestKind> {
        RequestKind::ALL
            .into_iter()
            .filter(|&kind| self.policy.kind_enabled(kind))
            .filter(|kind| !kind.returns_goods() || self.order.delivered_at().is_some())
            .collect()
    }

    /// The reasons the merchant enables that fit the order as it stands, with their (possibly
    /// renamed) labels.
    pub fn reasons(&self, lang: Lang) -> Vec<(Reason, String)> {
        Reason::ALL
            .into_iter()
            .filter(|&reason| self.policy.reason_enabled(reason))
            .filter(|&reason| refund_core::reason_fits(&self.order, reason))
            .map(|reason| (reason, self.reason_label(reason, lang)))
            .collect()
    }

    pub fn reason_label(&self, reason: Reason, lang: Lang) -> String {
        self.policy
            .reason_label(reason, lang)
            .unwrap_or_else(|| messages::reason_label(reason, lang))
            .to_owned()
    }

    pub fn money(&self, amount: DecimalStr, lang: Lang) -> String {
        messages::format_money(amount.0, self.order.currency(), lang)
    }

    /// Until when a no-reason return (无理由退货) can be asked for, or when it ended: the last
    /// minute of the window's last day in the merchant's zone, which defines it. The zone is
    /// named only when it is not the shopper's (`shopper`). `None` before delivery or when the
    /// store offers no such returns.
    pub fn no_reason_window(
        &self,
        now: DateTime<Utc>,
        shopper: FixedOffset,
        lang: Lang,
    ) -> Option<String> {
        let delivered = self.order.delivered_at()?;
        let days = self.policy.no_reason_days();
        if days == 0 || !self.policy.reason_enabled(Reason::ChangedMind) {
            return None;
        }
        let end = self.policy.window_end(delivered, days)?;
        let last = self
            .policy
            .window_last_day(delivered, days)?
            .and_hms_opt(23, 59, 0)?;
        let merchant = self.policy.offset();
        let when = if merchant == shopper {
            messages::format_local(last, lang)
        } else {
            messages::format_datetime(last.and_local_timezone(merchant).single()?, lang)
        };
        let t = crate::texts::texts(lang);
        let lead = if now < end {
            t.no_reason_until
        } else {
            t.no_reason_ended
        };
        Some(format!("{lead} {when}"))
    }

    pub fn delivery(&self) -> Delivery {
        if self.order.delivered_at().is_some() {
            Delivery::Delivered
        } else if self.order.shipped_at().is_some() {
            Delivery::InTransit
        } else {
            Delivery::NotShipped
        }
    }

    fn lines(&self) -> impl Iterator<Item = (LineIndex, &Line)> {
        self.order
            .line_indices()
            .filter_map(|index| Some((index, self.order.get_line(index)?)))
    }

    /// Each line with what is left of it and whether it can be chosen for this draft now.
    pub fn rows(&self, draft: &Draft, now: DateTime<Utc>, lang: Lang) -> Vec<LineRow> {
        let kind = draft.kind.or_else(|| self.kinds().first().copied());
        self.lines()
            .map(|(index, line)| {
                let available = self.ledger.available(&self.order, index);
                let wanted = draft.quantity(line.id());
                let probe = wanted.clamp(1, available.max(1));
                // With no kind possible at all the form says so once; lines just cannot be chosen.
                let codes = kind.map_or_else(Vec::new, |kind| {
                    self.line_verdict(kind, draft.reason, index, probe, now)
                });
                let outcome = match kind {
                    Some(_) => outcome_of(&codes),
                    None => Outcome::Ineligible,
                };
                let selectable = available > 0 && outcome != Outcome::Ineligible;
                let currency = self.order.currency();
                // A used-up line was probed with one unit the shopper never chose; say it is
                // used up rather than repeat the probe's "you chose 1".
                let used_up = (available == 0).then(|| crate::texts::texts(lang).line_used_up);
                let codes = codes.into_iter().filter(|code| {
                    available > 0 || !matches!(code, Code::QuantityExceedsAvailable { .. })
                });
                LineRow {
                    id: line.id().to_owned(),
                    title: line.title().to_owned(),
                    sku: line.sku().to_owned(),
                    unit_price: messages::format_money(line.unit_price().amount(), currency, lang),
                    ordered: line.quantity(),
                    available,
                    chosen: if selectable { wanted.min(available) } else { 0 },
                    outcome,
                    messages: used_up
                        .map(str::to_owned)
                        .into_iter()
                        .chain(
                            codes.map(|code| messages::shopper_code_message(&code, lang, currency)),
                        )
                        .collect(),
                    selectable,
                    gift: line.is_gift(),
                    image_url: line.image_url().map(str::to_owned),
                    variants: if kind == Some(RequestKind::Exchange) {
                        line.variants()
                            .iter()
                            .map(|v| VariantChoice {
                                sku: v.sku().to_owned(),
                                title: v.title().to_owned(),
                                in_stock: v.in_stock(),
                            })
                            .collect()
                    } else {
                        Vec::new()
                    },
                    exchange_for: draft
                        .exchange_for
                        .get(line.id())
                        .filter(|_| kind == Some(RequestKind::Exchange))
                        .filter(|sku| line.variant(sku).is_some_and(|v| v.in_stock()))
                        .cloned(),
                }
            })
            .collect()
    }

    /// A line's codes for one reason, or, before a reason is chosen, for the reason that treats
    /// it best: the shopper sees whether *some* reason would let it go back.
    fn line_verdict(
        &self,
        kind: RequestKind,
        reason: Option<Reason>,
        index: LineIndex,
        quantity: u32,
        now: DateTime<Utc>,
    ) -> Vec<Code> {
        let codes_for = |reason| {
            line_codes(
                &self.order,
                &self.policy,
                &self.ledger,
                kind,
                reason,
                index,
                quantity,
                now,
            )
        };
        match reason {
            Some(reason) => codes_for(reason),
            None => Reason::ALL
                .into_iter()
                .filter(|&reason| self.policy.reason_enabled(reason))
                .map(codes_for)
                .min_by_key(|codes| outcome_of(codes))
                .unwrap_or_default(),
        }
    }

    /// The request the draft describes: only lines that can be chosen, at most what is left.
    pub fn request_wire(&self, draft: &Draft, now: DateTime<Utc>) -> Option<RequestWire> {
        let kind = draft.kind?;
        let reason = draft.reason?;
        let lines: Vec<RequestLineWire> = self
            .rows(draft, now, Lang::En)
            .into_iter()
            .filter(|row| row.chosen > 0)
            .map(|row| RequestLineWire {
                line_id: row.id,
                quantity: row.chosen,
                exchange_for: row.exchange_for,
            })
            .collect();
        (!lines.is_empty()).then(|| RequestWire {
            kind,
            reason,
            lines,
            note: draft.note.trim().to_owned(),
            evidence_files: u32::try_from(draft.evidence.len()).unwrap_or(u32::MAX),
            // Only where the rules ask for it, so a tick left from another reason is not sent.
            goods_intact: draft.goods_intact && self.needs_intact(draft),
        })
    }

    /// The live quote, computed in the browser by the same core as the server.
    pub fn quote(&self, draft: &Draft, now: DateTime<Utc>) -> LiveQuote {
        if draft.kind.is_none() {
            return LiveQuote::NeedKind;
        }
        if draft.reason.is_none() {
            return LiveQuote::NeedReason;
        }
        let Some(wire) = self.request_wire(draft, now) else {
            return LiveQuote::NeedLines;
        };
        let context = Context {
            now,
            recent_requests: self.recent_requests,
        };
        match RefundRequest::new(&self.order, &wire)
            .and_then(|request| quote(&self.order, &self.policy, &self.ledger, &request, context))
        {
            Ok(quote) => LiveQuote::Ready(Box::new(quote)),
            Err(error) => LiveQuote::Invalid(error),
        }
    }

    /// The body to submit for a quote the shopper has seen.
    pub fn submission(
        &self,
        draft: &Draft,
        now: DateTime<Utc>,
        seen: &Quote,
    ) -> Option<ShopperRequest> {
        let wire = self.request_wire(draft, now)?;
        Some(ShopperRequest {
            kind: wire.kind,
            reason: wire.reason,
            lines: wire.lines,
            note: wire.note,
            evidence: draft.evidence.clone(),
            goods_intact: wire.goods_intact,
            expected_total: Some(seen.total),
            expected_outcome: Some(seen.outcome),
            expected_split: Some(seen.split.clone()),
        })
    }

    /// Whether the shopper must confirm the goods are intact (商品完好) for this draft.
    pub fn needs_intact(&self, draft: &Draft) -> bool {
        matches!((draft.kind, draft.reason), (Some(kind), Some(reason))
            if kind.returns_goods() && reason.fault() == refund_core::Fault::Shopper)
    }

    /// How many photos the reason needs, when it needs any.
    pub fn evidence_needed(&self, draft: &Draft) -> Option<u32> {
        let (kind, reason) = (draft.kind?, draft.reason?);
        let unshipped_refund = kind == RequestKind::RefundOnly && self.order.shipped_at().is_none();
        let needed = self.policy.min_evidence_files();
        (self.policy.evidence_required(reason) && !unshipped_refund && needed > 0).then_some(needed)
    }

    /// The breakdown a shopper reads: one row per component, each with its explanation.
    pub fn breakdown(&self, quote: &Quote, lang: Lang) -> Breakdown {
        let b = self.breakdown_of(
            &quote.components,
            &quote.split,
            quote.total,
            lang,
            quote.outcome,
            &quote.codes,
        );
        let currency = self.order.currency();
        // The line list shows what the rules say of each line; what only the quote knows of a
        // line (the variant of an exchange) is said here, naming the line.
        let line_notes = quote.lines.iter().flat_map(|l| {
            let title = self.line_title(&l.line_id);
            l.codes
                .iter()
                .filter(|code| {
                    matches!(
                        code,
                        Code::ExchangeChoiceMissing | Code::VariantOutOfStock { .. }
                    )
                })
                .map(move |code| {
                    format!(
                        "{title}{}{}",
                        crate::texts::texts(lang).colon,
                        messages::shopper_code_message(code, lang, currency)
                    )
                })
        });
        let notes = line_notes.chain(b.notes.iter().cloned()).collect();
        Breakdown {
            to_finish: to_finish(quote),
            notes,
            exchanges: quote
                .lines
                .iter()
                .filter_map(|l| {
                    let variant = l.exchange_for.as_ref()?;
                    let line = self.order.get_line(self.order.line_index(&l.line_id)?)?;
                    Some(exchange(line.title(), l.quantity, &variant.title))
                })
                .collect(),
            ..b
        }
    }

    /// The title the order gives a line, or its id for a line the order does not have.
    fn line_title<'a>(&'a self, line_id: &'a str) -> &'a str {
        self.order
            .line_index(line_id)
            .and_then(|i| self.order.get_line(i))
            .map_or(line_id, Line::title)
    }

    /// A recorded request's breakdown; its state, not a verdict, says where it stands.
    pub fn recorded_breakdown(
        &self,
        quote: &QuoteSummary,
        lines: &[RequestedLine],
        lang: Lang,
    ) -> Breakdown {
        let components: Vec<Component> = quote
            .components
            .iter()
            .filter_map(ComponentSummary::component)
            .collect();
        let b = self.breakdown_of(
            &components,
            &quote.split,
            quote.total,
            lang,
            Outcome::Eligible,
            &[],
        );
        Breakdown {
            exchanges: lines
                .iter()
                .filter_map(|l| {
                    Some(exchange(
                        &l.title,
                        l.quantity,
                        &l.exchange_for.as_ref()?.title,
                    ))
                })
                .collect(),
            ..b
        }
    }

    fn breakdown_of(
        &self,
        components: &[Component],
        split: &[SplitLine],
        total: DecimalStr,
        lang: Lang,
        outcome: Outcome,
        codes: &[Code],
    ) -> Breakdown {
        let currency = self.order.currency();
        let rows = components
            .iter()
            .map(|component| {
                let amount = component.amount();
                let label = match component {
                    Component::Item {
                        line_id, quantity, ..
                    } => {
                        let title = self.line_title(line_id);
                        format!("{title} × {quantity}")
                    }
                    other => crate::texts::component_title(other.name(), lang).to_owned(),
                };
                BreakdownRow {
                    code: component.name(),
                    label,
                    explanation: messages::component_message(component, lang, currency),
                    amount: self.money(amount, lang),
                    negative: amount.0.is_sign_negative() && !amount.0.is_zero(),
                }
            })
            .collect();
        Breakdown {
            rows,
            total: self.money(total, lang),
            split: split
                .iter()
                .map(|s| SplitRow {
                    method: messages::method_label(s.method, lang).to_owned(),
                    amount: self.money(s.amount, lang),
                    in_kind: s.in_kind,
                })
                .collect(),
            outcome,
            to_finish: false,
            exchanges: Vec::new(),
            notes: codes
                .iter()
                .map(|code| messages::shopper_code_message(code, lang, currency))
                .collect(),
        }
    }
}

/// One exchanged line: what goes back and what comes instead.
fn exchange(title: &str, quantity: u32, instead: &str) -> String {
    format!("{title} × {quantity} → {instead}")
}

/// Whether only steps of the form (intact goods, photos, a note, the variant of an exchange)
/// keep the request from its verdict: nothing the rules refuse, on the request or on any line.
pub fn to_finish(quote: &Quote) -> bool {
    let refused = |codes: &[Code]| {
        codes
            .iter()
            .any(|code| code.outcome() == Outcome::Ineligible && !code.is_step())
    };
    let mut every_code = quote
        .codes
        .iter()
        .chain(quote.lines.iter().flat_map(|l| &l.codes));
    quote.outcome == Outcome::Ineligible
        && every_code.any(Code::is_step)
        && !refused(&quote.codes)
        && quote.lines.iter().all(|l| !refused(&l.codes))
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Delivery {
    NotShipped,
    InTransit,
    Delivered,
}

#[derive(Clone, Debug, PartialEq)]
pub struct LineRow {
    pub id: String,
    pub title: String,
    pub sku: String,
    pub unit_price: String,
    pub ordered: u32,
    pub available: u32,
    /// What the draft asks for, shown as 0 while the line cannot be chosen.
    pub chosen: u32,
    pub outcome: Outcome,
    /// Why the line cannot go back, or why it needs review, in the shopper's language.
    pub messages: Vec<String>,
    pub selectable: bool,
    pub gift: bool,
    pub image_url: Option<String>,
    /// What the line can be exchanged for, listed while the draft is an exchange.
    pub variants: Vec<VariantChoice>,
    /// The in-stock variant the draft exchanges the line for, while the draft is an exchange.
    pub exchange_for: Option<String>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct VariantChoice {
    pub sku: String,
    pub title: String,
    pub in_stock: bool,
}

#[derive(Clone, Debug, PartialEq)]
pub enum LiveQuote {
    NeedKind,
    NeedReason,
    NeedLines,
    Ready(Box<Quote>),
    Invalid(InputError),
}

#[derive(Clone, Debug, PartialEq)]
pub struct Breakdown {
    pub rows: Vec<BreakdownRow>,
    pub total: String,
    pub split: Vec<SplitRow>,
    pub outcome: Outcome,
    /// Only steps of the form stand between the request and its verdict: shown as what is
    /// left to do, not as a refusal.
    pub to_finish: bool,
    /// Request-level codes explained: what blocks it, or why a person reviews it.
    pub notes: Vec<String>,
    /// An exchange's lines, each with what it becomes: `title × quantity → variant`.
    pub exchanges: Vec<String>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct BreakdownRow {
    pub code: &'static str,
    pub label: String,
    pub explanation: String,
    pub amount: String,
    pub negative: bool,
}

#[derive(Clone, Debug, PartialEq)]
pub struct SplitRow {
    pub method: String,
    pub amount: String,
    pub in_kind: bool,
}

/// The shopper's unsent choices, kept in the browser's storage across a reload.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Draft {
    pub kind: Option<RequestKind>,
    pub reason: Option<Reason>,
    #[serde(with = "refund_core::wire::object")]
    pub quantities: ByLine<u32>,
    /// For an exchange: the SKU each line is exchanged for.
    #[serde(with = "refund_core::wire::object")]
    pub exchange_for: ByLine<String>,
    pub note: String,
    /// Ids of evidence images already uploaded.
    pub evidence: Vec<String>,
    pub goods_intact: bool,
    /// Generated on the first submit and reused by every retry until the server answers with the
    /// recorded request, so a submission cut off by the network is never recorded twice.
    pub idempotency_key: Option<String>,
    /// What was sent under that key without a definite answer: a retry, even after a reload,
    /// sends exactly this again.
    pub pending: Option<ShopperRequest>,
}

/// The shopper's choices alone, to tell their edits from the widget's own bookkeeping.
#[derive(Clone, Debug, PartialEq)]
pub struct Choices {
    kind: Option<RequestKind>,
    reason: Option<Reason>,
    quantities: ByLine<u32>,
    exchange_for: ByLine<String>,
    note: String,
    evidence: Vec<String>,
    goods_intact: bool,
}

/// A draft's choice for each line, by line id: a sorted Vec rather than a B-tree, whose code
/// would cost every shopper's download more for a handful of lines. Stored as a JSON object,
/// as the wire's maps are (`refund_core::wire::object`), and as earlier widgets stored it.
pub type ByLine<V> = LiteMap<String, V>;

impl Draft {
    /// A new draft: a delivered order starts as a return (what a shopper who has the goods
    /// usually wants), any other as the first kind offered.
    pub fn for_order(loaded: &Loaded) -> Draft {
        let kinds = loaded.kinds();
        let kind = kinds
            .iter()
            .copied()
            .find(|k| {
                *k == RequestKind::ReturnAndRefund && loaded.delivery() == Delivery::Delivered
            })
            .or_else(|| kinds.first().copied());
        Draft {
            kind,
            ..Draft::default()
        }
    }

    pub fn quantity(&self, line_id: &str) -> u32 {
        self.quantities.get(line_id).copied().unwrap_or(0)
    }

    /// Exchanges the line for the variant with this SKU; an empty SKU takes the choice back.
    pub fn set_exchange(&mut self, line_id: &str, sku: &str) {
        if sku.is_empty() {
            self.exchange_for.remove(line_id);
        } else {
            self.exchange_for.insert(line_id.to_owned(), sku.to_owned());
        }
    }

    /// Sets a line's quantity within `0..=available`.
    pub fn set_quantity(&mut self, line_id: &str, quantity: u32, available: u32) {
        let quantity = quantity.min(available);
        if quantity == 0 {
            self.quantities.remove(line_id);
        } else {
            self.quantities.insert(line_id.to_owned(), quantity);
        }
    }

    /// A draft restored from storage, fitted to the order as it is now: a kind or reason the
    /// policy no longer offers is dropped (the first offered kind is chosen instead).
    pub fn fitted(mut self, loaded: &Loaded) -> Draft {
        let kinds = loaded.kinds();
        if !self.kind.is_some_and(|k| kinds.contains(&k)) {
            self.kind = kinds.first().copied();
        }
        if !self.reason.is_some_and(|r| {
            loaded.policy.reason_enabled(r) && refund_core::reason_fits(&loaded.order, r)
        }) {
            self.reason = None;
        }
        self
    }

    pub fn choices(&self) -> Choices {
        Choices {
            kind: self.kind,
            reason: self.reason,
            quantities: self.quantities.clone(),
            exchange_for: self.exchange_for.clone(),
            note: self.note.clone(),
            evidence: self.evidence.clone(),
            goods_intact: self.goods_intact,
        }
    }

    /// What to send and under which key: an unanswered earlier attempt exactly as it was sent,
    /// else `body` under the key already in use or a `fresh` one. Either way it stays pending
    /// until [`Draft::settle`].
    pub fn begin_submit(
        &mut self,
        body: ShopperRequest,
        fresh: impl FnOnce() -> String,
    ) -> (ShopperRequest, String) {
        let key = self.idempotency_key.get_or_insert_with(fresh).clone();
        let body = self.pending.get_or_insert(body).clone();
        (body, key)
    }

    /// The server answered definitely (recorded or refused): the next submit is a new one.
    pub fn settle(&mut self) {
        self.pending = None;
        self.idempotency_key = None;
    }
}

/// Why a chosen file is refused before any upload.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileProblem {
    NotAnImage,
    TooLarge,
    TooMany,
}

/// What photos are for, which sets how many go together.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PhotoUse {
    /// Evidence for a new request: at most [`MAX_IMAGES`].
    Request,
    /// Photos in a message to the merchant: at most [`refund_api::MAX_MESSAGE_PHOTOS`].
    Message,
}

impl PhotoUse {
    pub fn max(self) -> usize {
        match self {
            PhotoUse::Request => MAX_IMAGES,
            PhotoUse::Message => refund_api::MAX_MESSAGE_PHOTOS,
        }
    }
}

pub fn check_file(mime: &str, bytes: f64, already: usize) -> Result<(), FileProblem> {
    check_photo(PhotoUse::Request, mime, bytes, already)
}

/// A chosen file checked for `purpose`, with `already` photos chosen before it.
pub fn check_photo(
    purpose: PhotoUse,
    mime: &str,
    bytes: f64,
    already: usize,
) -> Result<(), FileProblem> {
    if already >= purpose.max() {
        Err(FileProblem::TooMany)
    } else if !IMAGE_TYPES.contains(&mime) {
        Err(FileProblem::NotAnImage)
    } else if bytes > MAX_IMAGE_BYTES {
        Err(FileProblem::TooLarge)
    } else {
        Ok(())
    }
}

/// Time left on a deadline: `2天 3小时` / `2 d 3 h` beyond a day, `05:07:09` within one.
pub fn format_remaining(seconds: i64, lang: Lang) -> String {
    let s = seconds.max(0);
    let (days, hours, minutes, secs) = (s / 86_400, s / 3_600 % 24, s / 60 % 60, s % 60);
    if days > 0 {
        match lang {
            Lang::ZhCn => format!("{days}天 {hours}小时"),
            Lang::En => format!("{days} d {hours} h"),
        }
    } else {
        format!("{hours:02}:{minutes:02}:{secs:02}")
    }
}

/// A time in the shopper's own offset, in their language; their own zone needs no label.
pub fn format_time(at: DateTime<Utc>, offset: FixedOffset, lang: Lang) -> String {
    messages::format_local(at.with_timezone(&offset).naive_local(), lang)
}

/// The storage key for a draft: one per merchant and order.
pub fn draft_key(merchant: &str, order_number: &str) -> String {
    format!("refund-widget/v1/{merchant}/{order_number}")
}

#[cfg(test)]
mod tests;
