//! `vrm report`: energy flows per local day in the installation's own time
//! zone, exact for any offset: days whose edges fall inside a UTC hour
//! (+05:30, +05:45, −03:30, old local mean times) are built from
//! 15-minute data, and where VRM only holds whole hours (older GX
//! firmware) the hour goes to one day and the report says which edge moved
//! and by how much. A day without data is missing, never 0.

pub mod svg;

use std::collections::{BTreeMap, BTreeSet};

use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::{Timestamp, Zoned};
use serde_json::{Map, Value, json};
use vrm::models::Stats;

use crate::output::Table;

/// The flows, as VRM's kWh codes and a label: into the consumers, into the
/// battery, into the grid.
pub const FLOWS: [(&str, &str); 8] = [
    ("Pc", "solar>use"),
    ("Gc", "grid>use"),
    ("Bc", "batt>use"),
    ("gc", "genset>use"),
    ("Pb", "solar>batt"),
    ("Gb", "grid>batt"),
    ("Pg", "solar>grid"),
    ("Bg", "batt>grid"),
];

/// The codes that reach the consumers: their sum is the consumption.
pub const TO_CONSUMERS: [&str; 4] = ["Pc", "Gc", "Bc", "gc"];

/// Every code a report asks VRM for (custom stats: VRM's `kwh` type omits
/// some of them, `Bg` among them).
pub fn codes() -> Vec<String> {
    FLOWS.iter().map(|(c, _)| (*c).to_owned()).collect()
}

const HOUR: i64 = 3600;
const QUARTER: i64 = 900;

/// One local day: its date and its UTC edges `[start, end)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Day {
    pub date: Date,
    pub start: i64,
    pub end: i64,
}

/// A report's days in time zone `tz_name`.
#[derive(Debug)]
pub struct Days {
    pub tz_name: String,
    pub days: Vec<Day>,
}

impl Days {
    /// The local days from `first` to `last`, both included.
    pub fn between(tz_name: &str, first: Date, last: Date) -> Result<Days, String> {
        let tz = zone(tz_name)?;
        if last < first {
            return Err(format!(
                "the report's last day {last} is before its first {first}: --to must be after --from"
            ));
        }
        let mut days = Vec::new();
        let mut date = first;
        let mut start = midnight(&tz, date)?;
        while date <= last {
            let next = date
                .tomorrow()
                .map_err(|e| format!("the day after {date}: {e}"))?;
            let end = midnight(&tz, next)?;
            days.push(Day { date, start, end });
            if days.len() > 40_000 {
                return Err("a report holds at most 40,000 days (about 110 years)".into());
            }
            date = next;
            start = end;
        }
        Ok(Days {
            tz_name: tz_name.to_owned(),
            days,
        })
    }

    /// The first instant and the end of the last day.
    pub fn span(&self) -> (i64, i64) {
        (
            self.days.first().map_or(0, |d| d.start),
            self.days.last().map_or(0, |d| d.end),
        )
    }

    /// Whether some day edge falls inside a UTC hour, so that whole hours
    /// cannot split the days (the stats are then asked in 15 minutes).
    pub fn needs_quarters(&self) -> bool {
        self.days
            .iter()
            .any(|d| d.start.rem_euclid(HOUR) != 0 || d.end.rem_euclid(HOUR) != 0)
    }

    /// The window to ask for: the days' span on whole hours.
    pub fn window(&self) -> (i64, i64) {
        let (start, end) = self.span();
        (
            start - start.rem_euclid(HOUR),
            end + (HOUR - end.rem_euclid(HOUR)) % HOUR,
        )
    }

    /// The day holding instant `t`, by index.
    fn index_of(&self, t: i64) -> Option<usize> {
        let i = self.days.partition_point(|d| d.end <= t);
        self.days.get(i).filter(|d| d.start <= t).map(|_| i)
    }
}

/// The time zone `name`, or an error naming it.
pub fn zone(name: &str) -> Result<TimeZone, String> {
    TimeZone::get(name).map_err(|e| format!("time zone {name:?} of the installation: {e}"))
}

/// Local midnight of `date` in `tz` (its first instant, on a day that
/// skips midnight).
pub fn midnight(tz: &TimeZone, date: Date) -> Result<i64, String> {
    date.to_zoned(tz.clone())
        .and_then(|z| z.start_of_day())
        .map(|z| z.timestamp().as_second())
        .map_err(|e| format!("midnight of {date}: {e}"))
}

/// The local date of instant `t`.
pub fn date_of(tz: &TimeZone, t: i64) -> Result<Date, String> {
    Timestamp::from_second(t)
        .map(|ts| ts.to_zoned(tz.clone()).date())
        .map_err(|e| format!("time {t}: {e}"))
}

/// A day edge that moved because VRM holds only the whole hour around it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shift {
    /// The day whose start moved.
    pub date: Date,
    /// Minutes the day's start moved: negative earlier, positive later.
    pub minutes: i64,
}

/// The day of the report that takes the bucket `[t, t + span)`: the one
/// holding most of it, a tie to the later one; `None` when that is outside
/// the report. A bucket cut by an edge moves the edge (into `shifts`, by the
/// date that starts there, in minutes: negative earlier).
fn assign(days: &Days, t: i64, span: i64, shifts: &mut BTreeMap<Date, i64>) -> Option<usize> {
    let first = days.days.first()?;
    let last = days.days.last()?;
    let next_date = |i: usize| -> Option<Date> {
        days.days
            .get(i + 1)
            .map(|d| d.date)
            .or_else(|| last.date.tomorrow().ok())
    };
    if t < first.start {
        let inside = t + span - first.start;
        if inside <= 0 {
            return None;
        }
        let outside = span - inside;
        return if inside >= outside {
            shifts.insert(first.date, -(outside / 60));
            Some(0)
        } else {
            shifts.insert(first.date, inside / 60);
            None
        };
    }
    let i = days.index_of(t)?;
    let day = days.days[i];
    if t + span <= day.end {
        return Some(i);
    }
    let before = day.end - t;
    let after = span - before;
    let edge = next_date(i)?;
    if before > after {
        shifts.insert(edge, after / 60);
        Some(i)
    } else {
        shifts.insert(edge, -(before / 60));
        (i + 1 < days.days.len()).then_some(i + 1)
    }
}

/// Per local day, the kWh of each flow and the consumption; `None` for a
/// day without any data.
pub struct Report {
    pub days: Vec<(Day, Option<BTreeMap<&'static str, f64>>)>,
    pub shifts: Vec<Shift>,
    /// Decimals the input values carry (at most 6): what is printed.
    pub decimals: usize,
}

/// Decimals of `v` as its shortest text shows them.
pub fn decimals_of(v: f64) -> usize {
    let text = format!("{v}");
    if text.contains('e') {
        return 6;
    }
    text.split_once('.').map_or(0, |(_, d)| d.len()).min(6)
}

/// A sum without float noise (Neumaier's compensated summation).
#[derive(Debug, Default, Clone, Copy)]
pub struct Sum {
    sum: f64,
    compensation: f64,
}

impl Sum {
    pub fn add(&mut self, v: f64) {
        let t = self.sum + v;
        if self.sum.abs() >= v.abs() {
            self.compensation += (self.sum - t) + v;
        } else {
            self.compensation += (v - t) + self.sum;
        }
        self.sum = t;
    }

    pub fn value(self) -> f64 {
        self.sum + self.compensation
    }
}

/// `v` rounded to `decimals`, without `-0`.
pub fn round(v: f64, decimals: usize) -> f64 {
    let scale = 10f64.powi(i32::try_from(decimals).unwrap_or(6));
    let r = (v * scale).round() / scale;
    if r == 0.0 { 0.0 } else { r }
}

/// `v` printed with `decimals` decimals.
pub fn fixed(v: Option<f64>, decimals: usize) -> String {
    match v {
        Some(v) if v.is_finite() => format!("{:.*}", decimals, round(v, decimals)),
        _ => String::new(),
    }
}

impl Report {
    /// Sum the points of `stats` into `days`. `quarters`: the stats are in
    /// 15 minutes (a point at a whole hour with no quarter after it in
    /// any code stands for the whole hour: older firmware).
    pub fn build(stats: &Stats, days: &Days, quarters: bool) -> Report {
        let codes: BTreeSet<&str> = FLOWS.iter().map(|(c, _)| *c).collect();
        // Hours that hold quarter points in some code.
        let mut quartered: BTreeSet<i64> = BTreeSet::new();
        let mut decimals = 0;
        for code in &codes {
            for (_, p) in stats.series(code).into_iter().flat_map(|s| s.iter()) {
                let t = p.timestamp_ms.div_euclid(1000);
                if t.rem_euclid(HOUR) != 0 {
                    quartered.insert(t - t.rem_euclid(HOUR));
                }
                if let Some(v) = p.value {
                    decimals = decimals.max(decimals_of(v));
                }
            }
        }
        let mut sums: Vec<Option<BTreeMap<&'static str, Sum>>> = vec![None; days.days.len()];
        let mut shifts: BTreeMap<Date, i64> = BTreeMap::new();
        for (code, _) in FLOWS {
            let Some(series) = stats.series(code) else {
                continue;
            };
            for (_, point) in series.iter() {
                let Some(value) = point.value.filter(|v| v.is_finite()) else {
                    continue;
                };
                let t = point.timestamp_ms.div_euclid(1000);
                let span = if !quarters || (t.rem_euclid(HOUR) == 0 && !quartered.contains(&t)) {
                    HOUR
                } else {
                    QUARTER
                };
                // The day that holds most of the bucket (a tie: the later
                // one), or none when most of it lies outside the report; a
                // bucket cut by an edge moves that edge, which is noted.
                let Some(index) = assign(days, t, span, &mut shifts) else {
                    continue;
                };
                let flows = sums[index].get_or_insert_with(BTreeMap::new);
                flows.entry(code).or_default().add(value);
                if TO_CONSUMERS.contains(&code) {
                    flows.entry("consumption").or_default().add(value);
                }
            }
        }
        let days_out = days
            .days
            .iter()
            .zip(sums)
            .map(|(day, sums)| {
                let values = sums.map(|flows| {
                    let mut values: BTreeMap<&'static str, f64> =
                        flows.into_iter().map(|(k, s)| (k, s.value())).collect();
                    // A day with data: a flow without a point is 0 (VRM
                    // lists no bucket of a flow that did not flow).
                    for (code, _) in FLOWS {
                        values.entry(code).or_insert(0.0);
                    }
                    values.entry("consumption").or_insert(0.0);
                    values
                });
                (*day, values)
            })
            .collect();
        Report {
            days: days_out,
            shifts: shifts
                .into_iter()
                .filter(|(_, m)| *m != 0)
                .map(|(date, minutes)| Shift { date, minutes })
                .collect(),
            decimals,
        }
    }

    /// The totals over the days with data; `None` when no day has any.
    pub fn totals(&self) -> Option<BTreeMap<&'static str, f64>> {
        let mut totals: BTreeMap<&'static str, Sum> = BTreeMap::new();
        let mut any = false;
        for values in self.days.iter().filter_map(|(_, v)| v.as_ref()) {
            any = true;
            for (code, value) in values {
                totals.entry(code).or_default().add(*value);
            }
        }
        any.then(|| totals.into_iter().map(|(k, s)| (k, s.value())).collect())
    }

    /// Days without data.
    pub fn missing(&self) -> usize {
        self.days.iter().filter(|(_, v)| v.is_none()).count()
    }

    /// The lines that say which day edges moved.
    pub fn shift_notes(&self) -> Vec<String> {
        self.shifts
            .iter()
            .map(|s| {
                format!(
                    "the day edge at {} 00:00 (local) is {} min {}: VRM holds only the whole hour around it",
                    s.date,
                    s.minutes.abs(),
                    if s.minutes < 0 { "earlier" } else { "later" }
                )
            })
            .collect()
    }

    /// The `data` of `--format json`.
    pub fn json(&self, site: u64, days: &Days) -> Value {
        let d = self.decimals;
        let flows = |values: Option<&BTreeMap<&'static str, f64>>| {
            let mut m = Map::new();
            for (code, _) in FLOWS {
                m.insert(
                    code.to_owned(),
                    json!(values.and_then(|v| v.get(code)).map(|x| round(*x, d))),
                );
            }
            m.insert(
                "consumption".into(),
                json!(
                    values
                        .and_then(|v| v.get("consumption"))
                        .map(|x| round(*x, d))
                ),
            );
            m
        };
        let rows: Vec<Value> = self
            .days
            .iter()
            .map(|(day, values)| {
                let mut m = flows(values.as_ref());
                m.insert("date".into(), json!(day.date.to_string()));
                m.insert("start".into(), json!(day.start));
                m.insert("end".into(), json!(day.end));
                Value::Object(m)
            })
            .collect();
        let (start, end) = days.span();
        json!({
            "site": site,
            "timezone": days.tz_name,
            "start": start,
            "end": end,
            "unit": "kWh",
            "days": rows,
            "totals": Value::Object(flows(self.totals().as_ref())),
            "missing_days": self.missing(),
            "shifted_edges": self.shifts.iter().map(|s| json!({
                "date": s.date.to_string(),
                "minutes": s.minutes,
            })).collect::<Vec<_>>(),
        })
    }

    /// The table: a row per day (blank where there is no data), then the
    /// totals.
    pub fn table(&self) -> Table {
        let mut header = vec!["date".to_owned()];
        header.extend(FLOWS.iter().map(|(_, label)| format!("{label} kWh")));
        header.push("use kWh".into());
        let columns: Vec<usize> = (1..header.len()).collect();
        let mut table = Table::with_header(header).numeric(&columns);
        let d = self.decimals;
        let row = |label: String, values: Option<&BTreeMap<&'static str, f64>>| {
            let mut row = vec![label];
            let cell = |code: &str| fixed(values.and_then(|v| v.get(code)).copied(), d);
            row.extend(FLOWS.iter().map(|(code, _)| cell(code)));
            row.push(cell("consumption"));
            row
        };
        for (day, values) in &self.days {
            table.push(row(day.date.to_string(), values.as_ref()));
        }
        table.push(row("total".into(), self.totals().as_ref()));
        table
    }

    /// A bar per day: what the consumers used, by source
    /// (`#` solar, `=` grid and genset, `+` battery).
    pub fn chart(&self) -> Vec<String> {
        const WIDTH: f64 = 40.0;
        let max = self
            .days
            .iter()
            .filter_map(|(_, v)| v.as_ref()?.get("consumption").copied())
            .fold(0.0_f64, f64::max);
        let mut lines = vec![
            String::new(),
            "consumption by source (# solar, = grid and genset, + battery):".into(),
        ];
        for (day, values) in &self.days {
            let Some(values) = values else {
                lines.push(format!("{} |{:<40}| no data", day.date, ""));
                continue;
            };
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
                "{} |{bar:<40}| {} kWh",
                day.date,
                fixed(values.get("consumption").copied(), self.decimals)
            ));
        }
        lines
    }
}

/// The local date a `--from`/`--to` text names when it is a bare date
/// (`2024-11-20`: the site's local midnight), else `None`.
pub fn bare_date(text: &str) -> Option<Date> {
    let t = text.trim();
    if t.len() != 10 {
        return None;
    }
    t.parse::<Date>().ok()
}

/// The local date of `now` in `tz`, moved by `days`.
pub fn today_plus(tz: &TimeZone, now: Zoned, days: i64) -> Result<Date, String> {
    let today = now.with_time_zone(tz.clone()).date();
    today
        .checked_add(jiff::Span::new().days(days))
        .map_err(|e| format!("{days} days from {today}: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(text: &str) -> Date {
        text.parse().unwrap()
    }

    #[test]
    fn days_follow_the_local_calendar_across_dst() {
        // 2026-10-25: Europe/Amsterdam leaves summer time; the day is 25 h.
        let days =
            Days::between("Europe/Amsterdam", date("2026-10-25"), date("2026-10-25")).unwrap();
        assert_eq!(days.days[0].start, 1_792_879_200);
        assert_eq!(days.days[0].end - days.days[0].start, 25 * 3600);
        assert!(
            Days::between("Mars/Olympus", date("2026-01-01"), date("2026-01-01"))
                .unwrap_err()
                .contains("Mars/Olympus")
        );
    }

    #[test]
    fn half_hour_zones_need_quarters_and_whole_hour_zones_do_not() {
        let kolkata =
            Days::between("Asia/Kolkata", date("2024-11-20"), date("2024-11-21")).unwrap();
        assert_eq!(kolkata.days.len(), 2);
        assert!(kolkata.needs_quarters());
        // 2024-11-20T00:00+05:30 is 2024-11-19T18:30Z.
        assert_eq!(kolkata.days[0].start, 1_732_041_000);
        assert_eq!(kolkata.window().0, 1_732_039_200);
        let berlin =
            Days::between("Europe/Berlin", date("2024-11-20"), date("2024-11-21")).unwrap();
        assert!(!berlin.needs_quarters());
        // A year is 366 days in 2024, whatever the zone.
        let year = Days::between("Asia/Kolkata", date("2024-01-01"), date("2024-12-31")).unwrap();
        assert_eq!(year.days.len(), 366);
    }

    #[test]
    fn sums_carry_no_float_noise() {
        let mut sum = Sum::default();
        for _ in 0..10 {
            sum.add(0.1);
        }
        assert_eq!(sum.value(), 1.0);
        assert_eq!(fixed(Some(62.801734999999994), 3), "62.802");
        assert_eq!(fixed(Some(-0.0001), 3), "0.000");
        assert_eq!(fixed(None, 3), "");
        assert_eq!(decimals_of(0.125), 3);
        assert_eq!(decimals_of(2.0), 0);
    }

    fn stats(points: &[(&'static str, i64, f64)]) -> Stats {
        let mut series: BTreeMap<&str, Vec<Value>> = BTreeMap::new();
        for (code, t, v) in points {
            series.entry(code).or_default().push(json!([t * 1000, v]));
        }
        serde_json::from_value(json!({ "series": series })).unwrap()
    }

    #[test]
    fn whole_hours_around_an_edge_go_to_one_day_and_say_so() {
        let days = Days::between("Asia/Kolkata", date("2024-11-20"), date("2024-11-21")).unwrap();
        let edge = days.days[1].start; // 2024-11-20T18:30Z
        let hour = edge - 1800;
        // Old firmware: a 15-minute query answered with whole hours only.
        let s = stats(&[
            ("Pc", hour - 3600, 1.0),
            ("Pc", hour, 2.0),
            ("Pc", hour + 3600, 4.0),
        ]);
        let report = Report::build(&s, &days, true);
        let first = report.days[0].1.as_ref().unwrap();
        let second = report.days[1].1.as_ref().unwrap();
        // A tie goes to the later day, which starts 30 minutes early.
        assert_eq!((first["Pc"], second["Pc"]), (1.0, 6.0));
        assert_eq!(
            report.shifts,
            [Shift {
                date: date("2024-11-21"),
                minutes: -30
            }]
        );
        // +05:45: an hour 15 minutes outside the report's start goes in,
        // one 45 minutes outside its end stays out; both edges are said.
        let days = Days::between("Asia/Kathmandu", date("2024-11-20"), date("2024-11-21")).unwrap();
        let (start, end) = days.span();
        let s = stats(&[("Pc", start - 900, 8.0), ("Pc", end - 900, 4.0)]);
        let report = Report::build(&s, &days, false);
        assert_eq!(report.days[0].1.as_ref().unwrap()["Pc"], 8.0);
        assert_eq!(report.days[1].1, None);
        assert_eq!(
            report.shifts,
            [
                Shift {
                    date: date("2024-11-20"),
                    minutes: -15
                },
                Shift {
                    date: date("2024-11-22"),
                    minutes: -15
                }
            ]
        );
    }

    #[test]
    fn a_day_without_data_is_missing_not_zero() {
        let days = Days::between("UTC", date("2024-11-20"), date("2024-11-22")).unwrap();
        let s = stats(&[("Pc", days.days[1].start, 3.0)]);
        let report = Report::build(&s, &days, false);
        assert!(report.days[0].1.is_none() && report.days[2].1.is_none());
        let day = report.days[1].1.as_ref().unwrap();
        assert_eq!((day["Pc"], day["Bg"], day["consumption"]), (3.0, 0.0, 3.0));
        assert_eq!(report.missing(), 2);
        let table = report.table();
        let json = report.json(1, &days);
        assert_eq!(json["days"][0]["Pc"], Value::Null);
        assert_eq!(json["totals"]["Pc"], 3.0);
        drop(table);
    }
}
