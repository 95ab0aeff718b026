//! `vrm me`, `vrm installations`, `vrm login`: the account.

use std::io::Write;

use clap::Args;
use serde_json::json;
use vrm::{CacheMode, Client, Fetched};

use crate::commands::*;
use crate::output::{Format, Output, Table, text};
use crate::{Cli, Out};

#[derive(Debug, Args)]
pub struct MeArgs {
    #[command(flatten)]
    pub out: Out,
}

/// `vrm me`.
pub fn me(cli: &Cli, args: &MeArgs, out: &mut dyn Write) -> Result<()> {
    let MeArgs { out: o } = args;

    let client = client(cli, false)?;
    let me = client.me()?;
    let mut table = Table::new(["field", "value"]);
    for (field, value) in [
        ("id", me.id.to_string()),
        ("name", text(me.name.as_deref())),
        ("email", text(me.email.as_deref())),
        ("country", text(me.country.as_deref())),
        (
            "access level",
            me.access_level.map(|l| l.to_string()).unwrap_or_default(),
        ),
    ] {
        table.push(vec![field.into(), value]);
    }
    emit(
        &Output::from(&me, to_json(me.value()), table),
        format_of(cli, o),
        out,
    )
}

#[derive(Debug, Args)]
pub struct InstallationsArgs {
    /// With alarms, tags and latest values.
    #[arg(long)]
    pub extended: bool,
    #[command(flatten)]
    pub out: Out,
}

/// `vrm installations`.
pub fn installations(cli: &Cli, args: &InstallationsArgs, out: &mut dyn Write) -> Result<()> {
    let InstallationsArgs { extended, out: o } = args;

    let client = client(cli, false)?;
    let id = client.user_id()?;
    let user = client.user(id);
    let sites = if *extended {
        user.installations_extended()?
    } else {
        user.installations()?
    };
    emit(
        &installations_output(&sites, *extended),
        format_of(cli, o),
        out,
    )
}

#[derive(Debug, Args)]
pub struct LoginArgs {
    /// The token's name (unique per account).
    #[arg(long, value_name = "NAME", value_parser = crate::cmd::tokens::token_name)]
    pub name: Option<String>,
    #[command(flatten)]
    pub out: Out,
}

/// `vrm login`.
pub fn login(cli: &Cli, args: &LoginArgs, out: &mut dyn Write) -> Result<()> {
    let LoginArgs { name, out: o } = args;
    log_in(cli, name.as_deref(), format_of(cli, o), out)
}

pub(crate) fn installations_output(
    sites: &Fetched<Vec<vrm::models::Installation>>,
    extended: bool,
) -> Output {
    let mut header = vec!["id", "name", "identifier", "timezone"];
    if extended {
        header.extend(["alarm", "last seen"]);
    }
    let mut table =
        Table::with_header(header.iter().map(|h| (*h).to_owned()).collect()).numeric(&[0]);
    for s in sites.iter() {
        let mut row = vec![
            s.id_site.to_string(),
            text(s.name.as_deref()),
            text(s.identifier.as_deref()),
            text(s.timezone.as_deref()),
        ];
        if extended {
            row.push(
                s.alarm
                    .map(|a| if a { "yes" } else { "no" }.to_owned())
                    .unwrap_or_default(),
            );
            row.push(time_text(s.last_timestamp));
        }
        table.push(row);
    }
    Output::from(sites, to_json(sites.value()), table)
}

fn log_in(cli: &Cli, name: Option<&str>, format: Format, out: &mut dyn Write) -> Result<()> {
    let env = |n: &str| std::env::var(n).ok().filter(|v| !v.trim().is_empty());
    let (Some(user), Some(password)) = (env("VRM_USERNAME"), env("VRM_PASSWORD")) else {
        return Err(usage(
            "login needs VRM_USERNAME and VRM_PASSWORD in the environment (and VRM_SMS_TOKEN \
             for two-factor accounts)",
        ));
    };
    let mut builder = Client::builder().credentials(user, password);
    if let Some(code) = env("VRM_SMS_TOKEN") {
        builder = builder.sms_token(code.trim());
    }
    if let Some(url) = &cli.global.base_url {
        builder = builder.base_url(url);
    }
    if let Some(timeout) = cli.global.timeout {
        builder = builder.timeout(timeout);
    }
    if cli.global.offline {
        // The library refuses every request offline, with the reason.
        builder = builder.cache_mode(CacheMode::Offline);
    }
    let client = builder.build()?;
    let id = client.login()?;
    let name = name.map_or_else(
        || format!("vrm-cli-{}", now().unix_timestamp()),
        str::to_owned,
    );
    let created = client.user(id).create_access_token(&name)?;
    let mut table = Table::new(["field", "value"]);
    table.push(vec!["user".into(), id.to_string()]);
    table.push(vec!["token name".into(), name.clone()]);
    table.push(vec!["token id".into(), created.id_access_token.to_string()]);
    table.push(vec!["token".into(), created.token.clone()]);
    let data = json!({
        "user": id.get(),
        "name": name,
        "idAccessToken": created.id_access_token.get(),
        "token": created.token,
    });
    let output = Output::from(&created, data, table)
        .note("VRM shows this token only once. Use it with:")
        .note(format!("  export VRM_TOKEN={}", created.token));
    // Not logged out: the bearer session simply expires.
    emit(&output, format, out)
}
