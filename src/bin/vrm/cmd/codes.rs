//! `vrm codes`: the attribute catalogue of the VRM doc.

use std::io::Write;

use clap::Args;
use serde_json::{Value, json};

use crate::commands::*;
use crate::output::{Format, Output, Table};
use crate::{Cli, Out};

#[derive(Debug, Args)]
pub struct CodesArgs {
    /// Words to look for in code or description.
    pub search: Option<String>,
    /// Only this device type (Battery Monitor, Solar Charger, …).
    #[arg(long, value_name = "TYPE")]
    pub device: Option<String>,
    #[command(flatten)]
    pub out: Out,
}

/// `vrm codes`.
pub fn codes(cli: &Cli, args: &CodesArgs, out: &mut dyn Write) -> Result<()> {
    let CodesArgs {
        search,
        device,
        out: o,
    } = args;
    list_codes(search.as_deref(), device.as_deref(), format_of(cli, o), out)
}

fn list_codes(
    search: Option<&str>,
    device: Option<&str>,
    format: Format,
    out: &mut dyn Write,
) -> Result<()> {
    // Both tables (attributes and energy codes): an empty search matches all.
    let mut rows: Vec<&'static vrm::catalog::Attribute> =
        vrm::catalog::search(search.unwrap_or("")).collect();
    if let Some(device) = device {
        let types = vrm::catalog::device_types();
        if !types.iter().any(|t| t.eq_ignore_ascii_case(device)) {
            return Err(usage(format!(
                "--device {device:?}: expected one of {}",
                types.join(", ")
            )));
        }
        rows.retain(|a| a.device_type.eq_ignore_ascii_case(device));
    }
    let mut table = Table::new(["code", "device type", "data type", "description"]);
    let mut data = Vec::new();
    for a in &rows {
        table.push(vec![
            a.code.to_owned(),
            a.device_type.to_owned(),
            a.data_type.as_str().to_owned(),
            a.description.to_owned(),
        ]);
        data.push(json!({
            "code": a.code,
            "device_type": a.device_type,
            "data_type": a.data_type.as_str(),
            "description": a.description,
        }));
    }
    let output = Output::local(Value::Array(data), table);
    emit(&output, format, out)
}
