//! The refund desk: the console where a merchant's staff (退款客服) work refund requests.
//!
//! Served by the server under `/console/`, it calls the merchant API on the same origin with
//! the staff member's session cookie. Every amount, reason, state and engine message comes from
//! `refund-core`'s catalog, so the desk says exactly what the shopper was told. Decisions about
//! what to show live in [`model`] (tested natively); components only read it and call [`api`].

pub mod api;
pub mod app;
pub mod model;
mod queue;
mod request;
mod settings;
mod sign_in;
pub mod texts;
mod webhooks;
