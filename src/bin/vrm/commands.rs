//! Each command: parse its input, call the library, shape the output.

use std::io::Write;
use std::time::Duration;

use serde_json::{Value, json};
use time::OffsetDateTime;
use vrm::models::{Series, Stats};
use vrm::{
    Cache, CacheKind, CacheMode, Client, DownloadData, DownloadFormat, Fetched, GraphQuery,
    Interval, OverallStatsQuery, Purge, Revoke, SiteId, Source, StatsQuery, TimeWindow, Widget,
    WidgetQuery,
};

use crate::output::{
    Format, Output, Table, cell, document, escape, num, text, write_json, write_json_line,
};
use crate::progress::Progress;
use crate::report::{Report, local_days};
use crate::times::{parse_age, parse_time, rfc3339};
use crate::{CacheAction, Cli, Command, Failure, Out, StatsType, TokensAction, Window};

pub(crate) type Result<T> = std::result::Result<T, Failure>;

pub(crate) fn usage(message: impl Into<String>) -> Failure {
    Failure::Usage(message.into())
}

pub(crate) fn now() -> OffsetDateTime {
    OffsetDateTime::now_utc()
}

pub(crate) fn site_id(text: &str) -> Result<SiteId> {
    text.trim().parse::<SiteId>().map_err(|_| {
        usage(format!(
            "site {text:?}: expected an installation id, a number (see `vrm installations`)"
        ))
    })
}

pub(crate) fn window(w: &Window) -> Result<TimeWindow> {
    let now = now();
    let from = parse_time(&w.from, now).map_err(|e| usage(format!("--from: {e}")))?;
    let to = parse_time(&w.to, now).map_err(|e| usage(format!("--to: {e}")))?;
    Ok(TimeWindow::new(from, to)?)
}

pub(crate) fn interval(text: &str) -> Result<Interval> {
    Ok(text.parse::<Interval>()?)
}

pub(crate) fn stats_kind(kind: StatsType, codes: &[String]) -> Result<Option<Vec<String>>> {
    let codes: Vec<String> = codes
        .iter()
        .map(|c| c.trim().to_owned())
        .filter(|c| !c.is_empty())
        .collect();
    match kind {
        StatsType::Kwh if !codes.is_empty() => Err(usage(
            "--codes goes with --type custom; --type kwh is VRM's fixed energy set",
        )),
        StatsType::Kwh => Ok(None),
        StatsType::Custom if codes.is_empty() => Err(usage(
            "--type custom needs --codes, for example --codes bs,bv (see `vrm codes`)",
        )),
        StatsType::Custom => Ok(Some(codes)),
    }
}

/// The effective output format.
pub(crate) fn format_of(cli: &Cli, out: &Out) -> Format {
    out.format.or(cli.format).unwrap_or_default()
}

/// Open the cache the options ask for.
pub(crate) fn open_cache(cli: &Cli) -> Result<Option<Cache>> {
    let g = &cli.global;
    if g.no_cache {
        if g.offline {
            return Err(usage("--offline needs the cache; drop --no-cache"));
        }
        return Ok(None);
    }
    let from_env = std::env::var(CACHE_URL_ENV)
        .ok()
        .filter(|v| !v.trim().is_empty());
    Ok(Some(match (&g.cache, from_env) {
        // A PostgreSQL URL (or `sqlite:PATH`), else a file path as given.
        (Some(path), _) => match path.to_str() {
            Some(text) if is_url(text) => Cache::open_url(text)?,
            _ => Cache::open(path)?,
        },
        (None, Some(url)) => Cache::open_url(url.trim())?,
        (None, None) => Cache::open_default()?,
    }))
}

/// The variable naming the cache when `--cache` does not: a
/// `postgres://…` URL (the shared cache) or a file path.
pub(crate) const CACHE_URL_ENV: &str = "VRM_CACHE_URL";

/// Whether `--cache` names a URL rather than a file.
fn is_url(text: &str) -> bool {
    let lower = text.trim_start().to_ascii_lowercase();
    ["postgres://", "postgresql://", "sqlite:"]
        .iter()
        .any(|scheme| lower.starts_with(scheme))
}

/// A client with the credentials of the environment (or the demo account).
pub(crate) fn client(cli: &Cli, demo: bool) -> Result<Client> {
    let g = &cli.global;
    let mut builder = Client::builder();
    if let Some(url) = &g.base_url {
        builder = builder.base_url(url);
    }
    if let Some(timeout) = g.timeout {
        builder = builder.timeout(timeout);
    }
    let env = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
    builder = if demo || g.demo {
        builder.demo()
    } else if let Some(token) = env("VRM_TOKEN") {
        builder.personal_token(token.trim())
    } else if let (Some(user), Some(password)) = (env("VRM_USERNAME"), env("VRM_PASSWORD")) {
        let builder = builder.credentials(user, password);
        match env("VRM_SMS_TOKEN") {
            Some(code) => builder.sms_token(code.trim()),
            None => builder,
        }
    } else if g.offline {
        // No credentials, offline: the cache's own account (the only one
        // it holds for the host, or the one --account names).
        builder
    } else {
        return Err(usage(
            "no credentials: set VRM_TOKEN (a personal access token), or VRM_USERNAME and \
             VRM_PASSWORD, or use --demo (offline, --account ID picks a cached account)",
        ));
    };
    let account = match &g.account {
        Some(text) => Some(text.clone()),
        None => env("VRM_ACCOUNT"),
    };
    if let Some(text) = account {
        let id = text.trim().parse::<vrm::UserId>().map_err(|_| {
            usage(format!(
                "--account {text:?}: expected a VRM user id, a number (see `vrm cache info`)"
            ))
        })?;
        builder = builder.account(id);
    }
    let anonymous = g.offline
        && !(demo || g.demo)
        && env("VRM_TOKEN").is_none()
        && (env("VRM_USERNAME").is_none() || env("VRM_PASSWORD").is_none());
    if let Some(cache) = open_cache(cli)? {
        builder = builder.cache(cache);
    }
    let mode = if g.offline {
        CacheMode::Offline
    } else if g.refresh {
        CacheMode::Refresh
    } else {
        CacheMode::PreferCache
    };
    let client = builder.cache_mode(mode).build()?;
    if anonymous {
        let id = client.user_id()?;
        eprintln!(
            "vrm: offline without credentials: the cache of account {id} at {}",
            client.base_url()
        );
    }
    Ok(client)
}

pub(crate) fn emit(output: &Output, format: Format, out: &mut dyn Write) -> Result<()> {
    output.write(format, out).or_else(ignore_broken_pipe)
}

/// `vrm … | head`: the reader has what it wanted; other write errors fail.
pub(crate) fn ignore_broken_pipe(e: std::io::Error) -> Result<()> {
    if e.kind() == std::io::ErrorKind::BrokenPipe {
        Ok(())
    } else {
        Err(Failure::Io(format!("writing the output: {e}")))
    }
}

pub(crate) fn to_json<T: serde::Serialize>(value: &T) -> Value {
    serde_json::to_value(value).unwrap_or(Value::Null)
}

pub(crate) fn time_text(unix: Option<i64>) -> String {
    unix.map(rfc3339).unwrap_or_default()
}

pub fn run(cli: &Cli, out: &mut dyn Write) -> Result<()> {
    match &cli.command {
        Command::Demo { out: o } => demo(cli, format_of(cli, o), out),
        Command::Login { name, out: o } => login(cli, name.as_deref(), format_of(cli, o), out),
        Command::Me { out: o } => {
            let client = client(cli, false)?;
            let me = client.me()?;
            let mut table = Table::new(["field", "value"]);
            for (field, value) in [
                ("id", me.id.to_string()),
                ("name", text(me.name.as_deref())),
                ("email", text(me.email.as_deref())),
                ("country", text(me.country.as_deref())),
                (
                    "access level",
                    me.access_level.map(|l| l.to_string()).unwrap_or_default(),
                ),
            ] {
                table.push(vec![field.into(), value]);
            }
            emit(
                &Output::from(&me, to_json(me.value()), table),
                format_of(cli, o),
                out,
            )
        }
        Command::Installations { extended, out: o } => {
            let client = client(cli, false)?;
            let id = client.user_id()?;
            let user = client.user(id);
            let sites = if *extended {
                user.installations_extended()?
            } else {
                user.installations()?
            };
            emit(
                &installations_output(&sites, *extended),
                format_of(cli, o),
                out,
            )
        }
        Command::Overview { site, out: o } => {
            let site = site_id(site)?;
            let client = client(cli, false)?;
            let overview = client.site(site).system_overview()?;
            let mut table =
                Table::new(["name", "product", "instance", "firmware", "last connection"])
                    .numeric(&[2]);
            for d in &overview.devices {
                table.push(vec![
                    // VRM sends "" for a device that was never renamed.
                    text(
                        d.custom_name
                            .as_deref()
                            .filter(|n| !n.trim().is_empty())
                            .or(d.name.as_deref()),
                    ),
                    text(d.product_name.as_deref()),
                    d.instance.map(|i| i.to_string()).unwrap_or_default(),
                    text(d.firmware_version.as_deref()),
                    time_text(d.last_connection),
                ]);
            }
            emit(
                &Output::from(&overview, to_json(overview.value()), table),
                format_of(cli, o),
                out,
            )
        }
        Command::Diagnostics {
            site,
            count,
            out: o,
        } => {
            let site = site_id(site)?;
            let client = client(cli, false)?;
            let records = client.site(site).diagnostics(*count)?;
            let mut table = Table::new([
                "attribute",
                "code",
                "instance",
                "description",
                "value",
                "time",
            ])
            .numeric(&[0, 2]);
            for r in records.iter() {
                table.push(vec![
                    r.id_data_attribute
                        .map(|a| a.to_string())
                        .unwrap_or_default(),
                    text(r.code.as_deref()),
                    r.instance.map(|i| i.to_string()).unwrap_or_default(),
                    text(r.description.as_deref()),
                    r.formatted_value
                        .clone()
                        .or_else(|| r.raw_value.as_ref().map(cell))
                        .unwrap_or_default(),
                    time_text(r.timestamp),
                ]);
            }
            emit(
                &Output::from(&records, to_json(records.value()), table),
                format_of(cli, o),
                out,
            )
        }
        Command::Stats {
            site,
            kind,
            codes,
            interval: i,
            window: w,
            instances,
            out: o,
        } => {
            let site = site_id(site)?;
            let interval = interval(i)?;
            let window = window(w)?;
            let codes = stats_kind(*kind, codes)?;
            let client = client(cli, false)?;
            let query = match &codes {
                None => StatsQuery::kwh(window, interval),
                Some(codes) => StatsQuery::custom(window, interval, codes.iter().cloned()),
            }
            .show_instance(*instances);
            let mut bar = Progress::new("stats");
            let stats = client
                .site(site)
                .stats_with_progress(&query, &mut |done, total| bar.update(done, total))?;
            drop(bar);
            let format = format_of(cli, o);
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
        Command::Overall {
            site,
            kind,
            codes,
            out: o,
        } => {
            let site = site_id(site)?;
            let query = match kind {
                None if !codes.is_empty() => {
                    return Err(usage("--codes goes with --type custom"));
                }
                None => OverallStatsQuery::new(),
                Some(k) => match stats_kind(*k, codes)? {
                    None => OverallStatsQuery::kwh(),
                    Some(codes) => OverallStatsQuery::custom(codes),
                },
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
        Command::Graph {
            site,
            codes,
            instance,
            window: w,
            out: o,
        } => {
            let site = site_id(site)?;
            let window = window(w)?;
            let mut query =
                GraphQuery::new(codes.iter().map(|c| c.trim().to_owned())).window(window);
            if let Some(i) = instance {
                query = query.instance(*i);
            }
            let client = client(cli, false)?;
            let graph = client.site(site).graph(&query)?;
            let mut table = Table::new(["time", "code", "value", "min", "max"]).numeric(&[2, 3, 4]);
            for (code, points) in graph.by_code() {
                for p in points {
                    table.push(vec![
                        rfc3339(p.timestamp_s),
                        code.to_owned(),
                        num(p.value),
                        num(p.min),
                        num(p.max),
                    ]);
                }
            }
            emit(
                &Output::from(&graph, to_json(graph.value()), table),
                format_of(cli, o),
                out,
            )
        }
        Command::Widget {
            site,
            name,
            instance,
            window: w,
            out: o,
        } => {
            let site = site_id(site)?;
            let widget: Widget = name.parse()?;
            let mut query = WidgetQuery::new();
            if let Some(i) = instance {
                query = query.instance(*i);
            }
            if let (Some(from), Some(to)) = (&w.from, &w.to) {
                query = query.window(window(&Window {
                    from: from.clone(),
                    to: to.clone(),
                })?);
            }
            let client = client(cli, false)?;
            let records = client.site(site).widget(&widget, &query)?;
            let mut table = Table::new(["field", "value"]);
            flatten(&records.data, String::new(), &mut table);
            emit(
                &Output::from(&records, to_json(records.value()), table),
                format_of(cli, o),
                out,
            )
        }
        Command::Download {
            site,
            window: w,
            file_format,
            datatype,
            output,
        } => {
            let site = site_id(site)?;
            let window = window(w)?;
            let format = match file_format.as_str() {
                "csv" => DownloadFormat::Csv,
                "xls" => DownloadFormat::Xls,
                other => return Err(usage(format!("--format {other:?}: expected csv or xls"))),
            };
            let data = match datatype.as_str() {
                "log" => DownloadData::Log,
                "kwh" => DownloadData::Kwh,
                other => return Err(usage(format!("--datatype {other:?}: expected log or kwh"))),
            };
            let client = client(cli, false)?;
            let bytes = client.site(site).data_download(window, format, data)?;
            std::fs::write(output, bytes.value())
                .map_err(|e| Failure::Io(format!("writing {}: {e}", output.display())))?;
            let mut table = Table::new(["file", "bytes"]).numeric(&[1]);
            table.push(vec![output.display().to_string(), bytes.len().to_string()]);
            let data = json!({"file": output.display().to_string(), "bytes": bytes.len()});
            emit(
                &Output::from(&bytes, data, table),
                cli.format.unwrap_or_default(),
                out,
            )
        }
        Command::Gps {
            site,
            window: w,
            output,
        } => {
            let site = site_id(site)?;
            let window = window(w)?;
            let client = client(cli, false)?;
            let gps = client.site(site).gps_download(window)?;
            let body = match gps.kml() {
                Some(kml) => kml.to_owned(),
                None => to_json(gps.value()).to_string(),
            };
            match output {
                Some(path) => std::fs::write(path, body.as_bytes())
                    .map_err(|e| Failure::Io(format!("writing {}: {e}", path.display()))),
                // On stdout, control characters of VRM's text escaped.
                None => match gps.kml() {
                    Some(_) => writeln!(out, "{}", document(&body)),
                    None => write_json_line(out, &body),
                }
                .map_err(|e| Failure::Io(e.to_string())),
            }
        }
        Command::Tags { site, out: o } => {
            let site = site_id(site)?;
            let client = client(cli, false)?;
            let tags = client.site(site).tags()?;
            let mut table = Table::new(["source", "tag"]);
            for (source, names) in vrm::models::Tag::by_source(&tags) {
                for name in names {
                    table.push(vec![source.to_owned(), name.to_owned()]);
                }
            }
            emit(
                &Output::from(&tags, json!({ "tags": tags.value() }), table),
                format_of(cli, o),
                out,
            )
        }
        Command::Tokens { action } => tokens(cli, action, out),
        Command::Call(args) => crate::cmd::call::run(cli, args, out),
        Command::Cache { action } => cache(cli, action, out),
        Command::Codes {
            search,
            device,
            out: o,
        } => codes(search.as_deref(), device.as_deref(), format_of(cli, o), out),
        Command::Report {
            site,
            window: w,
            out: o,
        } => {
            let site = site_id(site)?;
            let window = window(w)?;
            let client = client(cli, false)?;
            let format = format_of(cli, o);
            let output = report(&client, site, window.start(), window.end())?;
            emit(&output, format, out)
        }
        Command::Sync(args) => crate::cmd::sync::run(cli, args, out),
        Command::Completions { shell } => {
            let mut command = <Cli as clap::CommandFactory>::command();
            clap_complete::generate(*shell, &mut command, "vrm", out);
            Ok(())
        }
    }
}

fn installations_output(sites: &Fetched<Vec<vrm::models::Installation>>, extended: bool) -> Output {
    let mut header = vec!["id", "name", "identifier", "timezone"];
    if extended {
        header.extend(["alarm", "last seen"]);
    }
    let mut table =
        Table::with_header(header.iter().map(|h| (*h).to_owned()).collect()).numeric(&[0]);
    for s in sites.iter() {
        let mut row = vec![
            s.id_site.to_string(),
            text(s.name.as_deref()),
            text(s.identifier.as_deref()),
            text(s.timezone.as_deref()),
        ];
        if extended {
            row.push(
                s.alarm
                    .map(|a| if a { "yes" } else { "no" }.to_owned())
                    .unwrap_or_default(),
            );
            row.push(time_text(s.last_timestamp));
        }
        table.push(row);
    }
    Output::from(sites, to_json(sites.value()), table)
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
#[derive(serde::Serialize)]
struct StatsJson<'a> {
    site: u64,
    #[serde(rename = "type")]
    kind: &'a str,
    interval: &'a str,
    start: i64,
    end: i64,
    series: std::collections::BTreeMap<&'a str, SeriesJson<'a>>,
    totals: &'a std::collections::BTreeMap<String, Option<f64>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    instance_totals: Option<
        &'a std::collections::BTreeMap<String, std::collections::BTreeMap<u32, Option<f64>>>,
    >,
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
        totals: &stats.totals,
        instance_totals: query.is_show_instance().then_some(&stats.instance_totals),
    }
}

/// The `data` of `stats --format json` as a value (small answers).
fn stats_json(site: SiteId, query: &StatsQuery, stats: &Stats) -> Value {
    to_json(&stats_data(site, query, stats))
}

/// The table or CSV form of stats (JSON is streamed apart).
fn stats_output(query: &StatsQuery, stats: &Fetched<Stats>, format: Format) -> Output {
    let window = query.window();
    let unit = if query.kind().as_str() == "kwh" {
        " kWh"
    } else {
        ""
    };
    let data = Value::Null;
    let table = if format == Format::Csv {
        // Long form: one row per point.
        let mut table = Table::new(["time", "code", "instance", "value", "min", "max"]);
        for (code, s) in &stats.series {
            for (instance, p) in s.iter() {
                table.push(vec![
                    p.timestamp_ms.div_euclid(1000).to_string(),
                    code.clone(),
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
        for (code, s) in &stats.series {
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
            Some(i) => format!("{code}#{i}{unit}"),
            None => format!("{code}{unit}"),
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
        output = output.note(format!("all codes: {}{unit}", num(Some(kwh))));
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

/// Rows `path = value` for every scalar in `value`.
fn flatten(value: &Value, path: String, table: &mut Table) {
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                let p = if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                };
                flatten(v, p, table);
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                flatten(v, format!("{path}[{i}]"), table);
            }
        }
        scalar => table.push(vec![path, cell(scalar)]),
    }
}

fn login(cli: &Cli, name: Option<&str>, format: Format, out: &mut dyn Write) -> Result<()> {
    let env = |n: &str| std::env::var(n).ok().filter(|v| !v.trim().is_empty());
    let (Some(user), Some(password)) = (env("VRM_USERNAME"), env("VRM_PASSWORD")) else {
        return Err(usage(
            "login needs VRM_USERNAME and VRM_PASSWORD in the environment (and VRM_SMS_TOKEN \
             for two-factor accounts)",
        ));
    };
    let mut builder = Client::builder().credentials(user, password);
    if let Some(code) = env("VRM_SMS_TOKEN") {
        builder = builder.sms_token(code.trim());
    }
    if let Some(url) = &cli.global.base_url {
        builder = builder.base_url(url);
    }
    if let Some(timeout) = cli.global.timeout {
        builder = builder.timeout(timeout);
    }
    if cli.global.offline {
        // The library refuses every request offline, with the reason.
        builder = builder.cache_mode(CacheMode::Offline);
    }
    let client = builder.build()?;
    let id = client.login()?;
    let name = name.map_or_else(
        || format!("vrm-cli-{}", now().unix_timestamp()),
        str::to_owned,
    );
    let created = client.user(id).create_access_token(&name)?;
    let mut table = Table::new(["field", "value"]);
    table.push(vec!["user".into(), id.to_string()]);
    table.push(vec!["token name".into(), name.clone()]);
    table.push(vec!["token id".into(), created.id_access_token.to_string()]);
    table.push(vec!["token".into(), created.token.clone()]);
    let data = json!({
        "user": id.get(),
        "name": name,
        "idAccessToken": created.id_access_token.get(),
        "token": created.token,
    });
    let output = Output::from(&created, data, table)
        .note("VRM shows this token only once. Use it with:")
        .note(format!("  export VRM_TOKEN={}", created.token));
    // Not logged out: the bearer session simply expires.
    emit(&output, format, out)
}

fn tokens(cli: &Cli, action: &TokensAction, out: &mut dyn Write) -> Result<()> {
    let client = client(cli, false)?;
    let user = client.user(client.user_id()?);
    match action {
        TokensAction::List { out: o } => {
            let tokens = user.access_tokens()?;
            let mut table = Table::new(["id", "name", "created", "expires", "scope"]).numeric(&[0]);
            for t in tokens.iter() {
                table.push(vec![
                    t.id_access_token.to_string(),
                    t.name.clone(),
                    time_text(t.created_on),
                    time_text(t.expires),
                    text(t.scope.as_deref()),
                ]);
            }
            emit(
                &Output::from(&tokens, to_json(tokens.value()), table),
                format_of(cli, o),
                out,
            )
        }
        TokensAction::Create { name, out: o } => {
            let created = user.create_access_token(name)?;
            let mut table = Table::new(["id", "name", "token"]);
            table.push(vec![
                created.id_access_token.to_string(),
                name.clone(),
                created.token.clone(),
            ]);
            let data = json!({"idAccessToken": created.id_access_token.get(), "name": name, "token": created.token});
            let output =
                Output::from(&created, data, table).note("VRM shows this token only once.");
            emit(&output, format_of(cli, o), out)
        }
        TokensAction::Revoke { id, out: o } => {
            let which = if id.trim() == "*" {
                Revoke::All
            } else {
                Revoke::Id(id.trim().parse().map_err(|_| {
                    usage(format!(
                        "token {id:?}: expected a token id (see `vrm tokens list`) or '*'"
                    ))
                })?)
            };
            let removed = user.revoke_access_token(which)?;
            let mut table = Table::new(["revoked"]).numeric(&[0]);
            table.push(vec![removed.to_string()]);
            emit(
                &Output::from(&removed, json!({"removed": *removed}), table),
                format_of(cli, o),
                out,
            )
        }
    }
}

fn cache(cli: &Cli, action: &CacheAction, out: &mut dyn Write) -> Result<()> {
    let Some(cache) = open_cache(cli)? else {
        return Err(usage("--no-cache: there is no cache to show or purge"));
    };
    match action {
        CacheAction::Info { out: o } => {
            let info = cache.info()?;
            let mut table = Table::new(["site", "kind", "rows"]).numeric(&[0, 2]);
            let mut sites = Vec::new();
            for s in &info.sites {
                let mut kinds = serde_json::Map::new();
                for k in &s.kinds {
                    table.push(vec![
                        s.site.map(|x| x.to_string()).unwrap_or_else(|| "-".into()),
                        k.kind.as_str().to_owned(),
                        k.rows.to_string(),
                    ]);
                    kinds.insert(k.kind.as_str().to_owned(), json!(k.rows));
                }
                sites.push(json!({"site": s.site.map(SiteId::get), "rows": kinds}));
            }
            let path = info.path.as_ref().map(|p| p.display().to_string());
            let data = json!({
                "path": path,
                "location": info.location,
                "size_bytes": info.size_bytes,
                "sites": sites
            });
            let output = Output::local(data, table)
                .note(format!("{}: {} bytes", info.location, info.size_bytes));
            emit(&output, format_of(cli, o), out)
        }
        CacheAction::Purge {
            site,
            kind,
            older_than,
            out: o,
        } => {
            let mut purge = Purge::all();
            if let Some(site) = site {
                purge = purge.site(site_id(site)?);
            }
            if let Some(kind) = kind {
                let k = CacheKind::from_name(kind).ok_or_else(|| {
                    let names: Vec<&str> = CacheKind::ALL.iter().map(|k| k.as_str()).collect();
                    usage(format!(
                        "--kind {kind:?}: expected one of {}",
                        names.join(", ")
                    ))
                })?;
                purge = purge.kind(k);
            }
            if let Some(age) = older_than {
                purge = purge
                    .older_than(parse_age(age).map_err(|e| usage(format!("--older-than: {e}")))?);
            }
            let deleted = cache.purge(&purge, now())?;
            cache.vacuum()?;
            let mut table = Table::new(["deleted rows"]).numeric(&[0]);
            table.push(vec![deleted.to_string()]);
            emit(
                &Output::local(json!({"deleted": deleted}), table),
                format_of(cli, o),
                out,
            )
        }
    }
}

fn codes(
    search: Option<&str>,
    device: Option<&str>,
    format: Format,
    out: &mut dyn Write,
) -> Result<()> {
    // Both tables (attributes and energy codes): an empty search matches all.
    let mut rows: Vec<&'static vrm::catalog::Attribute> =
        vrm::catalog::search(search.unwrap_or("")).collect();
    if let Some(device) = device {
        let types = vrm::catalog::device_types();
        if !types.iter().any(|t| t.eq_ignore_ascii_case(device)) {
            return Err(usage(format!(
                "--device {device:?}: expected one of {}",
                types.join(", ")
            )));
        }
        rows.retain(|a| a.device_type.eq_ignore_ascii_case(device));
    }
    let mut table = Table::new(["code", "device type", "data type", "description"]);
    let mut data = Vec::new();
    for a in &rows {
        table.push(vec![
            a.code.to_owned(),
            a.device_type.to_owned(),
            a.data_type.as_str().to_owned(),
            a.description.to_owned(),
        ]);
        data.push(json!({
            "code": a.code,
            "device_type": a.device_type,
            "data_type": a.data_type.as_str(),
            "description": a.description,
        }));
    }
    let output = Output::local(Value::Array(data), table);
    emit(&output, format, out)
}

/// The energy report of `site` over the local days covering `[from, to)`.
fn report(client: &Client, site: SiteId, from: i64, to: i64) -> Result<Output> {
    let sites = client.installations()?;
    let Some(installation) = sites.iter().find(|s| s.id_site == site) else {
        return Err(Failure::Answer(format!(
            "site {site}: not among this account's installations (see `vrm installations`)"
        )));
    };
    let tz_name = installation
        .timezone
        .clone()
        .unwrap_or_else(|| "UTC".into());
    let days = local_days(&tz_name, from, to).map_err(Failure::Answer)?;
    let window = TimeWindow::from_unix(days.start, days.end)?;
    let mut bar = Progress::new("report");
    let stats = client.site(site).stats_with_progress(
        &StatsQuery::kwh(window, Interval::Hours),
        &mut |done, total| bar.update(done, total),
    )?;
    drop(bar);
    let report = Report::build(&stats, &days);
    let source = combine(sites.source(), stats.source());
    let mut output = Output {
        source,
        requests: sites.requests() + stats.requests(),
        data: report.json(site.get(), &days),
        table: report.table(),
        notes: Vec::new(),
    };
    for line in report.chart() {
        output = output.note(line);
    }
    Ok(output.note(format!(
        "{} ({tz_name}), from {} ({})",
        installation.name.as_deref().unwrap_or("?"),
        source.as_str(),
        requests_text(sites.requests() + stats.requests())
    )))
}

/// The source of an answer made of two.
fn combine(a: Source, b: Source) -> Source {
    match (a, b) {
        (x, y) if x == y => x,
        (Source::Stale, _) | (_, Source::Stale) => Source::Stale,
        _ => Source::Mixed,
    }
}

/// `vrm demo`: the whole flow on the demo account.
/// The two ways on when the demo account cannot be used.
const DEMO_WAYS_ON: &str = "set VRM_TOKEN to a personal access token (VRM → Preferences → \
    Integrations → Access tokens) and run `vrm installations`, or run `cargo run --example \
    local_demo`, which needs no network";

/// The demo's first call failed: say why in one line, and the ways on.
fn demo_failure(e: vrm::Error) -> Failure {
    match &e {
        vrm::Error::Unauthorized(_) | vrm::Error::Api(_) => Failure::Answer(format!(
            "vrm refused the demo login ({e}); Victron deprecated bearer logins, the demo's \
             among them, from June 2026: {DEMO_WAYS_ON}"
        )),
        vrm::Error::Transport(_) => Failure::Network(format!(
            "could not reach VRM ({e}); check the network, or {DEMO_WAYS_ON}"
        )),
        _ => Failure::Vrm(e),
    }
}

fn demo(cli: &Cli, format: Format, out: &mut dyn Write) -> Result<()> {
    let g = &cli.global;
    let mut builder = Client::builder()
        .demo()
        .connect_timeout(Duration::from_secs(5))
        .timeout(Duration::from_secs(30))
        .max_retries(1);
    if let Some(url) = &g.base_url {
        builder = builder.base_url(url);
    }
    if let Some(timeout) = g.timeout {
        builder = builder.timeout(timeout);
    }
    if let Some(cache) = open_cache(cli)? {
        builder = builder.cache(cache);
    }
    if g.offline {
        builder = builder.cache_mode(CacheMode::Offline);
    } else if g.refresh {
        builder = builder.cache_mode(CacheMode::Refresh);
    }
    let client = builder.build()?;
    let sites = client.installations().map_err(demo_failure)?;
    let Some(first) = sites.first() else {
        return Err(Failure::Answer(
            "the demo account lists no installation".into(),
        ));
    };
    let site = first.id_site;
    let now = now().unix_timestamp();
    let today = now - now.rem_euclid(86_400);
    let week = TimeWindow::from_unix(today - 7 * 86_400, today)?;
    let stats = client
        .site(site)
        .stats(&StatsQuery::kwh(week, Interval::Days))?;
    let report = report(&client, site, today - 3 * 86_400, today)?;
    let source = combine(combine(sites.source(), stats.source()), report.source);
    let requests = sites.requests() + stats.requests() + report.requests;
    let data = json!({
        "installations": to_json(sites.value()),
        "stats": stats_json(site, &StatsQuery::kwh(week, Interval::Days), &stats),
        "report": report.data,
    });
    match format {
        Format::Json => emit(
            &Output {
                source,
                requests,
                data,
                table: Table::default(),
                notes: Vec::new(),
            },
            format,
            out,
        ),
        _ => {
            let w = |out: &mut dyn Write, line: String| {
                writeln!(out, "{line}").map_err(|e| Failure::Io(e.to_string()))
            };
            w(out, format!("VRM demo account at {}", client.base_url()))?;
            w(out, format!("\n{} installations:", sites.len()))?;
            emit(&installations_output(&sites, false), format, out)?;
            w(
                out,
                format!(
                    "\nkWh per day for site {site} ({}):",
                    installation_name(first)
                ),
            )?;
            emit(
                &stats_output(&StatsQuery::kwh(week, Interval::Days), &stats, format),
                format,
                out,
            )?;
            w(out, "\nenergy report, last 3 days:".into())?;
            emit(&report, format, out)?;
            w(
                out,
                if source.is_cache() {
                    format!(
                        "\nanswered from the cache ({}): 0 requests to VRM",
                        source.as_str()
                    )
                } else {
                    format!(
                        "\n{requests} requests to VRM (source: {}); run `vrm demo` again to see the cache answer",
                        source.as_str()
                    )
                },
            )
        }
    }
}

fn installation_name(site: &vrm::models::Installation) -> String {
    escape(site.name.as_deref().unwrap_or("?")).into_owned()
}
