//! Typed ids: a site id cannot be passed where a user id is expected.
//!
//! Each id is a `u64` newtype. It prints and serializes as the plain number,
//! parses from decimal text, and deserializes from a JSON number or a numeric
//! string (VRM sends `"idAccessToken": "50"` in some answers).

use std::fmt;
use std::str::FromStr;

use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize, Serializer};

/// The error of parsing an id from text: names the kind of id and the value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseIdError {
    kind: &'static str,
    value: String,
}

impl ParseIdError {
    /// The kind of id that was expected (`"site id"`, `"user id"`, …).
    pub fn kind(&self) -> &'static str {
        self.kind
    }

    /// The text that did not parse.
    pub fn value(&self) -> &str {
        &self.value
    }
}

impl fmt::Display for ParseIdError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "invalid {} {:?}: expected a non-negative whole number",
            self.kind, self.value
        )
    }
}

impl std::error::Error for ParseIdError {}

/// Parse decimal text (surrounding whitespace allowed) as an id number.
fn parse_id(kind: &'static str, text: &str) -> Result<u64, ParseIdError> {
    let trimmed = text.trim();
    // `u64::from_str` accepts a leading '+'; ids never carry one.
    if trimmed.starts_with('+') {
        return Err(ParseIdError {
            kind,
            value: text.to_owned(),
        });
    }
    trimmed.parse::<u64>().map_err(|_| ParseIdError {
        kind,
        value: text.to_owned(),
    })
}

/// Deserializes an id number from a JSON number (integer, or float without
/// fraction) or a numeric string.
struct IdVisitor {
    kind: &'static str,
}

impl<'de> Visitor<'de> for IdVisitor {
    type Value = u64;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "a {} (a non-negative integer or numeric string)",
            self.kind
        )
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<u64, E> {
        Ok(v)
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<u64, E> {
        u64::try_from(v).map_err(|_| E::invalid_value(de::Unexpected::Signed(v), &self))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<u64, E> {
        // 2^64 as f64; every float below it with no fraction fits a u64.
        if v.is_finite() && v.fract() == 0.0 && (0.0..18_446_744_073_709_551_616.0).contains(&v) {
            Ok(v as u64)
        } else {
            Err(E::invalid_value(de::Unexpected::Float(v), &self))
        }
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<u64, E> {
        parse_id(self.kind, v).map_err(|_| E::invalid_value(de::Unexpected::Str(v), &self))
    }
}

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident, $kind:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(pub u64);

        impl $name {
            /// The id as a plain number.
            pub fn get(self) -> u64 {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(&self.0, f)
            }
        }

        impl FromStr for $name {
            type Err = ParseIdError;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                parse_id($kind, s).map($name)
            }
        }

        impl From<u64> for $name {
            fn from(id: u64) -> Self {
                $name(id)
            }
        }

        impl From<$name> for u64 {
            fn from(id: $name) -> u64 {
                id.0
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_u64(self.0)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                deserializer
                    .deserialize_any(IdVisitor { kind: $kind })
                    .map($name)
            }
        }
    };
}

id_type!(
    /// An installation (site) id: VRM's `idSite`, e.g. `151734`.
    SiteId,
    "site id"
);

id_type!(
    /// A user (account) id: VRM's `idUser`, e.g. `22` for the demo account.
    UserId,
    "user id"
);

id_type!(
    /// A personal access token's id: VRM's `idAccessToken` (never the token
    /// itself).
    AccessTokenId,
    "access token id"
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_and_parse() {
        assert_eq!(SiteId(151_734).to_string(), "151734");
        assert_eq!("151734".parse::<SiteId>().unwrap(), SiteId(151_734));
        assert_eq!(" 22 ".parse::<UserId>().unwrap(), UserId(22));
        assert_eq!(AccessTokenId::from(50), AccessTokenId(50));
        assert_eq!(u64::from(UserId(7)), 7);
        assert_eq!(SiteId(9).get(), 9);
    }

    #[test]
    fn parse_errors_name_the_value() {
        let err = "abc".parse::<SiteId>().unwrap_err();
        assert_eq!(err.kind(), "site id");
        assert_eq!(err.value(), "abc");
        let text = err.to_string();
        assert!(
            text.contains("site id") && text.contains("\"abc\""),
            "{text}"
        );
        assert!(!text.contains('\n'));
        assert!("-1".parse::<UserId>().is_err());
        assert!("+1".parse::<UserId>().is_err());
        assert!("".parse::<AccessTokenId>().is_err());
        assert!("1.5".parse::<AccessTokenId>().is_err());
        let boxed: Box<dyn std::error::Error> = Box::new(err);
        assert!(boxed.to_string().starts_with("invalid site id"));
    }

    #[test]
    fn serde_number_or_numeric_string() {
        assert_eq!(
            serde_json::from_str::<SiteId>("151734").unwrap(),
            SiteId(151_734)
        );
        assert_eq!(
            serde_json::from_str::<AccessTokenId>("\"50\"").unwrap(),
            AccessTokenId(50)
        );
        assert_eq!(serde_json::from_str::<UserId>("22.0").unwrap(), UserId(22));
        assert!(serde_json::from_str::<UserId>("22.5").is_err());
        assert!(serde_json::from_str::<UserId>("-3").is_err());
        assert!(serde_json::from_str::<UserId>("\"x\"").is_err());
        assert!(serde_json::from_str::<UserId>("null").is_err());
        assert_eq!(serde_json::to_string(&SiteId(5)).unwrap(), "5");
        assert_eq!(serde_json::to_string(&AccessTokenId(50)).unwrap(), "50");
    }

    #[test]
    fn ordered_and_hashable() {
        let mut ids = vec![SiteId(3), SiteId(1), SiteId(2)];
        ids.sort();
        assert_eq!(ids, [SiteId(1), SiteId(2), SiteId(3)]);
        let set: std::collections::HashSet<UserId> = [UserId(1), UserId(1)].into_iter().collect();
        assert_eq!(set.len(), 1);
    }
}

id_type!(
    /// An alarm's id, as `POST /installations/{idSite}/clear-alarm` names
    /// it (VRM's `alarmId`).
    AlarmId,
    "alarm id"
);

id_type!(
    /// A user group (team) id: VRM's `idUserGroup`.
    UserGroupId,
    "user group id"
);

id_type!(
    /// An installation group (site group) id: VRM's `idSiteGroup`.
    SiteGroupId,
    "site group id"
);

id_type!(
    /// A pending invitation's id: VRM's `idInvite`.
    InviteId,
    "invite id"
);
