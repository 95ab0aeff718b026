//! `GET /users/{idUser}/installations[?extended=1]` and
//! `GET /installations/{idSite}/tags`.

use std::collections::BTreeMap;
use std::fmt;

use serde::de::value::MapAccessDeserializer;
use serde::de::{Deserializer, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use time::OffsetDateTime;

use super::de;
use crate::ids::{SiteId, UserId};

/// The answer of `GET /users/{idUser}/installations`.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[non_exhaustive]
pub struct InstallationsResponse {
    /// The installations (sites); `false` or `null` from VRM → empty.
    #[serde(deserialize_with = "de::list_or_empty")]
    pub records: Vec<Installation>,
}

/// One installation (site). Fields below `device_icon` come only with
/// `extended=1` (and some only for some accounts); everything else VRM sends
/// is in `extra`.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[non_exhaustive]
pub struct Installation {
    /// The site id.
    #[serde(rename = "idSite")]
    pub id_site: SiteId,
    /// The site's name.
    #[serde(default, deserialize_with = "de::opt_string")]
    pub name: Option<String>,
    /// The GX device's VRM portal id (e.g. `"d41243cd7c66"`).
    #[serde(default, deserialize_with = "de::opt_string")]
    pub identifier: Option<String>,
    /// The owner's user id.
    #[serde(rename = "idUser", default, deserialize_with = "de::opt_id")]
    pub id_user: Option<UserId>,
    /// Installed PV peak power, in watts.
    #[serde(rename = "pvMax", default, deserialize_with = "de::opt_f64")]
    pub pv_max: Option<f64>,
    /// The site's IANA time zone (`"Europe/Amsterdam"`).
    #[serde(default, deserialize_with = "de::opt_string")]
    pub timezone: Option<String>,
    /// The requesting user's access level to this site.
    #[serde(rename = "accessLevel", default, deserialize_with = "de::opt_u64")]
    pub access_level: Option<u64>,
    /// True when the requesting user owns the site.
    #[serde(default, deserialize_with = "de::opt_bool")]
    pub owner: Option<bool>,
    /// True when the requesting user is an admin of the site.
    #[serde(default, deserialize_with = "de::opt_bool")]
    pub is_admin: Option<bool>,
    /// The geofence as a JSON text (`false`/`null` → `None`).
    #[serde(default, deserialize_with = "de::opt_string")]
    pub geofence: Option<String>,
    /// True when the geofence is enabled.
    #[serde(rename = "geofenceEnabled", default, deserialize_with = "de::opt_bool")]
    pub geofence_enabled: Option<bool>,
    /// True when the site has a mains connection (`hasMains`: 1/0).
    #[serde(rename = "hasMains", default, deserialize_with = "de::opt_bool")]
    pub has_mains: Option<bool>,
    /// True when the site has a generator (`hasGenerator`: 1/0).
    #[serde(rename = "hasGenerator", default, deserialize_with = "de::opt_bool")]
    pub has_generator: Option<bool>,
    /// When the site was created on VRM, unix seconds.
    #[serde(default, deserialize_with = "de::opt_i64")]
    pub syscreated: Option<i64>,
    /// The icon VRM shows (`"solar"`, `"boat"`, …).
    #[serde(default, deserialize_with = "de::opt_string")]
    pub device_icon: Option<String>,
    /// True when an alarm is active.
    #[serde(default, deserialize_with = "de::opt_bool")]
    pub alarm: Option<bool>,
    /// Time of the newest data, unix seconds.
    #[serde(default, deserialize_with = "de::opt_i64")]
    pub last_timestamp: Option<i64>,
    /// The site's local time of day, `"hh:mm"`.
    #[serde(default, deserialize_with = "de::opt_string")]
    pub current_time: Option<String>,
    /// How far the site's time zone is ahead of UTC, in seconds.
    #[serde(default, deserialize_with = "de::opt_i64")]
    pub timezone_offset: Option<i64>,
    /// Number of active alarms.
    #[serde(default, deserialize_with = "de::opt_u64")]
    pub num_alarms: Option<u64>,
    /// Time of the newest GPS position, unix seconds (`false` → `None`).
    #[serde(default, deserialize_with = "de::opt_i64")]
    pub last_location_timestamp: Option<i64>,
    /// The site's tags.
    #[serde(default, deserialize_with = "tags_list")]
    pub tags: Vec<Tag>,
    /// Latest values of key attributes (`extended=1`).
    #[serde(default, deserialize_with = "de::list_or_empty")]
    pub extended: Vec<ExtendedAttribute>,
    /// Fields this crate does not know, kept as sent (`view_permissions`,
    /// `currency`, `images`, `mqtt_host`, …).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Installation {
    /// Time of the newest data.
    pub fn last_time(&self) -> Option<OffsetDateTime> {
        self.last_timestamp.and_then(de::unix_s)
    }

    /// The extended attribute with this code (`"bs"`, `"lt"`, …); codes are
    /// case-sensitive (`"S"` is not `"s"`).
    pub fn extended_attribute(&self, code: &str) -> Option<&ExtendedAttribute> {
        self.extended.iter().find(|a| a.code == code)
    }

    /// True when the site has a tag with this name.
    pub fn has_tag(&self, name: &str) -> bool {
        self.tags.iter().any(|t| t.name == name)
    }
}

/// A tag of an installation.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[non_exhaustive]
pub struct Tag {
    /// The tag id (absent where VRM lists tags by name only).
    #[serde(rename = "idTag", default, deserialize_with = "de::opt_u64")]
    pub id_tag: Option<u64>,
    /// The tag's text.
    #[serde(default, deserialize_with = "de::string_or_empty")]
    pub name: String,
    /// True for a tag VRM set itself (e.g. `"No alarm"`).
    #[serde(default, deserialize_with = "de::opt_bool")]
    pub automatic: Option<bool>,
    /// Who made it: `"predefined"`, `"user"`, `"team"` or `"group"`.
    #[serde(default, deserialize_with = "de::opt_string")]
    pub source: Option<String>,
    /// Fields this crate does not know, kept as sent.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Tag {
    fn named(name: String, source: Option<String>) -> Tag {
        Tag {
            id_tag: None,
            name,
            automatic: None,
            source,
            extra: Map::new(),
        }
    }
}

/// The answer of `GET /installations/{idSite}/tags`.
///
/// VRM groups the tags by source (`{"user": ["baz"], "predefined": […]}`);
/// that arrives here as one list with [`Tag::source`] set. A plain list of
/// tag objects or names is accepted too.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[non_exhaustive]
pub struct TagsResponse {
    /// Every tag of the installation.
    #[serde(deserialize_with = "tags_list")]
    pub tags: Vec<Tag>,
}

impl Tag {
    /// The names of `tags` from one source (`"user"`, `"team"`, `"group"`,
    /// `"predefined"`).
    pub fn names_from<'a>(tags: &'a [Tag], source: &str) -> Vec<&'a str> {
        tags.iter()
            .filter(|t| t.source.as_deref() == Some(source))
            .map(|t| t.name.as_str())
            .collect()
    }

    /// The names of `tags` grouped by source, as VRM sends them.
    pub fn by_source(tags: &[Tag]) -> BTreeMap<&str, Vec<&str>> {
        let mut out: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
        for tag in tags {
            out.entry(tag.source.as_deref().unwrap_or(""))
                .or_default()
                .push(tag.name.as_str());
        }
        out
    }
}

/// One tag as it may appear in a list: a name or a tag object.
struct TagItem(Option<Tag>);

impl<'de> Deserialize<'de> for TagItem {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = TagItem;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a tag name or tag object")
            }
            fn visit_str<E>(self, v: &str) -> Result<TagItem, E> {
                Ok(TagItem(Some(Tag::named(v.to_owned(), None))))
            }
            fn visit_u64<E>(self, v: u64) -> Result<TagItem, E> {
                Ok(TagItem(Some(Tag::named(v.to_string(), None))))
            }
            fn visit_i64<E>(self, v: i64) -> Result<TagItem, E> {
                Ok(TagItem(Some(Tag::named(v.to_string(), None))))
            }
            fn visit_f64<E>(self, v: f64) -> Result<TagItem, E> {
                Ok(TagItem(Some(Tag::named(v.to_string(), None))))
            }
            fn visit_bool<E>(self, _: bool) -> Result<TagItem, E> {
                Ok(TagItem(None))
            }
            fn visit_unit<E>(self) -> Result<TagItem, E> {
                Ok(TagItem(None))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<TagItem, A::Error> {
                Tag::deserialize(MapAccessDeserializer::new(map)).map(|t| TagItem(Some(t)))
            }
        }
        d.deserialize_any(V)
    }
}

/// A tag list: a list of tags/names, or an object of source → list (a
/// source's list may also be a single name), or `false`/`null`.
fn tags_list<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Tag>, D::Error> {
    struct V;
    impl<'de> Visitor<'de> for V {
        type Value = Vec<Tag>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a list of tags or an object of tag lists by source")
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<Tag>, A::Error> {
            let mut out = Vec::new();
            while let Some(item) = seq.next_element::<TagItem>()? {
                out.extend(item.0);
            }
            Ok(out)
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Vec<Tag>, A::Error> {
            let mut out = Vec::new();
            while let Some(source) = map.next_key::<de::MapKey>()? {
                let group = map.next_value::<TagGroup>()?;
                for mut tag in group.0 {
                    if tag.source.is_none() {
                        tag.source = Some(source.0.clone());
                    }
                    out.push(tag);
                }
            }
            Ok(out)
        }
        fn visit_bool<E>(self, _: bool) -> Result<Vec<Tag>, E> {
            Ok(Vec::new())
        }
        fn visit_unit<E>(self) -> Result<Vec<Tag>, E> {
            Ok(Vec::new())
        }
        fn visit_none<E>(self) -> Result<Vec<Tag>, E> {
            Ok(Vec::new())
        }
        fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Vec<Tag>, D::Error> {
            d.deserialize_any(self)
        }
    }
    d.deserialize_any(V)
}

/// The tags of one source: a list, a single name or tag, or nothing.
struct TagGroup(Vec<Tag>);

impl<'de> Deserialize<'de> for TagGroup {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = TagGroup;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a list of tags")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<TagGroup, A::Error> {
                let mut out = Vec::new();
                while let Some(item) = seq.next_element::<TagItem>()? {
                    out.extend(item.0);
                }
                Ok(TagGroup(out))
            }
            fn visit_str<E>(self, v: &str) -> Result<TagGroup, E> {
                Ok(TagGroup(vec![Tag::named(v.to_owned(), None)]))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<TagGroup, A::Error> {
                Tag::deserialize(MapAccessDeserializer::new(map)).map(|t| TagGroup(vec![t]))
            }
            fn visit_bool<E>(self, _: bool) -> Result<TagGroup, E> {
                Ok(TagGroup(Vec::new()))
            }
            fn visit_unit<E>(self) -> Result<TagGroup, E> {
                Ok(TagGroup(Vec::new()))
            }
        }
        d.deserialize_any(V)
    }
}

/// The latest value of one attribute in an extended installation record:
/// a logged data attribute, or a site summary (`"consumption"`,
/// `"solar_yield"`, …) with `id_data_attribute: None`.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[non_exhaustive]
pub struct ExtendedAttribute {
    /// The data attribute id (`None` for summaries).
    #[serde(rename = "idDataAttribute", default, deserialize_with = "de::opt_u64")]
    pub id_data_attribute: Option<u64>,
    /// The attribute code (`"bs"`, `"lt"`, `"consumption"`, …).
    #[serde(default, deserialize_with = "de::string_or_empty")]
    pub code: String,
    /// Human description (`"Latitude"`).
    #[serde(default, deserialize_with = "de::opt_string")]
    pub description: Option<String>,
    /// printf-style format with unit (`"%.5F LAT"`); the unit is its tail.
    #[serde(
        rename = "formatWithUnit",
        default,
        deserialize_with = "de::opt_string"
    )]
    pub format_with_unit: Option<String>,
    /// `"float"`, `"enum"` or `"string"`.
    #[serde(rename = "dataType", default, deserialize_with = "de::opt_string")]
    pub data_type: Option<String>,
    /// The device type id.
    #[serde(rename = "idDeviceType", default, deserialize_with = "de::opt_u64")]
    pub id_device_type: Option<u64>,
    /// For enums: the text of the current value.
    #[serde(rename = "textValue", default, deserialize_with = "de::opt_string")]
    pub text_value: Option<String>,
    /// The device instance the value comes from.
    #[serde(default, deserialize_with = "de::opt_u32")]
    pub instance: Option<u32>,
    /// When the value was logged, unix seconds.
    #[serde(default, deserialize_with = "de::opt_i64")]
    pub timestamp: Option<i64>,
    /// D-Bus service type (`"battery"`, `"system"`, …).
    #[serde(
        rename = "dbusServiceType",
        default,
        deserialize_with = "de::opt_string"
    )]
    pub dbus_service_type: Option<String>,
    /// D-Bus path (`"/Dc/Battery/Voltage"`).
    #[serde(rename = "dbusPath", default, deserialize_with = "de::opt_string")]
    pub dbus_path: Option<String>,
    /// The raw value: a number, a numeric string (`"52.7237"`) or text
    /// (`"v3.72"`). See [`raw_f64`](Self::raw_f64).
    #[serde(rename = "rawValue", default)]
    pub raw_value: Option<Value>,
    /// The value formatted with its unit (`"52.72370 LAT"`).
    #[serde(
        rename = "formattedValue",
        default,
        deserialize_with = "de::opt_string"
    )]
    pub formatted_value: Option<String>,
    /// The value per device instance, keyed by instance (a list in the wild
    /// is keyed by position: `"0"`, `"1"`, …).
    #[serde(default, deserialize_with = "de::map_or_empty")]
    pub instances: BTreeMap<String, InstanceValue>,
    /// For enums: the possible values.
    #[serde(
        rename = "dataAttributeEnumValues",
        default,
        deserialize_with = "de::list_or_empty"
    )]
    pub data_attribute_enum_values: Vec<EnumValue>,
    /// For summaries: the attribute codes they add up.
    #[serde(
        rename = "consistsOfAttributeCodes",
        default,
        deserialize_with = "de::strings_or_empty"
    )]
    pub consists_of_attribute_codes: Vec<String>,
    /// Fields this crate does not know (`dataAttributes`, …), kept as sent.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl ExtendedAttribute {
    /// The raw value as a number, when it is one or a numeric string.
    pub fn raw_f64(&self) -> Option<f64> {
        self.raw_value.as_ref().and_then(de::value_f64)
    }

    /// When the value was logged.
    pub fn time(&self) -> Option<OffsetDateTime> {
        self.timestamp.and_then(de::unix_s)
    }

    /// The name of an enum value, from `data_attribute_enum_values`.
    pub fn enum_name(&self, value: i64) -> Option<&str> {
        enum_name(&self.data_attribute_enum_values, value)
    }
}

/// The value of an attribute for one device instance.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[non_exhaustive]
pub struct InstanceValue {
    /// The raw value (number or text).
    #[serde(rename = "rawValue", default)]
    pub raw_value: Option<Value>,
    /// The value formatted with its unit.
    #[serde(
        rename = "formattedValue",
        default,
        deserialize_with = "de::opt_string"
    )]
    pub formatted_value: Option<String>,
    /// For enums: the text of the value.
    #[serde(rename = "textValue", default, deserialize_with = "de::opt_string")]
    pub text_value: Option<String>,
    /// When the value was logged, unix seconds.
    #[serde(default, deserialize_with = "de::opt_i64")]
    pub timestamp: Option<i64>,
    /// Fields this crate does not know, kept as sent.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl InstanceValue {
    /// The raw value as a number, when it is one or a numeric string.
    pub fn raw_f64(&self) -> Option<f64> {
        self.raw_value.as_ref().and_then(de::value_f64)
    }
}

/// One possible value of an enum attribute.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[non_exhaustive]
pub struct EnumValue {
    /// The value's name (`"Inverting"`).
    #[serde(rename = "nameEnum", default, deserialize_with = "de::string_or_empty")]
    pub name_enum: String,
    /// The numeric value (`9`).
    #[serde(rename = "valueEnum", default, deserialize_with = "de::opt_i64")]
    pub value_enum: Option<i64>,
}

/// The name of `value` among `values`.
pub(crate) fn enum_name(values: &[EnumValue], value: i64) -> Option<&str> {
    values
        .iter()
        .find(|e| e.value_enum == Some(value))
        .map(|e| e.name_enum.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn live() -> InstallationsResponse {
        serde_json::from_str(include_str!("../../tests/fixtures/installations.json")).unwrap()
    }

    #[test]
    fn live_installations_extended() {
        let r = live();
        assert_eq!(r.records.len(), 7);
        let yacht = &r.records[0];
        assert_eq!(yacht.id_site, SiteId(151_734));
        assert_eq!(yacht.name.as_deref(), Some("35ft Yacht"));
        assert_eq!(yacht.identifier.as_deref(), Some("d41243cd7c66"));
        assert_eq!(yacht.id_user, Some(UserId(22)));
        assert_eq!(yacht.pv_max, Some(0.0));
        assert_eq!(yacht.timezone.as_deref(), Some("Africa/Casablanca"));
        assert_eq!(yacht.owner, Some(true));
        assert_eq!(yacht.is_admin, Some(false));
        assert_eq!(yacht.geofence, None);
        assert_eq!(yacht.has_mains, Some(true));
        assert_eq!(yacht.has_generator, Some(false));
        assert_eq!(yacht.syscreated, Some(1_643_115_186));
        assert_eq!(yacht.device_icon.as_deref(), Some("solar"));
        assert_eq!(yacht.alarm, Some(false));
        assert_eq!(yacht.last_timestamp, Some(1_776_515_873));
        assert_eq!(
            yacht.last_time().map(|t| t.unix_timestamp()),
            Some(1_776_515_873)
        );
        assert_eq!(yacht.timezone_offset, Some(3600));
        assert_eq!(yacht.current_time.as_deref(), Some("13:38"));
        assert_eq!(yacht.last_location_timestamp, None); // `false` in the sample
        assert!(yacht.has_tag("demo"));
        let tag = &yacht.tags[0];
        assert_eq!(tag.id_tag, Some(41));
        assert_eq!(tag.name, "No alarm");
        assert_eq!(tag.automatic, Some(true));
        assert_eq!(tag.source.as_deref(), Some("predefined"));
        // Unknown fields are kept.
        assert_eq!(yacht.extra.get("realtimeUpdates"), Some(&Value::Bool(true)));
        assert_eq!(yacht.extra.get("images"), Some(&Value::Bool(false)));
        assert!(
            yacht
                .extra
                .get("view_permissions")
                .is_some_and(Value::is_object)
        );
        assert_eq!(
            yacht.extra.get("currency").and_then(|c| c.get("code")),
            Some(&Value::from("EUR"))
        );
        assert!(!yacht.extra.contains_key("idSite"));
        assert!(!yacht.extra.contains_key("extended"));

        let lat = yacht.extended_attribute("lt").unwrap();
        assert_eq!(lat.id_data_attribute, Some(4));
        assert_eq!(lat.raw_f64(), Some(44.7155));
        assert_eq!(lat.formatted_value.as_deref(), Some("44.71550 LAT"));
        assert_eq!(lat.dbus_path.as_deref(), Some("/Position/Latitude"));
        assert_eq!(lat.timestamp, None);

        let fw = yacht.extended_attribute("v").unwrap();
        assert_eq!(fw.raw_value, Some(Value::from("v3.72")));
        assert_eq!(fw.raw_f64(), None);

        let state = yacht.extended_attribute("S").unwrap();
        assert_eq!(state.instance, Some(257));
        assert_eq!(state.text_value.as_deref(), Some("Inverting"));
        assert_eq!(state.enum_name(9), Some("Inverting"));
        assert_eq!(state.data_attribute_enum_values.len(), 20);
        let per = &state.instances["257"];
        assert_eq!(per.raw_f64(), Some(9.0));
        assert_eq!(per.text_value.as_deref(), Some("Inverting"));
        assert_eq!(per.timestamp, Some(1_776_515_873));

        let consumption = yacht.extended_attribute("consumption").unwrap();
        assert_eq!(consumption.id_data_attribute, None);
        assert_eq!(
            consumption.consists_of_attribute_codes,
            ["a1", "a2", "a3", "dc"]
        );
        assert!(
            consumption
                .extra
                .get("dataAttributes")
                .is_some_and(Value::is_array)
        );
    }

    #[test]
    fn live_quirks_across_sites() {
        let r = live();
        // Tank levels arrive as numeric strings.
        let tank = r
            .records
            .iter()
            .flat_map(|s| &s.extended)
            .find(|a| a.code == "tr" && a.raw_value.as_ref().is_some_and(Value::is_string))
            .unwrap();
        assert!(tank.raw_f64().is_some());
        assert!(tank.instances.values().all(|i| i.raw_f64().is_some()));
        // `instances` as a list becomes position-keyed.
        let listed = r
            .records
            .iter()
            .flat_map(|s| &s.extended)
            .find(|a| a.code == "gaNG")
            .unwrap();
        assert_eq!(
            listed.instances["0"].text_value.as_deref(),
            Some("No alarm")
        );
        // A geofence given as JSON text.
        let fenced = r.records.iter().find(|s| s.geofence.is_some()).unwrap();
        assert!(fenced.geofence.as_deref().unwrap().contains("polygon"));
        assert!(
            r.records
                .iter()
                .any(|s| s.last_location_timestamp.is_some())
        );
    }

    #[test]
    fn live_round_trip() {
        let r = live();
        let json = serde_json::to_string(&r).unwrap();
        let back: InstallationsResponse = serde_json::from_str(&json).unwrap();
        assert_eq!(back, r);
    }

    #[test]
    fn doc_installations() {
        let r: InstallationsResponse = serde_json::from_str(include_str!(
            "../../tests/fixtures/installations_basic.json"
        ))
        .unwrap();
        let site = &r.records[0];
        assert_eq!(site.id_site, SiteId(100));
        assert_eq!(site.pv_max, Some(12258.0));
        assert_eq!(site.geofence, None); // `false` in the doc
        assert_eq!(site.extra.get("reports_enabled"), Some(&Value::Bool(false)));
        assert!(site.extended.is_empty());
        assert!(site.tags.is_empty());

        let r: InstallationsResponse = serde_json::from_str(include_str!(
            "../../tests/fixtures/installations_extended.json"
        ))
        .unwrap();
        let site = &r.records[0];
        assert_eq!(site.last_timestamp, Some(1_472_217_903));
        assert_eq!(site.timezone_offset, Some(7200));
        assert_eq!(site.tags[0].name, "ok");
        assert_eq!(site.tags[0].id_tag, Some(41));
        assert_eq!(
            site.extended_attribute("lt").unwrap().raw_f64(),
            Some(52.7237)
        );
        assert_eq!(site.extended_attribute("bs").unwrap().raw_f64(), Some(76.0));
        let bst = site.extended_attribute("bst").unwrap();
        assert_eq!(bst.raw_value, None);
        assert_eq!(bst.text_value.as_deref(), Some("charging"));
        assert_eq!(
            site.extended_attribute("from_to_grid").unwrap().raw_f64(),
            Some(49.0818)
        );
        assert_eq!(site.current_time.as_deref(), Some("11:25"));
    }

    #[test]
    fn quirks() {
        let json = r#"{"success":true,"records":[{"idSite":"42","idUser":false,"pvMax":"1500",
            "tags":false,"extended":false,"hasMains":"1","alarm":null,"last_timestamp":"1472217903",
            "brandNew":{"x":1}}]}"#;
        let r: InstallationsResponse = serde_json::from_str(json).unwrap();
        let s = &r.records[0];
        assert_eq!(s.id_site, SiteId(42));
        assert_eq!(s.id_user, None);
        assert_eq!(s.pv_max, Some(1500.0));
        assert!(s.tags.is_empty() && s.extended.is_empty());
        assert_eq!(s.has_mains, Some(true));
        assert_eq!(s.alarm, None);
        assert_eq!(s.last_timestamp, Some(1_472_217_903));
        assert_eq!(s.extra["brandNew"]["x"], Value::from(1));

        let r: InstallationsResponse =
            serde_json::from_str(r#"{"success":true,"records":false}"#).unwrap();
        assert!(r.records.is_empty());
        let r: InstallationsResponse =
            serde_json::from_str(r#"{"success":true,"records":{}}"#).unwrap();
        assert!(r.records.is_empty());
        // The site id is required.
        assert!(
            serde_json::from_str::<InstallationsResponse>(r#"{"records":[{"name":"x"}]}"#).is_err()
        );
        // An error body does not decode as a list.
        let err = r#"{"success":false,"errors":"Forbidden","error_code":"forbidden"}"#;
        assert!(serde_json::from_str::<InstallationsResponse>(err).is_err());
    }

    #[test]
    fn tags_endpoint() {
        let r: TagsResponse =
            serde_json::from_str(include_str!("../../tests/fixtures/tags.json")).unwrap();
        assert_eq!(r.tags.len(), 5);
        assert_eq!(Tag::names_from(&r.tags, "predefined"), ["No alarm"]);
        assert_eq!(Tag::names_from(&r.tags, "user"), ["baz", "demo"]);
        let grouped = Tag::by_source(&r.tags);
        assert_eq!(grouped["team"], ["bar"]);
        assert_eq!(grouped["group"], ["foo"]);

        // A list of tag objects, a single name, false and null.
        let json = r#"{"success":true,"tags":[{"idTag":41,"name":"ok","automatic":true,"color":"red"},"plain",null]}"#;
        let r: TagsResponse = serde_json::from_str(json).unwrap();
        assert_eq!(r.tags.len(), 2);
        assert_eq!(r.tags[0].extra.get("color"), Some(&Value::from("red")));
        assert_eq!(r.tags[1].name, "plain");
        let r: TagsResponse =
            serde_json::from_str(r#"{"tags":{"user":"solo","team":false}}"#).unwrap();
        assert_eq!(r.tags.len(), 1);
        assert_eq!(r.tags[0].source.as_deref(), Some("user"));
        let r: TagsResponse = serde_json::from_str(r#"{"tags":false}"#).unwrap();
        assert!(r.tags.is_empty());
        let r: TagsResponse = serde_json::from_str(r#"{"tags":[]}"#).unwrap();
        assert!(r.tags.is_empty());

        let back: TagsResponse = serde_json::from_str(
            &serde_json::to_string(&TagsResponse {
                tags: vec![Tag::named("a".into(), Some("user".into()))],
            })
            .unwrap(),
        )
        .unwrap();
        assert_eq!(Tag::names_from(&back.tags, "user"), ["a"]);
        assert!(serde_json::from_str::<TagsResponse>(r#"{"success":false,"errors":"x"}"#).is_err());
    }
}
