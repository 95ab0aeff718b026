//! Lenient deserializers for what the live VRM service sends.
//!
//! VRM is a PHP service: numbers arrive as strings (`"createdOn": "1508415114"`),
//! `false` or `null` stands for "no value" where a number, string, list or
//! object is documented, an empty object arrives as `[]`, and a list with holes
//! arrives as an object keyed by index. The newtypes here accept all of that
//! without buffering through `serde_json::Value`; the functions are meant for
//! `#[serde(default, deserialize_with = "…")]`.
//!
//! Optional scalars never fail: a value of the wrong kind becomes `None`.
//! Containers accept `false`/`null` (→ empty) and either JSON shape (a list as
//! an index-keyed map, a map as the list of its values).

use std::collections::BTreeMap;
use std::fmt;
use std::marker::PhantomData;

use serde::Deserialize;
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use time::OffsetDateTime;

/// Consume the rest of a map.
pub(crate) fn drain_map<'de, A: MapAccess<'de>>(mut map: A) -> Result<(), A::Error> {
    while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
    Ok(())
}

/// Consume the rest of a sequence.
pub(crate) fn drain_seq<'de, A: SeqAccess<'de>>(mut seq: A) -> Result<(), A::Error> {
    while seq.next_element::<IgnoredAny>()?.is_some() {}
    Ok(())
}

/// A JSON number in the form it arrived.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Num {
    U(u64),
    I(i64),
    F(f64),
}

impl Num {
    /// Parse a numeric string (surrounding whitespace allowed).
    fn parse(text: &str) -> Option<Num> {
        let t = text.trim();
        if t.is_empty() {
            return None;
        }
        if let Ok(u) = t.parse::<u64>() {
            return Some(Num::U(u));
        }
        if let Ok(i) = t.parse::<i64>() {
            return Some(Num::I(i));
        }
        // Rust also parses "inf"/"NaN"; VRM never means those.
        match t.parse::<f64>() {
            Ok(f) if f.is_finite() => Some(Num::F(f)),
            _ => None,
        }
    }

    pub(crate) fn to_u64(self) -> Option<u64> {
        match self {
            Num::U(u) => Some(u),
            Num::I(i) => u64::try_from(i).ok(),
            // Below 2^64, a float without fraction fits exactly.
            Num::F(f) if f.fract() == 0.0 && (0.0..18_446_744_073_709_551_616.0).contains(&f) => {
                Some(f as u64)
            }
            Num::F(_) => None,
        }
    }

    pub(crate) fn to_i64(self) -> Option<i64> {
        match self {
            Num::U(u) => i64::try_from(u).ok(),
            Num::I(i) => Some(i),
            Num::F(f)
                if f.fract() == 0.0
                    && (-9_223_372_036_854_775_808.0..9_223_372_036_854_775_808.0).contains(&f) =>
            {
                Some(f as i64)
            }
            Num::F(_) => None,
        }
    }

    /// As a timestamp: integers as they are, floats rounded to the nearest
    /// integer (when in range).
    pub(crate) fn to_timestamp(self) -> Option<i64> {
        match self {
            Num::F(f) => Num::F(f.round()).to_i64(),
            other => other.to_i64(),
        }
    }

    pub(crate) fn to_f64(self) -> f64 {
        match self {
            Num::U(u) => u as f64,
            Num::I(i) => i as f64,
            Num::F(f) => f,
        }
    }
}

/// A number, a numeric string, or anything else (→ `None`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct LenientNum(pub(crate) Option<Num>);

impl<'de> Deserialize<'de> for LenientNum {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = LenientNum;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a number or numeric string")
            }
            fn visit_u64<E>(self, v: u64) -> Result<LenientNum, E> {
                Ok(LenientNum(Some(Num::U(v))))
            }
            fn visit_i64<E>(self, v: i64) -> Result<LenientNum, E> {
                Ok(LenientNum(Some(Num::I(v))))
            }
            fn visit_f64<E>(self, v: f64) -> Result<LenientNum, E> {
                Ok(LenientNum(v.is_finite().then_some(Num::F(v))))
            }
            fn visit_str<E>(self, v: &str) -> Result<LenientNum, E> {
                Ok(LenientNum(Num::parse(v)))
            }
            fn visit_bool<E>(self, _: bool) -> Result<LenientNum, E> {
                Ok(LenientNum(None))
            }
            fn visit_unit<E>(self) -> Result<LenientNum, E> {
                Ok(LenientNum(None))
            }
            fn visit_none<E>(self) -> Result<LenientNum, E> {
                Ok(LenientNum(None))
            }
            fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<LenientNum, D::Error> {
                d.deserialize_any(self)
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<LenientNum, A::Error> {
                drain_map(map)?;
                Ok(LenientNum(None))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<LenientNum, A::Error> {
                drain_seq(seq)?;
                Ok(LenientNum(None))
            }
        }
        d.deserialize_any(V)
    }
}

/// A lenient `Option<f64>`: number or numeric string; anything else `None`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct LenientF64(pub(crate) Option<f64>);

impl<'de> Deserialize<'de> for LenientF64 {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        LenientNum::deserialize(d).map(|n| LenientF64(n.0.map(Num::to_f64)))
    }
}

/// A lenient `Option<i64>`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct LenientI64(pub(crate) Option<i64>);

impl<'de> Deserialize<'de> for LenientI64 {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        LenientNum::deserialize(d).map(|n| LenientI64(n.0.and_then(Num::to_i64)))
    }
}

/// A lenient `Option<u64>`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct LenientU64(pub(crate) Option<u64>);

impl<'de> Deserialize<'de> for LenientU64 {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        LenientNum::deserialize(d).map(|n| LenientU64(n.0.and_then(Num::to_u64)))
    }
}

/// A lenient `Option<String>`: a string as is, a number as its text, `true`
/// as `"true"`; `false`, `null`, lists and objects `None`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct LenientString(pub(crate) Option<String>);

impl<'de> Deserialize<'de> for LenientString {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = LenientString;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_str<E>(self, v: &str) -> Result<LenientString, E> {
                Ok(LenientString(Some(v.to_owned())))
            }
            fn visit_string<E>(self, v: String) -> Result<LenientString, E> {
                Ok(LenientString(Some(v)))
            }
            fn visit_u64<E>(self, v: u64) -> Result<LenientString, E> {
                Ok(LenientString(Some(v.to_string())))
            }
            fn visit_i64<E>(self, v: i64) -> Result<LenientString, E> {
                Ok(LenientString(Some(v.to_string())))
            }
            fn visit_f64<E>(self, v: f64) -> Result<LenientString, E> {
                Ok(LenientString(Some(v.to_string())))
            }
            fn visit_bool<E>(self, v: bool) -> Result<LenientString, E> {
                Ok(LenientString(v.then(|| "true".to_owned())))
            }
            fn visit_unit<E>(self) -> Result<LenientString, E> {
                Ok(LenientString(None))
            }
            fn visit_none<E>(self) -> Result<LenientString, E> {
                Ok(LenientString(None))
            }
            fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<LenientString, D::Error> {
                d.deserialize_any(self)
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<LenientString, A::Error> {
                drain_map(map)?;
                Ok(LenientString(None))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<LenientString, A::Error> {
                drain_seq(seq)?;
                Ok(LenientString(None))
            }
        }
        d.deserialize_any(V)
    }
}

/// A lenient `Option<bool>`: `true`/`false`, numbers (0 is false, others
/// true), `"0"`/`"1"`/`"true"`/`"false"`; `null`, `""` and anything else `None`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct LenientBool(pub(crate) Option<bool>);

impl<'de> Deserialize<'de> for LenientBool {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = LenientBool;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a boolean, 0 or 1")
            }
            fn visit_bool<E>(self, v: bool) -> Result<LenientBool, E> {
                Ok(LenientBool(Some(v)))
            }
            fn visit_u64<E>(self, v: u64) -> Result<LenientBool, E> {
                Ok(LenientBool(Some(v != 0)))
            }
            fn visit_i64<E>(self, v: i64) -> Result<LenientBool, E> {
                Ok(LenientBool(Some(v != 0)))
            }
            fn visit_f64<E>(self, v: f64) -> Result<LenientBool, E> {
                Ok(LenientBool((!v.is_nan()).then_some(v != 0.0)))
            }
            fn visit_str<E>(self, v: &str) -> Result<LenientBool, E> {
                let t = v.trim();
                let b = if t.eq_ignore_ascii_case("true") {
                    Some(true)
                } else if t.eq_ignore_ascii_case("false") {
                    Some(false)
                } else {
                    Num::parse(t).map(|n| n.to_f64() != 0.0)
                };
                Ok(LenientBool(b))
            }
            fn visit_unit<E>(self) -> Result<LenientBool, E> {
                Ok(LenientBool(None))
            }
            fn visit_none<E>(self) -> Result<LenientBool, E> {
                Ok(LenientBool(None))
            }
            fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<LenientBool, D::Error> {
                d.deserialize_any(self)
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<LenientBool, A::Error> {
                drain_map(map)?;
                Ok(LenientBool(None))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<LenientBool, A::Error> {
                drain_seq(seq)?;
                Ok(LenientBool(None))
            }
        }
        d.deserialize_any(V)
    }
}

/// A list that may arrive as `false`, `null`, `{}` (all → empty), or as an
/// object keyed by index (→ its values, in order).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ListOrEmpty<T>(pub(crate) Vec<T>);

impl<'de, T: Deserialize<'de>> Deserialize<'de> for ListOrEmpty<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<T>(PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for V<T> {
            type Value = ListOrEmpty<T>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a list, or false/null for none")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                // Cap the pre-allocation: the hint comes from the input.
                let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(4096));
                while let Some(item) = seq.next_element()? {
                    out.push(item);
                }
                Ok(ListOrEmpty(out))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut out = Vec::new();
                while let Some((_, item)) = map.next_entry::<IgnoredAny, T>()? {
                    out.push(item);
                }
                Ok(ListOrEmpty(out))
            }
            fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
                Ok(ListOrEmpty(Vec::new()))
            }
            fn visit_unit<E>(self) -> Result<Self::Value, E> {
                Ok(ListOrEmpty(Vec::new()))
            }
            fn visit_none<E>(self) -> Result<Self::Value, E> {
                Ok(ListOrEmpty(Vec::new()))
            }
            fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
                d.deserialize_any(self)
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                if v.is_empty() {
                    Ok(ListOrEmpty(Vec::new()))
                } else {
                    Err(de::Error::invalid_type(de::Unexpected::Str(v), &self))
                }
            }
        }
        d.deserialize_any(V(PhantomData))
    }
}

/// A string-keyed map that may arrive as `false`, `null`, `""` (all → empty)
/// or as a list (PHP's encoding of an empty or 0-based map: keys become
/// `"0"`, `"1"`, …).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct MapOrEmpty<V>(pub(crate) BTreeMap<String, V>);

impl<'de, T: Deserialize<'de>> Deserialize<'de> for MapOrEmpty<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<T>(PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for V<T> {
            type Value = MapOrEmpty<T>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object, or false/null for none")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut out = BTreeMap::new();
                while let Some(key) = map.next_key::<MapKey>()? {
                    let value = map.next_value()?;
                    out.insert(key.0, value);
                }
                Ok(MapOrEmpty(out))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                let mut out = BTreeMap::new();
                let mut index = 0usize;
                while let Some(item) = seq.next_element()? {
                    out.insert(index.to_string(), item);
                    index += 1;
                }
                Ok(MapOrEmpty(out))
            }
            fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
                Ok(MapOrEmpty(BTreeMap::new()))
            }
            fn visit_unit<E>(self) -> Result<Self::Value, E> {
                Ok(MapOrEmpty(BTreeMap::new()))
            }
            fn visit_none<E>(self) -> Result<Self::Value, E> {
                Ok(MapOrEmpty(BTreeMap::new()))
            }
            fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
                d.deserialize_any(self)
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                if v.is_empty() {
                    Ok(MapOrEmpty(BTreeMap::new()))
                } else {
                    Err(de::Error::invalid_type(de::Unexpected::Str(v), &self))
                }
            }
        }
        d.deserialize_any(V(PhantomData))
    }
}

/// A map key as text, whatever the deserializer hands over (JSON keys are
/// strings; buffered content may give numbers).
pub(crate) struct MapKey(pub(crate) String);

impl<'de> Deserialize<'de> for MapKey {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = MapKey;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a map key")
            }
            fn visit_str<E>(self, v: &str) -> Result<MapKey, E> {
                Ok(MapKey(v.to_owned()))
            }
            fn visit_string<E>(self, v: String) -> Result<MapKey, E> {
                Ok(MapKey(v))
            }
            fn visit_u64<E>(self, v: u64) -> Result<MapKey, E> {
                Ok(MapKey(v.to_string()))
            }
            fn visit_i64<E>(self, v: i64) -> Result<MapKey, E> {
                Ok(MapKey(v.to_string()))
            }
            fn visit_bool<E>(self, v: bool) -> Result<MapKey, E> {
                Ok(MapKey(v.to_string()))
            }
        }
        d.deserialize_any(V)
    }
}

/// Deserialize through a wrapper newtype (used to turn the wrappers above
/// into `deserialize_with` functions).
fn via<'de, D: Deserializer<'de>, W: Deserialize<'de>>(d: D) -> Result<W, D::Error> {
    W::deserialize(d)
}

/// `Option<u64>`: number, numeric string, float without fraction; `false`,
/// `null`, `""` and anything else → `None`.
pub(crate) fn opt_u64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    via::<D, LenientU64>(d).map(|v| v.0)
}

/// `Option<u32>`, as [`opt_u64`]; out-of-range → `None`.
pub(crate) fn opt_u32<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u32>, D::Error> {
    via::<D, LenientU64>(d).map(|v| v.0.and_then(|n| u32::try_from(n).ok()))
}

/// `Option<i64>`, as [`opt_u64`] but signed.
pub(crate) fn opt_i64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    via::<D, LenientI64>(d).map(|v| v.0)
}

/// `Option<f64>`: number or numeric string; `false`, `null`, `""` → `None`.
pub(crate) fn opt_f64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
    via::<D, LenientF64>(d).map(|v| v.0)
}

/// `Option<String>`: string; number → its text; `false`/`null` → `None`.
pub(crate) fn opt_string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    via::<D, LenientString>(d).map(|v| v.0)
}

/// `String`, as [`opt_string`] with `None` → `""`.
pub(crate) fn string_or_empty<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    via::<D, LenientString>(d).map(|v| v.0.unwrap_or_default())
}

/// `Option<bool>`: see [`LenientBool`].
pub(crate) fn opt_bool<'de, D: Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
    via::<D, LenientBool>(d).map(|v| v.0)
}

/// An optional typed id (`SiteId`, …): as [`opt_u64`].
pub(crate) fn opt_id<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: From<u64>,
{
    opt_u64(d).map(|v| v.map(T::from))
}

/// `Vec<T>`: see [`ListOrEmpty`].
pub(crate) fn list_or_empty<'de, D, T>(d: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    via::<D, ListOrEmpty<T>>(d).map(|v| v.0)
}

/// `Vec<String>`: a list of strings (numbers as text, `null`/`false` items
/// dropped), or `false`/`null` for none.
pub(crate) fn strings_or_empty<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    via::<D, ListOrEmpty<LenientString>>(d).map(|v| v.0.into_iter().filter_map(|s| s.0).collect())
}

/// `BTreeMap<String, T>`: see [`MapOrEmpty`].
pub(crate) fn map_or_empty<'de, D, T>(d: D) -> Result<BTreeMap<String, T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    via::<D, MapOrEmpty<T>>(d).map(|v| v.0)
}

/// `BTreeMap<String, Option<f64>>`: values as [`opt_f64`], the map as
/// [`MapOrEmpty`].
pub(crate) fn map_of_opt_f64<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<BTreeMap<String, Option<f64>>, D::Error> {
    via::<D, MapOrEmpty<LenientF64>>(d).map(|m| m.0.into_iter().map(|(k, v)| (k, v.0)).collect())
}

/// Unix seconds → time, `None` when out of `time`'s range.
pub(crate) fn unix_s(seconds: i64) -> Option<OffsetDateTime> {
    OffsetDateTime::from_unix_timestamp(seconds).ok()
}

/// Unix milliseconds → time, `None` when out of `time`'s range.
pub(crate) fn unix_ms(millis: i64) -> Option<OffsetDateTime> {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(millis) * 1_000_000).ok()
}

/// A JSON number or numeric string as `f64` (for `rawValue`-style fields kept
/// as `serde_json::Value`).
pub(crate) fn value_f64(value: &serde_json::Value) -> Option<f64> {
    match value {
        serde_json::Value::Number(n) => n.as_f64(),
        serde_json::Value::String(s) => Num::parse(s).map(Num::to_f64),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    struct Probe {
        #[serde(default, deserialize_with = "opt_u64")]
        u: Option<u64>,
        #[serde(default, deserialize_with = "opt_i64")]
        i: Option<i64>,
        #[serde(default, deserialize_with = "opt_u32")]
        u32: Option<u32>,
        #[serde(default, deserialize_with = "opt_f64")]
        f: Option<f64>,
        #[serde(default, deserialize_with = "opt_string")]
        s: Option<String>,
        #[serde(default, deserialize_with = "opt_bool")]
        b: Option<bool>,
        #[serde(default, deserialize_with = "list_or_empty")]
        l: Vec<u8>,
        #[serde(default, deserialize_with = "map_or_empty")]
        m: BTreeMap<String, u8>,
        #[serde(default, deserialize_with = "strings_or_empty")]
        ss: Vec<String>,
        #[serde(default, deserialize_with = "map_of_opt_f64")]
        mf: BTreeMap<String, Option<f64>>,
    }

    fn probe(json: &str) -> Probe {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn numbers() {
        let p = probe(r#"{"u":"50","i":"-7","u32":12.0,"f":"52.7237"}"#);
        assert_eq!(
            (p.u, p.i, p.u32, p.f),
            (Some(50), Some(-7), Some(12), Some(52.7237))
        );
        let p = probe(r#"{"u":false,"i":null,"u32":"","f":false}"#);
        assert_eq!((p.u, p.i, p.u32, p.f), (None, None, None, None));
        let p = probe(r#"{"u":-1,"i":1.5,"u32":5000000000,"f":"abc"}"#);
        assert_eq!((p.u, p.i, p.u32, p.f), (None, None, None, None));
        let p = probe(r#"{"u":{"a":1},"i":[1,2],"f":true}"#);
        assert_eq!((p.u, p.i, p.f), (None, None, None));
        let p = probe(r#"{"u":" 1508415114 ","i":1508415114.0,"f":3}"#);
        assert_eq!(
            (p.u, p.i, p.f),
            (Some(1_508_415_114), Some(1_508_415_114), Some(3.0))
        );
        let p = probe(r#"{"f":"inf"}"#);
        assert_eq!(p.f, None);
        let p = probe("{}");
        assert_eq!((p.u, p.i, p.u32, p.f), (None, None, None, None));
    }

    #[test]
    fn strings_and_bools() {
        let p = probe(r#"{"s":12,"b":"1"}"#);
        assert_eq!((p.s.as_deref(), p.b), (Some("12"), Some(true)));
        let p = probe(r#"{"s":false,"b":0}"#);
        assert_eq!((p.s, p.b), (None, Some(false)));
        let p = probe(r#"{"s":true,"b":true}"#);
        assert_eq!((p.s.as_deref(), p.b), (Some("true"), Some(true)));
        let p = probe(r#"{"s":null,"b":null}"#);
        assert_eq!((p.s, p.b), (None, None));
        let p = probe(r#"{"s":"","b":"false"}"#);
        assert_eq!((p.s.as_deref(), p.b), (Some(""), Some(false)));
        let p = probe(r#"{"s":1.5,"b":"yes"}"#);
        assert_eq!((p.s.as_deref(), p.b), (Some("1.5"), None));
        let p = probe(r#"{"s":{"x":1},"b":[true]}"#);
        assert_eq!((p.s, p.b), (None, None));
    }

    #[test]
    fn containers() {
        let p = probe(r#"{"l":false,"m":false,"ss":null,"mf":false}"#);
        assert!(p.l.is_empty() && p.m.is_empty() && p.ss.is_empty() && p.mf.is_empty());
        let p = probe(r#"{"l":{},"m":[],"ss":{},"mf":[]}"#);
        assert!(p.l.is_empty() && p.m.is_empty() && p.ss.is_empty() && p.mf.is_empty());
        let p = probe(
            r#"{"l":{"0":1,"3":2},"m":[7,8],"ss":["a",1,null,false],"mf":{"a":"1.5","b":false}}"#,
        );
        assert_eq!(p.l, [1, 2]);
        assert_eq!(p.m.get("0"), Some(&7));
        assert_eq!(p.m.get("1"), Some(&8));
        assert_eq!(p.ss, ["a", "1"]);
        assert_eq!(p.mf.get("a"), Some(&Some(1.5)));
        assert_eq!(p.mf.get("b"), Some(&None));
        assert!(serde_json::from_str::<Probe>(r#"{"l":"x"}"#).is_err());
    }

    #[test]
    fn time_helpers() {
        assert_eq!(unix_s(0).map(|t| t.unix_timestamp()), Some(0));
        assert_eq!(
            unix_ms(1_441_066_216_000).map(|t| t.unix_timestamp()),
            Some(1_441_066_216)
        );
        assert_eq!(unix_s(i64::MAX), None);
        assert_eq!(value_f64(&serde_json::json!("52.7237")), Some(52.7237));
        assert_eq!(value_f64(&serde_json::json!(9)), Some(9.0));
        assert_eq!(value_f64(&serde_json::json!(null)), None);
        assert_eq!(value_f64(&serde_json::json!("v3.72")), None);
    }
}
