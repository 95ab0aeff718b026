//! `vrm graph` and `vrm widget`: VRM's widgets.

use std::io::Write;

use clap::Args;
use serde_json::Value;
use vrm::{GraphQuery, Widget, WidgetQuery};

use crate::commands::*;
use crate::output::{Output, Table, cell, num};
use crate::times::rfc3339;
use crate::{Cli, MaybeWindow, Out, Window};

#[derive(Debug, Args)]
pub struct GraphArgs {
    /// Installation id.
    pub site: String,
    /// Attribute codes, comma separated (or --ids, or both).
    #[arg(long, value_delimiter = ',', required_unless_present = "ids")]
    pub codes: Vec<String>,
    /// Attribute ids (idDataAttribute), comma separated.
    #[arg(long, value_delimiter = ',')]
    pub ids: Vec<u64>,
    /// Device instance.
    #[arg(long)]
    pub instance: Option<u32>,
    #[command(flatten)]
    pub window: Window,
    /// Graph width in pixels (VRM's default 768).
    #[arg(long, value_name = "PIXELS")]
    pub width: Option<u32>,
    /// Data points per pixel (VRM's default 2).
    #[arg(long, value_name = "N")]
    pub points_per_pixel: Option<f64>,
    /// Each point with its mean, min and max (useMinMax=1).
    #[arg(long, conflicts_with = "no_min_max")]
    pub min_max: bool,
    /// One value per point (useMinMax=0).
    #[arg(long)]
    pub no_min_max: bool,
    #[command(flatten)]
    pub out: Out,
}

/// `vrm graph`.
pub fn graph(cli: &Cli, args: &GraphArgs, out: &mut dyn Write) -> Result<()> {
    let GraphArgs {
        site,
        codes,
        ids,
        instance,
        window: w,
        width,
        points_per_pixel,
        min_max,
        no_min_max,
        out: o,
    } = args;

    let site = site_id(site)?;
    let window = window(w)?;
    let mut query = GraphQuery::new(checked_codes(cli, codes)?)
        .attribute_ids(ids.iter().copied())
        .window(window);
    if let Some(i) = instance {
        query = query.instance(*i);
    }
    if let Some(width) = width {
        query = query.width(*width);
    }
    if let Some(p) = points_per_pixel {
        query = query.points_per_pixel(*p);
    }
    if *min_max || *no_min_max {
        query = query.use_min_max(*min_max);
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

#[derive(Debug, Args)]
pub struct WidgetArgs {
    /// Installation id.
    pub site: String,
    /// The widget's name.
    pub name: String,
    /// Device instance.
    #[arg(long)]
    pub instance: Option<u32>,
    #[command(flatten)]
    pub window: MaybeWindow,
    #[command(flatten)]
    pub out: Out,
}

/// `vrm widget`.
pub fn widget(cli: &Cli, args: &WidgetArgs, out: &mut dyn Write) -> Result<()> {
    let WidgetArgs {
        site,
        name,
        instance,
        window: w,
        out: o,
    } = args;

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
    if !records.data.is_null() {
        flatten(&records.data, String::new(), &mut table);
    }
    // Widgets whose answer is lists beside `data` (Alarm: `alarms`,
    // `devices`, `users`): a row per entry.
    if table.is_empty()
        && let Some(lists) = list_table(&records.extra)
    {
        table = lists;
    }
    emit(
        &Output::from(&records, to_json(records.value()), table),
        format_of(cli, o),
        out,
    )
}

/// A row per entry of every list of objects in `lists` (`alarms`,
/// `devices`, …): the list's name, then a column per field any entry
/// has, in the order first seen. `None` when there is no such list.
pub(crate) fn list_table(lists: &serde_json::Map<String, Value>) -> Option<Table> {
    let mut columns: Vec<String> = Vec::new();
    let mut entries: Vec<(&str, &serde_json::Map<String, Value>)> = Vec::new();
    for (name, value) in lists {
        let Value::Array(items) = value else { continue };
        for item in items {
            if let Value::Object(fields) = item {
                for key in fields.keys() {
                    if !columns.contains(key) {
                        columns.push(key.clone());
                    }
                }
                entries.push((name, fields));
            }
        }
    }
    if entries.is_empty() {
        return None;
    }
    let mut header = vec!["list".to_owned()];
    header.extend(columns.iter().cloned());
    let mut table = Table::with_header(header);
    for (name, fields) in entries {
        let mut row = vec![name.to_owned()];
        row.extend(
            columns
                .iter()
                .map(|c| fields.get(c).map(cell).unwrap_or_default()),
        );
        table.push(row);
    }
    Some(table)
}

/// Rows `path = value` for every scalar in `value`.
pub(crate) fn flatten(value: &Value, path: String, table: &mut Table) {
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
