//! Timestamps read in the browser: RFC 3339 as the server writes them, without chrono's general
//! parser.
//!
//! chrono's parser reads any format description and RFC 3339's relaxed variants; in the widget
//! it weighs about 12 KB of wasm, 5 KB of every shopper's gzip download. Everything the widget
//! reads was written by chrono on our side (the server's answers, the widget's own saved
//! drafts): `YYYY-MM-DDTHH:MM:SS`, an optional fraction, then `Z`. So the wire types read their
//! timestamps with [`deserialize`] when built for wasm only: the server keeps chrono's parser and
//! so accepts from merchants everything it did.
//!
//! What [`parse`] accepts: `YYYY-MM-DD`, `T` (or `t`, or a space), `HH:MM:SS`, an optional `.`
//! with 1 to 9 digits, then `Z` (or `z`) or an offset `±HH:MM`. Leap seconds (`:60`) are refused.
//! The differential test checks it against chrono on thousands of orders.

use chrono::{DateTime, NaiveDate, NaiveTime, TimeDelta, Utc};
use serde::de::{Deserialize, Deserializer, Error};

/// The instant `text` names, or `None` if it is not RFC 3339 as described in the module.
pub fn parse(text: &str) -> Option<DateTime<Utc>> {
    let bytes = text.as_bytes();
    let digits = |at: usize, len: usize| -> Option<u32> {
        bytes.get(at..at + len)?.iter().try_fold(0u32, |n, &c| {
            c.is_ascii_digit().then(|| n * 10 + u32::from(c - b'0'))
        })
    };
    let separators = [(4, b'-'), (7, b'-'), (13, b':'), (16, b':')];
    if separators.iter().any(|&(at, c)| bytes.get(at) != Some(&c))
        || !matches!(bytes.get(10), Some(b'T' | b't' | b' '))
    {
        return None;
    }
    let year = i32::try_from(digits(0, 4)?).ok()?;
    let date = NaiveDate::from_ymd_opt(year, digits(5, 2)?, digits(8, 2)?)?;
    let mut rest = bytes.get(19..)?;
    let mut nanos = 0;
    if let [b'.', fraction @ ..] = rest {
        let len = fraction.iter().take_while(|c| c.is_ascii_digit()).count();
        if !(1..=9).contains(&len) {
            return None;
        }
        nanos = digits(20, len)? * 10u32.pow(9 - len as u32);
        rest = &fraction[len..];
    }
    // Seconds of 60 are refused here, so no leap second gets through.
    let time = NaiveTime::from_hms_nano_opt(digits(11, 2)?, digits(14, 2)?, digits(17, 2)?, nanos)?;
    let offset_minutes = match rest {
        [b'Z' | b'z'] => 0,
        [sign @ (b'+' | b'-'), _, _, b':', _, _] => {
            let at = bytes.len() - 5;
            let (hours, minutes) = (digits(at, 2)?, digits(at + 3, 2)?);
            if hours > 23 || minutes > 59 {
                return None;
            }
            let minutes = i64::from(hours * 60 + minutes);
            if *sign == b'-' { -minutes } else { minutes }
        }
        _ => return None,
    };
    let utc = date
        .and_time(time)
        .checked_sub_signed(TimeDelta::minutes(offset_minutes))?;
    Some(utc.and_utc())
}

/// Reads a timestamp with [`parse`]: `#[serde(deserialize_with = "…::rfc3339::deserialize")]`.
pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<DateTime<Utc>, D::Error> {
    let text = String::deserialize(deserializer)?;
    parse(&text).ok_or_else(|| D::Error::custom("expected an RFC 3339 timestamp"))
}

/// [`deserialize`] for an optional timestamp (`null` is `None`); the field also needs
/// `#[serde(default)]` to be optional in the input.
pub fn option<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<DateTime<Utc>>, D::Error> {
    Option::<String>::deserialize(deserializer)?
        .map(|text| parse(&text).ok_or_else(|| D::Error::custom("expected an RFC 3339 timestamp")))
        .transpose()
}
