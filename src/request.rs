//! A request as the api builds it and the transport sends it: method, path,
//! query and body, without any secret in it (the token is added by the
//! transport, in one place).

use std::borrow::Cow;
use std::fmt;
use std::str::FromStr;

use crate::error::Error;

/// The HTTP method of a request ([`Client::call`](crate::Client::call)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Method {
    /// `GET`: a read.
    Get,
    /// `POST`.
    Post,
    /// `PUT`.
    Put,
    /// `PATCH`.
    Patch,
    /// `DELETE`.
    Delete,
}

impl Method {
    /// Every method.
    pub const ALL: [Method; 5] = [
        Method::Get,
        Method::Post,
        Method::Put,
        Method::Patch,
        Method::Delete,
    ];

    /// `"GET"`, `"POST"`, …
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Patch => "PATCH",
            Method::Delete => "DELETE",
        }
    }

    /// Whether the method only reads (`GET`): such a request may be sent
    /// again after a failure, and its answer may be cached.
    pub fn is_read(self) -> bool {
        self == Method::Get
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Method {
    type Err = Error;

    /// A method name in any case: `get`, `POST`, …
    fn from_str(text: &str) -> Result<Self, Error> {
        let upper = text.trim().to_ascii_uppercase();
        Method::ALL
            .into_iter()
            .find(|m| m.as_str() == upper)
            .ok_or_else(|| {
                Error::invalid(format!(
                    "method {text:?}: expected GET, POST, PUT, PATCH or DELETE"
                ))
            })
    }
}

/// One request, described without any secret in it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Request {
    pub(crate) method: Method,
    /// The path template, for logs and errors (`installations/{idSite}/stats`;
    /// the path itself for a call the crate does not know).
    pub(crate) template: Cow<'static, str>,
    /// The path relative to the base URL (`installations/42/stats`).
    pub(crate) path: String,
    /// Query pairs in order; repeated keys are allowed (`attributeCodes[]`).
    pub(crate) query: Vec<(Cow<'static, str>, String)>,
    /// A JSON body, for writes.
    pub(crate) body: Option<Vec<u8>>,
    /// Whether the request carries the `X-Authorization` header.
    pub(crate) auth: bool,
    /// Whether the answer holds a secret (a token), so that error messages
    /// must not quote it.
    pub(crate) secret_answer: bool,
}

impl Request {
    pub(crate) fn get(template: &'static str, path: String) -> Self {
        Request::new(Method::Get, template, path)
    }

    /// A request of any method, without a body yet.
    pub(crate) fn new(
        method: Method,
        template: impl Into<Cow<'static, str>>,
        path: String,
    ) -> Self {
        Request {
            method,
            template: template.into(),
            path,
            query: Vec::new(),
            body: None,
            auth: true,
            secret_answer: false,
        }
    }

    pub(crate) fn post(template: &'static str, path: String, body: Vec<u8>) -> Self {
        Request {
            method: Method::Post,
            body: Some(body),
            ..Request::get(template, path)
        }
    }

    /// The same request with `body` (JSON bytes).
    pub(crate) fn body(mut self, body: Vec<u8>) -> Self {
        self.body = Some(body);
        self
    }

    /// The same request with `value` encoded as its JSON body.
    pub(crate) fn json(self, value: &impl serde::Serialize) -> crate::error::Result<Self> {
        let body = serde_json::to_vec(value).map_err(|e| {
            Error::invalid(format!(
                "{} {}: could not encode the body: {e}",
                self.method, self.template
            ))
        })?;
        Ok(self.body(body))
    }

    pub(crate) fn query(
        mut self,
        key: impl Into<Cow<'static, str>>,
        value: impl Into<String>,
    ) -> Self {
        self.query.push((key.into(), value.into()));
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

    /// Reads (GETs) may be sent again after a failure; writes only after
    /// a 429, which says the request was not processed.
    pub(crate) fn is_read(&self) -> bool {
        self.method.is_read()
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
    fn only_reads_are_resent_after_a_failure() {
        assert!(Request::get("t", "p".into()).is_read());
        assert!(!Request::post("t", "p".into(), b"{}".to_vec()).is_read());
        for method in [Method::Put, Method::Patch, Method::Delete] {
            assert!(!Request::new(method, "t", "p".into()).is_read());
        }
    }

    #[test]
    fn methods_parse_in_any_case_and_name_what_is_accepted() {
        for method in Method::ALL {
            assert_eq!(method.as_str().parse::<Method>().unwrap(), method);
            assert_eq!(
                method.as_str().to_lowercase().parse::<Method>().unwrap(),
                method
            );
        }
        let e = "FETCH".parse::<Method>().unwrap_err().to_string();
        assert!(
            e.contains("\"FETCH\"") && e.contains("GET, POST, PUT, PATCH or DELETE"),
            "{e}"
        );
    }
}
