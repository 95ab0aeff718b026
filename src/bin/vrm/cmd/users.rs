//! `vrm users SITE [ACTION]`: who may see a site, and changing it;
//! `vrm invites`: the account's own pending invitations and requests.

use std::io::Write;

use clap::{Args, Subcommand};
use serde_json::json;
use vrm::models::AccessLevel;
use vrm::{GroupAccess, Invite, InviteRights, SiteId, UserGroupId, UserId, UserRights};

use crate::Out;
use crate::commands::{Result, client, emit, format_of, site_id, time_text, to_json, usage};
use crate::output::{Output, Table, text};

/// The arguments of `vrm users`.
#[derive(Debug, Args)]
pub struct UsersArgs {
    /// Installation id.
    pub site: String,
    #[command(subcommand)]
    pub action: Option<UsersAction>,
    #[command(flatten)]
    pub out: Out,
}

/// What `vrm users SITE` may change. Levels: 0/monitoring,
/// 1/full-control, 2/technician.
#[derive(Debug, Subcommand)]
pub enum UsersAction {
    /// Invite someone by e-mail (VRM sends the invitation).
    Invite {
        /// The invitee's name.
        name: String,
        /// The invitee's e-mail address.
        email: String,
        /// 0/monitoring, 1/full-control or 2/technician.
        #[arg(long, value_name = "LEVEL")]
        level: String,
        #[command(flatten)]
        out: Out,
    },
    /// Remove a user's access to the site.
    Remove {
        /// The user's id (see `vrm users SITE`).
        user: String,
        /// Needed when stdin is not a terminal.
        #[arg(long)]
        yes: bool,
        #[command(flatten)]
        out: Out,
    },
    /// Change users' access levels: USER=LEVEL …
    Rights {
        /// USER=LEVEL pairs, like 1234=full-control 5678=0.
        #[arg(required = true, value_name = "USER=LEVEL")]
        pairs: Vec<String>,
        #[command(flatten)]
        out: Out,
    },
    /// Change pending invitations' access levels: EMAIL=LEVEL …
    InviteRights {
        /// EMAIL=LEVEL pairs, like andrew@example.com=1.
        #[arg(required = true, value_name = "EMAIL=LEVEL")]
        pairs: Vec<String>,
        #[command(flatten)]
        out: Out,
    },
    /// Link user groups (teams) to the site: GROUP=LEVEL …
    LinkGroups {
        /// GROUP=LEVEL pairs, like 10=monitoring 11=2.
        #[arg(required = true, value_name = "GROUP=LEVEL")]
        pairs: Vec<String>,
        #[command(flatten)]
        out: Out,
    },
    /// Change a linked user group's access level.
    GroupLevel {
        /// The user group's id.
        group: String,
        /// 0/monitoring, 1/full-control or 2/technician.
        level: String,
        #[command(flatten)]
        out: Out,
    },
    /// Unlink a user group from the site.
    RemoveGroup {
        /// The user group's id.
        group: String,
        /// Needed when stdin is not a terminal.
        #[arg(long)]
        yes: bool,
        #[command(flatten)]
        out: Out,
    },
}

/// The arguments of `vrm invites`.
#[derive(Debug, Args)]
pub struct InvitesArgs {
    #[command(flatten)]
    pub out: Out,
}

fn level(text: &str) -> Result<AccessLevel> {
    Ok(text.parse::<AccessLevel>()?)
}

/// A level number as its name, an unknown one as the number.
fn level_text(code: Option<u64>) -> String {
    match code {
        Some(c) => AccessLevel::from_code(c).map_or_else(|| c.to_string(), |l| l.to_string()),
        None => String::new(),
    }
}

fn id<T: std::str::FromStr>(text: &str, what: &str) -> Result<T> {
    text.trim().parse::<T>().map_err(|_| {
        usage(format!(
            "{what} {text:?}: expected a {what}, a number (see `vrm users SITE`)"
        ))
    })
}

/// `KEY=LEVEL` pairs, each checked.
fn level_pairs<K>(
    items: &[String],
    key: &str,
    parse: impl Fn(&str) -> Result<K>,
) -> Result<Vec<(K, AccessLevel)>> {
    items
        .iter()
        .map(|item| match item.rsplit_once('=') {
            Some((k, l)) if !k.trim().is_empty() => Ok((parse(k)?, level(l)?)),
            _ => Err(usage(format!(
                "{item:?}: expected {key}=LEVEL, like {}=monitoring",
                if key == "EMAIL" {
                    "andrew@example.com"
                } else {
                    "1234"
                }
            ))),
        })
        .collect()
}

/// One line saying what a write did.
fn done<T>(
    fetched: &vrm::Fetched<T>,
    site: SiteId,
    what: String,
    data: serde_json::Value,
    o: &Out,
    cli: &crate::Cli,
    out: &mut dyn Write,
) -> Result<()> {
    let mut table = Table::new(["site", "done"]).numeric(&[0]);
    table.push(vec![site.to_string(), what]);
    emit(&Output::from(fetched, data, table), format_of(cli, o), out)
}

/// Run `vrm users SITE …`.
pub fn run(cli: &crate::Cli, args: &UsersArgs, out: &mut dyn Write) -> Result<()> {
    let site = site_id(&args.site)?;
    let Some(action) = &args.action else {
        return list(cli, site, &args.out, out);
    };
    match action {
        UsersAction::Invite {
            name,
            email,
            level: l,
            out: o,
        } => {
            let invite = Invite::new(name.as_str(), email.as_str(), level(l)?);
            let client = client(cli, false)?;
            let invited = client.site(site).invite(&invite)?;
            let mut table = Table::new(["invite", "user", "name", "email", "level"]);
            if let Some(i) = invited.value() {
                table.push(vec![
                    i.id_invite.map(|x| x.to_string()).unwrap_or_default(),
                    i.id_user.map(|x| x.to_string()).unwrap_or_default(),
                    text(i.name.as_deref()),
                    text(i.email.as_deref()),
                    level_text(i.access_level),
                ]);
            }
            emit(
                &Output::from(&invited, to_json(invited.value()), table),
                format_of(cli, o),
                out,
            )
        }
        UsersAction::Remove { user, yes, out: o } => {
            let user: UserId = id(user, "user id")?;
            super::confirm(
                *yes,
                &format!("remove user {user} from installation {site}"),
            )?;
            let client = client(cli, false)?;
            let fetched = client.site(site).unlink_user(user)?;
            let data = json!({"site": site.get(), "removed": user.get()});
            done(
                &fetched,
                site,
                format!("removed user {user}"),
                data,
                o,
                cli,
                out,
            )
        }
        UsersAction::Rights { pairs, out: o } => {
            let pairs = level_pairs(pairs, "USER", |k| id::<UserId>(k, "user id"))?;
            let rights = pairs
                .iter()
                .fold(UserRights::new(), |r, (u, l)| r.set(*u, *l));
            let client = client(cli, false)?;
            let fetched = client.site(site).set_user_rights(&rights)?;
            let data = json!({"site": site.get(), "rights": pairs.iter().map(|(u, l)| json!({"idUser": u.get(), "accessLevel": l.code()})).collect::<Vec<_>>()});
            let what = pairs
                .iter()
                .map(|(u, l)| format!("user {u}: {l}"))
                .collect::<Vec<_>>()
                .join(", ");
            done(&fetched, site, what, data, o, cli, out)
        }
        UsersAction::InviteRights { pairs, out: o } => {
            let pairs = level_pairs(pairs, "EMAIL", |k| Ok(k.trim().to_owned()))?;
            let rights = pairs
                .iter()
                .fold(InviteRights::new(), |r, (e, l)| r.set(e.as_str(), *l));
            let client = client(cli, false)?;
            let records = client.site(site).set_invite_rights(&rights)?;
            let mut table = Table::new(["email", "level", "updated"]);
            for (email, l) in &pairs {
                let updated = records.get(email).copied();
                table.push(vec![
                    email.clone(),
                    l.to_string(),
                    updated
                        .map(|u| if u { "yes" } else { "no" })
                        .unwrap_or("")
                        .into(),
                ]);
            }
            emit(
                &Output::from(&records, to_json(records.value()), table),
                format_of(cli, o),
                out,
            )
        }
        UsersAction::LinkGroups { pairs, out: o } => {
            let pairs = level_pairs(pairs, "GROUP", |k| id::<UserGroupId>(k, "user group id"))?;
            let groups: Vec<GroupAccess> = pairs
                .iter()
                .map(|(g, l)| GroupAccess::new(*g, *l))
                .collect();
            let client = client(cli, false)?;
            let fetched = client.site(site).link_user_groups(&groups)?;
            let data = json!({"site": site.get(), "userGroups": to_json(&groups)});
            let what = pairs
                .iter()
                .map(|(g, l)| format!("group {g}: {l}"))
                .collect::<Vec<_>>()
                .join(", ");
            done(&fetched, site, format!("linked {what}"), data, o, cli, out)
        }
        UsersAction::GroupLevel {
            group,
            level: l,
            out: o,
        } => {
            let group: UserGroupId = id(group, "user group id")?;
            let l = level(l)?;
            let client = client(cli, false)?;
            let fetched = client.site(site).set_user_group_access_level(group, l)?;
            let data =
                json!({"site": site.get(), "idUserGroup": group.get(), "accessLevel": l.code()});
            done(
                &fetched,
                site,
                format!("group {group}: {l}"),
                data,
                o,
                cli,
                out,
            )
        }
        UsersAction::RemoveGroup { group, yes, out: o } => {
            let group: UserGroupId = id(group, "user group id")?;
            super::confirm(
                *yes,
                &format!("unlink user group {group} from installation {site}"),
            )?;
            let client = client(cli, false)?;
            let fetched = client.site(site).unlink_user_group(group)?;
            let data = json!({"site": site.get(), "idUserGroup": group.get(), "accessLevel": null});
            done(
                &fetched,
                site,
                format!("unlinked group {group}"),
                data,
                o,
                cli,
                out,
            )
        }
    }
}

fn list(cli: &crate::Cli, site: SiteId, o: &Out, out: &mut dyn Write) -> Result<()> {
    let client = client(cli, false)?;
    let users = client.site(site).users()?;
    let mut table = Table::new(["kind", "id", "name", "email", "level"]).numeric(&[1]);
    let opt = |v: Option<String>| v.unwrap_or_default();
    for u in &users.users {
        table.push(vec![
            "user".into(),
            opt(u.id_user.map(|x| x.to_string())),
            text(u.name.as_deref()),
            text(u.email.as_deref()),
            level_text(u.access_level),
        ]);
    }
    for i in &users.invites {
        table.push(vec![
            "invite".into(),
            opt(i.id_invite.map(|x| x.to_string())),
            text(i.name.as_deref()),
            text(i.email.as_deref()),
            level_text(i.access_level),
        ]);
    }
    for p in &users.pending {
        table.push(vec![
            "pending".into(),
            opt(p.id_user.map(|x| x.to_string())),
            text(p.name.as_deref()),
            text(p.email.as_deref()),
            String::new(),
        ]);
    }
    for g in &users.user_groups {
        table.push(vec![
            "user-group".into(),
            opt(g.id_user_group.map(|x| x.to_string())),
            text(g.name.as_deref()),
            String::new(),
            level_text(g.access_level),
        ]);
    }
    for g in &users.site_groups {
        table.push(vec![
            "site-group".into(),
            opt(g.id_site_group.map(|x| x.to_string())),
            text(g.name.as_deref()),
            String::new(),
            String::new(),
        ]);
    }
    emit(
        &Output::from(&users, to_json(users.value()), table),
        format_of(cli, o),
        out,
    )
}

/// Run `vrm invites`.
pub fn invites(cli: &crate::Cli, args: &InvitesArgs, out: &mut dyn Write) -> Result<()> {
    let client = client(cli, false)?;
    let invites = client.user(client.user_id()?).invites()?;
    let mut table = Table::new(["kind", "id", "name", "from", "when"]).numeric(&[1]);
    let opt = |v: Option<String>| v.unwrap_or_default();
    for i in &invites.site_groups {
        table.push(vec![
            "site-group invite".into(),
            opt(i.id_site_group.map(|x| x.to_string())),
            text(i.site_group_name.as_deref()),
            text(i.inviter_name.as_deref()),
            time_text(i.invite_timestamp),
        ]);
    }
    for i in &invites.user_groups {
        table.push(vec![
            "team invite".into(),
            opt(i.id_user_group.map(|x| x.to_string())),
            text(i.user_group_name.as_deref()),
            text(i.inviter_name.as_deref()),
            time_text(i.invite_timestamp),
        ]);
    }
    for r in &invites.user_group_requests {
        table.push(vec![
            "team request".into(),
            opt(r.id_user_group.map(|x| x.to_string())),
            text(r.user_group_name.as_deref()),
            text(r.invitee_name.as_deref()),
            time_text(r.invite_timestamp),
        ]);
    }
    for r in &invites.installation_requests {
        table.push(vec![
            "site request".into(),
            opt(r.id_site.map(|x| x.to_string())),
            text(r.installation_name.as_deref()),
            text(r.invitee_name.as_deref()),
            time_text(r.invite_timestamp),
        ]);
    }
    emit(
        &Output::from(&invites, to_json(invites.value()), table),
        format_of(cli, &args.out),
        out,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Failure;

    #[test]
    fn level_pairs_are_checked() {
        let got = level_pairs(
            &["1234=full-control".into(), "5678=0".into()],
            "USER",
            |k| id::<UserId>(k, "user id"),
        )
        .ok();
        assert_eq!(
            got,
            Some(vec![
                (UserId(1234), AccessLevel::FullControl),
                (UserId(5678), AccessLevel::Monitoring)
            ])
        );
        for bad in ["1234", "=1", "x=1", "1=boss"] {
            let r = level_pairs(&[bad.into()], "USER", |k| id::<UserId>(k, "user id"));
            assert!(
                matches!(
                    r,
                    Err(Failure::Usage(_)) | Err(Failure::Vrm(vrm::Error::InvalidInput(_)))
                ),
                "{bad}"
            );
        }
        let emails = level_pairs(&["a=b@example.com=2".into()], "EMAIL", |k| Ok(k.to_owned())).ok();
        assert_eq!(
            emails,
            Some(vec![(
                "a=b@example.com".to_owned(),
                AccessLevel::Technician
            )])
        );
    }
}
