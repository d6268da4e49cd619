//! Submissions: one transaction, one commit, one answer per idempotency key.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use refund_api::{EventDetail, HistoryEvent, Problem, ShopperRequest};
use refund_core::messages::Lang;
use refund_core::wire::DecimalStr;
use refund_core::{Actor, Code, Context, Event, Ledger, Lifecycle, Outcome, Quote};

use super::events::Happened;
use super::lifecycle::{audit, progress};
use super::{Quoting, Service, Stop, order_of, recent_since, retrying};
use crate::error::ApiError;
use crate::store::{Answer, Merchant, Progress, StoredRequest, Submission, Unread, name_lines};

/// A submission as the engine judged it, before it is numbered and stored.
struct Decision {
    quote: Quote,
    policy_version: u32,
    evidence: Vec<String>,
    progress: Progress,
    /// The audit trail of the submission itself (submitted, and approved when a rule did).
    events: Vec<HistoryEvent>,
    /// The order's ledger with this request recorded.
    ledger: Ledger,
}

/// Decides a submission against the order as locked: its ledger, the policy in force, the
/// shopper's recent requests and the order's free evidence.
fn decide(
    quoting: &Quoting,
    free_evidence: &[String],
    body: &ShopperRequest,
) -> Result<Decision, ApiError> {
    let Quoting {
        order,
        ledger,
        policy,
        context,
    } = quoting;
    let now = context.now;
    let mut evidence: Vec<String> = Vec::with_capacity(body.evidence.len());
    for id in &body.evidence {
        if !free_evidence.contains(id) {
            return Err(Problem::UnknownEvidence { id: id.clone() }.into());
        }
        if evidence.contains(id) {
            return Err(Problem::DuplicateEvidence { id: id.clone() }.into());
        }
        evidence.push(id.clone());
    }
    let files = u32::try_from(evidence.len()).unwrap_or(u32::MAX);
    let quote = quoting.quote(body, files)?;
    let short = quote.lines.iter().any(|l| {
        l.codes
            .iter()
            .any(|c| matches!(c, Code::QuantityExceedsAvailable { .. }))
    });
    if short {
        let left = ledger
            .left_to_refund(order)
            .ok_or_else(|| ApiError::internal("ledger exceeds the order"))?;
        let left = DecimalStr(left.amount());
        return Err(ApiError::from(Problem::NotEnoughLeft { left })
            .with_left_to_refund(left)
            .with_quote(quote));
    }
    if quote.outcome == Outcome::Ineligible {
        return Err(ApiError::from(Problem::RequestIneligible).with_quote(quote));
    }
    let Some(expected) = body.expected_total else {
        return Err(Problem::ExpectedTotalRequired.into());
    };
    let stale = if expected.0 != quote.total.0 {
        Some(Problem::StaleQuote {
            total: Some(quote.total),
        })
    } else if body.expected_outcome.is_some_and(|o| o != quote.outcome)
        || body
            .expected_split
            .as_ref()
            .is_some_and(|s| *s != quote.split)
    {
        Some(Problem::StaleQuote { total: None })
    } else {
        None
    };
    if let Some(problem) = stale {
        return Err(ApiError::from(problem).with_quote(quote));
    }

    // The engine keeps every quote within what is left; recording it on a copy of the ledger
    // checks that again before anything is written, so no bug can commit an over-refund.
    let mut recorded = Ledger::clone(ledger);
    recorded
        .record(order, &quote)
        .map_err(|e| ApiError::internal(format!("quote does not fit its ledger: {e}")))?;
    let mut lifecycle = Lifecycle::submitted(body.kind, now);
    let mut events = vec![HistoryEvent {
        actor: Actor::Shopper,
        action: "submit".to_owned(),
        before: None,
        after: lifecycle.state(),
        at: now,
        by: None,
        detail: EventDetail {
            total: Some(quote.total),
            outcome: Some(quote.outcome),
            exchanges: name_lines(&quote, |id| {
                let line = order.get_line(order.line_index(id)?)?;
                Some((line.sku(), line.title()))
            })
            .into_iter()
            .filter(|line| line.exchange_for.is_some())
            .collect(),
            ..EventDetail::default()
        },
    }];
    if quote.outcome == Outcome::Eligible {
        let approved = lifecycle.apply(&Event::Approve, Actor::Rule, now, policy)?;
        events.push(audit(
            &lifecycle,
            &approved,
            Actor::Rule,
            &Event::Approve,
            now,
            EventDetail::default(),
        ));
        lifecycle = approved;
    }
    Ok(Decision {
        policy_version: policy.version(),
        evidence,
        progress: progress(&lifecycle, policy, None),
        events,
        ledger: recorded,
        quote,
    })
}

/// A request's number: the day it was submitted and the store's sequence number for it.
fn request_number(at: DateTime<Utc>, seq: u64) -> String {
    format!("RF{}{seq:06}", at.format("%Y%m%d"))
}

/// A submission as the shopper sent it.
pub struct Sent<'a> {
    pub order_number: &'a str,
    pub key: &'a str,
    pub body: &'a ShopperRequest,
    /// The language the shopper used (their e-mails speak it).
    pub lang: Lang,
}

impl Service {
    /// Submits a shopper's request under an idempotency key, in one transaction and one
    /// commit: the key, the decision against the order's live requests, the request, its
    /// audit trail and the answer, rendered by `render`, which a retry with the same key and
    /// body gets back byte for byte. The same key with another body is refused; a concurrent
    /// duplicate waits for the first and replays its answer. A submission that fails records
    /// nothing, key included.
    pub async fn submit(
        &self,
        merchant: &Merchant,
        sent: Sent<'_>,
        render: impl Fn(&StoredRequest) -> String,
    ) -> Result<Answer, ApiError> {
        let hash = crate::auth::sha256_hex(
            &serde_json::to_vec(&(sent.order_number, sent.body)).map_err(ApiError::internal)?,
        );
        retrying(|| self.submit_once(merchant, &sent, &hash, &render)).await
    }

    async fn submit_once(
        &self,
        merchant: &Merchant,
        sent: &Sent<'_>,
        hash: &str,
        render: &impl Fn(&StoredRequest) -> String,
    ) -> Result<Answer, Stop> {
        let &Sent {
            order_number,
            key,
            body,
            lang,
        } = sent;
        let mut tx = self.store.begin().await?;
        if let Some(earlier) = tx.claim_key(&merchant.id, key).await? {
            return if earlier.body_hash == hash {
                Ok(earlier.answer)
            } else {
                Err(Problem::IdempotencyKeyReused.into())
            };
        }
        let now = self.now();
        let snapshot = tx
            .lock_order(&merchant.id, order_number, recent_since(now))
            .await?
            .ok_or(Problem::NotFound)?;
        let order = order_of(&snapshot.order)?;
        let quoting = Quoting {
            ledger: self
                .ledger_at(&order, &snapshot.order, Some(&mut tx))
                .await?,
            policy: self
                .policy(&merchant.id, snapshot.policy_version, Some(&mut tx))
                .await?,
            context: Context {
                now,
                recent_requests: snapshot.recent_requests,
            },
            order,
        };
        let free_evidence = if body.evidence.is_empty() {
            Vec::new()
        } else {
            tx.free_evidence(&snapshot.order.id).await?
        };
        let mut decision = decide(&quoting, &free_evidence, body)?;
        let seq = tx.next_request_seq(&merchant.id).await?;
        // Requests that need nothing more from the desk (approved refund-only requests still
        // need their payout) are handed to agents in turn all the same.
        let assignee = tx.next_assignee(&merchant.id, now).await?;
        if let Some(first) = decision.events.first_mut() {
            first.detail.assignee.clone_from(&assignee);
        }
        let order = &snapshot.order.wire;
        let request = StoredRequest {
            id: crate::auth::random_key("rq_", 12),
            number: request_number(now, seq),
            merchant_id: merchant.id.clone(),
            order_id: snapshot.order.id.clone(),
            order_number: order.number.clone(),
            customer_email: snapshot.email.clone(),
            kind: body.kind,
            reason: body.reason,
            body: serde_json::to_value(body).map_err(ApiError::internal)?,
            lines: name_lines(&decision.quote, |id| {
                order
                    .lines
                    .iter()
                    .find(|l| l.id == id)
                    .map(|l| (l.sku.as_str(), l.title.as_str()))
            }),
            quote: decision.quote,
            policy_version: decision.policy_version,
            evidence: decision.evidence,
            assignee,
            unread: Unread::default(),
            progress: decision.progress,
            lang,
        };
        let answer = Answer {
            status: 201,
            body: render(&request),
        };
        let version = tx
            .record_submission(&Submission {
                request: &request,
                events: &decision.events,
                assignee: request.assignee.as_ref().map(|a| a.id.as_str()),
                key,
                body_hash: hash,
                answer: &answer,
                at: now,
            })
            .await?;
        // A submission a rule approved at once raises both events; the shopper hears of the
        // approval only.
        let last = decision.events.len().saturating_sub(1);
        let happenings: Vec<Happened> = decision
            .events
            .iter()
            .enumerate()
            .map(|(i, event)| Happened::Moved {
                request: &request,
                state: event.after,
                by: None,
                mail: i == last,
            })
            .collect();
        self.raise_all(&mut tx, happenings).await?;
        self.commit(tx).await?;
        self.caches
            .keep_ledger(&request.order_id, version, Arc::new(decision.ledger));
        metrics::counter!("refund_requests_submitted_total").increment(1);
        Ok(answer)
    }
}
