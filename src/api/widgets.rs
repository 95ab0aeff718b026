//! Widgets: `installations/{idSite}/widgets/{name}`.

use std::fmt;
use std::str::FromStr;

use crate::api::stats::check_codes;
use crate::error::{Error, Result};
use crate::ids::SiteId;
use crate::request::Request;
use crate::window::TimeWindow;

/// A VRM widget. The ones the doc names are variants; any other widget
/// (VRM has dozens) is reachable through [`Widget::Other`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Widget {
    /// State changes of the MPPT solar chargers.
    MpptState,
    /// State changes of the VE.Bus system.
    VeBusState,
    /// Warnings and alarms of the VE.Bus system.
    VeBusWarningsAndAlarms,
    /// Latest battery values.
    BatterySummary,
    /// BMS diagnostics.
    BmsDiagnostics,
    /// Historic battery data.
    HistoricData,
    /// IO extender inputs and outputs.
    IoExtenderInOut,
    /// Lithium BMS values.
    LithiumBms,
    /// Motor drive values.
    MotorSummary,
    /// PV inverter status.
    PvInverterStatus,
    /// Solar charger values.
    SolarChargerSummary,
    /// Installation status.
    Status,
    /// Data of the alarm widget.
    Alarm,
    /// Data of the GPS widget.
    Gps,
    /// Hours of AC, for the battery summary.
    HoursOfAc,
    /// Any other widget, by its VRM name (letters, digits, `_`, `-`).
    Other(String),
}

/// How a widget takes parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum WidgetKind {
    /// State changes over a time range (instance, start, end).
    State,
    /// Latest values only (instance; no time range).
    Summary,
    /// Custom data (instance, start, end accepted).
    Other,
}

impl Widget {
    /// The widgets the doc names, in its order.
    pub const NAMED: [Widget; 15] = [
        Widget::MpptState,
        Widget::VeBusState,
        Widget::VeBusWarningsAndAlarms,
        Widget::BatterySummary,
        Widget::BmsDiagnostics,
        Widget::HistoricData,
        Widget::IoExtenderInOut,
        Widget::LithiumBms,
        Widget::MotorSummary,
        Widget::PvInverterStatus,
        Widget::SolarChargerSummary,
        Widget::Status,
        Widget::Alarm,
        Widget::Gps,
        Widget::HoursOfAc,
    ];

    /// The name in the URL (`MPPTState`, `BatterySummary`, …).
    pub fn name(&self) -> &str {
        match self {
            Widget::MpptState => "MPPTState",
            Widget::VeBusState => "VeBusState",
            Widget::VeBusWarningsAndAlarms => "VeBusWarningsAndAlarms",
            Widget::BatterySummary => "BatterySummary",
            Widget::BmsDiagnostics => "BMSDiagnostics",
            Widget::HistoricData => "HistoricData",
            Widget::IoExtenderInOut => "IOExtenderInOut",
            Widget::LithiumBms => "LithiumBMS",
            Widget::MotorSummary => "MotorSummary",
            Widget::PvInverterStatus => "PVInverterStatus",
            Widget::SolarChargerSummary => "SolarChargerSummary",
            Widget::Status => "Status",
            Widget::Alarm => "Alarm",
            Widget::Gps => "GPS",
            Widget::HoursOfAc => "HoursOfAC",
            Widget::Other(name) => name,
        }
    }

    /// How this widget takes parameters.
    pub fn kind(&self) -> WidgetKind {
        match self {
            Widget::MpptState | Widget::VeBusState | Widget::VeBusWarningsAndAlarms => {
                WidgetKind::State
            }
            Widget::BatterySummary
            | Widget::BmsDiagnostics
            | Widget::HistoricData
            | Widget::IoExtenderInOut
            | Widget::LithiumBms
            | Widget::MotorSummary
            | Widget::PvInverterStatus
            | Widget::SolarChargerSummary
            | Widget::Status => WidgetKind::Summary,
            Widget::Alarm | Widget::Gps | Widget::HoursOfAc | Widget::Other(_) => WidgetKind::Other,
        }
    }

    fn validate(&self) -> Result<()> {
        if let Widget::Other(name) = self {
            let ok = !name.is_empty()
                && name.len() <= 64
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-'));
            if !ok || name.eq_ignore_ascii_case("graph") {
                return Err(Error::invalid(format!(
                    "widget name {name:?}: expected a VRM widget name of letters, digits, '_' or '-' \
                     (use the graph method for Graph)"
                )));
            }
        }
        Ok(())
    }
}

impl fmt::Display for Widget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Widget {
    type Err = Error;

    /// A named widget (any case), or [`Widget::Other`] for any other valid name.
    fn from_str(s: &str) -> Result<Self> {
        if let Some(w) = Widget::NAMED
            .iter()
            .find(|w| w.name().eq_ignore_ascii_case(s))
        {
            return Ok(w.clone());
        }
        let other = Widget::Other(s.to_owned());
        other.validate()?;
        Ok(other)
    }
}

/// Optional parameters of a widget call.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct WidgetQuery {
    instance: Option<u32>,
    window: Option<TimeWindow>,
}

impl WidgetQuery {
    /// No parameters: the default instance, the last day (or latest values).
    pub fn new() -> Self {
        WidgetQuery::default()
    }

    /// The device instance. Default: VRM's default instance.
    pub fn instance(mut self, instance: u32) -> Self {
        self.instance = Some(instance);
        self
    }

    /// The time range (not for summary widgets). Default: VRM's last day.
    pub fn window(mut self, window: TimeWindow) -> Self {
        self.window = Some(window);
        self
    }

    pub(crate) fn request(&self, site: SiteId, widget: &Widget) -> Result<Request> {
        widget.validate()?;
        if self.window.is_some() && widget.kind() == WidgetKind::Summary {
            return Err(Error::invalid(format!(
                "widget {widget} shows the latest values and takes no time window"
            )));
        }
        let mut request = Request::get(
            "installations/{idSite}/widgets/{widget}",
            format!("installations/{site}/widgets/{}", widget.name()),
        );
        if let Some(instance) = self.instance {
            request = request.query("instance", instance.to_string());
        }
        if let Some(window) = self.window {
            request = request
                .query("start", window.start().to_string())
                .query("end", window.end().to_string());
        }
        Ok(request)
    }
}

/// The parameters of the Graph widget (`widgets/Graph`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct GraphQuery {
    codes: Vec<String>,
    instance: Option<u32>,
    window: Option<TimeWindow>,
}

impl GraphQuery {
    /// A graph of the given attribute codes (`IV1`, `bs`, …).
    pub fn new<I, S>(codes: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        GraphQuery {
            codes: codes.into_iter().map(Into::into).collect(),
            instance: None,
            window: None,
        }
    }

    /// The device instance. Default: VRM's default instance.
    pub fn instance(mut self, instance: u32) -> Self {
        self.instance = Some(instance);
        self
    }

    /// The time range. Default: VRM's last day.
    pub fn window(mut self, window: TimeWindow) -> Self {
        self.window = Some(window);
        self
    }

    /// The attribute codes asked for.
    pub fn codes(&self) -> &[String] {
        &self.codes
    }

    pub(crate) fn request(&self, site: SiteId) -> Result<Request> {
        if self.codes.is_empty() {
            return Err(Error::invalid(
                "a graph needs at least one attribute code (for example bs or IV1)",
            ));
        }
        check_codes(&self.codes)?;
        let mut request = Request::get(
            "installations/{idSite}/widgets/Graph",
            format!("installations/{site}/widgets/Graph"),
        );
        for code in &self.codes {
            request = request.query("attributeCodes[]", code.clone());
        }
        if let Some(instance) = self.instance {
            request = request.query("instance", instance.to_string());
        }
        if let Some(window) = self.window {
            request = request
                .query("start", window.start().to_string())
                .query("end", window.end().to_string());
        }
        Ok(request)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_parse_back() {
        for w in Widget::NAMED {
            assert_eq!(w.name().parse::<Widget>().unwrap(), w);
        }
        assert_eq!(
            "batterysummary".parse::<Widget>().unwrap(),
            Widget::BatterySummary
        );
        assert_eq!(
            "DcMeter".parse::<Widget>().unwrap(),
            Widget::Other("DcMeter".into())
        );
        let e = "../users/me".parse::<Widget>().unwrap_err();
        assert!(e.to_string().contains("../users/me"), "{e}");
    }

    #[test]
    fn summary_widgets_take_no_window() {
        let w = TimeWindow::from_unix(0, 3600).unwrap();
        let q = WidgetQuery::new().window(w);
        assert!(q.request(SiteId(1), &Widget::BatterySummary).is_err());
        let r = q.request(SiteId(1), &Widget::MpptState).unwrap();
        assert_eq!(
            r.target(),
            "installations/1/widgets/MPPTState?start=0&end=3600"
        );
    }
}
