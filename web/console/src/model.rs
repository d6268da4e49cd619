//! What the desk decides without a browser: where the address bar points, the queue's query,
//! which steps a role may take on a request, countdowns, and the payout form. Components only
//! read these.

use refund_api::{
    ActedBy, DeadlineView, Deduction, Payout, Permission, QueueTab, RefundPaid, RequestView, Role,
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

/// A day (`YYYY-MM-DD`) as the instant it starts at `offset_minutes` east of UTC.
fn day_start(day: &str, offset_minutes: i32, next: bool) -> Option<String> {
    let date = chrono::NaiveDate::parse_from_str(day.trim(), "%Y-%m-%d").ok()?;
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

#[cfg(test)]
mod tests;
