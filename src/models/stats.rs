//! `GET /installations/{idSite}/stats` and `…/overallstats`.
//!
//! A stats body can hold 100 000 points, so points are read straight from
//! the JSON sequence (no `serde_json::Value` in between) and the big
//! envelopes carry no `flatten`.

use std::collections::BTreeMap;
use std::collections::btree_map::Entry;
use std::fmt;

use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::ser::{SerializeMap, SerializeSeq};
use serde::{Deserialize, Serialize, Serializer};
use serde_json::{Map, Value};
use time::OffsetDateTime;

use super::de::{LenientF64, LenientNum, LenientU64, ListOrEmpty, MapKey, MapOrEmpty, drain_seq};

/// Read `[t, value]` or `[t, value, min, max]` from a sequence, into a
/// [`Point`] whatever the time's unit (the caller knows it). The time may be
/// an integer, a float or a numeric string; values may be `null`/`false`.
/// Items past the fourth are ignored.
pub(crate) fn read_point<'de, A: SeqAccess<'de>>(mut seq: A) -> Result<Point, A::Error> {
    let time = seq
        .next_element::<LenientNum>()?
        .and_then(|n| n.0)
        .and_then(|n| n.to_timestamp())
        .ok_or_else(|| de::Error::custom("a data point without a valid timestamp"))?;
    let mut values = [None; 3];
    let mut values_read = 0;
    for slot in &mut values {
        match seq.next_element::<LenientF64>()? {
            Some(v) => {
                *slot = v.0;
                values_read += 1;
            }
            None => break,
        }
    }
    if values_read == 3 {
        drain_seq(seq)?;
    }
    let [value, min, max] = values;
    Ok(Point {
        timestamp_ms: time,
        value,
        min,
        max,
    })
}

/// Write a point as `[t, value]`, or `[t, value, min, max]` when it has a
/// minimum or maximum.
pub(crate) fn write_point<S: Serializer>(
    s: S,
    time: i64,
    value: Option<f64>,
    min: Option<f64>,
    max: Option<f64>,
) -> Result<S::Ok, S::Error> {
    let full = min.is_some() || max.is_some();
    let mut seq = s.serialize_seq(Some(if full { 4 } else { 2 }))?;
    seq.serialize_element(&time)?;
    seq.serialize_element(&value)?;
    if full {
        seq.serialize_element(&min)?;
        seq.serialize_element(&max)?;
    }
    seq.end()
}

/// One stats data point: `[ms, value]` or `[ms, value, min, max]` on the wire.
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub struct Point {
    /// Start of the bucket, unix milliseconds.
    pub timestamp_ms: i64,
    /// The bucket's value (mean, or sum for energy codes, in the code's
    /// unit: kWh for the `kwh` codes); `None` when VRM sent `null`/`false`.
    pub value: Option<f64>,
    /// The bucket's minimum, when VRM sends one.
    pub min: Option<f64>,
    /// The bucket's maximum, when VRM sends one.
    pub max: Option<f64>,
}

impl Point {
    /// A point with a value and no min/max.
    pub fn new(timestamp_ms: i64, value: Option<f64>) -> Point {
        Point {
            timestamp_ms,
            value,
            min: None,
            max: None,
        }
    }

    /// A point with a value, minimum and maximum.
    pub fn with_min_max(
        timestamp_ms: i64,
        value: Option<f64>,
        min: Option<f64>,
        max: Option<f64>,
    ) -> Point {
        Point {
            timestamp_ms,
            value,
            min,
            max,
        }
    }

    /// Start of the bucket as a time (`None` if out of range).
    pub fn time(&self) -> Option<OffsetDateTime> {
        super::de::unix_ms(self.timestamp_ms)
    }
}

impl Serialize for Point {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        write_point(s, self.timestamp_ms, self.value, self.min, self.max)
    }
}

impl<'de> Deserialize<'de> for Point {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Point;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a data point [ms, value] or [ms, value, min, max]")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Point, A::Error> {
                read_point(seq)
            }
        }
        d.deserialize_seq(V)
    }
}

/// A point of a list, or `None` for an entry that is no point (no valid
/// timestamp, not a list): one odd entry never sinks its series.
struct OddOrPoint(Option<Point>);

impl<'de> Deserialize<'de> for OddOrPoint {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = OddOrPoint;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a data point")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<OddOrPoint, A::Error> {
                let Some(time) = seq.next_element::<PointTime>()?.and_then(|t| t.0) else {
                    drain_seq(seq)?;
                    return Ok(OddOrPoint(None));
                };
                let mut values = [None; 3];
                for slot in &mut values {
                    match seq.next_element::<LenientF64>()? {
                        Some(v) => *slot = v.0,
                        None => {
                            let [value, min, max] = values;
                            return Ok(OddOrPoint(Some(Point::with_min_max(
                                time, value, min, max,
                            ))));
                        }
                    }
                }
                drain_seq(seq)?;
                let [value, min, max] = values;
                Ok(OddOrPoint(Some(Point::with_min_max(time, value, min, max))))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<OddOrPoint, A::Error> {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(OddOrPoint(None))
            }
            fn visit_bool<E>(self, _: bool) -> Result<OddOrPoint, E> {
                Ok(OddOrPoint(None))
            }
            fn visit_i64<E>(self, _: i64) -> Result<OddOrPoint, E> {
                Ok(OddOrPoint(None))
            }
            fn visit_u64<E>(self, _: u64) -> Result<OddOrPoint, E> {
                Ok(OddOrPoint(None))
            }
            fn visit_f64<E>(self, _: f64) -> Result<OddOrPoint, E> {
                Ok(OddOrPoint(None))
            }
            fn visit_str<E>(self, _: &str) -> Result<OddOrPoint, E> {
                Ok(OddOrPoint(None))
            }
            fn visit_unit<E>(self) -> Result<OddOrPoint, E> {
                Ok(OddOrPoint(None))
            }
        }
        d.deserialize_any(V)
    }
}

/// The first item of a point: a time (number or numeric string), `None`
/// for another scalar; a list or object there is no point at all but a
/// broken answer (and keeps deep nesting an error, never a skip).
struct PointTime(Option<i64>);

impl<'de> Deserialize<'de> for PointTime {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = PointTime;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a timestamp")
            }
            fn visit_u64<E>(self, v: u64) -> Result<PointTime, E> {
                Ok(PointTime(i64::try_from(v).ok()))
            }
            fn visit_i64<E>(self, v: i64) -> Result<PointTime, E> {
                Ok(PointTime(Some(v)))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<PointTime, E> {
                let n = LenientNum::deserialize(de::value::F64Deserializer::<E>::new(v))?;
                Ok(PointTime(n.0.and_then(|n| n.to_timestamp())))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<PointTime, E> {
                let n = LenientNum::deserialize(de::value::StrDeserializer::<E>::new(v))?;
                Ok(PointTime(n.0.and_then(|n| n.to_timestamp())))
            }
            fn visit_bool<E>(self, _: bool) -> Result<PointTime, E> {
                Ok(PointTime(None))
            }
            fn visit_unit<E>(self) -> Result<PointTime, E> {
                Ok(PointTime(None))
            }
        }
        d.deserialize_any(V)
    }
}

/// The points of one attribute code.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Series {
    /// All instances together (the normal answer).
    Points(Vec<Point>),
    /// Per device instance (`show_instance=1`), keyed by instance.
    PerInstance(BTreeMap<u32, Vec<Point>>),
}

impl Default for Series {
    fn default() -> Self {
        Series::Points(Vec::new())
    }
}

impl Series {
    /// The points of a [`Series::Points`] series; the empty slice for a
    /// per-instance series (use [`instance`](Self::instance) or
    /// [`instances`](Self::instances)).
    pub fn points(&self) -> &[Point] {
        match self {
            Series::Points(points) => points,
            Series::PerInstance(_) => &[],
        }
    }

    /// The points of one instance of a per-instance series.
    pub fn instance(&self, instance: u32) -> Option<&[Point]> {
        match self {
            Series::Points(_) => None,
            Series::PerInstance(map) => map.get(&instance).map(Vec::as_slice),
        }
    }

    /// The instances of a per-instance series with their points, by
    /// instance (nothing for a [`Series::Points`] series).
    pub fn instances(&self) -> impl Iterator<Item = (u32, &[Point])> {
        let map = match self {
            Series::Points(_) => None,
            Series::PerInstance(map) => Some(map),
        };
        map.into_iter().flatten().map(|(i, p)| (*i, p.as_slice()))
    }

    /// Every point with its instance (`None` for a [`Series::Points`] series).
    pub fn iter(&self) -> Box<dyn Iterator<Item = (Option<u32>, &Point)> + '_> {
        match self {
            Series::Points(points) => Box::new(points.iter().map(|p| (None, p))),
            Series::PerInstance(map) => Box::new(
                map.iter()
                    .flat_map(|(i, ps)| ps.iter().map(move |p| (Some(*i), p))),
            ),
        }
    }

    /// True for a per-instance series.
    pub fn is_per_instance(&self) -> bool {
        matches!(self, Series::PerInstance(_))
    }

    /// The number of points (over all instances).
    pub fn len(&self) -> usize {
        match self {
            Series::Points(points) => points.len(),
            Series::PerInstance(map) => map.values().map(Vec::len).sum(),
        }
    }

    /// True when there is no point.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl Serialize for Series {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Series::Points(points) => points.serialize(s),
            Series::PerInstance(map) => map.serialize(s),
        }
    }
}

impl<'de> Deserialize<'de> for Series {
    /// Reads this crate's own shape: a list of points, or an object of
    /// instance → points; `false`/`null` → no points.
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Series;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a list of points or an object of instance → points")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Series, A::Error> {
                let mut points = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(4096));
                while let Some(p) = seq.next_element::<OddOrPoint>()? {
                    points.extend(p.0);
                }
                Ok(Series::Points(points))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Series, A::Error> {
                let mut out = BTreeMap::new();
                while let Some(key) = map.next_key::<MapKey>()? {
                    let instance = parse_instance(&key.0)?;
                    out.insert(instance, map.next_value::<ListOrEmpty<Point>>()?.0);
                }
                Ok(Series::PerInstance(out))
            }
            fn visit_bool<E>(self, _: bool) -> Result<Series, E> {
                Ok(Series::default())
            }
            fn visit_unit<E>(self) -> Result<Series, E> {
                Ok(Series::default())
            }
            fn visit_none<E>(self) -> Result<Series, E> {
                Ok(Series::default())
            }
            fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Series, D::Error> {
                d.deserialize_any(self)
            }
        }
        d.deserialize_any(V)
    }
}

fn parse_instance<E: de::Error>(key: &str) -> Result<u32, E> {
    key.trim()
        .parse::<u32>()
        .map_err(|_| E::custom(format_args!("instance key {key:?} is not a number")))
}

/// The total of one attribute code over the window.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Total {
    /// All instances together; `None` when VRM sent `false`/`null` (no data).
    Value(Option<f64>),
    /// Per device instance (`show_instance=1`).
    PerInstance(BTreeMap<u32, Option<f64>>),
}

impl Total {
    /// The total over all instances: the value, or the sum of the instances'
    /// totals (`None` when none has one).
    pub fn value(&self) -> Option<f64> {
        match self {
            Total::Value(v) => *v,
            Total::PerInstance(map) => sum(map.values().copied()),
        }
    }

    /// The total of one instance of a per-instance total.
    pub fn instance(&self, instance: u32) -> Option<f64> {
        match self {
            Total::Value(_) => None,
            Total::PerInstance(map) => map.get(&instance).copied().flatten(),
        }
    }
}

fn sum(values: impl Iterator<Item = Option<f64>>) -> Option<f64> {
    values
        .flatten()
        .fold(None, |acc, v| Some(acc.unwrap_or(0.0) + v))
}

impl Serialize for Total {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Total::Value(v) => v.serialize(s),
            Total::PerInstance(map) => map.serialize(s),
        }
    }
}

impl<'de> Deserialize<'de> for Total {
    /// Reads this crate's own shape: a number (or numeric string,
    /// `false`/`null`), or an object of instance → number.
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Total;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a number or an object of instance → number")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Total, A::Error> {
                let mut out = BTreeMap::new();
                while let Some(key) = map.next_key::<MapKey>()? {
                    let instance = parse_instance(&key.0)?;
                    out.insert(instance, map.next_value::<LenientF64>()?.0);
                }
                Ok(Total::PerInstance(out))
            }
            fn visit_u64<E>(self, v: u64) -> Result<Total, E> {
                Ok(Total::Value(Some(v as f64)))
            }
            fn visit_i64<E>(self, v: i64) -> Result<Total, E> {
                Ok(Total::Value(Some(v as f64)))
            }
            fn visit_f64<E>(self, v: f64) -> Result<Total, E> {
                Ok(Total::Value(Some(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Total, E> {
                LenientF64::deserialize(de::value::StrDeserializer::<E>::new(v))
                    .map(|f| Total::Value(f.0))
            }
            fn visit_bool<E>(self, _: bool) -> Result<Total, E> {
                Ok(Total::Value(None))
            }
            fn visit_unit<E>(self) -> Result<Total, E> {
                Ok(Total::Value(None))
            }
            fn visit_none<E>(self) -> Result<Total, E> {
                Ok(Total::Value(None))
            }
            fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Total, D::Error> {
                d.deserialize_any(self)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Total, A::Error> {
                drain_seq(seq)?;
                Ok(Total::Value(None))
            }
        }
        d.deserialize_any(V)
    }
}

/// The answer of `GET /installations/{idSite}/stats`, as VRM sends it.
///
/// `records` arrives as `{code: [[ms, v], …] | false}`; with
/// `show_instance=1` as `{instance: {"instance": n, "stats": {code: …}}}` or
/// a list of those. Both land in one map of code → [`Series`]. `false`, `[]`
/// or `null` for `records` means no data at all (→ empty). Totals likewise.
/// Use [`into_stats`](Self::into_stats) for the flat view.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[non_exhaustive]
pub struct StatsResponse {
    /// The series by attribute code (`"Pc"`, `"Gb"`, `"bs"`, …).
    #[serde(deserialize_with = "records_wire", serialize_with = "records_to_wire")]
    pub records: BTreeMap<String, Series>,
    /// The totals by attribute code over the window (plus `"kwh"`, the sum,
    /// for `type=kwh`).
    #[serde(
        default,
        deserialize_with = "totals_wire",
        serialize_with = "totals_to_wire"
    )]
    pub totals: BTreeMap<String, Total>,
}

impl StatsResponse {
    /// The flat view: series, totals over all instances, and per-instance
    /// totals apart.
    pub fn into_stats(self) -> Stats {
        let mut totals = BTreeMap::new();
        let mut instance_totals = BTreeMap::new();
        for (code, total) in self.totals {
            totals.insert(code.clone(), total.value());
            if let Total::PerInstance(map) = total {
                instance_totals.insert(code, map);
            }
        }
        Stats {
            series: self.records,
            totals,
            instance_totals,
            minimums: BTreeMap::new(),
            maximums: BTreeMap::new(),
        }
    }
}

/// Installation stats over a window: series and totals by attribute code.
#[derive(Debug, Clone, PartialEq, Default, Deserialize, Serialize)]
#[non_exhaustive]
pub struct Stats {
    /// The series by attribute code.
    #[serde(default)]
    pub series: BTreeMap<String, Series>,
    /// The total by attribute code, over all instances (for a per-instance
    /// answer: the sum of the instances' totals); `None` where VRM has no
    /// data (`false`).
    #[serde(default)]
    pub totals: BTreeMap<String, Option<f64>>,
    /// For a per-instance answer (`show_instance=1`): the totals by code,
    /// then instance. Empty otherwise.
    #[serde(default)]
    pub instance_totals: BTreeMap<String, BTreeMap<u32, Option<f64>>>,
    /// For codes whose points carry a mean, min and max (`bs`, `bv`, …):
    /// the lowest value of the window. Their [`totals`](Self::totals) are
    /// the mean of the bucket means.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub minimums: BTreeMap<String, Option<f64>>,
    /// For codes whose points carry a mean, min and max: the highest value
    /// of the window.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub maximums: BTreeMap<String, Option<f64>>,
}

impl Stats {
    /// The series of an attribute code.
    pub fn series(&self, code: &str) -> Option<&Series> {
        self.series.get(code)
    }

    /// The total of an attribute code.
    pub fn total(&self, code: &str) -> Option<f64> {
        self.totals.get(code).copied().flatten()
    }

    /// The attribute codes with a series, in order.
    pub fn codes(&self) -> impl Iterator<Item = &str> {
        self.series.keys().map(String::as_str)
    }

    /// The total number of points over all series.
    pub fn point_count(&self) -> usize {
        self.series.values().map(Series::len).sum()
    }
}

// ---- the wire shape of `records` -------------------------------------------------

/// One value of the `records` object/list.
enum RecordsEntry {
    /// `code: [[ms, v], …]` (or `false`).
    Points(Vec<Point>),
    /// `code: {"0": [[ms, v], …], "1": …}`: the points of each instance
    /// (`show_instance=1`, map form).
    ByInstance(BTreeMap<u32, Vec<Point>>),
    /// `{"instance": n, "stats": {code: points}}`.
    Instance {
        instance: Option<u32>,
        stats: BTreeMap<String, Vec<Point>>,
    },
}

impl<'de> Deserialize<'de> for RecordsEntry {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = RecordsEntry;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a list of points, false, or an instance's stats")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<RecordsEntry, A::Error> {
                let mut points = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(4096));
                while let Some(p) = seq.next_element::<OddOrPoint>()? {
                    points.extend(p.0);
                }
                // Growth by doubling leaves up to half unused: a body of
                // many series would hold that slack for each.
                points.shrink_to_fit();
                Ok(RecordsEntry::Points(points))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RecordsEntry, A::Error> {
                // An instance entry, or (PHP, a list with holes) points keyed
                // by index.
                let mut instance = None;
                let mut stats = None;
                let mut points = Vec::new();
                let mut by_instance = BTreeMap::new();
                while let Some(key) = map.next_key::<MapKey>()? {
                    match key.0.as_str() {
                        "stats" => {
                            let m = map.next_value::<MapOrEmpty<ListOrEmpty<Point>>>()?;
                            stats = Some(m.0.into_iter().map(|(k, v)| (k, v.0)).collect());
                        }
                        "instance" => {
                            instance = Some(
                                map.next_value::<LenientU64>()?
                                    .0
                                    .and_then(|n| u32::try_from(n).ok()),
                            );
                        }
                        k if k.bytes().all(|b| b.is_ascii_digit()) && !k.is_empty() => {
                            match map.next_value::<Keyed>()? {
                                Keyed::Point(p) => points.push(p),
                                Keyed::Points(list) => {
                                    let instance = parse_instance::<A::Error>(k)?;
                                    by_instance.insert(instance, list);
                                }
                            }
                        }
                        _ => {
                            map.next_value::<IgnoredAny>()?;
                        }
                    }
                }
                if stats.is_some() || instance.is_some() {
                    Ok(RecordsEntry::Instance {
                        instance: instance.flatten(),
                        stats: stats.unwrap_or_default(),
                    })
                } else if !by_instance.is_empty() {
                    Ok(RecordsEntry::ByInstance(by_instance))
                } else {
                    Ok(RecordsEntry::Points(points))
                }
            }
            fn visit_bool<E>(self, _: bool) -> Result<RecordsEntry, E> {
                Ok(RecordsEntry::Points(Vec::new()))
            }
            fn visit_unit<E>(self) -> Result<RecordsEntry, E> {
                Ok(RecordsEntry::Points(Vec::new()))
            }
            fn visit_none<E>(self) -> Result<RecordsEntry, E> {
                Ok(RecordsEntry::Points(Vec::new()))
            }
            fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<RecordsEntry, D::Error> {
                d.deserialize_any(self)
            }
            fn visit_str<E>(self, _: &str) -> Result<RecordsEntry, E> {
                Ok(RecordsEntry::Points(Vec::new()))
            }
            fn visit_u64<E>(self, _: u64) -> Result<RecordsEntry, E> {
                Ok(RecordsEntry::Points(Vec::new()))
            }
            fn visit_i64<E>(self, _: i64) -> Result<RecordsEntry, E> {
                Ok(RecordsEntry::Points(Vec::new()))
            }
            fn visit_f64<E>(self, _: f64) -> Result<RecordsEntry, E> {
                Ok(RecordsEntry::Points(Vec::new()))
            }
        }
        d.deserialize_any(V)
    }
}

/// The value under a digit key of a records entry: one point (PHP's list
/// with holes, keyed by index) or the points of an instance (the map form
/// of `show_instance=1`). The first item tells which; only it is buffered.
enum Keyed {
    Point(Point),
    Points(Vec<Point>),
}

impl<'de> Deserialize<'de> for Keyed {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Keyed;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a data point or a list of data points")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Keyed, A::Error> {
                let Some(first) = seq.next_element::<Value>()? else {
                    return Ok(Keyed::Points(Vec::new()));
                };
                if first.is_array() {
                    let mut points = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(4096));
                    points.push(Point::deserialize(first).map_err(de::Error::custom)?);
                    while let Some(p) = seq.next_element::<OddOrPoint>()? {
                        points.extend(p.0);
                    }
                    points.shrink_to_fit();
                    return Ok(Keyed::Points(points));
                }
                let time = LenientNum::deserialize(first)
                    .ok()
                    .and_then(|n| n.0)
                    .and_then(|n| n.to_timestamp())
                    .ok_or_else(|| de::Error::custom("a data point without a valid timestamp"))?;
                let mut values = [None; 3];
                for slot in &mut values {
                    match seq.next_element::<LenientF64>()? {
                        Some(v) => *slot = v.0,
                        None => break,
                    }
                }
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                let [value, min, max] = values;
                Ok(Keyed::Point(Point::with_min_max(time, value, min, max)))
            }
            fn visit_bool<E>(self, _: bool) -> Result<Keyed, E> {
                Ok(Keyed::Points(Vec::new()))
            }
            fn visit_unit<E>(self) -> Result<Keyed, E> {
                Ok(Keyed::Points(Vec::new()))
            }
            fn visit_none<E>(self) -> Result<Keyed, E> {
                Ok(Keyed::Points(Vec::new()))
            }
            fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Keyed, D::Error> {
                d.deserialize_any(self)
            }
        }
        d.deserialize_any(V)
    }
}

/// The instance of an entry: its `instance` field, else its key/index.
fn entry_instance<E: de::Error>(instance: Option<u32>, key: &str) -> Result<u32, E> {
    match instance {
        Some(i) => Ok(i),
        None => key
            .parse::<u32>()
            .map_err(|_| E::custom(format_args!("stats entry {key:?} names no instance"))),
    }
}

fn place_records<E: de::Error>(
    out: &mut BTreeMap<String, Series>,
    key: String,
    entry: RecordsEntry,
) -> Result<(), E> {
    match entry {
        RecordsEntry::Points(points) => {
            out.insert(key, Series::Points(points));
        }
        RecordsEntry::ByInstance(map) => match out.entry(key) {
            Entry::Vacant(slot) => {
                slot.insert(Series::PerInstance(map));
            }
            Entry::Occupied(mut slot) => match slot.get_mut() {
                Series::PerInstance(all) => {
                    for (instance, points) in map {
                        all.entry(instance).or_default().extend(points);
                    }
                }
                other => *other = Series::PerInstance(map),
            },
        },
        RecordsEntry::Instance { instance, stats } => {
            let instance = entry_instance::<E>(instance, &key)?;
            for (code, points) in stats {
                match out.entry(code) {
                    Entry::Vacant(slot) => {
                        slot.insert(Series::PerInstance(BTreeMap::from([(instance, points)])));
                    }
                    Entry::Occupied(mut slot) => match slot.get_mut() {
                        Series::PerInstance(map) => map.entry(instance).or_default().extend(points),
                        other => *other = Series::PerInstance(BTreeMap::from([(instance, points)])),
                    },
                }
            }
        }
    }
    Ok(())
}

fn records_wire<'de, D: Deserializer<'de>>(d: D) -> Result<BTreeMap<String, Series>, D::Error> {
    struct V;
    impl<'de> Visitor<'de> for V {
        type Value = BTreeMap<String, Series>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("stats records: an object of series, a list of instances, or false")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            let mut out = BTreeMap::new();
            while let Some(key) = map.next_key::<MapKey>()? {
                let entry = map.next_value::<RecordsEntry>()?;
                place_records::<A::Error>(&mut out, key.0, entry)?;
            }
            Ok(out)
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
            let mut out = BTreeMap::new();
            let mut index = 0usize;
            while let Some(entry) = seq.next_element::<RecordsEntry>()? {
                place_records::<A::Error>(&mut out, index.to_string(), entry)?;
                index += 1;
            }
            Ok(out)
        }
        fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
            Ok(BTreeMap::new())
        }
        fn visit_unit<E>(self) -> Result<Self::Value, E> {
            Ok(BTreeMap::new())
        }
        fn visit_none<E>(self) -> Result<Self::Value, E> {
            Ok(BTreeMap::new())
        }
        fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            d.deserialize_any(self)
        }
    }
    d.deserialize_any(V)
}

#[derive(Serialize)]
struct InstanceStatsOut<'a> {
    instance: u32,
    stats: BTreeMap<&'a str, &'a [Point]>,
}

fn records_to_wire<S: Serializer>(
    records: &BTreeMap<String, Series>,
    s: S,
) -> Result<S::Ok, S::Error> {
    let mut per_instance: BTreeMap<u32, BTreeMap<&str, &[Point]>> = BTreeMap::new();
    let mut map = s.serialize_map(None)?;
    for (code, series) in records {
        match series {
            Series::Points(points) => map.serialize_entry(code, points)?,
            Series::PerInstance(by_instance) => {
                for (instance, points) in by_instance {
                    per_instance
                        .entry(*instance)
                        .or_default()
                        .insert(code.as_str(), points.as_slice());
                }
            }
        }
    }
    for (instance, stats) in per_instance {
        map.serialize_entry(&instance.to_string(), &InstanceStatsOut { instance, stats })?;
    }
    map.end()
}

// ---- the wire shape of `totals` --------------------------------------------------

enum TotalsEntry {
    Value(Option<f64>),
    /// `code: {"0": t0, "1": t1}` (`show_instance=1`, map form).
    ByInstance(BTreeMap<u32, Option<f64>>),
    Instance {
        instance: Option<u32>,
        totals: BTreeMap<String, Option<f64>>,
    },
}

impl<'de> Deserialize<'de> for TotalsEntry {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = TotalsEntry;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a total, false, or an instance's totals")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<TotalsEntry, A::Error> {
                let mut instance = None;
                let mut totals = BTreeMap::new();
                let mut by_instance = BTreeMap::new();
                let mut tagged = false;
                while let Some(key) = map.next_key::<MapKey>()? {
                    match key.0.as_str() {
                        k if !k.is_empty() && k.bytes().all(|b| b.is_ascii_digit()) => {
                            let value = map.next_value::<LenientF64>()?.0;
                            if let Ok(i) = k.parse::<u32>() {
                                by_instance.insert(i, value);
                            }
                        }
                        "totals" => {
                            tagged = true;
                            let m = map.next_value::<MapOrEmpty<LenientF64>>()?;
                            totals = m.0.into_iter().map(|(k, v)| (k, v.0)).collect();
                        }
                        "instance" => {
                            tagged = true;
                            instance = map
                                .next_value::<LenientU64>()?
                                .0
                                .and_then(|n| u32::try_from(n).ok());
                        }
                        _ => {
                            map.next_value::<IgnoredAny>()?;
                        }
                    }
                }
                if !tagged && !by_instance.is_empty() {
                    return Ok(TotalsEntry::ByInstance(by_instance));
                }
                Ok(TotalsEntry::Instance { instance, totals })
            }
            fn visit_u64<E>(self, v: u64) -> Result<TotalsEntry, E> {
                Ok(TotalsEntry::Value(Some(v as f64)))
            }
            fn visit_i64<E>(self, v: i64) -> Result<TotalsEntry, E> {
                Ok(TotalsEntry::Value(Some(v as f64)))
            }
            fn visit_f64<E>(self, v: f64) -> Result<TotalsEntry, E> {
                Ok(TotalsEntry::Value(Some(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<TotalsEntry, E> {
                LenientF64::deserialize(de::value::StrDeserializer::<E>::new(v))
                    .map(|f| TotalsEntry::Value(f.0))
            }
            fn visit_bool<E>(self, _: bool) -> Result<TotalsEntry, E> {
                Ok(TotalsEntry::Value(None))
            }
            fn visit_unit<E>(self) -> Result<TotalsEntry, E> {
                Ok(TotalsEntry::Value(None))
            }
            fn visit_none<E>(self) -> Result<TotalsEntry, E> {
                Ok(TotalsEntry::Value(None))
            }
            fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<TotalsEntry, D::Error> {
                d.deserialize_any(self)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<TotalsEntry, A::Error> {
                drain_seq(seq)?;
                Ok(TotalsEntry::Value(None))
            }
        }
        d.deserialize_any(V)
    }
}

fn place_totals<E: de::Error>(
    out: &mut BTreeMap<String, Total>,
    key: String,
    entry: TotalsEntry,
) -> Result<(), E> {
    match entry {
        TotalsEntry::Value(v) => {
            out.insert(key, Total::Value(v));
        }
        TotalsEntry::ByInstance(map) => {
            out.insert(key, Total::PerInstance(map));
        }
        TotalsEntry::Instance { instance, totals } => {
            let instance = entry_instance::<E>(instance, &key)?;
            for (code, v) in totals {
                match out.entry(code) {
                    Entry::Vacant(slot) => {
                        slot.insert(Total::PerInstance(BTreeMap::from([(instance, v)])));
                    }
                    Entry::Occupied(mut slot) => match slot.get_mut() {
                        Total::PerInstance(map) => {
                            map.insert(instance, v);
                        }
                        other => *other = Total::PerInstance(BTreeMap::from([(instance, v)])),
                    },
                }
            }
        }
    }
    Ok(())
}

fn totals_wire<'de, D: Deserializer<'de>>(d: D) -> Result<BTreeMap<String, Total>, D::Error> {
    struct V;
    impl<'de> Visitor<'de> for V {
        type Value = BTreeMap<String, Total>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("stats totals: an object of totals, a list of instances, or false")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            let mut out = BTreeMap::new();
            while let Some(key) = map.next_key::<MapKey>()? {
                let entry = map.next_value::<TotalsEntry>()?;
                place_totals::<A::Error>(&mut out, key.0, entry)?;
            }
            Ok(out)
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
            let mut out = BTreeMap::new();
            let mut index = 0usize;
            while let Some(entry) = seq.next_element::<TotalsEntry>()? {
                place_totals::<A::Error>(&mut out, index.to_string(), entry)?;
                index += 1;
            }
            Ok(out)
        }
        fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
            Ok(BTreeMap::new())
        }
        fn visit_unit<E>(self) -> Result<Self::Value, E> {
            Ok(BTreeMap::new())
        }
        fn visit_none<E>(self) -> Result<Self::Value, E> {
            Ok(BTreeMap::new())
        }
        fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            d.deserialize_any(self)
        }
    }
    d.deserialize_any(V)
}

#[derive(Serialize)]
struct InstanceTotalsOut<'a> {
    instance: u32,
    totals: BTreeMap<&'a str, Option<f64>>,
}

fn totals_to_wire<S: Serializer>(
    totals: &BTreeMap<String, Total>,
    s: S,
) -> Result<S::Ok, S::Error> {
    let mut per_instance: BTreeMap<u32, BTreeMap<&str, Option<f64>>> = BTreeMap::new();
    let mut map = s.serialize_map(None)?;
    for (code, total) in totals {
        match total {
            Total::Value(v) => map.serialize_entry(code, v)?,
            Total::PerInstance(by_instance) => {
                for (instance, v) in by_instance {
                    per_instance
                        .entry(*instance)
                        .or_default()
                        .insert(code.as_str(), *v);
                }
            }
        }
    }
    for (instance, totals) in per_instance {
        map.serialize_entry(
            &instance.to_string(),
            &InstanceTotalsOut { instance, totals },
        )?;
    }
    map.end()
}

// ---- overallstats ----------------------------------------------------------------

/// The answer of `GET /installations/{idSite}/overallstats`.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[non_exhaustive]
pub struct OverallStatsResponse {
    /// Totals for the year, month, week and today.
    pub records: OverallStats,
}

/// Totals and percentages per period: `"year"`, `"month"`, `"week"`,
/// `"today"` (VRM's keys, kept as sent).
#[derive(Debug, Clone, PartialEq, Default, Deserialize, Serialize)]
#[serde(transparent)]
#[non_exhaustive]
pub struct OverallStats {
    /// The periods by name. A period VRM sends as `[]`, `false` or `null`
    /// (no data) is an empty period.
    #[serde(deserialize_with = "periods")]
    pub periods: BTreeMap<String, OverallPeriod>,
}

fn periods<'de, D: Deserializer<'de>>(d: D) -> Result<BTreeMap<String, OverallPeriod>, D::Error> {
    let raw: BTreeMap<String, Value> = super::de::map_or_empty(d)?;
    raw.into_iter()
        .map(|(name, value)| match value {
            Value::Object(_) => serde_json::from_value(value)
                .map(|period| (name, period))
                .map_err(serde::de::Error::custom),
            _ => Ok((name, OverallPeriod::default())),
        })
        .collect()
}

impl OverallStats {
    /// A period by name.
    pub fn get(&self, period: &str) -> Option<&OverallPeriod> {
        self.periods.get(period)
    }

    /// The last year.
    pub fn year(&self) -> Option<&OverallPeriod> {
        self.get("year")
    }

    /// The last month.
    pub fn month(&self) -> Option<&OverallPeriod> {
        self.get("month")
    }

    /// The last week.
    pub fn week(&self) -> Option<&OverallPeriod> {
        self.get("week")
    }

    /// Today.
    pub fn today(&self) -> Option<&OverallPeriod> {
        self.get("today")
    }
}

/// The totals of one period.
#[derive(Debug, Clone, PartialEq, Default, Deserialize, Serialize)]
#[non_exhaustive]
pub struct OverallPeriod {
    /// Total by attribute code (kWh for the energy codes); `None` for `false`
    /// (no data).
    #[serde(default, deserialize_with = "super::de::map_of_opt_f64")]
    pub totals: BTreeMap<String, Option<f64>>,
    /// Each code's share of the period, in percent.
    #[serde(default, deserialize_with = "super::de::map_of_opt_f64")]
    pub percentages: BTreeMap<String, Option<f64>>,
    /// Fields this crate does not know, kept as sent.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl OverallPeriod {
    /// The total of one code.
    pub fn total(&self, code: &str) -> Option<f64> {
        self.totals.get(code).copied().flatten()
    }

    /// The percentage of one code.
    pub fn percentage(&self, code: &str) -> Option<f64> {
        self.percentages.get(code).copied().flatten()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(json: &str) -> StatsResponse {
        serde_json::from_str(json).unwrap()
    }

    fn round_trip(r: &StatsResponse) {
        let json = serde_json::to_string(r).unwrap();
        assert_eq!(&decode(&json), r, "{json}");
    }

    #[test]
    fn doc_kwh_days() {
        let r = decode(include_str!("../../tests/fixtures/stats_kwh_days.json"));
        let pc = r.records["Pc"].points();
        assert_eq!(pc.len(), 4);
        assert_eq!(pc[0], Point::new(1_441_066_216_000, Some(12.927161)));
        assert_eq!(pc[3].value, Some(9.1537885));
        assert_eq!(
            pc[0].time().map(|t| t.unix_timestamp()),
            Some(1_441_066_216)
        );
        assert_eq!(r.records["Gc"].points()[1].value, Some(4.5079915));
        assert!(!r.records["Pc"].is_per_instance());
        assert!(matches!(r.totals["kwh"], Total::Value(Some(v)) if (v - 513.2720223).abs() < 1e-9));
        round_trip(&r);

        let stats = r.into_stats();
        assert_eq!(stats.total("Pb"), Some(2.5122129));
        assert_eq!(stats.total("kwh"), Some(513.2720223));
        assert_eq!(stats.totals.get("Pc").copied().flatten(), Some(184.5783944));
        assert!(stats.instance_totals.is_empty());
        assert_eq!(
            stats.codes().collect::<Vec<_>>(),
            ["Bc", "Gb", "Gc", "Pb", "Pc", "Pg"]
        );
        assert_eq!(stats.series("Pc").map(Series::len), Some(4));
        assert_eq!(stats.point_count(), 4 * 6);
        let back: Stats = serde_json::from_str(&serde_json::to_string(&stats).unwrap()).unwrap();
        assert_eq!(back, stats);
    }

    #[test]
    fn no_data_shapes() {
        let r = decode(include_str!("../../tests/fixtures/stats_no_data.json"));
        assert!(r.records["Pb"].is_empty());
        assert!(r.records["Pc"].is_empty());
        assert_eq!(r.records["Gc"].points().len(), 1);
        assert_eq!(r.records["Gc"].points()[0].value, None); // `null` value
        assert_eq!(r.records["Gb"].points()[0].value, None); // `false` value
        assert_eq!(r.totals["Pb"], Total::Value(None)); // false
        assert_eq!(r.totals["Pc"], Total::Value(None)); // null
        assert_eq!(r.totals["Gc"], Total::Value(Some(0.25))); // "0.25"
        let stats = r.into_stats();
        assert_eq!(stats.total("Pb"), None);
        assert_eq!(stats.total("Gc"), Some(0.25));

        for body in [
            r#"{"success":true,"records":false,"totals":false}"#,
            r#"{"success":true,"records":[],"totals":[]}"#,
            r#"{"success":true,"records":{},"totals":{}}"#,
            r#"{"success":true,"records":null}"#,
        ] {
            let r = decode(body);
            assert!(r.records.is_empty() && r.totals.is_empty(), "{body}");
        }
    }

    #[test]
    fn empty_overall_periods_are_empty_not_errors() {
        let r: OverallStatsResponse = serde_json::from_str(
            r#"{"success":true,"records":{"today":[],"week":false,"year":{"totals":{"Pc":2.5}}}}"#,
        )
        .unwrap();
        assert_eq!(r.records.today(), Some(&OverallPeriod::default()));
        assert_eq!(r.records.week(), Some(&OverallPeriod::default()));
        assert_eq!(r.records.year().and_then(|y| y.total("Pc")), Some(2.5));
    }

    #[test]
    fn error_bodies_are_not_stats() {
        let body = include_str!("../../tests/fixtures/error_no_data.json");
        assert!(serde_json::from_str::<StatsResponse>(body).is_err());
        assert!(
            serde_json::from_str::<StatsResponse>(r#"{"success":false,"errors":"x"}"#).is_err()
        );
    }

    #[test]
    fn min_max_points_and_quirky_timestamps() {
        let r = decode(include_str!(
            "../../tests/fixtures/stats_custom_min_max.json"
        ));
        let bv = r.records["bv"].points();
        assert_eq!(bv.len(), 4);
        assert_eq!(
            bv[0],
            Point::with_min_max(1_776_510_000_000, Some(13.4), Some(13.1), Some(13.9))
        );
        assert_eq!(bv[1].timestamp_ms, 1_776_513_600_000); // float timestamp
        assert_eq!(bv[1].min, Some(12.9));
        assert_eq!(bv[2].timestamp_ms, 1_776_517_200_000); // string timestamp
        assert_eq!(
            (bv[2].value, bv[2].min, bv[2].max),
            (Some(13.5), None, None)
        );
        assert_eq!((bv[3].value, bv[3].min, bv[3].max), (None, None, None)); // [t, null, false, false]
        assert!(r.totals.is_empty()); // no `totals` key
        round_trip(&r);

        // An entry that is no point is passed over; the rest of the
        // series, and the answer, decode.
        let r =
            decode(r#"{"records":{"x":[[null,1],[],"NaN",{"t":1},7,[3000,2.5]],"y":[[1000,1]]}}"#);
        assert_eq!(r.records["x"].points(), [Point::new(3000, Some(2.5))]);
        assert_eq!(r.records["y"].points(), [Point::new(1000, Some(1.0))]);
        // Extra items past max are ignored; a lone timestamp has no value.
        let r = decode(r#"{"records":{"x":[[1000,1,0,2,99,"z"],[2000]]}}"#);
        assert_eq!(
            r.records["x"].points()[0],
            Point::with_min_max(1000, Some(1.0), Some(0.0), Some(2.0))
        );
        assert_eq!(r.records["x"].points()[1], Point::new(2000, None));
    }

    #[test]
    fn show_instance_object_form() {
        let r = decode(include_str!(
            "../../tests/fixtures/stats_show_instance.json"
        ));
        let pv = &r.records["PVP"];
        assert!(pv.is_per_instance());
        assert!(pv.points().is_empty());
        assert_eq!(pv.instances().map(|(i, _)| i).collect::<Vec<_>>(), [0, 1]);
        assert_eq!(pv.instance(0).unwrap().len(), 2);
        assert_eq!(
            pv.instance(1).unwrap()[1],
            Point::new(1_441_069_816_000, Some(40.5))
        );
        assert_eq!(pv.len(), 4);
        assert_eq!(pv.iter().filter(|(i, _)| *i == Some(1)).count(), 2);
        let yu = &r.records["YU"];
        assert_eq!(yu.instance(0).map(<[Point]>::len), Some(0)); // `false` for instance 0
        assert_eq!(yu.instance(1).map(<[Point]>::len), Some(1));
        assert_eq!(
            r.totals["PVP"],
            Total::PerInstance(BTreeMap::from([(0, Some(100.0)), (1, Some(50.5))]))
        );
        assert_eq!(r.totals["YU"].instance(0), None);
        assert_eq!(r.totals["YU"].value(), Some(1.25));
        round_trip(&r);

        let stats = r.into_stats();
        assert_eq!(stats.total("PVP"), Some(150.5));
        assert_eq!(stats.instance_totals["PVP"][&1], Some(50.5));
        assert_eq!(stats.instance_totals["YU"][&0], None);
        let back: Stats = serde_json::from_str(&serde_json::to_string(&stats).unwrap()).unwrap();
        assert_eq!(back, stats);
    }

    #[test]
    fn show_instance_list_form() {
        // PHP sends a 0-based map as a list; the `instance` field wins over
        // the position, which is the fallback.
        let body = r#"{"success":true,
            "records":[{"instance":"3","stats":{"Pc":[[1000,1.5]]}},{"stats":{"Pc":[[1000,2.5]],"Pb":false}}],
            "totals":[{"instance":3,"totals":{"Pc":1.5}},{"totals":{"Pc":"2.5","Pb":false}}]}"#;
        let r = decode(body);
        assert_eq!(r.records["Pc"].instance(3).unwrap()[0].value, Some(1.5));
        assert_eq!(r.records["Pc"].instance(1).unwrap()[0].value, Some(2.5));
        assert_eq!(r.records["Pb"].instance(1).map(<[Point]>::len), Some(0));
        assert_eq!(r.totals["Pc"].instance(1), Some(2.5));
        assert_eq!(r.totals["Pc"].value(), Some(4.0));
        assert_eq!(r.totals["Pb"].value(), None);
        round_trip(&r);

        // An object entry without an instance and a non-numeric key fails.
        assert!(
            serde_json::from_str::<StatsResponse>(r#"{"records":{"x":{"stats":{}}}}"#).is_err()
        );
    }

    #[test]
    fn holey_point_lists() {
        // A PHP list with holes arrives as an object keyed by index.
        let r = decode(r#"{"records":{"Pc":{"0":[1000,1],"2":[3000,3]}},"totals":{"Pc":4}}"#);
        assert_eq!(
            r.records["Pc"].points(),
            [Point::new(1000, Some(1.0)), Point::new(3000, Some(3.0))]
        );
    }

    #[test]
    fn large_payload() {
        let mut body = String::from(r#"{"success":true,"records":{"bs":["#);
        for i in 0..100_000i64 {
            if i > 0 {
                body.push(',');
            }
            body.push_str(&format!(
                "[{},{}.5]",
                1_700_000_000_000 + i * 60_000,
                i % 100
            ));
        }
        body.push_str(r#"]},"totals":{"bs":1}}"#);
        let r = decode(&body);
        let points = r.records["bs"].points();
        assert_eq!(points.len(), 100_000);
        assert_eq!(points[99_999].value, Some(99.5));
    }

    #[test]
    fn view_shapes() {
        let s: Series = serde_json::from_str("false").unwrap();
        assert!(s.is_empty());
        let s: Series = serde_json::from_str(r#"{"2":[[1,2]],"1":false}"#).unwrap();
        assert_eq!(
            s.instances().map(|(i, p)| (i, p.len())).collect::<Vec<_>>(),
            [(1, 0), (2, 1)]
        );
        assert!(serde_json::from_str::<Series>(r#"{"x":[]}"#).is_err());
        let t: Total = serde_json::from_str(r#""1.5""#).unwrap();
        assert_eq!(t.value(), Some(1.5));
        let t: Total = serde_json::from_str(r#"{"0":1,"1":false}"#).unwrap();
        assert_eq!(t.value(), Some(1.0));
        assert_eq!(serde_json::to_string(&t).unwrap(), r#"{"0":1.0,"1":null}"#);
    }

    #[test]
    fn doc_overallstats() {
        let r: OverallStatsResponse =
            serde_json::from_str(include_str!("../../tests/fixtures/overallstats.json")).unwrap();
        let o = &r.records;
        assert_eq!(o.periods.len(), 4);
        let year = o.year().unwrap();
        assert_eq!(year.total("Gc"), Some(2890.3096331091));
        assert_eq!(year.total("gc"), None); // false
        assert_eq!(year.totals.get("gc"), Some(&None));
        assert_eq!(year.percentage("Gc"), Some(80.0));
        assert_eq!(o.month().unwrap().total("Bc"), Some(46.909044223721));
        assert_eq!(o.week().unwrap().percentage("Pc"), Some(25.0));
        assert_eq!(o.today().unwrap().total("Pc"), Some(2.7864799629897));
        assert_eq!(
            o.today().unwrap().extra.get("note"),
            Some(&Value::from("kept"))
        );
        let back: OverallStatsResponse =
            serde_json::from_str(&serde_json::to_string(&r).unwrap()).unwrap();
        assert_eq!(back, r);

        let r: OverallStatsResponse =
            serde_json::from_str(r#"{"success":true,"records":[]}"#).unwrap();
        assert!(r.records.periods.is_empty());
        let r: OverallStatsResponse =
            serde_json::from_str(r#"{"records":{"today":{"totals":false,"percentages":[]}}}"#)
                .unwrap();
        assert!(r.records.today().unwrap().totals.is_empty());
        assert!(
            serde_json::from_str::<OverallStatsResponse>(r#"{"success":false,"errors":"x"}"#)
                .is_err()
        );
    }
}
