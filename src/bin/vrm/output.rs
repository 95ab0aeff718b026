//! What a command prints: one result, as an aligned table, CSV or one JSON
//! object with its provenance; and how text from VRM is made safe to print.
//!
//! # Terminal safety
//!
//! Names, tags, error messages and every other string VRM sends may hold
//! control characters: ESC starts a terminal escape sequence (colours,
//! cursor moves, window titles, on some terminals worse), CR returns to the
//! start of the line to overwrite what was printed, BEL rings, NUL and DEL
//! confuse other tools. So the table and CSV output and every message on
//! stderr show each *control character* (Unicode category Cc: the C0 range
//! U+0000–U+001F, tab, newline and CR included, DEL U+007F and the C1 range
//! U+0080–U+009F) as a Rust-style escape of its code point in lower-case hex:
//! `\u{1b}` for ESC, `\u{7}` for BEL, `\u{d}` for CR, `\u{0}` for NUL, `\u{a}` for a
//! newline inside a cell. Every other character, all of Unicode's letters
//! and symbols, is kept as it is ([`escape`]). The escape is for reading, not
//! reversible (a name may hold the six characters `\u{1b}` itself):
//! `--format json` gives the exact text.
//!
//! JSON output stays exact JSON: serde_json writes the C0 controls as
//! `\u001b`-style escapes, and [`write_json`] writes DEL and the C1
//! controls (which serde_json leaves raw) as `\u007f`, `\u0085`, …: the
//! same value for any JSON reader, and no byte a terminal acts on.
//!
//! Messages quote at most [`SERVER_TEXT_CHARS`] characters of one piece of
//! VRM's text and say how much they left out (`… (1048376 more bytes)`,
//! see [`bounded`]).

use std::borrow::Cow;
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

    /// Whether the table has no row.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    fn write_aligned(&self, out: &mut dyn Write) -> std::io::Result<()> {
        // Escaped first: the widths are those of what is printed.
        let header: Vec<Cow<'_, str>> = self.header.iter().map(|h| escape(h)).collect();
        let rows: Vec<Vec<Cow<'_, str>>> = self
            .rows
            .iter()
            .map(|row| row.iter().map(|c| escape(c)).collect())
            .collect();
        let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
        for row in &rows {
            for (i, cell) in row.iter().enumerate() {
                if let Some(w) = widths.get_mut(i) {
                    *w = (*w).max(cell.chars().count());
                }
            }
        }
        let line = |cells: &[Cow<'_, str>], out: &mut dyn Write| -> std::io::Result<()> {
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
        line(&header, out)?;
        for row in &rows {
            line(row, out)?;
        }
        Ok(())
    }

    fn write_csv(&self, out: &mut dyn Write) -> std::io::Result<()> {
        let line = |cells: &[String], out: &mut dyn Write| -> std::io::Result<()> {
            let cells: Vec<Cow<'_, str>> = cells.iter().map(|c| csv_cell(c)).collect();
            writeln!(out, "{}", cells.join(","))
        };
        line(&self.header, out)?;
        for row in &self.rows {
            line(row, out)?;
        }
        Ok(())
    }
}

/// A CSV cell: control characters escaped (so a record is always one
/// line), quoted when it holds a comma or a quote.
fn csv_cell(cell: &str) -> Cow<'_, str> {
    let cell = escape(cell);
    if cell.contains([',', '"']) {
        Cow::Owned(format!("\"{}\"", cell.replace('"', "\"\"")))
    } else {
        cell
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
                    writeln!(out, "{}", escape(note))?;
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
/// written by hand), with `data` written by `write_data` straight to `out`
/// through [`JsonSafe`].
pub fn write_json(
    out: &mut dyn Write,
    source: Source,
    requests: u32,
    write_data: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> std::io::Result<()> {
    let mut out = JsonSafe::new(out);
    write!(
        out,
        "{{\"source\":{},\"requests\":{requests},\"data\":",
        json!(source.as_str())
    )?;
    write_data(&mut out)?;
    writeln!(out, "}}")?;
    out.finish()
}

/// One line of JSON text (serde_json's) through [`JsonSafe`].
pub fn write_json_line(out: &mut dyn Write, json: &str) -> std::io::Result<()> {
    let mut out = JsonSafe::new(out);
    writeln!(out, "{json}")?;
    out.finish()
}

/// JSON text passed through with DEL and the C1 controls, which
/// serde_json leaves raw inside strings, written as `\u007f`, `\u0080` …
/// `\u009f`: the same JSON value, and no byte a terminal acts on.
///
/// Outside strings JSON text is plain ASCII, so every such character met
/// is inside a string, where `\uXXXX` is a valid escape.
pub struct JsonSafe<'a> {
    inner: &'a mut dyn Write,
    /// The last write ended with 0xC2, the first byte of U+0080 … U+00BF.
    pending_c2: bool,
}

impl<'a> JsonSafe<'a> {
    pub fn new(inner: &'a mut dyn Write) -> JsonSafe<'a> {
        JsonSafe {
            inner,
            pending_c2: false,
        }
    }

    /// Write what is held back (a 0xC2 at the very end) and flush.
    pub fn finish(mut self) -> std::io::Result<()> {
        if std::mem::take(&mut self.pending_c2) {
            self.inner.write_all(&[0xC2])?;
        }
        self.inner.flush()
    }
}

impl Write for JsonSafe<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let c1 = |b: u8| (0x80..=0x9F).contains(&b);
        let mut start = 0;
        let mut i = 0;
        if std::mem::take(&mut self.pending_c2) {
            match buf.first() {
                Some(&b) if c1(b) => {
                    write!(self.inner, "\\u{:04x}", b)?;
                    start = 1;
                    i = 1;
                }
                Some(_) => self.inner.write_all(&[0xC2])?,
                None => self.pending_c2 = true,
            }
        }
        while i < buf.len() {
            match buf[i] {
                0x7F => {
                    self.inner.write_all(&buf[start..i])?;
                    self.inner.write_all(b"\\u007f")?;
                    i += 1;
                    start = i;
                }
                // U+0080 … U+009F are 0xC2 0x80 … 0xC2 0x9F in UTF-8.
                0xC2 => match buf.get(i + 1) {
                    Some(&b) if c1(b) => {
                        self.inner.write_all(&buf[start..i])?;
                        write!(self.inner, "\\u{:04x}", b)?;
                        i += 2;
                        start = i;
                    }
                    Some(_) => i += 2,
                    None => {
                        self.inner.write_all(&buf[start..i])?;
                        self.pending_c2 = true;
                        i += 1;
                        start = i;
                    }
                },
                _ => i += 1,
            }
        }
        self.inner.write_all(&buf[start.min(buf.len())..])?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// How many characters of one piece of VRM's text a message quotes.
pub const SERVER_TEXT_CHARS: usize = 200;

/// Whether `c` is shown escaped: the control characters (Unicode Cc).
fn is_unsafe(c: char) -> bool {
    c.is_control()
}

/// `text` with every control character written as `\u{…}` (see the module
/// doc); borrowed when there is none, the common case.
pub fn escape(text: &str) -> Cow<'_, str> {
    if !text.chars().any(is_unsafe) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        push_escaped(&mut out, c);
    }
    Cow::Owned(out)
}

fn push_escaped(out: &mut String, c: char) {
    if is_unsafe(c) {
        out.push_str(&format!("\\u{{{:x}}}", u32::from(c)));
    } else {
        out.push(c);
    }
}

/// `text` escaped and cut to at most `max` characters (as printed), with
/// how much of it was left out: `abc… (1048376 more bytes)`.
pub fn bounded(text: &str, max: usize) -> String {
    let mut out = String::new();
    let mut shown = 0;
    for (at, c) in text.char_indices() {
        let before = out.len();
        push_escaped(&mut out, c);
        shown += out[before..].chars().count();
        if shown > max {
            out.truncate(before);
            let left = text.len() - at;
            let unit = if left == 1 { "byte" } else { "bytes" };
            out.push_str(&format!("… ({left} more {unit})"));
            return out;
        }
    }
    out
}

/// A text document (KML) for a terminal or a pipe: line ends made `\n`
/// (as any XML reader reads `\r\n` and a lone `\r`), tabs kept, every other
/// control character escaped as in [`escape`]. A file written with `-o`
/// keeps the exact bytes.
pub fn document(text: &str) -> Cow<'_, str> {
    if !text.chars().any(|c| is_unsafe(c) && c != '\n' && c != '\t') {
        return Cow::Borrowed(text);
    }
    let text = text.replace("\r\n", "\n").replace('\r', "\n");
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if c == '\n' || c == '\t' {
            out.push(c);
        } else {
            push_escaped(&mut out, c);
        }
    }
    Cow::Owned(out)
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
    fn controls_are_escaped_in_tables_and_csv_but_not_unicode() {
        let mut t = Table::with_header(vec!["na\u{1b}me".into(), "tag".into()]);
        t.push(vec![
            "\u{1b}[31mred\u{7}".into(),
            "a\r\nb\u{0}\u{7f}\u{85}\t".into(),
        ]);
        t.push(vec!["Zürich ☀ 東京".into(), "x,\"y\"".into()]);
        let o = Output::local(Value::Null, t).note("note\u{9b}31m");
        let mut table = Vec::new();
        o.write(Format::Table, &mut table).unwrap();
        let table = String::from_utf8(table).unwrap();
        assert_eq!(
            table,
            "na\\u{1b}me          tag\n\
             \\u{1b}[31mred\\u{7}  a\\u{d}\\u{a}b\\u{0}\\u{7f}\\u{85}\\u{9}\n\
             Zürich ☀ 東京         x,\"y\"\n\
             note\\u{9b}31m\n"
        );
        let mut csv = Vec::new();
        o.write(Format::Csv, &mut csv).unwrap();
        let csv = String::from_utf8(csv).unwrap();
        assert_eq!(
            csv,
            "na\\u{1b}me,tag\n\
             \\u{1b}[31mred\\u{7},a\\u{d}\\u{a}b\\u{0}\\u{7f}\\u{85}\\u{9}\n\
             Zürich ☀ 東京,\"x,\"\"y\"\"\"\n"
        );
        for text in [&table, &csv] {
            assert!(!text.chars().any(|c| c.is_control() && c != '\n'), "{text}");
        }
    }

    #[test]
    fn json_stays_exact_and_holds_no_raw_control() {
        let value = json!({"name": "\u{1b}[31m\u{7}\r\u{0}\u{7f}\u{85}\u{9f}\u{a0}é\u{c2}"});
        let o = Output::local(value.clone(), Table::default());
        let mut json = Vec::new();
        o.write(Format::Json, &mut json).unwrap();
        let text = String::from_utf8(json).unwrap();
        assert!(!text.trim_end().chars().any(char::is_control), "{text}");
        let back: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(back["data"], value);
        // A C1 character split across two writes (U+0085 is 0xC2 0x85).
        for split in 0..4 {
            let bytes = "a\u{85}b\u{c2}".as_bytes();
            let mut out = Vec::new();
            let mut safe = JsonSafe::new(&mut out);
            safe.write_all(&bytes[..split]).unwrap();
            safe.write_all(&bytes[split..]).unwrap();
            safe.finish().unwrap();
            assert_eq!(
                String::from_utf8(out).unwrap(),
                "a\\u0085b\u{c2}",
                "{split}"
            );
        }
    }

    #[test]
    fn bounded_cuts_and_says_how_much() {
        assert_eq!(bounded("short", 200), "short");
        let long = format!("\u{1b}{}", "x".repeat(1_048_575));
        let cut = bounded(&long, 200);
        assert!(cut.starts_with("\\u{1b}xxx"), "{cut}");
        assert!(cut.ends_with("… (1048381 more bytes)"), "{cut}");
        assert_eq!(
            cut.chars().count(),
            200 + "… (1048381 more bytes)".chars().count()
        );
        // An escape is never cut in half.
        let cut = bounded("ab\u{1b}", 4);
        assert_eq!(cut, "ab… (1 more byte)");
        assert_eq!(bounded("é€", 2), "é€");
    }

    #[test]
    fn documents_keep_lines_and_tabs() {
        assert!(matches!(document("<kml>\n\t</kml>\n"), Cow::Borrowed(_)));
        assert_eq!(
            document("<a>\r\n\t\u{1b}[2J</a>\r<b/>"),
            "<a>\n\t\\u{1b}[2J</a>\n<b/>"
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
