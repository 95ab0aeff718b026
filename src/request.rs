//! A request as the api builds it and the transport sends it: method, path,
//! query and body, without any secret in it (the token is added by the
//! transport, in one place).

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
        Request {
            method: Method::Get,
            template,
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

    /// Reads (GETs) may be sent again after a failure; writes only after
    /// a 429, which says the request was not processed.
    pub(crate) fn is_read(&self) -> bool {
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
    }
}
