//! A site's alarms: `installations/{idSite}/alarms`, `…/clear-alarm` and
//! `…/alarm-log`.

use serde_json::{Map, Value, json};

use crate::api::installations::SiteApi;
use crate::error::{Error, Result};
use crate::fetched::Fetched;
use crate::ids::AlarmId;
use crate::models::alarms::{AlarmLogResponse, AlarmWriteResponse, AlarmsResponse};
use crate::models::settings::Ack;
use crate::models::{Alarm, AlarmLog, Alarms};
use crate::request::{Method, Request};
use crate::store::CacheKind;
use crate::window::TimeWindow;

/// What an alarm watches: a number against limits, or enum values.
#[derive(Debug, Clone, PartialEq)]
enum AlarmKind {
    Number {
        high: Option<(f64, f64)>,
        low: Option<(f64, f64)>,
    },
    Enum {
        values: Vec<u64>,
    },
}

/// An alarm to add or edit (`POST`/`PUT /installations/{idSite}/alarms`):
/// the attribute and instance it watches, and when it goes off.
///
/// ```
/// // Battery voltage (attribute 630, instance 0) above 2 or below 0, after a minute.
/// let alarm = vrm::AlarmSpec::number(630, 0, 60).high(2.0, 2.0).low(0.0, 0.2);
/// // VE.Bus state 185 in state 0 or 4, after an hour.
/// let state = vrm::AlarmSpec::on_enum(185, 0, [0, 4], 3600);
/// # let _ = (alarm, state);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct AlarmSpec {
    id_data_attribute: u64,
    instance: u32,
    notify_after_seconds: u64,
    enabled: bool,
    kind: AlarmKind,
}

impl AlarmSpec {
    /// An alarm on a number (a float attribute): set its limits with
    /// [`high`](Self::high) and/or [`low`](Self::low) (at least one).
    pub fn number(id_data_attribute: u64, instance: u32, notify_after_seconds: u64) -> Self {
        AlarmSpec {
            id_data_attribute,
            instance,
            notify_after_seconds,
            enabled: true,
            kind: AlarmKind::Number {
                high: None,
                low: None,
            },
        }
    }

    /// An alarm on an enum attribute, going off in any of `values`.
    pub fn on_enum(
        id_data_attribute: u64,
        instance: u32,
        values: impl IntoIterator<Item = u64>,
        notify_after_seconds: u64,
    ) -> Self {
        AlarmSpec {
            id_data_attribute,
            instance,
            notify_after_seconds,
            enabled: true,
            kind: AlarmKind::Enum {
                values: values.into_iter().collect(),
            },
        }
    }

    /// Goes off above `value`, clears `hysteresis` below it (number alarms).
    pub fn high(mut self, value: f64, hysteresis: f64) -> Self {
        if let AlarmKind::Number { high, .. } = &mut self.kind {
            *high = Some((value, hysteresis));
        }
        self
    }

    /// Goes off below `value`, clears `hysteresis` above it (number alarms).
    pub fn low(mut self, value: f64, hysteresis: f64) -> Self {
        if let AlarmKind::Number { low, .. } = &mut self.kind {
            *low = Some((value, hysteresis));
        }
        self
    }

    /// On or off (default: on).
    pub fn enabled(mut self, enabled: bool) -> Self {
        self.enabled = enabled;
        self
    }

    /// The attribute it watches.
    pub fn id_data_attribute(&self) -> u64 {
        self.id_data_attribute
    }

    /// What is wrong with it, before any request.
    fn validate(&self) -> Result<()> {
        let what = format!("alarm on attribute {}", self.id_data_attribute);
        match &self.kind {
            AlarmKind::Enum { values } if values.is_empty() => Err(Error::invalid(format!(
                "{what}: no enum values; expected at least one value that sets it off"
            ))),
            AlarmKind::Enum { .. } => Ok(()),
            AlarmKind::Number { high, low } => {
                if high.is_none() && low.is_none() {
                    return Err(Error::invalid(format!(
                        "{what}: no limit; expected a high limit, a low limit or both"
                    )));
                }
                for (name, limit) in [("high", high), ("low", low)] {
                    if let Some((value, hysteresis)) = limit {
                        if !value.is_finite() {
                            return Err(Error::invalid(format!(
                                "{what}: {name} limit {value}: expected a finite number"
                            )));
                        }
                        if !(hysteresis.is_finite() && *hysteresis >= 0.0) {
                            return Err(Error::invalid(format!(
                                "{what}: {name} hysteresis {hysteresis}: expected a finite number >= 0"
                            )));
                        }
                    }
                }
                if let (Some((h, _)), Some((l, _))) = (high, low)
                    && l >= h
                {
                    return Err(Error::invalid(format!(
                        "{what}: low limit {l} not below high limit {h}; expected low < high"
                    )));
                }
                Ok(())
            }
        }
    }

    /// The body VRM expects: PascalCase `AlarmEnabled`/`NotifyAfterSeconds`
    /// for number alarms, camelCase for enum alarms (the spec's rule).
    fn body(&self) -> Value {
        let mut body = Map::new();
        body.insert("idDataAttribute".into(), json!(self.id_data_attribute));
        body.insert("instance".into(), json!(self.instance));
        let enabled = json!(u8::from(self.enabled));
        match &self.kind {
            AlarmKind::Number { high, low } => {
                body.insert("AlarmEnabled".into(), enabled);
                body.insert(
                    "NotifyAfterSeconds".into(),
                    json!(self.notify_after_seconds),
                );
                if let Some((value, hysteresis)) = high {
                    body.insert("highAlarm".into(), json!(value));
                    body.insert("highAlarmHysteresis".into(), json!(hysteresis));
                }
                if let Some((value, hysteresis)) = low {
                    body.insert("lowAlarm".into(), json!(value));
                    body.insert("lowAlarmHysteresis".into(), json!(hysteresis));
                }
            }
            AlarmKind::Enum { values } => {
                body.insert("alarmEnabled".into(), enabled);
                body.insert(
                    "notifyAfterSeconds".into(),
                    json!(self.notify_after_seconds),
                );
                body.insert("enumValues".into(), json!(values));
            }
        }
        Value::Object(body)
    }
}

/// The parameters of `GET /installations/{idSite}/alarm-log`: a page of
/// `count` entries (default: VRM's), optionally within a window.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AlarmLogQuery {
    count: Option<u32>,
    page: Option<u32>,
    window: Option<TimeWindow>,
}

impl AlarmLogQuery {
    /// VRM's first page, its default size.
    pub fn new() -> Self {
        Self::default()
    }

    /// At most `count` entries a page (`count`, at least 1).
    pub fn count(mut self, count: u32) -> Self {
        self.count = Some(count);
        self
    }

    /// Page `page`, counted from 1 (`page`).
    pub fn page(mut self, page: u32) -> Self {
        self.page = Some(page);
        self
    }

    /// Only alarms within `window` (`start`, `end`).
    pub fn window(mut self, window: TimeWindow) -> Self {
        self.window = Some(window);
        self
    }

    fn request(&self, site: crate::SiteId) -> Result<Request> {
        if self.count == Some(0) {
            return Err(Error::invalid(
                "alarm log count 0: expected at least 1 entry a page",
            ));
        }
        if self.page == Some(0) {
            return Err(Error::invalid(
                "alarm log page 0: expected a page number from 1",
            ));
        }
        let mut request = Request::get(
            "installations/{idSite}/alarm-log",
            format!("installations/{site}/alarm-log"),
        );
        if let Some(page) = self.page {
            request = request.query("page", page.to_string());
        }
        if let Some(count) = self.count {
            request = request.query("count", count.to_string());
        }
        if let Some(window) = self.window {
            request = request
                .query("start", window.start().to_string())
                .query("end", window.end().to_string());
        }
        Ok(request)
    }
}

impl SiteApi<'_> {
    fn alarms_request(&self, method: Method) -> Request {
        Request::new(
            method,
            "installations/{idSite}/alarms",
            format!("installations/{}/alarms", self.id()),
        )
    }

    /// What an alarm write makes stale: the site's alarms and the account's
    /// installations (the extended list holds alarm state).
    fn alarm_writes(&self) -> [(CacheKind, Option<u64>); 2] {
        [
            (CacheKind::Alarms, Some(self.id().get())),
            (CacheKind::Installations, None),
        ]
    }

    /// The alarms set up on the installation, with the devices, users and
    /// attributes a new alarm may use.
    ///
    /// `GET /installations/{idSite}/alarms`, cached as
    /// [`CacheKind::Alarms`].
    ///
    /// # Errors
    /// Transport, API and decode errors.
    ///
    /// ```no_run
    /// # fn main() -> vrm::Result<()> {
    /// let vrm = vrm::Client::builder().personal_token("…").build()?;
    /// for alarm in &vrm.site(vrm::SiteId(123)).alarms()?.alarms {
    ///     println!("{:?} {:?}", alarm.id_data_attribute, alarm.enabled);
    /// }
    /// # Ok(()) }
    /// ```
    pub fn alarms(&self) -> Result<Fetched<Alarms>> {
        let request = self.alarms_request(Method::Get);
        Ok(self
            .client()
            .call_json::<AlarmsResponse>(request, Some((CacheKind::Alarms, Some(self.id().get()))))?
            .map(Alarms::from))
    }

    /// Add an alarm; answers the alarm as VRM stored it, when it says.
    ///
    /// `POST /installations/{idSite}/alarms`. A write: never cached,
    /// refused offline; drops the site's cached alarms and the account's
    /// installations.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for an alarm without limits or enum values,
    /// or with odd limits, with no request sent; transport and API errors.
    ///
    /// ```no_run
    /// # fn main() -> vrm::Result<()> {
    /// let vrm = vrm::Client::builder().personal_token("…").build()?;
    /// let alarm = vrm::AlarmSpec::number(630, 0, 60).high(2.0, 2.0);
    /// vrm.site(vrm::SiteId(123)).add_alarm(&alarm)?;
    /// # Ok(()) }
    /// ```
    pub fn add_alarm(&self, alarm: &AlarmSpec) -> Result<Fetched<Option<Alarm>>> {
        self.write_alarm(Method::Post, alarm)
    }

    /// Change an alarm (the one on the same attribute and instance).
    ///
    /// `PUT /installations/{idSite}/alarms`. A write, as
    /// [`add_alarm`](Self::add_alarm).
    ///
    /// # Errors
    /// As [`add_alarm`](Self::add_alarm).
    pub fn edit_alarm(&self, alarm: &AlarmSpec) -> Result<Fetched<Option<Alarm>>> {
        self.write_alarm(Method::Put, alarm)
    }

    fn write_alarm(&self, method: Method, alarm: &AlarmSpec) -> Result<Fetched<Option<Alarm>>> {
        alarm.validate()?;
        let request = self.alarms_request(method).json(&alarm.body())?;
        Ok(self
            .client()
            .write_json::<AlarmWriteResponse>(request, &self.alarm_writes())?
            .map(|r| r.data))
    }

    /// Remove the alarm on attribute `id_data_attribute`, instance
    /// `instance`.
    ///
    /// `DELETE /installations/{idSite}/alarms` with body
    /// `{idDataAttribute, instance}`. A write, as
    /// [`add_alarm`](Self::add_alarm).
    ///
    /// # Errors
    /// Transport and API errors.
    pub fn remove_alarm(&self, id_data_attribute: u64, instance: u32) -> Result<Fetched<()>> {
        let request = self
            .alarms_request(Method::Delete)
            .json(&json!({"idDataAttribute": id_data_attribute, "instance": instance}))?;
        Ok(self
            .client()
            .write_json::<Ack>(request, &self.alarm_writes())?
            .map(drop))
    }

    /// Clear an alarm that went off (VRM marks it cleared by the user in
    /// the event log).
    ///
    /// `POST /installations/{idSite}/clear-alarm` with body `{alarmId}`.
    /// A write: drops the site's cached alarms and alarm log, and the
    /// account's installations.
    ///
    /// # Errors
    /// Transport and API errors.
    pub fn clear_alarm(&self, alarm: AlarmId) -> Result<Fetched<()>> {
        let site = self.id().get();
        let request = Request::new(
            Method::Post,
            "installations/{idSite}/clear-alarm",
            format!("installations/{site}/clear-alarm"),
        )
        .json(&json!({ "alarmId": alarm.get() }))?;
        let stale = [
            (CacheKind::Alarms, Some(site)),
            (CacheKind::AlarmLog, Some(site)),
            (CacheKind::Installations, None),
        ];
        Ok(self.client().write_json::<Ack>(request, &stale)?.map(drop))
    }

    /// The alarms that went off: one page of the log.
    ///
    /// `GET /installations/{idSite}/alarm-log?page&count[&start&end]` (in
    /// no spec, used by VRM's clients; read leniently), cached as
    /// [`CacheKind::AlarmLog`].
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for a count or page of 0; transport, API and
    /// decode errors.
    pub fn alarm_log(&self, query: &AlarmLogQuery) -> Result<Fetched<AlarmLog>> {
        let request = query.request(self.id())?;
        Ok(self
            .client()
            .call_json::<AlarmLogResponse>(
                request,
                Some((CacheKind::AlarmLog, Some(self.id().get()))),
            )?
            .map(AlarmLog::from))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_use_the_case_of_their_kind() {
        let n = AlarmSpec::number(630, 0, 60).high(2.0, 2.0).low(0.0, 0.2);
        assert_eq!(
            n.body(),
            json!({"idDataAttribute":630,"instance":0,"AlarmEnabled":1,"NotifyAfterSeconds":60,
                   "highAlarm":2.0,"highAlarmHysteresis":2.0,"lowAlarm":0.0,"lowAlarmHysteresis":0.2})
        );
        let e = AlarmSpec::on_enum(185, 1, [0], 3600).enabled(false);
        assert_eq!(
            e.body(),
            json!({"idDataAttribute":185,"instance":1,"alarmEnabled":0,"notifyAfterSeconds":3600,"enumValues":[0]})
        );
    }

    #[test]
    fn odd_alarms_are_refused() {
        for (alarm, says) in [
            (AlarmSpec::number(1, 0, 60), "no limit"),
            (AlarmSpec::on_enum(1, 0, [], 60), "no enum values"),
            (
                AlarmSpec::number(1, 0, 60).high(f64::NAN, 0.0),
                "high limit NaN",
            ),
            (
                AlarmSpec::number(1, 0, 60).low(1.0, -1.0),
                "low hysteresis -1",
            ),
            (
                AlarmSpec::number(1, 0, 60).high(1.0, 0.0).low(2.0, 0.0),
                "not below",
            ),
        ] {
            let e = alarm.validate().unwrap_err().to_string();
            assert!(e.contains(says) && e.contains("expected"), "{e}");
        }
        assert!(AlarmSpec::number(1, 0, 60).low(1.0, 0.0).validate().is_ok());
    }
}
