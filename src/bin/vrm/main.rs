//! `vrm`: the VRM API from the command line, with the local cache.

mod cmd;
mod commands;
mod output;
mod progress;
mod report;
mod times;

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};

use output::Format;

const EXIT_CODES: &str = "Exit codes: 0 success, 2 usage or invalid input (nothing was sent), \
3 VRM answered with an error or an answer that cannot be used (authentication included), \
4 network error (DNS, connect, TLS, timeout), 5 offline and not in the cache, 1 anything else \
(the cache file, writing the output).

Time limits: --timeout SECS (or VRM_TIMEOUT; default 60) bounds one request, connecting and \
the whole answer included. A GET that fails with a network error, a timeout, a 5xx or a 429 is \
tried up to 4 times, with back-offs of 0.25-0.5 s, 0.5-1 s and 1-2 s between the tries, or the \
Retry-After of a 429 when it asks for at most 60 s. So with the defaults one GET gives up after \
at most 4 x 60 s + 3.5 s = 243.5 s (about 4 minutes), or 4 x 60 s + 3 x 60 s = 420 s (7 minutes) \
when VRM keeps answering 429 with Retry-After: 60; with --timeout T, 4T + 3.5 s (4T + 180 s). \
No request starts more than 10 minutes after the first one of its call (a login first, a long \
stats window fetched in chunks), so one call ends within 10 minutes + T. `vrm demo`: 30 s a \
request unless --timeout is given, 2 tries.

Server text (names, tags, error messages) is printed with its control characters escaped, \
ESC as \\u{1b}; --format json gives it exactly.

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
    /// The cache: a file, or the shared PostgreSQL cache as a URL
    /// (postgres://user:password@host/db; also VRM_CACHE_URL). Default: a
    /// file in the platform cache folder.
    #[arg(
        long,
        global = true,
        value_name = "PATH|URL",
        conflicts_with = "no_cache"
    )]
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
    /// Longest time for one request, in seconds, connecting and the whole
    /// answer included (also VRM_TIMEOUT; default 60). See "Time limits".
    #[arg(long, global = true, value_name = "SECS", value_parser = parse_timeout)]
    pub timeout: Option<Duration>,
    /// Send attribute codes the catalogue of the VRM doc does not know
    /// (VRM adds codes); without it an unknown code is refused before any
    /// request, with the code it most likely meant.
    #[arg(long, global = true)]
    pub allow_unknown_codes: bool,
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

/// The stats type (the spec's `type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum StatsType {
    /// VRM's energy set (Pc, Gc, Pb, …).
    Kwh,
    /// The codes of --codes.
    Custom,
    /// The GX device's set.
    Venus,
    /// The live feed's set (VRM's default).
    #[value(name = "live_feed", alias = "live-feed")]
    LiveFeed,
    /// Consumption.
    Consumption,
    /// Solar yield.
    #[value(name = "solar_yield", alias = "solar-yield")]
    SolarYield,
    /// Generator energy.
    Generator,
    /// Generator run time.
    #[value(name = "generator-runtime", alias = "generator_runtime")]
    GeneratorRuntime,
    /// Solar and consumption forecasts (stats only; windows may lie ahead).
    Forecast,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// The whole flow on VRM's demo account: sites, a week of kWh, a report.
    Demo(cmd::demo::DemoArgs),

    /// Exchange VRM_USERNAME + VRM_PASSWORD for a personal access token.
    Login(cmd::account::LoginArgs),

    /// The logged-in user.
    Me(cmd::account::MeArgs),

    /// The installations of the account.
    Installations(cmd::account::InstallationsArgs),
    /// Find the sites the account may see: by id, e-mail, name, serial or identifier.
    Search(cmd::search::SearchArgs),
    /// The site id of an installation identifier (the VRM portal id).
    SiteId(cmd::sites::SiteIdArgs),
    /// Add an installation to the account, or unlink one from it.
    Sites {
        #[command(subcommand)]
        action: cmd::sites::SitesAction,
    },
    /// The account's pending invitations and the access requests awaiting it.
    Invites(cmd::users::InvitesArgs),
    /// Who may see a site; invite, remove, rights, invite-rights, link-groups, group-level, remove-group.
    Users(cmd::users::UsersArgs),

    /// The devices of an installation.
    Overview(cmd::site::OverviewArgs),

    /// The latest value of every attribute.
    Diagnostics(cmd::site::DiagnosticsArgs),
    /// The alarms of an installation: list, add, edit, remove, clear, log.
    Alarms {
        #[command(subcommand)]
        action: cmd::alarms::AlarmsAction,
    },
    /// Dynamic ESS of an installation: get, set, schedule, adjust.
    Dess {
        #[command(subcommand)]
        action: cmd::dess::DessAction,
    },

    /// The tags of an installation: SITE [--filter SOURCE], or list|add|remove.
    Tags(cmd::tags::TagsArgs),
    /// Change settings of an installation (name, notes, alarms, …).
    Settings(cmd::settings::SettingsArgs),
    /// Mark an installation a favorite (--off to unmark).
    Favorite(cmd::settings::FavoriteArgs),
    /// Forecasts of an installation: last-reset, reset.
    Forecasts {
        #[command(subcommand)]
        action: cmd::settings::ForecastsAction,
    },
    /// Custom widgets of an installation: get, add, edit, remove.
    CustomWidget {
        #[command(subcommand)]
        action: cmd::settings::CustomWidgetAction,
    },

    /// Energy (or other attributes) over a window, in buckets.
    Stats(cmd::stats::StatsArgs),
    /// VRM's solar and consumption forecasts (default: now to 48 h ahead).
    Forecast(cmd::forecast::ForecastArgs),

    /// Totals for today, this week, month and year.
    Overall(cmd::stats::OverallArgs),

    /// Graph points of some attributes.
    Graph(cmd::widgets::GraphArgs),

    /// Any widget by its spec name (VeBusState, BatterySummary, HoursOfAc, DCMeter, …).
    Widget(cmd::widgets::WidgetArgs),
    /// VRM's live attribute catalogue, or the installations matching --query.
    Attributes(cmd::attributes::AttributesArgs),

    /// Energy flows per local day in the installation's time zone, with a
    /// chart (--html, --svg for one to open).
    Report(cmd::report::ReportArgs),
    /// Fill the cache with stats over a long range, for a site or --all (resumable).
    Sync(cmd::sync::SyncArgs),

    /// Export logged data, benchmarks or kWh to a CSV, Excel or HTML file.
    Download(cmd::downloads::DownloadArgs),

    /// An overview of some installations: chosen columns, as rows or an XLSX file.
    OverviewDownload(cmd::downloads::OverviewDownloadArgs),

    /// GPS tracks as KML.
    Gps(cmd::downloads::GpsArgs),
    /// Any operation: METHOD PATH [--query K=V …] [--body JSON|@FILE].
    Call(cmd::call::CallArgs),
    /// Admin and firmware operations (devices, attributes-count, firmwares, …).
    Admin(cmd::admin::AdminArgs),
    /// Personal access tokens.
    Tokens {
        #[command(subcommand)]
        action: cmd::tokens::TokensAction,
    },
    /// The local cache.
    Cache {
        #[command(subcommand)]
        action: CacheAction,
    },
    /// Search the attribute catalogue of the VRM doc.
    Codes(cmd::codes::CodesArgs),
    /// Shell completions.
    Completions {
        /// bash, zsh or fish.
        shell: clap_complete::Shell,
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
///
/// Exit 2 means "nothing was sent": only input found wrong before any
/// request is [`Failure::Usage`] (or the library's `InvalidInput`, which it
/// raises before sending). Whatever VRM answered that cannot be used is 3,
/// and 4 is kept for a network that failed (DNS, connect, TLS, timeout).
pub enum Failure {
    /// Bad input or usage, found before any request (2).
    Usage(String),
    /// VRM answered, but not with what the command needs: the site is not
    /// among the account's installations, an unknown time zone … (3).
    Answer(String),
    /// The network failed, with advice of the command's own (4).
    Network(String),
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
            Failure::Answer(_) => 3,
            Failure::Network(_) => 4,
            Failure::Io(_) => 1,
            Failure::Vrm(e) => match e {
                vrm::Error::InvalidInput(_) => 2,
                vrm::Error::Transport(_) => 4,
                vrm::Error::NotCached(_) => 5,
                vrm::Error::Cache(_) => 1,
                // Api, Unauthorized, TwoFactorRequired, RateLimited,
                // TooLarge, Decode and any later one: VRM answered.
                _ => 3,
            },
        }
    }

    /// The message, before [`print_error`] escapes and bounds it; server
    /// text in it is cut to [`output::SERVER_TEXT_CHARS`] a piece already.
    /// `timeout` is the `--timeout` in force, if one was given.
    fn message(&self, timeout: Option<Duration>) -> String {
        match self {
            Failure::Usage(m) | Failure::Answer(m) | Failure::Network(m) | Failure::Io(m) => {
                m.clone()
            }
            Failure::Vrm(e) => vrm_message(e, timeout),
        }
    }
}

/// The message of a library error, with the advice that fits it.
fn vrm_message(e: &vrm::Error, timeout: Option<Duration>) -> String {
    use output::{SERVER_TEXT_CHARS, bounded};
    match e {
        vrm::Error::Transport(t) if t.kind() == vrm::TransportKind::Timeout => {
            let limit = match timeout {
                Some(t) => format!("now {} s", t.as_secs_f64()),
                None => "default 60 s".to_owned(),
            };
            format!(
                "timed out ({t}); check the network or raise --timeout ({limit}), or use \
                 --offline for cached data"
            )
        }
        vrm::Error::Transport(t) => format!(
            "could not reach VRM ({t}); check the network, or use --offline for cached data"
        ),
        vrm::Error::TooLarge { .. } => {
            format!("the answer was too large ({e}); ask for less, a shorter window for example")
        }
        vrm::Error::Api(a) => format!("vrm api error: {}", api_text(a)),
        vrm::Error::Unauthorized(a) => format!("vrm refused the credentials: {}", api_text(a)),
        vrm::Error::TwoFactorRequired {
            verification_mode, ..
        } => format!(
            "this account uses two-factor authentication ({}): set VRM_SMS_TOKEN to the code \
             VRM sent and run again",
            bounded(verification_mode.as_deref().unwrap_or("unknown mode"), 40)
        ),
        vrm::Error::Decode(d) => {
            let mut text = format!("unexpected answer from {} (http {})", d.endpoint, d.status);
            if let Some(source) = &d.source {
                // serde quotes the offending value, which may be long; its
                // position ("at line 1 column 9") is kept whole.
                let full = source.to_string();
                let at = format!(" at line {} column {}", source.line(), source.column());
                let (what, at) = match full.strip_suffix(at.as_str()) {
                    Some(what) if source.line() > 0 => (what, at.as_str()),
                    _ => (full.as_str(), ""),
                };
                text.push_str(&format!(": {}{at}", bounded(what, SERVER_TEXT_CHARS / 2)));
            }
            text.push_str(&format!(
                "; body starts: {:?}",
                bounded(&d.snippet, SERVER_TEXT_CHARS / 2)
            ));
            text
        }
        other => other.to_string(),
    }
}

/// `http 404 from installations/{idSite}/system-overview (not_found): …`,
/// VRM's `error_code` and `errors` cut to a bounded length.
fn api_text(e: &vrm::ApiError) -> String {
    use output::{SERVER_TEXT_CHARS, bounded};
    let mut text = format!("http {} from {}", e.status, e.endpoint);
    if let Some(code) = &e.error_code {
        text.push_str(&format!(" ({})", bounded(code, 40)));
    }
    if !e.errors.is_empty() {
        text.push_str(&format!(
            ": {}",
            bounded(&e.errors.join("; "), SERVER_TEXT_CHARS)
        ));
    }
    text
}

/// The longest error line, in characters after escaping (the server text
/// in it is bounded much tighter; this bounds everything else).
const MESSAGE_CHARS: usize = 1000;

/// Print `message` as the one line `vrm: …` on stderr: line breaks made
/// spaces, control characters escaped, cut to [`MESSAGE_CHARS`].
fn print_error(message: &str) {
    eprintln!(
        "vrm: {}",
        output::bounded(&message.replace('\n', " "), MESSAGE_CHARS)
    );
}

/// What `--timeout` and `VRM_TIMEOUT` accept.
const TIMEOUT_FORMS: &str = "a number of seconds from 0.001 to 86400, like 30 or 2.5";

/// `--timeout`: a positive number of seconds, fractions allowed, at most a
/// day (so that no deadline computed from it can overflow).
fn parse_timeout(text: &str) -> Result<Duration, String> {
    text.trim()
        .parse::<f64>()
        .ok()
        .filter(|s| (0.001..=86_400.0).contains(s))
        .map(Duration::from_secs_f64)
        .ok_or_else(|| format!("expected {TIMEOUT_FORMS}"))
}

/// `VRM_TIMEOUT` when `--timeout` is not given (unset or blank: none).
fn timeout_from_env() -> Result<Option<Duration>, String> {
    let Some(value) = std::env::var_os("VRM_TIMEOUT") else {
        return Ok(None);
    };
    let value = value.to_string_lossy();
    if value.trim().is_empty() {
        return Ok(None);
    }
    parse_timeout(&value)
        .map(Some)
        .map_err(|e| format!("VRM_TIMEOUT {value:?}: {e}"))
}

fn main() -> ExitCode {
    let mut cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) if !e.use_stderr() => {
            // --help, --version: to stdout, as they are.
            let _ = e.print();
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            print_error(&one_line(&e.to_string()));
            return ExitCode::from(2);
        }
    };
    if cli.global.timeout.is_none() {
        match timeout_from_env() {
            Ok(timeout) => cli.global.timeout = timeout,
            Err(message) => {
                print_error(&message);
                return ExitCode::from(2);
            }
        }
    }
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
            print_error(&failure.message(cli.global.timeout));
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The error of `client.me()` against `url` without retries.
    fn me_error(url: &str, edit: impl FnOnce(vrm::ClientBuilder) -> vrm::ClientBuilder) -> Failure {
        let builder = vrm::Client::builder()
            .base_url(url)
            .personal_token("test-token")
            .max_retries(0);
        let client = edit(builder).build().expect("a client");
        Failure::Vrm(client.me().expect_err("an error"))
    }

    #[test]
    fn exit_codes() {
        assert_eq!(Failure::Usage("u".into()).code(), 2);
        assert_eq!(Failure::Answer("a".into()).code(), 3);
        assert_eq!(Failure::Io("w".into()).code(), 1);
        assert_eq!(Failure::Vrm(vrm::Error::InvalidInput("i".into())).code(), 2);
        assert_eq!(Failure::Vrm(vrm::Error::NotCached("n".into())).code(), 5);
        let limited = Failure::Vrm(vrm::Error::RateLimited { retry_after: None });
        assert_eq!(limited.code(), 3);
    }

    #[test]
    fn an_answer_too_large_is_3_and_says_so() {
        let mut server = mockito::Server::new();
        let big = server
            .mock("GET", "/users/me")
            .with_body("x".repeat(100))
            .expect(1)
            .create();
        let failure = me_error(&server.url(), |b| b.max_body_bytes(10));
        assert!(
            matches!(&failure, Failure::Vrm(vrm::Error::TooLarge { .. })),
            "{}",
            failure.message(None)
        );
        assert_eq!(failure.code(), 3);
        let message = failure.message(None);
        assert!(
            message.starts_with("the answer was too large ("),
            "{message}"
        );
        assert!(!message.contains("network"), "{message}");
        big.assert();
    }

    #[test]
    fn network_failures_are_4_and_timeouts_say_so() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        let timeout = Duration::from_millis(200);
        let failure = me_error(&url, |b| b.timeout(timeout));
        assert_eq!(failure.code(), 4);
        let message = failure.message(Some(timeout));
        assert!(
            message.starts_with("timed out (") && message.contains("(now 0.2 s)"),
            "{message}"
        );
        drop(listener);
        let failure = me_error(&url, |b| b);
        assert_eq!(failure.code(), 4);
        let message = failure.message(None);
        assert!(message.starts_with("could not reach VRM ("), "{message}");
    }

    #[test]
    fn timeouts_parse_as_positive_seconds() {
        assert_eq!(parse_timeout("30"), Ok(Duration::from_secs(30)));
        assert_eq!(parse_timeout(" 2.5 "), Ok(Duration::from_millis(2500)));
        assert_eq!(parse_timeout("0.001"), Ok(Duration::from_millis(1)));
        assert_eq!(parse_timeout("86400"), Ok(Duration::from_secs(86_400)));
        for bad in [
            "0", "-1", "0.0001", "86401", "inf", "NaN", "", "30s", "1e400",
        ] {
            let e = parse_timeout(bad).unwrap_err();
            assert!(e.contains("0.001 to 86400"), "{bad}: {e}");
        }
    }
}
