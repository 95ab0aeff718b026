//! `vrm download`, `vrm overview-download` and `vrm gps`: files to keep.

use std::io::Write;
use std::path::PathBuf;

use clap::Args;
use serde_json::{Value, json};
use vrm::{DownloadData, DownloadFormat};

use crate::commands::*;
use crate::output::{Output, Table, cell, document, write_json_line};
use crate::{Cli, Failure, Out, Window};

#[derive(Debug, Args)]
pub struct DownloadArgs {
    /// Installation id.
    pub site: String,
    #[command(flatten)]
    pub window: Window,
    /// File format: csv, excelxml, xls, xlsx or html.
    #[arg(
        long = "format",
        value_name = "csv|excelxml|xls|xlsx|html",
        default_value = "csv"
    )]
    pub file_format: String,
    /// log, benchmark or kwh.
    #[arg(long, default_value = "log")]
    pub datatype: String,
    /// Where to write the file (`-`: standard output).
    #[arg(short, long, value_name = "FILE", required_unless_present = "email")]
    pub output: Option<PathBuf>,
    /// Have VRM make the file in the background and mail it to the account.
    #[arg(long, conflicts_with = "output")]
    pub email: bool,
}

/// `vrm download`.
pub fn download(cli: &Cli, args: &DownloadArgs, out: &mut dyn Write) -> Result<()> {
    let DownloadArgs {
        site,
        window: w,
        file_format,
        datatype,
        output,
        email,
    } = args;

    let site = site_id(site)?;
    let window = window(w)?;
    let format: DownloadFormat = file_format.parse().map_err(|_| {
            usage(format!(
                "--format {file_format:?}: expected csv or xls, or the 2026 spec's excelxml, xlsx or html"
            ))
        })?;
    let data: DownloadData = datatype.parse().map_err(|_| {
        usage(format!(
            "--datatype {datatype:?}: expected log, benchmark or kwh"
        ))
    })?;
    let client = client(cli, false)?;
    let Some(output) = output.as_ref().filter(|_| !*email) else {
        let started = client
            .site(site)
            .data_download_by_email(window, format, data)?;
        let mut table = Table::new(["site", "format", "datatype", "mailed"]);
        table.push(vec![
            site.to_string(),
            format.to_string(),
            data.to_string(),
            "yes".to_owned(),
        ]);
        let json = json!({"site": site.get(), "format": format.as_str(),
                "datatype": data.as_str(), "mailed": started.value()});
        return emit(
            &Output::from(&started, json, table),
            cli.format.unwrap_or_default(),
            out,
        );
    };
    let bytes = client.site(site).data_download(window, format, data)?;
    if is_stdout(output) {
        // `-o -`: the file itself on stdout, for a pipe.
        return out.write_all(bytes.value()).or_else(ignore_broken_pipe);
    }
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

#[derive(Debug, Args)]
pub struct OverviewDownloadArgs {
    /// Installation ids, comma separated.
    #[arg(long, value_delimiter = ',', required = true)]
    pub sites: Vec<String>,
    /// A column KEY=HEADER (repeat it), enabled.
    #[arg(long = "column", value_name = "KEY=HEADER", required = true)]
    pub columns: Vec<String>,
    /// Only the visible items.
    #[arg(long)]
    pub only_visible: bool,
    /// Write the XLSX file here (`-`: standard output; default: the rows as a table).
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    #[command(flatten)]
    pub out: Out,
}

/// `vrm overview-download`.
pub fn overview_download(
    cli: &Cli,
    args: &OverviewDownloadArgs,
    out: &mut dyn Write,
) -> Result<()> {
    let OverviewDownloadArgs {
        sites,
        columns,
        only_visible,
        output,
        out: o,
    } = args;

    let sites = sites
        .iter()
        .map(|s| site_id(s))
        .collect::<Result<Vec<_>>>()?;
    let mut body = vrm::OverviewDownload::new(sites)
        .only_visible(*only_visible)
        .json(output.is_none());
    for (key, header) in crate::cmd::pairs(columns, "--column")? {
        body = body.column(key, vrm::OverviewColumn::new(header, true));
    }
    let client = client(cli, false)?;
    let overview = client.installation_overview_download(&body)?;
    if let Some(output) = output {
        let Some(bytes) = overview.file() else {
            return Err(Failure::Io(format!(
                "VRM sent rows, not a file: nothing written to {}",
                output.display()
            )));
        };
        if is_stdout(output) {
            return out.write_all(bytes).or_else(ignore_broken_pipe);
        }
        std::fs::write(output, bytes)
            .map_err(|e| Failure::Io(format!("writing {}: {e}", output.display())))?;
        let mut table = Table::new(["file", "bytes"]).numeric(&[1]);
        table.push(vec![output.display().to_string(), bytes.len().to_string()]);
        let data = json!({"file": output.display().to_string(), "bytes": bytes.len()});
        return emit(
            &Output::from(&overview, data, table),
            format_of(cli, o),
            out,
        );
    }
    let mut headers: Vec<String> = Vec::new();
    for (_, row) in overview.rows() {
        for key in row.keys() {
            if !headers.contains(key) {
                headers.push(key.clone());
            }
        }
    }
    let mut header = vec!["site".to_owned()];
    header.extend(headers.iter().cloned());
    let mut table = Table::with_header(header);
    let mut data = serde_json::Map::new();
    for (site, row) in overview.rows() {
        let mut line = vec![site.to_owned()];
        line.extend(
            headers
                .iter()
                .map(|h| row.get(h).map(cell).unwrap_or_default()),
        );
        table.push(line);
        data.insert(site.to_owned(), Value::Object(row.clone()));
    }
    emit(
        &Output::from(&overview, Value::Object(data), table),
        format_of(cli, o),
        out,
    )
}

#[derive(Debug, Args)]
pub struct GpsArgs {
    /// Installation id.
    pub site: String,
    #[command(flatten)]
    pub window: Window,
    /// Where to write the KML (default: stdout).
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

/// `vrm gps`.
pub fn gps(cli: &Cli, args: &GpsArgs, out: &mut dyn Write) -> Result<()> {
    let GpsArgs {
        site,
        window: w,
        output,
    } = args;

    let site = site_id(site)?;
    let window = window(w)?;
    let client = client(cli, false)?;
    let gps = client.site(site).gps_download(window)?;
    let body = match gps.kml() {
        Some(kml) => kml.to_owned(),
        None => to_json(gps.value()).to_string(),
    };
    match output.as_ref().filter(|p| !is_stdout(p)) {
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

/// `-o -`: standard output, not a file named `-`.
fn is_stdout(path: &std::path::Path) -> bool {
    path.as_os_str() == "-"
}
