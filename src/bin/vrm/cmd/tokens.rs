//! `vrm tokens list|create|revoke`: the account's personal access tokens.

use std::io::Write;

use clap::Subcommand;
use serde_json::json;
use vrm::Revoke;

use crate::commands::{Result, client, emit, format_of, now, time_text, to_json, usage};
use crate::output::{Output, Table, text};
use crate::times::{TIME_FORMS, parse_duration_secs, parse_time};
use crate::{Failure, Out};

/// The actions of `vrm tokens`.
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
        #[arg(value_parser = token_name)]
        name: String,
        /// When it expires: +30d / +12h (from now), RFC 3339, YYYY-MM-DD or
        /// unix seconds (default: never).
        #[arg(long, value_name = "TIME", allow_hyphen_values = true)]
        expiry: Option<String>,
        #[command(flatten)]
        out: Out,
    },
    /// Revoke a token by id, or every token with '*' (then --yes without a terminal).
    Revoke {
        /// A token id or '*'.
        #[arg(value_parser = token_target)]
        id: String,
        /// Needed for '*' when stdin is not a terminal.
        #[arg(long)]
        yes: bool,
        #[command(flatten)]
        out: Out,
    },
}

/// A token name: not blank, checked before anything is sent.
pub fn token_name(text: &str) -> std::result::Result<String, String> {
    if text.trim().is_empty() {
        Err("expected a token name that is not blank (unique for the account)".into())
    } else {
        Ok(text.to_owned())
    }
}

/// A token id or `*`, checked before anything is sent.
pub fn token_target(text: &str) -> std::result::Result<String, String> {
    let t = text.trim();
    if t == "*" || t.parse::<vrm::AccessTokenId>().is_ok() {
        Ok(text.to_owned())
    } else {
        Err(format!(
            "token {text:?}: expected a token id (see `vrm tokens list`) or '*'"
        ))
    }
}

/// `--expiry`: `+N{s,m,h,d,w}` from now, or a time as `--from` takes it.
fn expiry(text: &str) -> Result<time::OffsetDateTime> {
    let now = now();
    let t = text.trim();
    let bad = || {
        usage(format!(
            "--expiry {text:?}: expected +30d / +12h (from now) or {TIME_FORMS}"
        ))
    };
    if let Some(rest) = t.strip_prefix('+') {
        let secs = parse_duration_secs(rest).ok_or_else(bad)?;
        return now
            .checked_add(time::Duration::seconds(secs))
            .ok_or_else(bad);
    }
    let at = parse_time(t, now).map_err(|_| bad())?;
    if at <= now {
        return Err(usage(format!(
            "--expiry {text:?}: expected a time in the future"
        )));
    }
    Ok(at)
}

/// Run `vrm tokens …`.
pub fn run(cli: &crate::Cli, action: &TokensAction, out: &mut dyn Write) -> Result<()> {
    match action {
        TokensAction::List { out: o } => {
            let client = client(cli, false)?;
            let tokens = client.user(client.user_id()?).access_tokens()?;
            let mut table = Table::new(["id", "name", "created", "expires", "scope"]).numeric(&[0]);
            for t in tokens.iter() {
                table.push(vec![
                    t.id_access_token.to_string(),
                    t.name.clone(),
                    time_text(t.created_on),
                    time_text(t.expires),
                    text(t.scope.as_deref()),
                ]);
            }
            emit(
                &Output::from(&tokens, to_json(tokens.value()), table),
                format_of(cli, o),
                out,
            )
        }
        TokensAction::Create {
            name,
            expiry: until,
            out: o,
        } => {
            let until = until.as_deref().map(expiry).transpose()?;
            let client = client(cli, false)?;
            let user = client.user(client.user_id()?);
            let created = match until {
                Some(at) => user.create_access_token_expiring(name, at)?,
                None => user.create_access_token(name)?,
            };
            let expires = until.map(|t| t.unix_timestamp());
            let mut data = json!({
                "idAccessToken": created.id_access_token.get(),
                "name": name,
                "token": created.token,
            });
            let table = match expires {
                None => {
                    let mut table = Table::new(["id", "name", "token"]);
                    table.push(vec![
                        created.id_access_token.to_string(),
                        name.clone(),
                        created.token.clone(),
                    ]);
                    table
                }
                Some(at) => {
                    data["expires"] = json!(at);
                    let mut table = Table::new(["id", "name", "expires", "token"]);
                    table.push(vec![
                        created.id_access_token.to_string(),
                        name.clone(),
                        time_text(Some(at)),
                        created.token.clone(),
                    ]);
                    table
                }
            };
            let output =
                Output::from(&created, data, table).note("VRM shows this token only once.");
            emit(&output, format_of(cli, o), out)
        }
        TokensAction::Revoke { id, yes, out: o } => {
            let which = if id.trim() == "*" {
                Revoke::All
            } else {
                Revoke::Id(id.trim().parse().map_err(|_| {
                    usage(format!(
                        "token {id:?}: expected a token id (see `vrm tokens list`) or '*'"
                    ))
                })?)
            };
            if which == Revoke::All {
                super::confirm(*yes, "revoke every access token of the account")?;
            }
            let client = client(cli, false)?;
            let removed = client.user(client.user_id()?).revoke_access_token(which)?;
            if *removed == 0
                && let Revoke::Id(token) = which
            {
                return Err(Failure::Answer(format!(
                    "token {token}: VRM revoked nothing (removed: 0): the account has no \
                     token with that id (see `vrm tokens list`)"
                )));
            }
            let mut table = Table::new(["revoked"]).numeric(&[0]);
            table.push(vec![removed.to_string()]);
            emit(
                &Output::from(&removed, json!({"removed": *removed}), table),
                format_of(cli, o),
                out,
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_arguments_are_checked() {
        assert!(token_target("*").is_ok() && token_target(" 51 ").is_ok());
        assert!(token_target("fifty").unwrap_err().contains("\"fifty\""));
        assert!(token_name("laptop").is_ok());
        assert!(token_name(" ").is_err());
    }

    #[test]
    fn expiry_forms() {
        let now = now().unix_timestamp();
        let in_a_day = expiry("+1d").ok().map(|t| t.unix_timestamp() - now);
        assert!(
            in_a_day.is_some_and(|d| (86_399..=86_401).contains(&d)),
            "{in_a_day:?}"
        );
        assert_eq!(
            expiry("2030-01-01").ok().map(|t| t.unix_timestamp()),
            Some(1_893_456_000)
        );
        assert_eq!(
            expiry("1893456000").ok().map(|t| t.unix_timestamp()),
            Some(1_893_456_000)
        );
        assert!(matches!(expiry("+soon"), Err(Failure::Usage(_))));
        assert!(matches!(expiry("tomorrow"), Err(Failure::Usage(_))));
        assert!(matches!(expiry("2020-01-01"), Err(Failure::Usage(_))));
        assert!(matches!(expiry("now"), Err(Failure::Usage(_))));
    }
}
