//! `GET /users/me`.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::de;
use crate::ids::{AccessTokenId, UserId};

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
    fn error_body_is_not_me() {
        let body = r#"{"success":false,"errors":"Not logged in","error_code":"not_logged_in"}"#;
        assert!(serde_json::from_str::<MeResponse>(body).is_err());
    }
}
