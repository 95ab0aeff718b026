//! The only file that touches `ureq`: one request out, status and bytes back.
//!
//! Logs name the method, the path template, the status, the byte count and
//! the duration — never a header, a query string or a body.

use std::time::{Duration, Instant};

use crate::error::{Error, Result, TransportError, TransportKind};

/// HTTP method of a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Method {
    Get,
    Post,
}

impl Method {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
        }
    }
}

/// One request, described without any secret in it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Request {
    pub(crate) method: Method,
    /// The path template, for logs and errors (`installations/{idSite}/stats`).
    pub(crate) template: &'static str,
    /// The path relative to the base URL (`installations/42/stats`).
    pub(crate) path: String,
    /// Query pairs in order; repeated keys are allowed (`attributeCodes[]`).
    pub(crate) query: Vec<(&'static str, String)>,
    /// A JSON body, for POSTs.
    pub(crate) body: Option<Vec<u8>>,
    /// Whether the request carries the `X-Authorization` header.
    pub(crate) auth: bool,
    /// Whether the answer holds a secret (a token), so that error messages
    /// must not quote it.
    pub(crate) secret_answer: bool,
    /// How the answer may be cached: its kind and site. `None`: never
    /// (logins, logouts, token calls, POSTs).
    pub(crate) cache: Option<(crate::cache::CacheKind, Option<u64>)>,
}

impl Request {
    pub(crate) fn get(template: &'static str, path: String) -> Self {
        Request {
            method: Method::Get,
            template,
            path,
            query: Vec::new(),
            body: None,
            auth: true,
            secret_answer: false,
            cache: None,
        }
    }

    pub(crate) fn post(template: &'static str, path: String, body: Vec<u8>) -> Self {
        Request {
            method: Method::Post,
            body: Some(body),
            ..Request::get(template, path)
        }
    }

    pub(crate) fn query(mut self, key: &'static str, value: impl Into<String>) -> Self {
        self.query.push((key, value.into()));
        self
    }

    pub(crate) fn without_auth(mut self) -> Self {
        self.auth = false;
        self
    }

    pub(crate) fn with_secret_answer(mut self) -> Self {
        self.secret_answer = true;
        self
    }

    /// Let the cache keep the answer, as `kind` of `site`.
    pub(crate) fn cached(mut self, kind: crate::cache::CacheKind, site: Option<u64>) -> Self {
        self.cache = Some((kind, site));
        self
    }

    /// GETs may be sent again after a failure; POSTs never are.
    pub(crate) fn is_idempotent(&self) -> bool {
        self.method == Method::Get
    }

    /// The path and encoded query, relative to the base URL.
    pub(crate) fn target(&self) -> String {
        let mut target = self.path.clone();
        for (i, (key, value)) in self.query.iter().enumerate() {
            target.push(if i == 0 { '?' } else { '&' });
            encode_into(&mut target, key);
            target.push('=');
            encode_into(&mut target, value);
        }
        target
    }
}

/// Percent-encode everything but RFC 3986's unreserved characters.
fn encode_into(out: &mut String, text: &str) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push('%');
            out.push(char::from(HEX[usize::from(byte >> 4)]));
            out.push(char::from(HEX[usize::from(byte & 0x0f)]));
        }
    }
}

/// What came back: status, `Retry-After` and the raw body.
#[derive(Debug)]
pub(crate) struct Response {
    pub(crate) status: u16,
    pub(crate) retry_after: Option<String>,
    pub(crate) body: Vec<u8>,
}

/// Settings of the HTTP agent.
#[derive(Debug, Clone)]
pub(crate) struct HttpConfig {
    pub(crate) base_url: String,
    pub(crate) connect_timeout: Duration,
    pub(crate) timeout: Duration,
    pub(crate) max_body_bytes: u64,
}

/// A configured `ureq` agent and the base URL.
#[derive(Debug, Clone)]
pub(crate) struct Http {
    agent: ureq::Agent,
    base_url: String,
    max_body_bytes: u64,
}

impl Http {
    pub(crate) fn new(config: &HttpConfig) -> Self {
        let agent = ureq::Agent::config_builder()
            // VRM's JSON error bodies must reach ApiError, so statuses are ours to map.
            .http_status_as_error(false)
            // Never follow a redirect: it could carry X-Authorization to another host.
            .max_redirects(0)
            .timeout_connect(Some(config.connect_timeout))
            .timeout_global(Some(config.timeout))
            .user_agent(concat!("vrm-rs/", env!("CARGO_PKG_VERSION")))
            .build()
            .new_agent();
        Http {
            agent,
            base_url: config.base_url.clone(),
            max_body_bytes: config.max_body_bytes,
        }
    }

    /// Send one request. `authorization` is the `X-Authorization` value.
    pub(crate) fn send(&self, request: &Request, authorization: Option<&str>) -> Result<Response> {
        let url = format!("{}{}", self.base_url, request.target());
        let started = Instant::now();
        let result = match request.method {
            Method::Get => {
                let mut builder = self.agent.get(&url).header("Accept", "application/json");
                if let Some(value) = authorization {
                    builder = builder.header("X-Authorization", value);
                }
                builder.call()
            }
            Method::Post => {
                let mut builder = self
                    .agent
                    .post(&url)
                    .header("Accept", "application/json")
                    .content_type("application/json");
                if let Some(value) = authorization {
                    builder = builder.header("X-Authorization", value);
                }
                builder.send(request.body.as_deref().unwrap_or(b"{}"))
            }
        };
        let mut response = result.map_err(|e| transport_error(request, e))?;
        let status = response.status().as_u16();
        let retry_after = response
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let body = response
            .body_mut()
            .with_config()
            .limit(self.max_body_bytes)
            .read_to_vec()
            .map_err(|e| transport_error(request, e))?;
        log::debug!(
            "{} {} -> {} ({} bytes, {} ms)",
            request.method.as_str(),
            request.template,
            status,
            body.len(),
            started.elapsed().as_millis()
        );
        Ok(Response {
            status,
            retry_after,
            body,
        })
    }
}

fn transport_error(request: &Request, error: ureq::Error) -> Error {
    let kind = match &error {
        ureq::Error::Timeout(_) => TransportKind::Timeout,
        ureq::Error::HostNotFound => TransportKind::Dns,
        ureq::Error::Io(e) if e.kind() == std::io::ErrorKind::TimedOut => TransportKind::Timeout,
        ureq::Error::Io(_) | ureq::Error::ConnectionFailed => TransportKind::Connect,
        ureq::Error::Tls(_) => TransportKind::Tls,
        #[cfg(feature = "rustls")]
        ureq::Error::Rustls(_) => TransportKind::Tls,
        ureq::Error::BodyExceedsLimit(_) => TransportKind::TooLarge,
        _ => TransportKind::Other,
    };
    log::debug!(
        "{} {} -> transport error ({kind:?})",
        request.method.as_str(),
        request.template
    );
    let message = format!("{} {}: {error}", request.method.as_str(), request.template);
    Error::Transport(TransportError::new(kind, message, Some(Box::new(error))))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_arrays_repeat_and_encode() {
        let r = Request::get(
            "installations/{idSite}/stats",
            "installations/7/stats".into(),
        )
        .query("type", "custom")
        .query("attributeCodes[]", "Gb")
        .query("attributeCodes[]", "a b&c");
        assert_eq!(
            r.target(),
            "installations/7/stats?type=custom&attributeCodes%5B%5D=Gb&attributeCodes%5B%5D=a%20b%26c"
        );
    }

    #[test]
    fn only_gets_are_idempotent() {
        assert!(Request::get("t", "p".into()).is_idempotent());
        assert!(!Request::post("t", "p".into(), b"{}".to_vec()).is_idempotent());
    }
}
