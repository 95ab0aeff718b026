//! `vrm report`: energy flows per day in the installation's own time zone,
//! from hourly kWh stats (so the cache serves every later report that
//! overlaps).

use std::collections::BTreeMap;

use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::{Timestamp, Zoned};
use serde_json::{Map, Value, json};
use vrm::models::Stats;

use crate::output::{Table, num};

/// The flows shown, as VRM's kWh codes and a label.
pub const FLOWS: [(&str, &str); 7] = [
    ("Pc", "solar>use"),
    ("Pb", "solar>batt"),
    ("Pg", "solar>grid"),
    ("Gc", "grid>use"),
    ("Gb", "grid>batt"),
    ("Bc", "batt>use"),
    ("Bg", "batt>grid"),
];

/// The codes that reach the consumers: their sum is the consumption.
const TO_CONSUMERS: [&str; 4] = ["Pc", "Gc", "Bc", "gc"];

/// A report's window: whole local days covering `[from, to)`.
#[derive(Debug)]
pub struct Days {
    pub tz: TimeZone,
    pub tz_name: String,
    pub start: i64,
    pub end: i64,
}

/// The local days covering `[from, to)` in time zone `tz_name`.
pub fn local_days(tz_name: &str, from: i64, to: i64) -> Result<Days, String> {
    let tz = TimeZone::get(tz_name)
        .map_err(|e| format!("time zone {tz_name:?} of the installation: {e}"))?;
    let zoned = |t: i64| -> Result<Zoned, String> {
        Timestamp::from_second(t)
            .map(|ts| ts.to_zoned(tz.clone()))
            .map_err(|e| format!("time {t}: {e}"))
    };
    let start = zoned(from)?
        .start_of_day()
        .map_err(|e| e.to_string())?
        .timestamp()
        .as_second();
    let last = zoned(to.saturating_sub(1))?;
    let end = last
        .date()
        .tomorrow()
        .and_then(|d| d.to_zoned(tz.clone()))
        .map_err(|e| e.to_string())?
        .timestamp()
        .as_second();
    Ok(Days {
        tz,
        tz_name: tz_name.to_owned(),
        start,
        end,
    })
}

/// Per local day, the kWh of each flow and the consumption.
pub struct Report {
    pub days: BTreeMap<Date, BTreeMap<&'static str, f64>>,
}

impl Report {
    /// Sum hourly points into local days.
    pub fn build(stats: &Stats, days: &Days) -> Report {
        let mut out: BTreeMap<Date, BTreeMap<&'static str, f64>> = BTreeMap::new();
        // Every day of the window has a row, data or not.
        let mut t = days.start;
        while t < days.end {
            let Ok(ts) = Timestamp::from_second(t) else {
                break;
            };
            out.entry(ts.to_zoned(days.tz.clone()).date()).or_default();
            t += 3600;
        }
        let codes = FLOWS
            .iter()
            .map(|(c, _)| *c)
            .chain(TO_CONSUMERS)
            .collect::<std::collections::BTreeSet<_>>();
        for code in codes {
            let Some(series) = stats.series(code) else {
                continue;
            };
            for (_, point) in series.iter() {
                let (Some(value), Ok(ts)) = (
                    point.value,
                    Timestamp::from_second(point.timestamp_ms.div_euclid(1000)),
                ) else {
                    continue;
                };
                let day = out.entry(ts.to_zoned(days.tz.clone()).date()).or_default();
                *day.entry(code).or_default() += value;
                if TO_CONSUMERS.contains(&code) {
                    *day.entry("consumption").or_default() += value;
                }
            }
        }
        Report { days: out }
    }

    fn totals(&self) -> BTreeMap<&'static str, f64> {
        let mut totals = BTreeMap::new();
        for day in self.days.values() {
            for (code, value) in day {
                *totals.entry(*code).or_default() += value;
            }
        }
        totals
    }

    /// The `data` of `--format json`.
    pub fn json(&self, site: u64, days: &Days) -> Value {
        let flows = |values: &BTreeMap<&'static str, f64>| {
            let mut m = Map::new();
            for (code, _) in FLOWS {
                m.insert(
                    code.to_owned(),
                    json!(values.get(code).copied().unwrap_or(0.0)),
                );
            }
            m.insert(
                "consumption".into(),
                json!(values.get("consumption").copied().unwrap_or(0.0)),
            );
            m
        };
        let rows: Vec<Value> = self
            .days
            .iter()
            .map(|(date, values)| {
                let mut m = flows(values);
                m.insert("date".into(), json!(date.to_string()));
                Value::Object(m)
            })
            .collect();
        json!({
            "site": site,
            "timezone": days.tz_name,
            "start": days.start,
            "end": days.end,
            "unit": "kWh",
            "days": rows,
            "totals": Value::Object(flows(&self.totals())),
        })
    }

    /// The table: a row per day, then the totals.
    pub fn table(&self) -> Table {
        let mut header = vec!["date".to_owned()];
        header.extend(FLOWS.iter().map(|(_, label)| format!("{label} kWh")));
        header.push("use kWh".into());
        let columns: Vec<usize> = (1..header.len()).collect();
        let mut table = Table::with_header(header).numeric(&columns);
        let row = |label: String, values: &BTreeMap<&'static str, f64>| {
            let mut row = vec![label];
            row.extend(
                FLOWS
                    .iter()
                    .map(|(code, _)| num(Some(values.get(code).copied().unwrap_or(0.0)))),
            );
            row.push(num(Some(values.get("consumption").copied().unwrap_or(0.0))));
            row
        };
        for (date, values) in &self.days {
            table.push(row(date.to_string(), values));
        }
        table.push(row("total".into(), &self.totals()));
        table
    }

    /// A bar per day: what the consumers used, by source
    /// (`#` solar, `=` grid, `+` battery).
    pub fn chart(&self) -> Vec<String> {
        const WIDTH: f64 = 40.0;
        let max = self
            .days
            .values()
            .map(|v| v.get("consumption").copied().unwrap_or(0.0))
            .fold(0.0_f64, f64::max);
        let mut lines = vec![
            String::new(),
            "consumption by source (# solar, = grid, + battery):".into(),
        ];
        for (date, values) in &self.days {
            let get = |c: &str| values.get(c).copied().unwrap_or(0.0).max(0.0);
            let scale = |v: f64| {
                if max > 0.0 {
                    (v / max * WIDTH).round() as usize
                } else {
                    0
                }
            };
            let bar = format!(
                "{}{}{}",
                "#".repeat(scale(get("Pc"))),
                "=".repeat(scale(get("Gc") + get("gc"))),
                "+".repeat(scale(get("Bc")))
            );
            lines.push(format!(
                "{date} |{bar:<40}| {} kWh",
                num(Some(values.get("consumption").copied().unwrap_or(0.0)))
            ));
        }
        lines
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_follow_the_local_calendar_across_dst() {
        // 2026-10-25: Europe/Amsterdam leaves summer time; the day is 25 h.
        let from = 1_792_879_200; // 2026-10-24T22:00:00Z = 25 Oct 00:00 CEST
        let days = local_days("Europe/Amsterdam", from, from + 3600).unwrap();
        assert_eq!(days.start, from);
        assert_eq!(days.end - days.start, 25 * 3600);
        assert!(
            local_days("Mars/Olympus", 0, 10)
                .unwrap_err()
                .contains("Mars/Olympus")
        );
    }
}
