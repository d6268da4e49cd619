//! What the browser's `JSON.parse` made of the server's answer, read into the widget's types.
//!
//! A serde deserializer over a [`JsValue`], written for the widget rather than taken from
//! serde-wasm-bindgen (which still writes what the widget sends) because of its error type:
//! [`Unreadable`] keeps no message. The widget never shows why an answer could not be read, only
//! that it could not, yet every error serde's derived code can raise ("invalid type: floating
//! point `1.5`, expected u32") would otherwise be formatted, and the formatting code for every
//! field of every type, float printing included, would travel in every shopper's download. Not
//! keeping it is about 7% of the download (README, "Widget size").
//!
//! It reads what `JSON.parse` produces (null, booleans, numbers, strings, arrays and plain
//! objects) as serde_json reads the same text, but for these differences, none of which is in
//! anything the server writes:
//!
//! - a struct is read from an object only, never from an array of its fields, and its fields
//!   are looked up by name, so keys it does not know are passed over even where the type denies
//!   unknown fields (the server refuses them in what it receives; it never writes them);
//! - a field the object lacks takes its `#[serde(default)]`, and without one it is refused even
//!   when it is an `Option` (serde_json reads that as `None`): serde writes such a field as
//!   `null`, and only a field with a default is ever left out (every `skip_serializing_if` here
//!   is on a field with a default), so an absent one means the answer is not what the type says;
//! - an integer past 2^53 − 1 is refused: `JSON.parse` has already rounded it (2^53 + 1 parses
//!   as 2^53), so it is not read as another number;
//! - `JSON.parse` keeps no notation, so an integral number written as `1e3` or `2.0` is an
//!   integer;
//! - map keys are strings or enum names; a map keyed by numbers is refused;
//! - a key given twice reads with its last value, the one `JSON.parse` keeps (serde_json refuses
//!   a struct field given twice), and a lone surrogate in a string reads as U+FFFD.
//!
//! Fields are looked up by the names serde's derived code lists, one per field, which rules out
//! two serde attributes on any type read here: `alias` (an alias joins the list, and every later
//! field would be looked up under the wrong name) and adjacent tagging (`tag` with `content`).
//! `tests/supported.rs` checks that no crate whose types the browser reads uses either.

use std::fmt;

use js_sys::{Array, Object};
use serde::de::{self, DeserializeOwned, DeserializeSeed, IntoDeserializer, Visitor};
use wasm_bindgen::{JsCast, JsValue};

/// The largest integer a JavaScript number holds exactly.
const MAX_SAFE_INTEGER: f64 = 9_007_199_254_740_991.0;

/// JSON text, parsed by the browser and read into `T`; `None` if it is not JSON or not a `T`.
pub fn from_json<T: DeserializeOwned>(text: &str) -> Option<T> {
    T::deserialize(Parsed(js_sys::JSON::parse(text).ok()?)).ok()
}

/// Why an answer was not read: deliberately nothing more (see the module's docs).
#[derive(Debug)]
pub struct Unreadable;

impl fmt::Display for Unreadable {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("unreadable")
    }
}

impl std::error::Error for Unreadable {}

impl de::Error for Unreadable {
    fn custom<T: fmt::Display>(_: T) -> Self {
        Unreadable
    }
}

struct Parsed(JsValue);

impl<'de> de::Deserializer<'de> for Parsed {
    type Error = Unreadable;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Unreadable> {
        let value = self.0;
        if value.is_null() || value.is_undefined() {
            visitor.visit_unit()
        } else if let Some(b) = value.as_bool() {
            visitor.visit_bool(b)
        } else if let Some(n) = value.as_f64() {
            number(n, visitor)
        } else if let Some(s) = value.as_string() {
            visitor.visit_string(s)
        } else if Array::is_array(&value) {
            seq(value.unchecked_into(), visitor)
        } else if value.is_object() {
            visitor.visit_map(Entries::new(&value.unchecked_into()))
        } else {
            Err(Unreadable)
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Unreadable> {
        if self.0.is_null() || self.0.is_undefined() {
            visitor.visit_none()
        } else {
            visitor.visit_some(self)
        }
    }

    /// A unit variant is its name; a variant with content is an object of one key.
    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Unreadable> {
        if let Some(name) = self.0.as_string() {
            return visitor.visit_enum(name.into_deserializer());
        }
        let mut entries = Entries::new(&self.object()?);
        match (entries.next(), entries.next()) {
            (Some((name, content)), None) => visitor.visit_enum(Variant { name, content }),
            _ => Err(Unreadable),
        }
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Unreadable> {
        visitor.visit_unit()
    }

    // What a type asks for is all it may be: each visitor is compiled for that one shape.
    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Unreadable> {
        visitor.visit_seq(Fields {
            object: self.object()?,
            names: fields.iter(),
        })
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Unreadable> {
        visitor.visit_map(Entries::new(&self.object()?))
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Unreadable> {
        if !Array::is_array(&self.0) {
            return Err(Unreadable);
        }
        seq(self.0.unchecked_into(), visitor)
    }

    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Unreadable> {
        visitor.visit_string(self.0.as_string().ok_or(Unreadable)?)
    }

    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Unreadable> {
        self.deserialize_string(visitor)
    }

    fn deserialize_identifier<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Unreadable> {
        self.deserialize_string(visitor)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Unreadable> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Unreadable> {
        visitor.visit_bool(self.0.as_bool().ok_or(Unreadable)?)
    }

    fn deserialize_u64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Unreadable> {
        number(self.0.as_f64().ok_or(Unreadable)?, visitor)
    }

    fn deserialize_u32<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Unreadable> {
        self.deserialize_u64(visitor)
    }

    fn deserialize_i64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Unreadable> {
        self.deserialize_u64(visitor)
    }

    serde::forward_to_deserialize_any! {
        i8 i16 i32 i128 u8 u16 u128 f32 f64 char bytes byte_buf unit unit_struct tuple
        tuple_struct
    }
}

impl Parsed {
    /// The value as a plain object; an array is not one here.
    fn object(self) -> Result<Object, Unreadable> {
        if !self.0.is_object() || Array::is_array(&self.0) {
            return Err(Unreadable);
        }
        Ok(self.0.unchecked_into())
    }
}

/// A JSON number as serde_json would read its text: an integer when it is one (up to 2^53 − 1,
/// beyond which `JSON.parse` has rounded it), a float otherwise, `-0` included.
fn number<'de, V: Visitor<'de>>(n: f64, visitor: V) -> Result<V::Value, Unreadable> {
    if n.fract() != 0.0 || n.abs() > MAX_SAFE_INTEGER || (n == 0.0 && n.is_sign_negative()) {
        visitor.visit_f64(n)
    } else if n < 0.0 {
        visitor.visit_i64(n as i64)
    } else {
        visitor.visit_u64(n as u64)
    }
}

/// `items` read by `visitor`, which must take them all (a pair is not read from three).
fn seq<'de, V: Visitor<'de>>(items: Array, visitor: V) -> Result<V::Value, Unreadable> {
    let mut items = Items::new(items);
    let value = visitor.visit_seq(&mut items)?;
    if items.left() > 0 {
        return Err(Unreadable);
    }
    Ok(value)
}

/// An array's elements, in order: a sequence's, or an object's `[key, value]` pairs.
struct Items {
    items: Array,
    next: u32,
}

impl Items {
    fn new(items: Array) -> Items {
        Items { items, next: 0 }
    }

    fn take(&mut self) -> Option<JsValue> {
        if self.next >= self.items.length() {
            return None;
        }
        self.next += 1;
        Some(self.items.get(self.next - 1))
    }

    fn left(&self) -> usize {
        (self.items.length() - self.next) as usize
    }
}

impl<'de> de::SeqAccess<'de> for Items {
    type Error = Unreadable;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, Unreadable> {
        self.take()
            .map(|item| seed.deserialize(Parsed(item)))
            .transpose()
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.left())
    }
}

/// An object's own keys and values, in the object's order.
struct Entries {
    pairs: Items,
    value: JsValue,
}

impl Entries {
    fn new(object: &Object) -> Entries {
        Entries {
            pairs: Items::new(Object::entries(object)),
            value: JsValue::UNDEFINED,
        }
    }

    fn next(&mut self) -> Option<(String, JsValue)> {
        let (key, value) = self.next_pair()?;
        Some((key.as_string()?, value))
    }

    fn next_pair(&mut self) -> Option<(JsValue, JsValue)> {
        let pair: Array = self.pairs.take()?.unchecked_into();
        Some((pair.get(0), pair.get(1)))
    }
}

impl<'de> de::MapAccess<'de> for Entries {
    type Error = Unreadable;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Unreadable> {
        let Some((key, value)) = self.next_pair() else {
            return Ok(None);
        };
        self.value = value;
        seed.deserialize(Parsed(key)).map(Some)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(
        &mut self,
        seed: V,
    ) -> Result<V::Value, Unreadable> {
        seed.deserialize(Parsed(std::mem::replace(
            &mut self.value,
            JsValue::UNDEFINED,
        )))
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.pairs.left())
    }
}

/// A struct's fields, looked up by name in its declared order: serde's derived code then reads
/// them as a sequence, so no type carries the code that matches keys to fields.
struct Fields {
    object: Object,
    names: std::slice::Iter<'static, &'static str>,
}

impl Fields {
    /// The next field's value; `None` when the object lacks it or past the last field, which
    /// serde's derived code reads alike. Kept apart from `next_element_seed`, which is compiled
    /// once per field type.
    fn next(&mut self) -> Option<JsValue> {
        let name = JsValue::from_str(self.names.next()?);
        // Only the object's own keys: `constructor` and the like are on every object's prototype.
        // (`Object.hasOwn` would say so more directly, but it is ES2022, newer than some of the
        // phone browsers the widget runs in.)
        let own = !Object::get_own_property_descriptor(&self.object, &name).is_undefined();
        own.then(|| js_sys::Reflect::get(&self.object, &name).unwrap_or(JsValue::UNDEFINED))
    }
}

impl<'de> de::SeqAccess<'de> for Fields {
    type Error = Unreadable;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, Unreadable> {
        // An absent field is no element at all, which serde's derived code turns into the
        // field's default or, without one, into an error.
        self.next()
            .map(|value| seed.deserialize(Parsed(value)))
            .transpose()
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.names.len())
    }
}

/// A variant written as `{"name": content}`.
struct Variant {
    name: String,
    content: JsValue,
}

impl<'de> de::EnumAccess<'de> for Variant {
    type Error = Unreadable;
    type Variant = Parsed;

    fn variant_seed<V: DeserializeSeed<'de>>(
        self,
        seed: V,
    ) -> Result<(V::Value, Parsed), Unreadable> {
        let name = seed.deserialize(self.name.into_deserializer())?;
        Ok((name, Parsed(self.content)))
    }
}

impl<'de> de::VariantAccess<'de> for Parsed {
    type Error = Unreadable;

    fn unit_variant(self) -> Result<(), Unreadable> {
        de::Deserialize::deserialize(self)
    }

    fn newtype_variant_seed<T: DeserializeSeed<'de>>(
        self,
        seed: T,
    ) -> Result<T::Value, Unreadable> {
        seed.deserialize(self)
    }

    fn tuple_variant<V: Visitor<'de>>(
        self,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, Unreadable> {
        de::Deserializer::deserialize_any(self, visitor)
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Unreadable> {
        de::Deserializer::deserialize_any(self, visitor)
    }
}
