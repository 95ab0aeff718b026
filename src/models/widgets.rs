//! `GET /installations/{idSite}/widgets/{Name}`.
//!
//! Every widget answers `{"records": {"data": …, "meta": {attributeId: …}, …}}`
//! with a widget-specific `data`: [`WidgetResponse`] decodes them all and
//! offers typed views (summaries, state changes); [`GraphResponse`] is the
//! typed answer of the `Graph` widget.
//!
//! Lenient, entry by entry: one odd entry never sinks an answer (the rules
//! are in the docs of [`WidgetRecords`]). The `Deserialize` impls read
//! through [`Fields`] and [`split_map`], the `Serialize` impls write what
//! was kept back in place through [`Out`] and [`Merged`].

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use serde::de::{self as sde, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::ser::SerializeMap;
use serde::{Deserialize, Serialize, Serializer};
use serde_json::{Map, Value};
use time::OffsetDateTime;

use super::de;
use super::installations::EnumValue;
use super::stats::{read_point, write_point};

// ---- reading values leniently ------------------------------------------------------

/// `null`, `false` and `""`: VRM's "no value", never an odd value.
fn is_none(v: &Value) -> bool {
    matches!(v, Value::Null | Value::Bool(false)) || v.as_str() == Some("")
}

/// A string, a number as its text (see [`de::opt_string`]).
fn text(v: &Value) -> Option<String> {
    de::opt_string(v).ok().flatten()
}

fn int(v: &Value) -> Option<i64> {
    de::opt_i64(v).ok().flatten()
}

fn uint(v: &Value) -> Option<u64> {
    de::opt_u64(v).ok().flatten()
}

fn small(v: &Value) -> Option<u32> {
    de::opt_u32(v).ok().flatten()
}

fn float(v: &Value) -> Option<f64> {
    de::opt_f64(v).ok().flatten()
}

fn flag(v: &Value) -> Option<bool> {
    de::opt_bool(v).ok().flatten()
}

/// True for a key that is an attribute id (`"51"`).
fn is_attribute_id(key: &str) -> bool {
    !key.is_empty() && key.bytes().all(|b| b.is_ascii_digit())
}

/// The values of an index-keyed object (PHP's list with holes), in index
/// order (other keys after, in key order).
fn in_index_order(map: &Map<String, Value>) -> Vec<&Value> {
    let mut entries: Vec<(&String, &Value)> = map.iter().collect();
    entries.sort_by_key(|(k, _)| k.parse::<u64>().map_or((1, 0), |n| (0, n)));
    entries.into_iter().map(|(_, v)| v).collect()
}

/// The items of a list that fit, and whether all of them fit wholly
/// (`item` gives an item's typed value and whether it fit wholly). A list
/// may arrive as an index-keyed object; `null`, `false`, `""` are the empty
/// list. `None` when `value` is no list at all.
fn list_items<T>(
    value: &Value,
    item: impl Fn(&Value) -> Option<(T, bool)>,
) -> Option<(Vec<T>, bool)> {
    let items: Vec<&Value> = match value {
        Value::Array(items) => items.iter().collect(),
        Value::Object(map) => in_index_order(map),
        v if is_none(v) => Vec::new(),
        _ => return None,
    };
    let mut whole = true;
    let typed = items
        .into_iter()
        .filter_map(|v| {
            let typed = item(v);
            whole &= typed.as_ref().is_some_and(|(_, w)| *w);
            typed.map(|(t, _)| t)
        })
        .collect();
    Some((typed, whole))
}

/// Typed entries by key, and the entries kept as sent.
type Split<T> = (BTreeMap<String, T>, BTreeMap<String, Value>);

/// Sort one map entry: typed when `entry` reads it (`(typed, whole)`), kept
/// as sent when it does not, or does not wholly.
fn put<T>(
    split: &mut Split<T>,
    key: String,
    raw: Value,
    entry: &impl Fn(&Value) -> Option<(T, bool)>,
) {
    match entry(&raw) {
        Some((typed, true)) => {
            split.0.insert(key, typed);
        }
        Some((typed, false)) => {
            split.0.insert(key.clone(), typed);
            split.1.insert(key, raw);
        }
        None => {
            split.1.insert(key, raw);
        }
    }
}

/// The entries of a map, sorted by [`put`]. A map may arrive as a list
/// (keys `"0"`, `"1"`, …); `null`, `false`, `""` are the empty map. `Err`
/// gives `value` back when it is no map at all.
fn split_map<T>(
    value: Value,
    entry: impl Fn(&Value) -> Option<(T, bool)>,
) -> Result<Split<T>, Value> {
    let mut split = (BTreeMap::new(), BTreeMap::new());
    match value {
        Value::Object(map) => {
            for (key, raw) in map {
                put(&mut split, key, raw, &entry);
            }
        }
        Value::Array(items) => {
            for (i, raw) in items.into_iter().enumerate() {
                put(&mut split, i.to_string(), raw, &entry);
            }
        }
        v if is_none(&v) => {}
        v => return Err(v),
    }
    Ok(split)
}

/// An object read field by field: each typed field is taken out of it;
/// what is left (fields this crate does not know, and values that do not
/// fit their field) is the struct's `extra`, as sent.
struct Fields(Map<String, Value>);

impl Fields {
    /// The field `key`, read by `read`. A value that does not fit (and is
    /// not a "no value") stays in the object.
    fn take<T>(&mut self, key: &str, read: impl FnOnce(&Value) -> Option<T>) -> Option<T> {
        let value = self.0.remove(key)?;
        let typed = read(&value);
        if typed.is_none() && !is_none(&value) {
            self.0.insert(key.to_owned(), value);
        }
        typed
    }

    /// The list field `key`: the items that fit. The list stays in the
    /// object, whole, when one item does not fit.
    fn take_list<T>(&mut self, key: &str, item: impl Fn(&Value) -> Option<(T, bool)>) -> Vec<T> {
        let Some(value) = self.0.remove(key) else {
            return Vec::new();
        };
        match list_items(&value, item) {
            Some((items, true)) => items,
            Some((items, false)) => {
                self.0.insert(key.to_owned(), value);
                items
            }
            None => {
                self.0.insert(key.to_owned(), value);
                Vec::new()
            }
        }
    }

    /// The map field `key`, sorted by [`put`]. A value that is no map at
    /// all stays in the object.
    fn take_map<T>(&mut self, key: &str, entry: impl Fn(&Value) -> Option<(T, bool)>) -> Split<T> {
        let Some(value) = self.0.remove(key) else {
            return (BTreeMap::new(), BTreeMap::new());
        };
        split_map(value, entry).unwrap_or_else(|odd| {
            self.0.insert(key.to_owned(), odd);
            (BTreeMap::new(), BTreeMap::new())
        })
    }

    fn contains(&self, key: &str) -> bool {
        self.0.contains_key(key)
    }

    fn rest(self) -> Map<String, Value> {
        self.0
    }
}

/// An object as a map of raw values, for `Deserialize` impls that read
/// through [`Fields`]: a JSON object, or a list (keys `"0"`, `"1"`, …;
/// `[]` is PHP's empty object). Anything else is an error.
struct Object(Map<String, Value>);

impl<'de> Deserialize<'de> for Object {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Object;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Object, A::Error> {
                let mut out = Map::new();
                while let Some(key) = map.next_key::<de::MapKey>()? {
                    out.insert(key.0, map.next_value()?);
                }
                Ok(Object(out))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Object, A::Error> {
                let mut out = Map::new();
                let mut index = 0usize;
                while let Some(item) = seq.next_element()? {
                    out.insert(index.to_string(), item);
                    index += 1;
                }
                Ok(Object(out))
            }
        }
        d.deserialize_any(V)
    }
}

// ---- writing them back -------------------------------------------------------------

/// Writes a struct's typed fields, then its `extra`. A typed field whose
/// name is in `extra` is left out: `extra` holds its value as sent.
struct Out<'a, M> {
    map: M,
    extra: &'a Map<String, Value>,
}

impl<'a, M: SerializeMap> Out<'a, M> {
    fn new(map: M, extra: &'a Map<String, Value>) -> Self {
        Out { map, extra }
    }

    fn field<T: Serialize + ?Sized>(&mut self, key: &str, value: &T) -> Result<(), M::Error> {
        if self.extra.contains_key(key) {
            return Ok(());
        }
        self.map.serialize_entry(key, value)
    }

    fn end(mut self) -> Result<M::Ok, M::Error> {
        for (key, value) in self.extra {
            self.map.serialize_entry(key, value)?;
        }
        self.map.end()
    }
}

/// Typed entries and entries kept as sent, as one map in key order (the
/// entry as sent where a key has both).
struct Merged<'a, T>(&'a BTreeMap<String, T>, &'a BTreeMap<String, Value>);

impl<T: Serialize> Serialize for Merged<'_, T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let keys: BTreeSet<&String> = self.0.keys().chain(self.1.keys()).collect();
        let mut map = s.serialize_map(Some(keys.len()))?;
        for key in keys {
            match (self.1.get(key), self.0.get(key)) {
                (Some(raw), _) => map.serialize_entry(key, raw)?,
                (None, Some(typed)) => map.serialize_entry(key, typed)?,
                (None, None) => {}
            }
        }
        map.end()
    }
}

// ---- attribute descriptions ----------------------------------------------------------

/// Description of one data attribute in a widget's `meta`.
///
/// A field of the wrong kind (`"description": {}`) reads as `None` and is
/// kept as sent in [`extra`](Self::extra).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct AttributeMeta {
    /// The attribute code (`"bv"`, `"SOC"`); case-sensitive.
    pub code: String,
    /// Human description (`"Voltage"`).
    pub description: Option<String>,
    /// printf-style format of the value alone (`"%.2F"`; also read from
    /// `formatWithValueOnly`, the OpenAPI's name).
    pub format_value_only: Option<String>,
    /// printf-style format with unit (`"%.2F V"`, `"%.1F %%"`); see
    /// [`unit`](Self::unit).
    pub format_with_unit: Option<String>,
    /// The graph axis VRM groups the attribute on (`"Battery Voltage"`).
    pub axis_group: Option<String>,
    /// Fields this crate does not know, and values of the wrong kind, kept
    /// as sent.
    pub extra: Map<String, Value>,
}

impl AttributeMeta {
    /// The unit from `format_with_unit`: `"%.2F V"` → `"V"`, `"%.1F %%"` →
    /// `"%"`; `None` when there is none (`"%s"`).
    pub fn unit(&self) -> Option<String> {
        unit_of(self.format_with_unit.as_deref()?)
    }

    fn from_fields(mut f: Fields) -> AttributeMeta {
        let code = f.take("code", text).unwrap_or_default();
        let description = f.take("description", text);
        let format_value_only = match f.take("formatValueOnly", text) {
            None if !f.contains("formatValueOnly") => f.take("formatWithValueOnly", text),
            other => other,
        };
        AttributeMeta {
            code,
            description,
            format_value_only,
            format_with_unit: f.take("formatWithUnit", text),
            axis_group: f.take("axisGroup", text),
            extra: f.rest(),
        }
    }

    /// A `meta` entry: any object fits.
    fn entry(v: &Value) -> Option<(AttributeMeta, bool)> {
        let map = v.as_object()?.clone();
        Some((AttributeMeta::from_fields(Fields(map)), true))
    }
}

impl<'de> Deserialize<'de> for AttributeMeta {
    /// Any JSON object; fields of the wrong kind go to `extra`.
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let map = Map::<String, Value>::deserialize(d)?;
        Ok(AttributeMeta::from_fields(Fields(map)))
    }
}

impl Serialize for AttributeMeta {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut out = Out::new(s.serialize_map(None)?, &self.extra);
        out.field("code", &self.code)?;
        out.field("description", &self.description)?;
        out.field("formatValueOnly", &self.format_value_only)?;
        out.field("formatWithUnit", &self.format_with_unit)?;
        out.field("axisGroup", &self.axis_group)?;
        out.end()
    }
}

/// The text after the leading printf conversion, with `%%` unescaped.
fn unit_of(format: &str) -> Option<String> {
    let rest = match format.strip_prefix('%') {
        Some(after) => after
            .split_once(char::is_whitespace)
            .map_or("", |(_, unit)| unit),
        None => format,
    };
    let unit = rest.trim().replace("%%", "%");
    (!unit.is_empty()).then_some(unit)
}

/// The id (`meta` key) of the attribute with `code`.
fn id_of<'a>(meta: &'a BTreeMap<String, AttributeMeta>, code: &str) -> Option<&'a str> {
    meta.iter()
        .find(|(_, m)| m.code == code)
        .map(|(id, _)| id.as_str())
}

// ---- any widget ----------------------------------------------------------------------

/// The answer of any `GET /installations/{idSite}/widgets/{Name}`.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[non_exhaustive]
pub struct WidgetResponse {
    /// The widget's content.
    pub records: WidgetRecords,
}

/// A widget's content. `data` is widget-specific and kept as sent: per
/// attribute id for summary and state widgets (plus `hasOldData` and
/// `secondsAgo` for summaries; see [`summary_data`](Self::summary_data) and
/// [`state_data`](Self::state_data)), `{attributes, geofence, …}` for `GPS`,
/// a string or `null` for `HoursOfAc`. The helpers read it by attribute code.
///
/// # Lenient, entry by entry
///
/// One odd entry never sinks an answer; only `records` that is no object
/// (nor list, PHP's empty object) is a decode error.
///
/// - In a map (`meta`, `enums`, the `data` of summaries, state widgets and
///   graphs), an entry that does not fit its type is kept as sent in the
///   map's companion (`unknown_meta`, `unknown_enums`, the `extra` of
///   [`summary_data`](Self::summary_data), the `unknown` of
///   [`state_data`](Self::state_data), [`GraphRecords::unknown_data`] …),
///   and the other entries decode. An entry that fits only in part (a
///   graph series with one bad point) is typed as far as it fits, and kept
///   as sent as well.
/// - In a struct, a field whose value is of the wrong kind is kept as sent
///   in its `extra`, under its own name; the typed field is then `None` or
///   empty. A list with an item that does not fit (`attributeOrder`,
///   `dataAttributeEnumValues`) is typed as far as it fits and kept there
///   whole; so is a map field that is no map at all (`"meta": 512`).
/// - `null`, `false` and `""` are VRM's "no value": they read as `None` or
///   empty and are not kept.
///
/// Serializing puts every kept value back where it came from (the value as
/// sent wins over the typed one), so a decoded answer serializes to what VRM
/// sent, as far as the types allow, and decodes back to itself.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct WidgetRecords {
    /// The widget's data, kept as sent (`Null` when absent).
    pub data: Value,
    /// Attribute descriptions by attribute id (`"143"`).
    pub meta: BTreeMap<String, AttributeMeta>,
    /// The entries of `meta` that are not an attribute description (not an
    /// object: `"143": 512`), by attribute id, as sent.
    pub unknown_meta: BTreeMap<String, Value>,
    /// State widgets: the name of each state value, by attribute id, then
    /// value (`{"520": {"0": "Stopped", …}}`).
    pub enums: BTreeMap<String, BTreeMap<String, String>>,
    /// The entries of `enums` that are not (or not only) names, by
    /// attribute id, as sent; the names they do hold are in `enums` too.
    pub unknown_enums: BTreeMap<String, Value>,
    /// Summary widgets: the order to show the attributes in, as attribute
    /// ids (items that are no id are left out; the list as sent is then in
    /// `extra["attributeOrder"]`).
    pub attribute_order: Vec<u64>,
    /// The device instance the data is for, when VRM says.
    pub instance: Option<u32>,
    /// Everything else (`sort`, `buckets`, `alarms`, …), and a `meta`,
    /// `enums`, `attributeOrder` or `instance` of the wrong kind, kept as
    /// sent.
    pub extra: Map<String, Value>,
}

impl<'de> Deserialize<'de> for WidgetRecords {
    /// An object (or a list, PHP's empty object); an error for anything
    /// else.
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let Object(map) = Object::deserialize(d)?;
        let mut f = Fields(map);
        let data = f.0.remove("data").unwrap_or(Value::Null);
        let (meta, unknown_meta) = f.take_map("meta", AttributeMeta::entry);
        let (enums, unknown_enums) = f.take_map("enums", enum_names);
        let attribute_order = f.take_list("attributeOrder", |v| uint(v).map(|id| (id, true)));
        let instance = f.take("instance", small);
        Ok(WidgetRecords {
            data,
            meta,
            unknown_meta,
            enums,
            unknown_enums,
            attribute_order,
            instance,
            extra: f.rest(),
        })
    }
}

impl Serialize for WidgetRecords {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut out = Out::new(s.serialize_map(None)?, &self.extra);
        out.field("data", &self.data)?;
        out.field("meta", &Merged(&self.meta, &self.unknown_meta))?;
        out.field("enums", &Merged(&self.enums, &self.unknown_enums))?;
        out.field("attributeOrder", &self.attribute_order)?;
        out.field("instance", &self.instance)?;
        out.end()
    }
}

/// An `enums` entry: value → name. Names that are not text (`false`, a
/// list) are left out, and the entry is then kept as sent too.
fn enum_names(v: &Value) -> Option<(BTreeMap<String, String>, bool)> {
    let entries: Vec<(String, &Value)> = match v {
        Value::Object(map) => map.iter().map(|(k, v)| (k.clone(), v)).collect(),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .map(|(i, v)| (i.to_string(), v))
            .collect(),
        v if is_none(v) => Vec::new(),
        _ => return None,
    };
    let mut whole = true;
    let mut names = BTreeMap::new();
    for (value, name) in entries {
        match text(name) {
            Some(name) => {
                names.insert(value, name);
            }
            None => whole = false,
        }
    }
    Some((names, whole))
}

impl WidgetRecords {
    /// The attribute id (`meta` key) of a code.
    pub fn attribute_id(&self, code: &str) -> Option<&str> {
        id_of(&self.meta, code)
    }

    /// The description of a code.
    pub fn meta_for(&self, code: &str) -> Option<&AttributeMeta> {
        self.meta.values().find(|m| m.code == code)
    }

    /// The raw `data` entry of a code.
    pub fn data_for(&self, code: &str) -> Option<&Value> {
        self.data.get(self.attribute_id(code)?)
    }

    /// Summary widgets: `data` read as the OpenAPI describes it:
    /// `hasOldData`, `secondsAgo` and the attribute values, with every other
    /// entry kept as sent (empty when `data` is no object).
    pub fn summary_data(&self) -> SummaryData {
        match &self.data {
            Value::Object(map) => SummaryData::from_fields(Fields(map.clone())),
            _ => SummaryData::default(),
        }
    }

    /// Summary widgets: the latest value of a code (`None` when VRM sent
    /// none: summaries of the demo sites often carry only `hasOldData` and
    /// `secondsAgo`; `None` too when the entry is no object — see
    /// [`data_for`](Self::data_for) for it as sent).
    pub fn summary(&self, code: &str) -> Option<SummaryAttribute> {
        self.data_for(code)
            .and_then(SummaryAttribute::entry)
            .map(|(s, _)| s)
    }

    /// Summary widgets: every attribute value in `data`, keyed by attribute
    /// id, in `attribute_order` where it applies.
    pub fn summaries(&self) -> Vec<(String, SummaryAttribute)> {
        let mut out: Vec<(String, SummaryAttribute)> =
            self.summary_data().attributes.into_iter().collect();
        let rank = |id: &str| {
            id.parse::<u64>()
                .ok()
                .and_then(|n| self.attribute_order.iter().position(|o| *o == n))
                .unwrap_or(usize::MAX)
        };
        out.sort_by_key(|(id, _)| rank(id));
        out
    }

    /// Summary widgets: `data.hasOldData`, true when the key attribute's data
    /// is old (`"0"`/`"1"` and numbers read too).
    pub fn has_old_data(&self) -> Option<bool> {
        self.data.get("hasOldData").and_then(flag)
    }

    /// Summary widgets: `data.secondsAgo.value`, the age of the data in
    /// seconds (a bare number in place of the object reads too).
    pub fn seconds_ago(&self) -> Option<i64> {
        let value = self.data.get("secondsAgo")?;
        let value = value.get("value").unwrap_or(value);
        int(value)
    }

    /// State widgets: `data` as state changes by attribute id, with every
    /// entry that is not (or not only) state changes kept as sent.
    pub fn state_data(&self) -> StateData {
        let mut split = (BTreeMap::new(), BTreeMap::new());
        if let Value::Object(map) = &self.data {
            for (key, raw) in map {
                put(&mut split, key.clone(), raw.clone(), &state_entry);
            }
        }
        StateData {
            changes: split.0,
            unknown: split.1,
        }
    }

    /// State widgets: the state changes of a code (empty when none).
    pub fn state_changes(&self, code: &str) -> Vec<StateChange> {
        self.data_for(code)
            .and_then(state_entry)
            .map(|(changes, _)| changes)
            .unwrap_or_default()
    }

    /// State widgets: the name of a state value of a code (`"0"` → `"Stopped"`).
    pub fn enum_name(&self, code: &str, value: &str) -> Option<&str> {
        self.enums
            .get(self.attribute_id(code)?)?
            .get(value)
            .map(String::as_str)
    }

    /// Widgets whose `data` is a plain string (`HoursOfAc`).
    pub fn data_text(&self) -> Option<&str> {
        self.data.as_str()
    }
}

// ---- summary widgets -----------------------------------------------------------------

/// The `data` of a summary widget (`BatterySummary`, `Status`, …; also the
/// `attributes` of `GPS`): `hasOldData`, `secondsAgo` and one entry per
/// attribute id, side by side, as the OpenAPI describes it.
#[derive(Debug, Clone, Default, PartialEq)]
#[non_exhaustive]
pub struct SummaryData {
    /// `hasOldData`: true when the data of the key attribute is old.
    pub has_old_data: Option<bool>,
    /// `secondsAgo`: how old the data is.
    pub seconds_ago: Option<SecondsAgo>,
    /// The attribute values by attribute id (`"51"`).
    pub attributes: BTreeMap<String, SummaryAttribute>,
    /// Everything else, as sent: entries under an attribute id that are not
    /// an object (`"51": 512`), keys the OpenAPI does not name, and a
    /// `hasOldData` or `secondsAgo` of the wrong kind.
    pub extra: Map<String, Value>,
}

impl SummaryData {
    fn from_fields(mut f: Fields) -> SummaryData {
        let has_old_data = f.take("hasOldData", flag);
        let seconds_ago = f.take("secondsAgo", SecondsAgo::from_value);
        let mut attributes = BTreeMap::new();
        let mut extra = Map::new();
        for (key, raw) in f.rest() {
            match raw {
                Value::Object(map) if is_attribute_id(&key) => {
                    attributes.insert(key, SummaryAttribute::from_fields(Fields(map)));
                }
                raw => {
                    extra.insert(key, raw);
                }
            }
        }
        SummaryData {
            has_old_data,
            seconds_ago,
            attributes,
            extra,
        }
    }
}

impl<'de> Deserialize<'de> for SummaryData {
    /// An object (or a list, PHP's empty object); never fails on its
    /// entries.
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let Object(map) = Object::deserialize(d)?;
        Ok(SummaryData::from_fields(Fields(map)))
    }
}

impl Serialize for SummaryData {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut out = Out::new(s.serialize_map(None)?, &self.extra);
        if let Some(old) = &self.has_old_data {
            out.field("hasOldData", old)?;
        }
        if let Some(age) = &self.seconds_ago {
            out.field("secondsAgo", age)?;
        }
        for (id, attribute) in &self.attributes {
            out.field(id, attribute)?;
        }
        out.end()
    }
}

/// A summary's `secondsAgo`: how old its data is.
#[derive(Debug, Clone, Default, PartialEq)]
#[non_exhaustive]
pub struct SecondsAgo {
    /// `value`: the age of the data in seconds (`0`, `"12"`; the OpenAPI
    /// calls it a unix timestamp, the live service sends the age).
    pub value: Option<i64>,
    /// `valueFormattedWithUnit`: the age as VRM shows it (`"12s"`).
    pub value_formatted_with_unit: Option<String>,
    /// Fields this crate does not know, and values of the wrong kind, kept
    /// as sent.
    pub extra: Map<String, Value>,
}

impl SecondsAgo {
    fn from_fields(mut f: Fields) -> SecondsAgo {
        SecondsAgo {
            value: f.take("value", int),
            value_formatted_with_unit: f.take("valueFormattedWithUnit", text),
            extra: f.rest(),
        }
    }

    /// `secondsAgo` in a summary's `data`: any object fits.
    fn from_value(v: &Value) -> Option<SecondsAgo> {
        Some(SecondsAgo::from_fields(Fields(v.as_object()?.clone())))
    }
}

impl<'de> Deserialize<'de> for SecondsAgo {
    /// Any JSON object; fields of the wrong kind go to `extra`.
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let map = Map::<String, Value>::deserialize(d)?;
        Ok(SecondsAgo::from_fields(Fields(map)))
    }
}

impl Serialize for SecondsAgo {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut out = Out::new(s.serialize_map(None)?, &self.extra);
        out.field("value", &self.value)?;
        out.field("valueFormattedWithUnit", &self.value_formatted_with_unit)?;
        out.end()
    }
}

/// The latest value of one attribute in a summary widget's `data`.
///
/// A field of the wrong kind (`"instance": {}`) reads as `None` (or empty)
/// and is kept as sent in [`extra`](Self::extra).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct SummaryAttribute {
    /// The attribute code.
    pub code: String,
    /// The attribute's name (`"Voltage"`).
    pub data_attribute_name: Option<String>,
    /// `"float"`, `"enum"` or `"string"`.
    pub data_type: Option<String>,
    /// The attribute id.
    pub id_data_attribute: Option<u64>,
    /// The device instance.
    pub instance: Option<u32>,
    /// The raw value, as sent (VRM sends strings).
    pub raw_value: Option<Value>,
    /// The value as a number, for floats.
    pub value_float: Option<f64>,
    /// The value, for strings.
    pub value_string: Option<String>,
    /// The numeric value, for enums.
    pub value_enum: Option<i64>,
    /// The name of the value, for enums.
    pub name_enum: Option<String>,
    /// The value formatted with its unit (`"13.38 V"`).
    pub formatted_value: Option<String>,
    /// The value formatted with its unit, as VRM shows it.
    pub value_formatted_with_unit: Option<String>,
    /// Seconds since the value was logged.
    pub seconds_ago: Option<i64>,
    /// True when this value is old.
    pub has_old_data: Option<bool>,
    /// True when the value is valid (`"1"`).
    pub is_valid: Option<bool>,
    /// For enums: the possible values (those that read as one; the list as
    /// sent is then in `extra["dataAttributeEnumValues"]`).
    pub data_attribute_enum_values: Vec<EnumValue>,
    /// Fields this crate does not know, and values of the wrong kind, kept
    /// as sent.
    pub extra: Map<String, Value>,
}

impl SummaryAttribute {
    /// The value as a number: `valueFloat`, else a numeric `rawValue`.
    pub fn value_f64(&self) -> Option<f64> {
        self.value_float
            .or_else(|| self.raw_value.as_ref().and_then(de::value_f64))
    }

    fn from_fields(mut f: Fields) -> SummaryAttribute {
        SummaryAttribute {
            code: f.take("code", text).unwrap_or_default(),
            data_attribute_name: f.take("dataAttributeName", text),
            data_type: f.take("dataType", text),
            id_data_attribute: f.take("idDataAttribute", uint),
            instance: f.take("instance", small),
            raw_value: f.take("rawValue", |v| (!v.is_null()).then(|| v.clone())),
            value_float: f.take("valueFloat", float),
            value_string: f.take("valueString", text),
            value_enum: f.take("valueEnum", int),
            name_enum: f.take("nameEnum", text),
            formatted_value: f.take("formattedValue", text),
            value_formatted_with_unit: f.take("valueFormattedWithUnit", text),
            seconds_ago: f.take("secondsAgo", int),
            has_old_data: f.take("hasOldData", flag),
            is_valid: f.take("isValid", flag),
            data_attribute_enum_values: f.take_list("dataAttributeEnumValues", enum_value),
            extra: f.rest(),
        }
    }

    /// A summary `data` entry: any object fits.
    fn entry(v: &Value) -> Option<(SummaryAttribute, bool)> {
        let map = v.as_object()?.clone();
        Some((SummaryAttribute::from_fields(Fields(map)), true))
    }
}

/// One item of `dataAttributeEnumValues`; it fits wholly when it is an
/// object of a text `nameEnum` and a numeric `valueEnum` (each may be
/// missing or a "no value").
fn enum_value(v: &Value) -> Option<(EnumValue, bool)> {
    let typed = EnumValue::deserialize(v).ok()?;
    let whole = v.as_object().is_some_and(|map| {
        map.iter().all(|(k, v)| match k.as_str() {
            "nameEnum" => is_none(v) || text(v).is_some(),
            "valueEnum" => is_none(v) || int(v).is_some(),
            _ => false,
        })
    });
    Some((typed, whole))
}

impl<'de> Deserialize<'de> for SummaryAttribute {
    /// Any JSON object; fields of the wrong kind go to `extra`.
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let map = Map::<String, Value>::deserialize(d)?;
        Ok(SummaryAttribute::from_fields(Fields(map)))
    }
}

impl Serialize for SummaryAttribute {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut out = Out::new(s.serialize_map(None)?, &self.extra);
        out.field("code", &self.code)?;
        out.field("dataAttributeName", &self.data_attribute_name)?;
        out.field("dataType", &self.data_type)?;
        out.field("idDataAttribute", &self.id_data_attribute)?;
        out.field("instance", &self.instance)?;
        out.field("rawValue", &self.raw_value)?;
        out.field("valueFloat", &self.value_float)?;
        out.field("valueString", &self.value_string)?;
        out.field("valueEnum", &self.value_enum)?;
        out.field("nameEnum", &self.name_enum)?;
        out.field("formattedValue", &self.formatted_value)?;
        out.field("valueFormattedWithUnit", &self.value_formatted_with_unit)?;
        out.field("secondsAgo", &self.seconds_ago)?;
        out.field("hasOldData", &self.has_old_data)?;
        out.field("isValid", &self.is_valid)?;
        out.field("dataAttributeEnumValues", &self.data_attribute_enum_values)?;
        out.end()
    }
}

// ---- state widgets -------------------------------------------------------------------

/// The `data` of a state widget (`VeBusState`, `MPPTState`, …): the state
/// changes by attribute id.
#[derive(Debug, Clone, Default, PartialEq)]
#[non_exhaustive]
pub struct StateData {
    /// The state changes by attribute id (`"40"`), in order.
    pub changes: BTreeMap<String, Vec<StateChange>>,
    /// The entries that are not (or not only) state changes (`"40": 512`,
    /// a tuple with a list for a time), by attribute id, as sent; the
    /// changes they do hold are in `changes` too.
    pub unknown: BTreeMap<String, Value>,
}

impl<'de> Deserialize<'de> for StateData {
    /// An object (or a list, PHP's empty object); never fails on its
    /// entries.
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let Object(map) = Object::deserialize(d)?;
        let (changes, unknown) = split_map(Value::Object(map), state_entry).unwrap_or_default();
        Ok(StateData { changes, unknown })
    }
}

impl Serialize for StateData {
    /// As VRM sends it: each change a `[state, start, end]` tuple.
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let changes: BTreeMap<String, Vec<Tuple<'_>>> = self
            .changes
            .iter()
            .map(|(id, changes)| (id.clone(), changes.iter().map(Tuple).collect()))
            .collect();
        Merged(&changes, &self.unknown).serialize(s)
    }
}

/// A state change written as VRM sends it: `[state, start, end]`.
struct Tuple<'a>(&'a StateChange);

impl Serialize for Tuple<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        (&self.0.state, self.0.start, self.0.end).serialize(s)
    }
}

/// One state of a state widget over a span of time.
///
/// The OpenAPI gives `{"0": state, "1": start, "2": end}` with unix-second
/// times; no live sample confirms the unit, so the times are kept as sent
/// and [`start_time`](Self::start_time) treats values ≥ 10¹¹ as milliseconds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct StateChange {
    /// The state value as text (look its name up with
    /// [`WidgetRecords::enum_name`]).
    pub state: Option<String>,
    /// Start of the span, as sent (unix seconds per the OpenAPI).
    pub start: Option<i64>,
    /// End of the span, as sent (unix seconds per the OpenAPI).
    pub end: Option<i64>,
}

impl StateChange {
    /// Start of the span.
    pub fn start_time(&self) -> Option<OffsetDateTime> {
        self.start.and_then(seconds_or_millis)
    }

    /// End of the span.
    pub fn end_time(&self) -> Option<OffsetDateTime> {
        self.end.and_then(seconds_or_millis)
    }

    /// One change from `[state, start, end]` or `{"0": …, "1": …, "2": …}`.
    fn from_tuple(value: &Value) -> Option<StateChange> {
        let part = |i: usize| match value {
            Value::Array(items) => items.get(i),
            Value::Object(map) => map.get(&i.to_string()),
            _ => None,
        };
        let time = |i| part(i).and_then(int);
        let change = StateChange {
            state: part(0).and_then(text),
            start: time(1),
            end: time(2),
        };
        (change.state.is_some() || change.start.is_some()).then_some(change)
    }
}

/// True when every part of a tuple reads: a text state, integer times, at
/// most three parts.
fn tuple_fits(tuple: &Value) -> bool {
    let part_fits = |i: usize, v: &Value| {
        is_none(v)
            || if i == 0 {
                text(v).is_some()
            } else {
                int(v).is_some()
            }
    };
    match tuple {
        Value::Array(items) => {
            items.len() <= 3 && items.iter().enumerate().all(|(i, v)| part_fits(i, v))
        }
        Value::Object(map) => map.iter().all(|(k, v)| match k.as_str() {
            "0" => part_fits(0, v),
            "1" => part_fits(1, v),
            "2" => part_fits(2, v),
            _ => false,
        }),
        _ => false,
    }
}

/// The changes in one attribute's `data` entry — a list of tuples, an
/// object of tuples, or a single tuple (a list or object of scalars) — and
/// whether all of it read. `None` when nothing in it is a state change.
fn state_entry(value: &Value) -> Option<(Vec<StateChange>, bool)> {
    fn is_tuple(v: &Value) -> bool {
        v.is_array() || v.is_object()
    }
    let tuples: Vec<&Value> = match value {
        Value::Array(items) if items.is_empty() => Vec::new(),
        Value::Object(map) if map.is_empty() => Vec::new(),
        Value::Array(items) if items.iter().any(is_tuple) => items.iter().collect(),
        Value::Object(map) if map.values().any(is_tuple) => in_index_order(map),
        single @ (Value::Array(_) | Value::Object(_)) => vec![single],
        v if is_none(v) => Vec::new(),
        _ => return None,
    };
    let mut whole = true;
    let changes: Vec<StateChange> = tuples
        .into_iter()
        .filter_map(|t| {
            let change = StateChange::from_tuple(t);
            whole &= change.is_some() && tuple_fits(t);
            change
        })
        .collect();
    (whole || !changes.is_empty()).then_some((changes, whole))
}

/// Unix seconds, or milliseconds for values ≥ 10¹¹ (year 5138 in seconds).
fn seconds_or_millis(t: i64) -> Option<OffsetDateTime> {
    if t.unsigned_abs() >= 100_000_000_000 {
        de::unix_ms(t)
    } else {
        de::unix_s(t)
    }
}

// ---- the Graph widget ----------------------------------------------------------------

/// The answer of `GET /installations/{idSite}/widgets/Graph`.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[non_exhaustive]
pub struct GraphResponse {
    /// The graph's series and their descriptions.
    pub records: GraphRecords,
}

/// Graph series by attribute id, with their descriptions.
///
/// Lenient, entry by entry, as [`WidgetRecords`]: a series that is not (or
/// not only) points is kept in `unknown_data`, a `meta` entry that is no
/// object in `unknown_meta`. `data` is read one series at a time.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct GraphRecords {
    /// The points by attribute id (`"143"`); `false` → no points.
    pub data: BTreeMap<String, Vec<GraphPoint>>,
    /// The series of `data` that are not (or not only) points (`"143":
    /// 512`, a list with a point `"x"`), by attribute id, as sent; the
    /// points they do hold are in `data` too.
    pub unknown_data: BTreeMap<String, Value>,
    /// Attribute descriptions by attribute id.
    pub meta: BTreeMap<String, AttributeMeta>,
    /// The entries of `meta` that are not an attribute description, by
    /// attribute id, as sent.
    pub unknown_meta: BTreeMap<String, Value>,
    /// The device instance the series are for.
    pub instance: Option<u32>,
    /// Everything else, and a `data`, `meta` or `instance` of the wrong
    /// kind, kept as sent.
    pub extra: Map<String, Value>,
}

/// The `data` of a graph, streamed series by series (only one series is
/// held as a `Value` at a time).
struct GraphData(Result<Split<Vec<GraphPoint>>, Value>);

impl<'de> Deserialize<'de> for GraphData {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl V {
            fn odd<E>(value: Value) -> Result<GraphData, E> {
                Ok(GraphData(if is_none(&value) {
                    Ok((BTreeMap::new(), BTreeMap::new()))
                } else {
                    Err(value)
                }))
            }
        }
        impl<'de> Visitor<'de> for V {
            type Value = GraphData;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("graph series by attribute id")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<GraphData, A::Error> {
                let mut split = (BTreeMap::new(), BTreeMap::new());
                while let Some(key) = map.next_key::<de::MapKey>()? {
                    put(&mut split, key.0, map.next_value()?, &graph_series);
                }
                Ok(GraphData(Ok(split)))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<GraphData, A::Error> {
                let mut split = (BTreeMap::new(), BTreeMap::new());
                let mut index = 0usize;
                while let Some(raw) = seq.next_element()? {
                    put(&mut split, index.to_string(), raw, &graph_series);
                    index += 1;
                }
                Ok(GraphData(Ok(split)))
            }
            fn visit_bool<E>(self, v: bool) -> Result<GraphData, E> {
                V::odd(Value::Bool(v))
            }
            fn visit_u64<E>(self, v: u64) -> Result<GraphData, E> {
                V::odd(Value::from(v))
            }
            fn visit_i64<E>(self, v: i64) -> Result<GraphData, E> {
                V::odd(Value::from(v))
            }
            fn visit_f64<E>(self, v: f64) -> Result<GraphData, E> {
                V::odd(Value::from(v))
            }
            fn visit_str<E>(self, v: &str) -> Result<GraphData, E> {
                V::odd(Value::from(v))
            }
            fn visit_unit<E>(self) -> Result<GraphData, E> {
                V::odd(Value::Null)
            }
            fn visit_none<E>(self) -> Result<GraphData, E> {
                V::odd(Value::Null)
            }
            fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<GraphData, D::Error> {
                d.deserialize_any(self)
            }
        }
        d.deserialize_any(V)
    }
}

/// A graph series: the points that read, and whether all did.
fn graph_series(v: &Value) -> Option<(Vec<GraphPoint>, bool)> {
    list_items(v, |p| {
        let point = GraphPoint::deserialize(p).ok()?;
        let whole = p.as_array().is_some_and(|items| {
            (2..=4).contains(&items.len())
                && items[1..].iter().all(|v| is_none(v) || float(v).is_some())
        });
        Some((point, whole))
    })
}

impl<'de> Deserialize<'de> for GraphRecords {
    /// An object (or a list, PHP's empty object); an error for anything
    /// else. `data` is read one series at a time.
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = GraphRecords;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("the graph's records: an object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<GraphRecords, A::Error> {
                let mut data = (BTreeMap::new(), BTreeMap::new());
                let mut rest = Map::new();
                while let Some(key) = map.next_key::<de::MapKey>()? {
                    if key.0 == "data" {
                        match map.next_value::<GraphData>()?.0 {
                            Ok(split) => {
                                data = split;
                                rest.remove("data");
                            }
                            Err(odd) => {
                                data = (BTreeMap::new(), BTreeMap::new());
                                rest.insert(key.0, odd);
                            }
                        }
                    } else {
                        rest.insert(key.0, map.next_value()?);
                    }
                }
                Ok(GraphRecords::from_parts(data, Fields(rest)))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<GraphRecords, A::Error> {
                let Object(rest) =
                    Object::deserialize(sde::value::SeqAccessDeserializer::new(seq))?;
                Ok(GraphRecords::from_parts(
                    (BTreeMap::new(), BTreeMap::new()),
                    Fields(rest),
                ))
            }
        }
        d.deserialize_any(V)
    }
}

impl GraphRecords {
    fn from_parts(data: Split<Vec<GraphPoint>>, mut f: Fields) -> GraphRecords {
        let (meta, unknown_meta) = f.take_map("meta", AttributeMeta::entry);
        GraphRecords {
            data: data.0,
            unknown_data: data.1,
            meta,
            unknown_meta,
            instance: f.take("instance", small),
            extra: f.rest(),
        }
    }
}

impl Serialize for GraphRecords {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut out = Out::new(s.serialize_map(None)?, &self.extra);
        out.field("data", &Merged(&self.data, &self.unknown_data))?;
        out.field("meta", &Merged(&self.meta, &self.unknown_meta))?;
        out.field("instance", &self.instance)?;
        out.end()
    }
}

impl GraphRecords {
    /// The attribute id (`meta` key) of a code.
    pub fn attribute_id(&self, code: &str) -> Option<&str> {
        id_of(&self.meta, code)
    }

    /// The points of a code (`"bv"`), found through `meta`.
    pub fn series(&self, code: &str) -> Option<&[GraphPoint]> {
        self.data.get(self.attribute_id(code)?).map(Vec::as_slice)
    }

    /// The description of a code.
    pub fn meta_for(&self, code: &str) -> Option<&AttributeMeta> {
        self.meta.values().find(|m| m.code == code)
    }

    /// Every series keyed by code (series without `meta` keep their id).
    pub fn by_code(&self) -> BTreeMap<&str, &[GraphPoint]> {
        self.data
            .iter()
            .map(|(id, points)| {
                let code = self.meta.get(id).map_or(id.as_str(), |m| m.code.as_str());
                (code, points.as_slice())
            })
            .collect()
    }
}

/// One graph data point: `[s, value]` or `[s, value, min, max]` on the wire
/// (min/max with `useMinMax=1`).
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub struct GraphPoint {
    /// The point's time, unix seconds (as the live service sends it).
    pub timestamp_s: i64,
    /// The value in the attribute's unit (see [`AttributeMeta::unit`]).
    pub value: Option<f64>,
    /// The minimum, with `useMinMax=1`.
    pub min: Option<f64>,
    /// The maximum, with `useMinMax=1`.
    pub max: Option<f64>,
}

impl GraphPoint {
    /// The point's time. Values ≥ 10¹¹ are read as milliseconds, in case
    /// VRM ever sends those.
    pub fn time(&self) -> Option<OffsetDateTime> {
        seconds_or_millis(self.timestamp_s)
    }
}

impl Serialize for GraphPoint {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        write_point(s, self.timestamp_s, self.value, self.min, self.max)
    }
}

impl<'de> Deserialize<'de> for GraphPoint {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = GraphPoint;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a graph point [s, value] or [s, value, min, max]")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<GraphPoint, A::Error> {
                let p = read_point(seq)?;
                Ok(GraphPoint {
                    timestamp_s: p.timestamp_ms,
                    value: p.value,
                    min: p.min,
                    max: p.max,
                })
            }
        }
        d.deserialize_seq(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn widget(json: &str) -> WidgetRecords {
        serde_json::from_str::<WidgetResponse>(json)
            .unwrap()
            .records
    }

    #[test]
    fn live_graph() {
        let json = include_str!("../../tests/fixtures/widget_graph_bs_bv.json");
        let r: GraphResponse = serde_json::from_str(json).unwrap();
        let g = &r.records;
        assert_eq!(g.instance, Some(0));
        assert_eq!(g.attribute_id("bv"), Some("143"));
        let bv = g.series("bv").unwrap();
        assert_eq!(bv.len(), 60);
        assert_eq!(bv[0].timestamp_s, 1_776_512_315);
        assert_eq!(bv[0].value, Some(13.39));
        assert_eq!((bv[0].min, bv[0].max), (None, None));
        assert_eq!(
            bv[0].time().map(|t| t.unix_timestamp()),
            Some(1_776_512_315)
        );
        assert_eq!(bv[59].timestamp_s, 1_776_515_855);
        let bs = g.series("bs").unwrap();
        assert_eq!(bs[0].value, Some(99.8));
        let meta = g.meta_for("bs").unwrap();
        assert_eq!(meta.description.as_deref(), Some("Battery SOC"));
        assert_eq!(meta.format_value_only.as_deref(), Some("%.1F"));
        assert_eq!(meta.axis_group.as_deref(), Some("Percentage"));
        assert_eq!(meta.unit().as_deref(), Some("%"));
        assert_eq!(
            g.meta_for("bv").and_then(AttributeMeta::unit).as_deref(),
            Some("V")
        );
        assert_eq!(
            g.by_code().keys().copied().collect::<Vec<_>>(),
            ["bs", "bv"]
        );
        assert_eq!(g.series("nope"), None);
        let back: GraphResponse =
            serde_json::from_str(&serde_json::to_string(&r).unwrap()).unwrap();
        assert_eq!(back, r);

        // Every widget also decodes through the general type.
        let w = widget(json);
        assert_eq!(w.instance, Some(0));
        assert_eq!(
            w.data_for("bv").and_then(Value::as_array).map(Vec::len),
            Some(60)
        );
    }

    #[test]
    fn graph_quirks() {
        let json = r#"{"success":true,"records":{"data":{"143":[[1776512315,"13.5",13.1,13.9],[1776512375.0,null]],
            "144":false},"meta":{"143":{"code":"bv","formatWithValueOnly":"%.2F","formatWithUnit":"%.2F V"}}}}"#;
        let g = serde_json::from_str::<GraphResponse>(json).unwrap().records;
        let bv = g.series("bv").unwrap();
        assert_eq!(
            (bv[0].value, bv[0].min, bv[0].max),
            (Some(13.5), Some(13.1), Some(13.9))
        );
        assert_eq!((bv[1].timestamp_s, bv[1].value), (1_776_512_375, None));
        assert!(g.data["144"].is_empty());
        assert_eq!(g.meta["143"].format_value_only.as_deref(), Some("%.2F"));
        assert_eq!(g.by_code().get("144").map(|p| p.len()), Some(0)); // no meta: keyed by id
        let back: GraphResponse = serde_json::from_str(
            &serde_json::to_string(&GraphResponse { records: g.clone() }).unwrap(),
        )
        .unwrap();
        assert_eq!(back.records, g);

        let g = serde_json::from_str::<GraphResponse>(r#"{"records":{"data":[],"meta":[]}}"#)
            .unwrap()
            .records;
        assert!(g.data.is_empty() && g.meta.is_empty() && g.instance.is_none());
        assert!(
            serde_json::from_str::<GraphResponse>(r#"{"success":false,"errors":"x"}"#).is_err()
        );
        let ms = GraphPoint {
            timestamp_s: 1_776_512_315_000,
            value: None,
            min: None,
            max: None,
        };
        assert_eq!(ms.time().map(|t| t.unix_timestamp()), Some(1_776_512_315));
    }

    #[test]
    fn live_summaries() {
        let w = widget(include_str!(
            "../../tests/fixtures/widget_battery_summary.json"
        ));
        assert_eq!(w.meta.len(), 25);
        assert_eq!(w.attribute_id("SOC"), Some("51"));
        let soc = w.meta_for("SOC").unwrap();
        assert_eq!(soc.unit().as_deref(), Some("%"));
        assert_eq!(w.meta_for("Relay").unwrap().unit(), None);
        assert_eq!(w.attribute_order.len(), 25);
        assert_eq!(w.attribute_order[0], 119);
        assert_eq!(w.has_old_data(), Some(false));
        assert_eq!(w.seconds_ago(), Some(0));
        assert_eq!(w.summary("SOC"), None); // the demo sends no values
        assert!(w.summaries().is_empty());
        assert!(w.extra.is_empty(), "{:?}", w.extra);

        let w = widget(include_str!("../../tests/fixtures/widget_pv_inverter.json"));
        assert_eq!(w.meta.len(), 13);
        assert_eq!(
            w.meta_for("pP1").and_then(AttributeMeta::unit).as_deref(),
            Some("W")
        );
        assert_eq!(
            w.meta_for("pE1").and_then(AttributeMeta::unit).as_deref(),
            Some("kWh")
        );
        assert_eq!(w.attribute_order[0], 246);
        let back: WidgetResponse = serde_json::from_str(
            &serde_json::to_string(&WidgetResponse { records: w.clone() }).unwrap(),
        )
        .unwrap();
        assert_eq!(back.records, w);
    }

    #[test]
    fn live_state_widget() {
        let w = widget(include_str!(
            "../../tests/fixtures/widget_generator_state.json"
        ));
        assert_eq!(w.data, Value::Object(Map::new()));
        assert_eq!(w.attribute_id("gaRC"), Some("520"));
        assert_eq!(w.enum_name("gaRC", "0"), Some("Stopped"));
        assert_eq!(w.enum_name("gaRC", "10"), Some("Stop on AC-1"));
        assert_eq!(w.enums["520"].len(), 11);
        assert!(w.state_changes("gaRC").is_empty());
        assert_eq!(w.extra["sort"]["520"]["10"], Value::from(10));
        assert!(w.extra.contains_key("buckets"));
    }

    #[test]
    fn summary_with_values() {
        let w = widget(include_str!(
            "../../tests/fixtures/widget_status_values.json"
        ));
        let soc = w.summary("SOC").unwrap();
        assert_eq!(soc.value_f64(), Some(87.5));
        assert_eq!(soc.formatted_value.as_deref(), Some("87.5 %"));
        assert_eq!(soc.instance, Some(288));
        assert_eq!(soc.is_valid, Some(true));
        assert_eq!(soc.seconds_ago, Some(12));
        let relay = w.summary("Relay").unwrap();
        assert_eq!(relay.value_enum, Some(0));
        assert_eq!(relay.name_enum.as_deref(), Some("Open"));
        assert_eq!(relay.data_attribute_enum_values.len(), 2);
        assert_eq!(relay.value_f64(), Some(0.0));
        assert_eq!(
            relay.extra.get("isKeyDataAttribute"),
            Some(&Value::from("0"))
        );
        let all = w.summaries();
        assert_eq!(
            all.iter().map(|(id, _)| id.as_str()).collect::<Vec<_>>(),
            ["54", "51"]
        );
        assert_eq!(w.has_old_data(), Some(true));
        assert_eq!(w.seconds_ago(), Some(12));
    }

    #[test]
    fn state_changes() {
        let w = widget(include_str!("../../tests/fixtures/widget_vebus_state.json"));
        let changes = w.state_changes("S");
        assert_eq!(changes.len(), 3);
        assert_eq!(
            changes[0],
            StateChange {
                state: Some("9".into()),
                start: Some(1_776_500_000),
                end: Some(1_776_503_600)
            }
        );
        assert_eq!(
            w.enum_name("S", changes[0].state.as_deref().unwrap()),
            Some("Inverting")
        );
        assert_eq!(changes[2].end, None);
        assert_eq!(
            changes[1].start_time().map(|t| t.unix_timestamp()),
            Some(1_776_503_600)
        );
        assert_eq!(w.extra["buckets"]["40"]["resampled"], Value::Bool(false));
        // Object-keyed tuples, and a single tuple.
        let w = widget(
            r#"{"records":{"data":{"40":{"0":{"0":"3","1":10,"2":20},"1":{"0":"4","1":"20","2":30}},
            "41":{"0":"5","1":1,"2":2}},"meta":{"40":{"code":"S"},"41":{"code":"ERR"}}}}"#,
        );
        assert_eq!(w.state_changes("S").len(), 2);
        assert_eq!(w.state_changes("S")[1].start, Some(20));
        assert_eq!(
            w.state_changes("ERR"),
            [StateChange {
                state: Some("5".into()),
                start: Some(1),
                end: Some(2)
            }]
        );
        assert!(w.state_changes("missing").is_empty());
    }

    #[test]
    fn other_widgets() {
        let w = widget(r#"{"success":true,"records":{"data":"12.5"}}"#);
        assert_eq!(w.data_text(), Some("12.5"));
        assert!(w.meta.is_empty());
        let w = widget(r#"{"success":true,"records":{"data":null}}"#);
        assert_eq!(w.data, Value::Null);
        let w = widget(include_str!("../../tests/fixtures/widget_gps.json"));
        assert_eq!(
            w.data["attributes"]["4"]["valueFloat"],
            Value::from("52.3495")
        );
        assert_eq!(w.summary("lt"), None); // GPS nests its attributes
        assert_eq!(
            w.meta_for("lt").and_then(|m| m.description.as_deref()),
            Some("Latitude")
        );
        let w = widget(
            r#"{"records":{"meta":false,"enums":[],"attributeOrder":["47",false],"instance":"2"}}"#,
        );
        assert_eq!(w.attribute_order, [47]);
        assert_eq!(w.instance, Some(2));
        assert!(w.meta.is_empty() && w.enums.is_empty());
        assert!(
            serde_json::from_str::<WidgetResponse>(r#"{"success":false,"errors":"x"}"#).is_err()
        );
    }

    #[test]
    fn units() {
        assert_eq!(unit_of("%.2F V").as_deref(), Some("V"));
        assert_eq!(unit_of("%.5F LAT").as_deref(), Some("LAT"));
        assert_eq!(unit_of("%.1F %%").as_deref(), Some("%"));
        assert_eq!(unit_of("%s"), None);
        assert_eq!(unit_of(""), None);
        assert_eq!(unit_of("%.0F W").as_deref(), Some("W"));
    }

    // ---- every fixture decodes as it did before: live samples included ----------

    /// The widget fixtures: the four live samples (byte-identical copies of
    /// the `widget_*.json` in the reference live samples) and three shaped
    /// after the OpenAPI.
    const FIXTURES: [(&str, &str); 7] = [
        (
            "widget_battery_summary.json",
            include_str!("../../tests/fixtures/widget_battery_summary.json"),
        ),
        (
            "widget_generator_state.json",
            include_str!("../../tests/fixtures/widget_generator_state.json"),
        ),
        (
            "widget_gps.json",
            include_str!("../../tests/fixtures/widget_gps.json"),
        ),
        (
            "widget_graph_bs_bv.json",
            include_str!("../../tests/fixtures/widget_graph_bs_bv.json"),
        ),
        (
            "widget_pv_inverter.json",
            include_str!("../../tests/fixtures/widget_pv_inverter.json"),
        ),
        (
            "widget_status_values.json",
            include_str!("../../tests/fixtures/widget_status_values.json"),
        ),
        (
            "widget_vebus_state.json",
            include_str!("../../tests/fixtures/widget_vebus_state.json"),
        ),
    ];

    fn json<T: Serialize>(value: T) -> Value {
        serde_json::to_value(value).unwrap()
    }

    /// What `tests/fixtures/widget_snapshot.json` holds for a fixture: its
    /// records (serialized, without the raw `data`) and every typed view,
    /// as the decoder before entry-by-entry leniency gave them.
    fn views(name: &str, body: &str) -> Value {
        let w = widget(body);
        let mut records = json(&w);
        records.as_object_mut().unwrap().remove("data");
        let codes: Map<String, Value> = w
            .meta
            .values()
            .map(|m| {
                let view = serde_json::json!({
                    "attribute_id": w.attribute_id(&m.code),
                    "unit": m.unit(),
                    "summary": w.summary(&m.code),
                    "state_changes": w.state_changes(&m.code),
                });
                (m.code.clone(), view)
            })
            .collect();
        let mut out = serde_json::json!({
            "records": records,
            "summaries": w.summaries(),
            "has_old_data": w.has_old_data(),
            "seconds_ago": w.seconds_ago(),
            "data_text": w.data_text(),
            "codes": codes,
        });
        if name.contains("graph") {
            let g: GraphResponse = serde_json::from_str(body).unwrap();
            let mut graph = json(&g.records);
            graph.as_object_mut().unwrap().remove("data");
            out["graph"] = graph;
        }
        out
    }

    #[test]
    fn every_fixture_decodes_as_before() {
        let snapshot: Value =
            serde_json::from_str(include_str!("../../tests/fixtures/widget_snapshot.json"))
                .unwrap();
        for (name, body) in FIXTURES {
            assert_eq!(views(name, body), snapshot[name], "{name}");
            let raw: Value = serde_json::from_str(body).unwrap();
            let w = widget(body);
            assert_eq!(w.data, raw["records"]["data"], "{name}");
            assert!(w.unknown_meta.is_empty(), "{name}");
            assert!(w.unknown_enums.is_empty(), "{name}");
            if name.contains("state") {
                assert!(w.state_data().unknown.is_empty(), "{name}");
            }
            // Decoded and serialized again, it is what VRM sent (plus the
            // typed fields VRM left out, as `null` or empty).
            let out = json(&w);
            for (key, sent) in raw["records"].as_object().unwrap() {
                assert_eq!(out[key], *sent, "{name}: {key}");
            }
            let back: WidgetRecords = serde_json::from_value(json(&w)).unwrap();
            assert_eq!(back, w, "{name}");
        }
        let (_, body) = FIXTURES[3];
        let raw: Value = serde_json::from_str(body).unwrap();
        let g = serde_json::from_str::<GraphResponse>(body).unwrap().records;
        assert!(g.unknown_data.is_empty() && g.unknown_meta.is_empty() && g.extra.is_empty());
        for (id, points) in &g.data {
            let sent = raw["records"]["data"][id].as_array().unwrap();
            assert_eq!(points.len(), sent.len(), "{id}");
            for (p, s) in points.iter().zip(sent) {
                assert_eq!(Value::from(p.timestamp_s), s[0]);
                assert_eq!(p.value, s[1].as_f64());
            }
        }
        assert_eq!(json(&g), raw["records"]);

        // The summaries' `data` as the OpenAPI describes it.
        let s = widget(FIXTURES[0].1).summary_data();
        assert_eq!(s.has_old_data, Some(false));
        let age = s.seconds_ago.unwrap();
        assert_eq!(age.value, Some(0));
        assert_eq!(age.value_formatted_with_unit.as_deref(), Some("0s"));
        assert!(age.extra.is_empty() && s.attributes.is_empty() && s.extra.is_empty());
        let s = widget(FIXTURES[5].1).summary_data();
        assert_eq!(s.has_old_data, Some(true));
        assert_eq!(s.seconds_ago.as_ref().and_then(|a| a.value), Some(12));
        assert_eq!(s.attributes.keys().collect::<Vec<_>>(), ["51", "54"]);
        assert!(s.extra.is_empty());
        let back: SummaryData = serde_json::from_value(json(&s)).unwrap();
        assert_eq!(back, s);
        // GPS nests the same shape under `attributes`.
        let gps = widget(FIXTURES[2].1);
        let s = SummaryData::deserialize(&gps.data["attributes"]).unwrap();
        assert_eq!(s.seconds_ago.and_then(|a| a.value), Some(30));
        assert_eq!(s.attributes["4"].value_float, Some(52.3495));
        assert!(s.extra.is_empty());
        // The state widgets' `data` as state changes.
        let d = widget(FIXTURES[6].1).state_data();
        assert_eq!(d.changes["40"].len(), 3);
        assert!(d.unknown.is_empty());
        let back: StateData = serde_json::from_value(json(&d)).unwrap();
        assert_eq!(back, d);
    }

    // ---- every odd variant decodes ------------------------------------------------

    /// One value of every JSON kind, the "no value"s (`null`, `false`, `""`)
    /// included.
    fn kinds() -> Vec<Value> {
        serde_json::from_str(
            r#"[512, -1.5, "odd", "", null, true, false, [], ["odd"], {}, {"odd": 1}]"#,
        )
        .unwrap()
    }

    /// A scalar that is not a "no value".
    fn odd_scalar(v: &Value) -> bool {
        !v.is_array() && !v.is_object() && !is_none(v)
    }

    /// `[]`, `{}` or a "no value".
    fn empty(v: &Value) -> bool {
        is_none(v)
            || v.as_array().is_some_and(Vec::is_empty)
            || v.as_object().is_some_and(Map::is_empty)
    }

    /// Records from `body`; they serialize and decode back to themselves.
    fn records(body: Value) -> WidgetRecords {
        let w: WidgetRecords =
            serde_json::from_value(body.clone()).unwrap_or_else(|e| panic!("{e}: {body}"));
        let back: WidgetRecords = serde_json::from_value(json(&w)).unwrap();
        assert_eq!(back, w, "round trip of {body}");
        w
    }

    /// Graph records from `body`; they serialize and decode back to
    /// themselves.
    fn graph(body: Value) -> GraphRecords {
        let g: GraphRecords =
            serde_json::from_value(body.clone()).unwrap_or_else(|e| panic!("{e}: {body}"));
        let back: GraphRecords = serde_json::from_value(json(&g)).unwrap();
        assert_eq!(back, g, "round trip of {body}");
        g
    }

    /// A Status answer's records: attributes 51 (SOC) and 54 (Relay),
    /// `hasOldData`, `secondsAgo`.
    fn status() -> Value {
        let body: Value = serde_json::from_str(FIXTURES[5].1).unwrap();
        body["records"].clone()
    }

    /// `field` of an entry, sent as `sent`, is not lost: it is kept as sent
    /// in `extra` (and serializes as sent), or read into its typed field
    /// (`typed` is the entry serialized); only a "no value" may leave
    /// nothing.
    fn assert_kept(typed: &Value, extra: &Map<String, Value>, field: &str, sent: &Value) {
        match extra.get(field) {
            Some(kept) => {
                assert_eq!(kept, sent, "{field}");
                assert_eq!(typed[field], *sent, "{field}");
            }
            None => assert!(
                is_none(sent) || !typed[field].is_null(),
                "{field}: {sent} was lost"
            ),
        }
    }

    #[test]
    fn issue_10_one_odd_meta_entry() {
        let mut body = status();
        body["meta"]["99"] = Value::from(512);
        let w = records(body);
        assert_eq!(w.unknown_meta["99"], Value::from(512));
        assert_eq!(w.meta.len(), 2);
        assert_eq!(w.summary("SOC").unwrap().value_f64(), Some(87.5));
    }

    #[test]
    fn odd_meta_entries() {
        for odd in kinds() {
            let mut body = status();
            body["meta"]["99"] = odd.clone();
            let w = records(body);
            let relay = w.meta_for("Relay").unwrap();
            assert_eq!(relay.description.as_deref(), Some("Relay status"));
            assert_eq!(w.summary("SOC").unwrap().value_f64(), Some(87.5));
            if let Some(fields) = odd.as_object() {
                // Any object is a description (of no code here).
                assert_eq!(w.meta["99"].extra, *fields);
                assert!(w.unknown_meta.is_empty());
            } else {
                assert_eq!(w.unknown_meta["99"], odd);
                assert_eq!(w.meta.len(), 2);
            }
            let mut body = serde_json::json!({"data": {}, "meta": {"143": {"code": "bv"}}});
            body["meta"]["144"] = odd.clone();
            let g = graph(body);
            assert_eq!(g.attribute_id("bv"), Some("143"));
            assert_eq!(g.unknown_meta.get("144") == Some(&odd), !odd.is_object());
        }
    }

    #[test]
    fn odd_summary_entries() {
        for odd in kinds() {
            let mut body = status();
            body["data"]["51"] = odd.clone();
            let w = records(body);
            let s = w.summary_data();
            assert_eq!(w.data_for("SOC"), Some(&odd)); // as sent
            let relay = w.summary("Relay").unwrap();
            assert_eq!(relay.name_enum.as_deref(), Some("Open"));
            assert_eq!(s.attributes["54"], relay);
            assert_eq!(
                (s.has_old_data, s.seconds_ago.as_ref().unwrap().value),
                (Some(true), Some(12))
            );
            if let Some(fields) = odd.as_object() {
                assert_eq!(s.attributes["51"].extra, *fields);
                assert!(s.extra.is_empty());
            } else {
                assert_eq!(s.extra["51"], odd);
                assert_eq!(w.summary("SOC"), None);
                assert_eq!(w.summaries().len(), 1);
            }
            let back: SummaryData = serde_json::from_value(json(&s)).unwrap();
            assert_eq!(back, s);
        }
    }

    #[test]
    fn summary_keys_beside_the_attributes() {
        for odd in kinds() {
            let mut body = status();
            body["data"]["hasOldData"] = odd.clone();
            body["data"]["secondsAgo"] = odd.clone();
            let w = records(body);
            let s = w.summary_data();
            assert_eq!(
                s.attributes.keys().collect::<Vec<_>>(),
                ["51", "54"],
                "{odd}"
            );
            assert_eq!(w.summaries().len(), 2);
            assert_eq!(s.has_old_data, flag(&odd));
            assert_eq!(w.has_old_data(), flag(&odd));
            assert_eq!(s.seconds_ago.is_some(), odd.is_object());
            let out = json(&s);
            assert_kept(&out, &s.extra, "hasOldData", &odd);
            assert_kept(&out, &s.extra, "secondsAgo", &odd);
            let back: SummaryData = serde_json::from_value(out).unwrap();
            assert_eq!(back, s);
        }
        // Lenient: the OpenAPI's boolean as VRM may send it; a bare age.
        let w = widget(r#"{"records":{"data":{"hasOldData":"1","secondsAgo":"7"}}}"#);
        assert_eq!(w.summary_data().has_old_data, Some(true));
        assert_eq!(w.summary_data().extra["secondsAgo"], Value::from("7"));
        assert_eq!(w.seconds_ago(), Some(7));
        // The fields of `secondsAgo` flip too.
        for odd in kinds() {
            for field in ["value", "valueFormattedWithUnit"] {
                let mut body = status();
                body["data"]["secondsAgo"][field] = odd.clone();
                let age = records(body).summary_data().seconds_ago.unwrap();
                assert_kept(&json(&age), &age.extra, field, &odd);
            }
        }
    }

    #[test]
    fn type_flips_of_every_field_of_an_attribute() {
        let base = records(status());
        let soc = base.summary("SOC").unwrap();
        let relay = base.summary("Relay").unwrap();
        let data_fields: Vec<String> = status()["data"]["51"]
            .as_object()
            .unwrap()
            .keys()
            .cloned()
            .chain(["dataAttributeEnumValues".to_owned()])
            .collect();
        for odd in kinds() {
            for field in &data_fields {
                let mut body = status();
                body["data"]["51"][field] = odd.clone();
                let w = records(body);
                let s = w.summary("SOC").unwrap_or_else(|| panic!("{field}: {odd}"));
                assert_kept(&json(&s), &s.extra, field, &odd);
                assert_eq!(w.summary("Relay").as_ref(), Some(&relay));
                assert_eq!(w.summaries().len(), 2);
                if field != "code" {
                    assert_eq!(s.code, soc.code);
                }
            }
            for field in [
                "code",
                "description",
                "formatValueOnly",
                "formatWithUnit",
                "axisGroup",
            ] {
                let mut body = status();
                body["meta"]["51"][field] = odd.clone();
                let w = records(body);
                let m = &w.meta["51"];
                assert_kept(&json(m), &m.extra, field, &odd);
                assert_eq!(w.meta["54"], base.meta["54"]);
                assert!(w.unknown_meta.is_empty());
            }
            // One item of the enum values, and its fields.
            let mut body = status();
            body["data"]["54"]["dataAttributeEnumValues"][0] = odd.clone();
            let r = records(body).summary("Relay").unwrap();
            let kept = r.extra.get("dataAttributeEnumValues");
            // `{}` is an enum value without name or value: nothing to keep.
            assert_eq!(
                kept.map(|l| &l[0]),
                (odd != serde_json::json!({})).then_some(&odd)
            );
            let values = &r.data_attribute_enum_values;
            assert_eq!(values.last(), relay.data_attribute_enum_values.last());
            for field in ["nameEnum", "valueEnum"] {
                let mut body = status();
                body["data"]["54"]["dataAttributeEnumValues"][0][field] = odd.clone();
                let r = records(body).summary("Relay").unwrap();
                assert_eq!(r.data_attribute_enum_values.len(), 2, "{field}: {odd}");
                let fits = is_none(&odd)
                    || if field == "nameEnum" {
                        text(&odd).is_some()
                    } else {
                        int(&odd).is_some()
                    };
                assert_eq!(
                    r.extra.contains_key("dataAttributeEnumValues"),
                    !fits,
                    "{field}: {odd}"
                );
            }
        }
    }

    #[test]
    fn odd_enum_entries() {
        for odd in kinds() {
            let body = serde_json::json!({"data": {}, "meta": {"40": {"code": "S"}, "41": {"code": "E"}},
                "enums": {"40": {"9": "Inverting", "3": odd}, "41": odd}});
            let w = records(body);
            assert_eq!(w.enum_name("S", "9"), Some("Inverting"));
            let name = text(&odd);
            assert_eq!(w.enum_name("S", "3"), name.as_deref(), "{odd}");
            assert_eq!(w.unknown_enums.contains_key("40"), name.is_none(), "{odd}");
            assert_eq!(
                w.unknown_enums.get("41") == Some(&odd),
                odd_scalar(&odd),
                "{odd}"
            );
            assert_eq!(w.enums.contains_key("41"), !odd_scalar(&odd), "{odd}");
        }
    }

    #[test]
    fn odd_state_entries() {
        for odd in kinds() {
            let body = serde_json::json!({"data": {"40": [["9", 1, 2], odd, ["3", "2", null]], "41": odd},
                "meta": {"40": {"code": "S"}, "41": {"code": "E"}}});
            let w = records(body);
            let d = w.state_data();
            let s = w.state_changes("S");
            assert_eq!(d.changes["40"], s);
            assert_eq!(
                (s[0].state.as_deref(), s[0].start, s[0].end),
                (Some("9"), Some(1), Some(2))
            );
            let last = &s[s.len() - 1];
            assert_eq!(
                (last.state.as_deref(), last.start, last.end),
                (Some("3"), Some(2), None)
            );
            // `["odd"]` is a change with a state and no times.
            let change = odd == serde_json::json!(["odd"]);
            assert_eq!(s.len(), if change { 3 } else { 2 }, "{odd}");
            assert_eq!(d.unknown.contains_key("40"), !change, "{odd}");
            let nothing = odd_scalar(&odd) || odd == serde_json::json!({"odd": 1});
            assert_eq!(d.unknown.get("41") == Some(&odd), nothing, "{odd}");
            assert_eq!(d.changes.contains_key("41"), !nothing, "{odd}");
            let back: StateData = serde_json::from_value(json(&d)).unwrap();
            assert_eq!(back, d);
        }
        // A tuple whose parts do not fit is kept, what fits read.
        let w = widget(
            r#"{"records":{"data":{"40":[["9",[1],2],{"0":"3","1":5,"9":1}]},"meta":{"40":{"code":"S"}}}}"#,
        );
        assert_eq!(w.state_changes("S").len(), 2);
        assert_eq!(w.state_changes("S")[0].start, None);
        assert!(w.state_data().unknown.contains_key("40"));
    }

    #[test]
    fn odd_graph_entries() {
        for odd in kinds() {
            let body = serde_json::json!({"data": {"143": [[1, 2.5], odd, [3, 4.5]], "144": odd, "145": [[5, "6.5", 6, 7]]},
                "meta": {"143": {"code": "bv"}, "145": {"code": "bs"}}});
            let g = graph(body);
            assert_eq!(g.series("bs").unwrap()[0].max, Some(7.0));
            let bv = g.series("bv").unwrap();
            assert_eq!(bv.len(), 2, "{odd}");
            assert_eq!((bv[0].value, bv[1].value), (Some(2.5), Some(4.5)));
            assert_eq!(g.unknown_data["143"][1], odd);
            assert!(!g.unknown_data.contains_key("145"));
            assert_eq!(
                g.data.get("144").map(Vec::len),
                (!odd_scalar(&odd)).then_some(0),
                "{odd}"
            );
            assert_eq!(
                g.unknown_data.get("144") == Some(&odd),
                !empty(&odd),
                "{odd}"
            );
            assert_eq!(g.by_code().len(), g.data.len());
        }
        // Points whose values do not fit: read as far as they go, kept.
        let g = graph(serde_json::json!({"data": {"1": [[1, "x"], [2, 1, 2, 3, 4], [3]]}}));
        assert_eq!(g.data["1"].len(), 3);
        assert_eq!(g.data["1"][0].value, None);
        assert_eq!(g.unknown_data["1"][1][4], Value::from(4));
    }

    #[test]
    fn odd_envelopes() {
        for odd in kinds() {
            for key in [
                "data",
                "meta",
                "enums",
                "attributeOrder",
                "instance",
                "sort",
            ] {
                let mut body = status();
                body[key] = odd.clone();
                let w = records(body);
                assert_kept(&json(&w), &w.extra, key, &odd);
                match key {
                    "data" => assert_eq!(w.data, odd),
                    // No description of SOC is left.
                    "meta" => assert_eq!(w.summary("SOC"), None),
                    _ => assert_eq!(w.summary("SOC").unwrap().value_f64(), Some(87.5)),
                }
            }
            for key in ["data", "meta", "instance", "other"] {
                let mut body = serde_json::json!({"data": {"143": [[1, 2.5]]}, "meta": {"143": {"code": "bv"}}, "instance": 0});
                body[key] = odd.clone();
                let g = graph(body);
                assert_kept(&json(&g), &g.extra, key, &odd);
            }
        }
        // A list of attribute ids with an item that is none.
        let w = records(serde_json::json!({"attributeOrder": ["85", false, {"x": 1}, 86.0]}));
        assert_eq!(w.attribute_order, [85, 86]);
        assert_eq!(w.extra["attributeOrder"][2]["x"], Value::from(1));
        // Only records that are no object (nor list) fail.
        for bad in ["null", "false", "5", "\"x\"", "true"] {
            let body = format!(r#"{{"records":{bad}}}"#);
            assert!(
                serde_json::from_str::<WidgetResponse>(&body).is_err(),
                "{bad}"
            );
            assert!(
                serde_json::from_str::<GraphResponse>(&body).is_err(),
                "{bad}"
            );
        }
        for ok in ["[]", "{}", "[1]"] {
            let body = format!(r#"{{"records":{ok}}}"#);
            let w = serde_json::from_str::<WidgetResponse>(&body)
                .unwrap()
                .records;
            assert_eq!((w.data.clone(), w.meta.len()), (Value::Null, 0));
            let g = serde_json::from_str::<GraphResponse>(&body)
                .unwrap()
                .records;
            assert!(g.data.is_empty());
            assert_eq!(w.extra.get("0"), g.extra.get("0"));
        }
    }

    #[test]
    fn kept_values_serialize_back_where_they_were() {
        let body = serde_json::json!({
            "data": {"hasOldData": false, "51": 512},
            "meta": {
                "51": {"code": "SOC", "description": "State of charge", "formatValueOnly": "%.1F",
                       "formatWithUnit": "%.1F %%", "axisGroup": null, "color": {"x": 1}},
                "52": "odd",
                "53": null
            },
            "enums": {"51": {"0": "Off", "1": false}, "52": 7, "53": {"0": "On"}},
            "attributeOrder": [51, "x"],
            "instance": {"x": 1},
            "sort": {"51": {"0": 1}}
        });
        let w = records(body.clone());
        assert_eq!(w.unknown_meta.len(), 2);
        assert_eq!(w.enum_name("SOC", "0"), Some("Off"));
        assert_eq!(w.attribute_order, [51]);
        assert_eq!(json(&w), body);

        let body = serde_json::json!({
            "data": {"1": [[1, 2.5], [2, null]], "2": [[1, 2.5], "x"], "3": 5},
            "meta": {"1": {"code": "bv", "description": null, "formatValueOnly": null,
                           "formatWithUnit": "%.2F V", "axisGroup": null}, "2": [1]},
            "instance": 0,
            "note": "x"
        });
        let g = graph(body.clone());
        assert_eq!(g.data["2"].len(), 1);
        assert_eq!(json(&g), body);
    }
}
