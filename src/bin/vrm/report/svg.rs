//! The report as a chart to open: an SVG of stacked daily bars, and one
//! self-contained HTML page (inline SVG and CSS, no network) holding the
//! chart, the table and where the data came from.
//!
//! Each day is a `<g class="day" data-date="…">` of three bars side by
//! side, each stacked by source: what the consumers used (solar, grid,
//! battery, genset), what went into the battery (solar, grid) and what went
//! into the grid (solar, battery). A rect's height is its kWh times the
//! root's `data-px-per-kwh`; a day without data holds no bar.

use std::fmt::Write as _;

use super::{FLOWS, Report, fixed};

/// The three bars of a day: name, label, and the flows stacked in it.
const BARS: [(&str, &str, &[&str]); 3] = [
    ("use", "used", &["Pc", "Gc", "Bc", "gc"]),
    ("battery", "into the battery", &["Pb", "Gb"]),
    ("grid", "into the grid", &["Pg", "Bg"]),
];

/// The colour of a flow, by where its energy comes from.
fn colour(code: &str) -> &'static str {
    match code.as_bytes().first() {
        Some(b'P') => "#f2b705", // solar
        Some(b'G') => "#6b7280", // grid
        Some(b'B') => "#16a34a", // battery
        _ => "#92400e",          // genset
    }
}

fn label(code: &str) -> &'static str {
    FLOWS
        .iter()
        .find(|(c, _)| *c == code)
        .map_or("?", |(_, l)| *l)
}

/// Text for XML and HTML: `&`, `<`, `>` and quotes escaped, control
/// characters dropped.
pub fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// A round step for about five axis ticks up to `max`.
fn tick_step(max: f64) -> f64 {
    if max <= 0.0 || !max.is_finite() {
        return 1.0;
    }
    let raw = max / 5.0;
    let magnitude = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 2.5, 5.0, 10.0]
        .into_iter()
        .map(|m| m * magnitude)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * magnitude);
    step.max(f64::MIN_POSITIVE)
}

/// The chart of `report`, titled `title`.
pub fn chart(report: &Report, title: &str) -> String {
    const LEFT: f64 = 64.0;
    const TOP: f64 = 56.0;
    const PLOT: f64 = 300.0;
    const BOTTOM: f64 = 70.0;
    let n = report.days.len().max(1);
    let bar = (720.0 / (n as f64 * 3.6)).clamp(2.0, 16.0);
    let slot = bar * 3.0 + bar * 0.8;
    let width = (LEFT + slot * n as f64 + 24.0).max(520.0);
    let height = TOP + PLOT + BOTTOM;
    let bar_total = |values: &std::collections::BTreeMap<&'static str, f64>, flows: &[&str]| {
        flows
            .iter()
            .map(|c| values.get(c).copied().unwrap_or(0.0).max(0.0))
            .sum::<f64>()
    };
    let max = report
        .days
        .iter()
        .filter_map(|(_, v)| v.as_ref())
        .flat_map(|v| BARS.iter().map(move |(_, _, flows)| bar_total(v, flows)))
        .fold(0.0_f64, f64::max);
    let step = tick_step(max);
    let top_value = if max > 0.0 {
        (max / step).ceil() * step
    } else {
        step
    };
    let scale = PLOT / top_value;
    let axis = TOP + PLOT;
    let mut svg = String::new();
    let _ = write!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0}" height="{height:.0}" viewBox="0 0 {width:.0} {height:.0}" data-px-per-kwh="{scale}" font-family="system-ui, sans-serif" font-size="12" role="img" aria-label="{}">"#,
        esc(title)
    );
    let _ = write!(
        svg,
        r##"<rect width="100%" height="100%" fill="#ffffff"/><text x="{LEFT}" y="20" font-size="15" font-weight="600" fill="#111827">{}</text>"##,
        esc(title)
    );
    // Legend: the sources, then the order of the bars.
    let mut x = LEFT;
    for (name, code) in [
        ("solar", "P"),
        ("grid", "G"),
        ("battery", "B"),
        ("genset", "g"),
    ] {
        let _ = write!(
            svg,
            r##"<rect x="{x}" y="30" width="10" height="10" fill="{}"/><text x="{}" y="39" fill="#374151">{name}</text>"##,
            colour(code),
            x + 14.0
        );
        x += 24.0 + name.len() as f64 * 7.0;
    }
    let _ = write!(
        svg,
        r##"<text x="{x}" y="39" fill="#6b7280">bars per day: used · into the battery · into the grid (kWh)</text>"##
    );
    // Axis and ticks.
    let mut tick = 0.0;
    while tick <= top_value + step / 2.0 {
        let y = axis - tick * scale;
        let _ = write!(
            svg,
            r##"<line x1="{LEFT}" y1="{y:.2}" x2="{:.2}" y2="{y:.2}" stroke="#e5e7eb"/><text x="{}" y="{:.2}" text-anchor="end" fill="#374151">{}</text>"##,
            width - 16.0,
            LEFT - 6.0,
            y + 4.0,
            fixed(Some(tick), if step < 1.0 { 2 } else { 0 })
        );
        tick += step;
    }
    let label_every = n.div_ceil(16).max(1);
    for (i, (day, values)) in report.days.iter().enumerate() {
        let x0 = LEFT + slot * i as f64 + bar * 0.4;
        let date = day.date.to_string();
        match values {
            None => {
                let _ = write!(
                    svg,
                    r##"<g class="day missing" data-date="{date}"><rect x="{x0:.2}" y="{TOP}" width="{:.2}" height="{PLOT}" fill="#f3f4f6"><title>{date}: no data</title></rect></g>"##,
                    bar * 3.0
                );
            }
            Some(values) => {
                let _ = write!(svg, r#"<g class="day" data-date="{date}">"#);
                for (b, (name, what, flows)) in BARS.iter().enumerate() {
                    let bx = x0 + bar * b as f64;
                    let mut y = axis;
                    for code in flows.iter() {
                        let kwh = values.get(code).copied().unwrap_or(0.0).max(0.0);
                        if kwh <= 0.0 {
                            continue;
                        }
                        let h = kwh * scale;
                        y -= h;
                        let _ = write!(
                            svg,
                            r#"<rect class="flow" data-bar="{name}" data-flow="{code}" data-kwh="{kwh}" x="{bx:.2}" y="{y:.3}" width="{:.2}" height="{h:.3}" fill="{}"><title>{date} {what}: {} {} kWh</title></rect>"#,
                            bar * 0.92,
                            colour(code),
                            label(code),
                            fixed(Some(kwh), report.decimals)
                        );
                    }
                }
                svg.push_str("</g>");
            }
        }
        if i % label_every == 0 {
            let lx = x0 + bar * 1.5;
            let _ = write!(
                svg,
                r##"<text x="{lx:.2}" y="{:.2}" text-anchor="end" transform="rotate(-45 {lx:.2} {:.2})" fill="#374151">{date}</text>"##,
                axis + 14.0,
                axis + 14.0
            );
        }
    }
    let _ = write!(
        svg,
        r##"<line x1="{LEFT}" y1="{axis}" x2="{:.2}" y2="{axis}" stroke="#111827"/></svg>"##,
        width - 16.0
    );
    svg
}

/// What the HTML page says about the data besides the chart and table.
pub struct Page<'a> {
    pub title: &'a str,
    pub facts: Vec<(&'a str, String)>,
    pub notes: Vec<String>,
}

/// The whole page: one file, nothing fetched when it is opened.
pub fn html(report: &Report, page: &Page<'_>) -> String {
    let mut out = String::new();
    let _ = write!(
        out,
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{}</title><style>\
         body{{font-family:system-ui,sans-serif;margin:2rem;color:#111827;background:#fff}}\
         h1{{font-size:1.4rem;margin:0 0 .5rem}}\
         dl{{display:grid;grid-template-columns:max-content auto;gap:.2rem 1rem;margin:0 0 1rem}}\
         dt{{color:#6b7280}}dd{{margin:0}}\
         table{{border-collapse:collapse;margin-top:1rem;font-variant-numeric:tabular-nums}}\
         th,td{{padding:.2rem .6rem;border-bottom:1px solid #e5e7eb;text-align:right}}\
         th:first-child,td:first-child{{text-align:left;white-space:nowrap}}\
         tr.total td{{font-weight:600;border-top:2px solid #111827}}\
         tr.missing td{{color:#9ca3af}}\
         .chart{{overflow-x:auto}}\
         </style></head><body>\n",
        esc(page.title)
    );
    let _ = write!(out, "<h1>{}</h1>\n<dl>", esc(page.title));
    for (name, value) in &page.facts {
        let _ = write!(out, "<dt>{}</dt><dd>{}</dd>", esc(name), esc(value));
    }
    out.push_str("</dl>\n<div class=\"chart\">");
    out.push_str(&chart(report, page.title));
    out.push_str("</div>\n<table><thead><tr><th>date</th>");
    for (_, label) in FLOWS {
        let _ = write!(out, "<th>{} kWh</th>", esc(label));
    }
    out.push_str("<th>use kWh</th></tr></thead><tbody>");
    let d = report.decimals;
    let cells = |out: &mut String,
                 values: Option<&std::collections::BTreeMap<&'static str, f64>>| {
        for code in FLOWS.iter().map(|(c, _)| *c).chain(["consumption"]) {
            let _ = write!(
                out,
                "<td>{}</td>",
                fixed(values.and_then(|v| v.get(code)).copied(), d)
            );
        }
    };
    for (day, values) in &report.days {
        let class = if values.is_none() {
            " class=\"missing\""
        } else {
            ""
        };
        let _ = write!(out, "<tr{class}><td>{}</td>", day.date);
        cells(&mut out, values.as_ref());
        out.push_str("</tr>");
    }
    out.push_str("<tr class=\"total\"><td>total</td>");
    cells(&mut out, report.totals().as_ref());
    out.push_str("</tr></tbody></table>\n");
    for note in &page.notes {
        let _ = writeln!(out, "<p>{}</p>", esc(note));
    }
    out.push_str("</body></html>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_escaped_for_markup() {
        assert_eq!(esc("a<b>&\"'\u{1b}"), "a&lt;b&gt;&amp;&quot;&#39;");
    }

    #[test]
    fn ticks_are_round() {
        assert_eq!(tick_step(10.0), 2.0);
        assert_eq!(tick_step(0.3), 0.1);
        assert_eq!(tick_step(0.0), 1.0);
        assert_eq!(tick_step(f64::NAN), 1.0);
    }
}
