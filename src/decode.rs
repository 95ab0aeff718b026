//! Reading answers: a 2xx body into its type, a non-2xx one into the
//! API's error, keeping VRM's `error_code` and `errors`.

use serde::de::DeserializeOwned;

use crate::error::{ApiError, DecodeError, Error, Result, snippet};
use crate::models::ApiErrorBody;
use crate::request::Request;

/// Decode a 2xx body as `T`; a `success: false` body becomes an API error,
/// anything else unreadable a decode error quoting the body's start.
pub(crate) fn decode<T: DeserializeOwned>(request: &Request, body: &[u8]) -> Result<T> {
    match serde_json::from_slice::<T>(body) {
        Ok(value) => Ok(value),
        Err(source) => {
            if let Ok(err) = serde_json::from_slice::<ApiErrorBody>(body)
                && err.success == Some(false)
            {
                return Err(Error::Api(Box::new(ApiError {
                    status: 200,
                    endpoint: request.template.clone(),
                    error_code: err.error_code,
                    errors: err.errors,
                })));
            }
            Err(decode_error(request, body, Some(source)))
        }
    }
}

/// The decode error of `request` for `body`.
pub(crate) fn decode_error(
    request: &Request,
    body: &[u8],
    source: Option<serde_json::Error>,
) -> Error {
    Error::Decode(Box::new(DecodeError {
        endpoint: request.template.clone(),
        status: 200,
        snippet: if request.secret_answer {
            "<redacted>".to_owned()
        } else {
            snippet(body)
        },
        source,
    }))
}

/// The error for a non-2xx answer, keeping VRM's `error_code` and `errors`.
pub(crate) fn api_error(request: &Request, status: u16, body: &[u8]) -> Error {
    let (error_code, errors) = match serde_json::from_slice::<ApiErrorBody>(body) {
        Ok(body) => (body.error_code, body.errors),
        Err(_) if request.secret_answer => (None, Vec::new()),
        Err(_) => (None, vec![format!("body starts: {}", snippet(body))]),
    };
    Error::Api(Box::new(ApiError {
        status,
        endpoint: request.template.clone(),
        error_code,
        errors,
    }))
}

/// How much of a streamed body is kept to explain a decode error.
const KEPT: usize = 4096;

/// Decode a 2xx body as `T` while it arrives from `reader`, holding no
/// copy of it; like [`decode`] for an answer that is not `T` (the first
/// bytes are kept to quote, and to read a `success: false` body).
pub(crate) fn decode_stream<T: DeserializeOwned>(
    request: &Request,
    reader: &mut dyn std::io::Read,
) -> Result<T> {
    let mut tee = Tee {
        inner: reader,
        head: Vec::new(),
    };
    let result = {
        let buffered = std::io::BufReader::with_capacity(64 * 1024, &mut tee);
        let mut de = serde_json::Deserializer::from_reader(buffered);
        T::deserialize(&mut de).and_then(|value| de.end().map(|()| value))
    };
    match result {
        Ok(value) => Ok(value),
        Err(source) => {
            if let Ok(err) = serde_json::from_slice::<ApiErrorBody>(&tee.head)
                && err.success == Some(false)
            {
                return Err(Error::Api(Box::new(ApiError {
                    status: 200,
                    endpoint: request.template.clone(),
                    error_code: err.error_code,
                    errors: err.errors,
                })));
            }
            Err(decode_error(request, &tee.head, Some(source)))
        }
    }
}

/// Passes bytes through, keeping the first [`KEPT`].
struct Tee<'a> {
    inner: &'a mut dyn std::io::Read,
    head: Vec<u8>,
}

impl std::io::Read for Tee<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        if self.head.len() < KEPT {
            let room = KEPT - self.head.len();
            self.head.extend_from_slice(&buf[..n.min(room)]);
        }
        Ok(n)
    }
}
