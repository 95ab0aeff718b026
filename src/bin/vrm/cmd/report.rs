//! `vrm report SITE --from --to [--html FILE] [--svg FILE]`: energy flows
//! per local day, as a table, a terminal chart, and a chart to open.

use std::io::Write;
use std::path::{Path, PathBuf};

use clap::Args;
use jiff::civil::Date;
use vrm::{Client, Interval, SiteId, Source, StatsQuery, TimeWindow};

use crate::commands::{Result, client, emit, format_of, now, site_id};
use crate::output::{Output, escape};
use crate::progress::Progress;
use crate::report::svg::{self, Page};
use crate::report::{Days, Report, bare_date, codes, date_of, today_plus, zone};
use crate::times::{parse_time, rfc3339};
use crate::{Cli, Failure, Out};

/// The arguments of `vrm report`.
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// Installation id.
    pub site: String,
    /// First day: a date (2024-11-20: the site's local midnight), or any
    /// time (RFC 3339, unix seconds, -7d …): the local day holding it.
    #[arg(long, value_name = "TIME", allow_hyphen_values = true)]
    pub from: String,
    /// End, exclusive: a date (its local midnight; --from 2024-11-20 --to
    /// 2024-11-21 is one day), or a time (the days up to it).
    #[arg(long, value_name = "TIME", allow_hyphen_values = true)]
    pub to: String,
    /// Also write the report as one self-contained HTML page (chart,
    /// table, where the data came from) to FILE.
    #[arg(long, value_name = "FILE")]
    pub html: Option<PathBuf>,
    /// Also write the chart alone as SVG to FILE.
    #[arg(long, value_name = "FILE")]
    pub svg: Option<PathBuf>,
    #[command(flatten)]
    pub out: Out,
}

/// One end of a report.
#[derive(Debug, Clone, Copy)]
pub enum Bound {
    /// An instant (unix s): the local day holding it.
    At(i64),
    /// A local date (its midnight).
    Date(Date),
    /// Today in the site's zone, moved by some days.
    Today(i64),
}

fn bound(text: &str, option: &str) -> Result<Bound> {
    if let Some(date) = bare_date(text) {
        return Ok(Bound::Date(date));
    }
    parse_time(text, now())
        .map(|t| Bound::At(t.unix_timestamp()))
        .map_err(|e| Failure::Usage(format!("{option}: {e}")))
}

pub fn run(cli: &Cli, args: &ReportArgs, out: &mut dyn Write) -> Result<()> {
    let site = site_id(&args.site)?;
    let from = bound(&args.from, "--from")?;
    let to = bound(&args.to, "--to")?;
    let client = client(cli, false)?;
    let built = build(&client, site, from, to)?;
    for (path, text, what) in [
        (&args.html, built.html.as_str(), "HTML report"),
        (&args.svg, built.svg.as_str(), "SVG chart"),
    ] {
        if let Some(path) = path {
            write_file(path, text, what)?;
        }
    }
    emit(&built.output, format_of(cli, &args.out), out)
}

/// Write `text` to `path` whole (a temporary file renamed over it), so a
/// reader never sees half a report.
fn write_file(path: &Path, text: &str, what: &str) -> Result<()> {
    let fail = |e: std::io::Error| Failure::Io(format!("{what} {}: {e}", path.display()));
    let mut partial = path.as_os_str().to_owned();
    partial.push(".partial");
    let partial = PathBuf::from(partial);
    std::fs::write(&partial, text).map_err(fail)?;
    std::fs::rename(&partial, path).map_err(|e| {
        let _ = std::fs::remove_file(&partial);
        fail(e)
    })
}

/// A report in every form.
pub struct Built {
    pub output: Output,
    pub html: String,
    pub svg: String,
}

/// The report of `site` over the local days from `from` to `to`
/// (exclusive).
pub fn build(client: &Client, site: SiteId, from: Bound, to: Bound) -> Result<Built> {
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
    let tz = zone(&tz_name).map_err(Failure::Answer)?;
    let today = |days: i64| {
        let now = jiff::Timestamp::from_second(now().unix_timestamp())
            .map_err(|e| Failure::Answer(e.to_string()))?
            .to_zoned(tz.clone());
        today_plus(&tz, now, days).map_err(Failure::Answer)
    };
    let first = match from {
        Bound::At(t) => date_of(&tz, t).map_err(Failure::Answer)?,
        Bound::Date(d) => d,
        Bound::Today(n) => today(n)?,
    };
    let last = match to {
        Bound::At(t) => date_of(&tz, t.saturating_sub(1)).map_err(Failure::Answer)?,
        Bound::Date(d) => d
            .yesterday()
            .map_err(|e| Failure::Usage(format!("--to: {e}")))?,
        Bound::Today(n) => today(n - 1)?,
    };
    let days = Days::between(&tz_name, first, last).map_err(Failure::Usage)?;
    let quarters = days.needs_quarters();
    let (start, end) = days.window();
    let window = TimeWindow::from_unix(start, end)?;
    let interval = if quarters {
        Interval::FifteenMinutes
    } else {
        Interval::Hours
    };
    let mut bar = Progress::new("report");
    let stats = client.site(site).stats_with_progress(
        &StatsQuery::custom(window, interval, codes()),
        &mut |done, total| bar.update(done, total),
    )?;
    drop(bar);
    let report = Report::build(&stats, &days, quarters);
    let source = combine(sites.source(), stats.source());
    let requests = sites.requests() + stats.requests();
    let name = installation.name.as_deref().unwrap_or("?");
    let mut notes = report.shift_notes();
    if report.missing() > 0 {
        notes.push(format!(
            "{} of {} days have no data at VRM (shown blank, not 0)",
            report.missing(),
            days.days.len()
        ));
    }
    let provenance = format!(
        "{} ({tz_name}), {} days from {first} to {last}, {} data, from {} ({})",
        name,
        days.days.len(),
        interval,
        source.as_str(),
        requests_text(requests)
    );
    let mut output = Output {
        source,
        requests,
        data: report.json(site.get(), &days),
        table: report.table(),
        notes: Vec::new(),
    };
    for line in report.chart() {
        output = output.note(line);
    }
    for line in &notes {
        output = output.note(line.clone());
    }
    output = output.note(escape(&provenance).into_owned());
    let title = format!("Energy report: {name}");
    let (span_start, span_end) = days.span();
    let page = Page {
        title: &title,
        facts: vec![
            ("site", format!("{site} ({name})")),
            ("time zone", tz_name.clone()),
            (
                "days",
                format!("{first} to {last} ({} local days)", days.days.len()),
            ),
            (
                "window",
                format!("{} to {}", rfc3339(span_start), rfc3339(span_end)),
            ),
            (
                "data",
                format!(
                    "VRM stats, {interval} buckets; {} ({}), fetched {}",
                    source.as_str(),
                    requests_text(requests),
                    rfc3339(stats.fetched_at().unix_timestamp())
                ),
            ),
        ],
        notes: notes.clone(),
    };
    Ok(Built {
        html: svg::html(&report, &page),
        svg: svg::chart(&report, &title),
        output,
    })
}

fn requests_text(n: u32) -> String {
    if n == 1 {
        "1 request".to_owned()
    } else {
        format!("{n} requests")
    }
}

/// The source of an answer made of two.
pub fn combine(a: Source, b: Source) -> Source {
    match (a, b) {
        (x, y) if x == y => x,
        (Source::Stale, _) | (_, Source::Stale) => Source::Stale,
        _ => Source::Mixed,
    }
}
