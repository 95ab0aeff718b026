//! `vrm forecast SITE [--from --to]`: VRM's solar and consumption
//! forecasts (`stats?type=forecast`), by default from now to 48 hours
//! ahead, with when VRM made them.

use std::io::Write;

use clap::Args;
use serde_json::Value;
use time::OffsetDateTime;
use vrm::models::Stats;
use vrm::{Fetched, SiteId, StatsQuery, TimeWindow};

use crate::cmd::stats::{stats_json, stats_output};
use crate::commands::{Result, client, emit, format_of, interval, now, site_id, usage};
use crate::output::Format;
use crate::times::{parse_duration_secs, parse_time, rfc3339};
use crate::{Cli, Out};

/// The arguments of `vrm forecast`.
#[derive(Debug, Args)]
pub struct ForecastArgs {
    /// Installation id.
    pub site: String,
    /// Start: the forms of --from elsewhere, or +6h / +2d ahead (default: now).
    #[arg(long, value_name = "TIME", allow_hyphen_values = true)]
    pub from: Option<String>,
    /// End, in the same forms (default: 48 hours after the start).
    #[arg(long, value_name = "TIME", allow_hyphen_values = true)]
    pub to: Option<String>,
    /// 15mins, hours, 2hours, days, weeks, months or years.
    #[arg(long, default_value = "hours")]
    pub interval: String,
    #[command(flatten)]
    pub out: Out,
}

/// A time of `--from`/`--to`: the usual forms, or `+DURATION` after `now`.
fn time_of(text: &str, now: OffsetDateTime, flag: &str) -> Result<OffsetDateTime> {
    if let Some(ahead) = text.trim().strip_prefix('+') {
        return parse_duration_secs(ahead)
            .and_then(|secs| now.checked_add(time::Duration::seconds(secs)))
            .ok_or_else(|| {
                usage(format!(
                    "{flag}: time {text:?}: expected +DURATION such as +6h or +2d, or a time"
                ))
            });
    }
    parse_time(text, now).map_err(|e| usage(format!("{flag}: {e}")))
}

/// Fetch and print the forecast.
pub fn run(cli: &Cli, args: &ForecastArgs, out: &mut dyn Write) -> Result<()> {
    let site = site_id(&args.site)?;
    let interval = interval(&args.interval)?;
    let now = now();
    let from = match &args.from {
        Some(text) => time_of(text, now, "--from")?,
        None => now,
    };
    let to = match &args.to {
        Some(text) => time_of(text, now, "--to")?,
        None => from + time::Duration::hours(48),
    };
    let window = TimeWindow::new(from, to)?;
    let client = client(cli, false)?;
    let query = StatsQuery::forecast(window, interval);
    let forecast = client.site(site).forecast(window, interval)?;
    print(site, &query, &forecast, format_of(cli, &args.out), out)
}

/// Print a forecast like stats, with when VRM made it: a note under the
/// table, `fetched_at` in the JSON data (CSV stays the bare points).
pub fn print(
    site: SiteId,
    query: &StatsQuery,
    forecast: &Fetched<Stats>,
    format: Format,
    out: &mut dyn Write,
) -> Result<()> {
    let fetched_at = forecast.fetched_at().unix_timestamp();
    let mut output = stats_output(query, forecast, format);
    let mut data = stats_json(site, query, forecast);
    if let Value::Object(map) = &mut data {
        map.insert("fetched_at".into(), Value::from(fetched_at));
    }
    output.data = data;
    let output = output.note(format!(
        "forecast fetched at {} ({})",
        rfc3339(fetched_at),
        forecast.source().as_str()
    ));
    emit(&output, format, out)
}
