//! `vrm alarms list|add|edit|remove|clear|log SITE …`: the alarms of an
//! installation.

use std::io::Write;

use clap::{Args, Subcommand};
use serde_json::json;
use vrm::{AlarmId, AlarmLogQuery, AlarmSpec};

use crate::commands::{Result, client, emit, format_of, site_id, time_text, to_json, window};
use crate::output::{Output, Table, num, text};
use crate::{Cli, MaybeWindow, Out, Window};

/// What an alarm to add or edit is.
#[derive(Debug, Args)]
pub struct AlarmFields {
    /// The data attribute it watches (VRM's idDataAttribute).
    #[arg(long, value_name = "ID")]
    pub attribute: u64,
    /// The device instance.
    #[arg(long, default_value_t = 0)]
    pub instance: u32,
    /// Seconds the condition must last before anyone is notified.
    #[arg(long, value_name = "SECONDS")]
    pub notify_after: u64,
    /// Goes off above this value (a number alarm).
    #[arg(long, value_name = "VALUE", allow_hyphen_values = true)]
    pub high: Option<f64>,
    /// Clears this far below --high.
    #[arg(long, value_name = "VALUE", default_value_t = 0.0)]
    pub high_hysteresis: f64,
    /// Goes off below this value (a number alarm).
    #[arg(long, value_name = "VALUE", allow_hyphen_values = true)]
    pub low: Option<f64>,
    /// Clears this far above --low.
    #[arg(long, value_name = "VALUE", default_value_t = 0.0)]
    pub low_hysteresis: f64,
    /// Goes off in these enum values, comma separated (an enum alarm;
    /// instead of --high/--low).
    #[arg(long = "enum-values", value_name = "N,N", value_delimiter = ',', conflicts_with_all = ["high", "low"])]
    pub enum_values: Vec<u64>,
    /// Set up, but off.
    #[arg(long)]
    pub disabled: bool,
}

impl AlarmFields {
    fn spec(&self) -> AlarmSpec {
        let spec = if self.enum_values.is_empty() {
            let mut spec = AlarmSpec::number(self.attribute, self.instance, self.notify_after);
            if let Some(high) = self.high {
                spec = spec.high(high, self.high_hysteresis);
            }
            if let Some(low) = self.low {
                spec = spec.low(low, self.low_hysteresis);
            }
            spec
        } else {
            AlarmSpec::on_enum(
                self.attribute,
                self.instance,
                self.enum_values.iter().copied(),
                self.notify_after,
            )
        };
        spec.enabled(!self.disabled)
    }
}

/// `vrm alarms …`.
#[derive(Debug, Subcommand)]
pub enum AlarmsAction {
    /// The alarms set up on an installation.
    List {
        /// Installation id.
        site: String,
        #[command(flatten)]
        out: Out,
    },
    /// Add an alarm: --high/--low for a number, --enum-values for an enum.
    Add {
        /// Installation id.
        site: String,
        #[command(flatten)]
        fields: AlarmFields,
        #[command(flatten)]
        out: Out,
    },
    /// Change the alarm on an attribute and instance.
    Edit {
        /// Installation id.
        site: String,
        #[command(flatten)]
        fields: AlarmFields,
        #[command(flatten)]
        out: Out,
    },
    /// Remove the alarm on an attribute and instance.
    Remove {
        /// Installation id.
        site: String,
        /// The data attribute (VRM's idDataAttribute).
        #[arg(long, value_name = "ID")]
        attribute: u64,
        /// The device instance.
        #[arg(long, default_value_t = 0)]
        instance: u32,
        /// Needed when stdin is not a terminal.
        #[arg(long)]
        yes: bool,
        #[command(flatten)]
        out: Out,
    },
    /// Clear an alarm that went off.
    Clear {
        /// Installation id.
        site: String,
        /// The alarm's id.
        alarm: u64,
        #[command(flatten)]
        out: Out,
    },
    /// The alarms that went off.
    Log {
        /// Installation id.
        site: String,
        /// Entries a page.
        #[arg(long)]
        count: Option<u32>,
        /// The page, from 1.
        #[arg(long)]
        page: Option<u32>,
        #[command(flatten)]
        window: MaybeWindow,
        #[command(flatten)]
        out: Out,
    },
}

/// `vrm alarms …`.
pub fn run(cli: &Cli, action: &AlarmsAction, out: &mut dyn Write) -> Result<()> {
    match action {
        AlarmsAction::List { site, out: o } => {
            let site = site_id(site)?;
            let client = client(cli, false)?;
            let alarms = client.site(site).alarms()?;
            let mut table = Table::new([
                "attribute",
                "instance",
                "enabled",
                "notify after s",
                "low",
                "low hyst",
                "high",
                "high hyst",
                "enum values",
            ])
            .numeric(&[0, 1, 3, 4, 5, 6, 7]);
            for a in &alarms.alarms {
                let opt = |v: Option<u64>| v.map(|v| v.to_string()).unwrap_or_default();
                table.push(vec![
                    opt(a.id_data_attribute),
                    opt(a.instance),
                    a.enabled
                        .map(|e| if e { "yes" } else { "no" }.to_owned())
                        .unwrap_or_default(),
                    opt(a.notify_after_seconds),
                    num(a.low_alarm),
                    num(a.low_alarm_hysteresis),
                    num(a.high_alarm),
                    num(a.high_alarm_hysteresis),
                    a.enum_values
                        .iter()
                        .map(u64::to_string)
                        .collect::<Vec<_>>()
                        .join(","),
                ]);
            }
            let data = json!({ "site": site.get(), "alarms": to_json(alarms.value()) });
            emit(&Output::from(&alarms, data, table), format_of(cli, o), out)
        }
        AlarmsAction::Add {
            site,
            fields,
            out: o,
        }
        | AlarmsAction::Edit {
            site,
            fields,
            out: o,
        } => {
            let adding = matches!(action, AlarmsAction::Add { .. });
            let site = site_id(site)?;
            let spec = fields.spec();
            let client = client(cli, false)?;
            let api = client.site(site);
            let stored = if adding {
                api.add_alarm(&spec)?
            } else {
                api.edit_alarm(&spec)?
            };
            let what = format!(
                "alarm on attribute {} {}",
                fields.attribute,
                if adding { "added" } else { "changed" }
            );
            let data = json!({ "alarm": to_json(stored.value()) });
            emit(
                &super::settings::done(&stored, site, &what, data),
                format_of(cli, o),
                out,
            )
        }
        AlarmsAction::Remove {
            site,
            attribute,
            instance,
            yes,
            out: o,
        } => {
            let site = site_id(site)?;
            super::confirm(
                *yes,
                &format!(
                    "remove the alarm on attribute {attribute} instance {instance} of installation {site}"
                ),
            )?;
            let client = client(cli, false)?;
            let answer = client.site(site).remove_alarm(*attribute, *instance)?;
            let data = json!({ "attribute": attribute, "instance": instance });
            emit(
                &super::settings::done(
                    &answer,
                    site,
                    &format!("alarm on attribute {attribute} removed"),
                    data,
                ),
                format_of(cli, o),
                out,
            )
        }
        AlarmsAction::Clear {
            site,
            alarm,
            out: o,
        } => {
            let site = site_id(site)?;
            let client = client(cli, false)?;
            let answer = client.site(site).clear_alarm(AlarmId(*alarm))?;
            emit(
                &super::settings::done(
                    &answer,
                    site,
                    &format!("alarm {alarm} cleared"),
                    json!({ "alarm": alarm }),
                ),
                format_of(cli, o),
                out,
            )
        }
        AlarmsAction::Log {
            site,
            count,
            page,
            window: w,
            out: o,
        } => {
            let site = site_id(site)?;
            let mut query = AlarmLogQuery::new();
            if let Some(count) = count {
                query = query.count(*count);
            }
            if let Some(page) = page {
                query = query.page(*page);
            }
            if let (Some(from), Some(to)) = (&w.from, &w.to) {
                query = query.window(window(&Window {
                    from: from.clone(),
                    to: to.clone(),
                })?);
            }
            let client = client(cli, false)?;
            let log = client.site(site).alarm_log(&query)?;
            let mut table = Table::new([
                "id",
                "started",
                "cleared",
                "description",
                "attribute",
                "instance",
                "value",
            ]);
            for e in &log.entries {
                let opt = |v: Option<u64>| v.map(|v| v.to_string()).unwrap_or_default();
                table.push(vec![
                    opt(e.id),
                    time_text(e.started),
                    match e.cleared.filter(|&t| t > 0) {
                        Some(t) => time_text(Some(t)),
                        None => "active".into(),
                    },
                    text(e.description.as_deref()),
                    opt(e.id_data_attribute),
                    opt(e.instance),
                    text(e.value.as_deref()),
                ]);
            }
            let mut output = Output::from(
                &log,
                json!({ "site": site.get(), "log": to_json(log.value()) }),
                table,
            );
            if let Some(total) = log.total {
                output = output.note(format!("{} of {total} entries", log.entries.len()));
            }
            emit(&output, format_of(cli, o), out)
        }
    }
}
