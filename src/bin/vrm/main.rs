//! `vrm`: the VRM API from the command line, with the local cache.

mod commands;
mod output;
mod progress;
mod report;
mod times;

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

use output::Format;

const EXIT_CODES: &str = "Exit codes: 0 success, 2 usage or invalid input, 3 API error \
(authentication included), 4 network error, 5 offline and not in the cache, 1 anything else \
(the cache file).

Secrets come from the environment only: VRM_TOKEN (a personal access token), or \
VRM_USERNAME + VRM_PASSWORD (+ VRM_SMS_TOKEN), or --demo for VRM's demo account.";

/// The Victron Energy VRM API from the command line, with a local cache.
#[derive(Debug, Parser)]
#[command(name = "vrm", version, about, after_help = EXIT_CODES)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    /// Output format (also accepted after the command).
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub format: Option<Format>,
    #[command(subcommand)]
    pub command: Command,
}

/// Options of every command.
#[derive(Debug, Args)]
pub struct Global {
    /// The cache file (default: the platform cache folder).
    #[arg(long, global = true, value_name = "PATH", conflicts_with = "no_cache")]
    pub cache: Option<PathBuf>,
    /// Use no cache at all.
    #[arg(long, global = true)]
    pub no_cache: bool,
    /// Never touch the network; a miss is an error (exit 5).
    #[arg(long, global = true, conflicts_with = "refresh")]
    pub offline: bool,
    /// Always ask VRM, and update the cache.
    #[arg(long, global = true)]
    pub refresh: bool,
    /// The API's base URL (also VRM_API_URL).
    #[arg(long, global = true, value_name = "URL")]
    pub base_url: Option<String>,
    /// Use VRM's public demo account.
    #[arg(long, global = true)]
    pub demo: bool,
    /// Offline without credentials: the cached account to read, when the
    /// cache holds several for the host (also VRM_ACCOUNT).
    #[arg(long, global = true, value_name = "ID")]
    pub account: Option<String>,
    /// More logs on stderr (-v: each request, -vv: debug).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
}

/// `--format` after the command.
#[derive(Debug, Args, Clone, Copy)]
pub struct Out {
    /// Output format: table (default), csv or json.
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub format: Option<Format>,
}

/// A time window.
#[derive(Debug, Args, Clone)]
pub struct Window {
    /// Start: RFC 3339, YYYY-MM-DD, unix seconds, now, or -24h / -7d / -90m.
    #[arg(long, value_name = "TIME", allow_hyphen_values = true)]
    pub from: String,
    /// End, in the same forms.
    #[arg(long, value_name = "TIME", allow_hyphen_values = true)]
    pub to: String,
}

/// An optional time window.
#[derive(Debug, Args, Clone)]
pub struct MaybeWindow {
    /// Start: RFC 3339, YYYY-MM-DD, unix seconds, now, or -24h / -7d / -90m.
    #[arg(long, value_name = "TIME", allow_hyphen_values = true, requires = "to")]
    pub from: Option<String>,
    /// End, in the same forms.
    #[arg(
        long,
        value_name = "TIME",
        allow_hyphen_values = true,
        requires = "from"
    )]
    pub to: Option<String>,
}

/// The stats type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum StatsType {
    /// VRM's energy set (Pc, Gc, Pb, …).
    Kwh,
    /// The codes of --codes.
    Custom,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// The whole flow on VRM's demo account: sites, a week of kWh, a report.
    Demo {
        #[command(flatten)]
        out: Out,
    },
    /// Exchange VRM_USERNAME + VRM_PASSWORD for a personal access token.
    Login {
        /// The token's name (unique per account).
        #[arg(long, value_name = "NAME")]
        name: Option<String>,
        #[command(flatten)]
        out: Out,
    },
    /// The logged-in user.
    Me {
        #[command(flatten)]
        out: Out,
    },
    /// The installations of the account.
    Installations {
        /// With alarms, tags and latest values.
        #[arg(long)]
        extended: bool,
        #[command(flatten)]
        out: Out,
    },
    /// The devices of an installation.
    Overview {
        /// Installation id.
        site: String,
        #[command(flatten)]
        out: Out,
    },
    /// The latest value of every attribute.
    Diagnostics {
        /// Installation id.
        site: String,
        /// At most this many records.
        #[arg(long, default_value_t = 1000)]
        count: u32,
        #[command(flatten)]
        out: Out,
    },
    /// Energy (or other attributes) over a window, in buckets.
    Stats {
        /// Installation id.
        site: String,
        /// kwh or custom.
        #[arg(long = "type", value_enum, default_value = "kwh")]
        kind: StatsType,
        /// Attribute codes for --type custom, comma separated.
        #[arg(long, value_delimiter = ',')]
        codes: Vec<String>,
        /// 15mins, hours, days, weeks, months or years.
        #[arg(long, default_value = "hours")]
        interval: String,
        #[command(flatten)]
        window: Window,
        /// Per device instance.
        #[arg(long)]
        instances: bool,
        #[command(flatten)]
        out: Out,
    },
    /// Totals for today, this week, month and year.
    Overall {
        /// Installation id.
        site: String,
        /// kwh or custom (default: VRM's live-feed totals).
        #[arg(long = "type", value_enum)]
        kind: Option<StatsType>,
        /// Attribute codes for --type custom, comma separated.
        #[arg(long, value_delimiter = ',')]
        codes: Vec<String>,
        #[command(flatten)]
        out: Out,
    },
    /// Graph points of some attributes.
    Graph {
        /// Installation id.
        site: String,
        /// Attribute codes, comma separated.
        #[arg(long, value_delimiter = ',', required = true)]
        codes: Vec<String>,
        /// Device instance.
        #[arg(long)]
        instance: Option<u32>,
        #[command(flatten)]
        window: Window,
        #[command(flatten)]
        out: Out,
    },
    /// Any widget by name (VeBusState, BatterySummary, Status, …).
    Widget {
        /// Installation id.
        site: String,
        /// The widget's name.
        name: String,
        /// Device instance.
        #[arg(long)]
        instance: Option<u32>,
        #[command(flatten)]
        window: MaybeWindow,
        #[command(flatten)]
        out: Out,
    },
    /// Export logged data or kWh to a CSV or XLS file.
    Download {
        /// Installation id.
        site: String,
        #[command(flatten)]
        window: Window,
        /// File format: csv or xls.
        #[arg(long = "format", value_name = "csv|xls", default_value = "csv")]
        file_format: String,
        /// log or kwh.
        #[arg(long, default_value = "log")]
        datatype: String,
        /// Where to write the file.
        #[arg(short, long, value_name = "FILE")]
        output: PathBuf,
    },
    /// GPS tracks as KML.
    Gps {
        /// Installation id.
        site: String,
        #[command(flatten)]
        window: Window,
        /// Where to write the KML (default: stdout).
        #[arg(short, long, value_name = "FILE")]
        output: Option<PathBuf>,
    },
    /// The tags of an installation.
    Tags {
        /// Installation id.
        site: String,
        #[command(flatten)]
        out: Out,
    },
    /// Personal access tokens.
    Tokens {
        #[command(subcommand)]
        action: TokensAction,
    },
    /// The local cache.
    Cache {
        #[command(subcommand)]
        action: CacheAction,
    },
    /// Search the attribute catalogue of the VRM doc.
    Codes {
        /// Words to look for in code or description.
        search: Option<String>,
        /// Only this device type (Battery Monitor, Solar Charger, …).
        #[arg(long, value_name = "TYPE")]
        device: Option<String>,
        #[command(flatten)]
        out: Out,
    },
    /// Energy flows per day in the installation's time zone, with a chart.
    Report {
        /// Installation id.
        site: String,
        #[command(flatten)]
        window: Window,
        #[command(flatten)]
        out: Out,
    },
    /// Fill the cache with hourly stats over a long range (resumable).
    Sync {
        /// Installation id.
        site: String,
        /// Start, in the forms of --from elsewhere.
        #[arg(long, value_name = "TIME", allow_hyphen_values = true)]
        from: String,
        /// End (default: now).
        #[arg(
            long,
            value_name = "TIME",
            allow_hyphen_values = true,
            default_value = "now"
        )]
        to: String,
        /// kwh or custom.
        #[arg(long = "type", value_enum, default_value = "kwh")]
        kind: StatsType,
        /// Attribute codes for --type custom, comma separated.
        #[arg(long, value_delimiter = ',')]
        codes: Vec<String>,
        #[command(flatten)]
        out: Out,
    },
    /// Shell completions.
    Completions {
        /// bash, zsh or fish.
        shell: clap_complete::Shell,
    },
}

#[derive(Debug, Subcommand)]
pub enum TokensAction {
    /// The tokens of the account.
    List {
        #[command(flatten)]
        out: Out,
    },
    /// Create a token (its value is shown once).
    Create {
        /// The token's name.
        name: String,
        #[command(flatten)]
        out: Out,
    },
    /// Revoke a token by id, or every token with '*'.
    Revoke {
        /// A token id or '*'.
        id: String,
        #[command(flatten)]
        out: Out,
    },
}

#[derive(Debug, Subcommand)]
pub enum CacheAction {
    /// Where the cache is, its size and rows per site and kind.
    Info {
        #[command(flatten)]
        out: Out,
    },
    /// Delete cached data.
    Purge {
        /// Only this installation.
        #[arg(long)]
        site: Option<String>,
        /// Only this kind (stats, diagnostics, installations, …).
        #[arg(long)]
        kind: Option<String>,
        /// Only data older than this (90d, 12h, …).
        #[arg(long, value_name = "AGE")]
        older_than: Option<String>,
        #[command(flatten)]
        out: Out,
    },
}

/// How a failure maps to an exit code and a message.
pub enum Failure {
    /// Bad input or usage (2).
    Usage(String),
    /// A library error.
    Vrm(vrm::Error),
    /// Writing the output or a file failed (1).
    Io(String),
}

impl From<vrm::Error> for Failure {
    fn from(e: vrm::Error) -> Self {
        Failure::Vrm(e)
    }
}

impl Failure {
    fn code(&self) -> u8 {
        match self {
            Failure::Usage(_) => 2,
            Failure::Io(_) => 1,
            Failure::Vrm(e) => match e {
                vrm::Error::InvalidInput(_) => 2,
                vrm::Error::Transport(_) => 4,
                vrm::Error::NotCached(_) => 5,
                vrm::Error::Cache(_) => 1,
                _ => 3,
            },
        }
    }

    fn message(&self) -> String {
        match self {
            Failure::Usage(m) | Failure::Io(m) => m.clone(),
            Failure::Vrm(vrm::Error::Transport(e)) => format!(
                "could not reach VRM ({e}); check the network, or use --offline for cached data"
            ),
            Failure::Vrm(e) => e.to_string(),
        }
    }
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) if !e.use_stderr() => {
            // --help, --version: to stdout, as they are.
            let _ = e.print();
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("vrm: {}", one_line(&e.to_string()));
            return ExitCode::from(2);
        }
    };
    progress::init_logging(cli.global.verbose);
    // Buffered: CSV of a year of hours is 50,000 lines, and a locked
    // stdout alone would write each line with its own system call.
    let mut stdout = std::io::BufWriter::with_capacity(64 * 1024, std::io::stdout().lock());
    match commands::run(&cli, &mut stdout) {
        Ok(()) => match stdout.flush() {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
            Err(_) => ExitCode::from(1),
        },
        Err(failure) => {
            let _ = stdout.flush();
            eprintln!("vrm: {}", failure.message().replace('\n', " "));
            ExitCode::from(failure.code())
        }
    }
}

/// A usage error of clap on one line: its lines joined, without the
/// `error: ` prefix (the value, the accepted ones, the usage all kept).
fn one_line(text: &str) -> String {
    let mut out = String::new();
    for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let line = line.strip_prefix("error: ").unwrap_or(line);
        if !out.is_empty() {
            out.push_str(if out.ends_with(':') || line.starts_with('[') {
                " "
            } else {
                "; "
            });
        }
        out.push_str(line);
    }
    out
}
