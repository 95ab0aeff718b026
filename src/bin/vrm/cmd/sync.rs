//! `vrm sync SITE` and `vrm sync --all`: fill the cache with stats over a
//! long range, for one site or the whole fleet; resumable.

use std::io::Write;

use clap::Args;
use serde_json::json;
use vrm::{Interval, SiteId, StatsQuery};

use crate::commands::{
    Result, client, emit, format_of, interval, site_id, stats_kind, usage, window,
};
use crate::output::{Output, Table, escape, text};
use crate::progress::Progress;
use crate::times::rfc3339;
use crate::{Cli, Failure, Out, StatsType, Window};

/// The arguments of `vrm sync`.
#[derive(Debug, Args)]
pub struct SyncArgs {
    /// Installation id (or --all).
    #[arg(required_unless_present = "all", conflicts_with = "all")]
    pub site: Option<String>,
    /// Every site of the account.
    #[arg(long)]
    pub all: bool,
    /// Start, in the forms of --from elsewhere (default: a year ago).
    #[arg(
        long,
        value_name = "TIME",
        allow_hyphen_values = true,
        default_value = "-365d"
    )]
    pub from: String,
    /// End (default: now).
    #[arg(
        long,
        value_name = "TIME",
        allow_hyphen_values = true,
        default_value = "now"
    )]
    pub to: String,
    /// 15mins, hours, 2hours, days, weeks, months or years.
    #[arg(long, default_value = "hours")]
    pub interval: String,
    /// The stats type (kwh, custom with --codes, venus, …; not forecast).
    #[arg(long = "type", value_enum, default_value = "kwh")]
    pub kind: StatsType,
    /// Attribute codes for --type custom, comma separated.
    #[arg(long, value_delimiter = ',')]
    pub codes: Vec<String>,
    #[command(flatten)]
    pub out: Out,
}

pub fn run(cli: &Cli, args: &SyncArgs, out: &mut dyn Write) -> Result<()> {
    let site = args.site.as_deref().map(site_id).transpose()?;
    let window = window(&Window {
        from: args.from.clone(),
        to: args.to.clone(),
    })?;
    let interval = interval(&args.interval)?;
    let kind = stats_kind(cli, args.kind, &args.codes)?;
    if kind.is_forecast() {
        return Err(usage(
            "sync fills the cache with history; forecasts are not history (see `vrm forecast`)",
        ));
    }
    if cli.global.no_cache {
        return Err(usage("sync fills the cache; drop --no-cache"));
    }
    let query = StatsQuery::new(window, interval, kind);
    let client = client(cli, false)?;
    match site {
        Some(site) => one(cli, &client, site, &query, &args.out, out),
        None => fleet(cli, &client, &query, &args.out, out),
    }
}

fn one(
    cli: &Cli,
    client: &vrm::Client,
    site: SiteId,
    query: &StatsQuery,
    o: &Out,
    out: &mut dyn Write,
) -> Result<()> {
    let window = query.window();
    let mut bar = Progress::new("sync");
    let stats = client
        .site(site)
        .stats_with_progress(query, &mut |done, total| bar.update(done, total))?;
    drop(bar);
    let points = stats.point_count();
    let mut table =
        Table::new(["site", "from", "to", "points", "requests", "source"]).numeric(&[3, 4]);
    table.push(vec![
        site.to_string(),
        rfc3339(window.start()),
        rfc3339(window.end()),
        points.to_string(),
        stats.requests().to_string(),
        stats.source().as_str().to_owned(),
    ]);
    let data = json!({
        "site": site.get(),
        "type": query.kind().as_str(),
        "interval": interval_name(query.interval()),
        "start": window.start(),
        "end": window.end(),
        "points": points,
    });
    emit(&Output::from(&stats, data, table), format_of(cli, o), out)
}

fn interval_name(interval: Interval) -> String {
    interval.to_string()
}

fn fleet(
    cli: &Cli,
    client: &vrm::Client,
    query: &StatsQuery,
    o: &Out,
    out: &mut dyn Write,
) -> Result<()> {
    let mut bar = Progress::new("sync");
    let report = client.sync_fleet(query, &mut |p| {
        bar.relabel(format!("sync {}/{} sites", p.sites_done, p.sites));
        bar.update(p.requests_done, p.requests_planned);
    })?;
    drop(bar);
    let mut table = Table::new([
        "site", "name", "points", "requests", "source", "seconds", "error",
    ])
    .numeric(&[0, 2, 3, 5]);
    let mut rows = Vec::new();
    for s in &report.sites {
        let error = s.error.as_ref().map(|e| e.to_string());
        table.push(vec![
            s.site.to_string(),
            text(s.name.as_deref()),
            s.points.to_string(),
            s.requests.to_string(),
            s.source.map(|x| x.as_str()).unwrap_or("-").to_owned(),
            format!("{:.1}", s.elapsed.as_secs_f64()),
            error.clone().unwrap_or_default(),
        ]);
        rows.push(json!({
            "site": s.site.get(),
            "name": s.name,
            "points": s.points,
            "requests": s.requests,
            "source": s.source.map(|x| x.as_str()),
            "seconds": s.elapsed.as_secs_f64(),
            "error": error,
        }));
    }
    let failures = report.failures().count();
    let summary = format!(
        "{} sites, {} requests, {} points, {:.1} s, {} failed",
        report.sites.len(),
        report.requests,
        report.points(),
        report.elapsed.as_secs_f64(),
        failures
    );
    let data = json!({
        "type": query.kind().as_str(),
        "interval": interval_name(query.interval()),
        "start": query.window().start(),
        "end": query.window().end(),
        "sites": rows,
        "requests": report.requests,
        "points": report.points(),
        "seconds": report.elapsed.as_secs_f64(),
        "failed": failures,
    });
    let source = if report.requests == 0 {
        vrm::Source::Cache
    } else {
        vrm::Source::Network
    };
    let output = Output {
        source,
        requests: report.requests,
        data,
        table,
        notes: vec![summary.clone()],
    };
    emit(&output, format_of(cli, o), out)?;
    if failures > 0 {
        let first = report
            .failures()
            .next()
            .map(|s| {
                format!(
                    "site {}: {}",
                    s.site,
                    escape(&s.error.as_ref().map(|e| e.to_string()).unwrap_or_default())
                )
            })
            .unwrap_or_default();
        return Err(Failure::Answer(format!(
            "{failures} of {} sites failed (first: {first}); run again to fetch what is missing",
            report.sites.len()
        )));
    }
    Ok(())
}
