//! What the desk decides without a browser: where the address bar points, the queue's query,
//! which steps a role may take on a request, countdowns, the payout form, and how the store's
//! webhook endpoints and their deliveries read. Components only read these.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use refund_api::{
    ActedBy, AttemptView, DeadlineView, Deduction, DeliveryLog, DeliveryState, DeliveryView,
    DisabledReason, EndpointChange, EndpointSecret, EndpointView, EventType, NewEndpoint, Payout,
    Permission, QueueTab, RefundPaid, RequestView, RequestedLine, Role,
};
use refund_core::messages::Lang;
use refund_core::wire::DecimalStr;
use refund_core::{Actor, Currency, Quote, Reason, RequestKind, State, parse_decimal};
use rust_decimal::Decimal;

/// A request as the desk reads it: with the engine's whole quote, to explain every amount.
pub type Request = RequestView<Quote>;

/// Where the desk is, from the address bar's `#…`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Route {
    Queue,
    Request(String),
    Settings,
    SetUp(String),
}

impl Route {
    pub fn parse(hash: &str) -> Route {
        let path = hash.trim_start_matches('#').trim_start_matches('/');
        let (path, query) = path.split_once('?').unwrap_or((path, ""));
        let mut parts = path.split('/');
        match (parts.next(), parts.next()) {
            (Some("requests"), Some(id)) if !id.is_empty() => Route::Request(id.to_owned()),
            (Some("settings"), _) => Route::Settings,
            (Some("set-up"), _) => Route::SetUp(
                query
                    .split('&')
                    .find_map(|pair| pair.strip_prefix("token="))
                    .unwrap_or_default()
                    .to_owned(),
            ),
            _ => Route::Queue,
        }
    }

    pub fn hash(&self) -> String {
        match self {
            Route::Queue => "#/queue".to_owned(),
            Route::Request(id) => format!("#/requests/{id}"),
            Route::Settings => "#/settings".to_owned(),
            Route::SetUp(token) => format!("#/set-up?token={token}"),
        }
    }
}

/// Whose requests the queue shows.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Assignee {
    #[default]
    Anyone,
    Mine,
    Nobody,
    Staff(String),
}

/// The queue's tab, filters and search, as the staff member set them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Filters {
    pub tab: QueueTab,
    pub reason: Option<Reason>,
    pub kind: Option<RequestKind>,
    pub assignee: Assignee,
    pub min_total: String,
    pub max_total: String,
    /// Submitted on or after this day (`YYYY-MM-DD`, the staff member's calendar).
    pub from: String,
    /// Submitted on or before this day.
    pub to: String,
    pub search: String,
}

impl Default for Filters {
    fn default() -> Filters {
        Filters {
            tab: QueueTab::NeedsDecision,
            reason: None,
            kind: None,
            assignee: Assignee::Anyone,
            min_total: String::new(),
            max_total: String::new(),
            from: String::new(),
            to: String::new(),
            search: String::new(),
        }
    }
}

fn encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(byte as char)
            }
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

/// A day (`YYYY-MM-DD`, as a date input gives it) as the instant it starts at `offset_minutes`
/// east of UTC. Read by the core's small date reader, so the console carries no chrono parser.
fn day_start(day: &str, offset_minutes: i32, next: bool) -> Option<String> {
    let date = refund_core::rfc3339::date(day.trim())?;
    let date = if next { date.succ_opt()? } else { date };
    let offset = chrono::FixedOffset::east_opt(offset_minutes * 60)?;
    let at = date
        .and_hms_opt(0, 0, 0)?
        .and_local_timezone(offset)
        .single()?;
    Some(
        at.to_utc()
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
    )
}

impl Filters {
    /// The filter part of the list's and the counts' query string (without the tab).
    fn filter_pairs(&self, offset_minutes: i32) -> Vec<(&'static str, String)> {
        let mut pairs = Vec::new();
        if let Some(reason) = self.reason {
            pairs.push(("reason", reason.code().to_owned()));
        }
        if let Some(kind) = self.kind {
            pairs.push(("kind", kind.code().to_owned()));
        }
        match &self.assignee {
            Assignee::Anyone => {}
            Assignee::Mine => pairs.push(("assignee", "me".to_owned())),
            Assignee::Nobody => pairs.push(("assignee", "none".to_owned())),
            Assignee::Staff(id) => pairs.push(("assignee", id.clone())),
        }
        for (key, value) in [
            ("min_total", &self.min_total),
            ("max_total", &self.max_total),
        ] {
            if let Some(amount) = parse_decimal(value.trim()) {
                pairs.push((key, amount.to_string()));
            }
        }
        if let Some(from) = day_start(&self.from, offset_minutes, false) {
            pairs.push(("from", from));
        }
        if let Some(to) = day_start(&self.to, offset_minutes, true) {
            pairs.push(("to", to));
        }
        let search = self.search.trim();
        if !search.is_empty() {
            pairs.push(("q", search.to_owned()));
        }
        pairs
    }

    /// `GET /requests?…` for a page of `limit` after `cursor`. A search looks in every tab.
    pub fn list_query(&self, cursor: Option<&str>, limit: u32, offset_minutes: i32) -> String {
        let mut pairs = self.filter_pairs(offset_minutes);
        if self.search.trim().is_empty() {
            pairs.push(("tab", self.tab.code().to_owned()));
        }
        pairs.push(("limit", limit.to_string()));
        if let Some(cursor) = cursor {
            pairs.push(("cursor", cursor.to_owned()));
        }
        join(&pairs)
    }

    /// `GET /requests/counts?…`: the same filters, for every tab at once.
    pub fn counts_query(&self, offset_minutes: i32) -> String {
        join(&self.filter_pairs(offset_minutes))
    }
}

fn join(pairs: &[(&str, String)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{k}={}", encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// How pressing a running deadline is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Urgency {
    /// Passed: a payout is late (other deadlines move the request on by themselves).
    Overdue,
    /// Less than six hours left.
    Soon,
    Calm,
}

/// Seconds left on a deadline `elapsed` seconds after the view was read, never negative.
pub fn seconds_left(deadline: &DeadlineView, elapsed: i64) -> i64 {
    (deadline.seconds_left - elapsed).max(0)
}

pub fn urgency(deadline: &DeadlineView, elapsed: i64) -> Urgency {
    let left = seconds_left(deadline, elapsed);
    if deadline.overdue || left == 0 {
        Urgency::Overdue
    } else if left < 6 * 3600 {
        Urgency::Soon
    } else {
        Urgency::Calm
    }
}

/// `2天3小时`, `5 h 12 min`, `40 s`.
pub fn format_left(seconds: i64, lang: Lang) -> String {
    let (d, h, m, s) = (
        seconds / 86_400,
        seconds % 86_400 / 3600,
        seconds % 3600 / 60,
        seconds % 60,
    );
    let zh = lang == Lang::ZhCn;
    if d > 0 {
        if zh {
            format!("{d}天{h}小时")
        } else {
            format!("{d} d {h} h")
        }
    } else if h > 0 {
        if zh {
            format!("{h}小时{m}分")
        } else {
            format!("{h} h {m} min")
        }
    } else if m > 0 {
        if zh {
            format!("{m}分钟")
        } else {
            format!("{m} min")
        }
    } else if zh {
        format!("{s}秒")
    } else {
        format!("{s} s")
    }
}

/// A step staff can take on a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    Approve,
    Reject,
    ConfirmReceipt,
    RecordRefund,
    CompleteExchange,
}

/// The steps a staff member with `role` can take on a request now: none for a viewer, and
/// only what the request's state allows.
pub fn steps(role: Role, state: State, kind: RequestKind) -> Vec<Step> {
    if !role.may(Permission::Work) {
        return Vec::new();
    }
    match state {
        State::Submitted => vec![Step::Approve, Step::Reject],
        State::ReturnShipped => vec![Step::ConfirmReceipt],
        State::Approved if !kind.returns_goods() => vec![Step::RecordRefund],
        State::Received if kind == RequestKind::Exchange => vec![Step::CompleteExchange],
        State::Received => vec![Step::RecordRefund],
        _ => Vec::new(),
    }
}

/// What a line of an exchange becomes, as the desk reads it: `→ 纯棉短袖T恤 白色 L (TEE-WHITE-L)`.
pub fn exchanged_for(line: &RequestedLine) -> Option<String> {
    let v = line.exchange_for.as_ref()?;
    Some(format!("→ {} ({})", v.title, v.sku))
}

/// The lines an exchange was submitted with, for the timeline: `T恤 × 1 → T恤 L (TEE-L)`.
pub fn exchanges_line(lines: &[RequestedLine]) -> Option<String> {
    let parts: Vec<String> = lines
        .iter()
        .filter_map(|l| {
            Some(format!(
                "{} × {} {}",
                l.title,
                l.quantity,
                exchanged_for(l)?
            ))
        })
        .collect();
    (!parts.is_empty()).then(|| parts.join("; "))
}

/// Who took a step, as the desk's timeline says it (the engine's own labels speak to the
/// shopper: "you").
pub fn who(actor: Actor, by: Option<&ActedBy>, lang: Lang) -> String {
    let zh = lang == Lang::ZhCn;
    let text = match (by, actor) {
        (Some(ActedBy::Staff { name, .. }), _) => return name.clone(),
        (Some(ActedBy::ApiKey), _) => {
            if zh {
                "API 密钥"
            } else {
                "API key"
            }
        }
        (None, Actor::Shopper) => {
            if zh {
                "顾客"
            } else {
                "Shopper"
            }
        }
        (None, Actor::Merchant) => {
            if zh {
                "商家"
            } else {
                "Merchant"
            }
        }
        (None, Actor::Rule) => {
            if zh {
                "自动规则"
            } else {
                "Policy rule"
            }
        }
        (None, Actor::Deadline) => {
            if zh {
                "超时自动处理"
            } else {
                "Deadline"
            }
        }
    };
    text.to_owned()
}

/// One payment's line of the payout form.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PayoutRow {
    pub payment: u32,
    pub method: refund_core::wire::PaymentMethod,
    /// The request's split for this payment: the most it may get back.
    pub split: Decimal,
    pub amount: String,
}

/// The payout form: prefilled with the request's split, a deduction only when goods came back
/// damaged.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PayoutForm {
    pub currency: Currency,
    pub total: Decimal,
    pub rows: Vec<PayoutRow>,
    pub deduction: String,
    pub deduction_reason: String,
    pub reference: String,
}

/// What is wrong with a payout form.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PayoutProblem {
    /// An amount is not a number at the currency's precision, or is negative.
    NotAnAmount { payment: u32 },
    /// A payment would get more than its share of the split.
    OverSplit { payment: u32 },
    /// Without a deduction, every payment gets exactly its share.
    NotTheSplit,
    /// The deduction is not more than zero and less than the total.
    BadDeduction,
    /// A deduction needs a reason the shopper is shown.
    ReasonRequired,
    /// The payouts do not add up to the total less the deduction.
    DoesNotAddUp { expected: Decimal },
}

fn amount(text: &str, currency: Currency) -> Option<Decimal> {
    let value = parse_decimal(text.trim())?;
    (value >= Decimal::ZERO && value.normalize().scale() <= currency.exponent()).then_some(value)
}

impl PayoutForm {
    pub fn prefill(quote: &Quote) -> PayoutForm {
        PayoutForm {
            currency: quote.currency,
            total: quote.total.0,
            rows: quote
                .split
                .iter()
                .map(|s| PayoutRow {
                    payment: s.payment,
                    method: s.method,
                    split: s.amount.0,
                    amount: s.amount.0.to_string(),
                })
                .collect(),
            deduction: String::new(),
            deduction_reason: String::new(),
            reference: String::new(),
        }
    }

    /// The body to send, or what to fix first.
    pub fn validate(&self) -> Result<RefundPaid, PayoutProblem> {
        let mut payouts = Vec::with_capacity(self.rows.len());
        let mut paid = Decimal::ZERO;
        for row in &self.rows {
            let value = amount(&row.amount, self.currency).ok_or(PayoutProblem::NotAnAmount {
                payment: row.payment,
            })?;
            if value > row.split {
                return Err(PayoutProblem::OverSplit {
                    payment: row.payment,
                });
            }
            paid += value;
            payouts.push(Payout {
                payment: row.payment,
                amount: DecimalStr(rescaled(value, self.currency)),
            });
        }
        let deduction = if self.deduction.trim().is_empty() {
            if self
                .rows
                .iter()
                .zip(&payouts)
                .any(|(r, p)| p.amount.0 != r.split)
            {
                return Err(PayoutProblem::NotTheSplit);
            }
            None
        } else {
            let value = amount(&self.deduction, self.currency)
                .filter(|d| *d > Decimal::ZERO && *d < self.total)
                .ok_or(PayoutProblem::BadDeduction)?;
            let reason = self.deduction_reason.trim();
            if reason.is_empty() {
                return Err(PayoutProblem::ReasonRequired);
            }
            let expected = self.total - value;
            if paid != expected {
                return Err(PayoutProblem::DoesNotAddUp { expected });
            }
            Some(Deduction {
                amount: DecimalStr(rescaled(value, self.currency)),
                reason: reason.to_owned(),
            })
        };
        let reference = self.reference.trim();
        Ok(RefundPaid {
            payouts,
            deduction,
            reference: (!reference.is_empty()).then(|| reference.to_owned()),
        })
    }

    /// With a deduction typed in, takes it from the payments last to first (points and the
    /// like are usually listed last), so the form adds up without arithmetic by hand.
    pub fn spread_deduction(&mut self) {
        let Some(deduction) = amount(&self.deduction, self.currency) else {
            return;
        };
        let mut left = deduction;
        for row in self.rows.iter_mut().rev() {
            let take = left.min(row.split);
            row.amount = rescaled(row.split - take, self.currency).to_string();
            left -= take;
        }
    }
}

fn rescaled(mut value: Decimal, currency: Currency) -> Decimal {
    value.rescale(currency.exponent());
    value
}

/// An instant as the staff member's clock reads it, `offset_minutes` east of UTC, to the second.
pub fn format_time(at: DateTime<Utc>, offset_minutes: i32) -> String {
    let offset = chrono::FixedOffset::east_opt(offset_minutes * 60)
        .unwrap_or(chrono::FixedOffset::east_opt(0).expect("zero offset"));
    at.with_timezone(&offset)
        .format("%Y-%m-%d %H:%M:%S")
        .to_string()
}

/// The event types ticked for a new endpoint. None ticked: the endpoint receives every type
/// (the contract's empty list), including types added later.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TypeChoice {
    ticked: BTreeSet<EventType>,
}

impl TypeChoice {
    pub fn set(&mut self, kind: EventType, on: bool) {
        if on {
            self.ticked.insert(kind);
        } else {
            self.ticked.remove(&kind);
        }
    }

    pub fn has(&self, kind: EventType) -> bool {
        self.ticked.contains(&kind)
    }

    /// What to send: the ticked types in the contract's order; empty (all) when none is.
    pub fn types(&self) -> Vec<EventType> {
        EventType::ALL
            .into_iter()
            .filter(|t| self.ticked.contains(t))
            .collect()
    }
}

/// The body that adds an endpoint: the URL as typed, without the spaces around it.
pub fn new_endpoint(url: &str, choice: &TypeChoice) -> NewEndpoint {
    NewEndpoint {
        url: url.trim().to_owned(),
        types: choice.types(),
    }
}

/// Which events an endpoint receives, as its line in the list says it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Subscribed {
    All,
    /// The types' codes, in the contract's order, each once.
    Only(Vec<&'static str>),
}

pub fn subscribed(types: &[EventType]) -> Subscribed {
    if types.is_empty() {
        return Subscribed::All;
    }
    Subscribed::Only(
        EventType::ALL
            .into_iter()
            .filter(|t| types.contains(t))
            .map(EventType::code)
            .collect(),
    )
}

/// Whether an endpoint is on, and why when it is off.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EndpointStatus {
    On,
    Off(DisabledReason),
}

/// An endpoint off without a recorded reason was turned off by the store.
pub fn endpoint_status(endpoint: &EndpointView) -> EndpointStatus {
    if endpoint.enabled {
        EndpointStatus::On
    } else {
        EndpointStatus::Off(endpoint.disabled_reason.unwrap_or(DisabledReason::Merchant))
    }
}

/// The change the on/off button asks for: off when on; on when off, whatever turned it off
/// (its waiting deliveries then resume).
pub fn switch(endpoint: &EndpointView) -> EndpointChange {
    EndpointChange {
        enabled: Some(!endpoint.enabled),
        ..EndpointChange::default()
    }
}

/// Puts the server's answer for an endpoint into the list: in its place, or last when new
/// (the list is oldest first).
pub fn put_endpoint(list: &mut Vec<EndpointView>, endpoint: EndpointView) {
    match list.iter_mut().find(|e| e.id == endpoint.id) {
        Some(slot) => *slot = endpoint,
        None => list.push(endpoint),
    }
}

/// A signing secret on screen: shown once, after an endpoint was added or its secret rotated,
/// until the owner closes it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ShownSecret {
    pub endpoint_id: String,
    pub url: String,
    pub secret: String,
    pub rotated: bool,
    /// After a rotation: the old secret keeps signing beside the new one until then.
    pub old_until: Option<DateTime<Utc>>,
}

impl ShownSecret {
    pub fn added(answer: &EndpointSecret) -> ShownSecret {
        ShownSecret::of(answer, false)
    }

    pub fn rotated(answer: &EndpointSecret) -> ShownSecret {
        ShownSecret::of(answer, true)
    }

    fn of(answer: &EndpointSecret, rotated: bool) -> ShownSecret {
        ShownSecret {
            endpoint_id: answer.endpoint.id.clone(),
            url: answer.endpoint.url.clone(),
            secret: answer.secret.clone(),
            rotated,
            old_until: answer.old_secret_until.filter(|_| rotated),
        }
    }
}

/// How much of an answer's body the log shows.
pub const EXCERPT_CHARS: usize = 160;

/// The start of an answer's body as one line of plain text: runs of white space (and control
/// characters) as one space, cut at `max` characters with an ellipsis.
pub fn excerpt(body: &str, max: usize) -> String {
    let flat = body
        .split(|c: char| c.is_whitespace() || c.is_control())
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    if flat.chars().count() <= max {
        return flat;
    }
    let mut cut: String = flat.chars().take(max).collect();
    cut.truncate(cut.trim_end().len());
    cut.push('…');
    cut
}

/// `85 ms`, `1.2 s`, `10.0 s`.
pub fn format_latency(ms: u64) -> String {
    if ms < 1000 {
        format!("{ms} ms")
    } else {
        format!("{}.{} s", ms / 1000, ms % 1000 / 100)
    }
}

/// What came back from one attempt.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Answer {
    /// An answer with this status; `ok` for a 2xx, which delivers.
    Status { code: u16, ok: bool },
    /// None: a timeout, a refused connection, an address not allowed.
    NoAnswer,
}

/// One attempt as the delivery log shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AttemptLine {
    pub at: DateTime<Utc>,
    pub answer: Answer,
    /// What went wrong, as the server recorded it (also beside an answer whose body broke off).
    pub error: Option<String>,
    pub latency: String,
    pub excerpt: String,
}

pub fn attempt_line(attempt: &AttemptView) -> AttemptLine {
    AttemptLine {
        at: attempt.at,
        answer: match attempt.status {
            Some(code) => Answer::Status {
                code,
                ok: (200..300).contains(&code),
            },
            None => Answer::NoAnswer,
        },
        error: attempt
            .error
            .as_deref()
            .map(str::trim)
            .filter(|e| !e.is_empty())
            .map(|e| excerpt(e, EXCERPT_CHARS)),
        latency: format_latency(attempt.latency_ms),
        excerpt: excerpt(&attempt.excerpt, EXCERPT_CHARS),
    }
}

/// One delivery as the log shows it: the event, where it stands, and its attempts oldest
/// first (numbered from 1 on screen).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeliveryLine {
    pub event_id: String,
    pub kind: EventType,
    pub code: &'static str,
    pub state: DeliveryState,
    /// While it waits: when it goes next.
    pub next_at: Option<DateTime<Utc>>,
    pub attempts: Vec<AttemptLine>,
}

pub fn delivery_line(delivery: &DeliveryView) -> DeliveryLine {
    DeliveryLine {
        event_id: delivery.event_id.clone(),
        kind: delivery.kind,
        code: delivery.kind.code(),
        state: delivery.state,
        next_at: delivery
            .next_attempt_at
            .filter(|_| delivery.state == DeliveryState::Pending),
        attempts: delivery.attempts.iter().map(attempt_line).collect(),
    }
}

/// The log, newest delivery first, as the server sent it.
pub fn delivery_lines(log: &DeliveryLog) -> Vec<DeliveryLine> {
    log.deliveries.iter().map(delivery_line).collect()
}

/// Whether the log should be read again by itself: something in it waits to be sent.
pub fn log_waits(lines: &[DeliveryLine]) -> bool {
    lines.iter().any(|d| d.state == DeliveryState::Pending)
}

#[cfg(test)]
mod tests;
