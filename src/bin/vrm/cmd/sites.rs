//! `vrm site-id IDENTIFIER`, `vrm sites add IDENTIFIER`, `vrm sites unlink
//! SITE`: finding, adding and leaving installations by their identifier.

use std::io::Write;

use clap::{Args, Subcommand};
use serde_json::json;

use crate::Out;
use crate::commands::{Result, client, emit, format_of, site_id};
use crate::output::{Output, Table};

/// The arguments of `vrm site-id`.
#[derive(Debug, Args)]
pub struct SiteIdArgs {
    /// The installation identifier (the VRM portal id the GX device shows).
    pub identifier: String,
    #[command(flatten)]
    pub out: Out,
}

/// The actions of `vrm sites`.
#[derive(Debug, Subcommand)]
pub enum SitesAction {
    /// Add an installation to the account by its identifier (VRM e-mails when done).
    Add {
        /// The installation identifier (the VRM portal id the GX device shows).
        identifier: String,
        #[command(flatten)]
        out: Out,
    },
    /// Remove an installation from the account (your own access to it).
    Unlink {
        /// Installation id.
        site: String,
        /// Needed when stdin is not a terminal.
        #[arg(long)]
        yes: bool,
        #[command(flatten)]
        out: Out,
    },
}

/// Run `vrm site-id`.
pub fn site_id_run(cli: &crate::Cli, args: &SiteIdArgs, out: &mut dyn Write) -> Result<()> {
    let client = client(cli, false)?;
    let site = client.user(client.user_id()?).site_id(&args.identifier)?;
    let identifier = args.identifier.trim();
    let mut table = Table::new(["identifier", "site"]).numeric(&[1]);
    table.push(vec![identifier.to_owned(), site.to_string()]);
    let data = json!({"identifier": identifier, "site": site.get()});
    emit(
        &Output::from(&site, data, table),
        format_of(cli, &args.out),
        out,
    )
}

/// Run `vrm sites …`.
pub fn run(cli: &crate::Cli, action: &SitesAction, out: &mut dyn Write) -> Result<()> {
    match action {
        SitesAction::Add { identifier, out: o } => {
            let client = client(cli, false)?;
            let site = client.user(client.user_id()?).add_site(identifier)?;
            let identifier = identifier.trim();
            let mut table = Table::new(["identifier", "site"]).numeric(&[1]);
            table.push(vec![identifier.to_owned(), site.to_string()]);
            let data = json!({"identifier": identifier, "site": site.get()});
            let output = Output::from(&site, data, table)
                .note("VRM sends an e-mail when the site has been added.");
            emit(&output, format_of(cli, o), out)
        }
        SitesAction::Unlink { site, yes, out: o } => {
            let site = site_id(site)?;
            super::confirm(
                *yes,
                &format!("unlink installation {site} from the account"),
            )?;
            let client = client(cli, false)?;
            let done = client.site(site).unlink()?;
            let mut table = Table::new(["site", "done"]).numeric(&[0]);
            table.push(vec![site.to_string(), "unlinked from the account".into()]);
            let data = json!({"site": site.get(), "unlinked": true});
            emit(&Output::from(&done, data, table), format_of(cli, o), out)
        }
    }
}
