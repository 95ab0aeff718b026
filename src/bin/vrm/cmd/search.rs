//! `vrm search QUERY`: the sites the account may see that match a term.

use std::io::Write;

use clap::Args;

use crate::Out;
use crate::commands::{Result, client, emit, format_of, to_json, usage};
use crate::output::{Output, Table, text};

/// The arguments of `vrm search`.
#[derive(Debug, Args)]
pub struct SearchArgs {
    /// A site id, a user's e-mail or name, a device serial number, a site
    /// identifier or an e-mail domain.
    pub query: String,
    #[command(flatten)]
    pub out: Out,
}

/// Search and print the sites found.
pub fn run(cli: &crate::Cli, args: &SearchArgs, out: &mut dyn Write) -> Result<()> {
    if args.query.trim().is_empty() {
        return Err(usage(
            "search query \"\": expected a site id, e-mail, name, serial number or identifier",
        ));
    }
    let client = client(cli, false)?;
    let hits = client.user(client.user_id()?).search(&args.query)?;
    let mut table = Table::new(["site", "identifier", "name"]).numeric(&[0]);
    for hit in hits.iter() {
        table.push(vec![
            hit.site_id.map(|s| s.to_string()).unwrap_or_default(),
            text(hit.site_identifier.as_deref()),
            text(hit.site_name.as_deref()),
        ]);
    }
    emit(
        &Output::from(&hits, to_json(hits.value()), table),
        format_of(cli, &args.out),
        out,
    )
}
