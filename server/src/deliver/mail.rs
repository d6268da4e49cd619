//! E-mail to shoppers: one multipart/alternative message (plain text and HTML, UTF-8) per
//! call, over SMTP when a relay is configured and into the log otherwise, so a demo or a
//! development server works without one. What the e-mails say is `service::emails`; when to
//! send them again is the caller's schedule, which [`MailError`] tells whether to follow.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use lettre::address::AddressError;
use lettre::message::{Mailbox, MultiPart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

/// How long one message may take, from connecting to the relay's final answer.
const TIMEOUT: Duration = Duration::from_secs(10);

/// One e-mail to one shopper, already worded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Email {
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
}

#[derive(Debug, thiserror::Error)]
pub enum MailError {
    #[error("invalid SMTP URL: {0}")]
    Url(#[source] lettre::transport::smtp::Error),
    #[error("invalid sender address {address:?}: {source}")]
    Sender {
        address: String,
        source: AddressError,
    },
    /// Sending it again would meet the same answer (a 5xx reply, an invalid address).
    #[error("e-mail refused: {0}")]
    Permanent(String),
    /// Worth sending again later (a 4xx reply, no connection, no answer in time).
    #[error("e-mail not sent this time: {0}")]
    Transient(String),
}

/// Sends e-mails from one sender, over SMTP or into the log.
#[derive(Debug)]
pub struct Mailer {
    from: Mailbox,
    transport: Transport,
}

#[derive(Debug)]
enum Transport {
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    /// The number of e-mails logged instead of sent.
    Log(AtomicU64),
}

impl Mailer {
    /// `smtp://host:port` (plain, for a relay on loopback), `smtp://host?tls=required`
    /// (STARTTLS) or `smtps://host` (TLS from the start), with credentials as `user:password@`;
    /// no URL logs e-mails instead. The sender is checked either way, so a wrong one shows at
    /// start-up rather than on the day a relay is configured.
    pub fn from_settings(smtp_url: Option<&str>, from: &str) -> Result<Mailer, MailError> {
        let from = from
            .parse::<Mailbox>()
            .map_err(|source| MailError::Sender {
                address: from.to_owned(),
                source,
            })?;
        let transport = match smtp_url {
            Some(url) => Transport::Smtp(
                AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
                    .map_err(MailError::Url)?
                    .build(),
            ),
            None => Transport::Log(AtomicU64::new(0)),
        };
        Ok(Mailer { from, transport })
    }

    /// How many e-mails went into the log instead of a relay.
    pub fn logged(&self) -> u64 {
        match &self.transport {
            Transport::Smtp(_) => 0,
            Transport::Log(count) => count.load(Ordering::Relaxed),
        }
    }

    pub async fn send(&self, email: &Email) -> Result<(), MailError> {
        // Built on both paths, so an address the relay would never accept fails in a demo too.
        let message = self.message(email)?;
        match &self.transport {
            Transport::Smtp(smtp) => {
                match tokio::time::timeout(TIMEOUT, smtp.send(message)).await {
                    Ok(Ok(_)) => Ok(()),
                    Ok(Err(error)) => Err(classify(error)),
                    Err(_) => Err(MailError::Transient(format!(
                        "no answer from the relay within {} s",
                        TIMEOUT.as_secs()
                    ))),
                }
            }
            Transport::Log(count) => {
                // The body stays out of the log: it holds the shopper's request and messages.
                tracing::info!(to = %email.to, subject = %email.subject, "e-mail logged, no SMTP relay configured");
                metrics::counter!("refund_emails_logged_total").increment(1);
                count.fetch_add(1, Ordering::Relaxed);
                Ok(())
            }
        }
    }

    fn message(&self, email: &Email) -> Result<Message, MailError> {
        let to = email.to.parse::<Mailbox>().map_err(|error| {
            MailError::Permanent(format!("invalid recipient {:?}: {error}", email.to))
        })?;
        Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(email.subject.as_str())
            .multipart(MultiPart::alternative_plain_html(
                email.text.clone(),
                email.html.clone(),
            ))
            .map_err(|error| MailError::Permanent(error.to_string()))
    }
}

/// A 5xx reply, or a message the client itself cannot send (lettre's "client" errors), will
/// not change on a retry; anything else (4xx, network, TLS, a garbled reply) may.
fn classify(error: lettre::transport::smtp::Error) -> MailError {
    if error.is_permanent() || error.is_client() {
        MailError::Permanent(error.to_string())
    } else {
        MailError::Transient(error.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn email(to: &str) -> Email {
        Email {
            to: to.to_owned(),
            subject: "[Demo Store] 退款申请 RF-1 已同意".to_owned(),
            text: "text".to_owned(),
            html: "<p>html</p>".to_owned(),
        }
    }

    #[test]
    fn plain_starttls_and_implicit_tls_urls_are_accepted_and_others_refused() {
        let from = "Demo Store <refunds@shop.example>";
        for url in [
            "smtp://127.0.0.1:2525",
            "smtp://user:p%40ss@smtp.example.com?tls=required",
            "smtps://smtp.example.com",
        ] {
            assert!(
                Mailer::from_settings(Some(url), from).is_ok(),
                "{url} is accepted"
            );
        }
        for url in [
            "http://smtp.example.com",
            "smtp://smtp.example.com?tls=maybe",
        ] {
            assert!(
                matches!(
                    Mailer::from_settings(Some(url), from),
                    Err(MailError::Url(_))
                ),
                "{url} is refused"
            );
        }
    }

    #[test]
    fn an_invalid_sender_is_refused_even_without_a_relay() {
        assert!(matches!(
            Mailer::from_settings(None, "not an address"),
            Err(MailError::Sender { .. })
        ));
    }

    #[tokio::test]
    async fn the_log_fallback_counts_what_it_logs() {
        let mailer = Mailer::from_settings(None, "refunds@shop.example").unwrap();
        mailer.send(&email("shopper@example.com")).await.unwrap();
        mailer.send(&email("shopper@example.com")).await.unwrap();
        assert_eq!(mailer.logged(), 2);
    }

    #[tokio::test]
    async fn an_invalid_recipient_is_a_permanent_failure() {
        let mailer = Mailer::from_settings(None, "refunds@shop.example").unwrap();
        let result = mailer.send(&email("no-at-sign")).await;
        assert!(matches!(result, Err(MailError::Permanent(_))), "{result:?}");
        assert_eq!(mailer.logged(), 0);
    }
}
