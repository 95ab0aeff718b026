//! Who may see a site: its users, invitations and groups
//! (`GET /installations/{idSite}/users`), and the writes that change them
//! (`invite`, `unlink-user`, `unlink`, `user-rights`, `invite-rights`,
//! `link-user-groups`, `user-group-access-level`), with their typed bodies.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::api::Stale;
use crate::api::installations::SiteApi;
use crate::error::{Error, Result};
use crate::fetched::Fetched;
use crate::ids::{SiteId, UserGroupId, UserId};
use crate::models::{
    AccessLevel, AckResponse, InviteResponse, InviteRightsResponse, InvitedUser, SiteUsers,
    SiteUsersResponse,
};
use crate::request::{Method, Request};
use crate::store::CacheKind;

/// `email` checked: one `@` with text on both sides, no spaces.
fn checked_email(email: &str) -> Result<String> {
    let e = email.trim();
    let ok = match e.split_once('@') {
        Some((user, host)) => {
            !user.is_empty()
                && !host.is_empty()
                && !host.contains('@')
                && !e.chars().any(|c| c.is_whitespace() || c.is_control())
        }
        None => false,
    };
    if ok {
        Ok(e.to_owned())
    } else {
        Err(Error::invalid(format!(
            "e-mail address {email:?}: expected an address like andrew@example.com"
        )))
    }
}

/// The body of `POST /installations/{idSite}/invite`: who to invite, and
/// with which access level. Every field is required (the constructor's
/// arguments); the name must not be blank and the e-mail must look like an
/// address, checked before anything is sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Invite {
    /// The invitee's name.
    pub name: String,
    /// The invitee's e-mail address.
    pub email: String,
    /// The access level the invitee gets.
    #[serde(rename = "accessLevel")]
    pub access_level: AccessLevel,
}

impl Invite {
    /// Invite `name` at `email` with `access_level`.
    pub fn new(
        name: impl Into<String>,
        email: impl Into<String>,
        access_level: AccessLevel,
    ) -> Self {
        Invite {
            name: name.into(),
            email: email.into(),
            access_level,
        }
    }

    fn checked(&self) -> Result<Invite> {
        let name = self.name.trim();
        if name.is_empty() {
            return Err(Error::invalid(
                "invitee name \"\": expected the name of the person to invite",
            ));
        }
        Ok(Invite {
            name: name.to_owned(),
            email: checked_email(&self.email)?,
            access_level: self.access_level,
        })
    }
}

/// The body of `POST /installations/{idSite}/user-rights`: new access
/// levels of users of the site, as VRM's two matching arrays `idUser` and
/// `accessLevel`. At least one pair is required.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct UserRights {
    /// The users, in the order of `access_level`.
    #[serde(rename = "idUser")]
    pub id_user: Vec<UserId>,
    /// Their new levels.
    #[serde(rename = "accessLevel")]
    pub access_level: Vec<AccessLevel>,
}

impl UserRights {
    /// No change yet: add some with [`set`](Self::set).
    pub fn new() -> Self {
        UserRights::default()
    }

    /// Give `user` the level `level`.
    pub fn set(mut self, user: UserId, level: AccessLevel) -> Self {
        self.id_user.push(user);
        self.access_level.push(level);
        self
    }

    fn check(&self) -> Result<()> {
        if self.id_user.is_empty() {
            return Err(Error::invalid(
                "user rights []: expected at least one user and access level",
            ));
        }
        if self.id_user.len() != self.access_level.len() {
            return Err(Error::invalid(format!(
                "user rights: {} users and {} access levels: expected one level per user",
                self.id_user.len(),
                self.access_level.len()
            )));
        }
        Ok(())
    }
}

/// The body of `POST /installations/{idSite}/invite-rights`: new access
/// levels of pending invitations, by the invitee's e-mail, as VRM's two
/// matching arrays `email` and `accessLevel`. At least one pair is required.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct InviteRights {
    /// The invitees' e-mail addresses, in the order of `access_level`.
    pub email: Vec<String>,
    /// Their new levels.
    #[serde(rename = "accessLevel")]
    pub access_level: Vec<AccessLevel>,
}

impl InviteRights {
    /// No change yet: add some with [`set`](Self::set).
    pub fn new() -> Self {
        InviteRights::default()
    }

    /// Give the invitation of `email` the level `level`.
    pub fn set(mut self, email: impl Into<String>, level: AccessLevel) -> Self {
        self.email.push(email.into());
        self.access_level.push(level);
        self
    }

    fn checked(&self) -> Result<InviteRights> {
        if self.email.is_empty() {
            return Err(Error::invalid(
                "invite rights []: expected at least one e-mail address and access level",
            ));
        }
        if self.email.len() != self.access_level.len() {
            return Err(Error::invalid(format!(
                "invite rights: {} e-mail addresses and {} access levels: expected one level \
                 per address",
                self.email.len(),
                self.access_level.len()
            )));
        }
        Ok(InviteRights {
            email: self
                .email
                .iter()
                .map(|e| checked_email(e))
                .collect::<Result<_>>()?,
            access_level: self.access_level.clone(),
        })
    }
}

/// One user group and its access level, as
/// `POST /installations/{idSite}/link-user-groups` takes them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct GroupAccess {
    /// The user group (team).
    #[serde(rename = "idUserGroup")]
    pub id_user_group: UserGroupId,
    /// Its access level on the site.
    #[serde(rename = "accessLevel")]
    pub access_level: AccessLevel,
}

impl GroupAccess {
    /// Group `group` with level `level`.
    pub fn new(group: UserGroupId, level: AccessLevel) -> Self {
        GroupAccess {
            id_user_group: group,
            access_level: level,
        }
    }
}

#[derive(Serialize)]
struct LinkUserGroups<'a> {
    #[serde(rename = "userGroups")]
    user_groups: &'a [GroupAccess],
}

#[derive(Serialize)]
struct UserGroupAccessLevel {
    #[serde(rename = "idUserGroup")]
    id_user_group: UserGroupId,
    /// `null` unlinks the group.
    #[serde(rename = "accessLevel")]
    access_level: Option<AccessLevel>,
}

#[derive(Serialize)]
struct UnlinkUser {
    #[serde(rename = "idUser")]
    id_user: UserId,
}

impl SiteApi<'_> {
    /// The site's users, pending invitations, pending access requests, user
    /// groups and installation groups. A monitoring-level user sees only
    /// their own membership.
    ///
    /// `GET /installations/{idSite}/users`. Cached as
    /// [`CacheKind::SiteUsers`] of the site; every write below drops it.
    ///
    /// # Errors
    /// Transport, API and decode errors.
    ///
    /// ```no_run
    /// # fn main() -> vrm::Result<()> {
    /// let vrm = vrm::Client::builder().personal_token("…").build()?;
    /// for user in &vrm.site(vrm::SiteId(151734)).users()?.users {
    ///     println!("{:?} {:?}", user.email, user.level());
    /// }
    /// # Ok(()) }
    /// ```
    pub fn users(&self) -> Result<Fetched<SiteUsers>> {
        let site = self.id();
        let request = Request::get(
            "installations/{idSite}/users",
            format!("installations/{site}/users"),
        );
        Ok(self
            .client()
            .call_json::<SiteUsersResponse>(
                request,
                Some((CacheKind::SiteUsers, Some(site.get()))),
            )?
            .map(|r| r.site_users))
    }

    /// Invite someone to the site; VRM e-mails them. Returns the
    /// invitation VRM made (`None` when its answer holds none).
    ///
    /// `POST /installations/{idSite}/invite` with
    /// `{"name", "email", "accessLevel"}`. A write: refused offline, sent
    /// again only after a 429; once accepted, the site's cached
    /// [`users`](Self::users) are dropped.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for a blank name or an e-mail that is not an
    /// address, with no request sent; transport, API and decode errors.
    pub fn invite(&self, invite: &Invite) -> Result<Fetched<Option<InvitedUser>>> {
        let body = invite.checked()?;
        let request = self
            .post("installations/{idSite}/invite", "invite")
            .json(&body)?;
        Ok(self
            .client()
            .write_json::<InviteResponse>(request, &self.stale(false))?
            .map(|r| r.data))
    }

    /// Remove `user`'s access to the site (anyone may remove themselves;
    /// VRM refuses to remove the last admin: `min_one_admin_required`).
    ///
    /// `POST /installations/{idSite}/unlink-user` with `{"idUser"}`. A
    /// write; once accepted, the site's cached users are dropped, and the
    /// account's cached installation lists and searches too (the user may
    /// be you).
    ///
    /// # Errors
    /// Transport and API errors (`success: false` is one).
    pub fn unlink_user(&self, user: UserId) -> Result<Fetched<()>> {
        let request = self
            .post("installations/{idSite}/unlink-user", "unlink-user")
            .json(&UnlinkUser { id_user: user })?;
        self.ack(request, true)
    }

    /// Remove the site from the logged-in account (your own access).
    ///
    /// `POST /installations/{idSite}/unlink`; the spec gives no body (the
    /// transport sends `{}`). A write; once
    /// accepted, the site's cached users, and the account's cached
    /// installation lists and searches, are dropped.
    ///
    /// # Errors
    /// Transport and API errors (`site_not_linked` …).
    pub fn unlink(&self) -> Result<Fetched<()>> {
        self.ack(self.post("installations/{idSite}/unlink", "unlink"), true)
    }

    /// Change the access levels of users of the site (VRM refuses a change
    /// that leaves no full-control user).
    ///
    /// `POST /installations/{idSite}/user-rights` with
    /// `{"idUser": [...], "accessLevel": [...]}`. A write; once accepted,
    /// the site's cached users and the account's cached installation lists
    /// (they hold your own level) are dropped.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for no pair, with no request sent; transport
    /// and API errors.
    pub fn set_user_rights(&self, rights: &UserRights) -> Result<Fetched<()>> {
        rights.check()?;
        let request = self
            .post("installations/{idSite}/user-rights", "user-rights")
            .json(rights)?;
        self.ack(request, true)
    }

    /// Change the access levels of pending invitations, by e-mail. Returns
    /// VRM's answer per address: whether that invitation was updated (only
    /// invitations that exist are).
    ///
    /// `POST /installations/{idSite}/invite-rights` with
    /// `{"email": [...], "accessLevel": [...]}`. A write; once accepted,
    /// the site's cached users are dropped.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for no pair or an address that is not one,
    /// with no request sent; transport, API and decode errors.
    pub fn set_invite_rights(
        &self,
        rights: &InviteRights,
    ) -> Result<Fetched<BTreeMap<String, bool>>> {
        let body = rights.checked()?;
        let request = self
            .post("installations/{idSite}/invite-rights", "invite-rights")
            .json(&body)?;
        Ok(self
            .client()
            .write_json::<InviteRightsResponse>(request, &self.stale(false))?
            .map(|r| r.records))
    }

    /// Link user groups (teams) to the site, each with its access level.
    ///
    /// `POST /installations/{idSite}/link-user-groups` with
    /// `{"userGroups": [{"idUserGroup", "accessLevel"}, …]}`. A write; once
    /// accepted, the site's cached users and the account's cached
    /// installation lists are dropped.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for no group, with no request sent;
    /// transport and API errors.
    pub fn link_user_groups(&self, groups: &[GroupAccess]) -> Result<Fetched<()>> {
        if groups.is_empty() {
            return Err(Error::invalid(
                "user groups []: expected at least one user group and access level",
            ));
        }
        let request = self
            .post(
                "installations/{idSite}/link-user-groups",
                "link-user-groups",
            )
            .json(&LinkUserGroups {
                user_groups: groups,
            })?;
        self.ack(request, true)
    }

    /// Change the access level of a user group linked to the site.
    ///
    /// `POST /installations/{idSite}/user-group-access-level` with
    /// `{"idUserGroup", "accessLevel"}`. A write; once accepted, the site's
    /// cached users and the account's cached installation lists are dropped.
    ///
    /// # Errors
    /// Transport and API errors.
    pub fn set_user_group_access_level(
        &self,
        group: UserGroupId,
        level: AccessLevel,
    ) -> Result<Fetched<()>> {
        self.user_group_access(group, Some(level))
    }

    /// Unlink a user group from the site: the same call as
    /// [`set_user_group_access_level`](Self::set_user_group_access_level)
    /// with `"accessLevel": null`.
    ///
    /// `POST /installations/{idSite}/user-group-access-level`.
    ///
    /// # Errors
    /// Transport and API errors.
    pub fn unlink_user_group(&self, group: UserGroupId) -> Result<Fetched<()>> {
        self.user_group_access(group, None)
    }

    fn user_group_access(
        &self,
        group: UserGroupId,
        level: Option<AccessLevel>,
    ) -> Result<Fetched<()>> {
        let request = self
            .post(
                "installations/{idSite}/user-group-access-level",
                "user-group-access-level",
            )
            .json(&UserGroupAccessLevel {
                id_user_group: group,
                access_level: level,
            })?;
        self.ack(request, true)
    }

    fn post(&self, template: &'static str, last: &str) -> Request {
        Request::new(
            Method::Post,
            template,
            format!("installations/{}/{last}", self.id()),
        )
    }

    /// What a write of the site's access makes stale: its users, and with
    /// `account` the account's installation lists and searches.
    fn stale(&self, account: bool) -> Vec<(CacheKind, Option<u64>)> {
        let site: SiteId = self.id();
        let mut stale = vec![(CacheKind::SiteUsers, Some(site.get()))];
        if account {
            stale.push((CacheKind::Installations, None));
            stale.push((CacheKind::Search, None));
        }
        stale
    }

    fn ack(&self, request: Request, account: bool) -> Result<Fetched<()>> {
        let stale = self.stale(account);
        let stale: Stale<'_> = &stale;
        Ok(self
            .client()
            .write_json::<AckResponse>(request, stale)?
            .map(|_| ()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_have_the_spec_fields() {
        let body = serde_json::to_value(Invite::new(
            "Andrew",
            "andrew@example.com",
            AccessLevel::FullControl,
        ))
        .unwrap();
        assert_eq!(
            body,
            serde_json::json!({"name": "Andrew", "email": "andrew@example.com", "accessLevel": 1})
        );
        let rights = UserRights::new()
            .set(UserId(1234), AccessLevel::FullControl)
            .set(UserId(5678), AccessLevel::Monitoring);
        assert_eq!(
            serde_json::to_value(&rights).unwrap(),
            serde_json::json!({"idUser": [1234, 5678], "accessLevel": [1, 0]})
        );
        let groups = [GroupAccess::new(UserGroupId(10), AccessLevel::Technician)];
        assert_eq!(
            serde_json::to_value(LinkUserGroups {
                user_groups: &groups
            })
            .unwrap(),
            serde_json::json!({"userGroups": [{"idUserGroup": 10, "accessLevel": 2}]})
        );
        assert_eq!(
            serde_json::to_value(UserGroupAccessLevel {
                id_user_group: UserGroupId(10),
                access_level: None
            })
            .unwrap(),
            serde_json::json!({"idUserGroup": 10, "accessLevel": null})
        );
    }

    #[test]
    fn required_fields_are_checked() {
        let e = Invite::new(" ", "a@b.c", AccessLevel::Monitoring)
            .checked()
            .unwrap_err();
        assert!(
            e.is_invalid_input() && e.to_string().contains("invitee name"),
            "{e}"
        );
        for bad in ["", "andrew", "@example.com", "a@", "a b@c.d", "a@b@c"] {
            let e = Invite::new("A", bad, AccessLevel::Monitoring)
                .checked()
                .unwrap_err()
                .to_string();
            assert!(
                e.contains("e-mail address") && e.contains("expected"),
                "{bad:?}: {e}"
            );
        }
        assert!(UserRights::new().check().is_err());
        let odd = UserRights {
            id_user: vec![UserId(1)],
            access_level: vec![],
        };
        assert!(
            odd.check()
                .unwrap_err()
                .to_string()
                .contains("one level per user")
        );
        assert!(InviteRights::new().checked().is_err());
        assert!(
            InviteRights::new()
                .set("nope", AccessLevel::Monitoring)
                .checked()
                .is_err()
        );
        assert_eq!(
            InviteRights::new()
                .set(" a@b.c ", AccessLevel::Monitoring)
                .checked()
                .unwrap()
                .email,
            ["a@b.c"]
        );
    }
}
