//! `vrm attributes [WORD]`: VRM's live attribute catalogue
//! (`GET /data-attributes`); `vrm attributes --query "bs>=50,IV1!"`: the
//! account's installations matching attribute conditions
//! (`GET /installation-data-attributes`).

use std::io::Write;

use clap::Args;
use serde_json::json;
use vrm::AttributeQuery;

use crate::commands::{Result, client, emit, format_of, time_text, to_json};
use crate::output::{Output, Table, cell, text};
use crate::{Cli, Out};

/// The arguments of `vrm attributes`.
#[derive(Debug, Args)]
pub struct AttributesArgs {
    /// Only attributes whose code or description holds this word (any case).
    pub word: Option<String>,
    /// Find installations instead: conditions such as "bs>=50,IV1!" (at most 5).
    #[arg(long, value_name = "CONDITIONS", conflicts_with = "word")]
    pub query: Option<String>,
    /// The page of the matches (1 is the first).
    #[arg(long, requires = "query")]
    pub page: Option<u32>,
    /// Matches per page, 1 to 1000.
    #[arg(long, requires = "query")]
    pub count: Option<u32>,
    #[command(flatten)]
    pub out: Out,
}

/// List the catalogue, or the installations that match.
pub fn run(cli: &Cli, args: &AttributesArgs, out: &mut dyn Write) -> Result<()> {
    let format = format_of(cli, &args.out);
    if let Some(conditions) = &args.query {
        let mut query = AttributeQuery::new(conditions.clone());
        if let Some(page) = args.page {
            query = query.page(page);
        }
        if let Some(count) = args.count {
            query = query.count(count);
        }
        let client = client(cli, false)?;
        let found = client.installation_data_attributes(&query)?;
        let codes: Vec<String> = found
            .attributes
            .iter()
            .filter_map(|a| a.code.clone())
            .collect();
        let mut header = vec!["site".to_owned(), "name".to_owned(), "last".to_owned()];
        header.extend(codes.iter().cloned());
        let mut table = Table::with_header(header);
        for site in &found.sites {
            let mut row = vec![
                site.id_site.map(|s| s.to_string()).unwrap_or_default(),
                text(site.description.as_deref()),
                time_text(site.last_timestamp),
            ];
            row.extend(
                codes
                    .iter()
                    .map(|code| site.value(code).map(cell).unwrap_or_default()),
            );
            table.push(row);
        }
        let mut output = Output::from(&found, to_json(found.value()), table);
        if let Some(n) = found.num_records {
            output = output.note(format!("{} of {n} installations", found.sites.len()));
        }
        return emit(&output, format, out);
    }
    let client = client(cli, false)?;
    let attributes = client.data_attributes()?;
    let word = args.word.as_deref().map(str::to_lowercase);
    let wanted: Vec<_> = attributes
        .iter()
        .filter(|a| {
            word.as_deref().is_none_or(|w| {
                a.code
                    .as_deref()
                    .is_some_and(|c| c.to_lowercase().contains(w))
                    || a.description
                        .as_deref()
                        .is_some_and(|d| d.to_lowercase().contains(w))
            })
        })
        .collect();
    let mut table = Table::new(["id", "code", "type", "description", "format"]).numeric(&[0]);
    for a in &wanted {
        table.push(vec![
            a.id.map(|i| i.to_string()).unwrap_or_default(),
            text(a.code.as_deref()),
            text(a.data_type.as_deref()),
            text(a.description.as_deref()),
            text(a.format_with_unit.as_deref()),
        ]);
    }
    let data = json!(wanted);
    emit(&Output::from(&attributes, data, table), format, out)
}
