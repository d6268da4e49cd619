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

/// The day `text` names, written `YYYY-MM-DD` (the date part of a timestamp, or what a date
/// input gives).
pub fn date(text: &str) -> Option<NaiveDate> {
    let bytes = text.as_bytes();
    if bytes.len() != 10 || bytes[4] != b'-' || bytes[7] != b'-' {
        return None;
    }
    let year = i32::try_from(digits(bytes, 0, 4)?).ok()?;
    NaiveDate::from_ymd_opt(year, digits(bytes, 5, 2)?, digits(bytes, 8, 2)?)
}

/// The instant `text` names, or `None` if it is not RFC 3339 as described in the module.
pub fn parse(text: &str) -> Option<DateTime<Utc>> {
    let bytes = text.as_bytes();
    let date = date(text.get(..10)?)?;
    if !matches!(bytes.get(10), Some(b'T' | b't' | b' '))
        || bytes.get(13) != Some(&b':')
        || bytes.get(16) != Some(&b':')
    {
        return None;
    }
    let mut rest = bytes.get(19..)?;
    let mut nanos = 0;
    if let [b'.', fraction @ ..] = rest {
        let len = fraction.iter().take_while(|c| c.is_ascii_digit()).count();
        if !(1..=9).contains(&len) {
            return None;
        }
        nanos = digits(bytes, 20, len)? * 10u32.pow(9 - len as u32);
        rest = &fraction[len..];
    }
    // Seconds of 60 are refused here, so no leap second gets through.
    let time = NaiveTime::from_hms_nano_opt(
        digits(bytes, 11, 2)?,
        digits(bytes, 14, 2)?,
        digits(bytes, 17, 2)?,
        nanos,
    )?;
    let offset_minutes = match rest {
        [b'Z' | b'z'] => 0,
        [sign @ (b'+' | b'-'), _, _, b':', _, _] => {
            let at = bytes.len() - 5;
            let (hours, minutes) = (digits(bytes, at, 2)?, digits(bytes, at + 3, 2)?);
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

/// The number written by the `len` ASCII digits at `at`.
fn digits(bytes: &[u8], at: usize, len: usize) -> Option<u32> {
    bytes.get(at..at + len)?.iter().try_fold(0u32, |n, &c| {
        c.is_ascii_digit().then(|| n * 10 + u32::from(c - b'0'))
    })
}

/// [`parse`], as a deserializer's error when `text` is not a timestamp.
fn read<E: Error>(text: &str) -> Result<DateTime<Utc>, E> {
    parse(text).ok_or_else(|| E::custom("expected an RFC 3339 timestamp"))
}

/// Reads a timestamp with [`parse`]: `#[serde(deserialize_with = "…::rfc3339::deserialize")]`.
pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<DateTime<Utc>, D::Error> {
    read(&String::deserialize(deserializer)?)
}

/// [`deserialize`] for an optional timestamp (`null` is `None`); the field also needs
/// `#[serde(default)]` to be optional in the input.
pub fn option<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<DateTime<Utc>>, D::Error> {
    Option::<String>::deserialize(deserializer)?
        .map(|text| read(&text))
        .transpose()
}
