//! `POST /auth/login` and `GET /auth/loginAsDemo`.

use std::fmt;

use serde::Deserialize;

use super::de;
use crate::ids::UserId;

/// The answer of a login: a bearer token, or — for a two-factor account
/// without an SMS code — no token and a note that a code was sent.
///
/// The token is a secret: `Debug` shows only whether there is one, and this
/// type is deliberately not `Serialize`.
#[derive(Clone, PartialEq, Deserialize)]
#[non_exhaustive]
pub struct LoginResponse {
    /// The bearer token (a JWT); `None` when a second factor is needed.
    /// The key itself is required, so an error body never decodes as this.
    #[serde(deserialize_with = "de::opt_string")]
    pub token: Option<String>,
    /// The account the token belongs to (`idUser`; absent for the demo login).
    #[serde(rename = "idUser", default, deserialize_with = "de::opt_id")]
    pub id_user: Option<UserId>,
    /// How this account verifies logins (`"password"`, `"sms"`, …).
    #[serde(default, deserialize_with = "de::opt_string")]
    pub verification_mode: Option<String>,
    /// True when VRM sent a two-factor code (and so gave no token).
    #[serde(default, deserialize_with = "de::opt_bool")]
    pub verification_sent: Option<bool>,
}

impl LoginResponse {
    /// True when the login needs a second factor: no token was given.
    #[cfg_attr(not(any(test, feature = "internals")), allow(dead_code))] // tests
    pub fn needs_second_factor(&self) -> bool {
        self.token.as_deref().is_none_or(str::is_empty)
    }
}

impl fmt::Debug for LoginResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LoginResponse")
            .field("token", &self.token.as_ref().map(|_| "<redacted>"))
            .field("id_user", &self.id_user)
            .field("verification_mode", &self.verification_mode)
            .field("verification_sent", &self.verification_sent)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOKEN: &str = "eyJhbGciOiJIUzI1NiJ9.secret-payload.signature";

    #[test]
    fn login() {
        let r: LoginResponse =
            serde_json::from_str(include_str!("../../tests/fixtures/login.json")).unwrap();
        assert_eq!(r.token.as_deref(), Some(TOKEN));
        assert_eq!(r.id_user, Some(UserId(22)));
        assert_eq!(r.verification_mode.as_deref(), Some("password"));
        assert_eq!(r.verification_sent, Some(false));
        assert!(!r.needs_second_factor());
    }

    #[test]
    fn login_2fa_required() {
        let r: LoginResponse =
            serde_json::from_str(include_str!("../../tests/fixtures/login_2fa_required.json"))
                .unwrap();
        assert_eq!(r.token, None);
        assert_eq!(r.id_user, Some(UserId(1234)));
        assert_eq!(r.verification_mode.as_deref(), Some("sms"));
        assert_eq!(r.verification_sent, Some(true));
        assert!(r.needs_second_factor());
    }

    #[test]
    fn demo_login_and_quirks() {
        let r: LoginResponse = serde_json::from_str(r#"{"token":"abc"}"#).unwrap();
        assert_eq!(r.token.as_deref(), Some("abc"));
        assert_eq!((r.id_user, r.verification_sent), (None, None));
        let r: LoginResponse = serde_json::from_str(
            r#"{"token":"abc","idUser":"22","verification_sent":0,"extra":1}"#,
        )
        .unwrap();
        assert_eq!(r.id_user, Some(UserId(22)));
        assert_eq!(r.verification_sent, Some(false));
    }

    #[test]
    fn error_body_is_not_a_login() {
        let body = r#"{"success":false,"errors":"Invalid credentials","error_code":"invalid_credentials"}"#;
        assert!(serde_json::from_str::<LoginResponse>(body).is_err());
    }

    #[test]
    fn debug_hides_the_token() {
        let r: LoginResponse =
            serde_json::from_str(include_str!("../../tests/fixtures/login.json")).unwrap();
        let debug = format!("{r:?}");
        assert!(!debug.contains(TOKEN), "{debug}");
        assert!(!debug.contains("secret-payload"), "{debug}");
        assert!(
            debug.contains("<redacted>") && debug.contains("22"),
            "{debug}"
        );
        let pretty = format!("{r:#?}");
        assert!(!pretty.contains("secret-payload"));
    }
}
