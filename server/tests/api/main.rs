//! The API suite: the real router, a fresh database for each test, on SQLite or, with
//! `REFUND_TEST_BACKEND=postgres`, PostgreSQL (the conformance suite of both stores). One file
//! per feature; the shared app and named calls are in `helpers`.

#[path = "../support/mod.rs"]
mod support;

mod access;
mod contract;
mod desk_access;
mod desk_queue;
mod desk_work;
mod events;
mod evidence;
mod exchanges;
mod helpers;
mod idempotency;
mod input;
mod lifecycle;
mod merchant;
mod operations;
mod orders;
mod submissions;
