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
                    endpoint: request.template,
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
        endpoint: request.template,
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
        endpoint: request.template,
        error_code,
        errors,
    }))
}
