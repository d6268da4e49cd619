//! The HTTP API's contract: every request and response body of the shopper and merchant APIs,
//! and the error catalog ([`error`]).
//!
//! The server serialises these, the widget (and the merchant console) deserialises them, and
//! the OpenAPI document is derived from them with the `openapi` feature, which only the server
//! turns on, so nothing of it reaches the shopper's download. Bodies clients send are strict
//! (unknown fields are refused); bodies the server sends are read leniently by clients, so a
//! newer server may add fields.
//!
//! Views that carry a recorded quote are generic over it: the server sends the engine's whole
//! [`refund_core::Quote`], and a client that only shows amounts reads [`QuoteSummary`], which
//! keeps the engine's eligibility codes (and their deserialisers) out of the widget.

mod desk;
pub mod error;
mod events;
mod merchant;
mod shopper;
mod views;

pub use desk::*;
pub use error::{ErrorBody, ErrorCode, ErrorDetail, ErrorHead, Problem};
pub use events::*;
pub use merchant::*;
pub use shopper::*;
pub use views::*;
