//! The reader against serde_json, which the server writes with: what serde_json reads from a
//! text, the reader reads from the browser's parse of it, and what serde_json refuses, it
//! refuses, but for the differences the crate's docs name, each tested here.

#![cfg(target_arch = "wasm32")]

use std::collections::BTreeMap;
use std::fmt::Debug;

use serde::Deserialize;
use serde::de::{DeserializeOwned, IgnoredAny};
use wasm_bindgen_test::*;

use browser_json::from_json;

wasm_bindgen_test_configure!(run_in_browser);

#[derive(Debug, PartialEq, Deserialize)]
struct Shapes {
    text: String,
    count: u32,
    signed: i64,
    flag: bool,
    maybe: Option<u32>,
    #[serde(default)]
    list: Vec<u8>,
    map: BTreeMap<String, u32>,
    kinds: BTreeMap<Kind, bool>,
    kind: Kind,
    tagged: Vec<Tagged>,
    id: Id,
    pair: (u8, String),
    letter: char,
}

#[derive(Debug, PartialEq, Eq, PartialOrd, Ord, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Kind {
    RefundOnly,
    Exchange,
    #[serde(other)]
    Unknown,
}

#[derive(Debug, PartialEq, Deserialize)]
#[serde(tag = "code", rename_all = "snake_case")]
enum Tagged {
    Plain,
    WithAmount { amount: String, count: u32 },
}

#[derive(Debug, PartialEq, Deserialize)]
struct Id(String);

#[derive(Debug, PartialEq, Deserialize)]
enum Outer {
    Unit,
    New(u32),
    Pair(u8, u8),
    Fields { a: u8 },
}

#[derive(Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
struct Strict {
    a: u8,
}

#[derive(Debug, PartialEq, Deserialize)]
struct Lenient {
    a: u8,
}

const SHAPES: &str = r#"{
    "text": "T恤 \"白\" ✓", "count": 4294967295, "signed": -9007199254740991, "flag": true,
    "maybe": null, "list": [0, 255], "map": {"b": 2, "a": 1},
    "kinds": {"exchange": true, "refund_only": false}, "kind": "refund_only",
    "tagged": [{"code": "plain"}, {"amount": "8.00", "code": "with_amount", "count": 2}],
    "id": "REQ-1", "pair": [7, "seven"], "letter": "退"
}"#;

/// The reader and serde_json agree on `json`, and `accepted` says whether both read it.
fn check<T: DeserializeOwned + PartialEq + Debug>(json: &str, accepted: bool) {
    let expected = serde_json::from_str::<T>(json).ok();
    assert_eq!(
        expected.is_some(),
        accepted,
        "serde_json on {json}: {expected:?}"
    );
    assert_eq!(from_json::<T>(json), expected, "{json}");
}

/// `SHAPES` with `field` set to `value` (raw JSON) or, with `None`, without it.
fn shapes_with(field: &str, value: Option<&str>) -> String {
    let mut object: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(SHAPES).unwrap();
    match value {
        Some(v) => object.insert(field.to_owned(), serde_json::from_str(v).unwrap()),
        None => object.remove(field),
    };
    serde_json::Value::Object(object).to_string()
}

#[wasm_bindgen_test]
fn every_shape_the_server_writes_reads_as_serde_json_reads_it() {
    check::<Shapes>(SHAPES, true);
    for (field, value, accepted) in [
        ("maybe", Some("7"), true),
        ("list", None, true),
        ("list", Some("[]"), true),
        ("map", Some("{}"), true),
        ("kind", Some(r#""exchange""#), true),
        ("kind", Some(r#""something_new""#), true),
        ("kinds", Some(r#"{"something_new": true}"#), true),
        (
            "tagged",
            Some(r#"[{"code": "with_amount", "amount": "1.00", "count": 0}]"#),
            true,
        ),
        ("signed", Some("0"), true),
        ("signed", Some("-1"), true),
        (
            "unknown_field",
            Some(r#"{"ignored": [1, {"x": null}]}"#),
            true,
        ),
        ("text", None, false),
        ("text", Some("null"), false),
        ("text", Some("3"), false),
        ("count", Some(r#""3""#), false),
        ("count", Some("-1"), false),
        ("count", Some("1.5"), false),
        ("count", Some("4294967296"), false),
        ("count", Some("null"), false),
        ("flag", Some("1"), false),
        ("maybe", Some(r#""7""#), false),
        ("list", Some("[256]"), false),
        ("list", Some(r#"{"0": 1}"#), false),
        ("map", Some("[]"), false),
        ("map", Some(r#"{"a": "1"}"#), false),
        ("kind", Some("0"), false),
        (
            "kind",
            Some(r#"{"refund_only": null, "exchange": null}"#),
            false,
        ),
        ("tagged", Some(r#"[{"amount": "1.00", "count": 1}]"#), false),
        (
            "tagged",
            Some(r#"[{"code": "with_amount", "amount": "1.00"}]"#),
            false,
        ),
        ("tagged", Some(r#"[{"code": "unheard_of"}]"#), false),
        ("id", Some("7"), false),
        ("pair", Some("[7]"), false),
        ("pair", Some(r#"[7, "seven", 8]"#), false),
        ("letter", Some(r#""退款""#), false),
        ("letter", Some(r#""""#), false),
    ] {
        check::<Shapes>(&shapes_with(field, value), accepted);
    }
}

#[wasm_bindgen_test]
fn an_object_is_never_read_as_an_array_nor_an_array_as_an_object() {
    check::<Lenient>(r#"{"a": 1}"#, true);
    // serde_json reads a struct from an array of its fields; the server never writes one.
    assert!(serde_json::from_str::<Lenient>("[1]").is_ok());
    assert_eq!(from_json::<Lenient>("[1]"), None);
    check::<Vec<u8>>(r#"{"0": 1}"#, false);
    check::<Strict>(r#"{"a": 1}"#, true);
    check::<Lenient>(r#"{"a": 1, "b": 2}"#, true);
}

#[derive(Debug, PartialEq, Deserialize)]
struct Inherited {
    #[serde(default)]
    constructor: Option<u8>,
    #[serde(default)]
    to_string: u8,
    #[serde(rename = "valueOf")]
    value_of: u8,
}

#[wasm_bindgen_test]
fn a_struct_reads_its_fields_by_name_from_the_objects_own_keys_only() {
    // Fields are looked up, not matched against every key, so a key the type does not know is
    // passed over even where the type denies unknown fields; the server never writes one.
    assert!(serde_json::from_str::<Strict>(r#"{"a": 1, "b": 2}"#).is_err());
    assert_eq!(
        from_json::<Strict>(r#"{"a": 1, "b": 2}"#),
        Some(Strict { a: 1 })
    );
    // Every object inherits `constructor`, `valueOf` and the like; only its own keys are fields.
    for (json, accepted) in [
        (r#"{"valueOf": 1}"#, true),
        (r#"{"constructor": 2, "to_string": 3, "valueOf": 4}"#, true),
        (r#"{"constructor": null, "valueOf": 0}"#, true),
        (r#"{}"#, false),
        (r#"{"constructor": 2}"#, false),
        (r#"{"valueOf": null}"#, false),
    ] {
        check::<Inherited>(json, accepted);
    }
}

#[wasm_bindgen_test]
fn each_form_of_an_enum_variant_reads_as_serde_json_reads_it() {
    for (json, accepted) in [
        (r#""Unit""#, true),
        (r#"{"Unit": null}"#, true),
        (r#"{"New": 7}"#, true),
        (r#"{"Pair": [1, 2]}"#, true),
        (r#"{"Fields": {"a": 1}}"#, true),
        (r#""New""#, false),
        (r#""Nothing""#, false),
        (r#"{"New": 7, "Unit": null}"#, false),
        (r#"{}"#, false),
        (r#"{"Pair": [1]}"#, false),
        (r#"{"Fields": {"a": 256}}"#, false),
        ("null", false),
        (r#"[null]"#, false),
        (r#"["Unit"]"#, false),
    ] {
        check::<Outer>(json, accepted);
    }
    check::<Kind>(r#"["exchange"]"#, false);
    check::<Kind>("{}", false);
}

#[wasm_bindgen_test]
fn integers_read_exactly_up_to_the_largest_a_javascript_number_holds() {
    check::<u64>("9007199254740991", true);
    check::<i64>("-9007199254740991", true);
    check::<u8>("255", true);
    check::<u8>("256", false);
    check::<i32>("-2147483648", true);
    check::<i32>("-2147483649", false);
    check::<f64>("1.5", true);
    check::<f64>("2", true);
    check::<u32>("-0", false);
    check::<i64>("-0", false);
    check::<f64>("-0", true);
    // JSON.parse has already rounded these (2^53 + 1 parses as 2^53, so 2^53 cannot be trusted
    // either); they are refused rather than read as another number.
    for past in [
        "9007199254740992",
        "9007199254740993",
        "18446744073709551615",
    ] {
        assert!(serde_json::from_str::<u64>(past).is_ok());
        assert_eq!(from_json::<u64>(past), None, "{past}");
    }
    // JSON.parse keeps the number, not how it was written.
    for (written, read) in [("1e3", 1000), ("2.0", 2)] {
        assert!(serde_json::from_str::<u32>(written).is_err());
        assert_eq!(from_json::<u32>(written), Some(read), "{written}");
    }
}

#[wasm_bindgen_test]
fn what_json_parse_already_settled_reads_as_it_settled_it() {
    // JSON.parse keeps a key's last value; serde_json refuses a struct field given twice.
    assert!(serde_json::from_str::<Lenient>(r#"{"a": 1, "a": 2}"#).is_err());
    assert_eq!(
        from_json::<Lenient>(r#"{"a": 1, "a": 2}"#),
        Some(Lenient { a: 2 })
    );
    check::<BTreeMap<String, u8>>(r#"{"a": 1, "a": 2}"#, true);
    // A lone surrogate is not text; JSON.parse's string holds it, and it reads as U+FFFD.
    assert!(serde_json::from_str::<String>(r#""\ud800""#).is_err());
    assert_eq!(
        from_json::<String>(r#""\ud800""#),
        Some("\u{fffd}".to_owned())
    );
    // Map keys are strings or enum names; the server writes no map keyed by numbers.
    assert!(serde_json::from_str::<BTreeMap<u32, u8>>(r#"{"3": 1}"#).is_ok());
    assert_eq!(from_json::<BTreeMap<u32, u8>>(r#"{"3": 1}"#), None);
}

#[wasm_bindgen_test]
fn text_that_is_not_json_or_not_the_type_asked_for_reads_as_nothing() {
    assert_eq!(from_json::<Lenient>(""), None);
    assert_eq!(from_json::<Lenient>("{"), None);
    assert_eq!(from_json::<Lenient>("<html>"), None);
    check::<Option<Lenient>>("null", true);
    check::<IgnoredAny>(r#"{"anything": [true, 1.5, "x", null]}"#, true);
    check::<()>("null", true);
    check::<String>(r#""\u00e9\ud83d\ude00""#, true);
}

fn five() -> Option<u8> {
    Some(5)
}

/// An optional text read through a function, as `refund_core::rfc3339::option` reads timestamps.
fn text_or_none<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Option::<String>::deserialize(d)
}

#[derive(Debug, PartialEq, Deserialize)]
struct Absences {
    required: u8,
    #[serde(default = "five")]
    five: Option<u8>,
    #[serde(default)]
    plain: Option<u8>,
    #[serde(default, deserialize_with = "text_or_none")]
    through: Option<String>,
    #[serde(skip_deserializing)]
    skipped: u8,
    #[serde(default)]
    list: Vec<u8>,
    last: bool,
}

#[derive(Debug, PartialEq, Deserialize)]
#[serde(default)]
struct Defaulted {
    n: Option<u8>,
    m: u8,
}

impl Default for Defaulted {
    fn default() -> Defaulted {
        Defaulted { n: Some(9), m: 1 }
    }
}

#[derive(Debug, PartialEq, Deserialize)]
struct Unset {
    maybe: Option<u8>,
    #[serde(deserialize_with = "text_or_none")]
    through: Option<String>,
}

#[derive(Debug, PartialEq, Deserialize)]
struct Flattened {
    a: u8,
    #[serde(flatten)]
    rest: BTreeMap<String, u8>,
}

#[wasm_bindgen_test]
fn an_absent_field_takes_its_default_and_without_one_is_refused() {
    for (json, accepted) in [
        (r#"{"required": 1, "last": true}"#, true),
        (
            r#"{"required": 1, "last": true, "five": null, "plain": 2}"#,
            true,
        ),
        (
            r#"{"required": 1, "last": true, "through": "t", "skipped": 7}"#,
            true,
        ),
        (
            r#"{"required": 1, "last": true, "through": null, "list": [1]}"#,
            true,
        ),
        (r#"{"last": true}"#, false),
        (r#"{"required": 1}"#, false),
        (r#"{"required": 1, "last": true, "list": null}"#, false),
        (r#"{"required": 1, "last": true, "through": 3}"#, false),
    ] {
        check::<Absences>(json, accepted);
    }
    check::<Defaulted>("{}", true);
    check::<Defaulted>(r#"{"n": null}"#, true);
    check::<Defaulted>(r#"{"m": 4}"#, true);
    check::<Unset>(r#"{"maybe": null, "through": null}"#, true);
    check::<Unset>(r#"{"maybe": 1}"#, false);
    // serde_json reads an absent option that has no default as `None`; the reader refuses it,
    // since serde writes every such field (as `null` when it has no value).
    assert!(serde_json::from_str::<Unset>(r#"{"through": null}"#).is_ok());
    assert_eq!(from_json::<Unset>(r#"{"through": null}"#), None);
}

#[wasm_bindgen_test]
fn what_serde_reads_through_a_map_or_its_own_buffer_keeps_serde_jsons_rules() {
    check::<Flattened>(r#"{"a": 1, "b": 2, "c": 3}"#, true);
    check::<Flattened>(r#"{"b": 2}"#, false);
    check::<Flattened>(r#"{"a": 1, "b": "2"}"#, false);
    // An internally tagged enum is buffered by serde and read by its own deserializer, so a
    // variant that denies unknown fields still refuses them.
    check::<StrictTagged>(r#"{"code": "amount", "value": 1}"#, true);
    check::<StrictTagged>(r#"{"code": "amount", "value": 1, "extra": 2}"#, false);
}

#[derive(Debug, PartialEq, Deserialize)]
#[serde(tag = "code", rename_all = "snake_case", deny_unknown_fields)]
enum StrictTagged {
    Amount { value: u8 },
}
