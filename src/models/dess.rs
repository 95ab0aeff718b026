//! `GET /installations/{idSite}/dynamic-ess-settings` (the Dynamic ESS
//! configuration of a site) and `GET …/schedule-dynamic-ess` (its plan).

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::de;

/// The whole body of `GET /installations/{idSite}/dynamic-ess-settings`
/// (and of the writes, which answer the stored configuration).
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[non_exhaustive]
pub struct DynamicEssResponse {
    /// The configuration (required: an error body has none).
    pub data: DynamicEssSettings,
}

/// A site's Dynamic ESS configuration as VRM keeps it. Every field may be
/// missing; what this crate does not know is in `extra`.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[non_exhaustive]
pub struct DynamicEssSettings {
    /// Whether Dynamic ESS is on in VRM.
    #[serde(rename = "isOn", default, deserialize_with = "de::opt_bool")]
    pub is_on: Option<bool>,
    /// Battery capacity, kWh.
    #[serde(rename = "batteryCapacity", default, deserialize_with = "de::opt_f64")]
    pub battery_capacity: Option<f64>,
    /// Battery cycle costs per kWh.
    #[serde(rename = "batteryCosts", default, deserialize_with = "de::opt_f64")]
    pub battery_costs: Option<f64>,
    /// The battery's price.
    #[serde(rename = "batteryPrice", default, deserialize_with = "de::opt_f64")]
    pub battery_price: Option<f64>,
    /// `"unrestricted"`, `"noExport"` or `"noImport"`.
    #[serde(
        rename = "batteryFlowRestriction",
        default,
        deserialize_with = "de::opt_string"
    )]
    pub battery_flow_restriction: Option<String>,
    /// 1 for dynamic buy prices, 0 for a schedule.
    #[serde(rename = "buyPriceType", default, deserialize_with = "de::opt_u64")]
    pub buy_price_type: Option<u64>,
    /// 1 for dynamic sell prices, 0 for a schedule.
    #[serde(rename = "sellPriceType", default, deserialize_with = "de::opt_u64")]
    pub sell_price_type: Option<u64>,
    /// Maximum battery charging power, kW.
    #[serde(rename = "chargePower", default, deserialize_with = "de::opt_f64")]
    pub charge_power: Option<f64>,
    /// Maximum battery discharging power, kW.
    #[serde(rename = "dischargePower", default, deserialize_with = "de::opt_f64")]
    pub discharge_power: Option<f64>,
    /// Whether energy may be sold to the grid.
    #[serde(rename = "gridSell", default, deserialize_with = "de::opt_bool")]
    pub grid_sell: Option<bool>,
    /// Maximum power from the grid, kW.
    #[serde(rename = "maxPowerFromGrid", default, deserialize_with = "de::opt_f64")]
    pub max_power_from_grid: Option<f64>,
    /// Maximum power to the grid, kW.
    #[serde(rename = "maxPowerToGrid", default, deserialize_with = "de::opt_f64")]
    pub max_power_to_grid: Option<f64>,
    /// The EU bidding zone (see `/bidding-zones`).
    #[serde(rename = "idBiddingZone", default, deserialize_with = "de::opt_u64")]
    pub id_bidding_zone: Option<u64>,
    /// The formula applied to raw buy prices (`1.21*p+0.04`).
    #[serde(
        rename = "buyPriceFormula",
        default,
        deserialize_with = "de::opt_string"
    )]
    pub buy_price_formula: Option<String>,
    /// The formula applied to raw sell prices.
    #[serde(
        rename = "sellPriceFormula",
        default,
        deserialize_with = "de::opt_string"
    )]
    pub sell_price_formula: Option<String>,
    /// Whether green mode is on.
    #[serde(rename = "isGreenModeOn", default, deserialize_with = "de::opt_bool")]
    pub is_green_mode_on: Option<bool>,
    /// Whether the battery is charged to 100% now and then.
    #[serde(
        rename = "isPeriodicFullChargeOn",
        default,
        deserialize_with = "de::opt_bool"
    )]
    pub is_periodic_full_charge_on: Option<bool>,
    /// Fields this crate does not know, kept as sent (price schedules,
    /// energy providers, …).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// The answer of a Dynamic ESS settings write: `{success, idSite, data}`.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[non_exhaustive]
pub struct DynamicEssWriteResponse {
    /// Required: an error body is `success: false`.
    #[serde(deserialize_with = "de::opt_bool")]
    pub success: Option<bool>,
    /// The stored configuration, when VRM sends it back.
    #[serde(default, deserialize_with = "super::alarms::lenient_opt")]
    pub data: Option<DynamicEssSettings>,
}

/// The whole body of `GET /installations/{idSite}/schedule-dynamic-ess`
/// (in no spec): everything but `success`.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[non_exhaustive]
pub struct DynamicEssScheduleResponse {
    /// Required: an error body is `success: false`.
    #[serde(deserialize_with = "de::opt_bool")]
    pub success: Option<bool>,
    /// The rest of the body.
    #[serde(flatten)]
    pub rest: Map<String, Value>,
}

/// The plan Dynamic ESS made for a site (`GET …/schedule-dynamic-ess`).
/// No spec describes it, so it is VRM's JSON as sent, without `success`.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[non_exhaustive]
pub struct DynamicEssSchedule {
    /// The fields of the answer (`records`, `totals`, …).
    #[serde(flatten)]
    pub fields: Map<String, Value>,
}

impl DynamicEssSchedule {
    /// The field `name` of the answer.
    pub fn field(&self, name: &str) -> Option<&Value> {
        self.fields.get(name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_tolerate_odd_values() {
        let r: DynamicEssResponse = serde_json::from_str(
            r#"{"success":true,"idSite":5,"data":{"isOn":1,"batteryCapacity":"10.5",
               "gridSell":false,"buyPriceType":"1","chargePower":null,"buyPriceSchedule":[]}}"#,
        )
        .unwrap();
        let s = r.data;
        assert_eq!(s.is_on, Some(true));
        assert_eq!(s.battery_capacity, Some(10.5));
        assert_eq!(s.grid_sell, Some(false));
        assert_eq!(s.buy_price_type, Some(1));
        assert_eq!(s.charge_power, None);
        assert!(s.extra.contains_key("buyPriceSchedule"));
        assert!(serde_json::from_str::<DynamicEssResponse>(r#"{"success":false}"#).is_err());
    }
}
