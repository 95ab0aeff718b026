//! `vrm overview` and `vrm diagnostics`: what one installation is made of and reads now.

use std::io::Write;

use clap::Args;

use crate::commands::*;
use crate::output::{Output, Table, cell, text};
use crate::{Cli, Out};

#[derive(Debug, Args)]
pub struct OverviewArgs {
    /// Installation id.
    pub site: String,
    #[command(flatten)]
    pub out: Out,
}

/// `vrm overview`.
pub fn overview(cli: &Cli, args: &OverviewArgs, out: &mut dyn Write) -> Result<()> {
    let OverviewArgs { site, out: o } = args;

    let site = site_id(site)?;
    let client = client(cli, false)?;
    let overview = client.site(site).system_overview()?;
    let mut table =
        Table::new(["name", "product", "instance", "firmware", "last connection"]).numeric(&[2]);
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

#[derive(Debug, Args)]
pub struct DiagnosticsArgs {
    /// Installation id.
    pub site: String,
    /// At most this many records.
    #[arg(long, default_value_t = 1000)]
    pub count: u32,
    /// Only page N of --count records (1 is the first); the notes say how
    /// many records VRM holds in all.
    #[arg(long, value_name = "N")]
    pub page: Option<u32>,
    #[command(flatten)]
    pub out: Out,
}

/// `vrm diagnostics`.
pub fn diagnostics(cli: &Cli, args: &DiagnosticsArgs, out: &mut dyn Write) -> Result<()> {
    let DiagnosticsArgs {
        site,
        count,
        page,
        out: o,
    } = args;

    let site = site_id(site)?;
    let client = client(cli, false)?;
    let (records, note) = match page {
        None => (client.site(site).diagnostics(*count)?, None),
        Some(page) => {
            let fetched = client.site(site).diagnostics_page(*count, *page)?;
            let note = format!(
                "page {} of {} records a page; VRM holds {} in all",
                fetched.page,
                count,
                fetched
                    .num_records
                    .map_or_else(|| "an unknown number".to_owned(), |n| n.to_string())
            );
            (fetched.map(|p| p.records), Some(note))
        }
    };
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
    let mut output = Output::from(&records, to_json(records.value()), table);
    if let Some(note) = note {
        output = output.note(note);
    }
    emit(&output, format_of(cli, o), out)
}
