//! Each command: parse its input, call the library, shape the output.

use std::io::Write;

use serde_json::{Value, json};
use time::OffsetDateTime;
use vrm::{Cache, CacheKind, CacheMode, Client, Interval, Purge, SiteId, StatsKind, TimeWindow};

use crate::output::{Format, Output, Table, escape};
use crate::times::{parse_age, parse_time, rfc3339};
use crate::{CacheAction, Cli, Command, Failure, Out, StatsType, Window};

pub(crate) type Result<T> = std::result::Result<T, Failure>;

pub(crate) fn usage(message: impl Into<String>) -> Failure {
    Failure::Usage(message.into())
}

pub(crate) fn now() -> OffsetDateTime {
    OffsetDateTime::now_utc()
}

pub(crate) fn site_id(text: &str) -> Result<SiteId> {
    text.trim().parse::<SiteId>().map_err(|_| {
        usage(format!(
            "site {text:?}: expected an installation id, a number (see `vrm installations`)"
        ))
    })
}

pub(crate) fn window(w: &Window) -> Result<TimeWindow> {
    let now = now();
    let from = parse_time(&w.from, now).map_err(|e| usage(format!("--from: {e}")))?;
    let to = parse_time(&w.to, now).map_err(|e| usage(format!("--to: {e}")))?;
    Ok(TimeWindow::new(from, to)?)
}

pub(crate) fn interval(text: &str) -> Result<Interval> {
    Ok(text.parse::<Interval>()?)
}

/// Attribute codes as given, checked against the catalogue of the VRM doc
/// before any request: an unknown one is refused with the code it most
/// likely meant, unless `--allow-unknown-codes` lets codes through that VRM
/// added after the doc.
pub(crate) fn checked_codes(cli: &Cli, codes: &[String]) -> Result<Vec<String>> {
    let codes: Vec<String> = codes
        .iter()
        .map(|c| c.trim().to_owned())
        .filter(|c| !c.is_empty())
        .collect();
    if cli.global.allow_unknown_codes {
        return Ok(codes);
    }
    for code in &codes {
        if vrm::catalog::is_known(code) {
            continue;
        }
        let shown = escape(code);
        let guesses: Vec<String> = vrm::catalog::suggestions(code)
            .iter()
            .take(3)
            .map(|a| format!("'{}' ({})", a.code, a.description))
            .collect();
        let hint = if guesses.is_empty() {
            ", not in the catalogue of the VRM doc.".to_owned()
        } else {
            format!("; did you mean {}?", guesses.join(" or "))
        };
        return Err(usage(format!(
            "unknown code '{shown}'{hint} See `vrm codes`; --allow-unknown-codes sends codes \
             the catalogue does not know yet"
        )));
    }
    Ok(codes)
}

pub(crate) fn stats_kind(cli: &Cli, kind: StatsType, codes: &[String]) -> Result<StatsKind> {
    let codes = checked_codes(cli, codes)?;
    let fixed = match kind {
        StatsType::Custom if codes.is_empty() => {
            return Err(usage(
                "--type custom needs --codes, for example --codes bs,bv (see `vrm codes`)",
            ));
        }
        StatsType::Custom => return Ok(StatsKind::from_name("custom", codes)?),
        StatsType::Kwh => StatsKind::Kwh,
        StatsType::Venus => StatsKind::Venus,
        StatsType::LiveFeed => StatsKind::LiveFeed,
        StatsType::Consumption => StatsKind::Consumption,
        StatsType::SolarYield => StatsKind::SolarYield,
        StatsType::Generator => StatsKind::Generator,
        StatsType::GeneratorRuntime => StatsKind::GeneratorRuntime,
        StatsType::Forecast => StatsKind::Forecast,
    };
    if !codes.is_empty() {
        return Err(usage(format!(
            "--codes goes with --type custom; --type {fixed} is a set VRM chooses"
        )));
    }
    Ok(fixed)
}

/// The effective output format.
pub(crate) fn format_of(cli: &Cli, out: &Out) -> Format {
    out.format.or(cli.format).unwrap_or_default()
}

/// Open the cache the options ask for.
pub(crate) fn open_cache(cli: &Cli) -> Result<Option<Cache>> {
    let g = &cli.global;
    if g.no_cache {
        if g.offline {
            return Err(usage("--offline needs the cache; drop --no-cache"));
        }
        return Ok(None);
    }
    let from_env = std::env::var(CACHE_URL_ENV)
        .ok()
        .filter(|v| !v.trim().is_empty());
    Ok(Some(match (&g.cache, from_env) {
        // A PostgreSQL URL (or `sqlite:PATH`), else a file path as given.
        (Some(path), _) => match path.to_str() {
            Some(text) if is_url(text) => Cache::open_url(text)?,
            _ => Cache::open(path)?,
        },
        (None, Some(url)) => Cache::open_url(url.trim())?,
        (None, None) => Cache::open_default()?,
    }))
}

/// The variable naming the cache when `--cache` does not: a
/// `postgres://…` URL (the shared cache) or a file path.
pub(crate) const CACHE_URL_ENV: &str = "VRM_CACHE_URL";

/// Whether `--cache` names a URL rather than a file.
fn is_url(text: &str) -> bool {
    let lower = text.trim_start().to_ascii_lowercase();
    ["postgres://", "postgresql://", "sqlite:"]
        .iter()
        .any(|scheme| lower.starts_with(scheme))
}

/// A client with the credentials of the environment (or the demo account).
pub(crate) fn client(cli: &Cli, demo: bool) -> Result<Client> {
    let g = &cli.global;
    let mut builder = Client::builder();
    if let Some(url) = &g.base_url {
        builder = builder.base_url(url);
    }
    if let Some(timeout) = g.timeout {
        builder = builder.timeout(timeout);
    }
    let env = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
    builder = if demo || g.demo {
        builder.demo()
    } else if let Some(token) = env("VRM_TOKEN") {
        builder.personal_token(token.trim())
    } else if let (Some(user), Some(password)) = (env("VRM_USERNAME"), env("VRM_PASSWORD")) {
        let builder = builder.credentials(user, password);
        match env("VRM_SMS_TOKEN") {
            Some(code) => builder.sms_token(code.trim()),
            None => builder,
        }
    } else if g.offline {
        // No credentials, offline: the cache's own account (the only one
        // it holds for the host, or the one --account names).
        builder
    } else {
        return Err(usage(
            "no credentials: set VRM_TOKEN (a personal access token), or VRM_USERNAME and \
             VRM_PASSWORD, or use --demo (offline, --account ID picks a cached account)",
        ));
    };
    let account = match &g.account {
        Some(text) => Some(text.clone()),
        None => env("VRM_ACCOUNT"),
    };
    if let Some(text) = account {
        let id = text.trim().parse::<vrm::UserId>().map_err(|_| {
            usage(format!(
                "--account {text:?}: expected a VRM user id, a number (see `vrm cache info`)"
            ))
        })?;
        builder = builder.account(id);
    }
    let anonymous = g.offline
        && !(demo || g.demo)
        && env("VRM_TOKEN").is_none()
        && (env("VRM_USERNAME").is_none() || env("VRM_PASSWORD").is_none());
    if let Some(cache) = open_cache(cli)? {
        builder = builder.cache(cache);
    }
    let mode = if g.offline {
        CacheMode::Offline
    } else if g.refresh {
        CacheMode::Refresh
    } else {
        CacheMode::PreferCache
    };
    let client = builder.cache_mode(mode).build()?;
    if anonymous {
        let id = client.user_id()?;
        eprintln!(
            "vrm: offline without credentials: the cache of account {id} at {}",
            client.base_url()
        );
    }
    Ok(client)
}

pub(crate) fn emit(output: &Output, format: Format, out: &mut dyn Write) -> Result<()> {
    output.write(format, out).or_else(ignore_broken_pipe)
}

/// `vrm … | head`: the reader has what it wanted; other write errors fail.
pub(crate) fn ignore_broken_pipe(e: std::io::Error) -> Result<()> {
    if e.kind() == std::io::ErrorKind::BrokenPipe {
        Ok(())
    } else {
        Err(Failure::Io(format!("writing the output: {e}")))
    }
}

pub(crate) fn to_json<T: serde::Serialize>(value: &T) -> Value {
    serde_json::to_value(value).unwrap_or(Value::Null)
}

pub(crate) fn time_text(unix: Option<i64>) -> String {
    unix.map(rfc3339).unwrap_or_default()
}

pub fn run(cli: &Cli, out: &mut dyn Write) -> Result<()> {
    match &cli.command {
        Command::Demo(args) => crate::cmd::demo::demo(cli, args, out),

        Command::Login(args) => crate::cmd::account::login(cli, args, out),

        Command::Me(args) => crate::cmd::account::me(cli, args, out),

        Command::Installations(args) => crate::cmd::account::installations(cli, args, out),

        Command::Overview(args) => crate::cmd::site::overview(cli, args, out),

        Command::Diagnostics(args) => crate::cmd::site::diagnostics(cli, args, out),

        Command::Stats(args) => crate::cmd::stats::stats(cli, args, out),

        Command::Overall(args) => crate::cmd::stats::overall(cli, args, out),

        Command::Graph(args) => crate::cmd::widgets::graph(cli, args, out),

        Command::Widget(args) => crate::cmd::widgets::widget(cli, args, out),

        Command::Download(args) => crate::cmd::downloads::download(cli, args, out),

        Command::OverviewDownload(args) => crate::cmd::downloads::overview_download(cli, args, out),

        Command::Gps(args) => crate::cmd::downloads::gps(cli, args, out),

        Command::Tags(args) => crate::cmd::tags::run(cli, args, out),
        Command::Tokens { action } => crate::cmd::tokens::run(cli, action, out),
        Command::Call(args) => crate::cmd::call::run(cli, args, out),
        Command::Alarms { action } => crate::cmd::alarms::run(cli, action, out),
        Command::Dess { action } => crate::cmd::dess::run(cli, action, out),
        Command::Settings(args) => crate::cmd::settings::run_settings(cli, args, out),
        Command::Favorite(args) => crate::cmd::settings::run_favorite(cli, args, out),
        Command::Forecasts { action } => crate::cmd::settings::run_forecasts(cli, action, out),
        Command::CustomWidget { action } => {
            crate::cmd::settings::run_custom_widget(cli, action, out)
        }
        Command::Forecast(args) => crate::cmd::forecast::run(cli, args, out),
        Command::Attributes(args) => crate::cmd::attributes::run(cli, args, out),
        Command::Admin(args) => crate::cmd::admin::run(cli, args, out),
        Command::Cache { action } => cache(cli, action, out),
        Command::Codes(args) => crate::cmd::codes::codes(cli, args, out),

        Command::Report(args) => crate::cmd::report::run(cli, args, out),
        Command::Sync(args) => crate::cmd::sync::run(cli, args, out),
        Command::Completions { shell } => {
            let mut command = <Cli as clap::CommandFactory>::command();
            clap_complete::generate(*shell, &mut command, "vrm", out);
            Ok(())
        }
        Command::Search(args) => crate::cmd::search::run(cli, args, out),
        Command::SiteId(args) => crate::cmd::sites::site_id_run(cli, args, out),
        Command::Sites { action } => crate::cmd::sites::run(cli, action, out),
        Command::Invites(args) => crate::cmd::users::invites(cli, args, out),
        Command::Users(args) => crate::cmd::users::run(cli, args, out),
    }
}

fn cache(cli: &Cli, action: &CacheAction, out: &mut dyn Write) -> Result<()> {
    let Some(cache) = open_cache(cli)? else {
        return Err(usage("--no-cache: there is no cache to show or purge"));
    };
    match action {
        CacheAction::Info { out: o } => {
            let info = cache.info()?;
            let mut table = Table::new(["site", "kind", "rows"]).numeric(&[0, 2]);
            let mut sites = Vec::new();
            for s in &info.sites {
                let mut kinds = serde_json::Map::new();
                for k in &s.kinds {
                    table.push(vec![
                        s.site.map(|x| x.to_string()).unwrap_or_else(|| "-".into()),
                        k.kind.as_str().to_owned(),
                        k.rows.to_string(),
                    ]);
                    kinds.insert(k.kind.as_str().to_owned(), json!(k.rows));
                }
                sites.push(json!({"site": s.site.map(SiteId::get), "rows": kinds}));
            }
            let path = info.path.as_ref().map(|p| p.display().to_string());
            let data = json!({
                "path": path,
                "location": info.location,
                "size_bytes": info.size_bytes,
                "sites": sites
            });
            let output = Output::local(data, table)
                .note(format!("{}: {} bytes", info.location, info.size_bytes));
            emit(&output, format_of(cli, o), out)
        }
        CacheAction::Purge {
            site,
            kind,
            older_than,
            out: o,
        } => {
            let mut purge = Purge::all();
            if let Some(site) = site {
                purge = purge.site(site_id(site)?);
            }
            if let Some(kind) = kind {
                let k = CacheKind::from_name(kind).ok_or_else(|| {
                    let names: Vec<&str> = CacheKind::ALL.iter().map(|k| k.as_str()).collect();
                    usage(format!(
                        "--kind {kind:?}: expected one of {}",
                        names.join(", ")
                    ))
                })?;
                purge = purge.kind(k);
            }
            if let Some(age) = older_than {
                purge = purge
                    .older_than(parse_age(age).map_err(|e| usage(format!("--older-than: {e}")))?);
            }
            let deleted = cache.purge(&purge, now())?;
            cache.vacuum()?;
            let mut table = Table::new(["deleted rows"]).numeric(&[0]);
            table.push(vec![deleted.to_string()]);
            emit(
                &Output::local(json!({"deleted": deleted}), table),
                format_of(cli, o),
                out,
            )
        }
    }
}
