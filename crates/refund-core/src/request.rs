//! What a shopper asks for: kind, reason, lines and quantities (PRODUCT.md §4.3).

use serde::{Deserialize, Serialize};

use crate::error::InputError;
use crate::order::{LineIndex, Order, Variant};
use crate::wire::RequestWire;

/// The longest note a shopper can write, in characters.
pub const MAX_NOTE_CHARS: usize = 1000;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum RequestKind {
    /// 仅退款: money back, no goods sent back.
    RefundOnly,
    /// 退货退款: goods sent back, then money back.
    ReturnAndRefund,
    /// 换货: same price, another variant; no money moves.
    Exchange,
}

impl RequestKind {
    pub const ALL: [RequestKind; 3] = [
        RequestKind::RefundOnly,
        RequestKind::ReturnAndRefund,
        RequestKind::Exchange,
    ];

    /// Goods travel back to the merchant, so the order must have been delivered first.
    pub fn returns_goods(self) -> bool {
        matches!(self, RequestKind::ReturnAndRefund | RequestKind::Exchange)
    }

    pub fn code(self) -> &'static str {
        match self {
            RequestKind::RefundOnly => "refund_only",
            RequestKind::ReturnAndRefund => "return_and_refund",
            RequestKind::Exchange => "exchange",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Reason {
    NotReceived,
    QualityIssue,
    DamagedInTransit,
    WrongItem,
    NotAsDescribed,
    SizeMismatch,
    ChangedMind,
    OrderedByMistake,
    Other,
}

/// Who a reason blames; merchants can rename and disable reasons but not re-classify them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Fault {
    Seller,
    Shopper,
}

impl Reason {
    pub const ALL: [Reason; 9] = [
        Reason::NotReceived,
        Reason::QualityIssue,
        Reason::DamagedInTransit,
        Reason::WrongItem,
        Reason::NotAsDescribed,
        Reason::SizeMismatch,
        Reason::ChangedMind,
        Reason::OrderedByMistake,
        Reason::Other,
    ];

    pub fn fault(self) -> Fault {
        match self {
            Reason::NotReceived
            | Reason::QualityIssue
            | Reason::DamagedInTransit
            | Reason::WrongItem
            | Reason::NotAsDescribed => Fault::Seller,
            Reason::SizeMismatch
            | Reason::ChangedMind
            | Reason::OrderedByMistake
            | Reason::Other => Fault::Shopper,
        }
    }

    /// Whether the reason needs evidence when the merchant's policy does not say.
    pub fn evidence_by_default(self) -> bool {
        matches!(
            self,
            Reason::QualityIssue
                | Reason::DamagedInTransit
                | Reason::WrongItem
                | Reason::NotAsDescribed
        )
    }

    pub fn needs_note(self) -> bool {
        self == Reason::Other
    }

    pub fn code(self) -> &'static str {
        match self {
            Reason::NotReceived => "not_received",
            Reason::QualityIssue => "quality_issue",
            Reason::DamagedInTransit => "damaged_in_transit",
            Reason::WrongItem => "wrong_item",
            Reason::NotAsDescribed => "not_as_described",
            Reason::SizeMismatch => "size_mismatch",
            Reason::ChangedMind => "changed_mind",
            Reason::OrderedByMistake => "ordered_by_mistake",
            Reason::Other => "other",
        }
    }
}

/// One line of a request. The quantity may be 0 or too large: that is an eligibility outcome the
/// shopper sees (`quantity_zero`, `quantity_exceeds_available`), not a malformed request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RequestLine {
    line: LineIndex,
    quantity: u32,
    /// `exchange` only: the position of the chosen variant in the line's variants.
    variant: Option<usize>,
}

impl RequestLine {
    /// The variant chosen for an exchange, read from the order the request was checked against.
    pub fn variant(self, order: &Order) -> Option<&Variant> {
        self.variant
            .and_then(|v| order.get_line(self.line)?.variants().get(v))
    }

    pub fn line(self) -> LineIndex {
        self.line
    }

    pub fn quantity(self) -> u32 {
        self.quantity
    }
}

/// A request checked against its order: at least one line, every line id known and named once.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RefundRequest {
    /// How many lines the order it was checked against has.
    order_lines: usize,
    kind: RequestKind,
    reason: Reason,
    lines: Vec<RequestLine>,
    note: String,
    evidence_files: u32,
    goods_intact: bool,
}

impl RefundRequest {
    pub fn new(order: &Order, wire: &RequestWire) -> Result<RefundRequest, InputError> {
        if wire.lines.is_empty() {
            return Err(InputError::EmptyRequest);
        }
        let mut lines: Vec<RequestLine> = Vec::with_capacity(wire.lines.len());
        for (i, requested) in wire.lines.iter().enumerate() {
            let line =
                order
                    .line_index(&requested.line_id)
                    .ok_or_else(|| InputError::UnknownLine {
                        line_id: clip(&requested.line_id),
                    })?;
            if lines.iter().any(|l| l.line == line) {
                return Err(InputError::DuplicateRequestLine {
                    line_id: clip(&requested.line_id),
                });
            }
            let variant = match requested.exchange_for.as_deref() {
                None => None,
                Some(_) if wire.kind != RequestKind::Exchange => {
                    return Err(InputError::NotAllowed {
                        field: format!("lines[{i}].exchange_for"),
                    });
                }
                Some(sku) => Some(
                    order
                        .line(line)
                        .variants()
                        .iter()
                        .position(|v| v.sku() == sku.trim())
                        .ok_or_else(|| InputError::UnknownVariant {
                            line_id: clip(&requested.line_id),
                            sku: clip(sku),
                        })?,
                ),
            };
            lines.push(RequestLine {
                line,
                quantity: requested.quantity,
                variant,
            });
        }
        let note = wire.note.trim();
        if note.chars().count() > MAX_NOTE_CHARS {
            return Err(InputError::TooLong {
                field: "note".to_owned(),
                max: MAX_NOTE_CHARS,
            });
        }
        Ok(RefundRequest {
            order_lines: order.lines().len(),
            kind: wire.kind,
            reason: wire.reason,
            lines,
            note: note.to_owned(),
            evidence_files: wire.evidence_files,
            goods_intact: wire.goods_intact,
        })
    }

    pub fn kind(&self) -> RequestKind {
        self.kind
    }

    /// Whether this request was checked against an order shaped like `order`.
    pub fn fits(&self, order: &Order) -> bool {
        self.order_lines == order.lines().len()
    }

    pub fn reason(&self) -> Reason {
        self.reason
    }

    pub fn lines(&self) -> &[RequestLine] {
        &self.lines
    }

    /// The note, trimmed.
    pub fn note(&self) -> &str {
        &self.note
    }

    pub fn evidence_files(&self) -> u32 {
        self.evidence_files
    }

    pub fn goods_intact(&self) -> bool {
        self.goods_intact
    }
}

/// Keeps an echoed identifier short so an error cannot be used to reflect a huge payload.
pub(crate) fn clip(text: &str) -> String {
    text.chars().take(64).collect()
}
