//! Events out, the service's side: which change raises which event, which endpoints and which
//! shopper hear of it, the webhook endpoints a merchant keeps, and the events feed.
//!
//! Every event is written by [`Service::raise`] inside the transaction of its change, with a
//! delivery per subscribed endpoint and the shopper's e-mail, so it exists if and only if the
//! change committed. The dispatcher ([`super::dispatch`]) sends them afterwards.

use chrono::{DateTime, TimeDelta, Utc};
use refund_api::{
    ActedBy, DisabledEndpoint, DisabledReason, EndpointChange, EndpointSecret, EndpointView, Event,
    EventData, EventMessage, EventPage, EventRequest, EventType, NewEndpoint, Problem,
};
use refund_core::{DeadlineKind, State};

use super::Service;
use super::emails::{MailFacts, MailKind, render};
use crate::auth::{Claims, TokenKind, sign};
use crate::deliver::http::check_url;
use crate::deliver::sign::Secret;
use crate::error::ApiError;
use crate::store::{EndpointRow, MessageRow, NewEmail, NewEvent, StoreError, StoredRequest, Tx};

/// A merchant keeps at most this many endpoints.
pub const MAX_ENDPOINTS: usize = 10;
/// How long the link in a shopper's e-mail opens their order.
const EMAIL_LINK_DAYS: i64 = 30;
/// A feed page's default and largest size.
const FEED_PAGE: u32 = 50;
const FEED_MAX: u32 = 100;
/// How long an old secret signs beside the new one after a rotation, by default and at most.
const OVERLAP_HOURS: u32 = 24;
const MAX_OVERLAP_HOURS: u32 = 168;

/// What happened, as the change's workflow knows it.
pub enum Happened<'a> {
    /// A request moved into `state` (a submission too), by `by` on the merchant's side;
    /// `request` is as it stands after the change. `mail`: whether the shopper hears of it
    /// (not of a submission a rule approved at once: the approval says it all).
    Moved {
        request: &'a StoredRequest,
        state: State,
        by: Option<&'a ActedBy>,
        mail: bool,
    },
    /// A message was added to a request's thread.
    Wrote {
        request: &'a StoredRequest,
        message: &'a MessageRow,
    },
    /// An endpoint was turned off for the merchant's systems' sake.
    Disabled {
        endpoint: &'a EndpointRow,
        reason: DisabledReason,
    },
}

impl Happened<'_> {
    fn kind(&self) -> EventType {
        match self {
            Happened::Moved { state, .. } => EventType::of_state(*state),
            Happened::Wrote { .. } => EventType::MessageCreated,
            Happened::Disabled { .. } => EventType::EndpointDisabled,
        }
    }

    fn merchant_id(&self) -> &str {
        match self {
            Happened::Moved { request, .. } | Happened::Wrote { request, .. } => {
                &request.merchant_id
            }
            Happened::Disabled { endpoint, .. } => &endpoint.merchant_id,
        }
    }

    fn request(&self) -> Option<&StoredRequest> {
        match self {
            Happened::Moved { request, .. } | Happened::Wrote { request, .. } => Some(request),
            Happened::Disabled { .. } => None,
        }
    }

    fn data(&self) -> EventData {
        let state = match self {
            Happened::Moved { state, .. } => Some(*state),
            _ => None,
        };
        let request = self.request().map(|r| EventRequest {
            id: r.id.clone(),
            number: r.number.clone(),
            order_number: r.order_number.clone(),
            state: state.unwrap_or(r.progress.state),
            kind: r.kind,
            reason: r.reason,
            currency: r.quote.currency,
            total: r.quote.total,
            reject_reason: r.progress.reject_reason.clone(),
            payout: r.progress.payout.clone(),
        });
        let mut data = EventData {
            request,
            message: None,
            endpoint: None,
            by: None,
        };
        match self {
            Happened::Moved { by, .. } => data.by = by.cloned(),
            Happened::Wrote { message, .. } => {
                data.message = Some(EventMessage {
                    id: message.id.clone(),
                    author: message.author,
                    body: message.body.clone(),
                    photos: u32::try_from(message.photos.len()).unwrap_or(u32::MAX),
                });
                data.by = message.by.clone();
            }
            Happened::Disabled { endpoint, reason } => {
                data.endpoint = Some(DisabledEndpoint {
                    id: endpoint.id.clone(),
                    url: endpoint.url.clone(),
                    reason: *reason,
                });
            }
        }
        data
    }

    /// The e-mail the shopper gets, for the events a shopper hears of.
    fn mail(&self) -> Option<MailKind> {
        match self {
            Happened::Moved { mail: false, .. } => None,
            Happened::Moved { request, state, .. } => {
                let p = &request.progress;
                match state {
                    State::Submitted => Some(MailKind::Submitted),
                    State::Approved => Some(MailKind::Approved {
                        ship_by: p
                            .deadline
                            .filter(|(kind, _)| *kind == DeadlineKind::ShipBack)
                            .map(|(_, at)| at),
                        return_to: p.return_to.clone(),
                    }),
                    State::Rejected => Some(MailKind::Rejected {
                        reason: p
                            .reject_text
                            .as_ref()
                            .map(|text| text.pick(request.lang).to_owned())
                            .or_else(|| p.reject_reason.clone())
                            .unwrap_or_default(),
                    }),
                    State::Refunded => p.payout.as_ref().map(|payout| MailKind::Refunded {
                        total: payout.total.0,
                        split: payout
                            .payouts
                            .iter()
                            .filter_map(|paid| {
                                request
                                    .quote
                                    .split
                                    .iter()
                                    .find(|s| s.payment == paid.payment)
                                    .map(|s| (s.method, paid.amount.0))
                            })
                            .collect(),
                    }),
                    State::Closed | State::Exchanged => Some(MailKind::Closed),
                    State::Cancelled | State::ReturnShipped | State::Received => None,
                }
            }
            Happened::Wrote { message, .. } if message.author == refund_api::Author::Merchant => {
                Some(MailKind::Message {
                    body: message.body.clone(),
                })
            }
            Happened::Wrote { .. } | Happened::Disabled { .. } => None,
        }
    }
}

/// Whether `endpoint` wants events of `kind` now.
fn subscribed(endpoint: &EndpointRow, kind: EventType) -> bool {
    endpoint.enabled && (endpoint.types.is_empty() || endpoint.types.contains(&kind))
}

pub fn endpoint_view(row: &EndpointRow) -> EndpointView {
    EndpointView {
        id: row.id.clone(),
        url: row.url.clone(),
        types: row.types.clone(),
        enabled: row.enabled,
        disabled_reason: row.disabled_reason,
        failing_since: row.failing_since,
        created_at: row.created_at,
    }
}

/// A webhook URL the server may send to: http(s), a host, no credentials, and (unless the
/// operator allows private networks) not a private address written as an IP.
fn webhook_url(url: &str, allow_private: bool) -> Result<String, ApiError> {
    let parsed = check_url(url.trim()).map_err(|_| Problem::InvalidWebhookUrl)?;
    if !allow_private
        && let Some(ip) = parsed
            .host_str()
            .and_then(|h| h.trim_matches(['[', ']']).parse().ok())
        && !crate::deliver::http::is_public(ip)
    {
        return Err(Problem::InvalidWebhookUrl.into());
    }
    Ok(parsed.to_string())
}

impl Service {
    /// Records `happened` in `tx`: the event, a delivery to each endpoint that wants it, and
    /// the shopper's e-mail when it is one they hear of.
    pub(crate) async fn raise(
        &self,
        tx: &mut Box<dyn Tx>,
        happened: Happened<'_>,
    ) -> Result<(), StoreError> {
        self.raise_all(tx, [happened]).await
    }

    /// Records several events of one merchant's change, in order, reading the merchant's
    /// endpoints once.
    pub(crate) async fn raise_all<'a>(
        &self,
        tx: &mut Box<dyn Tx>,
        happenings: impl IntoIterator<Item = Happened<'a>>,
    ) -> Result<(), StoreError> {
        let mut endpoints: Option<Vec<EndpointRow>> = None;
        for happened in happenings {
            let all = match &endpoints {
                Some(all) => all,
                None => endpoints.insert(tx.tx_endpoints(happened.merchant_id()).await?),
            };
            let wanted: Vec<String> = all
                .iter()
                .filter(|e| subscribed(e, happened.kind()))
                .map(|e| e.id.clone())
                .collect();
            self.record(tx, &happened, &wanted).await?;
        }
        Ok(())
    }

    /// One event, its deliveries to `endpoints`, and the shopper's e-mail when there is one.
    async fn record(
        &self,
        tx: &mut Box<dyn Tx>,
        happened: &Happened<'_>,
        endpoints: &[String],
    ) -> Result<(), StoreError> {
        let now = self.now();
        let kind = happened.kind();
        let event = Event {
            id: crate::auth::random_key("evt_", 12),
            kind,
            timestamp: now,
            data: happened.data(),
        };
        let body =
            serde_json::to_string(&event).map_err(|e| StoreError::Database(e.to_string()))?;
        let seq = tx
            .insert_event(&NewEvent {
                id: &event.id,
                merchant_id: happened.merchant_id(),
                request_id: happened.request().map(|r| r.id.as_str()),
                kind,
                body: &body,
                at: now,
                endpoints,
            })
            .await?;
        if let (Some(mail), Some(request)) = (happened.mail(), happened.request())
            && !request.customer_email.is_empty()
            && let Some(merchant) = tx.tx_merchant(&request.merchant_id).await?
        {
            let policy = self
                .policy(&request.merchant_id, Some(request.policy_version), Some(tx))
                .await
                .map_err(|e| StoreError::Database(e.to_string()))?;
            let link = self.status_link(&merchant, request, now);
            let email = render(
                &mail,
                &MailFacts {
                    store: &merchant.name,
                    number: &request.number,
                    currency: request.quote.currency,
                    link: &link,
                    offset: policy.offset(),
                },
                request.lang,
                &request.customer_email,
            );
            tx.insert_email(&NewEmail {
                merchant_id: &request.merchant_id,
                event_seq: Some(seq),
                to: &email.to,
                subject: &email.subject,
                text: &email.text,
                html: &email.html,
                at: now,
            })
            .await?;
        }
        metrics::counter!("refund_events_total", "type" => kind.code()).increment(1);
        Ok(())
    }

    /// The refund page of the request's order, signed for the shopper, in their language: it
    /// opens the order with its requests listed, this one among them.
    fn status_link(
        &self,
        merchant: &crate::store::Merchant,
        request: &StoredRequest,
        now: DateTime<Utc>,
    ) -> String {
        let token = sign(
            &merchant.signing_secret,
            &Claims {
                kind: TokenKind::Link,
                m: merchant.id.clone(),
                o: request.order_number.clone(),
                exp: (now + TimeDelta::days(EMAIL_LINK_DAYS)).timestamp(),
            },
        );
        format!(
            "{}/refund?merchant={}&token={token}&lang={}",
            self.public_url,
            merchant.publishable_key,
            request.lang.tag(),
        )
    }

    /// A page of the merchant's events after the cursor `after`.
    pub async fn events_feed(
        &self,
        merchant_id: &str,
        after: Option<&str>,
        limit: Option<u32>,
    ) -> Result<EventPage, ApiError> {
        let after = match after {
            None => 0,
            Some(cursor) => cursor
                .parse::<i64>()
                .ok()
                .filter(|c| *c >= 0)
                .ok_or(Problem::InvalidCursor)?,
        };
        let limit = limit.unwrap_or(FEED_PAGE).clamp(1, FEED_MAX);
        let rows = self.store.events_after(merchant_id, after, limit).await?;
        let next = rows.last().map_or(after, |(seq, _)| *seq);
        let events = rows
            .iter()
            .map(|(_, body)| serde_json::from_str(body).map_err(ApiError::internal))
            .collect::<Result<Vec<Event>, _>>()?;
        Ok(EventPage {
            events,
            next: next.to_string(),
        })
    }

    pub async fn endpoints(&self, merchant_id: &str) -> Result<Vec<EndpointView>, ApiError> {
        Ok(self
            .store
            .endpoints(merchant_id)
            .await?
            .iter()
            .map(endpoint_view)
            .collect())
    }

    /// Adds an endpoint; its signing secret is in the answer, and only there.
    pub async fn add_endpoint(
        &self,
        merchant_id: &str,
        body: &NewEndpoint,
    ) -> Result<EndpointSecret, ApiError> {
        let url = webhook_url(&body.url, self.allow_private)?;
        let secret = Secret::generate().encoded();
        let mut tx = self.store.begin().await?;
        if tx.tx_endpoints(merchant_id).await?.len() >= MAX_ENDPOINTS {
            return Err(Problem::TooManyEndpoints { max: MAX_ENDPOINTS }.into());
        }
        let mut types = body.types.clone();
        types.sort_unstable();
        types.dedup();
        let row = EndpointRow {
            id: crate::auth::random_key("we_", 12),
            merchant_id: merchant_id.to_owned(),
            url,
            types,
            enabled: true,
            disabled_reason: None,
            secret: secret.clone(),
            old_secret: None,
            failing_since: None,
            created_at: self.now(),
        };
        tx.save_endpoint(&row).await?;
        tx.commit().await?;
        Ok(EndpointSecret {
            endpoint: endpoint_view(&row),
            secret,
            old_secret_until: None,
        })
    }

    pub async fn change_endpoint(
        &self,
        merchant_id: &str,
        id: &str,
        change: &EndpointChange,
    ) -> Result<EndpointView, ApiError> {
        let url = change
            .url
            .as_deref()
            .map(|u| webhook_url(u, self.allow_private))
            .transpose()?;
        let mut tx = self.store.begin().await?;
        let mut row = tx
            .lock_endpoint(merchant_id, id)
            .await?
            .ok_or(Problem::NotFound)?;
        if let Some(url) = url {
            row.url = url;
        }
        if let Some(types) = &change.types {
            let mut types = types.clone();
            types.sort_unstable();
            types.dedup();
            row.types = types;
        }
        match change.enabled {
            Some(true) => {
                row.enabled = true;
                row.disabled_reason = None;
                row.failing_since = None;
            }
            Some(false) => {
                row.enabled = false;
                row.disabled_reason = Some(DisabledReason::Merchant);
            }
            None => {}
        }
        tx.save_endpoint(&row).await?;
        tx.commit().await?;
        Ok(endpoint_view(&row))
    }

    pub async fn remove_endpoint(&self, merchant_id: &str, id: &str) -> Result<(), ApiError> {
        let mut tx = self.store.begin().await?;
        if !tx.delete_endpoint(merchant_id, id).await? {
            return Err(Problem::NotFound.into());
        }
        tx.commit().await?;
        Ok(())
    }

    /// A new signing secret; the old one signs beside it for `overlap_hours`, so the
    /// merchant's receivers can switch without refusing a delivery.
    pub async fn rotate_secret(
        &self,
        merchant_id: &str,
        id: &str,
        overlap_hours: Option<u32>,
    ) -> Result<EndpointSecret, ApiError> {
        let hours = overlap_hours
            .unwrap_or(OVERLAP_HOURS)
            .min(MAX_OVERLAP_HOURS);
        let mut tx = self.store.begin().await?;
        let mut row = tx
            .lock_endpoint(merchant_id, id)
            .await?
            .ok_or(Problem::NotFound)?;
        let until = self.now() + TimeDelta::hours(i64::from(hours));
        let secret = Secret::generate().encoded();
        row.old_secret = (hours > 0).then(|| (row.secret.clone(), until));
        row.secret = secret.clone();
        tx.save_endpoint(&row).await?;
        tx.commit().await?;
        Ok(EndpointSecret {
            endpoint: endpoint_view(&row),
            secret,
            old_secret_until: row.old_secret.map(|(_, until)| until),
        })
    }

    pub async fn delivery_log(
        &self,
        merchant_id: &str,
        id: &str,
    ) -> Result<refund_api::DeliveryLog, ApiError> {
        self.store
            .endpoint(merchant_id, id)
            .await?
            .ok_or(Problem::NotFound)?;
        let rows = self.store.deliveries(id, 50).await?;
        Ok(refund_api::DeliveryLog {
            deliveries: rows
                .into_iter()
                .map(|d| refund_api::DeliveryView {
                    event_id: d.event_id,
                    kind: d.kind,
                    state: d.state,
                    next_attempt_at: (d.state == refund_api::DeliveryState::Pending)
                        .then_some(d.next_at),
                    attempts: d
                        .attempts
                        .into_iter()
                        .map(|a| refund_api::AttemptView {
                            at: a.at,
                            status: a.status,
                            latency_ms: a.latency_ms,
                            excerpt: a.excerpt,
                            error: a.error,
                        })
                        .collect(),
                })
                .collect(),
        })
    }

    /// Sends an event to an endpoint again, now (also one it never got).
    pub async fn redeliver(
        &self,
        merchant_id: &str,
        endpoint_id: &str,
        event_id: &str,
    ) -> Result<(), ApiError> {
        let mut tx = self.store.begin().await?;
        tx.lock_endpoint(merchant_id, endpoint_id)
            .await?
            .ok_or(Problem::NotFound)?;
        if !tx
            .redeliver(merchant_id, endpoint_id, event_id, self.now())
            .await?
        {
            return Err(Problem::NotFound.into());
        }
        self.commit(tx).await?;
        Ok(())
    }
}
