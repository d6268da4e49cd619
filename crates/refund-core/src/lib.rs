//! The refund engine shared by the browser widget (compiled to wasm) and the server (native).
//!
//! Given an order snapshot, the merchant's policy, what earlier requests consumed and a shopper's
//! request, [`quote`] says whether each line is eligible and exactly how much comes back, with
//! every component explained, split across the payments. [`Lifecycle`] moves a request through
//! its states. Both are pure functions of their inputs: this crate does no IO, reads no clock
//! (time is a parameter), uses no randomness, and returns typed errors instead of panicking.
//!
//! Layering: [`wire`] types are what crosses JSON and are never trusted; [`Order`], [`Policy`],
//! [`RefundRequest`] and [`Ledger`] are built from them through checked constructors, so the
//! engine only ever sees consistent input. Money is [`Money`]: a `rust_decimal::Decimal` at the
//! currency's exponent, never a float.

mod eligibility;
mod error;
mod ledger;
mod lifecycle;
pub mod messages;
mod money;
mod order;
mod policy;
mod quote;
mod request;
pub mod rfc3339;
pub mod wire;

pub use eligibility::{Code, Outcome, line_codes, outcome_of, reason_fits};
pub use error::InputError;
pub use ledger::{Ledger, LineUsage};
pub use lifecycle::{
    Actor, Deadline, DeadlineKind, Event, Lifecycle, LifecycleError, MAX_REJECT_REASON_CHARS,
    MAX_TRACKING_CHARS, State,
};
pub use messages::Lang;
pub use money::{Currency, MAX_INPUT_AMOUNT, Money, allocate, parse_decimal};
pub use order::{
    Discount, Gift, Line, LineIndex, MAX_DISCOUNTS, MAX_LINES, MAX_PAYMENTS, MAX_QUANTITY,
    MAX_VARIANTS, Order, OrderFlag, Payment, Variant, in_supported_years,
};
pub use policy::{AutoApprove, MAX_DAYS, Policy, PolicyAmounts, ThresholdMode};
pub use quote::{Component, Context, Quote, QuoteLine, SplitLine, quote};
pub use request::{Fault, MAX_NOTE_CHARS, Reason, RefundRequest, RequestKind, RequestLine};
