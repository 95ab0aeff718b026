//! Any call at all: a method, a path and its query, for the operations
//! VRM adds before this crate knows them. Through the same engine as
//! every typed call (limiter, retries, re-login, offline refusal, cache).

use serde_json::Value;

use crate::api::Stale;
use crate::client::Client;
use crate::error::{Error, Result};
use crate::fetched::Fetched;
use crate::request::{Method, Request};
use crate::store::CacheKind;

/// The characters a path given to [`Client::call`] may hold: RFC 3986's
/// unreserved and sub-delimiters, `%` (already encoded), `:`, `@`, `/`.
fn is_path_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "-._~!$&'()*+,;=:@/%".contains(c)
}

/// `path` checked: relative to the API's base URL, without a query, a
/// `..` or an empty segment. A leading `/` is dropped.
fn checked_path(path: &str) -> Result<String> {
    let trimmed = path.trim();
    let relative = trimmed.strip_prefix('/').unwrap_or(trimmed);
    let problem = if relative.is_empty() {
        Some("it is empty")
    } else if relative.contains('?') {
        Some("it holds a query: pass the pairs as the query argument")
    } else if relative.contains("://") {
        Some("it is a URL: give the path below the base URL")
    } else if !relative.chars().all(is_path_char) {
        Some("it holds a character a path cannot (a space, a quote, …): percent-encode it")
    } else if relative
        .split('/')
        .any(|s| s.is_empty() || s == "." || s == "..")
    {
        Some("it holds an empty, `.` or `..` segment")
    } else {
        None
    };
    match problem {
        Some(why) => Err(Error::invalid(format!(
            "path {path:?}: {why}; expected a path below the base URL like \
             installations/123/alarms"
        ))),
        None => Ok(relative.to_owned()),
    }
}

/// The site a path is about (`installations/{idSite}/…`), if any.
fn site_of(path: &str) -> Option<u64> {
    let mut segments = path.split('/');
    match (segments.next(), segments.next()) {
        (Some("installations"), Some(id)) => id.parse().ok(),
        _ => None,
    }
}

impl Client {
    /// Any call of the API, for the operations this crate has no method
    /// for yet: `method`, a `path` below the base URL
    /// (`installations/123/alarm-log`), its `query` pairs in order, and a
    /// JSON `body` for a write. The answer is VRM's JSON as it came.
    ///
    /// It takes the same path as every typed call: the rate limiter, the
    /// retries (a `GET` after any failure, anything else only after a
    /// 429), the re-login, and no request at all offline. A `GET` is cached
    /// (as [`CacheKind::Call`]); any other method is a write: never cached,
    /// and once VRM accepts it every cached answer of the site its path
    /// names (or, for a path outside `installations/{idSite}`, every cached
    /// answer of the account) is dropped, since this crate cannot know
    /// what it changed. Stats points stay: they are history.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for a path that is not a relative path, with
    /// no request sent; transport, API and decode errors (an answer that is
    /// not JSON is a decode error).
    ///
    /// ```no_run
    /// # fn main() -> vrm::Result<()> {
    /// use vrm::Method;
    /// let vrm = vrm::Client::builder().personal_token("…").build()?;
    /// let log = vrm.call(Method::Get, "installations/123/alarm-log", &[("count", "10")], None)?;
    /// println!("{}", log.value());
    /// # Ok(()) }
    /// ```
    pub fn call(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, &str)],
        body: Option<&Value>,
    ) -> Result<Fetched<Value>> {
        let path = checked_path(path)?;
        let site = site_of(&path);
        let mut request = Request::new(method, path.clone(), path);
        for (key, value) in query {
            request = request.query(key.to_string(), *value);
        }
        if let Some(body) = body {
            request = request.json(body)?;
        }
        if method.is_read() {
            return self.call_json(request, Some((CacheKind::Call, site)));
        }
        let stale: Vec<(CacheKind, Option<u64>)> = match site {
            Some(site) => CacheKind::ALL
                .into_iter()
                .map(|kind| (kind, Some(site)))
                .chain([(CacheKind::Installations, None), (CacheKind::Call, None)])
                .collect(),
            None => CacheKind::ALL
                .into_iter()
                .map(|kind| (kind, None))
                .collect(),
        };
        let stale: Stale<'_> = &stale;
        self.write_json(request, stale)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_relative_and_plain() {
        assert_eq!(checked_path("/users/me").unwrap(), "users/me");
        assert_eq!(
            checked_path("installations/1/alarm-log").unwrap(),
            "installations/1/alarm-log"
        );
        for bad in [
            "",
            "/",
            "users/me?x=1",
            "https://evil.example/x",
            "a b",
            "a\"b",
            "../secret",
            "users//me",
            "users/./me",
            "users/\u{1b}",
        ] {
            let e = checked_path(bad).unwrap_err().to_string();
            assert!(
                e.contains("expected a path below the base URL"),
                "{bad:?}: {e}"
            );
        }
    }

    #[test]
    fn a_site_path_names_its_site() {
        assert_eq!(site_of("installations/42/alarms"), Some(42));
        assert_eq!(site_of("installations/x/alarms"), None);
        assert_eq!(site_of("users/42/installations"), None);
    }
}
