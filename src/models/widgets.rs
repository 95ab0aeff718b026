//! `GET /installations/{idSite}/widgets/{Name}`.
//!
//! Every widget answers `{"records": {"data": …, "meta": {attributeId: …}, …}}`
//! with a widget-specific `data`: [`WidgetResponse`] decodes them all and
//! offers typed views (summaries, state changes); [`GraphResponse`] is the
//! typed answer of the `Graph` widget.

use std::collections::BTreeMap;
use std::fmt;

use serde::de::{Deserializer, SeqAccess, Visitor};
use serde::{Deserialize, Serialize, Serializer};
use serde_json::{Map, Value};
use time::OffsetDateTime;

use super::de;
use super::installations::EnumValue;
use super::stats::{read_point, write_point};

/// Description of one data attribute in a widget's `meta`.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[non_exhaustive]
pub struct AttributeMeta {
    /// The attribute code (`"bv"`, `"SOC"`); case-sensitive.
    #[serde(default, deserialize_with = "de::string_or_empty")]
    pub code: String,
    /// Human description (`"Voltage"`).
    #[serde(default, deserialize_with = "de::opt_string")]
    pub description: Option<String>,
    /// printf-style format of the value alone (`"%.2F"`).
    #[serde(
        rename = "formatValueOnly",
        alias = "formatWithValueOnly",
        default,
        deserialize_with = "de::opt_string"
    )]
    pub format_value_only: Option<String>,
    /// printf-style format with unit (`"%.2F V"`, `"%.1F %%"`); see
    /// [`unit`](Self::unit).
    #[serde(
        rename = "formatWithUnit",
        default,
        deserialize_with = "de::opt_string"
    )]
    pub format_with_unit: Option<String>,
    /// The graph axis VRM groups the attribute on (`"Battery Voltage"`).
    #[serde(rename = "axisGroup", default, deserialize_with = "de::opt_string")]
    pub axis_group: Option<String>,
    /// Fields this crate does not know, kept as sent.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl AttributeMeta {
    /// The unit from `format_with_unit`: `"%.2F V"` → `"V"`, `"%.1F %%"` →
    /// `"%"`; `None` when there is none (`"%s"`).
    pub fn unit(&self) -> Option<String> {
        unit_of(self.format_with_unit.as_deref()?)
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

/// The answer of any `GET /installations/{idSite}/widgets/{Name}`.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[non_exhaustive]
pub struct WidgetResponse {
    /// The widget's content.
    pub records: WidgetRecords,
}

/// A widget's content. `data` is widget-specific and kept as sent: per
/// attribute id for summary and state widgets (plus `hasOldData` and
/// `secondsAgo` for summaries), `{attributes, geofence, …}` for `GPS`, a
/// string or `null` for `HoursOfAc`. The helpers read it by attribute code.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[non_exhaustive]
pub struct WidgetRecords {
    /// The widget's data, kept as sent (`Null` when absent).
    #[serde(default)]
    pub data: Value,
    /// Attribute descriptions by attribute id (`"143"`).
    #[serde(default, deserialize_with = "de::map_or_empty")]
    pub meta: BTreeMap<String, AttributeMeta>,
    /// State widgets: the name of each state value, by attribute id, then
    /// value (`{"520": {"0": "Stopped", …}}`).
    #[serde(default, deserialize_with = "enum_names")]
    pub enums: BTreeMap<String, BTreeMap<String, String>>,
    /// Summary widgets: the order to show the attributes in, as attribute ids.
    #[serde(rename = "attributeOrder", default, deserialize_with = "attribute_ids")]
    pub attribute_order: Vec<u64>,
    /// The device instance the data is for, when VRM says.
    #[serde(default, deserialize_with = "de::opt_u32")]
    pub instance: Option<u32>,
    /// Everything else (`sort`, `buckets`, …), kept as sent.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

fn enum_names<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<BTreeMap<String, BTreeMap<String, String>>, D::Error> {
    let raw = de::map_or_empty::<D, de::MapOrEmpty<de::LenientString>>(d)?;
    Ok(raw
        .into_iter()
        .map(|(id, names)| {
            let names = names
                .0
                .into_iter()
                .filter_map(|(k, v)| v.0.map(|v| (k, v)))
                .collect();
            (id, names)
        })
        .collect())
}

fn attribute_ids<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u64>, D::Error> {
    let raw = de::list_or_empty::<D, de::LenientU64>(d)?;
    Ok(raw.into_iter().filter_map(|id| id.0).collect())
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

    /// Summary widgets: the latest value of a code (`None` when VRM sent
    /// none: summaries of the demo sites often carry only `hasOldData` and
    /// `secondsAgo`).
    pub fn summary(&self, code: &str) -> Option<SummaryAttribute> {
        self.data_for(code)
            .and_then(|v| SummaryAttribute::deserialize(v).ok())
    }

    /// Summary widgets: every attribute value in `data`, keyed by attribute
    /// id, in `attribute_order` where it applies.
    pub fn summaries(&self) -> Vec<(String, SummaryAttribute)> {
        let Some(data) = self.data.as_object() else {
            return Vec::new();
        };
        let mut out: Vec<(String, SummaryAttribute)> = data
            .iter()
            .filter(|(k, v)| v.is_object() && k.bytes().all(|b| b.is_ascii_digit()))
            .filter_map(|(k, v)| {
                SummaryAttribute::deserialize(v)
                    .ok()
                    .map(|s| (k.clone(), s))
            })
            .collect();
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
    /// is old.
    pub fn has_old_data(&self) -> Option<bool> {
        self.data
            .get("hasOldData")
            .and_then(|v| bool::deserialize(v).ok())
    }

    /// Summary widgets: `data.secondsAgo.value`, the age of the data in
    /// seconds.
    pub fn seconds_ago(&self) -> Option<i64> {
        let value = self.data.get("secondsAgo")?;
        let value = value.get("value").unwrap_or(value);
        de::opt_i64(value).ok().flatten()
    }

    /// State widgets: the state changes of a code (empty when none).
    pub fn state_changes(&self, code: &str) -> Vec<StateChange> {
        self.data_for(code)
            .map(StateChange::list_from)
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

/// The latest value of one attribute in a summary widget's `data`.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[non_exhaustive]
pub struct SummaryAttribute {
    /// The attribute code.
    #[serde(default, deserialize_with = "de::string_or_empty")]
    pub code: String,
    /// The attribute's name (`"Voltage"`).
    #[serde(
        rename = "dataAttributeName",
        default,
        deserialize_with = "de::opt_string"
    )]
    pub data_attribute_name: Option<String>,
    /// `"float"`, `"enum"` or `"string"`.
    #[serde(rename = "dataType", default, deserialize_with = "de::opt_string")]
    pub data_type: Option<String>,
    /// The attribute id.
    #[serde(rename = "idDataAttribute", default, deserialize_with = "de::opt_u64")]
    pub id_data_attribute: Option<u64>,
    /// The device instance.
    #[serde(default, deserialize_with = "de::opt_u32")]
    pub instance: Option<u32>,
    /// The raw value, as sent (VRM sends strings).
    #[serde(rename = "rawValue", default)]
    pub raw_value: Option<Value>,
    /// The value as a number, for floats.
    #[serde(rename = "valueFloat", default, deserialize_with = "de::opt_f64")]
    pub value_float: Option<f64>,
    /// The value, for strings.
    #[serde(rename = "valueString", default, deserialize_with = "de::opt_string")]
    pub value_string: Option<String>,
    /// The numeric value, for enums.
    #[serde(rename = "valueEnum", default, deserialize_with = "de::opt_i64")]
    pub value_enum: Option<i64>,
    /// The name of the value, for enums.
    #[serde(rename = "nameEnum", default, deserialize_with = "de::opt_string")]
    pub name_enum: Option<String>,
    /// The value formatted with its unit (`"13.38 V"`).
    #[serde(
        rename = "formattedValue",
        default,
        deserialize_with = "de::opt_string"
    )]
    pub formatted_value: Option<String>,
    /// The value formatted with its unit, as VRM shows it.
    #[serde(
        rename = "valueFormattedWithUnit",
        default,
        deserialize_with = "de::opt_string"
    )]
    pub value_formatted_with_unit: Option<String>,
    /// Seconds since the value was logged.
    #[serde(rename = "secondsAgo", default, deserialize_with = "de::opt_i64")]
    pub seconds_ago: Option<i64>,
    /// True when this value is old.
    #[serde(rename = "hasOldData", default, deserialize_with = "de::opt_bool")]
    pub has_old_data: Option<bool>,
    /// True when the value is valid (`"1"`).
    #[serde(rename = "isValid", default, deserialize_with = "de::opt_bool")]
    pub is_valid: Option<bool>,
    /// For enums: the possible values.
    #[serde(
        rename = "dataAttributeEnumValues",
        default,
        deserialize_with = "de::list_or_empty"
    )]
    pub data_attribute_enum_values: Vec<EnumValue>,
    /// Fields this crate does not know, kept as sent.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl SummaryAttribute {
    /// The value as a number: `valueFloat`, else a numeric `rawValue`.
    pub fn value_f64(&self) -> Option<f64> {
        self.value_float
            .or_else(|| self.raw_value.as_ref().and_then(de::value_f64))
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
        let state = part(0).and_then(|v| de::opt_string(v).ok().flatten());
        let time = |i| part(i).and_then(|v| de::opt_i64(v).ok().flatten());
        let change = StateChange {
            state,
            start: time(1),
            end: time(2),
        };
        (change.state.is_some() || change.start.is_some()).then_some(change)
    }

    /// The changes in one attribute's `data` entry: a list of tuples, a
    /// single tuple, or an object of tuples.
    fn list_from(value: &Value) -> Vec<StateChange> {
        fn all_tuples<'a>(mut items: impl Iterator<Item = &'a Value>) -> bool {
            items.all(|v| v.is_array() || v.is_object())
        }
        match value {
            Value::Array(items) if !items.is_empty() && all_tuples(items.iter()) => {
                items.iter().filter_map(StateChange::from_tuple).collect()
            }
            Value::Object(map) if !map.is_empty() && all_tuples(map.values()) => {
                map.values().filter_map(StateChange::from_tuple).collect()
            }
            other => StateChange::from_tuple(other).into_iter().collect(),
        }
    }
}

/// Unix seconds, or milliseconds for values ≥ 10¹¹ (year 5138 in seconds).
fn seconds_or_millis(t: i64) -> Option<OffsetDateTime> {
    if t.unsigned_abs() >= 100_000_000_000 {
        de::unix_ms(t)
    } else {
        de::unix_s(t)
    }
}

/// The answer of `GET /installations/{idSite}/widgets/Graph`.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[non_exhaustive]
pub struct GraphResponse {
    /// The graph's series and their descriptions.
    pub records: GraphRecords,
}

/// Graph series by attribute id, with their descriptions.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[non_exhaustive]
pub struct GraphRecords {
    /// The points by attribute id (`"143"`); `false` → no points.
    #[serde(default, deserialize_with = "graph_data")]
    pub data: BTreeMap<String, Vec<GraphPoint>>,
    /// Attribute descriptions by attribute id.
    #[serde(default, deserialize_with = "de::map_or_empty")]
    pub meta: BTreeMap<String, AttributeMeta>,
    /// The device instance the series are for.
    #[serde(default, deserialize_with = "de::opt_u32")]
    pub instance: Option<u32>,
}

fn graph_data<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<BTreeMap<String, Vec<GraphPoint>>, D::Error> {
    let raw = de::map_or_empty::<D, de::ListOrEmpty<GraphPoint>>(d)?;
    Ok(raw.into_iter().map(|(k, v)| (k, v.0)).collect())
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
}
