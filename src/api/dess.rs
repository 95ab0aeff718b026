//! Dynamic ESS of a site: `installations/{idSite}/dynamic-ess-settings`,
//! `…/schedule-dynamic-ess` and `…/adjust-consumption`.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::api::installations::SiteApi;
use crate::error::{Error, Result};
use crate::fetched::Fetched;
use crate::models::dess::{
    DynamicEssResponse, DynamicEssScheduleResponse, DynamicEssWriteResponse,
};
use crate::models::{DynamicEssSchedule, DynamicEssSettings};
use crate::request::{Method, Request};
use crate::store::CacheKind;

/// How a Dynamic ESS settings write is sent.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DynamicEssMethod {
    /// `POST`, the default: the only method both specs (2025 and 2026)
    /// describe. It sends a whole configuration: every field the spec
    /// requires must be set.
    #[default]
    Post,
    /// `PATCH`, for servers that expect it (some clients send it): only
    /// the fields that change, at least one.
    Patch,
}

/// One weekday set of a fixed price schedule: the days (0 = Monday … 6 =
/// Sunday) and their time slots.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[non_exhaustive]
pub struct PriceDays {
    /// Weekdays, 0-indexed from Monday.
    pub days: Vec<u8>,
    /// The slots of those days.
    pub schedule: Vec<PriceSlot>,
}

impl PriceDays {
    /// The slots `schedule` on `days`.
    pub fn new(days: impl IntoIterator<Item = u8>, schedule: Vec<PriceSlot>) -> Self {
        PriceDays {
            days: days.into_iter().collect(),
            schedule,
        }
    }
}

/// One time slot of a price schedule: whole hours, `from` inclusive, `to`
/// exclusive (`"00:00"` … `"24:00"`).
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[non_exhaustive]
pub struct PriceSlot {
    /// Start, `"HH:00"`.
    pub from: String,
    /// End, `"HH:00"`.
    pub to: String,
    /// The energy price in the slot.
    pub price: f64,
}

impl PriceSlot {
    /// `price` from `from` to `to`.
    pub fn new(from: impl Into<String>, to: impl Into<String>, price: f64) -> Self {
        PriceSlot {
            from: from.into(),
            to: to.into(),
            price,
        }
    }
}

/// A Dynamic ESS configuration to write
/// (`POST`/`PATCH /installations/{idSite}/dynamic-ess-settings`), with the
/// spec's field names. Set the fields that should be sent; the rest stay
/// out of the body. `extra` sends fields this crate does not know.
///
/// ```
/// let mut change = vrm::DynamicEssUpdate::new();
/// change.is_on = Some(false);
/// # let _ = change;
/// ```
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct DynamicEssUpdate {
    /// Battery capacity, kWh (> 0). Required by `POST`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub battery_capacity: Option<f64>,
    /// Battery cycle costs per kWh (>= 0). Required by `POST`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub battery_costs: Option<f64>,
    /// `"unrestricted"`, `"noExport"` or `"noImport"`. Required by `POST`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub battery_flow_restriction: Option<String>,
    /// The battery's price (>= 0).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub battery_price: Option<f64>,
    /// The energy provider for buying (see `/energy-providers`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub buy_energy_provider_id: Option<u64>,
    /// A formula applied to raw buy prices, `p` the raw price.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub buy_price_formula: Option<String>,
    /// A fixed buy price schedule.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub buy_price_schedule: Option<Vec<PriceDays>>,
    /// 1 for dynamic buy prices, 0 for none. Required by `POST`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub buy_price_type: Option<u8>,
    /// Maximum battery charging power, kW (>= 0). Required by `POST`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub charge_power: Option<f64>,
    /// Maximum battery discharging power, kW (>= 0). Required by `POST`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub discharge_power: Option<f64>,
    /// 1 when energy may be sold to the grid, else 0. Required by `POST`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub grid_sell: Option<u8>,
    /// The EU bidding zone (see `/bidding-zones`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id_bidding_zone: Option<u64>,
    /// A separate minimum SOC for Dynamic ESS.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_dess_soc_different: Option<bool>,
    /// Green mode.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_green_mode_on: Option<bool>,
    /// Dynamic ESS on in VRM. Required by `POST`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_on: Option<bool>,
    /// Maximum power from the grid, kW (>= 0). Required by `POST`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_power_from_grid: Option<f64>,
    /// Maximum power to the grid, kW (>= 0). Required by `POST`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_power_to_grid: Option<f64>,
    /// The energy provider for selling.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sell_energy_provider_id: Option<u64>,
    /// A fixed sell price schedule.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sell_price_schedule: Option<Vec<PriceDays>>,
    /// A formula applied to raw sell prices.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sell_price_formula: Option<String>,
    /// 1 for dynamic sell prices, 0 for none. Required by `POST`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sell_price_type: Option<u8>,
    /// Charge to 100% now and then.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_periodic_full_charge_on: Option<bool>,
    /// Hours at 100% in a periodic full charge (> 0).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub periodic_full_charge_duration: Option<f64>,
    /// Days between periodic full charges (> 0).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub periodic_full_charge_interval: Option<f64>,
    /// Fields this crate does not know, sent as they are.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl DynamicEssUpdate {
    /// Nothing set yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// The spec's required fields that are not set.
    fn missing(&self) -> Vec<&'static str> {
        [
            ("batteryCapacity", self.battery_capacity.is_some()),
            ("batteryCosts", self.battery_costs.is_some()),
            (
                "batteryFlowRestriction",
                self.battery_flow_restriction.is_some(),
            ),
            ("buyPriceType", self.buy_price_type.is_some()),
            ("chargePower", self.charge_power.is_some()),
            ("dischargePower", self.discharge_power.is_some()),
            ("gridSell", self.grid_sell.is_some()),
            ("isOn", self.is_on.is_some()),
            ("maxPowerFromGrid", self.max_power_from_grid.is_some()),
            ("maxPowerToGrid", self.max_power_to_grid.is_some()),
            ("sellPriceType", self.sell_price_type.is_some()),
        ]
        .into_iter()
        .filter(|(_, set)| !set)
        .map(|(name, _)| name)
        .collect()
    }

    fn validate(&self, method: DynamicEssMethod) -> Result<()> {
        let body = serde_json::to_value(self).unwrap_or(Value::Null);
        if body.as_object().is_none_or(Map::is_empty) {
            return Err(Error::invalid(
                "dynamic ess settings: nothing to change; expected at least one field",
            ));
        }
        if method == DynamicEssMethod::Post {
            let missing = self.missing();
            if !missing.is_empty() {
                return Err(Error::invalid(format!(
                    "dynamic ess settings: {} missing; expected every field POST requires \
                     (or use PATCH to change some)",
                    missing.join(", ")
                )));
            }
        }
        let check = |name: &str, value: Option<f64>, positive: bool| -> Result<()> {
            match value {
                Some(v) if !v.is_finite() || v < 0.0 || (positive && v == 0.0) => {
                    Err(Error::invalid(format!(
                        "dynamic ess {name} {v}: expected a finite number {}",
                        if positive { "> 0" } else { ">= 0" }
                    )))
                }
                _ => Ok(()),
            }
        };
        check("batteryCapacity", self.battery_capacity, true)?;
        check("batteryCosts", self.battery_costs, false)?;
        check("batteryPrice", self.battery_price, false)?;
        check("chargePower", self.charge_power, false)?;
        check("dischargePower", self.discharge_power, false)?;
        check("maxPowerFromGrid", self.max_power_from_grid, false)?;
        check("maxPowerToGrid", self.max_power_to_grid, false)?;
        check(
            "periodicFullChargeDuration",
            self.periodic_full_charge_duration,
            true,
        )?;
        check(
            "periodicFullChargeInterval",
            self.periodic_full_charge_interval,
            true,
        )?;
        for (name, value) in [
            ("buyPriceType", self.buy_price_type),
            ("sellPriceType", self.sell_price_type),
            ("gridSell", self.grid_sell),
        ] {
            if let Some(v) = value
                && v > 1
            {
                return Err(Error::invalid(format!(
                    "dynamic ess {name} {v}: expected 0 or 1"
                )));
            }
        }
        if let Some(r) = &self.battery_flow_restriction
            && !["unrestricted", "noExport", "noImport"].contains(&r.as_str())
        {
            return Err(Error::invalid(format!(
                "dynamic ess batteryFlowRestriction {r:?}: expected unrestricted, noExport or noImport"
            )));
        }
        for (name, schedule) in [
            ("buyPriceSchedule", &self.buy_price_schedule),
            ("sellPriceSchedule", &self.sell_price_schedule),
        ] {
            for days in schedule.iter().flatten() {
                if let Some(d) = days.days.iter().find(|&&d| d > 6) {
                    return Err(Error::invalid(format!(
                        "dynamic ess {name} day {d}: expected 0 (Monday) to 6 (Sunday)"
                    )));
                }
                for slot in &days.schedule {
                    let from = whole_hour(&slot.from, 23);
                    let to = whole_hour(&slot.to, 24);
                    if from.is_none() || to.is_none() || from >= to {
                        return Err(Error::invalid(format!(
                            "dynamic ess {name} slot {:?}-{:?}: expected whole hours \
                             like 00:00-05:00, from before to",
                            slot.from, slot.to
                        )));
                    }
                    if !slot.price.is_finite() {
                        return Err(Error::invalid(format!(
                            "dynamic ess {name} price {}: expected a finite number",
                            slot.price
                        )));
                    }
                }
            }
        }
        Ok(())
    }
}

/// `"HH:00"` with HH at most `max`, as its hour.
fn whole_hour(text: &str, max: u8) -> Option<u8> {
    let (h, m) = text.split_once(':')?;
    let hour: u8 = h.parse().ok().filter(|&h| h <= max)?;
    (h.len() == 2 && m == "00").then_some(hour)
}

impl SiteApi<'_> {
    fn dess_settings_request(&self, method: Method) -> Request {
        Request::new(
            method,
            "installations/{idSite}/dynamic-ess-settings",
            format!("installations/{}/dynamic-ess-settings", self.id()),
        )
    }

    /// The installation's Dynamic ESS configuration.
    ///
    /// `GET /installations/{idSite}/dynamic-ess-settings`, cached as
    /// [`CacheKind::DynamicEss`]. A site without one answers an API error
    /// (`"No settings found for this site"`).
    ///
    /// # Errors
    /// Transport, API and decode errors.
    ///
    /// ```no_run
    /// # fn main() -> vrm::Result<()> {
    /// let vrm = vrm::Client::builder().personal_token("…").build()?;
    /// let dess = vrm.site(vrm::SiteId(123)).dynamic_ess_settings()?;
    /// println!("on: {:?}", dess.is_on);
    /// # Ok(()) }
    /// ```
    pub fn dynamic_ess_settings(&self) -> Result<Fetched<DynamicEssSettings>> {
        let request = self.dess_settings_request(Method::Get);
        Ok(self
            .client()
            .call_json::<DynamicEssResponse>(
                request,
                Some((CacheKind::DynamicEss, Some(self.id().get()))),
            )?
            .map(|r| r.data))
    }

    /// Write the Dynamic ESS configuration; answers it as stored, when VRM
    /// sends it back.
    ///
    /// `POST /installations/{idSite}/dynamic-ess-settings` (the default:
    /// the spec's; a whole configuration) or `PATCH` (only what changes;
    /// see [`DynamicEssMethod`]). A write: never cached, refused offline;
    /// drops the site's cached Dynamic ESS answers.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for an empty change, a `POST` without a
    /// required field or a value out of range, with no request sent;
    /// transport and API errors.
    pub fn set_dynamic_ess_settings(
        &self,
        settings: &DynamicEssUpdate,
        method: DynamicEssMethod,
    ) -> Result<Fetched<Option<DynamicEssSettings>>> {
        settings.validate(method)?;
        let method = match method {
            DynamicEssMethod::Post => Method::Post,
            DynamicEssMethod::Patch => Method::Patch,
        };
        let request = self.dess_settings_request(method).json(settings)?;
        let stale = [(CacheKind::DynamicEss, Some(self.id().get()))];
        Ok(self
            .client()
            .write_json::<DynamicEssWriteResponse>(request, &stale)?
            .map(|r| r.data))
    }

    /// The plan Dynamic ESS made, as VRM sends it.
    ///
    /// `GET /installations/{idSite}/schedule-dynamic-ess?async=0` (in no
    /// spec; the form VRM's clients use), cached as
    /// [`CacheKind::DynamicEss`].
    ///
    /// # Errors
    /// Transport, API and decode errors.
    pub fn dynamic_ess_schedule(&self) -> Result<Fetched<DynamicEssSchedule>> {
        let request = Request::get(
            "installations/{idSite}/schedule-dynamic-ess",
            format!("installations/{}/schedule-dynamic-ess", self.id()),
        )
        .query("async", "0");
        Ok(self
            .client()
            .call_json::<DynamicEssScheduleResponse>(
                request,
                Some((CacheKind::DynamicEss, Some(self.id().get()))),
            )?
            .map(|r| DynamicEssSchedule { fields: r.rest }))
    }

    /// Adjust the consumption Dynamic ESS plans with: `body` is sent as
    /// given (no spec describes it); the answer is VRM's JSON without
    /// `success`.
    ///
    /// `POST /installations/{idSite}/adjust-consumption` (in no spec). A
    /// write: drops the site's cached Dynamic ESS answers.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for an empty body, with no request sent;
    /// transport and API errors.
    pub fn adjust_consumption(
        &self,
        body: &Map<String, Value>,
    ) -> Result<Fetched<Map<String, Value>>> {
        if body.is_empty() {
            return Err(Error::invalid(
                "adjust-consumption body {}: expected a JSON object with the adjustment",
            ));
        }
        let request = Request::new(
            Method::Post,
            "installations/{idSite}/adjust-consumption",
            format!("installations/{}/adjust-consumption", self.id()),
        )
        .json(body)?;
        let stale = [(CacheKind::DynamicEss, Some(self.id().get()))];
        Ok(self
            .client()
            .write_json::<DynamicEssScheduleResponse>(request, &stale)?
            .map(|r| r.rest))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn full() -> DynamicEssUpdate {
        let mut u = DynamicEssUpdate::new();
        u.battery_capacity = Some(10.0);
        u.battery_costs = Some(0.02);
        u.battery_flow_restriction = Some("unrestricted".into());
        u.buy_price_type = Some(1);
        u.charge_power = Some(10.0);
        u.discharge_power = Some(10.0);
        u.grid_sell = Some(1);
        u.is_on = Some(true);
        u.max_power_from_grid = Some(10.0);
        u.max_power_to_grid = Some(10.0);
        u.sell_price_type = Some(1);
        u
    }

    #[test]
    fn post_needs_every_required_field_patch_one() {
        assert!(full().validate(DynamicEssMethod::Post).is_ok());
        let mut one = DynamicEssUpdate::new();
        one.is_on = Some(false);
        let e = one
            .validate(DynamicEssMethod::Post)
            .unwrap_err()
            .to_string();
        assert!(e.contains("batteryCapacity") && !e.contains("isOn,"), "{e}");
        assert!(one.validate(DynamicEssMethod::Patch).is_ok());
        let e = DynamicEssUpdate::new()
            .validate(DynamicEssMethod::Patch)
            .unwrap_err()
            .to_string();
        assert!(e.contains("at least one field"), "{e}");
        assert_eq!(
            serde_json::to_value(&one).unwrap(),
            serde_json::json!({"isOn": false})
        );
    }

    #[test]
    fn ranges_are_checked_locally() {
        let mut u = full();
        u.battery_capacity = Some(0.0);
        assert!(u.validate(DynamicEssMethod::Post).is_err());
        let mut u = full();
        u.grid_sell = Some(2);
        assert!(u.validate(DynamicEssMethod::Post).is_err());
        let mut u = full();
        u.battery_flow_restriction = Some("sometimes".into());
        assert!(u.validate(DynamicEssMethod::Post).is_err());
        let mut u = full();
        u.buy_price_schedule = Some(vec![PriceDays::new(
            [0, 1],
            vec![PriceSlot::new("00:00", "05:00", 0.41)],
        )]);
        assert!(u.validate(DynamicEssMethod::Post).is_ok());
        u.buy_price_schedule = Some(vec![PriceDays::new(
            [7],
            vec![PriceSlot::new("00:00", "05:00", 0.41)],
        )]);
        assert!(u.validate(DynamicEssMethod::Post).is_err());
        u.buy_price_schedule = Some(vec![PriceDays::new(
            [0],
            vec![PriceSlot::new("05:30", "05:00", 0.41)],
        )]);
        assert!(u.validate(DynamicEssMethod::Post).is_err());
    }
}
