//! `vrm tags SITE [--filter SOURCE]` (also `vrm tags list SITE`), `vrm tags
//! add SITE NAME` and `vrm tags remove SITE NAME`.

use std::io::Write;

use clap::{Args, Subcommand};
use serde_json::json;
use vrm::TagSource;

use crate::commands::{Result, client, emit, format_of, site_id};
use crate::output::{Output, Table};
use crate::{Cli, Out};

/// The arguments of `vrm tags`: a site to list, or a subcommand.
#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub struct TagsArgs {
    #[command(subcommand)]
    pub action: Option<TagsAction>,
    #[command(flatten)]
    pub list: ListArgs,
}

/// What `vrm tags SITE` and `vrm tags list SITE` take.
#[derive(Debug, Args)]
pub struct ListArgs {
    /// Installation id.
    #[arg(required = true)]
    pub site: Option<String>,
    /// Only tags from this source: user, team, group or predefined.
    #[arg(long, value_name = "SOURCE", value_parser = source)]
    pub filter: Option<TagSource>,
    #[command(flatten)]
    pub out: Out,
}

fn source(text: &str) -> std::result::Result<TagSource, String> {
    text.parse().map_err(|e: vrm::Error| e.to_string())
}

/// `vrm tags …`.
#[derive(Debug, Subcommand)]
pub enum TagsAction {
    /// The tags of an installation (what `vrm tags SITE` does).
    List(ListArgs),
    /// Add a tag.
    Add {
        /// Installation id.
        site: String,
        /// The tag.
        name: String,
        /// Its source: user (default), team, group or predefined.
        #[arg(long, value_name = "SOURCE", value_parser = source, default_value = "user")]
        source: TagSource,
        #[command(flatten)]
        out: Out,
    },
    /// Remove a tag.
    Remove {
        /// Installation id.
        site: String,
        /// The tag.
        name: String,
        /// Its source: user (default), team, group or predefined.
        #[arg(long, value_name = "SOURCE", value_parser = source, default_value = "user")]
        source: TagSource,
        /// Needed when stdin is not a terminal.
        #[arg(long)]
        yes: bool,
        #[command(flatten)]
        out: Out,
    },
}

/// `vrm tags …`.
pub fn run(cli: &Cli, args: &TagsArgs, out: &mut dyn Write) -> Result<()> {
    match &args.action {
        None | Some(TagsAction::List(_)) => {
            let list = match &args.action {
                Some(TagsAction::List(list)) => list,
                _ => &args.list,
            };
            let site = site_id(list.site.as_deref().unwrap_or_default())?;
            let client = client(cli, false)?;
            let tags = match list.filter {
                Some(source) => client.site(site).tags_from(source)?,
                None => client.site(site).tags()?,
            };
            let mut table = Table::new(["source", "tag"]);
            for (source, names) in vrm::models::Tag::by_source(&tags) {
                for name in names {
                    table.push(vec![source.to_owned(), name.to_owned()]);
                }
            }
            emit(
                &Output::from(&tags, json!({ "tags": tags.value() }), table),
                format_of(cli, &list.out),
                out,
            )
        }
        Some(TagsAction::Add {
            site,
            name,
            source,
            out: o,
        }) => {
            let site = site_id(site)?;
            let client = client(cli, false)?;
            let answer = client.site(site).add_tag(name, *source)?;
            let output = super::settings::done(
                &answer,
                site,
                &format!("tag {name:?} added"),
                json!({ "tag": name, "source": source.as_str() }),
            );
            emit(&output, format_of(cli, o), out)
        }
        Some(TagsAction::Remove {
            site,
            name,
            source,
            yes,
            out: o,
        }) => {
            let site = site_id(site)?;
            super::confirm(
                *yes,
                &format!("remove tag {name:?} from installation {site}"),
            )?;
            let client = client(cli, false)?;
            let answer = client.site(site).remove_tag(name, *source)?;
            let output = super::settings::done(
                &answer,
                site,
                &format!("tag {name:?} removed"),
                json!({ "tag": name, "source": source.as_str() }),
            );
            emit(&output, format_of(cli, o), out)
        }
    }
}
