//! `vrm call METHOD PATH`: any operation, for what the other commands do
//! not know yet.

use std::io::Write;

use clap::Args;

use crate::commands::{Result, client, format_of, ignore_broken_pipe, usage};
use crate::output::{Format, write_json, write_json_line};
use crate::{Cli, Out};

/// The arguments of `vrm call`.
#[derive(Debug, Args)]
pub struct CallArgs {
    /// GET, POST, PUT, PATCH or DELETE.
    pub method: String,
    /// The path below the base URL, like installations/123/alarm-log.
    pub path: String,
    /// A query pair KEY=VALUE (repeat it; keys like attributeCodes[] may repeat).
    #[arg(long = "query", value_name = "K=V")]
    pub query: Vec<String>,
    /// The JSON body: the text, @FILE or @- (standard input).
    #[arg(long, value_name = "JSON|@FILE")]
    pub body: Option<String>,
    /// Needed for DELETE when stdin is not a terminal.
    #[arg(long)]
    pub yes: bool,
    #[command(flatten)]
    pub out: Out,
}

/// Send it and print VRM's JSON: pretty in a table's place, in the usual
/// `{"source", "requests", "data"}` object with `--format json`.
pub fn run(cli: &Cli, args: &CallArgs, out: &mut dyn Write) -> Result<()> {
    let method = args.method.parse::<vrm::Method>()?;
    let query = super::pairs(&args.query, "--query")?;
    let body = args.body.as_deref().map(super::json_body).transpose()?;
    let format = format_of(cli, &args.out);
    if format == Format::Csv {
        return Err(usage(
            "vrm call prints VRM's JSON: use --format table (pretty) or --format json",
        ));
    }
    if method == vrm::Method::Delete {
        super::confirm(args.yes, &format!("DELETE {}", args.path))?;
    }
    let client = client(cli, false)?;
    let query: Vec<(&str, &str)> = query
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let answer = client.call(method, &args.path, &query, body.as_ref())?;
    let written = match format {
        Format::Json => write_json(out, answer.source(), answer.requests(), |out| {
            serde_json::to_writer(out, answer.value()).map_err(std::io::Error::from)
        }),
        _ => {
            let text = serde_json::to_string_pretty(answer.value()).unwrap_or_default();
            write_json_line(out, &text)
        }
    };
    written.or_else(ignore_broken_pipe)
}
