//! `GET /users/me`, and what a user finds and is offered: `search`,
//! `invites`, `get-site-id` and `addsite`.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::access::{records, success_true};
use super::de;
use crate::ids::{AccessTokenId, SiteGroupId, SiteId, UserGroupId, UserId};

/// The answer of `GET /users/me`.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[non_exhaustive]
pub struct MeResponse {
    /// The logged-in user.
    pub user: User,
}

/// A VRM account.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[non_exhaustive]
pub struct User {
    /// The user id (`22` for the demo account).
    pub id: UserId,
    /// Display name.
    #[serde(default, deserialize_with = "de::opt_string")]
    pub name: Option<String>,
    /// E-mail address (also the login name).
    #[serde(default, deserialize_with = "de::opt_string")]
    pub email: Option<String>,
    /// Country, as a name (`"The Netherlands"`).
    #[serde(default, deserialize_with = "de::opt_string")]
    pub country: Option<String>,
    /// The personal access token this request was authenticated with, if it
    /// was one (`null` for a bearer login).
    #[serde(rename = "idAccessToken", default, deserialize_with = "de::opt_id")]
    pub id_access_token: Option<AccessTokenId>,
    /// The account's access level (`0` for a normal user).
    #[serde(rename = "accessLevel", default, deserialize_with = "de::opt_u64")]
    pub access_level: Option<u64>,
    /// Fields this crate does not know, kept as sent.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// The whole body of `POST /users/{idUser}/get-site-id` and
/// `POST /users/{idUser}/addsite`.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[non_exhaustive]
pub struct SiteIdResponse {
    /// `true`: an error body does not decode.
    #[serde(deserialize_with = "success_true")]
    pub success: bool,
    /// Where the site id is.
    pub records: SiteIdRecord,
}

/// `{"site_id": "…"}` (the spec sends the id as a string).
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[non_exhaustive]
pub struct SiteIdRecord {
    /// The site's id.
    pub site_id: SiteId,
}

/// One site a search found (`GET /users/{idUser}/search`).
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[non_exhaustive]
pub struct SearchHit {
    /// The site's id.
    #[serde(default, deserialize_with = "de::opt_id")]
    pub site_id: Option<SiteId>,
    /// The site's identifier (the portal id of its GX device).
    #[serde(default, deserialize_with = "de::opt_string")]
    pub site_identifier: Option<String>,
    /// The site's name.
    #[serde(default, deserialize_with = "de::opt_string")]
    pub site_name: Option<String>,
    /// The site's avatar URL (`""` for none).
    #[serde(default, deserialize_with = "de::opt_string")]
    pub avatar_url: Option<String>,
    /// Field → the matching text with the term in `<em>…</em>`.
    #[serde(default, deserialize_with = "de::map_or_empty")]
    pub highlight: std::collections::BTreeMap<String, Value>,
    /// Fields this crate does not know, kept as sent.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// The whole body of `GET /users/{idUser}/search`.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[non_exhaustive]
pub struct SearchResponse {
    /// `true`: an error body does not decode.
    #[serde(deserialize_with = "success_true")]
    pub success: bool,
    /// How many sites VRM found.
    #[serde(default, deserialize_with = "de::opt_u64")]
    pub count: Option<u64>,
    /// The sites found (a list, or one site alone).
    #[serde(default, deserialize_with = "records")]
    pub results: Vec<SearchHit>,
}

/// A user's pending invitations and the requests waiting for them
/// (`GET /users/{idUser}/invites`).
#[derive(Debug, Clone, PartialEq, Default, Deserialize, Serialize)]
#[non_exhaustive]
pub struct Invites {
    /// Invitations to installation groups.
    #[serde(rename = "invitesSiteGroups", default, deserialize_with = "records")]
    pub site_groups: Vec<SiteGroupInvite>,
    /// Invitations to user groups (teams).
    #[serde(rename = "invitesUserGroups", default, deserialize_with = "records")]
    pub user_groups: Vec<UserGroupInvite>,
    /// Requests to join the user's teams, waiting for approval.
    #[serde(rename = "requestsUserGroups", default, deserialize_with = "records")]
    pub user_group_requests: Vec<AccessRequest>,
    /// Requests for access to the user's installations, waiting for approval.
    #[serde(
        rename = "requestsInstallations",
        default,
        deserialize_with = "records"
    )]
    pub installation_requests: Vec<AccessRequest>,
}

/// The whole body of `GET /users/{idUser}/invites`.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[non_exhaustive]
pub struct InvitesResponse {
    /// `true`: an error body does not decode.
    #[serde(deserialize_with = "success_true")]
    pub success: bool,
    /// The invitations (absent or `false` → none).
    #[serde(default, deserialize_with = "invites_or_none")]
    pub data: Invites,
}

fn invites_or_none<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Invites, D::Error> {
    super::access::lenient_record(d).map(Option::unwrap_or_default)
}

/// An invitation to an installation group.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[non_exhaustive]
pub struct SiteGroupInvite {
    /// The group's id.
    #[serde(rename = "idSiteGroup", default, deserialize_with = "de::opt_id")]
    pub id_site_group: Option<SiteGroupId>,
    /// The group's name.
    #[serde(rename = "siteGroupName", default, deserialize_with = "de::opt_string")]
    pub site_group_name: Option<String>,
    /// The inviter's message.
    #[serde(
        rename = "personalMessage",
        default,
        deserialize_with = "de::opt_string"
    )]
    pub personal_message: Option<String>,
    /// The key that accepts the invitation.
    #[serde(rename = "inviteKey", default, deserialize_with = "de::opt_string")]
    pub invite_key: Option<String>,
    /// Who invited.
    #[serde(rename = "inviterName", default, deserialize_with = "de::opt_string")]
    pub inviter_name: Option<String>,
    /// When, unix seconds.
    #[serde(rename = "inviteTimestamp", default, deserialize_with = "de::opt_i64")]
    pub invite_timestamp: Option<i64>,
    /// Fields this crate does not know, kept as sent.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// An invitation to a user group (team).
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[non_exhaustive]
pub struct UserGroupInvite {
    /// The team's id.
    #[serde(rename = "idUserGroup", default, deserialize_with = "de::opt_id")]
    pub id_user_group: Option<UserGroupId>,
    /// The team's name.
    #[serde(rename = "userGroupName", default, deserialize_with = "de::opt_string")]
    pub user_group_name: Option<String>,
    /// The inviter's message.
    #[serde(
        rename = "personalMessage",
        default,
        deserialize_with = "de::opt_string"
    )]
    pub personal_message: Option<String>,
    /// The key that accepts the invitation.
    #[serde(rename = "inviteKey", default, deserialize_with = "de::opt_string")]
    pub invite_key: Option<String>,
    /// Who invited.
    #[serde(rename = "inviterName", default, deserialize_with = "de::opt_string")]
    pub inviter_name: Option<String>,
    /// When, unix seconds.
    #[serde(rename = "inviteTimestamp", default, deserialize_with = "de::opt_i64")]
    pub invite_timestamp: Option<i64>,
    /// Fields this crate does not know, kept as sent.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// Someone asking to join a team or to see an installation of the user.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[non_exhaustive]
pub struct AccessRequest {
    /// The team asked for (team requests).
    #[serde(rename = "idUserGroup", default, deserialize_with = "de::opt_id")]
    pub id_user_group: Option<UserGroupId>,
    /// The team's name (team requests).
    #[serde(rename = "userGroupName", default, deserialize_with = "de::opt_string")]
    pub user_group_name: Option<String>,
    /// The installation asked for (installation requests).
    #[serde(rename = "idSite", default, deserialize_with = "de::opt_id")]
    pub id_site: Option<SiteId>,
    /// The installation's name (installation requests).
    #[serde(
        rename = "installationName",
        default,
        deserialize_with = "de::opt_string"
    )]
    pub installation_name: Option<String>,
    /// Who asks.
    #[serde(rename = "inviteeName", default, deserialize_with = "de::opt_string")]
    pub invitee_name: Option<String>,
    /// The id of who asks.
    #[serde(rename = "idUser", default, deserialize_with = "de::opt_id")]
    pub id_user: Option<UserId>,
    /// When, unix seconds.
    #[serde(rename = "inviteTimestamp", default, deserialize_with = "de::opt_i64")]
    pub invite_timestamp: Option<i64>,
    /// Fields this crate does not know, kept as sent.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn live_users_me() {
        let r: MeResponse =
            serde_json::from_str(include_str!("../../tests/fixtures/users_me.json")).unwrap();
        let u = &r.user;
        assert_eq!(u.id, UserId(22));
        assert_eq!(u.name.as_deref(), Some("demo demo"));
        assert_eq!(u.email.as_deref(), Some("demo@victronenergy.com"));
        assert_eq!(u.country.as_deref(), Some("The Netherlands"));
        assert_eq!(u.id_access_token, None);
        assert_eq!(u.access_level, Some(0));
        assert!(u.extra.is_empty(), "{:?}", u.extra);
    }

    #[test]
    fn quirks_and_extra() {
        let json = r#"{"success":true,"user":{"id":"7","name":false,"idAccessToken":"50",
            "accessLevel":"1","avatar":"x.png"}}"#;
        let r: MeResponse = serde_json::from_str(json).unwrap();
        assert_eq!(r.user.id, UserId(7));
        assert_eq!(r.user.name, None);
        assert_eq!(r.user.email, None);
        assert_eq!(r.user.id_access_token, Some(AccessTokenId(50)));
        assert_eq!(r.user.access_level, Some(1));
        assert_eq!(r.user.extra.get("avatar"), Some(&Value::from("x.png")));
        let back: MeResponse = serde_json::from_str(&serde_json::to_string(&r).unwrap()).unwrap();
        assert_eq!(back, r);
    }

    #[test]
    fn site_id_answers() {
        let r: SiteIdResponse =
            serde_json::from_str(r#"{"success":true,"records":{"site_id":"151734"}}"#).unwrap();
        assert_eq!(r.records.site_id, SiteId(151_734));
        let r: SiteIdResponse =
            serde_json::from_str(r#"{"success":true,"records":{"site_id":9}}"#).unwrap();
        assert_eq!(r.records.site_id, SiteId(9));
        for bad in [
            r#"{"success":false,"errors":"not found","error_code":"not_found"}"#,
            r#"{"success":true,"records":{}}"#,
            r#"{"success":true,"records":{"site_id":"x"}}"#,
        ] {
            assert!(
                serde_json::from_str::<SiteIdResponse>(bad).is_err(),
                "{bad}"
            );
        }
    }

    #[test]
    fn search_results() {
        let spec = r#"{"success":true,"count":1,"results":{"site_id":1,"site_identifier":"abcdef1234",
            "site_name":"foobar","avatar_url":"","highlight":{"site_name":["<em>foo</em>bar"]}}}"#;
        let r: SearchResponse = serde_json::from_str(spec).unwrap();
        assert_eq!(r.count, Some(1));
        assert_eq!(r.results.len(), 1);
        let h = &r.results[0];
        assert_eq!(h.site_id, Some(SiteId(1)));
        assert_eq!(h.site_identifier.as_deref(), Some("abcdef1234"));
        assert_eq!(
            h.highlight.get("site_name"),
            Some(&serde_json::json!(["<em>foo</em>bar"]))
        );
        let odd = r#"{"success":true,"count":"2","results":[{"site_id":"5","site_name":7,
            "highlight":[],"score":1.5},"junk",{"site_id":false}]}"#;
        let r: SearchResponse = serde_json::from_str(odd).unwrap();
        assert_eq!(r.count, Some(2));
        assert_eq!(r.results.len(), 2);
        assert_eq!(r.results[0].site_name.as_deref(), Some("7"));
        assert_eq!(r.results[0].extra.get("score"), Some(&Value::from(1.5)));
        assert_eq!(r.results[1].site_id, None);
        let r: SearchResponse =
            serde_json::from_str(r#"{"success":true,"count":0,"results":false}"#).unwrap();
        assert!(r.results.is_empty());
        let err = r#"{"success":false,"error_code":"empty_search","error":["No search string"]}"#;
        assert!(serde_json::from_str::<SearchResponse>(err).is_err());
    }

    #[test]
    fn invites() {
        let json = r#"{"success":true,"data":{
            "invitesSiteGroups":[{"idSiteGroup":1234,"siteGroupName":"Installation Group 1",
              "personalMessage":"Welcome","inviteKey":"abcdef123344","inviterName":"John Doe",
              "inviteTimestamp":1752046191}],
            "invitesUserGroups":{"idUserGroup":"12","userGroupName":"Team 1"},
            "requestsUserGroups":[{"idUserGroup":1234,"userGroupName":"Team 1","inviteeName":"Jane Doe",
              "idUser":5678,"inviteTimestamp":"1752046191"}],
            "requestsInstallations":false}}"#;
        let r: InvitesResponse = serde_json::from_str(json).unwrap();
        let d = &r.data;
        assert_eq!(d.site_groups[0].id_site_group, Some(SiteGroupId(1234)));
        assert_eq!(d.site_groups[0].invite_key.as_deref(), Some("abcdef123344"));
        assert_eq!(d.user_groups[0].id_user_group, Some(UserGroupId(12)));
        assert_eq!(d.user_group_requests[0].id_user, Some(UserId(5678)));
        assert_eq!(
            d.user_group_requests[0].invite_timestamp,
            Some(1_752_046_191)
        );
        assert!(d.installation_requests.is_empty());
        let r: InvitesResponse = serde_json::from_str(r#"{"success":true,"data":[]}"#).unwrap();
        assert_eq!(r.data, Invites::default());
        assert!(
            serde_json::from_str::<InvitesResponse>(r#"{"success":false,"errors":"x"}"#).is_err()
        );
    }

    #[test]
    fn error_body_is_not_me() {
        let body = r#"{"success":false,"errors":"Not logged in","error_code":"not_logged_in"}"#;
        assert!(serde_json::from_str::<MeResponse>(body).is_err());
    }
}
