//! Credentials, kept out of every `Debug`, `Display` and log line.

use std::fmt;

/// A string that must never be shown: a token, a password, a 2FA code.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct Secret(String);

impl Secret {
    pub(crate) fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    pub(crate) fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

/// The kind of an [`ApiToken`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TokenKind {
    /// A personal access token, sent as `X-Authorization: Token …`.
    Personal,
    /// A bearer token from a login, sent as `X-Authorization: Bearer …`.
    Bearer,
}

/// A token that authorizes requests. Its value never shows in `Debug`.
///
/// ```
/// let token = vrm::ApiToken::personal("abcd1234");
/// assert!(!format!("{token:?}").contains("abcd1234"));
/// ```
#[derive(Clone)]
pub struct ApiToken {
    kind: TokenKind,
    value: Secret,
}

impl ApiToken {
    /// A personal access token (create one in VRM, or with `vrm login`).
    pub fn personal(value: impl Into<String>) -> Self {
        ApiToken {
            kind: TokenKind::Personal,
            value: Secret::new(value),
        }
    }

    /// A bearer token obtained from an earlier login.
    pub fn bearer(value: impl Into<String>) -> Self {
        ApiToken {
            kind: TokenKind::Bearer,
            value: Secret::new(value),
        }
    }

    /// Which kind of token this is.
    pub fn kind(&self) -> TokenKind {
        self.kind
    }

    /// The token's value, for storing it somewhere safe (`vrm login`
    /// prints a new personal token once this way).
    pub fn expose_secret(&self) -> &str {
        self.value.expose()
    }

    /// The `X-Authorization` header value. The one place a token becomes a header.
    pub(crate) fn header_value(&self) -> String {
        match self.kind {
            TokenKind::Personal => format!("Token {}", self.value.expose()),
            TokenKind::Bearer => format!("Bearer {}", self.value.expose()),
        }
    }
}

impl fmt::Debug for ApiToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ApiToken")
            .field("kind", &self.kind)
            .finish_non_exhaustive()
    }
}

/// How the client proves who it is.
#[derive(Clone, Debug)]
pub(crate) enum Auth {
    /// No credentials: only the auth endpoints work.
    None,
    /// A fixed token.
    Token(ApiToken),
    /// Username and password, logged in on first use and again on expiry.
    Credentials {
        username: String,
        password: Secret,
        sms_token: Option<Secret>,
    },
    /// The VRM demo account.
    Demo,
}

impl Auth {
    /// True when the client can get a new bearer token by itself.
    pub(crate) fn can_login(&self) -> bool {
        matches!(self, Auth::Credentials { .. } | Auth::Demo)
    }

    pub(crate) fn is_none(&self) -> bool {
        matches!(self, Auth::None)
    }

    /// Who these credentials are, without the secret: the cache maps it to
    /// a user id so that a later run (even offline) finds its rows. Tokens
    /// are reduced to a one-way 64-bit hash (a token has far more entropy,
    /// so the hash cannot give it back); user names are not secret.
    pub(crate) fn fingerprint(&self) -> String {
        match self {
            Auth::None => "anonymous".into(),
            Auth::Token(token) => format!("token:{:016x}", fnv1a(token.expose_secret().as_bytes())),
            Auth::Credentials { username, .. } => format!("user:{}", username.to_lowercase()),
            Auth::Demo => "demo".into(),
        }
    }
}

/// FNV-1a, 64 bits: stable across Rust versions and platforms, unlike
/// `std`'s hasher.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(*byte)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprints_name_the_account_not_the_secret() {
        let token = Auth::Token(ApiToken::personal("0123456789abcdef-secret"));
        let fp = token.fingerprint();
        assert!(fp.starts_with("token:") && !fp.contains("secret"), "{fp}");
        assert_eq!(
            fp,
            Auth::Token(ApiToken::personal("0123456789abcdef-secret")).fingerprint()
        );
        assert_ne!(fp, Auth::Token(ApiToken::personal("other")).fingerprint());
        let login = Auth::Credentials {
            username: "Me@Example.com".into(),
            password: Secret::new("pa55word"),
            sms_token: None,
        };
        assert_eq!(login.fingerprint(), "user:me@example.com");
        assert_eq!(fnv1a(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a(b"a"), 0xaf63_dc4c_8601_ec8c);
    }

    #[test]
    fn secrets_never_show_in_debug() {
        let t = ApiToken::bearer("s3cr3t-token");
        assert!(!format!("{t:?}").contains("s3cr3t"));
        let a = Auth::Credentials {
            username: "me@example.com".into(),
            password: Secret::new("pa55word"),
            sms_token: Some(Secret::new("123456")),
        };
        let shown = format!("{a:?}");
        assert!(
            !shown.contains("pa55word") && !shown.contains("123456"),
            "{shown}"
        );
        assert_eq!(t.header_value(), "Bearer s3cr3t-token");
        assert_eq!(
            ApiToken::personal("abc").header_value(),
            "Token abc".to_string()
        );
    }
}
