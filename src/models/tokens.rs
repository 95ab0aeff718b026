//! Personal access tokens: `users/{idUser}/accesstokens/{create,list,…/revoke}`.

use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use time::OffsetDateTime;

use super::de;
use crate::ids::AccessTokenId;

/// The answer of `POST /users/{idUser}/accesstokens/create`.
///
/// Holds the new token's value, which VRM never shows again: `Debug` hides
/// it. It stays `Serialize` so a program can hand the value to its user
/// once; do not log the serialized form.
#[derive(Clone, PartialEq, Deserialize, Serialize)]
#[non_exhaustive]
pub struct CreateTokenResponse {
    /// The token's value (SECRET). Use it as `X-Authorization: Token <value>`.
    #[serde(deserialize_with = "de::string_or_empty")]
    pub token: String,
    /// The new token's id (for revoking it).
    #[serde(rename = "idAccessToken")]
    pub id_access_token: AccessTokenId,
}

impl fmt::Debug for CreateTokenResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CreateTokenResponse")
            .field("token", &"<redacted>")
            .field("id_access_token", &self.id_access_token)
            .finish()
    }
}

/// The answer of `GET /users/{idUser}/accesstokens/list`.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[non_exhaustive]
pub struct TokensResponse {
    /// The user's tokens, without their values (`false` → empty).
    #[serde(deserialize_with = "de::list_or_empty")]
    pub tokens: Vec<AccessToken>,
}

/// A personal access token's details (never its value).
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[non_exhaustive]
pub struct AccessToken {
    /// The token's name (unique per user).
    #[serde(default, deserialize_with = "de::string_or_empty")]
    pub name: String,
    /// The token's id.
    #[serde(rename = "idAccessToken")]
    pub id_access_token: AccessTokenId,
    /// When it was created, unix seconds (VRM sends a numeric string).
    #[serde(rename = "createdOn", default, deserialize_with = "de::opt_i64")]
    pub created_on: Option<i64>,
    /// Its scope (`"FULL_ACCESS"`).
    #[serde(default, deserialize_with = "de::opt_string")]
    pub scope: Option<String>,
    /// When it expires, unix seconds; `None`: never.
    #[serde(default, deserialize_with = "de::opt_i64")]
    pub expires: Option<i64>,
    /// Fields this crate does not know, kept as sent.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl AccessToken {
    /// When the token was created.
    pub fn created_time(&self) -> Option<OffsetDateTime> {
        self.created_on.and_then(de::unix_s)
    }

    /// When the token expires; `None` when it never does.
    pub fn expires_time(&self) -> Option<OffsetDateTime> {
        self.expires.and_then(de::unix_s)
    }
}

/// The answer of a token revocation.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[non_exhaustive]
pub struct RevokeResponse {
    /// What was done.
    pub data: RevokeData,
}

/// The result of a token revocation.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[non_exhaustive]
pub struct RevokeData {
    /// How many tokens were revoked.
    #[serde(default, deserialize_with = "removed_count")]
    pub removed: u64,
    /// Fields this crate does not know, kept as sent.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

fn removed_count<'de, D: serde::Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    de::opt_u64(d).map(Option::unwrap_or_default)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "abcd1234efab1234";

    #[test]
    fn create() {
        let r: CreateTokenResponse =
            serde_json::from_str(include_str!("../../tests/fixtures/tokens_create.json")).unwrap();
        assert_eq!(r.token, SECRET);
        assert_eq!(r.id_access_token, AccessTokenId(123));
        // The OpenAPI swaps the types: the id as a string works too.
        let r: CreateTokenResponse =
            serde_json::from_str(r#"{"success":true,"token":"t0k","idAccessToken":"124"}"#)
                .unwrap();
        assert_eq!(r.id_access_token, AccessTokenId(124));
        let err = r#"{"success":false,"errors":{"name":"exists"},"error_code":"duplicate"}"#;
        assert!(serde_json::from_str::<CreateTokenResponse>(err).is_err());
    }

    #[test]
    fn create_debug_hides_the_token() {
        let r: CreateTokenResponse =
            serde_json::from_str(include_str!("../../tests/fixtures/tokens_create.json")).unwrap();
        let debug = format!("{r:?}");
        assert!(!debug.contains(SECRET), "{debug}");
        assert!(
            debug.contains("<redacted>") && debug.contains("123"),
            "{debug}"
        );
        assert!(!format!("{r:#?}").contains(SECRET));
    }

    #[test]
    fn list() {
        let r: TokensResponse =
            serde_json::from_str(include_str!("../../tests/fixtures/tokens_list.json")).unwrap();
        assert_eq!(r.tokens.len(), 3);
        let t = &r.tokens[0];
        assert_eq!(t.name, "Token #1");
        assert_eq!(t.id_access_token, AccessTokenId(50));
        assert_eq!(t.created_on, Some(1_508_415_114));
        assert_eq!(
            t.created_time().map(|t| t.unix_timestamp()),
            Some(1_508_415_114)
        );
        assert_eq!(t.scope.as_deref(), Some("FULL_ACCESS"));
        assert_eq!(t.expires, None);
        assert_eq!(t.expires_time(), None);
        assert_eq!(r.tokens[2].id_access_token, AccessTokenId(52));
        let back: TokensResponse =
            serde_json::from_str(&serde_json::to_string(&r).unwrap()).unwrap();
        assert_eq!(back, r);
    }

    #[test]
    fn list_quirks() {
        let json = r#"{"tokens":[{"name":"n","idAccessToken":7,"createdOn":1508415114,
            "expires":"1685992714","lastUsed":"1700000000"}]}"#;
        let r: TokensResponse = serde_json::from_str(json).unwrap();
        assert_eq!(r.tokens[0].expires, Some(1_685_992_714));
        assert_eq!(r.tokens[0].scope, None);
        assert_eq!(
            r.tokens[0].extra.get("lastUsed"),
            Some(&Value::from("1700000000"))
        );
        let r: TokensResponse = serde_json::from_str(r#"{"success":true,"tokens":false}"#).unwrap();
        assert!(r.tokens.is_empty());
        assert!(
            serde_json::from_str::<TokensResponse>(r#"{"success":false,"errors":"x"}"#).is_err()
        );
    }

    #[test]
    fn revoke() {
        let r: RevokeResponse =
            serde_json::from_str(include_str!("../../tests/fixtures/tokens_revoke.json")).unwrap();
        assert_eq!(r.data.removed, 3);
        let r: RevokeResponse =
            serde_json::from_str(r#"{"data":{"removed":"1","note":"x"}}"#).unwrap();
        assert_eq!(r.data.removed, 1);
        assert_eq!(r.data.extra.get("note"), Some(&Value::from("x")));
        let r: RevokeResponse = serde_json::from_str(r#"{"data":{"removed":false}}"#).unwrap();
        assert_eq!(r.data.removed, 0);
        assert!(
            serde_json::from_str::<RevokeResponse>(r#"{"success":false,"errors":"x"}"#).is_err()
        );
    }
}
