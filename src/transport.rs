//! The transport: the only file that touches `ureq`. One request out,
//! status and bytes back; it knows nothing of caches, retries or logins.
//!
//! Logs name the method, the path template, the status, the byte count and
//! the duration — never a header, a query string or a body.

use std::io::Read;
use std::time::{Duration, Instant};

use crate::error::{Error, Result, TransportError, TransportKind};
use crate::request::{Method, Request};

/// Reads a 2xx body as it arrives (a decoder that needs no copy of it).
pub(crate) type Stream<'a> = &'a mut dyn FnMut(&mut dyn Read) -> Result<()>;

/// A body reader that remembers why reading failed, so that a body over
/// the limit or a broken connection is not taken for bad JSON.
struct Watched<R> {
    inner: R,
    read: u64,
    failure: Option<ureq::Error>,
}

impl<R: Read> Read for Watched<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        match self.inner.read(buf) {
            Ok(n) => {
                self.read += n as u64;
                Ok(n)
            }
            Err(e) => {
                let kind = e.kind();
                let text = e.to_string();
                self.failure = Some(match e.into_inner() {
                    Some(inner) => match inner.downcast::<ureq::Error>() {
                        Ok(ureq_error) => *ureq_error,
                        Err(other) => ureq::Error::Io(std::io::Error::new(kind, other)),
                    },
                    None => ureq::Error::Io(std::io::Error::new(kind, text.clone())),
                });
                Err(std::io::Error::new(kind, text))
            }
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
    /// A 2xx body goes to `stream` as it arrives, when one is given (the
    /// answer's `body` is then empty); any other body is read whole.
    pub(crate) fn send(
        &self,
        request: &Request,
        authorization: Option<&str>,
        stream: Option<Stream<'_>>,
    ) -> Result<Response> {
        let url = format!("{}{}", self.base_url, request.target());
        let started = Instant::now();
        let result = match request.method {
            Method::Get => with_headers(self.agent.get(&url), authorization).call(),
            Method::Delete => match &request.body {
                // VRM's DELETEs of alarms and tags name what to delete in
                // a JSON body.
                Some(body) => with_headers(self.agent.delete(&url), authorization)
                    .force_send_body()
                    .content_type("application/json")
                    .send(&body[..]),
                None => with_headers(self.agent.delete(&url), authorization).call(),
            },
            Method::Post | Method::Put | Method::Patch => {
                let builder = match request.method {
                    Method::Put => self.agent.put(&url),
                    Method::Patch => self.agent.patch(&url),
                    _ => self.agent.post(&url),
                };
                with_headers(builder, authorization)
                    .content_type("application/json")
                    .send(request.body.as_deref().unwrap_or(b"{}"))
            }
        };
        let mut response = result.map_err(|e| transport_error(request, e))?;
        let status = response.status().as_u16();
        let retry_after = response
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        if let (Some(stream), 200..=299) = (stream, status) {
            let mut reader = Watched {
                inner: response
                    .body_mut()
                    .with_config()
                    .limit(self.max_body_bytes)
                    .reader(),
                read: 0,
                failure: None,
            };
            let outcome = stream(&mut reader);
            log::debug!(
                "{} {} -> {} ({} bytes, {} ms)",
                request.method.as_str(),
                request.template,
                status,
                reader.read,
                started.elapsed().as_millis()
            );
            // What the body's reading failed on comes first: the decoder
            // only saw an I/O error.
            match reader.failure.take() {
                Some(ureq::Error::BodyExceedsLimit(_)) => {
                    return Err(Error::TooLarge {
                        endpoint: request.template.clone(),
                        limit: self.max_body_bytes,
                    });
                }
                Some(other) => return Err(transport_error(request, other)),
                None => outcome?,
            }
            return Ok(Response {
                status,
                retry_after,
                body: Vec::new(),
            });
        }
        let body = response
            .body_mut()
            .with_config()
            .limit(self.max_body_bytes)
            .read_to_vec()
            .map_err(|e| match e {
                ureq::Error::BodyExceedsLimit(_) => Error::TooLarge {
                    endpoint: request.template.clone(),
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

/// `Accept: application/json` and, when given, `X-Authorization`.
fn with_headers<B>(
    builder: ureq::RequestBuilder<B>,
    authorization: Option<&str>,
) -> ureq::RequestBuilder<B> {
    let builder = builder.header("Accept", "application/json");
    match authorization {
        Some(value) => builder.header("X-Authorization", value),
        None => builder,
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
