//! `vrm admin …`: the admin and firmware operations (VRM admins only for
//! `admin/…`; their shapes are undocumented, so the answers are shown as
//! the JSON VRM sends, flattened into field/value rows in a table).

use std::io::Write;
use std::path::PathBuf;

use clap::{Args, Subcommand};
use serde_json::{Value, json};
use vrm::{AdminQuery, Fetched};

use crate::cmd::widgets::flatten;
use crate::commands::{Result, client, emit, format_of};
use crate::output::{Output, Table};
use crate::{Cli, Failure, Out};

/// The arguments of `vrm admin`.
#[derive(Debug, Args)]
pub struct AdminArgs {
    #[command(subcommand)]
    pub action: AdminAction,
}

/// What to ask.
#[derive(Debug, Subcommand)]
pub enum AdminAction {
    /// Devices across installations (admins only).
    Devices(AdminRead),
    /// How many installations log each attribute (admins only).
    AttributesCount(AdminRead),
    /// The firmware library.
    Firmwares(AdminRead),
    /// An installation search export, written to a file (admins only).
    SearchDownload {
        #[command(flatten)]
        read: AdminRead,
        /// Where to write it.
        #[arg(short, long, value_name = "FILE")]
        output: PathBuf,
    },
    /// Add a system to the account (POST systems/add-system).
    AddSystem {
        /// The JSON body: the text, @FILE or @- (standard input).
        #[arg(long, value_name = "JSON|@FILE")]
        body: String,
        #[command(flatten)]
        out: Out,
    },
}

/// The options of an admin read.
#[derive(Debug, Args)]
pub struct AdminRead {
    /// A query pair KEY=VALUE (repeat it).
    #[arg(long = "query", value_name = "K=V")]
    pub query: Vec<String>,
    #[command(flatten)]
    pub out: Out,
}

impl AdminRead {
    fn query(&self) -> Result<AdminQuery> {
        Ok(super::pairs(&self.query, "--query")?
            .into_iter()
            .fold(AdminQuery::new(), |q, (k, v)| q.param(k, v)))
    }
}

fn value_output(answer: &Fetched<Value>) -> Output {
    let mut table = Table::new(["field", "value"]);
    flatten(answer.value(), String::new(), &mut table);
    Output::from(answer, answer.value().clone(), table)
}

/// Run one admin action.
pub fn run(cli: &Cli, args: &AdminArgs, out: &mut dyn Write) -> Result<()> {
    match &args.action {
        AdminAction::Devices(read)
        | AdminAction::AttributesCount(read)
        | AdminAction::Firmwares(read) => {
            let query = read.query()?;
            let client = client(cli, false)?;
            let answer = match &args.action {
                AdminAction::Devices(_) => client.admin_devices(&query)?,
                AdminAction::AttributesCount(_) => {
                    client.admin_installation_data_attributes_count(&query)?
                }
                _ => client.firmwares(&query)?,
            };
            emit(&value_output(&answer), format_of(cli, &read.out), out)
        }
        AdminAction::SearchDownload { read, output } => {
            let query = read.query()?;
            let client = client(cli, false)?;
            let bytes = client.admin_search_download(&query)?;
            std::fs::write(output, bytes.value())
                .map_err(|e| Failure::Io(format!("writing {}: {e}", output.display())))?;
            let mut table = Table::new(["file", "bytes"]).numeric(&[1]);
            table.push(vec![output.display().to_string(), bytes.len().to_string()]);
            let data = json!({"file": output.display().to_string(), "bytes": bytes.len()});
            emit(
                &Output::from(&bytes, data, table),
                format_of(cli, &read.out),
                out,
            )
        }
        AdminAction::AddSystem { body, out: o } => {
            let body = super::json_body(body)?;
            let client = client(cli, false)?;
            let answer = client.add_system(&body)?;
            emit(&value_output(&answer), format_of(cli, o), out)
        }
    }
}
