//! The browser's timestamp reader (`refund_core::rfc3339`) reads back every instant chrono
//! writes, agrees with chrono on everything it accepts, and refuses what is not RFC 3339; its
//! day reader takes `YYYY-MM-DD` only.

use chrono::{DateTime, FixedOffset, NaiveDate, SecondsFormat, TimeZone, Utc};
use proptest::prelude::*;
use refund_core::rfc3339::{date, parse};

fn check(text: &str, expected: Option<&str>) {
    let expected = expected.map(|e| e.parse::<DateTime<Utc>>().unwrap());
    assert_eq!(parse(text), expected, "{text:?}");
}

#[test]
fn timestamps_as_the_server_writes_them_and_their_rfc_3339_variants_are_read() {
    for (text, instant) in [
        ("2026-11-29T21:13:51Z", "2026-11-29T21:13:51Z"),
        ("2026-11-29t21:13:51z", "2026-11-29T21:13:51Z"),
        ("2026-11-29 21:13:51Z", "2026-11-29T21:13:51Z"),
        ("2026-11-29T21:13:51.5Z", "2026-11-29T21:13:51.500Z"),
        (
            "2026-11-29T21:13:51.123456789Z",
            "2026-11-29T21:13:51.123456789Z",
        ),
        ("2026-11-30T05:13:51+08:00", "2026-11-29T21:13:51Z"),
        ("2026-11-29T16:43:51-04:30", "2026-11-29T21:13:51Z"),
        ("2024-02-29T00:00:00Z", "2024-02-29T00:00:00Z"),
        ("2027-01-01T07:59:59+08:00", "2026-12-31T23:59:59Z"),
    ] {
        check(text, Some(instant));
    }
}

#[test]
fn what_is_not_an_rfc_3339_timestamp_is_refused() {
    for text in [
        "",
        "2026-11-29",
        "2026-11-29T21:13:51",
        "2026-11-29T21:13Z",
        "2026-11-29T21:13:60Z",
        "2026-11-29T24:00:00Z",
        "2026-02-29T00:00:00Z",
        "2026-13-01T00:00:00Z",
        "2026-11-29T21:13:51.Z",
        "2026-11-29T21:13:51.1234567890Z",
        "2026-11-29T21:13:51+0800",
        "2026-11-29T21:13:51+24:00",
        "2026-11-29T21:13:51+08:60",
        "2026-11-29T21:13:51Z ",
        "2026/11/29T21:13:51Z",
        "+2026-11-29T21:13:51Z",
        "２０２６-11-29T21:13:51Z",
        "2026-11-29T21:13:51UTC",
    ] {
        check(text, None);
    }
}

#[test]
fn a_day_is_read_only_as_yyyy_mm_dd() {
    assert_eq!(date("2026-11-29"), NaiveDate::from_ymd_opt(2026, 11, 29));
    assert_eq!(date("2024-02-29"), NaiveDate::from_ymd_opt(2024, 2, 29));
    for text in [
        "",
        "2026-11-2",
        "2026-1-29",
        "2026-02-30",
        "2026/11/29",
        "2026-11-29T00:00:00Z",
        " 2026-11-29",
    ] {
        assert_eq!(date(text), None, "{text:?}");
    }
}

fn instant() -> impl Strategy<Value = DateTime<Utc>> {
    // Years 1000 to 9999: four digits, as every order and request carries.
    (-30_610_224_000i64..253_402_300_799, 0u32..1_000_000_000)
        .prop_map(|(seconds, nanos)| Utc.timestamp_opt(seconds, nanos).unwrap())
}

proptest! {
    #[test]
    fn every_instant_chrono_writes_is_read_back_exactly(at in instant(), offset in -1439i32..=1439) {
        let json = serde_json::to_string(&at).unwrap();
        prop_assert_eq!(parse(json.trim_matches('"')), Some(at));
        for format in [SecondsFormat::Secs, SecondsFormat::Millis, SecondsFormat::AutoSi] {
            let zone = FixedOffset::east_opt(offset * 60).unwrap();
            let text = at.with_timezone(&zone).to_rfc3339_opts(format, true);
            let expected = text.parse::<DateTime<Utc>>().unwrap();
            prop_assert_eq!(parse(&text), Some(expected), "{}", text);
        }
    }

    #[test]
    fn whatever_is_read_chrono_reads_as_the_same_instant(text in "[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]{0,10})?([Zz]|[+-][0-9]{2}:[0-9]{2})?") {
        if let Some(at) = parse(&text) {
            prop_assert_eq!(text.parse::<DateTime<Utc>>().ok(), Some(at), "{}", text);
        }
    }
}
