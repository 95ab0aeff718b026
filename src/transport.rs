//! The transport: the only file that touches `ureq`. One request out,
//! status and bytes back; it knows nothing of caches, retries or logins.
//!
//! Logs name the method, the path template, the status, the byte count and
//! the duration — never a header, a query string or a body.

use std::time::{Duration, Instant};

use crate::error::{Error, Result, TransportError, TransportKind};
use crate::request::{Method, Request};

/// What came back: status, `Retry-After` and the raw body.
#[derive(Debug)]
pub(crate) struct Response {
    pub(crate) status: u16,
    pub(crate) retry_after: Option<String>,
    pub(crate) body: Vec<u8>,
}

/// Settings of the HTTP agent.
#[derive(Debug, Clone)]
pub(crate) struct TransportConfig {
    pub(crate) base_url: String,
    pub(crate) connect_timeout: Duration,
    pub(crate) timeout: Duration,
    pub(crate) max_body_bytes: u64,
}

/// A configured `ureq` agent and the base URL: the one way out of the process.
#[derive(Debug, Clone)]
pub(crate) struct Transport {
    agent: ureq::Agent,
    base_url: String,
    max_body_bytes: u64,
}

impl Transport {
    pub(crate) fn new(config: &TransportConfig) -> Self {
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
        Transport {
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
            .map_err(|e| match e {
                ureq::Error::BodyExceedsLimit(_) => Error::TooLarge {
                    endpoint: request.template,
                    limit: self.max_body_bytes,
                },
                other => transport_error(request, other),
            })?;
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
