//! `vrm dess get|set|schedule|adjust SITE …`: Dynamic ESS of an
//! installation.

use std::io::Write;

use clap::Subcommand;
use serde_json::{Value, json};
use vrm::{DynamicEssMethod, DynamicEssUpdate};

use super::settings::{done, fields_table, json_object};
use crate::commands::{Result, client, emit, format_of, site_id, to_json, usage};
use crate::output::Output;
use crate::{Cli, Out};

/// How `vrm dess set` sends the change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SetMethod {
    /// The spec's method: a whole configuration.
    Post,
    /// Only the fields that change, for servers that expect it.
    Patch,
}

/// `vrm dess …`.
#[derive(Debug, Subcommand)]
pub enum DessAction {
    /// The Dynamic ESS configuration.
    Get {
        /// Installation id.
        site: String,
        #[command(flatten)]
        out: Out,
    },
    /// Write the configuration: a JSON object with the spec's field names.
    Set {
        /// Installation id.
        site: String,
        /// The configuration: JSON text, @FILE or @- (standard input).
        #[arg(long, value_name = "JSON|@FILE")]
        body: String,
        /// post (default: the spec's; every required field) or patch (only changes).
        #[arg(long, value_enum, default_value = "post")]
        method: SetMethod,
        #[command(flatten)]
        out: Out,
    },
    /// The plan Dynamic ESS made.
    Schedule {
        /// Installation id.
        site: String,
        #[command(flatten)]
        out: Out,
    },
    /// Adjust the consumption it plans with (the body as VRM expects it).
    Adjust {
        /// Installation id.
        site: String,
        /// The adjustment: JSON text, @FILE or @-.
        #[arg(long, value_name = "JSON|@FILE")]
        body: String,
        #[command(flatten)]
        out: Out,
    },
}

/// `vrm dess …`.
pub fn run(cli: &Cli, action: &DessAction, out: &mut dyn Write) -> Result<()> {
    match action {
        DessAction::Get { site, out: o } => {
            let site = site_id(site)?;
            let client = client(cli, false)?;
            let settings = client.site(site).dynamic_ess_settings()?;
            let data = to_json(settings.value());
            let table = fields_table(&data);
            emit(
                &Output::from(&settings, data, table),
                format_of(cli, o),
                out,
            )
        }
        DessAction::Set {
            site,
            body,
            method,
            out: o,
        } => {
            let site = site_id(site)?;
            let object = json_object(body, "--body")?;
            let update: DynamicEssUpdate =
                serde_json::from_value(Value::Object(object)).map_err(|e| {
                    usage(format!(
                        "--body: {e}; expected the spec's fields, like {{\"isOn\": true, \"batteryCapacity\": 10}}"
                    ))
                })?;
            let method = match method {
                SetMethod::Post => DynamicEssMethod::Post,
                SetMethod::Patch => DynamicEssMethod::Patch,
            };
            let client = client(cli, false)?;
            let stored = client
                .site(site)
                .set_dynamic_ess_settings(&update, method)?;
            let data = json!({ "settings": to_json(stored.value()) });
            emit(
                &done(&stored, site, "dynamic ess settings written", data),
                format_of(cli, o),
                out,
            )
        }
        DessAction::Schedule { site, out: o } => {
            let site = site_id(site)?;
            let client = client(cli, false)?;
            let plan = client.site(site).dynamic_ess_schedule()?;
            let data = to_json(plan.value());
            let table = fields_table(&data);
            emit(&Output::from(&plan, data, table), format_of(cli, o), out)
        }
        DessAction::Adjust { site, body, out: o } => {
            let site = site_id(site)?;
            let object = json_object(body, "--body")?;
            let client = client(cli, false)?;
            let answer = client.site(site).adjust_consumption(&object)?;
            let data = json!({ "answer": answer.value() });
            emit(
                &done(&answer, site, "consumption adjusted", data),
                format_of(cli, o),
                out,
            )
        }
    }
}
