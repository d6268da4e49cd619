//! Bodies of the refund desk, the console where a merchant's staff work requests: staff and
//! what each role may do, sign-in, the queue, assignment, messages with the shopper, reply
//! templates and return addresses.
//!
//! The merchant API answers a staff session (a cookie, for people) as it answers the secret
//! key (for machines); the session's role decides what it may do ([`Role::may`]), on the server
//! for every call. The console reads the same rule to show only what a role can use.

use chrono::{DateTime, Utc};
use refund_core::wire::DecimalStr;
use refund_core::{RequestKind, State};
use serde::{Deserialize, Serialize};

use crate::ErrorDetail;

/// A staff member's role at their merchant.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Role {
    /// Everything, including staff, the policy and the desk's settings.
    Owner,
    /// Works requests: decides, records payouts, talks to shoppers, assigns.
    Agent,
    /// Reads everything, changes nothing.
    Viewer,
}

/// What a call needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Permission {
    /// Reading requests, orders, statistics, staff, templates and addresses.
    Read,
    /// Acting on requests: decisions, payouts, messages, assignment, order links.
    Work,
    /// Staff, the policy, orders, templates, addresses and the desk's settings.
    Manage,
}

impl Role {
    pub const ALL: [Role; 3] = [Role::Owner, Role::Agent, Role::Viewer];

    /// Whether this role may do what `permission` covers.
    pub fn may(self, permission: Permission) -> bool {
        match permission {
            Permission::Read => true,
            Permission::Work => matches!(self, Role::Owner | Role::Agent),
            Permission::Manage => self == Role::Owner,
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Role::Owner => "owner",
            Role::Agent => "agent",
            Role::Viewer => "viewer",
        }
    }
}

/// Passwords: at least this many characters ...
pub const PASSWORD_MIN_CHARS: usize = 10;
/// ... and at most this many.
pub const PASSWORD_MAX_CHARS: usize = 128;
/// The longest staff name, template text or instruction.
pub const MAX_NAME_CHARS: usize = 100;
/// The longest message in a request's thread.
pub const MAX_MESSAGE_CHARS: usize = 2000;
/// The most photos one message carries.
pub const MAX_MESSAGE_PHOTOS: usize = 5;
/// The most requests one batch approval takes.
pub const MAX_BATCH: usize = 100;

/// `POST /api/v1/desk/sign-in`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SignIn {
    #[cfg_attr(feature = "openapi", schema(example = "owner@demo.example"))]
    pub email: String,
    pub password: String,
}

/// `POST /api/v1/desk/set-up`: the password chosen from a set-up link.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SetUp {
    /// The `token` of the set-up link.
    pub token: String,
    /// 10 to 128 characters.
    pub password: String,
}

/// A signed-in staff member: who, where, and the token state-changing calls must echo in the
/// `X-CSRF-Token` header.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeskSession {
    pub staff: StaffView,
    pub merchant: MerchantBrief,
    pub csrf_token: String,
    /// The session ends after this long without a call.
    pub idle_timeout_seconds: i64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MerchantBrief {
    pub id: String,
    pub name: String,
    /// Requests are handed to agents in turn as they arrive.
    pub auto_assign: bool,
}

/// A staff member as the desk shows them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StaffView {
    pub id: String,
    pub email: String,
    pub name: String,
    pub role: Role,
    /// Deactivated staff cannot sign in and get no new requests.
    pub active: bool,
    /// Whether they have chosen a password yet.
    pub set_up: bool,
    #[cfg_attr(
        target_arch = "wasm32",
        serde(deserialize_with = "refund_core::rfc3339::deserialize")
    )]
    pub created_at: DateTime<Utc>,
}

/// `POST /staff`: invite someone; the answer carries their set-up link.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewStaff {
    pub email: String,
    /// 1 to 100 characters.
    pub name: String,
    pub role: Role,
}

/// `PATCH /staff/{id}`: what changes; absent fields stay.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StaffChange {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub role: Option<Role>,
    #[serde(default)]
    pub active: Option<bool>,
}

/// A link with which a staff member chooses their password; shown once, to pass on.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SetUpLink {
    pub staff: StaffView,
    pub url: String,
    #[cfg_attr(
        target_arch = "wasm32",
        serde(deserialize_with = "refund_core::rfc3339::deserialize")
    )]
    pub expires_at: DateTime<Utc>,
}

/// `PUT /desk-settings`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeskSettings {
    /// Hand new requests to active agents in turn; off leaves them unassigned.
    pub auto_assign: bool,
}

/// Who took a step or wrote a message on the merchant's side.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum ActedBy {
    /// A machine with the merchant's secret key.
    ApiKey,
    /// A staff member, named as they were then.
    Staff { id: String, name: String },
}

/// A staff member a request is assigned to.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StaffBrief {
    pub id: String,
    pub name: String,
}

/// The queue's tabs: where a request waits, and for whom.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum QueueTab {
    /// 待处理: submitted, waiting for a decision.
    NeedsDecision,
    /// 待退货: approved, waiting for the shopper's parcel.
    AwaitingParcel,
    /// 待收货: the parcel is on its way back.
    ParcelOnTheWay,
    /// 待退款: the payout (or the exchange) is the merchant's to finish.
    ToFinish,
    /// 已完成: nothing more will happen.
    Done,
    All,
}

impl QueueTab {
    pub const ALL: [QueueTab; 6] = [
        QueueTab::NeedsDecision,
        QueueTab::AwaitingParcel,
        QueueTab::ParcelOnTheWay,
        QueueTab::ToFinish,
        QueueTab::Done,
        QueueTab::All,
    ];

    /// Whether a request in `state`, of `kind`, sits in this tab.
    pub fn holds(self, state: State, kind: RequestKind) -> bool {
        match self {
            QueueTab::NeedsDecision => state == State::Submitted,
            QueueTab::AwaitingParcel => state == State::Approved && kind.returns_goods(),
            QueueTab::ParcelOnTheWay => state == State::ReturnShipped,
            QueueTab::ToFinish => {
                state == State::Received || state == State::Approved && !kind.returns_goods()
            }
            QueueTab::Done => state.is_final(),
            QueueTab::All => true,
        }
    }

    /// The (state, kind) pairs of this tab; the store turns them into its filter.
    pub fn pairs(self) -> Vec<(State, RequestKind)> {
        State::ALL
            .into_iter()
            .flat_map(|s| RequestKind::ALL.into_iter().map(move |k| (s, k)))
            .filter(|(s, k)| self.holds(*s, *k))
            .collect()
    }

    pub fn code(self) -> &'static str {
        match self {
            QueueTab::NeedsDecision => "needs_decision",
            QueueTab::AwaitingParcel => "awaiting_parcel",
            QueueTab::ParcelOnTheWay => "parcel_on_the_way",
            QueueTab::ToFinish => "to_finish",
            QueueTab::Done => "done",
            QueueTab::All => "all",
        }
    }

    /// Tabs of requests still open sort by the running deadline, soonest first; the others
    /// newest first.
    pub fn default_sort(self) -> QueueSort {
        match self {
            QueueTab::Done | QueueTab::All => QueueSort::Newest,
            _ => QueueSort::Deadline,
        }
    }
}

/// The queue's order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum QueueSort {
    /// The running deadline, soonest first; requests without one last, oldest first.
    Deadline,
    /// Submission time, newest first.
    Newest,
}

/// How many requests each tab holds, under the same filters as the list.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct QueueCounts {
    pub needs_decision: u32,
    pub awaiting_parcel: u32,
    pub parcel_on_the_way: u32,
    pub to_finish: u32,
    pub done: u32,
    pub all: u32,
    /// Requests whose running deadline has passed (payouts that are late).
    pub overdue: u32,
}

impl QueueCounts {
    pub fn get(&self, tab: QueueTab) -> u32 {
        match tab {
            QueueTab::NeedsDecision => self.needs_decision,
            QueueTab::AwaitingParcel => self.awaiting_parcel,
            QueueTab::ParcelOnTheWay => self.parcel_on_the_way,
            QueueTab::ToFinish => self.to_finish,
            QueueTab::Done => self.done,
            QueueTab::All => self.all,
        }
    }

    pub fn add(&mut self, tab: QueueTab, n: u32) {
        let slot = match tab {
            QueueTab::NeedsDecision => &mut self.needs_decision,
            QueueTab::AwaitingParcel => &mut self.awaiting_parcel,
            QueueTab::ParcelOnTheWay => &mut self.parcel_on_the_way,
            QueueTab::ToFinish => &mut self.to_finish,
            QueueTab::Done => &mut self.done,
            QueueTab::All => &mut self.all,
        };
        *slot += n;
    }
}

/// `POST /requests/{id}/assign`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Assignment {
    /// An active agent or owner of the merchant; `null` leaves the request unassigned.
    pub staff_id: Option<String>,
}

/// `POST /requests/approve`: approve several requests that wait for a decision.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BatchApproval {
    /// 1 to 100 request ids.
    pub ids: Vec<String>,
}

/// What became of each request of a batch, in the order asked.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BatchResult {
    pub results: Vec<BatchItem>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BatchItem {
    pub id: String,
    /// The request's state after the batch (absent when it was not found).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<State>,
    /// Why this one was not approved.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<ErrorDetail>,
}

/// Who wrote a message.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Author {
    Shopper,
    Merchant,
}

/// One message of a request's thread (协商). Shown as text, never as HTML.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MessageView {
    pub id: String,
    pub author: Author,
    /// On the merchant's side, who wrote it (absent in the shopper's view).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub by: Option<ActedBy>,
    pub body: String,
    /// Ids of the photos it carries.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub photos: Vec<String>,
    /// The merchant asks the shopper for more photos.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub asks_for_photos: bool,
    #[cfg_attr(
        target_arch = "wasm32",
        serde(deserialize_with = "refund_core::rfc3339::deserialize")
    )]
    pub at: DateTime<Utc>,
}

/// A request's thread, oldest first, and how many of its messages the reader has not read.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Thread {
    pub messages: Vec<MessageView>,
    pub unread: u32,
}

/// `POST /requests/{id}/messages`, from either side.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewMessage {
    /// 1 to 2000 characters (may be empty when photos come with it).
    #[serde(default)]
    pub body: String,
    /// Ids of photos uploaded for this order and not yet used (the shopper's side only).
    #[serde(default)]
    pub photos: Vec<String>,
    /// The merchant asks for more photos (the merchant's side only).
    #[serde(default)]
    pub asks_for_photos: bool,
}

/// A text in both of the product's languages.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Bilingual {
    #[serde(rename = "zh-CN")]
    pub zh_cn: String,
    pub en: String,
}

impl Bilingual {
    /// The text for `lang`, or the other one when it is empty.
    pub fn pick(&self, lang: refund_core::messages::Lang) -> &str {
        let (first, second) = match lang {
            refund_core::messages::Lang::ZhCn => (&self.zh_cn, &self.en),
            refund_core::messages::Lang::En => (&self.en, &self.zh_cn),
        };
        if first.trim().is_empty() {
            second
        } else {
            first
        }
    }
}

/// A reply template: a rejection reason (or message) written once, in both languages.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReplyTemplate {
    pub id: String,
    /// What staff see in the list.
    pub title: String,
    pub text: Bilingual,
}

/// `POST /reply-templates`, `PUT /reply-templates/{id}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TemplateBody {
    /// 1 to 100 characters.
    pub title: String,
    /// Each 1 to 500 characters.
    pub text: Bilingual,
}

/// Where returned goods go: an entry of the merchant's address book.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReturnAddress {
    pub id: String,
    pub label: String,
    pub recipient: String,
    pub phone: String,
    pub address: String,
}

impl ReturnAddress {
    pub fn new(id: String, body: AddressBody) -> ReturnAddress {
        ReturnAddress {
            id,
            label: body.label,
            recipient: body.recipient,
            phone: body.phone,
            address: body.address,
        }
    }
}

/// `POST /return-addresses`, `PUT /return-addresses/{id}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AddressBody {
    /// What staff see in the list, e.g. "Hangzhou warehouse".
    pub label: String,
    pub recipient: String,
    pub phone: String,
    /// The full postal address, as the shopper writes it on the parcel.
    pub address: String,
}

/// Where the shopper sends the goods, as the merchant chose it on approval.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReturnTo {
    pub recipient: String,
    pub phone: String,
    pub address: String,
    /// The merchant's instructions, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instructions: Option<String>,
}

/// `POST /requests/{id}/approve` (the body is optional).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Approval {
    /// For returns and exchanges: one of the merchant's return addresses.
    #[serde(default)]
    pub return_address_id: Option<String>,
    /// Shown to the shopper with the address; at most 500 characters.
    #[serde(default)]
    pub instructions: Option<String>,
}

/// A deduction from a refund for goods the shopper damaged, stated to the shopper.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Deduction {
    /// More than zero, less than the request's total.
    pub amount: DecimalStr,
    /// Shown to the shopper; 1 to 500 characters.
    pub reason: String,
}
