//! `vrm demo`: the whole flow on VRM's demo account.

use std::io::Write;
use std::time::Duration;

use clap::Args;
use serde_json::json;
use vrm::{CacheMode, Client, Interval, StatsQuery, TimeWindow};

use crate::cmd::account::installations_output;
use crate::cmd::report::{Bound, combine};
use crate::cmd::stats::{stats_json, stats_output};
use crate::commands::*;
use crate::output::{Format, Output, Table, escape};
use crate::{Cli, Failure, Out};

#[derive(Debug, Args)]
pub struct DemoArgs {
    #[command(flatten)]
    pub out: Out,
}

/// `vrm demo`.
pub fn demo(cli: &Cli, args: &DemoArgs, out: &mut dyn Write) -> Result<()> {
    let DemoArgs { out: o } = args;
    run_demo(cli, format_of(cli, o), out)
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

fn run_demo(cli: &Cli, format: Format, out: &mut dyn Write) -> Result<()> {
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
    // The last three whole days in the site's own time zone.
    let report =
        crate::cmd::report::build(&client, site, Bound::Today(-3), Bound::Today(0))?.output;
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
