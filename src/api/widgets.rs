//! Widgets: `installations/{idSite}/widgets/{name}`.

use std::fmt;
use std::str::FromStr;

use crate::api::stats::check_codes;
use crate::error::{Error, Result};
use crate::ids::SiteId;
use crate::request::Request;
use crate::window::TimeWindow;

/// A VRM widget: every widget of the 2025 and 2026 OpenAPI files (and the
/// doc's `Alarm`) is a variant, named in the URL as the spec spells it;
/// any other widget is reachable through [`Widget::Other`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Widget {
    /// Generator state changes.
    GeneratorState,
    /// Digital input state changes.
    InputState,
    /// Inverter state changes.
    InverterState,
    /// State changes of the MPPT solar chargers.
    MpptState,
    /// Charger state changes.
    ChargerState,
    /// ESS BatteryLife state changes.
    EssBatteryLifeState,
    /// Fuel cell state changes.
    FuelCellState,
    /// Battery external relay state changes.
    BatteryExternalRelayState,
    /// Battery relay state changes.
    BatteryRelayState,
    /// Warnings and alarms of the battery monitor.
    BatteryMonitorWarningsAndAlarms,
    /// GX relay 1 state changes.
    GatewayRelayState,
    /// GX relay 2 state changes.
    GatewayRelayTwoState,
    /// Charger relay state changes.
    ChargerRelayState,
    /// Solar charger relay state changes.
    SolarChargerRelayState,
    /// State changes of the VE.Bus system.
    VeBusState,
    /// Warnings and alarms of the VE.Bus system.
    VeBusWarningsAndAlarms,
    /// Inverter/charger state changes.
    InverterChargerState,
    /// Warnings and alarms of the inverter/charger.
    InverterChargerWarningsAndAlarms,
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
    /// DC meter values.
    DcMeter,
    /// EV charger values.
    EvChargerSummary,
    /// Meteorological sensor values (the 2025 spec's name).
    MeteorologicalSensor,
    /// Meteorological sensor overview (the 2026 spec's name).
    MeteorologicalSensorOverview,
    /// GlobalLink values.
    GlobalLinkSummary,
    /// Motor drive values.
    MotorSummary,
    /// PV inverter status.
    PvInverterStatus,
    /// Solar charger values.
    SolarChargerSummary,
    /// Installation status.
    Status,
    /// Tank levels.
    TankSummary,
    /// Temperature sensor values.
    TempSummaryAndGraph,
    /// Temperature and air quality values (2026 spec).
    TempAirQuality,
    /// Data of the alarm widget (named by the text doc, not the spec).
    Alarm,
    /// Data of the GPS widget (instance only).
    Gps,
    /// Hours of AC, for the battery summary (`HoursOfAc` as the spec spells it; the doc's `HoursOfAC` parses to it).
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
    /// The widgets of the spec (state, summary, other), in its order.
    pub const NAMED: [Widget; 38] = [
        Widget::GeneratorState,
        Widget::InputState,
        Widget::InverterState,
        Widget::MpptState,
        Widget::ChargerState,
        Widget::EssBatteryLifeState,
        Widget::FuelCellState,
        Widget::BatteryExternalRelayState,
        Widget::BatteryRelayState,
        Widget::BatteryMonitorWarningsAndAlarms,
        Widget::GatewayRelayState,
        Widget::GatewayRelayTwoState,
        Widget::ChargerRelayState,
        Widget::SolarChargerRelayState,
        Widget::VeBusState,
        Widget::VeBusWarningsAndAlarms,
        Widget::InverterChargerState,
        Widget::InverterChargerWarningsAndAlarms,
        Widget::BatterySummary,
        Widget::BmsDiagnostics,
        Widget::HistoricData,
        Widget::IoExtenderInOut,
        Widget::LithiumBms,
        Widget::DcMeter,
        Widget::EvChargerSummary,
        Widget::MeteorologicalSensor,
        Widget::MeteorologicalSensorOverview,
        Widget::GlobalLinkSummary,
        Widget::MotorSummary,
        Widget::PvInverterStatus,
        Widget::SolarChargerSummary,
        Widget::Status,
        Widget::TankSummary,
        Widget::TempSummaryAndGraph,
        Widget::TempAirQuality,
        Widget::Alarm,
        Widget::Gps,
        Widget::HoursOfAc,
    ];

    /// The name in the URL, as the spec spells it (`MPPTState`,
    /// `BatterySummary`, `HoursOfAc`, …).
    pub fn name(&self) -> &str {
        match self {
            Widget::GeneratorState => "GeneratorState",
            Widget::InputState => "InputState",
            Widget::InverterState => "InverterState",
            Widget::MpptState => "MPPTState",
            Widget::ChargerState => "ChargerState",
            Widget::EssBatteryLifeState => "EssBatteryLifeState",
            Widget::FuelCellState => "FuelCellState",
            Widget::BatteryExternalRelayState => "BatteryExternalRelayState",
            Widget::BatteryRelayState => "BatteryRelayState",
            Widget::BatteryMonitorWarningsAndAlarms => "BatteryMonitorWarningsAndAlarms",
            Widget::GatewayRelayState => "GatewayRelayState",
            Widget::GatewayRelayTwoState => "GatewayRelayTwoState",
            Widget::ChargerRelayState => "ChargerRelayState",
            Widget::SolarChargerRelayState => "SolarChargerRelayState",
            Widget::VeBusState => "VeBusState",
            Widget::VeBusWarningsAndAlarms => "VeBusWarningsAndAlarms",
            Widget::InverterChargerState => "InverterChargerState",
            Widget::InverterChargerWarningsAndAlarms => "InverterChargerWarningsAndAlarms",
            Widget::BatterySummary => "BatterySummary",
            Widget::BmsDiagnostics => "BMSDiagnostics",
            Widget::HistoricData => "HistoricData",
            Widget::IoExtenderInOut => "IOExtenderInOut",
            Widget::LithiumBms => "LithiumBMS",
            Widget::DcMeter => "DCMeter",
            Widget::EvChargerSummary => "EvChargerSummary",
            Widget::MeteorologicalSensor => "MeteorologicalSensor",
            Widget::MeteorologicalSensorOverview => "MeteorologicalSensorOverview",
            Widget::GlobalLinkSummary => "GlobalLinkSummary",
            Widget::MotorSummary => "MotorSummary",
            Widget::PvInverterStatus => "PVInverterStatus",
            Widget::SolarChargerSummary => "SolarChargerSummary",
            Widget::Status => "Status",
            Widget::TankSummary => "TankSummary",
            Widget::TempSummaryAndGraph => "TempSummaryAndGraph",
            Widget::TempAirQuality => "TempAirQuality",
            Widget::Alarm => "Alarm",
            Widget::Gps => "GPS",
            Widget::HoursOfAc => "HoursOfAc",
            Widget::Other(name) => name,
        }
    }

    /// How this widget takes parameters.
    pub fn kind(&self) -> WidgetKind {
        match self {
            Widget::GeneratorState
            | Widget::InputState
            | Widget::InverterState
            | Widget::MpptState
            | Widget::ChargerState
            | Widget::EssBatteryLifeState
            | Widget::FuelCellState
            | Widget::BatteryExternalRelayState
            | Widget::BatteryRelayState
            | Widget::BatteryMonitorWarningsAndAlarms
            | Widget::GatewayRelayState
            | Widget::GatewayRelayTwoState
            | Widget::ChargerRelayState
            | Widget::SolarChargerRelayState
            | Widget::VeBusState
            | Widget::VeBusWarningsAndAlarms
            | Widget::InverterChargerState
            | Widget::InverterChargerWarningsAndAlarms => WidgetKind::State,
            Widget::BatterySummary
            | Widget::BmsDiagnostics
            | Widget::HistoricData
            | Widget::IoExtenderInOut
            | Widget::LithiumBms
            | Widget::DcMeter
            | Widget::EvChargerSummary
            | Widget::MeteorologicalSensor
            | Widget::MeteorologicalSensorOverview
            | Widget::GlobalLinkSummary
            | Widget::MotorSummary
            | Widget::PvInverterStatus
            | Widget::SolarChargerSummary
            | Widget::Status
            | Widget::TankSummary
            | Widget::TempSummaryAndGraph
            | Widget::TempAirQuality => WidgetKind::Summary,
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
///
/// ```
/// use vrm::GraphQuery;
/// let query = GraphQuery::new(["bs"]).attribute_ids([81]).width(400).points_per_pixel(0.5).use_min_max(true);
/// assert_eq!(query.ids(), [81]);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct GraphQuery {
    codes: Vec<String>,
    ids: Vec<u64>,
    instance: Option<u32>,
    window: Option<TimeWindow>,
    width: Option<u32>,
    /// `f64::to_bits` of the points per pixel (so the query stays `Eq + Hash`).
    points_per_pixel: Option<u64>,
    use_min_max: Option<bool>,
}

impl GraphQuery {
    /// A graph of the given attribute codes (`IV1`, `bs`, …); may be empty
    /// when [`attribute_ids`](Self::attribute_ids) names the attributes.
    pub fn new<I, S>(codes: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        GraphQuery {
            codes: codes.into_iter().map(Into::into).collect(),
            ids: Vec::new(),
            instance: None,
            window: None,
            width: None,
            points_per_pixel: None,
            use_min_max: None,
        }
    }

    /// Attributes by id as well (`attributeIds[]`, repeated; the
    /// `idDataAttribute` of the catalogue).
    pub fn attribute_ids<I: IntoIterator<Item = u64>>(mut self, ids: I) -> Self {
        self.ids.extend(ids);
        self
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

    /// The graph's width in pixels (`width`; VRM's default 768).
    pub fn width(mut self, pixels: u32) -> Self {
        self.width = Some(pixels);
        self
    }

    /// Data points per pixel of the width (`pointsPerPixel`; VRM's default 2).
    /// Must be a positive finite number (checked before the request).
    pub fn points_per_pixel(mut self, points: f64) -> Self {
        self.points_per_pixel = Some(points.to_bits());
        self
    }

    /// Each point with its mean, min and max (`useMinMax=1`), or one value
    /// (`useMinMax=0`). Default: VRM's.
    pub fn use_min_max(mut self, yes: bool) -> Self {
        self.use_min_max = Some(yes);
        self
    }

    /// The attribute codes asked for.
    pub fn codes(&self) -> &[String] {
        &self.codes
    }

    /// The attribute ids asked for.
    pub fn ids(&self) -> &[u64] {
        &self.ids
    }

    pub(crate) fn request(&self, site: SiteId) -> Result<Request> {
        if self.codes.is_empty() && self.ids.is_empty() {
            return Err(Error::invalid(
                "a graph needs at least one attribute code (for example bs or IV1) or attribute id",
            ));
        }
        check_codes(&self.codes)?;
        let points_per_pixel = self.points_per_pixel.map(f64::from_bits);
        if let Some(p) = points_per_pixel
            && !(p.is_finite() && p > 0.0)
        {
            return Err(Error::invalid(format!(
                "points per pixel {p}: expected a positive number such as 2 or 0.5"
            )));
        }
        if self.width == Some(0) {
            return Err(Error::invalid("graph width 0: expected at least 1 pixel"));
        }
        let mut request = Request::get(
            "installations/{idSite}/widgets/Graph",
            format!("installations/{site}/widgets/Graph"),
        );
        for code in &self.codes {
            request = request.query("attributeCodes[]", code.clone());
        }
        for id in &self.ids {
            request = request.query("attributeIds[]", id.to_string());
        }
        if let Some(instance) = self.instance {
            request = request.query("instance", instance.to_string());
        }
        if let Some(window) = self.window {
            request = request
                .query("start", window.start().to_string())
                .query("end", window.end().to_string());
        }
        if let Some(width) = self.width {
            request = request.query("width", width.to_string());
        }
        if let Some(p) = points_per_pixel {
            request = request.query("pointsPerPixel", p.to_string());
        }
        if let Some(yes) = self.use_min_max {
            request = request.query("useMinMax", if yes { "1" } else { "0" });
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
        assert_eq!("DcMeter".parse::<Widget>().unwrap(), Widget::DcMeter);
        assert_eq!("HoursOfAC".parse::<Widget>().unwrap().name(), "HoursOfAc");
        assert_eq!(
            "SomeFutureWidget".parse::<Widget>().unwrap(),
            Widget::Other("SomeFutureWidget".into())
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
