//! Who may see a site: `GET /installations/{idSite}/users` and the answers
//! of the writes that change it (`invite`, `unlink-user`, `user-rights`, …).

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use serde::de::{DeserializeOwned, Deserializer};
use serde::{Deserialize, Serialize, Serializer};
use serde_json::{Map, Value};
use time::OffsetDateTime;

use super::de;
use crate::error::Error;
use crate::ids::{InviteId, SiteGroupId, SiteId, UserGroupId, UserId};

/// A user's or a group's access to a site, as VRM numbers it.
///
/// The 2026-04 spec names the levels `0` monitoring, `1` full control,
/// `2` technician (its `invite` text calls them demo, user and admin).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum AccessLevel {
    /// `0`: sees the site, changes nothing.
    Monitoring,
    /// `1`: full control (VRM's site admin).
    FullControl,
    /// `2`: technician.
    Technician,
}

impl AccessLevel {
    /// Every level, in VRM's order.
    pub const ALL: [AccessLevel; 3] = [
        AccessLevel::Monitoring,
        AccessLevel::FullControl,
        AccessLevel::Technician,
    ];

    /// VRM's number for the level (`0`, `1`, `2`).
    pub fn code(self) -> u8 {
        match self {
            AccessLevel::Monitoring => 0,
            AccessLevel::FullControl => 1,
            AccessLevel::Technician => 2,
        }
    }

    /// The level of VRM's number; `None` for one this crate does not know.
    pub fn from_code(code: u64) -> Option<AccessLevel> {
        AccessLevel::ALL
            .into_iter()
            .find(|l| u64::from(l.code()) == code)
    }

    /// `"monitoring"`, `"full-control"`, `"technician"`.
    pub fn as_str(self) -> &'static str {
        match self {
            AccessLevel::Monitoring => "monitoring",
            AccessLevel::FullControl => "full-control",
            AccessLevel::Technician => "technician",
        }
    }
}

impl fmt::Display for AccessLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for AccessLevel {
    type Err = Error;

    /// `0`/`monitoring`, `1`/`full-control` (`full`, `admin`),
    /// `2`/`technician`, in any case.
    fn from_str(text: &str) -> Result<Self, Error> {
        let t = text.trim().to_ascii_lowercase().replace('_', "-");
        match t.as_str() {
            "0" | "monitoring" => Ok(AccessLevel::Monitoring),
            "1" | "full-control" | "full" | "admin" => Ok(AccessLevel::FullControl),
            "2" | "technician" => Ok(AccessLevel::Technician),
            _ => Err(Error::invalid(format!(
                "access level {text:?}: expected 0 (monitoring), 1 (full-control) or 2 (technician)"
            ))),
        }
    }
}

impl Serialize for AccessLevel {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_u8(self.code())
    }
}

/// `access_level` as an [`AccessLevel`], when it is one this crate knows.
fn level_of(code: Option<u64>) -> Option<AccessLevel> {
    code.and_then(AccessLevel::from_code)
}

/// The users, invitations, access requests and groups of a site.
///
/// From `GET /installations/{idSite}/users`. A monitoring-level user sees
/// only their own membership.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[non_exhaustive]
pub struct SiteUsers {
    /// Users linked to the site directly.
    #[serde(default, deserialize_with = "records")]
    pub users: Vec<SiteUser>,
    /// Pending invitations.
    #[serde(default, deserialize_with = "records")]
    pub invites: Vec<SiteInvite>,
    /// Pending access requests (from an invite link).
    #[serde(default, deserialize_with = "records")]
    pub pending: Vec<PendingUser>,
    /// User groups (teams) linked to the site.
    #[serde(rename = "userGroups", default, deserialize_with = "records")]
    pub user_groups: Vec<SiteUserGroup>,
    /// Installation groups that hold the site.
    #[serde(rename = "siteGroups", default, deserialize_with = "records")]
    pub site_groups: Vec<SiteGroup>,
}

/// The whole body of `GET /installations/{idSite}/users`.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[non_exhaustive]
pub struct SiteUsersResponse {
    /// `true`: an error body (`success: false`) does not decode.
    #[serde(deserialize_with = "success_true")]
    pub success: bool,
    /// What the site's access lists hold.
    #[serde(flatten)]
    pub site_users: SiteUsers,
}

/// A user linked to a site.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[non_exhaustive]
pub struct SiteUser {
    /// The user's id.
    #[serde(rename = "idUser", default, deserialize_with = "de::opt_id")]
    pub id_user: Option<UserId>,
    /// Display name.
    #[serde(default, deserialize_with = "de::opt_string")]
    pub name: Option<String>,
    /// E-mail address.
    #[serde(default, deserialize_with = "de::opt_string")]
    pub email: Option<String>,
    /// VRM's access level number (see [`level`](Self::level)).
    #[serde(rename = "accessLevel", default, deserialize_with = "de::opt_u64")]
    pub access_level: Option<u64>,
    /// Fields this crate does not know, kept as sent.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl SiteUser {
    /// The access level, when VRM sent one this crate knows.
    pub fn level(&self) -> Option<AccessLevel> {
        level_of(self.access_level)
    }
}

/// A pending invitation to a site.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[non_exhaustive]
pub struct SiteInvite {
    /// The invitation's id.
    #[serde(rename = "idInvite", default, deserialize_with = "de::opt_id")]
    pub id_invite: Option<InviteId>,
    /// The invitee's e-mail address.
    #[serde(default, deserialize_with = "de::opt_string")]
    pub email: Option<String>,
    /// The invitee's name.
    #[serde(default, deserialize_with = "de::opt_string")]
    pub name: Option<String>,
    /// VRM's access level number (see [`level`](Self::level)).
    #[serde(rename = "accessLevel", default, deserialize_with = "de::opt_u64")]
    pub access_level: Option<u64>,
    /// When it was sent, unix seconds.
    #[serde(default, deserialize_with = "de::opt_i64")]
    pub created: Option<i64>,
    /// Fields this crate does not know, kept as sent.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl SiteInvite {
    /// The access level, when VRM sent one this crate knows.
    pub fn level(&self) -> Option<AccessLevel> {
        level_of(self.access_level)
    }

    /// When the invitation was sent.
    pub fn created_time(&self) -> Option<OffsetDateTime> {
        self.created.and_then(de::unix_s)
    }
}

/// A user who asked for access to a site and waits for an answer.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[non_exhaustive]
pub struct PendingUser {
    /// The user's id.
    #[serde(rename = "idUser", default, deserialize_with = "de::opt_id")]
    pub id_user: Option<UserId>,
    /// Display name.
    #[serde(default, deserialize_with = "de::opt_string")]
    pub name: Option<String>,
    /// E-mail address.
    #[serde(default, deserialize_with = "de::opt_string")]
    pub email: Option<String>,
    /// Fields this crate does not know, kept as sent.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A user group (team) linked to a site.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[non_exhaustive]
pub struct SiteUserGroup {
    /// The group's id.
    #[serde(rename = "idUserGroup", default, deserialize_with = "de::opt_id")]
    pub id_user_group: Option<UserGroupId>,
    /// The group's name.
    #[serde(default, deserialize_with = "de::opt_string")]
    pub name: Option<String>,
    /// VRM's access level number (see [`level`](Self::level)).
    #[serde(rename = "accessLevel", default, deserialize_with = "de::opt_u64")]
    pub access_level: Option<u64>,
    /// Fields this crate does not know, kept as sent.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl SiteUserGroup {
    /// The access level, when VRM sent one this crate knows.
    pub fn level(&self) -> Option<AccessLevel> {
        level_of(self.access_level)
    }
}

/// An installation group that holds a site.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[non_exhaustive]
pub struct SiteGroup {
    /// The group's id.
    #[serde(rename = "idSiteGroup", default, deserialize_with = "de::opt_id")]
    pub id_site_group: Option<SiteGroupId>,
    /// The group's name.
    #[serde(default, deserialize_with = "de::opt_string")]
    pub name: Option<String>,
    /// The id of the group's owner.
    #[serde(rename = "idOwner", default, deserialize_with = "de::opt_id")]
    pub id_owner: Option<UserId>,
    /// The name of the group's admin.
    #[serde(rename = "adminName", default, deserialize_with = "de::opt_string")]
    pub admin_name: Option<String>,
    /// Fields this crate does not know, kept as sent.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// The invitation VRM made: the answer of
/// `POST /installations/{idSite}/invite`.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[non_exhaustive]
pub struct InvitedUser {
    /// The invited user's id (`0` or absent when they have no account yet).
    #[serde(rename = "idUser", default, deserialize_with = "de::opt_id")]
    pub id_user: Option<UserId>,
    /// The site.
    #[serde(rename = "idSite", default, deserialize_with = "de::opt_id")]
    pub id_site: Option<SiteId>,
    /// When the invitation was made, unix seconds.
    #[serde(default, deserialize_with = "de::opt_i64")]
    pub created: Option<i64>,
    /// The invitee's name.
    #[serde(default, deserialize_with = "de::opt_string")]
    pub name: Option<String>,
    /// The invitee's e-mail address.
    #[serde(default, deserialize_with = "de::opt_string")]
    pub email: Option<String>,
    /// VRM's access level number (see [`level`](Self::level)).
    #[serde(rename = "accessLevel", default, deserialize_with = "de::opt_u64")]
    pub access_level: Option<u64>,
    /// The invitation's id (`0` in the spec's example).
    #[serde(rename = "idInvite", default, deserialize_with = "de::opt_id")]
    pub id_invite: Option<InviteId>,
    /// Fields this crate does not know, kept as sent.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl InvitedUser {
    /// The access level, when VRM sent one this crate knows.
    pub fn level(&self) -> Option<AccessLevel> {
        level_of(self.access_level)
    }
}

/// The whole body of `POST /installations/{idSite}/invite`.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[non_exhaustive]
pub struct InviteResponse {
    /// `true`: an error body does not decode.
    #[serde(deserialize_with = "success_true")]
    pub success: bool,
    /// The invitation (absent → empty).
    #[serde(default, deserialize_with = "lenient_record")]
    pub data: Option<InvitedUser>,
}

/// The whole body of a write that answers `{"success": true, …}` only
/// (`unlink-user`, `unlink`, `user-rights`, `link-user-groups`,
/// `user-group-access-level`).
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[non_exhaustive]
pub struct AckResponse {
    /// `true`: an error body (`success: false`, which these endpoints send
    /// with status 200) does not decode.
    #[serde(deserialize_with = "success_true")]
    pub success: bool,
    /// The rest of the answer (`idSite` …), kept as sent.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// The whole body of `POST /installations/{idSite}/invite-rights`.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[non_exhaustive]
pub struct InviteRightsResponse {
    /// `true`: an error body does not decode.
    #[serde(deserialize_with = "success_true")]
    pub success: bool,
    /// E-mail address → whether its invitation was updated.
    #[serde(default, deserialize_with = "bool_map")]
    pub records: BTreeMap<String, bool>,
}

/// `success` that must be `true` (or `1`, `"true"`): anything else fails,
/// so that `decode` reads the body as VRM's error.
pub(crate) fn success_true<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    match de::opt_bool(d)? {
        Some(true) => Ok(true),
        _ => Err(serde::de::Error::custom("success is not true")),
    }
}

/// A map of booleans, each as [`de::opt_bool`] (an odd value → `false`).
fn bool_map<'de, D: Deserializer<'de>>(d: D) -> Result<BTreeMap<String, bool>, D::Error> {
    let raw: BTreeMap<String, Value> = de::map_or_empty(d)?;
    Ok(raw
        .into_iter()
        .map(|(k, v)| {
            let ok = de::opt_bool(v).ok().flatten().unwrap_or(false);
            (k, ok)
        })
        .collect())
}

/// One record that may be absent, `false`, or not an object (→ `None`).
pub(crate) fn lenient_record<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: DeserializeOwned,
{
    let value = Value::deserialize(d)?;
    Ok(match value {
        Value::Object(_) => serde_json::from_value(value).ok(),
        _ => None,
    })
}

/// A list of records, entry by entry: a list; an object keyed by index or
/// whose values are all objects (PHP's index-keyed list → its values); one record alone (an
/// object of plain values, as some of the spec's schemas describe); `false`
/// or `null` (→ empty). An entry that is not a record is left out (the raw
/// answer stays in the cache); it never sinks the others.
pub(crate) fn records<'de, D, T>(d: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: DeserializeOwned,
{
    let value = Value::deserialize(d)?;
    let entries: Vec<Value> = match value {
        Value::Array(items) => items,
        Value::Object(map)
            if !map.is_empty()
                && (map.values().all(Value::is_object)
                    || map.keys().all(|k| k.bytes().all(|b| b.is_ascii_digit()))) =>
        {
            map.into_iter().map(|(_, v)| v).collect()
        }
        Value::Object(map) if map.is_empty() => Vec::new(),
        one @ Value::Object(_) => vec![one],
        _ => Vec::new(),
    };
    Ok(entries
        .into_iter()
        .filter(Value::is_object)
        .filter_map(|entry| match serde_json::from_value(entry) {
            Ok(record) => Some(record),
            Err(e) => {
                log::debug!("an entry that does not fit was left out: {e}");
                None
            }
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_parse_print_and_serialize_as_numbers() {
        for level in AccessLevel::ALL {
            assert_eq!(level.as_str().parse::<AccessLevel>().unwrap(), level);
            assert_eq!(
                level.code().to_string().parse::<AccessLevel>().unwrap(),
                level
            );
            assert_eq!(AccessLevel::from_code(u64::from(level.code())), Some(level));
            assert_eq!(
                serde_json::to_string(&level).unwrap(),
                level.code().to_string()
            );
        }
        assert_eq!(
            "Full_Control".parse::<AccessLevel>().unwrap(),
            AccessLevel::FullControl
        );
        let e = "3".parse::<AccessLevel>().unwrap_err().to_string();
        assert!(e.contains("\"3\"") && e.contains("0 (monitoring)"), "{e}");
        assert_eq!(AccessLevel::from_code(7), None);
    }

    const SPEC_USERS: &str = r#"{"success":true,
        "users":[{"idUser":1234,"name":"Andrew","email":"andrew@example.com","accessLevel":1}],
        "invites":[{"idInvite":42,"email":"newuser@example.com","name":"New User","accessLevel":0,"created":1698415280}],
        "pending":[{"idUser":5678,"name":"Pending User","email":"pending@example.com"}],
        "userGroups":[{"idUserGroup":10,"name":"Operations Team","accessLevel":0}],
        "siteGroups":[{"idSiteGroup":3,"name":"Fleet A","idOwner":1234,"adminName":"Andrew"}]}"#;

    #[test]
    fn site_users_as_the_spec_shows_them() {
        let r: SiteUsersResponse = serde_json::from_str(SPEC_USERS).unwrap();
        let s = &r.site_users;
        assert_eq!(s.users[0].id_user, Some(UserId(1234)));
        assert_eq!(s.users[0].level(), Some(AccessLevel::FullControl));
        assert_eq!(s.invites[0].id_invite, Some(InviteId(42)));
        assert_eq!(
            s.invites[0].created_time().map(|t| t.unix_timestamp()),
            Some(1_698_415_280)
        );
        assert_eq!(s.pending[0].email.as_deref(), Some("pending@example.com"));
        assert_eq!(s.user_groups[0].id_user_group, Some(UserGroupId(10)));
        assert_eq!(s.user_groups[0].level(), Some(AccessLevel::Monitoring));
        assert_eq!(s.site_groups[0].id_owner, Some(UserId(1234)));
        assert_eq!(s.site_groups[0].admin_name.as_deref(), Some("Andrew"));
        let back: SiteUsersResponse =
            serde_json::from_str(&serde_json::to_string(&r).unwrap()).unwrap();
        assert_eq!(back, r);
    }

    #[test]
    fn site_users_odd_values() {
        let json = r#"{"success":"1","users":{"0":{"idUser":"7","accessLevel":"9","x":1},
            "1":"junk"},"invites":false,"pending":null,"userGroups":[1,{"idUserGroup":"4"}]}"#;
        let r: SiteUsersResponse = serde_json::from_str(json).unwrap();
        let s = r.site_users;
        assert_eq!(s.users.len(), 1, "{s:?}");
        assert_eq!(s.users[0].id_user, Some(UserId(7)));
        assert_eq!(s.users[0].access_level, Some(9));
        assert_eq!(s.users[0].level(), None);
        assert_eq!(s.users[0].extra.get("x"), Some(&Value::from(1)));
        assert!(s.invites.is_empty() && s.pending.is_empty() && s.site_groups.is_empty());
        assert_eq!(s.user_groups.len(), 1);
        let err = r#"{"success":false,"errors":["no"],"error_code":"forbidden"}"#;
        assert!(serde_json::from_str::<SiteUsersResponse>(err).is_err());
    }

    #[test]
    fn write_answers() {
        let r: InviteResponse = serde_json::from_str(
            r#"{"success":true,"user":false,"data":{"idUser":1,"idSite":60,"created":1698415280,
            "name":"Andrew","email":"andrew@example.com","accessLevel":1,"idInvite":0}}"#,
        )
        .unwrap();
        let d = r.data.unwrap();
        assert_eq!((d.id_user, d.id_site), (Some(UserId(1)), Some(SiteId(60))));
        assert_eq!(d.level(), Some(AccessLevel::FullControl));
        let r: InviteResponse = serde_json::from_str(r#"{"success":true,"data":false}"#).unwrap();
        assert_eq!(r.data, None);
        let r: AckResponse = serde_json::from_str(r#"{"success":true,"idSite":60}"#).unwrap();
        assert_eq!(r.extra.get("idSite"), Some(&Value::from(60)));
        for err in [
            r#"{"success":false,"idSite":60,"error_code":"min_one_admin_required","errors":["x"]}"#,
            r#"{"errors":["x"]}"#,
        ] {
            assert!(serde_json::from_str::<AckResponse>(err).is_err(), "{err}");
        }
        let r: InviteRightsResponse = serde_json::from_str(
            r#"{"success":true,"records":{"a@example.com":true,"b@example.com":"0","c":null}}"#,
        )
        .unwrap();
        assert_eq!(r.records.get("a@example.com"), Some(&true));
        assert_eq!(r.records.get("b@example.com"), Some(&false));
        assert_eq!(r.records.get("c"), Some(&false));
        let r: InviteRightsResponse = serde_json::from_str(r#"{"success":true}"#).unwrap();
        assert!(r.records.is_empty());
    }

    #[test]
    fn one_record_alone_is_a_list_of_one() {
        #[derive(Debug, Deserialize)]
        struct W {
            #[serde(deserialize_with = "records")]
            r: Vec<SiteUser>,
        }
        let w: W = serde_json::from_str(r#"{"r":{"idUser":3,"name":"x"}}"#).unwrap();
        assert_eq!(w.r.len(), 1);
        assert_eq!(w.r[0].id_user, Some(UserId(3)));
        let w: W = serde_json::from_str(r#"{"r":{}}"#).unwrap();
        assert!(w.r.is_empty());
    }
}
