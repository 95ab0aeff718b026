//! The one error type of the crate.

use std::borrow::Cow;
use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

/// A `Result` whose error is [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong when talking to VRM.
///
/// Each variant is something a caller can act on: fix the input, log in
/// again, wait and retry, check the network, or report a VRM change.
/// No variant ever carries a token or a password.
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// Could not reach VRM (DNS, connect, TLS, timeout). See [`TransportError`].
    Transport(TransportError),
    /// VRM answered with an error status or `success: false`.
    Api(Box<ApiError>),
    /// VRM refused the credentials or the token (HTTP 401), after the one
    /// re-login the client makes when it holds a username and password.
    Unauthorized(Box<ApiError>),
    /// The account uses two-factor authentication: log in again with the
    /// code VRM sent ([`ClientBuilder::sms_token`](crate::ClientBuilder::sms_token)).
    TwoFactorRequired {
        /// How VRM verifies this account (`"sms"`, …), when it says.
        verification_mode: Option<String>,
        /// Whether VRM says it has just sent a code.
        verification_sent: bool,
    },
    /// Too many requests (HTTP 429) and the wait VRM asked for was longer
    /// than the client's longest wait, or the retries ran out.
    RateLimited {
        /// The wait VRM asked for (`Retry-After`), when it gave one.
        retry_after: Option<Duration>,
    },
    /// VRM's answer was larger than the client accepts
    /// ([`ClientBuilder::max_body_bytes`](crate::ClientBuilder::max_body_bytes)).
    /// Never retried: the same request would bring the same answer.
    TooLarge {
        /// The path template of the endpoint.
        endpoint: Cow<'static, str>,
        /// The limit, in bytes.
        limit: u64,
    },
    /// The body was not the JSON expected. See [`DecodeError`].
    Decode(Box<DecodeError>),
    /// The caller asked for something invalid; no request was made.
    InvalidInput(String),
    /// The cache file failed (cannot be opened, damaged, newer schema, disk
    /// full). See [`CacheError`].
    Cache(CacheError),
    /// Offline mode, and the cache does not hold what was asked for; the
    /// message names what is missing.
    NotCached(String),
}

impl Error {
    /// True for timeouts (connect or overall).
    pub fn is_timeout(&self) -> bool {
        matches!(self, Error::Transport(t) if t.kind == TransportKind::Timeout)
    }

    /// True when the credentials or token were refused.
    pub fn is_auth(&self) -> bool {
        matches!(
            self,
            Error::Unauthorized(_) | Error::TwoFactorRequired { .. }
        ) || matches!(self, Error::Api(e) if e.status == 403)
    }

    /// True when VRM answered 404.
    pub fn is_not_found(&self) -> bool {
        matches!(self, Error::Api(e) if e.status == 404)
    }

    /// True when the network could not be used at all.
    pub fn is_transport(&self) -> bool {
        matches!(self, Error::Transport(_))
    }

    /// True when the request was refused before anything was sent.
    pub fn is_invalid_input(&self) -> bool {
        matches!(self, Error::InvalidInput(_))
    }

    /// True when offline mode found no cached copy.
    pub fn is_not_cached(&self) -> bool {
        matches!(self, Error::NotCached(_))
    }

    /// True for failures of the network or of VRM's servers (transport,
    /// 5xx, 429): the cases where a stale cached copy may stand in.
    pub fn is_network(&self) -> bool {
        matches!(self, Error::Transport(_) | Error::RateLimited { .. })
            || matches!(self, Error::Api(e) if e.status >= 500)
    }

    /// The API error behind [`Error::Api`] or [`Error::Unauthorized`].
    pub fn api_error(&self) -> Option<&ApiError> {
        match self {
            Error::Api(e) | Error::Unauthorized(e) => Some(e),
            _ => None,
        }
    }

    pub(crate) fn invalid(message: impl Into<String>) -> Self {
        Error::InvalidInput(message.into())
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Transport(e) => write!(f, "could not reach vrm: {e}"),
            Error::Api(e) => write!(f, "vrm api error: {e}"),
            Error::Unauthorized(e) => write!(f, "vrm refused the credentials: {e}"),
            Error::TwoFactorRequired {
                verification_mode, ..
            } => write!(
                f,
                "this account uses two-factor authentication ({}): log in again with the code",
                verification_mode.as_deref().unwrap_or("unknown mode")
            ),
            Error::RateLimited {
                retry_after: Some(d),
            } => write!(
                f,
                "vrm rate limit reached: retry after {} s",
                d.as_secs_f64().ceil()
            ),
            Error::RateLimited { retry_after: None } => write!(f, "vrm rate limit reached"),
            Error::TooLarge { endpoint, limit } => write!(
                f,
                "the answer of {endpoint} was larger than the {} MiB this client accepts \
                 (ClientBuilder::max_body_bytes)",
                limit / (1024 * 1024)
            ),
            Error::Decode(e) => write!(f, "{e}"),
            Error::InvalidInput(m) => write!(f, "invalid input: {m}"),
            Error::Cache(e) => write!(f, "{e}"),
            Error::NotCached(m) => write!(f, "offline and not in the cache: {m}"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Transport(e) => Some(e),
            Error::Cache(e) => Some(e),
            Error::Decode(e) => e
                .source
                .as_ref()
                .map(|s| s as &(dyn std::error::Error + 'static)),
            _ => None,
        }
    }
}

/// A failure of the cache file itself.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct CacheError {
    /// The file, when the cache has one.
    pub path: Option<PathBuf>,
    /// What went wrong and what to do about it.
    pub message: String,
}

impl fmt::Display for CacheError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.path {
            Some(path) => write!(f, "cache {}: {}", path.display(), self.message),
            None => write!(f, "in-memory cache: {}", self.message),
        }
    }
}

impl std::error::Error for CacheError {}

/// An error answer from VRM: the HTTP status and what the body said.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ApiError {
    /// HTTP status code.
    pub status: u16,
    /// The path template of the endpoint (`installations/{idSite}/stats`).
    pub endpoint: Cow<'static, str>,
    /// VRM's `error_code` (`"no_data"`, `"missing_parameters"`, …).
    pub error_code: Option<String>,
    /// VRM's `errors`, flattened to messages.
    pub errors: Vec<String>,
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "http {} from {}", self.status, self.endpoint)?;
        if let Some(code) = &self.error_code {
            write!(f, " ({code})")?;
        }
        if !self.errors.is_empty() {
            write!(f, ": {}", self.errors.join("; "))?;
        }
        Ok(())
    }
}

/// What kind of transport failure happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TransportKind {
    /// The host name could not be resolved.
    Dns,
    /// The connection could not be made or broke.
    Connect,
    /// TLS failed.
    Tls,
    /// A timeout elapsed.
    Timeout,
    /// Anything else (protocol errors, bad URL …).
    Other,
}

/// A failure to talk to VRM at all. The underlying error is in `source()`.
#[derive(Debug)]
pub struct TransportError {
    kind: TransportKind,
    message: String,
    source: Option<Box<dyn std::error::Error + Send + Sync>>,
}

impl TransportError {
    pub(crate) fn new(
        kind: TransportKind,
        message: impl Into<String>,
        source: Option<Box<dyn std::error::Error + Send + Sync>>,
    ) -> Self {
        TransportError {
            kind,
            message: message.into(),
            source,
        }
    }

    /// What kind of failure this was.
    pub fn kind(&self) -> TransportKind {
        self.kind
    }
}

impl fmt::Display for TransportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for TransportError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_ref()
            .map(|s| s.as_ref() as &(dyn std::error::Error + 'static))
    }
}

/// A body that was not the JSON expected.
#[derive(Debug)]
#[non_exhaustive]
pub struct DecodeError {
    /// The path template of the endpoint.
    pub endpoint: Cow<'static, str>,
    /// HTTP status of the answer.
    pub status: u16,
    /// The first bytes of the body (or `<redacted>` for answers that carry
    /// secrets), for the bug report.
    pub snippet: String,
    /// What serde said, if anything.
    pub source: Option<serde_json::Error>,
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "unexpected answer from {} (http {})",
            self.endpoint, self.status
        )?;
        if let Some(e) = &self.source {
            write!(f, ": {e}")?;
        }
        write!(f, "; body starts: {:?}", self.snippet)
    }
}

/// How many bytes of a body an error shows.
const SNIPPET_BYTES: usize = 200;

/// The first bytes of `body` as text, for error messages.
pub(crate) fn snippet(body: &[u8]) -> String {
    if body.is_empty() {
        return "<empty body>".to_owned();
    }
    let cut = &body[..body.len().min(SNIPPET_BYTES)];
    let mut text: String = String::from_utf8_lossy(cut)
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if body.len() > SNIPPET_BYTES {
        text.push('…');
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snippet_is_short_and_printable() {
        let body = format!("<html>\n{}</html>", "x".repeat(500));
        let s = snippet(body.as_bytes());
        assert!(s.starts_with("<html> x"));
        assert!(s.chars().count() <= SNIPPET_BYTES + 1);
        assert_eq!(snippet(b""), "<empty body>");
    }

    #[test]
    fn api_error_display_keeps_code_and_messages() {
        let e = Error::Api(Box::new(ApiError {
            status: 400,
            endpoint: "installations/{idSite}/stats".into(),
            error_code: Some("no_data".into()),
            errors: vec!["Site has no stats for this period.".into()],
        }));
        assert_eq!(
            e.to_string(),
            "vrm api error: http 400 from installations/{idSite}/stats (no_data): Site has no stats for this period."
        );
    }
}
