//! The progress bar (stderr, terminals only) and the `-v` logger.

use std::io::{IsTerminal, Write};

/// A one-line progress bar on stderr, drawn only when stderr is a terminal
/// and the work takes more than one request.
pub struct Progress {
    label: String,
    enabled: bool,
    drawn: bool,
}

impl Progress {
    pub fn new(label: impl Into<String>) -> Progress {
        Progress {
            label: label.into(),
            enabled: std::io::stderr().is_terminal(),
            drawn: false,
        }
    }

    /// Change the label shown before the bar.
    pub fn relabel(&mut self, label: impl Into<String>) {
        self.label = label.into();
    }

    /// Show `done` of `total`.
    pub fn update(&mut self, done: usize, total: usize) {
        if !self.enabled || total < 2 {
            return;
        }
        const WIDTH: usize = 30;
        let filled = (done * WIDTH).checked_div(total).unwrap_or(0).min(WIDTH);
        let mut err = std::io::stderr().lock();
        let _ = write!(
            err,
            "\r{} [{}{}] {done}/{total} requests\x1b[K",
            self.label,
            "#".repeat(filled),
            "-".repeat(WIDTH - filled)
        );
        let _ = err.flush();
        self.drawn = true;
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        if self.drawn {
            // Clear the line so that only results remain.
            let _ = write!(std::io::stderr(), "\r\x1b[2K");
        }
    }
}

/// Log records of this crate to stderr, at the level `-v` (info) or `-vv`
/// (debug) sets. The HTTP library's own records stay off: at trace level
/// they hold raw bytes, tokens included.
struct StderrLogger {
    level: log::LevelFilter,
    /// `-v`: also the one line per request (debug records of `vrm::http`).
    requests: bool,
}

impl log::Log for StderrLogger {
    fn enabled(&self, meta: &log::Metadata<'_>) -> bool {
        let request_line =
            self.requests && meta.target() == "vrm::transport" && meta.level() <= log::Level::Debug;
        meta.target().starts_with("vrm") && (meta.level() <= self.level || request_line)
    }

    fn log(&self, record: &log::Record<'_>) {
        if self.enabled(record.metadata()) {
            let _ = writeln!(
                std::io::stderr(),
                "vrm: {}: {}",
                record.level().as_str().to_lowercase(),
                // Library messages quote server text: escaped, bounded.
                crate::output::bounded(&record.args().to_string(), 1000)
            );
        }
    }

    fn flush(&self) {}
}

/// Install the logger for `verbosity` (0: warnings, 1: info and each
/// request, 2+: debug).
pub fn init_logging(verbosity: u8) {
    let level = match verbosity {
        0 => log::LevelFilter::Warn,
        1 => log::LevelFilter::Info,
        _ => log::LevelFilter::Debug,
    };
    let requests = verbosity >= 1;
    let logger: &'static StderrLogger = Box::leak(Box::new(StderrLogger { level, requests }));
    if log::set_logger(logger).is_ok() {
        // The request lines are debug records: let them through with -v.
        log::set_max_level(if requests {
            log::LevelFilter::Debug
        } else {
            level
        });
    }
}
