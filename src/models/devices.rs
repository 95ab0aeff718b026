//! `GET /installations/{idSite}/system-overview`.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use time::OffsetDateTime;

use super::de;
use crate::ids::SiteId;

/// The answer of `GET /installations/{idSite}/system-overview`.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[non_exhaustive]
pub struct SystemOverviewResponse {
    /// The devices of the installation.
    pub records: SystemOverview,
}

/// The devices connected to an installation.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[non_exhaustive]
pub struct SystemOverview {
    /// The configured devices.
    #[serde(default, deserialize_with = "de::list_or_empty")]
    pub devices: Vec<Device>,
    /// Devices VRM sees but that are not configured. VRM sends `false` for
    /// none (→ empty) or a list, kept as sent; see
    /// [`unconfigured`](Self::unconfigured) for typed access.
    #[serde(default, deserialize_with = "de::list_or_empty")]
    pub unconfigured_devices: Vec<Value>,
    /// Fields this crate does not know, kept as sent.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl SystemOverview {
    /// The unconfigured devices that decode as [`Device`] (objects do).
    pub fn unconfigured(&self) -> Vec<Device> {
        self.unconfigured_devices
            .iter()
            .filter_map(|v| Device::deserialize(v).ok())
            .collect()
    }

    /// The devices of one device type (`id_device_type`).
    pub fn devices_of_type(&self, id_device_type: u64) -> impl Iterator<Item = &Device> {
        self.devices
            .iter()
            .filter(move |d| d.id_device_type == Some(id_device_type))
    }

    /// The gateway (GX device), if listed.
    pub fn gateway(&self) -> Option<&Device> {
        self.devices
            .iter()
            .find(|d| d.name.as_deref() == Some("Gateway"))
    }
}

/// One device of an installation: the GX gateway, a VE.Bus system, a
/// battery monitor, a solar charger, a tank sensor, …
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[non_exhaustive]
pub struct Device {
    /// The device kind's name (`"Gateway"`, `"Solar Charger"`, …).
    #[serde(default, deserialize_with = "de::opt_string")]
    pub name: Option<String>,
    /// The name the user gave it (`""` or `None` when unset).
    #[serde(rename = "customName", default, deserialize_with = "de::opt_string")]
    pub custom_name: Option<String>,
    /// Victron product code (`"C00A"`, `"a057"`).
    #[serde(rename = "productCode", default, deserialize_with = "de::opt_string")]
    pub product_code: Option<String>,
    /// Product name (`"Cerbo GX"`).
    #[serde(rename = "productName", default, deserialize_with = "de::opt_string")]
    pub product_name: Option<String>,
    /// The installation the device belongs to.
    #[serde(rename = "idSite", default, deserialize_with = "de::opt_id")]
    pub id_site: Option<SiteId>,
    /// Firmware version (`"v3.72"`).
    #[serde(
        rename = "firmwareVersion",
        default,
        deserialize_with = "de::opt_string"
    )]
    pub firmware_version: Option<String>,
    /// When the device was last seen, unix seconds (`false` → `None`).
    #[serde(rename = "lastConnection", default, deserialize_with = "de::opt_i64")]
    pub last_connection: Option<i64>,
    /// VRM styling classes (`"device-gateway device-icon-cerbo-gx"`).
    #[serde(default, deserialize_with = "de::opt_string")]
    pub class: Option<String>,
    /// Expected seconds between logs (gateway only; `false` → `None`).
    #[serde(rename = "loggingInterval", default, deserialize_with = "de::opt_u64")]
    pub logging_interval: Option<u64>,
    /// The device instance: what `instance=` of widgets and
    /// `show_instance` stats refer to.
    #[serde(default, deserialize_with = "de::opt_u32")]
    pub instance: Option<u32>,
    /// The device type id.
    #[serde(rename = "idDeviceType", default, deserialize_with = "de::opt_u64")]
    pub id_device_type: Option<u64>,
    /// The gateway's VRM portal id (hidden for the demo user).
    #[serde(default, deserialize_with = "de::opt_string")]
    pub identifier: Option<String>,
    /// The gateway's last power-up or restart, unix seconds.
    #[serde(
        rename = "lastPowerUpOrRestart",
        default,
        deserialize_with = "de::opt_i64"
    )]
    pub last_power_up_or_restart: Option<i64>,
    /// The device's settings, kept as sent.
    #[serde(default, deserialize_with = "de::list_or_empty")]
    pub settings: Vec<Value>,
    /// Fields this crate does not know (`remoteOnLan`, `vid`, `vmc`, …),
    /// kept as sent.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Device {
    /// The custom name when set (non-empty), else the product name, else
    /// the device kind's name.
    pub fn display_name(&self) -> Option<&str> {
        [&self.custom_name, &self.product_name, &self.name]
            .into_iter()
            .filter_map(|n| n.as_deref())
            .find(|n| !n.is_empty())
    }

    /// When the device was last seen.
    pub fn last_connection_time(&self) -> Option<OffsetDateTime> {
        self.last_connection.and_then(de::unix_s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn live_system_overview() {
        let r: SystemOverviewResponse =
            serde_json::from_str(include_str!("../../tests/fixtures/system_overview.json"))
                .unwrap();
        let o = &r.records;
        assert_eq!(o.devices.len(), 9);
        assert!(o.unconfigured_devices.is_empty());
        let gw = o.gateway().unwrap();
        assert_eq!(gw.product_name.as_deref(), Some("Cerbo GX"));
        assert_eq!(gw.product_code.as_deref(), Some("C00A"));
        assert_eq!(gw.custom_name, None);
        assert_eq!(gw.id_site, Some(SiteId(151_734)));
        assert_eq!(gw.firmware_version.as_deref(), Some("v3.72"));
        assert_eq!(gw.last_connection, Some(1_776_515_873));
        assert_eq!(
            gw.last_connection_time().map(|t| t.unix_timestamp()),
            Some(1_776_515_873)
        );
        assert_eq!(gw.logging_interval, Some(60));
        assert_eq!(gw.instance, None);
        assert_eq!(gw.last_power_up_or_restart, Some(1_774_923_378));
        assert_eq!(gw.identifier, None);
        assert_eq!(gw.extra.get("remoteSupportPort"), Some(&Value::from(26318)));
        assert_eq!(gw.extra.get("autoUpdate"), Some(&Value::from("On")));

        let vebus = &o.devices[1];
        assert_eq!(vebus.custom_name.as_deref(), Some(""));
        assert_eq!(vebus.display_name(), Some("MultiPlus 12/3000/120-50"));
        assert_eq!(vebus.instance, Some(257));
        assert_eq!(vebus.id_device_type, Some(1));
        assert_eq!(vebus.extra["vid"]["devicesPerPhase"]["L1"], Value::from(1));
        assert_eq!(vebus.extra.get("vmc"), Some(&Value::from("VE.Bus")));

        let tanks: Vec<_> = o.devices_of_type(5).collect();
        assert_eq!(tanks.len(), 2);
        assert_eq!(tanks[0].display_name(), Some("Fresh water tank"));
        assert_eq!(tanks[1].instance, Some(21));
        assert_eq!(tanks[0].firmware_version, None);

        let back: SystemOverviewResponse =
            serde_json::from_str(&serde_json::to_string(&r).unwrap()).unwrap();
        assert_eq!(back, r);
    }

    #[test]
    fn doc_system_overview() {
        let r: SystemOverviewResponse = serde_json::from_str(include_str!(
            "../../tests/fixtures/system_overview_doc.json"
        ))
        .unwrap();
        let o = &r.records;
        assert_eq!(o.devices.len(), 2);
        assert!(o.unconfigured_devices.is_empty()); // `false` in the doc
        assert_eq!(o.devices[0].product_name.as_deref(), Some("Venus GX"));
        assert_eq!(o.devices[0].product_code.as_deref(), Some(""));
        assert_eq!(o.devices[0].last_power_up_or_restart, Some(1_504_551_552));
        assert_eq!(o.devices[1].class, None); // `null`
        assert_eq!(o.devices[1].instance, Some(23));
        assert!(o.devices[1].settings.is_empty());
    }

    #[test]
    fn quirks() {
        let json = r#"{"success":true,"records":{"devices":[{"name":"Gateway","lastConnection":"1505459195",
            "loggingInterval":false,"instance":"7","idSite":"3","settings":false,"productId":false}],
            "unconfigured_devices":[{"name":"Solar Charger","productCode":"a04c","instance":1},"weird"],
            "newThing":true}}"#;
        let r: SystemOverviewResponse = serde_json::from_str(json).unwrap();
        let d = &r.records.devices[0];
        assert_eq!(d.last_connection, Some(1_505_459_195));
        assert_eq!(d.logging_interval, None);
        assert_eq!(d.instance, Some(7));
        assert_eq!(d.id_site, Some(SiteId(3)));
        assert_eq!(d.extra.get("productId"), Some(&Value::Bool(false)));
        assert_eq!(r.records.unconfigured_devices.len(), 2);
        let un = r.records.unconfigured();
        assert_eq!(un.len(), 1);
        assert_eq!(un[0].product_code.as_deref(), Some("a04c"));
        assert_eq!(r.records.extra.get("newThing"), Some(&Value::Bool(true)));

        let r: SystemOverviewResponse =
            serde_json::from_str(r#"{"records":{"devices":false,"unconfigured_devices":true}}"#)
                .unwrap();
        assert!(r.records.devices.is_empty() && r.records.unconfigured_devices.is_empty());
        assert!(
            serde_json::from_str::<SystemOverviewResponse>(r#"{"success":false,"errors":"x"}"#)
                .is_err()
        );
    }
}
