//! What leaves the server: webhook deliveries to the merchant's systems (signed as the
//! Standard Webhooks specification says, sent without following redirects to public addresses
//! only, retried on a schedule) and e-mails to shoppers over SMTP. These know transports and
//! formats, never which event goes where: that is the service's outbox.

pub mod backoff;
pub mod http;
pub mod mail;
pub mod sign;
