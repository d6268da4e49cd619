//! The error catalog: every error the API answers with, its stable code, its HTTP status, the
//! field at fault and its message in zh-CN and en, in one place beside the engine's catalog.
//!
//! On the wire an error is `{"error": {"code", "message", "field"?, …details}}` ([`ErrorBody`]).
//! The engine's own input and lifecycle errors keep the codes of [`refund_core::InputError`] and
//! [`refund_core::LifecycleError`]; everything else has an [`ErrorCode`].

use refund_core::messages::{Lang, input_error, lifecycle_error};
use refund_core::wire::DecimalStr;
use refund_core::{InputError, LifecycleError};
use serde::{Deserialize, Serialize};

/// The catalog, once: each problem's variant (with what its message needs), its code and its
/// HTTP status. From it come [`ErrorCode`], [`Problem`] and the mapping between them.
macro_rules! catalog {
    ($($(#[$doc:meta])* $name:ident $({ $($field:ident: $ty:ty),* $(,)? })? = $code:literal => $status:literal,)*) => {
        /// The API's own error codes (the engine's input and lifecycle codes are listed by
        /// [`InputError::CODES`] and [`LifecycleError::CODES`]). An unknown code (a newer
        /// server's, or the engine's) reads as [`ErrorCode::Other`].
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
        pub enum ErrorCode {
            $($(#[$doc])* #[serde(rename = $code)] $name,)*
            /// A code this build does not know.
            #[serde(other)]
            Other,
        }

        impl ErrorCode {
            /// Every code but [`ErrorCode::Other`].
            pub const ALL: &[ErrorCode] = &[$(ErrorCode::$name,)*];

            pub fn as_str(self) -> &'static str {
                match self {
                    $(ErrorCode::$name => $code,)*
                    ErrorCode::Other => "other",
                }
            }

            /// The HTTP status this code is answered with.
            pub fn status(self) -> u16 {
                match self {
                    $(ErrorCode::$name => $status,)*
                    ErrorCode::Other => 500,
                }
            }
        }

        /// An error the API answers with, with what its message needs.
        #[derive(Clone, Debug, PartialEq)]
        pub enum Problem {
            $($(#[$doc])* $name $({ $($field: $ty),* })?,)*
            /// The engine refused an input (an order, a policy, a request).
            Input(InputError),
            /// The request's state does not allow this step, or its text is missing or too long.
            Lifecycle(LifecycleError),
        }

        impl Problem {
            /// The API's code, or `None` for the engine's own errors.
            pub fn error_code(&self) -> Option<ErrorCode> {
                match self {
                    $(Problem::$name { .. } => Some(ErrorCode::$name),)*
                    Problem::Input(_) | Problem::Lifecycle(_) => None,
                }
            }
        }
    };
}

catalog! {
    /// The request line, path or query is not valid.
    InvalidRequest = "invalid_request" => 400,
    MalformedJson { detail: String } = "malformed_json" => 400,
    UnreadableBody = "unreadable_body" => 400,
    InvalidQuery { detail: String } = "invalid_query" => 400,
    InvalidCursor = "invalid_cursor" => 400,
    IdempotencyKeyRequired = "idempotency_key_required" => 400,
    /// Missing or wrong secret key, or no session token.
    Unauthorized = "unauthorized" => 401,
    SessionInvalid = "session_invalid" => 401,
    LinkInvalid = "link_invalid" => 401,
    LinkExpired = "link_expired" => 401,
    /// The desk: the e-mail or the password is wrong (the same answer for either).
    SignInFailed = "sign_in_failed" => 401,
    /// The desk session ended (signed out, idle too long, or the account deactivated).
    DeskSessionEnded = "desk_session_ended" => 401,
    /// The set-up link is unknown, used or expired.
    SetUpLinkInvalid = "set_up_link_invalid" => 401,
    /// The staff member's role does not allow this.
    Forbidden = "forbidden" => 403,
    /// A state-changing call with a desk session lacks the session's `X-CSRF-Token`.
    CsrfTokenInvalid = "csrf_token_invalid" => 403,
    /// Another merchant's object answers this too: ids are scoped to their merchant.
    NotFound = "not_found" => 404,
    /// The lookup: no order for this number and email (the same answer whichever is wrong).
    OrderNotFound = "order_not_found" => 404,
    /// No endpoint at this path: see `/api/docs`.
    UnknownEndpoint = "unknown_endpoint" => 404,
    MethodNotAllowed = "method_not_allowed" => 405,
    /// What the shopper saw changed: the fresh quote comes with the error. `total` is the fresh
    /// total when it changed; `None` when the verdict or the split changed.
    StaleQuote { total: Option<DecimalStr> } = "stale_quote" => 409,
    /// Another request took the units first.
    NotEnoughLeft { left: DecimalStr } = "not_enough_left" => 409,
    OrderLocked = "order_locked" => 409,
    /// Another staff account already uses this e-mail.
    EmailTaken = "email_taken" => 409,
    /// A merchant keeps at least one active owner.
    LastOwner = "last_owner" => 409,
    /// Concurrent writes kept winning; nothing was changed, try again.
    ConcurrentUpdate = "concurrent_update" => 409,
    BodyTooLarge = "body_too_large" => 413,
    UriTooLong = "uri_too_long" => 414,
    JsonRequired = "json_required" => 415,
    NotAnImage = "not_an_image" => 415,
    InvalidBody { detail: String } = "invalid_body" => 422,
    IdempotencyKeyReused = "idempotency_key_reused" => 422,
    RequestIneligible = "request_ineligible" => 422,
    ExpectedTotalRequired = "expected_total_required" => 422,
    UnknownEvidence { id: String } = "unknown_evidence" => 422,
    DuplicateEvidence { id: String } = "duplicate_evidence" => 422,
    OrderNumberMismatch = "order_number_mismatch" => 422,
    InvalidTtl { min: i64, max: i64 } = "invalid_ttl" => 422,
    PayoutMismatch = "payout_mismatch" => 422,
    TooManyImages { max: u32 } = "too_many_images" => 422,
    InvalidEmail = "invalid_email" => 422,
    WeakPassword { min: usize, max: usize } = "weak_password" => 422,
    /// A text is empty (where it must not be) or too long.
    TextLength { field: &'static str, max: usize } = "text_length" => 422,
    /// Assigning to someone who is not an active agent or owner of this merchant.
    InvalidAssignee = "invalid_assignee" => 422,
    UnknownTemplate = "unknown_template" => 422,
    UnknownReturnAddress = "unknown_return_address" => 422,
    /// A rejection needs a reason or a template, not both.
    OneRejectionReason = "one_rejection_reason" => 422,
    /// A deduction must be more than zero and less than the total, with a reason.
    InvalidDeduction = "invalid_deduction" => 422,
    /// A batch takes 1 to `max` requests.
    InvalidBatch { max: usize } = "invalid_batch" => 422,
    /// Photos in a message are the shopper's to add; asking for photos is the merchant's.
    NotYourSide { field: &'static str } = "not_your_side" => 422,
    /// A webhook endpoint's URL is not an http(s) URL of a public host, without credentials.
    InvalidWebhookUrl = "invalid_webhook_url" => 422,
    /// A merchant keeps at most `max` webhook endpoints.
    TooManyEndpoints { max: usize } = "too_many_endpoints" => 422,
    /// Creating a merchant (from the command line) without a name.
    NameRequired = "name_required" => 422,
    /// Slow down: `Retry-After` says when to try again.
    TooManyLookups { retry_after: u64 } = "too_many_lookups" => 429,
    /// Too many sign-in attempts for this account or from this address.
    TooManySignIns { retry_after: u64 } = "too_many_sign_ins" => 429,
    HeadersTooLarge = "headers_too_large" => 431,
    /// A fault on our side, logged; never details.
    Internal = "internal" => 500,
}

fn pick(lang: Lang, zh: String, en: String) -> String {
    match lang {
        Lang::ZhCn => zh,
        Lang::En => en,
    }
}

impl Problem {
    /// The stable code on the wire.
    pub fn code(&self) -> &'static str {
        match self {
            Problem::Input(e) => e.code(),
            Problem::Lifecycle(e) => e.code(),
            other => other.error_code().map_or("internal", ErrorCode::as_str),
        }
    }

    pub fn status(&self) -> u16 {
        match self {
            Problem::Input(_) => 422,
            // A missing or overlong text is the caller's input to fix; anything else conflicts
            // with the request's current state.
            Problem::Lifecycle(LifecycleError::InvalidText { .. }) => 422,
            Problem::Lifecycle(_) => 409,
            other => other.error_code().map_or(500, ErrorCode::status),
        }
    }

    /// Seconds a client must wait before trying again, for the rate limits.
    pub fn retry_after(&self) -> Option<u64> {
        match self {
            Problem::TooManyLookups { retry_after } | Problem::TooManySignIns { retry_after } => {
                Some(*retry_after)
            }
            _ => None,
        }
    }

    /// The input field at fault, as a path (`"lines[2].unit_price"`), when there is one.
    pub fn field(&self) -> Option<&str> {
        match self {
            Problem::Input(e) => e.field(),
            Problem::Lifecycle(LifecycleError::InvalidText { field, .. }) => Some(field),
            Problem::ExpectedTotalRequired => Some("expected_total"),
            Problem::UnknownEvidence { .. } | Problem::DuplicateEvidence { .. } => Some("evidence"),
            Problem::OrderNumberMismatch => Some("number"),
            Problem::InvalidTtl { .. } => Some("ttl_seconds"),
            Problem::InvalidCursor => Some("cursor"),
            Problem::PayoutMismatch => Some("payouts"),
            Problem::NameRequired => Some("name"),
            Problem::SignInFailed => Some("password"),
            Problem::SetUpLinkInvalid => Some("token"),
            Problem::EmailTaken | Problem::InvalidEmail => Some("email"),
            Problem::WeakPassword { .. } => Some("password"),
            Problem::TextLength { field, .. } | Problem::NotYourSide { field } => Some(field),
            Problem::InvalidAssignee => Some("staff_id"),
            Problem::UnknownTemplate => Some("template_id"),
            Problem::UnknownReturnAddress => Some("return_address_id"),
            Problem::OneRejectionReason => Some("reason"),
            Problem::InvalidDeduction => Some("deduction"),
            Problem::InvalidBatch { .. } => Some("ids"),
            Problem::InvalidWebhookUrl => Some("url"),
            Problem::LastOwner => Some("role"),
            Problem::IdempotencyKeyRequired | Problem::IdempotencyKeyReused => {
                Some("Idempotency-Key")
            }
            _ => None,
        }
    }

    /// What went wrong and what to do about it, in `lang`.
    pub fn message(&self, lang: Lang) -> String {
        let text = |zh: &str, en: &str| pick(lang, zh.to_owned(), en.to_owned());
        match self {
            Problem::InvalidRequest => text(
                "请求无效，请检查地址和参数。",
                "The request is not valid; check its path and parameters.",
            ),
            Problem::MalformedJson { detail } => pick(
                lang,
                format!("请求内容不是有效的 JSON：{detail}"),
                format!("The body is not valid JSON: {detail}"),
            ),
            Problem::UnreadableBody => text("无法读取请求内容。", "The body could not be read."),
            Problem::InvalidQuery { detail } => pick(
                lang,
                format!("查询参数有误：{detail}"),
                format!("The query string is not valid: {detail}"),
            ),
            Problem::InvalidCursor => text(
                "cursor 无效，请使用上一页返回的 next_cursor。",
                "Invalid cursor; pass the next_cursor of the previous page.",
            ),
            Problem::IdempotencyKeyRequired => text(
                "提交需要 Idempotency-Key 请求头（每次新申请一个唯一值，重试时沿用，最多 255 个字符）。",
                "Submitting needs an Idempotency-Key header: a unique value per new request, reused on retry, at most 255 characters.",
            ),
            Problem::Unauthorized => text(
                "缺少或无效的凭证，请检查 API 密钥或重新打开退款链接。",
                "Missing or invalid credentials: check the API key, or open the refund link again.",
            ),
            Problem::SessionInvalid => text(
                "会话无效或已过期，请重新打开退款链接或查询订单。",
                "Your session is invalid or has expired; open the refund link or look up the order again.",
            ),
            Problem::LinkInvalid => text(
                "退款链接无效，请使用商家提供的完整链接。",
                "This refund link is not valid; use the full link the store sent.",
            ),
            Problem::LinkExpired => text(
                "退款链接已过期，请联系商家获取新链接。",
                "This refund link has expired; ask the store for a new one.",
            ),
            Problem::NotFound => text("未找到。", "Not found."),
            Problem::OrderNotFound => text(
                "未找到与该订单号和邮箱匹配的订单，请检查后重试。",
                "No order matches this order number and email; check both and try again.",
            ),
            Problem::UnknownEndpoint => text(
                "没有这个接口，请查看 /api/docs。",
                "There is no such endpoint; see /api/docs.",
            ),
            Problem::MethodNotAllowed => text(
                "该地址不支持此请求方法。",
                "This path does not take that method.",
            ),
            Problem::StaleQuote { total: Some(total) } => pick(
                lang,
                format!("退款金额已更新为 {}，请确认后再提交。", total.0),
                format!(
                    "The refund is now {}; please check it and submit again.",
                    total.0
                ),
            ),
            Problem::StaleQuote { total: None } => text(
                "退款的审核方式或退回的支付方式已有变化，请确认后再提交。",
                "How the refund is reviewed or paid back has changed; please check it and submit again.",
            ),
            Problem::NotEnoughLeft { left } => pick(
                lang,
                format!(
                    "所选数量已超出可退数量（可能已有其他申请），订单剩余可退 {}。",
                    left.0
                ),
                format!(
                    "Some quantities are no longer available (another request took them); {} is left to refund on this order.",
                    left.0
                ),
            ),
            Problem::OrderLocked => text(
                "该订单已有退款申请，商品、价格、优惠和支付不可再修改；只能更新状态、发货和签收时间。",
                "This order has refund requests, so its lines, prices, discounts and payments can no longer change; only its status, shipping and delivery times can.",
            ),
            Problem::ConcurrentUpdate => text(
                "数据正被同时修改，请稍后重试。",
                "Someone else changed this at the same moment; please try again.",
            ),
            Problem::BodyTooLarge => text("请求内容过大。", "The body is too large."),
            Problem::UriTooLong => text(
                "请求地址过长。",
                "The request's path and query are too long.",
            ),
            Problem::JsonRequired => text(
                "请使用 Content-Type: application/json 发送 JSON 对象。",
                "Send a JSON object with Content-Type: application/json.",
            ),
            Problem::NotAnImage => text(
                "只能上传 JPEG、PNG 或 WebP 图片。",
                "Only JPEG, PNG or WebP images can be uploaded.",
            ),
            Problem::InvalidBody { detail } => pick(
                lang,
                format!("请求内容不符合要求：{detail}"),
                format!("The body does not match what this endpoint takes: {detail}"),
            ),
            Problem::IdempotencyKeyReused => text(
                "该 Idempotency-Key 已用于另一份不同的申请，请为新申请使用新的值。",
                "This Idempotency-Key was used for a different request; use a new key for a new request.",
            ),
            Problem::RequestIneligible => text(
                "该申请不符合退款条件，请查看各商品的原因。",
                "This request is not eligible; see the reason on each line.",
            ),
            Problem::ExpectedTotalRequired => text(
                "请附上您看到的退款金额。",
                "Send the total you were shown as expected_total.",
            ),
            Problem::UnknownEvidence { id } => pick(
                lang,
                format!("凭证“{id}”不存在或已被使用，请重新上传。"),
                format!("Evidence \"{id}\" is unknown or already used; upload it again."),
            ),
            Problem::DuplicateEvidence { id } => pick(
                lang,
                format!("凭证“{id}”重复出现，每张图片只能提交一次。"),
                format!("Evidence \"{id}\" is listed twice; list each image once."),
            ),
            Problem::OrderNumberMismatch => text(
                "路径中的订单号与请求内容中的 number 不一致。",
                "The order number in the path and the body's number differ.",
            ),
            Problem::InvalidTtl { min, max } => pick(
                lang,
                format!("ttl_seconds 必须在 {min} 到 {max} 之间。"),
                format!("ttl_seconds must be between {min} and {max}."),
            ),
            Problem::PayoutMismatch => text(
                "退款明细必须与申请确认的各支付方式金额完全一致。",
                "The payouts must be exactly the request's split across payments.",
            ),
            Problem::TooManyImages { max } => pick(
                lang,
                format!("每个订单最多上传 {max} 张图片。"),
                format!("At most {max} images can be uploaded per order."),
            ),
            Problem::NameRequired => text("请提供商家名称。", "A merchant name is required."),
            Problem::SignInFailed => text(
                "邮箱或密码不正确。",
                "The e-mail or the password is not right.",
            ),
            Problem::DeskSessionEnded => text(
                "登录已失效，请重新登录。",
                "Your session has ended; please sign in again.",
            ),
            Problem::SetUpLinkInvalid => text(
                "设置链接无效或已过期，请向店铺管理员索取新链接。",
                "This set-up link is not valid or has expired; ask the store's owner for a new one.",
            ),
            Problem::Forbidden => {
                text("您的角色无权执行此操作。", "Your role does not allow this.")
            }
            Problem::CsrfTokenInvalid => text(
                "请求缺少有效的 X-CSRF-Token，请刷新页面后重试。",
                "The request lacks a valid X-CSRF-Token; reload the page and try again.",
            ),
            Problem::EmailTaken => text(
                "该邮箱已被其他员工账号使用。",
                "Another staff account already uses this e-mail.",
            ),
            Problem::LastOwner => text(
                "店铺至少需要保留一位启用的店主。",
                "The store must keep at least one active owner.",
            ),
            Problem::InvalidEmail => {
                text("请输入有效的邮箱地址。", "Enter a valid e-mail address.")
            }
            Problem::WeakPassword { min, max } => pick(
                lang,
                format!("密码需为 {min} 到 {max} 个字符。"),
                format!("The password must be {min} to {max} characters."),
            ),
            Problem::TextLength { field, max } => pick(
                lang,
                format!("{field} 需为 1 到 {max} 个字符。"),
                format!("{field} must be 1 to {max} characters."),
            ),
            Problem::InvalidAssignee => text(
                "只能分配给本店启用的客服或店主。",
                "Requests can only go to an active agent or owner of this store.",
            ),
            Problem::UnknownTemplate => text("找不到该回复模板。", "No such reply template."),
            Problem::UnknownReturnAddress => text("找不到该退货地址。", "No such return address."),
            Problem::OneRejectionReason => text(
                "请填写拒绝理由或选择一个模板（二选一）。",
                "Give a rejection reason or choose a template, one of the two.",
            ),
            Problem::InvalidDeduction => text(
                "扣款金额须大于 0 且小于退款总额，并写明原因。",
                "A deduction must be more than zero and less than the total, with a reason.",
            ),
            Problem::InvalidWebhookUrl => text(
                "Webhook 地址须以 https:// 或 http:// 开头、指向公网主机、不含用户名或密码，且不超过 2000 个字符。",
                "The webhook URL must start with https:// or http://, name a public host, carry no user name or password, and be at most 2,000 characters.",
            ),
            Problem::TooManyEndpoints { max } => pick(
                lang,
                format!("每个店铺最多可设置 {max} 个 Webhook 地址。"),
                format!("A store can have at most {max} webhook endpoints."),
            ),
            Problem::InvalidBatch { max } => pick(
                lang,
                format!("批量操作需包含 1 到 {max} 个申请。"),
                format!("A batch takes 1 to {max} requests."),
            ),
            Problem::NotYourSide { field } => pick(
                lang,
                format!("{field} 不适用于您这一方。"),
                format!("{field} is not for your side of the conversation."),
            ),
            Problem::TooManyLookups { retry_after } => pick(
                lang,
                format!("查询过于频繁，请 {retry_after} 秒后再试。"),
                format!("Too many lookups; please try again in {retry_after} seconds."),
            ),
            Problem::TooManySignIns { retry_after } => pick(
                lang,
                format!("登录尝试过多，请 {retry_after} 秒后再试。"),
                format!("Too many sign-in attempts; please try again in {retry_after} seconds."),
            ),
            Problem::HeadersTooLarge => text(
                "请求头过多或过大。",
                "The request's headers are too many or too large.",
            ),
            Problem::Internal => text(
                "服务器出错，请稍后重试。",
                "Something went wrong on our side; please try again.",
            ),
            Problem::Input(e) => input_error(e, lang),
            Problem::Lifecycle(e) => lifecycle_error(e, lang),
        }
    }
}

impl From<InputError> for Problem {
    fn from(error: InputError) -> Problem {
        Problem::Input(error)
    }
}

impl From<LifecycleError> for Problem {
    fn from(error: LifecycleError) -> Problem {
        Problem::Lifecycle(error)
    }
}

/// The one error shape: `{"error": {…}}`. A client that acts on the code only reads it as
/// `ErrorBody<ErrorHead>`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ErrorBody<D = ErrorDetail> {
    pub error: D,
}

/// An error's code and message, read from the whole [`ErrorDetail`].
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct ErrorHead {
    pub code: String,
    pub message: String,
}

impl ErrorHead {
    pub fn is(&self, code: ErrorCode) -> bool {
        self.code == code.as_str()
    }
}

/// A stable code, a message in the caller's language that says what to fix, the field at
/// fault, and, for some codes, what the client needs to recover.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(bound(deserialize = "Q: Deserialize<'de>"))]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ErrorDetail<Q = refund_core::Quote> {
    /// An [`ErrorCode`], or one of the engine's input or lifecycle codes.
    #[cfg_attr(feature = "openapi", schema(example = "stale_quote"))]
    pub code: String,
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// `stale_quote`, `not_enough_left`, `request_ineligible`: the quote as the server sees it now.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quote: Option<Q>,
    /// `not_enough_left`: what the order still has to refund.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub left_to_refund: Option<DecimalStr>,
    /// `payout_mismatch`: the payouts that would match the request's split.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expected: Option<Vec<crate::Payout>>,
    /// `too_many_lookups`, `too_many_sign_ins`: seconds to wait, as the `Retry-After` header
    /// says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_after: Option<u64>,
}

impl<Q> ErrorDetail<Q> {
    /// What `problem` says in `lang`, without recovery data.
    pub fn new(problem: &Problem, lang: Lang) -> ErrorDetail<Q> {
        ErrorDetail {
            code: problem.code().to_owned(),
            message: problem.message(lang),
            field: problem.field().map(str::to_owned),
            quote: None,
            left_to_refund: None,
            expected: None,
            retry_after: problem.retry_after(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_is_unique_and_reads_back_as_itself() {
        for (i, code) in ErrorCode::ALL.iter().enumerate() {
            assert!(
                ErrorCode::ALL[..i]
                    .iter()
                    .all(|c| c.as_str() != code.as_str()),
                "{code:?} twice"
            );
            let json = serde_json::to_string(code).unwrap();
            assert_eq!(json, format!("\"{}\"", code.as_str()));
            assert_eq!(serde_json::from_str::<ErrorCode>(&json).unwrap(), *code);
            assert!((400..600).contains(&code.status()), "{code:?}");
        }
        assert_eq!(
            serde_json::from_str::<ErrorCode>("\"payments_mismatch\"").unwrap(),
            ErrorCode::Other,
            "the engine's codes read as Other"
        );
    }
}
