//! `GET /installations/{idSite}/alarms` (the alarms set up on a site, with
//! the devices, users and attributes they may use) and
//! `GET /installations/{idSite}/alarm-log` (the alarms that went off).

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Map, Value};
use time::OffsetDateTime;

use super::de;

/// One entry of a list: read as `T` when it fits, kept aside when not, so
/// that one odd entry never sinks the answer.
#[derive(Deserialize)]
#[serde(untagged)]
enum Entry<T> {
    Known(T),
    #[allow(dead_code)]
    Unknown(Value),
}

/// A list (or `false`/`null`/an index-keyed object) whose entries that do
/// not fit `T` are dropped.
pub(crate) fn lenient_list<'de, D, T>(d: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    let entries: Vec<Entry<T>> = de::list_or_empty(d)?;
    Ok(entries
        .into_iter()
        .filter_map(|e| match e {
            Entry::Known(t) => Some(t),
            Entry::Unknown(_) => None,
        })
        .collect())
}

/// The whole body of `GET /installations/{idSite}/alarms`.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[non_exhaustive]
pub struct AlarmsResponse {
    /// The alarms (required: an error body has none).
    #[serde(deserialize_with = "lenient_list")]
    pub alarms: Vec<Alarm>,
    /// The site's devices.
    #[serde(default, deserialize_with = "lenient_list")]
    pub devices: Vec<AlarmDevice>,
    /// The site's users.
    #[serde(default, deserialize_with = "lenient_list")]
    pub users: Vec<AlarmUser>,
    /// The attributes alarms can be set on.
    #[serde(default, deserialize_with = "lenient_list")]
    pub attributes: Vec<AlarmAttribute>,
}

impl From<AlarmsResponse> for Alarms {
    fn from(r: AlarmsResponse) -> Alarms {
        Alarms {
            alarms: r.alarms,
            devices: r.devices,
            users: r.users,
            attributes: r.attributes,
        }
    }
}

/// The alarms of an installation, with what a new alarm may use.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[non_exhaustive]
pub struct Alarms {
    /// The alarms that may go off on this installation.
    pub alarms: Vec<Alarm>,
    /// The devices of the installation.
    pub devices: Vec<AlarmDevice>,
    /// The users who may (or may not) get notified.
    pub users: Vec<AlarmUser>,
    /// The data attributes alarms can be set on.
    pub attributes: Vec<AlarmAttribute>,
}

/// One alarm: on a number (`low_alarm`/`high_alarm` with hysteresis) or on
/// an enum (`enum_values`).
///
/// VRM spells `AlarmEnabled`/`NotifyAfterSeconds` in PascalCase for number
/// alarms and camelCase for enum alarms; both are read.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[non_exhaustive]
pub struct Alarm {
    /// The attribute the alarm watches (VRM's `idDataAttribute`).
    #[serde(rename = "idDataAttribute", default, deserialize_with = "de::opt_u64")]
    pub id_data_attribute: Option<u64>,
    /// The device instance.
    #[serde(default, deserialize_with = "de::opt_u64")]
    pub instance: Option<u64>,
    /// Whether the alarm is on.
    #[serde(
        rename = "AlarmEnabled",
        alias = "alarmEnabled",
        default,
        deserialize_with = "de::opt_bool"
    )]
    pub enabled: Option<bool>,
    /// How long the condition must last before anyone is notified.
    #[serde(
        rename = "NotifyAfterSeconds",
        alias = "notifyAfterSeconds",
        default,
        deserialize_with = "de::opt_u64"
    )]
    pub notify_after_seconds: Option<u64>,
    /// Goes off above this value.
    #[serde(rename = "highAlarm", default, deserialize_with = "de::opt_f64")]
    pub high_alarm: Option<f64>,
    /// Clears this far below `high_alarm`.
    #[serde(
        rename = "highAlarmHysteresis",
        default,
        deserialize_with = "de::opt_f64"
    )]
    pub high_alarm_hysteresis: Option<f64>,
    /// Goes off below this value.
    #[serde(rename = "lowAlarm", default, deserialize_with = "de::opt_f64")]
    pub low_alarm: Option<f64>,
    /// Clears this far above `low_alarm`.
    #[serde(
        rename = "lowAlarmHysteresis",
        default,
        deserialize_with = "de::opt_f64"
    )]
    pub low_alarm_hysteresis: Option<f64>,
    /// The enum values that set off an enum alarm.
    #[serde(rename = "enumValues", default, deserialize_with = "enum_values")]
    pub enum_values: Vec<u64>,
    /// VRM's id of the alarm's limits (`idDataAttributeLimit`).
    #[serde(
        rename = "idDataAttributeLimit",
        default,
        deserialize_with = "de::opt_u64"
    )]
    pub id_data_attribute_limit: Option<u64>,
    /// Fields this crate does not know, kept as sent.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Alarm {
    /// True for an alarm on enum values rather than on a number.
    pub fn is_enum(&self) -> bool {
        !self.enum_values.is_empty()
    }
}

/// Enum values: numbers or numeric strings; others dropped.
fn enum_values<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u64>, D::Error> {
    let values: Vec<de::LenientU64> = de::list_or_empty(d)?;
    Ok(values.into_iter().filter_map(|v| v.0).collect())
}

/// A device of the installation, as the alarms answer lists it.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[non_exhaustive]
pub struct AlarmDevice {
    /// The device instance.
    #[serde(default, deserialize_with = "de::opt_u64")]
    pub instance: Option<u64>,
    /// VRM's device type id.
    #[serde(rename = "idDeviceType", default, deserialize_with = "de::opt_u64")]
    pub id_device_type: Option<u64>,
    /// The device's name (`"Gateway"`, …).
    #[serde(rename = "deviceName", default, deserialize_with = "de::opt_string")]
    pub device_name: Option<String>,
    /// The product's name.
    #[serde(rename = "productName", default, deserialize_with = "de::opt_string")]
    pub product_name: Option<String>,
    /// The name the user gave it.
    #[serde(rename = "customName", default, deserialize_with = "de::opt_string")]
    pub custom_name: Option<String>,
    /// Last contact, unix seconds.
    #[serde(rename = "lastConnection", default, deserialize_with = "de::opt_i64")]
    pub last_connection: Option<i64>,
    /// Fields this crate does not know, kept as sent.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A user of the installation, as the alarms answer lists them.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[non_exhaustive]
pub struct AlarmUser {
    /// The user's id.
    #[serde(rename = "idUser", default, deserialize_with = "de::opt_u64")]
    pub id_user: Option<u64>,
    /// The user's name.
    #[serde(default, deserialize_with = "de::opt_string")]
    pub name: Option<String>,
    /// The user's e-mail address.
    #[serde(default, deserialize_with = "de::opt_string")]
    pub email: Option<String>,
    /// VRM's access level of the user on the site.
    #[serde(rename = "accessLevel", default, deserialize_with = "de::opt_u64")]
    pub access_level: Option<u64>,
    /// Whether the user gets alarm notifications.
    #[serde(
        rename = "receivesAlarmNotifications",
        default,
        deserialize_with = "de::opt_bool"
    )]
    pub receives_alarm_notifications: Option<bool>,
    /// Fields this crate does not know, kept as sent.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A data attribute an alarm can be set on.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[non_exhaustive]
pub struct AlarmAttribute {
    /// VRM's `idDataAttribute`.
    #[serde(rename = "idDataAttribute", default, deserialize_with = "de::opt_u64")]
    pub id_data_attribute: Option<u64>,
    /// The attribute code (`"bPOR"`).
    #[serde(default, deserialize_with = "de::opt_string")]
    pub code: Option<String>,
    /// What it is (`"Off reason"`).
    #[serde(default, deserialize_with = "de::opt_string")]
    pub description: Option<String>,
    /// `"float"`, `"enum"`, …
    #[serde(rename = "dataType", default, deserialize_with = "de::opt_string")]
    pub data_type: Option<String>,
    /// VRM's device type id.
    #[serde(rename = "idDeviceType", default, deserialize_with = "de::opt_u64")]
    pub id_device_type: Option<u64>,
    /// Fields this crate does not know, kept as sent (`enumValues`, …).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// The answer of an alarm add or edit: `{success, idSite, data}`.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[non_exhaustive]
pub struct AlarmWriteResponse {
    /// Required: an error body has none.
    #[serde(deserialize_with = "de::opt_bool")]
    pub success: Option<bool>,
    /// The alarm as VRM stored it, when it says.
    #[serde(default, deserialize_with = "lenient_opt")]
    pub data: Option<Alarm>,
}

/// An optional record: `None` when it is missing, `null` or does not fit.
pub(crate) fn lenient_opt<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    let entry: Option<Entry<T>> = Option::deserialize(d)?;
    Ok(match entry {
        Some(Entry::Known(a)) => Some(a),
        _ => None,
    })
}

/// The whole body of `GET /installations/{idSite}/alarm-log`. No spec
/// describes it: the entries are read from `records` (or `alarms`, or
/// `data`), and a count VRM gives from `total` (or `count`).
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[non_exhaustive]
pub struct AlarmLogResponse {
    /// The entries (required: an error body has none).
    #[serde(alias = "alarms", alias = "data", deserialize_with = "lenient_list")]
    pub records: Vec<AlarmLogEntry>,
    /// How many entries there are in all, when VRM says.
    #[serde(alias = "count", default, deserialize_with = "de::opt_u64")]
    pub total: Option<u64>,
}

impl From<AlarmLogResponse> for AlarmLog {
    fn from(r: AlarmLogResponse) -> AlarmLog {
        AlarmLog {
            entries: r.records,
            total: r.total,
        }
    }
}

/// The alarms that went off on an installation, newest first as VRM sends
/// them.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[non_exhaustive]
pub struct AlarmLog {
    /// The entries of this page.
    pub entries: Vec<AlarmLogEntry>,
    /// How many entries there are in all, when VRM says.
    pub total: Option<u64>,
}

/// One alarm that went off. No schema is official: the fields clients
/// read are typed, everything else is in `extra`.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[non_exhaustive]
pub struct AlarmLogEntry {
    /// The entry's id (`idAlarm`, or `id`).
    #[serde(
        rename = "idAlarm",
        alias = "id",
        alias = "alarmId",
        default,
        deserialize_with = "de::opt_u64"
    )]
    pub id: Option<u64>,
    /// The attribute that set it off.
    #[serde(rename = "idDataAttribute", default, deserialize_with = "de::opt_u64")]
    pub id_data_attribute: Option<u64>,
    /// The device instance.
    #[serde(default, deserialize_with = "de::opt_u64")]
    pub instance: Option<u64>,
    /// What went off, as VRM words it.
    #[serde(alias = "name", default, deserialize_with = "de::opt_string")]
    pub description: Option<String>,
    /// The attribute code.
    #[serde(default, deserialize_with = "de::opt_string")]
    pub code: Option<String>,
    /// The value that set it off, as VRM formats it.
    #[serde(alias = "formattedValue", default, deserialize_with = "de::opt_string")]
    pub value: Option<String>,
    /// When it went off, unix seconds (`started`, or `timestamp`).
    #[serde(alias = "timestamp", default, deserialize_with = "de::opt_i64")]
    pub started: Option<i64>,
    /// When it cleared, unix seconds (`None` while active).
    #[serde(default, deserialize_with = "de::opt_i64")]
    pub cleared: Option<i64>,
    /// Fields this crate does not know, kept as sent.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl AlarmLogEntry {
    /// When it went off.
    pub fn started_at(&self) -> Option<OffsetDateTime> {
        self.started.and_then(de::unix_s)
    }

    /// When it cleared.
    pub fn cleared_at(&self) -> Option<OffsetDateTime> {
        self.cleared.filter(|&t| t > 0).and_then(de::unix_s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_cases_of_enabled_are_read_and_odd_entries_dropped() {
        let body = r#"{"success":true,"alarms":[
            {"AlarmEnabled":1,"NotifyAfterSeconds":"60","idDataAttribute":630,"instance":0,
             "highAlarm":2,"lowAlarm":false,"x":1},
            {"alarmEnabled":0,"notifyAfterSeconds":3600,"idDataAttribute":185,"enumValues":["0",4,"x"]},
            false
        ],"devices":false,"users":[{"idUser":"3","name":"A"}],"attributes":null}"#;
        let r: AlarmsResponse = serde_json::from_str(body).unwrap();
        assert_eq!(r.alarms.len(), 2);
        assert_eq!(r.alarms[0].enabled, Some(true));
        assert_eq!(r.alarms[0].notify_after_seconds, Some(60));
        assert_eq!(r.alarms[0].low_alarm, None);
        assert_eq!(r.alarms[0].extra["x"], 1);
        assert!(!r.alarms[0].is_enum());
        assert_eq!(r.alarms[1].enabled, Some(false));
        assert_eq!(r.alarms[1].enum_values, vec![0, 4]);
        assert!(r.devices.is_empty() && r.attributes.is_empty());
        assert_eq!(r.users[0].id_user, Some(3));
    }

    #[test]
    fn an_error_body_is_no_alarms_answer() {
        assert!(serde_json::from_str::<AlarmsResponse>(r#"{"success":false}"#).is_err());
        assert!(serde_json::from_str::<AlarmLogResponse>(r#"{"success":false}"#).is_err());
    }

    #[test]
    fn the_log_is_read_under_its_usual_names() {
        let r: AlarmLogResponse = serde_json::from_str(
            r#"{"success":true,"alarms":[{"id":"9","started":"1700000000","cleared":0,"name":"Low battery"}, 3],"count":"12"}"#,
        )
        .unwrap();
        assert_eq!(r.total, Some(12));
        assert_eq!(r.records.len(), 1);
        let e = &r.records[0];
        assert_eq!(e.id, Some(9));
        assert_eq!(e.description.as_deref(), Some("Low battery"));
        assert!(e.started_at().is_some());
        assert_eq!(e.cleared_at(), None);
    }
}
