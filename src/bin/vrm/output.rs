//! What a command prints: one result, as an aligned table, CSV or one JSON
//! object with its provenance.

use std::io::Write;

use serde_json::{Value, json};
use vrm::{Fetched, Source};

/// The output format (`--format`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Format {
    /// Aligned columns for people.
    #[default]
    Table,
    /// One header row, one row per point or record.
    Csv,
    /// One JSON object: `{"source", "requests", "data"}`.
    Json,
}

/// Rows with a header.
#[derive(Debug, Clone, Default)]
pub struct Table {
    pub header: Vec<String>,
    pub rows: Vec<Vec<String>>,
    /// Columns aligned right (numbers).
    pub right: Vec<bool>,
}

impl Table {
    pub fn new<const N: usize>(header: [&str; N]) -> Table {
        Table {
            header: header.iter().map(|h| (*h).to_owned()).collect(),
            rows: Vec::new(),
            right: vec![false; N],
        }
    }

    pub fn with_header(header: Vec<String>) -> Table {
        let n = header.len();
        Table {
            header,
            rows: Vec::new(),
            right: vec![false; n],
        }
    }

    /// Align these columns right.
    pub fn numeric(mut self, columns: &[usize]) -> Table {
        for &c in columns {
            if let Some(r) = self.right.get_mut(c) {
                *r = true;
            }
        }
        self
    }

    pub fn push(&mut self, row: Vec<String>) {
        self.rows.push(row);
    }

    fn write_aligned(&self, out: &mut dyn Write) -> std::io::Result<()> {
        let mut widths: Vec<usize> = self.header.iter().map(|h| h.chars().count()).collect();
        for row in &self.rows {
            for (i, cell) in row.iter().enumerate() {
                if let Some(w) = widths.get_mut(i) {
                    *w = (*w).max(cell.chars().count());
                }
            }
        }
        let line = |cells: &[String], out: &mut dyn Write| -> std::io::Result<()> {
            let mut text = String::new();
            for (i, cell) in cells.iter().enumerate() {
                let width = widths.get(i).copied().unwrap_or(0);
                let pad = width.saturating_sub(cell.chars().count());
                if i > 0 {
                    text.push_str("  ");
                }
                if self.right.get(i).copied().unwrap_or(false) {
                    text.push_str(&" ".repeat(pad));
                    text.push_str(cell);
                } else {
                    text.push_str(cell);
                    if i + 1 < cells.len() {
                        text.push_str(&" ".repeat(pad));
                    }
                }
            }
            writeln!(out, "{}", text.trim_end())
        };
        line(&self.header, out)?;
        for row in &self.rows {
            line(row, out)?;
        }
        Ok(())
    }

    fn write_csv(&self, out: &mut dyn Write) -> std::io::Result<()> {
        let line = |cells: &[String], out: &mut dyn Write| -> std::io::Result<()> {
            let cells: Vec<String> = cells.iter().map(|c| csv_cell(c)).collect();
            writeln!(out, "{}", cells.join(","))
        };
        line(&self.header, out)?;
        for row in &self.rows {
            line(row, out)?;
        }
        Ok(())
    }
}

fn csv_cell(cell: &str) -> String {
    if cell.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", cell.replace('"', "\"\""))
    } else {
        cell.to_owned()
    }
}

/// A command's result.
pub struct Output {
    pub source: Source,
    pub requests: u32,
    /// The `data` of the JSON object.
    pub data: Value,
    /// The table (and CSV) form.
    pub table: Table,
    /// Lines printed after the table only (notes, a chart).
    pub notes: Vec<String>,
}

impl Output {
    /// A result with the provenance of `fetched`.
    pub fn from<T>(fetched: &Fetched<T>, data: Value, table: Table) -> Output {
        Output {
            source: fetched.source(),
            requests: fetched.requests(),
            data,
            table,
            notes: Vec::new(),
        }
    }

    /// A result made without VRM (the catalogue, the cache's own data).
    pub fn local(data: Value, table: Table) -> Output {
        Output {
            source: Source::Cache,
            requests: 0,
            data,
            table,
            notes: Vec::new(),
        }
    }

    pub fn note(mut self, line: impl Into<String>) -> Output {
        self.notes.push(line.into());
        self
    }

    /// Print to `out` in `format`.
    pub fn write(&self, format: Format, out: &mut dyn Write) -> std::io::Result<()> {
        match format {
            Format::Table => {
                self.table.write_aligned(out)?;
                for note in &self.notes {
                    writeln!(out, "{note}")?;
                }
                Ok(())
            }
            Format::Csv => self.table.write_csv(out),
            Format::Json => write_json(out, self.source, self.requests, |out| {
                serde_json::to_writer(out, &self.data).map_err(std::io::Error::from)
            }),
        }
    }
}

/// The JSON object `{"source", "requests", "data"}`, in that order (so
/// written by hand), with `data` written by `write_data` straight to `out`.
pub fn write_json(
    out: &mut dyn Write,
    source: Source,
    requests: u32,
    write_data: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> std::io::Result<()> {
    write!(
        out,
        "{{\"source\":{},\"requests\":{requests},\"data\":",
        json!(source.as_str())
    )?;
    write_data(&mut *out)?;
    writeln!(out, "}}")
}

/// A number for a table cell: up to 3 decimals, trailing zeros dropped.
pub fn num(value: Option<f64>) -> String {
    match value {
        None => String::new(),
        Some(v) if !v.is_finite() => String::new(),
        Some(v) => {
            let text = format!("{v:.3}");
            let text = text.trim_end_matches('0').trim_end_matches('.');
            if text == "-0" {
                "0".into()
            } else {
                text.to_owned()
            }
        }
    }
}

/// An optional text for a table cell.
pub fn text(value: Option<&str>) -> String {
    value.unwrap_or("").to_owned()
}

/// A JSON value for a table cell (strings without quotes).
pub fn cell(value: &Value) -> String {
    match value {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_align_and_csv_quotes() {
        let mut t = Table::new(["name", "kWh"]).numeric(&[1]);
        t.push(vec!["a, b".into(), "1.5".into()]);
        t.push(vec!["long name".into(), "12".into()]);
        let o = Output::local(Value::Null, t);
        let mut table = Vec::new();
        o.write(Format::Table, &mut table).unwrap();
        assert_eq!(
            String::from_utf8(table).unwrap(),
            "name       kWh\na, b       1.5\nlong name   12\n"
        );
        let mut csv = Vec::new();
        o.write(Format::Csv, &mut csv).unwrap();
        assert_eq!(
            String::from_utf8(csv).unwrap(),
            "name,kWh\n\"a, b\",1.5\nlong name,12\n"
        );
        let mut json = Vec::new();
        o.write(Format::Json, &mut json).unwrap();
        assert_eq!(
            String::from_utf8(json).unwrap(),
            "{\"source\":\"cache\",\"requests\":0,\"data\":null}\n"
        );
    }

    #[test]
    fn numbers_are_short() {
        assert_eq!(num(Some(1.5)), "1.5");
        assert_eq!(num(Some(2.0)), "2");
        assert_eq!(num(Some(0.12345)), "0.123");
        assert_eq!(num(None), "");
        assert_eq!(num(Some(-0.0001)), "0");
    }
}
