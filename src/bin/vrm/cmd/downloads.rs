//! `vrm download`, `vrm overview-download` and `vrm gps`: files to keep.

use std::io::Write;
use std::path::PathBuf;

use clap::Args;
use serde_json::{Value, json};
use vrm::{DownloadData, DownloadFormat};

use crate::commands::*;
use crate::output::{Output, Table, cell, document, write_json_line};
use crate::progress::Progress;
use crate::times::rfc3339;
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
    let limit = download_limit(data);
    let pieces = pieces(window.start(), window.end(), limit);
    if pieces.len() > 1 && (format != DownloadFormat::Csv || *email) {
        return Err(usage(format!(
            "a {} download holds at most {} days of {} data, and {} cannot be stitched from \
             several; ask --format csv (split into {} files of at most {} days and joined), or a \
             shorter window",
            format,
            limit / DAY,
            data,
            if *email {
                "a mailed file"
            } else {
                "this format"
            },
            pieces.len(),
            limit / DAY
        )));
    }
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
    // Each piece through the library (cached, limited, retried), joined here.
    let mut bar = Progress::new("download");
    let mut content = Vec::new();
    let (mut requests, mut source) = (0u32, None);
    for (i, &(start, end)) in pieces.iter().enumerate() {
        let piece = if pieces.len() == 1 {
            window
        } else {
            vrm::TimeWindow::from_unix(start, end)?
        };
        let part = client.site(site).data_download(piece, format, data)?;
        bar.update(i + 1, pieces.len());
        requests += part.requests();
        source = Some(match source {
            None => part.source(),
            Some(s) => crate::cmd::report::combine(s, part.source()),
        });
        if pieces.len() == 1 {
            content = part.value().clone();
        } else {
            join_csv(&mut content, part.value());
        }
    }
    drop(bar);
    let source = source.unwrap_or(vrm::Source::Cache);
    if is_stdout(output) {
        // `-o -`: the file itself on stdout, for a pipe.
        return out.write_all(&content).or_else(ignore_broken_pipe);
    }
    std::fs::write(output, &content)
        .map_err(|e| Failure::Io(format!("writing {}: {e}", output.display())))?;
    let mut table = Table::new(["file", "bytes"]).numeric(&[1]);
    table.push(vec![
        output.display().to_string(),
        content.len().to_string(),
    ]);
    let data = json!({"file": output.display().to_string(), "bytes": content.len(),
        "pieces": pieces.len()});
    emit(
        &Output {
            source,
            requests,
            data,
            table,
            notes: Vec::new(),
        },
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
    let pieces = pieces(window.start(), window.end(), 31 * DAY);
    let mut bar = Progress::new("gps");
    let mut body: Option<String> = None;
    let mut kml = true;
    for (i, &(start, end)) in pieces.iter().enumerate() {
        let gps = client
            .site(site)
            .gps_download(vrm::TimeWindow::from_unix(start, end)?)?;
        bar.update(i + 1, pieces.len());
        let text = match gps.kml() {
            Some(text) => text.to_owned(),
            None if pieces.len() == 1 => {
                kml = false;
                to_json(gps.value()).to_string()
            }
            None => {
                return Err(Failure::Answer(format!(
                    "VRM answered GPS data that is not KML for {}: windows past 31 days are \
                     asked in pieces and only KML tracks can be joined",
                    rfc3339(start)
                )));
            }
        };
        body = Some(match body {
            None => text,
            Some(first) => join_kml(first, &text),
        });
    }
    drop(bar);
    let body = body.unwrap_or_default();
    match output.as_ref().filter(|p| !is_stdout(p)) {
        Some(path) => std::fs::write(path, body.as_bytes())
            .map_err(|e| Failure::Io(format!("writing {}: {e}", path.display()))),
        // On stdout, control characters of VRM's text escaped.
        None => match kml {
            true => writeln!(out, "{}", document(&body)),
            false => write_json_line(out, &body),
        }
        .map_err(|e| Failure::Io(e.to_string())),
    }
}

const DAY: i64 = 86_400;

/// The longest window one data download may ask for: a year and a day of
/// kWh, 31 days of logged data (and benchmarks).
fn download_limit(data: DownloadData) -> i64 {
    if data == DownloadData::Kwh {
        366 * DAY
    } else {
        31 * DAY
    }
}

/// `[start, end)` cut into pieces of at most `limit` seconds.
fn pieces(start: i64, end: i64, limit: i64) -> Vec<(i64, i64)> {
    let mut out = Vec::new();
    let mut at = start;
    while at < end {
        let next = at.saturating_add(limit).min(end);
        out.push((at, next));
        at = next;
    }
    out
}

/// Append the CSV `part` to `joined`: whole when it is the first; else
/// without the header lines it repeats (and without a byte-order mark).
fn join_csv(joined: &mut Vec<u8>, part: &[u8]) {
    if joined.is_empty() {
        joined.extend_from_slice(part);
        return;
    }
    let part = part.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(part);
    let first = joined.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(joined);
    let mut skip = 0;
    for (a, b) in first
        .split_inclusive(|c| *c == b'\n')
        .zip(part.split_inclusive(|c| *c == b'\n'))
    {
        // Header lines hold no digit-led value: stop at the first data row.
        if a != b || a.first().is_some_and(u8::is_ascii_digit) {
            break;
        }
        skip += b.len();
    }
    if !joined.ends_with(b"\n") {
        joined.push(b'\n');
    }
    joined.extend_from_slice(&part[skip..]);
}

/// The KML document `first` with the content of `more`'s `<Document>`
/// (its placemarks and styles) added before its own `</Document>`: one
/// file, every track.
fn join_kml(first: String, more: &str) -> String {
    let inner = more
        .find("<Document>")
        .map(|i| i + "<Document>".len())
        .and_then(|start| {
            more[start..]
                .rfind("</Document>")
                .map(|end| &more[start..start + end])
        });
    let (Some(inner), Some(at)) = (inner, first.rfind("</Document>")) else {
        // No document to join into: the tracks one after the other.
        return format!("{first}\n{more}");
    };
    let mut joined = String::with_capacity(first.len() + inner.len());
    joined.push_str(&first[..at]);
    joined.push_str(inner);
    joined.push_str(&first[at..]);
    joined
}

/// `-o -`: standard output, not a file named `-`.
fn is_stdout(path: &std::path::Path) -> bool {
    path.as_os_str() == "-"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_are_cut_into_allowed_pieces() {
        assert_eq!(pieces(0, 10, 4), [(0, 4), (4, 8), (8, 10)]);
        assert_eq!(pieces(0, 4, 4), [(0, 4)]);
        assert!(pieces(5, 5, 4).is_empty());
    }

    #[test]
    fn csv_pieces_share_one_header() {
        let mut joined = Vec::new();
        join_csv(&mut joined, b"\xEF\xBB\xBFtime,bs\nunit,%\n2025-01-01,50\n");
        join_csv(&mut joined, b"\xEF\xBB\xBFtime,bs\nunit,%\n2025-02-01,60\n");
        join_csv(&mut joined, b"time,bs\nunit,%\n2025-03-01,70");
        assert_eq!(
            String::from_utf8_lossy(&joined),
            "\u{feff}time,bs\nunit,%\n2025-01-01,50\n2025-02-01,60\n2025-03-01,70"
        );
    }

    #[test]
    fn kml_tracks_join_in_one_document() {
        let a = "<kml><Document><Placemark>A</Placemark></Document></kml>".to_owned();
        let b = "<kml><Document><Placemark>B</Placemark></Document></kml>";
        assert_eq!(
            join_kml(a, b),
            "<kml><Document><Placemark>A</Placemark><Placemark>B</Placemark></Document></kml>"
        );
    }
}
