//! `vrm stats` and `vrm overall`: energy and other attributes over a window, and the period totals.

use std::io::Write;

use clap::Args;
use serde_json::Value;
use vrm::models::{Series, Stats};
use vrm::{Fetched, OverallStatsQuery, SiteId, StatsQuery, TimeWindow};

use crate::commands::*;
use crate::output::{Format, Output, Table, num, write_json};
use crate::progress::Progress;
use crate::times::rfc3339;
use crate::{Cli, Out, StatsType, Window};

#[derive(Debug, Args)]
pub struct StatsArgs {
    /// Installation id.
    pub site: String,
    /// kwh, custom, venus, live_feed, consumption, solar_yield,
    /// generator, generator-runtime or forecast.
    #[arg(long = "type", value_enum, default_value = "kwh")]
    pub kind: StatsType,
    /// Attribute codes for --type custom, comma separated.
    #[arg(long, value_delimiter = ',')]
    pub codes: Vec<String>,
    /// 15mins, hours, 2hours, days, weeks, months or years.
    #[arg(long, default_value = "hours")]
    pub interval: String,
    #[command(flatten)]
    pub window: Window,
    /// Per device instance.
    #[arg(long)]
    pub instances: bool,
    #[command(flatten)]
    pub out: Out,
}

/// `vrm stats`.
pub fn stats(cli: &Cli, args: &StatsArgs, out: &mut dyn Write) -> Result<()> {
    let StatsArgs {
        site,
        kind,
        codes,
        interval: i,
        window: w,
        instances,
        out: o,
    } = args;

    let site = site_id(site)?;
    let interval = interval(i)?;
    let window = window(w)?;
    let kind = stats_kind(cli, *kind, codes)?;
    let client = client(cli, false)?;
    let query = StatsQuery::new(window, interval, kind).show_instance(*instances);
    let mut bar = Progress::new("stats");
    let stats = client
        .site(site)
        .stats_with_progress(&query, &mut |done, total| bar.update(done, total))?;
    drop(bar);
    let format = format_of(cli, o);
    if query.kind().is_forecast() {
        return crate::cmd::forecast::print(site, &query, &stats, format, out);
    }
    let written = if format == Format::Json {
        // Streamed: a year of hours is 50,000 points, written
        // without a tree of values or a copy of the text.
        let data = stats_data(site, &query, &stats);
        write_json(out, stats.source(), stats.requests(), |out| {
            // Serialised into memory sized once (about 24 bytes a
            // point), then written in one piece: serde's many small
            // writes through `dyn Write` would cost more.
            let mut json = Vec::with_capacity(stats.point_count() * 24 + 1024);
            serde_json::to_writer(&mut json, &data)?;
            out.write_all(&json)
        })
        .or_else(ignore_broken_pipe)
    } else {
        emit(&stats_output(&query, &stats, format), format, out)
    };
    // The process ends next: freeing every point would be wasted work.
    std::mem::forget(stats);
    written
}

#[derive(Debug, Args)]
pub struct OverallArgs {
    /// Installation id.
    pub site: String,
    /// kwh, custom, venus, live_feed, consumption, solar_yield,
    /// generator or generator-runtime (default: VRM's live-feed totals).
    #[arg(long = "type", value_enum)]
    pub kind: Option<StatsType>,
    /// Attribute codes for --type custom, comma separated.
    #[arg(long, value_delimiter = ',')]
    pub codes: Vec<String>,
    #[command(flatten)]
    pub out: Out,
}

/// `vrm overall`.
pub fn overall(cli: &Cli, args: &OverallArgs, out: &mut dyn Write) -> Result<()> {
    let OverallArgs {
        site,
        kind,
        codes,
        out: o,
    } = args;

    let site = site_id(site)?;
    let query = match kind {
        None if !codes.is_empty() => {
            return Err(usage("--codes goes with --type custom"));
        }
        None => OverallStatsQuery::new(),
        Some(StatsType::Forecast) => {
            return Err(usage(
                "--type forecast is for `vrm stats` and `vrm forecast`; overallstats has no forecasts",
            ));
        }
        Some(k) => OverallStatsQuery::of(stats_kind(cli, *k, codes)?),
    };
    let client = client(cli, false)?;
    let overall = client.site(site).overall_stats(&query)?;
    let mut table = Table::new(["period", "code", "total", "percent"]).numeric(&[2, 3]);
    for (period, values) in &overall.periods {
        for (code, total) in &values.totals {
            table.push(vec![
                period.clone(),
                code.clone(),
                num(*total),
                num(values.percentage(code)),
            ]);
        }
    }
    emit(
        &Output::from(&overall, to_json(overall.value()), table),
        format_of(cli, o),
        out,
    )
}

/// A point as `[t, v]` (or `[t, v, min, max]`), t in unix seconds.
struct PointJson<'a>(&'a vrm::models::Point);

impl serde::Serialize for PointJson<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        use serde::ser::SerializeSeq;
        let p = self.0;
        let full = p.min.is_some() || p.max.is_some();
        let mut seq = s.serialize_seq(Some(if full { 4 } else { 2 }))?;
        seq.serialize_element(&p.timestamp_ms.div_euclid(1000))?;
        seq.serialize_element(&p.value)?;
        if full {
            seq.serialize_element(&p.min)?;
            seq.serialize_element(&p.max)?;
        }
        seq.end()
    }
}

/// A series: its points, or its points per instance.
struct SeriesJson<'a>(&'a Series);

impl serde::Serialize for SeriesJson<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        match self.0 {
            Series::PerInstance(map) => {
                let mut m = s.serialize_map(Some(map.len()))?;
                for (instance, points) in map {
                    m.serialize_entry(&instance.to_string(), &points_json(points))?;
                }
                m.end()
            }
            other => s.collect_seq(other.points().iter().map(PointJson)),
        }
    }
}

fn points_json(points: &[vrm::models::Point]) -> Vec<PointJson<'_>> {
    points.iter().map(PointJson).collect()
}

/// The `data` of `stats --format json`, serialised as it is written.
#[cfg(test)]
mod tests {
    #[test]
    fn float_noise_goes_and_digits_stay() {
        use super::denoise;
        assert_eq!(denoise(62.801734999999994), 62.801735);
        assert_eq!(denoise(55.75), 55.75);
        assert_eq!(denoise(0.1 + 0.2), 0.3);
        assert_eq!(denoise(1234567.891), 1234567.891);
        assert_eq!(denoise(-2.5e-7), -2.5e-7);
        assert!(denoise(f64::NAN).is_nan());
    }
}

#[derive(serde::Serialize)]
struct StatsJson<'a> {
    site: u64,
    #[serde(rename = "type")]
    kind: &'a str,
    interval: &'a str,
    start: i64,
    end: i64,
    series: std::collections::BTreeMap<&'a str, SeriesJson<'a>>,
    /// Without float noise: VRM's own sums show some
    /// (`62.801734999999994`), printed at 12 significant digits.
    totals: std::collections::BTreeMap<&'a str, Option<f64>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    instance_totals: Option<
        &'a std::collections::BTreeMap<String, std::collections::BTreeMap<u32, Option<f64>>>,
    >,
}

/// `v` at 12 significant digits: the last bits of a float sum
/// (`62.801734999999994` → `62.801735`) go, every digit a reading has stays.
pub(crate) fn denoise(v: f64) -> f64 {
    if !v.is_finite() || v == 0.0 {
        return v;
    }
    let magnitude = v.abs().log10().floor() as i32;
    let decimals = (11 - magnitude).clamp(0, 15);
    let scale = 10f64.powi(decimals);
    let r = (v * scale).round() / scale;
    if r.is_finite() { r } else { v }
}

fn stats_data<'a>(site: SiteId, query: &'a StatsQuery, stats: &'a Stats) -> StatsJson<'a> {
    let window = query.window();
    StatsJson {
        site: site.get(),
        kind: query.kind().as_str(),
        interval: query.interval().as_str(),
        start: window.start(),
        end: window.end(),
        series: stats
            .series
            .iter()
            .map(|(code, s)| (code.as_str(), SeriesJson(s)))
            .collect(),
        totals: stats
            .totals
            .iter()
            .map(|(code, v)| (code.as_str(), v.map(denoise)))
            .collect(),
        instance_totals: query.is_show_instance().then_some(&stats.instance_totals),
    }
}

/// The `data` of `stats --format json` as a value (small answers).
pub(crate) fn stats_json(site: SiteId, query: &StatsQuery, stats: &Stats) -> Value {
    to_json(&stats_data(site, query, stats))
}

/// The table or CSV form of stats (JSON is streamed apart).
pub(crate) fn stats_output(query: &StatsQuery, stats: &Fetched<Stats>, format: Format) -> Output {
    let window = query.window();
    let kwh = query.kind().as_str() == "kwh";
    let unit = |code: &str| match vrm::catalog::unit(code) {
        Some(u) => format!(" {u}"),
        None if kwh => " kWh".to_owned(),
        None => String::new(),
    };
    // The codes in the order asked, then any other the answer holds.
    let asked = query.kind().codes();
    let mut codes: Vec<&String> = asked
        .iter()
        .filter(|c| stats.series.contains_key(*c))
        .collect();
    codes.extend(stats.series.keys().filter(|c| !asked.contains(c)));
    let data = Value::Null;
    let table = if format == Format::Csv {
        // Long form: one row per point.
        let mut table = Table::new(["time", "code", "instance", "value", "min", "max"]);
        for code in &codes {
            let Some(s) = stats.series.get(*code) else {
                continue;
            };
            for (instance, p) in s.iter() {
                table.push(vec![
                    rfc3339(p.timestamp_ms.div_euclid(1000)),
                    (*code).clone(),
                    instance.map(|i| i.to_string()).unwrap_or_default(),
                    num_full(p.value),
                    num_full(p.min),
                    num_full(p.max),
                ]);
            }
        }
        table
    } else {
        // Wide form: a row per bucket, a column per code (and instance).
        let mut columns: Vec<(String, Option<u32>)> = Vec::new();
        let mut rows: std::collections::BTreeMap<i64, Vec<Option<f64>>> = Default::default();
        for code in &codes {
            let Some(s) = stats.series.get(*code) else {
                continue;
            };
            let code = *code;
            let keys: Vec<Option<u32>> = match s {
                Series::PerInstance(map) => map.keys().map(|i| Some(*i)).collect(),
                _ => vec![None],
            };
            for key in keys {
                columns.push((code.clone(), key));
            }
        }
        for (c, (code, instance)) in columns.iter().enumerate() {
            let Some(s) = stats.series.get(code) else {
                continue;
            };
            for (i, p) in s.iter() {
                if i != *instance {
                    continue;
                }
                let row = rows
                    .entry(p.timestamp_ms.div_euclid(1000))
                    .or_insert_with(|| vec![None; columns.len()]);
                row[c] = p.value;
            }
        }
        let mut header = vec!["time".to_owned()];
        header.extend(columns.iter().map(|(code, i)| match i {
            Some(i) => format!("{code}#{i}{}", unit(code)),
            None => format!("{code}{}", unit(code)),
        }));
        let numeric: Vec<usize> = (1..header.len()).collect();
        let mut table = Table::with_header(header).numeric(&numeric);
        for (t, values) in rows {
            let mut row = vec![rfc3339(t)];
            row.extend(values.into_iter().map(num));
            table.push(row);
        }
        let mut total = vec!["total".to_owned()];
        total.extend(columns.iter().map(|(code, i)| {
            match i {
                Some(i) => num(stats
                    .instance_totals
                    .get(code)
                    .and_then(|m| m.get(i))
                    .copied()
                    .flatten()),
                None => num(stats.total(code)),
            }
        }));
        table.push(total);
        table
    };
    let mut output = Output::from(stats, data, table);
    if let Some(kwh) = stats.total("kwh") {
        output = output.note(format!("all codes: {} kWh", num(Some(kwh))));
    }
    output.note(format!(
        "{} from {} ({})",
        window_text(window),
        stats.source().as_str(),
        requests_text(stats.requests())
    ))
}

/// "1 request", "4 requests".
fn requests_text(n: u32) -> String {
    if n == 1 {
        "1 request".to_owned()
    } else {
        format!("{n} requests")
    }
}

fn window_text(w: TimeWindow) -> String {
    format!("{} .. {}", rfc3339(w.start()), rfc3339(w.end()))
}

/// A number for CSV: full precision.
fn num_full(v: Option<f64>) -> String {
    v.map(|v| v.to_string()).unwrap_or_default()
}
