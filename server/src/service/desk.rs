//! The desk's workflows: the queue, assignment, the thread with the shopper, reply templates,
//! return addresses, and the decisions staff take (with an address, a template, a deduction,
//! or on many requests at once).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use refund_api::{
    ActedBy, AddressBody, Approval, Author, BatchItem, Bilingual, Deduction, ErrorDetail,
    EventDetail, HistoryEvent, MAX_BATCH, MAX_MESSAGE_CHARS, MAX_MESSAGE_PHOTOS, MAX_NAME_CHARS,
    NewMessage, Payout, PayoutRecord, Problem, QueueCounts, QueueSort, QueueTab, RefundPaid,
    Rejection, ReplyTemplate, RequestQuery, ReturnAddress, ReturnTo, Role, StaffBrief,
    TemplateBody,
};
use refund_core::wire::DecimalStr;
use refund_core::{Actor, Event, Lang, MAX_REJECT_REASON_CHARS};
use rust_decimal::Decimal;

use super::events::Happened;
use super::lifecycle::Step;
use super::staff::{Caller, text};
use super::{Service, Stop, invalid_query, query_time, retrying};
use crate::error::ApiError;
use crate::store::{
    AssigneeFilter, Cursor, DeskList, MessageRow, Page, RequestFilter, Sort, StoredRequest,
};

const DEFAULT_PAGE: u32 = 50;
const MAX_PAGE: u32 = 200;
/// The longest instruction or payment reference.
const MAX_NOTE_CHARS: usize = 500;
const MAX_REFERENCE_CHARS: usize = 100;

fn encode_cursor(sort: Sort, request: &StoredRequest) -> String {
    let at = |t: DateTime<Utc>| t.to_rfc3339();
    let deadline = match sort {
        Sort::Deadline => request.progress.deadline.map(|(_, d)| at(d)),
        Sort::Newest => None,
    };
    URL_SAFE_NO_PAD.encode(format!(
        "{}|{}|{}",
        deadline.unwrap_or_default(),
        at(request.progress.submitted_at),
        request.id
    ))
}

fn decode_cursor(cursor: &str) -> Result<Cursor, ApiError> {
    let text = URL_SAFE_NO_PAD
        .decode(cursor)
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .ok_or(Problem::InvalidCursor)?;
    let mut parts = text.splitn(3, '|');
    let (Some(deadline), Some(submitted), Some(id)) = (parts.next(), parts.next(), parts.next())
    else {
        return Err(Problem::InvalidCursor.into());
    };
    let time = |t: &str| {
        DateTime::parse_from_rfc3339(t)
            .map(|t| t.to_utc())
            .map_err(|_| ApiError::from(Problem::InvalidCursor))
    };
    Ok(Cursor {
        deadline_at: (!deadline.is_empty()).then(|| time(deadline)).transpose()?,
        submitted_at: time(submitted)?,
        id: id.to_owned(),
    })
}

fn cursor_of(q: &RequestQuery) -> Result<Option<Cursor>, ApiError> {
    q.cursor
        .as_deref()
        .filter(|c| !c.is_empty())
        .map(decode_cursor)
        .transpose()
}

/// What a list or a count of the queue takes, from the query (checked whole, so a count
/// refuses what the list would).
fn filter_of(caller: &Caller, q: &RequestQuery) -> Result<RequestFilter, ApiError> {
    if !(1..=MAX_PAGE).contains(&q.limit.unwrap_or(DEFAULT_PAGE)) {
        return Err(invalid_query(format!(
            "limit must be between 1 and {MAX_PAGE}"
        )));
    }
    cursor_of(q)?;
    query_time("from", q.from)?;
    query_time("to", q.to)?;
    let assignee = match q.assignee.as_deref().map(str::trim) {
        None | Some("") => None,
        Some("none") => Some(AssigneeFilter::Nobody),
        Some("me") => Some(AssigneeFilter::Staff(
            caller
                .staff_id()
                .ok_or_else(|| invalid_query("assignee=me needs a staff session"))?
                .to_owned(),
        )),
        Some(id) => Some(AssigneeFilter::Staff(id.to_owned())),
    };
    let amount = |d: Option<DecimalStr>| d.map(|d| d.0);
    if let (Some(min), Some(max)) = (q.min_total, q.max_total)
        && min.0 > max.0
    {
        return Err(invalid_query("min_total is more than max_total"));
    }
    Ok(RequestFilter {
        pairs: None,
        state: q.state,
        reason: q.reason,
        kind: q.kind,
        assignee,
        min_total: amount(q.min_total),
        max_total: amount(q.max_total),
        search: q
            .q
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned),
        from: q.from,
        to: q.to,
    })
}

/// Requests of each tab from counts by (state, kind).
fn tally(groups: &[crate::store::QueueGroup]) -> QueueCounts {
    let mut counts = QueueCounts::default();
    for group in groups {
        for tab in QueueTab::ALL {
            if tab.holds(group.state, group.kind) {
                counts.add(tab, group.requests);
            }
        }
        counts.overdue += group.overdue;
    }
    counts
}

/// The payouts that pay exactly a request's split.
pub fn split_payouts(request: &StoredRequest) -> Vec<Payout> {
    let mut payouts: Vec<Payout> = request
        .quote
        .split
        .iter()
        .map(|s| Payout {
            payment: s.payment,
            amount: s.amount,
        })
        .collect();
    payouts.sort();
    payouts
}

/// Checks a recorded payout against the request: without a deduction exactly its split; with
/// one, at most each payment's share, adding up to the total less the deduction.
fn check_payout(
    request: &StoredRequest,
    payouts: &[Payout],
    deduction: Option<&Deduction>,
) -> Result<(), ApiError> {
    let expected = split_payouts(request);
    let mismatch = || ApiError::from(Problem::PayoutMismatch).with_expected(expected.clone());
    let Some(deduction) = deduction else {
        return if payouts == expected.as_slice() {
            Ok(())
        } else {
            Err(mismatch())
        };
    };
    let total = request.quote.total.0;
    if deduction.amount.0 <= Decimal::ZERO || deduction.amount.0 >= total {
        return Err(Problem::InvalidDeduction.into());
    }
    let mut paid = Decimal::ZERO;
    for payout in payouts {
        let share = expected
            .iter()
            .find(|e| e.payment == payout.payment)
            .ok_or_else(mismatch)?;
        if payout.amount.0.is_sign_negative() || payout.amount.0 > share.amount.0 {
            return Err(mismatch());
        }
        paid = paid.checked_add(payout.amount.0).ok_or_else(mismatch)?;
    }
    let distinct = payouts.windows(2).all(|w| w[0].payment != w[1].payment);
    if !distinct || total.checked_sub(deduction.amount.0) != Some(paid) {
        return Err(mismatch());
    }
    Ok(())
}

impl Service {
    /// A page of the queue: the filter, the tab, the order asked, from the cursor on; with
    /// the cursor of the next page when there is one.
    pub async fn queue(
        &self,
        caller: &Caller,
        q: &RequestQuery,
    ) -> Result<(Vec<StoredRequest>, Option<String>), ApiError> {
        let mut filter = filter_of(caller, q)?;
        let limit = q.limit.unwrap_or(DEFAULT_PAGE);
        let tab = q.tab.unwrap_or(QueueTab::All);
        filter.pairs = q.tab.map(|tab| tab.pairs());
        let sort = match q.sort.unwrap_or(tab.default_sort()) {
            QueueSort::Deadline => Sort::Deadline,
            QueueSort::Newest => Sort::Newest,
        };
        let page = Page {
            sort,
            after: cursor_of(q)?,
            limit: limit + 1,
        };
        let mut found = self
            .store
            .list_requests(&caller.merchant.id, &filter, &page)
            .await?;
        let next = if found.len() > limit as usize {
            found.truncate(limit as usize);
            found.last().map(|r| encode_cursor(sort, r))
        } else {
            None
        };
        Ok((found, next))
    }

    /// How many requests each tab holds under the query's filters.
    pub async fn queue_counts(
        &self,
        caller: &Caller,
        q: &RequestQuery,
    ) -> Result<QueueCounts, ApiError> {
        let filter = filter_of(caller, q)?;
        let groups = self
            .store
            .queue_counts(&caller.merchant.id, &filter, self.now())
            .await?;
        Ok(tally(&groups))
    }

    /// The history of each request, in the order of `requests`.
    pub async fn histories(
        &self,
        requests: &[StoredRequest],
    ) -> Result<Vec<Vec<HistoryEvent>>, ApiError> {
        let ids: Vec<String> = requests.iter().map(|r| r.id.clone()).collect();
        let mut rows = self.store.events_of(&ids).await?;
        Ok(ids
            .iter()
            .map(|id| {
                let (mine, rest): (Vec<_>, Vec<_>) = std::mem::take(&mut rows)
                    .into_iter()
                    .partition(|(r, _)| r == id);
                rows = rest;
                mine.into_iter().map(|(_, e)| e).collect()
            })
            .collect())
    }

    /// Assigns a request to an active agent or owner, or to nobody; audited.
    pub async fn assign(
        &self,
        caller: &Caller,
        request_id: &str,
        staff_id: Option<&str>,
    ) -> Result<StoredRequest, ApiError> {
        let merchant_id = &caller.merchant.id;
        // Another merchant's request is not found, whoever it would go to.
        self.store
            .request(merchant_id, request_id)
            .await?
            .ok_or(Problem::NotFound)?;
        let assignee = match staff_id {
            None => None,
            Some(id) => {
                let staff = self
                    .store
                    .staff(merchant_id, id)
                    .await?
                    .filter(|s| s.active && s.role != Role::Viewer)
                    .ok_or(Problem::InvalidAssignee)?;
                Some(StaffBrief {
                    id: staff.id,
                    name: staff.name,
                })
            }
        };
        let by = caller.acted_by();
        retrying(|| async {
            let mut tx = self.store.begin().await?;
            let current = tx
                .lock_request(merchant_id, request_id)
                .await?
                .ok_or(Problem::NotFound)?;
            let state = current.progress.state;
            let row = HistoryEvent {
                actor: Actor::Merchant,
                action: "assign".to_owned(),
                before: Some(state),
                after: state,
                at: self.now(),
                by: Some(by.clone()),
                detail: EventDetail {
                    assignee: assignee.clone(),
                    ..EventDetail::default()
                },
            };
            tx.assign(&current, assignee.as_ref().map(|a| a.id.as_str()), &row)
                .await?;
            tx.commit().await?;
            Ok(StoredRequest {
                assignee: assignee.clone(),
                ..current
            })
        })
        .await
    }

    /// Adds a message to a request's thread from `author`'s side. The shopper may attach
    /// photos (free images of the order); the merchant may ask for more.
    pub async fn post_message(
        &self,
        request: &StoredRequest,
        author: Author,
        by: Option<ActedBy>,
        message: &NewMessage,
    ) -> Result<MessageRow, ApiError> {
        let body = message.body.trim().to_owned();
        if body.chars().count() > MAX_MESSAGE_CHARS || body.is_empty() && message.photos.is_empty()
        {
            return Err(Problem::TextLength {
                field: "body",
                max: MAX_MESSAGE_CHARS,
            }
            .into());
        }
        match author {
            Author::Merchant if !message.photos.is_empty() => {
                return Err(Problem::NotYourSide { field: "photos" }.into());
            }
            Author::Shopper if message.asks_for_photos => {
                return Err(Problem::NotYourSide {
                    field: "asks_for_photos",
                }
                .into());
            }
            _ => {}
        }
        if message.photos.len() > MAX_MESSAGE_PHOTOS {
            return Err(Problem::TooManyImages {
                max: MAX_MESSAGE_PHOTOS as u32,
            }
            .into());
        }
        let row = MessageRow {
            id: crate::auth::random_key("msg_", 12),
            author,
            by: by.clone(),
            body,
            photos: message.photos.clone(),
            asks_for_photos: message.asks_for_photos,
            at: self.now(),
        };
        retrying(|| async {
            let mut tx = self.store.begin().await?;
            let current = tx
                .lock_request(&request.merchant_id, &request.id)
                .await?
                .ok_or(Problem::NotFound)?;
            if !row.photos.is_empty() {
                let free = tx.free_evidence(&current.order_id).await?;
                for (i, id) in row.photos.iter().enumerate() {
                    if !free.contains(id) {
                        return Err(Stop::from(Problem::UnknownEvidence { id: id.clone() }));
                    }
                    if row.photos[..i].contains(id) {
                        return Err(Stop::from(Problem::DuplicateEvidence { id: id.clone() }));
                    }
                }
            }
            let state = current.progress.state;
            let event = HistoryEvent {
                actor: match author {
                    Author::Shopper => Actor::Shopper,
                    Author::Merchant => Actor::Merchant,
                },
                action: "message".to_owned(),
                before: Some(state),
                after: state,
                at: row.at,
                by: by.clone(),
                detail: EventDetail::default(),
            };
            tx.insert_message(&current, &row, &event).await?;
            self.raise(
                &mut tx,
                Happened::Wrote {
                    request: &current,
                    message: &row,
                },
            )
            .await?;
            self.commit(tx).await?;
            Ok(row.clone())
        })
        .await
    }

    /// The merchant's reply templates.
    pub async fn templates(&self, merchant_id: &str) -> Result<Vec<ReplyTemplate>, ApiError> {
        let items = self
            .store
            .desk_items(DeskList::Templates, merchant_id)
            .await?;
        items
            .into_iter()
            .map(|(id, body)| {
                let body: TemplateBody = serde_json::from_str(&body).map_err(ApiError::internal)?;
                Ok(ReplyTemplate {
                    id,
                    title: body.title,
                    text: body.text,
                })
            })
            .collect()
    }

    /// The merchant's return addresses.
    pub async fn addresses(&self, merchant_id: &str) -> Result<Vec<ReturnAddress>, ApiError> {
        let items = self
            .store
            .desk_items(DeskList::Addresses, merchant_id)
            .await?;
        items
            .into_iter()
            .map(|(id, body)| {
                Ok(ReturnAddress::new(
                    id,
                    serde_json::from_str(&body).map_err(ApiError::internal)?,
                ))
            })
            .collect()
    }

    /// Adds (`id` = `None`) or replaces a template or an address, checked first; returns its id.
    pub async fn put_desk_item(
        &self,
        merchant_id: &str,
        list: DeskList,
        id: Option<&str>,
        body: &str,
    ) -> Result<String, ApiError> {
        match id {
            None => {
                let prefix = match list {
                    DeskList::Templates => "tpl_",
                    DeskList::Addresses => "addr_",
                };
                let id = crate::auth::random_key(prefix, 8);
                self.store
                    .insert_desk_item(list, merchant_id, &id, body, self.now())
                    .await?;
                Ok(id)
            }
            Some(id) => {
                if self
                    .store
                    .update_desk_item(list, merchant_id, id, body)
                    .await?
                {
                    Ok(id.to_owned())
                } else {
                    Err(Problem::NotFound.into())
                }
            }
        }
    }

    pub async fn delete_desk_item(
        &self,
        merchant_id: &str,
        list: DeskList,
        id: &str,
    ) -> Result<(), ApiError> {
        if self.store.delete_desk_item(list, merchant_id, id).await? {
            Ok(())
        } else {
            Err(Problem::NotFound.into())
        }
    }

    /// Approves a request; for returns, with one of the merchant's return addresses and
    /// instructions, which the shopper is shown.
    pub async fn approve(
        &self,
        caller: &Caller,
        request_id: &str,
        approval: &Approval,
    ) -> Result<StoredRequest, ApiError> {
        let mut step = Step::new(Actor::Merchant, Event::Approve, Some(caller.acted_by()));
        let instructions = approval
            .instructions
            .as_deref()
            .map(str::trim)
            .filter(|i| !i.is_empty())
            .map(|i| text("instructions", i, MAX_NOTE_CHARS))
            .transpose()?;
        if let Some(id) = &approval.return_address_id {
            let body = self
                .store
                .desk_item(DeskList::Addresses, &caller.merchant.id, id)
                .await?
                .ok_or(Problem::UnknownReturnAddress)?;
            let address: AddressBody = serde_json::from_str(&body).map_err(ApiError::internal)?;
            step.return_to = Some(ReturnTo {
                recipient: address.recipient,
                phone: address.phone,
                address: address.address,
                instructions,
            });
        } else if instructions.is_some() {
            return Err(Problem::UnknownReturnAddress.into());
        }
        let returns = step.return_to.is_some();
        self.act(&caller.merchant.id, request_id, step, |current| {
            if returns && !current.kind.returns_goods() {
                Err(Problem::UnknownReturnAddress.into())
            } else {
                Ok(())
            }
        })
        .await
    }

    /// Rejects a request with a reason written out or one of the merchant's templates.
    pub async fn reject(
        &self,
        caller: &Caller,
        request_id: &str,
        rejection: &Rejection,
    ) -> Result<StoredRequest, ApiError> {
        let (reason, reject_text) = match (&rejection.reason, &rejection.template_id) {
            (Some(reason), None) => (reason.clone(), None),
            (None, Some(id)) => {
                let body = self
                    .store
                    .desk_item(DeskList::Templates, &caller.merchant.id, id)
                    .await?
                    .ok_or(Problem::UnknownTemplate)?;
                let template: TemplateBody =
                    serde_json::from_str(&body).map_err(ApiError::internal)?;
                (
                    template.text.pick(Lang::ZhCn).to_owned(),
                    Some(template.text),
                )
            }
            _ => return Err(Problem::OneRejectionReason.into()),
        };
        let mut step = Step::new(
            Actor::Merchant,
            Event::Reject { reason },
            Some(caller.acted_by()),
        );
        step.reject_text = reject_text;
        self.act(&caller.merchant.id, request_id, step, |_| Ok(()))
            .await
    }

    /// Records the refund paid out: the request's split, or less with a stated deduction.
    pub async fn record_refund(
        &self,
        caller: &Caller,
        request_id: &str,
        paid: &RefundPaid,
    ) -> Result<StoredRequest, ApiError> {
        let mut payouts = paid.payouts.clone();
        payouts.sort();
        let deduction = paid
            .deduction
            .as_ref()
            .map(|d| {
                Ok::<_, ApiError>(Deduction {
                    amount: d.amount,
                    reason: text("deduction.reason", &d.reason, MAX_REJECT_REASON_CHARS)?,
                })
            })
            .transpose()?;
        let reference = paid
            .reference
            .as_deref()
            .map(str::trim)
            .filter(|r| !r.is_empty())
            .map(|r| text("reference", r, MAX_REFERENCE_CHARS))
            .transpose()?;
        // Amounts no split could hold may not even add up. `check_payout` refuses them, with the
        // split expected, once the request is read; until then the sum is only a maybe.
        let total = payouts
            .iter()
            .try_fold(Decimal::ZERO, |sum, p| sum.checked_add(p.amount.0));
        let mut step = Step::new(
            Actor::Merchant,
            Event::RecordRefund,
            Some(caller.acted_by()),
        );
        step.detail = EventDetail {
            payouts: Some(payouts.clone()),
            deduction: deduction.clone(),
            ..EventDetail::default()
        };
        step.payout = Some(PayoutRecord {
            payouts: payouts.clone(),
            total: DecimalStr(total.unwrap_or_default()),
            deduction: deduction.clone(),
            reference,
        });
        self.act(&caller.merchant.id, request_id, step, move |current| {
            check_payout(current, &payouts, deduction.as_ref())?;
            // Payouts that match a split add up; this only keeps a wrong total from being kept.
            total
                .map(drop)
                .ok_or_else(|| Problem::PayoutMismatch.into())
        })
        .await
    }

    /// Approves each request that waits for a decision; what became of each, in order.
    pub async fn approve_batch(
        &self,
        caller: &Caller,
        ids: &[String],
        lang: Lang,
    ) -> Result<Vec<BatchItem>, ApiError> {
        if ids.is_empty() || ids.len() > MAX_BATCH {
            return Err(Problem::InvalidBatch { max: MAX_BATCH }.into());
        }
        let mut results = Vec::with_capacity(ids.len());
        for id in ids {
            let step = Step::new(Actor::Merchant, Event::Approve, Some(caller.acted_by()));
            let item = match self.act(&caller.merchant.id, id, step, |_| Ok(())).await {
                Ok(request) => BatchItem {
                    id: id.clone(),
                    state: Some(request.progress.state),
                    error: None,
                },
                Err(error) => {
                    let state = self
                        .store
                        .request(&caller.merchant.id, id)
                        .await?
                        .map(|r| r.progress.state);
                    BatchItem {
                        id: id.clone(),
                        state,
                        error: Some(ErrorDetail::new(&error.problem, lang)),
                    }
                }
            };
            results.push(item);
        }
        Ok(results)
    }
}

/// A template or address body, checked: every text present and not too long.
pub fn check_template(body: &TemplateBody) -> Result<TemplateBody, ApiError> {
    Ok(TemplateBody {
        title: text("title", &body.title, MAX_NAME_CHARS)?,
        text: Bilingual {
            zh_cn: text("text.zh-CN", &body.text.zh_cn, MAX_REJECT_REASON_CHARS)?,
            en: text("text.en", &body.text.en, MAX_REJECT_REASON_CHARS)?,
        },
    })
}

pub fn check_address(body: &AddressBody) -> Result<AddressBody, ApiError> {
    Ok(AddressBody {
        label: text("label", &body.label, MAX_NAME_CHARS)?,
        recipient: text("recipient", &body.recipient, MAX_NAME_CHARS)?,
        phone: text("phone", &body.phone, 40)?,
        address: text("address", &body.address, MAX_NOTE_CHARS)?,
    })
}
