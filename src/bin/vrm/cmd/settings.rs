//! `vrm settings SITE …`, `vrm favorite SITE`, `vrm forecasts …` and
//! `vrm custom-widget …`: what one installation is set to. Also the output
//! of a write, shared by the site family's commands.

use std::io::Write;

use clap::builder::BoolishValueParser;
use clap::{Args, Subcommand};
use serde_json::{Map, Value, json};
use vrm::{CustomWidgetSpec, Fetched, SiteId, SiteSettings};

use crate::commands::{Result, client, emit, format_of, site_id, time_text, to_json, usage};
use crate::output::{Output, Table, cell};
use crate::{Cli, Out};

/// The output of a write VRM accepted: a one-row table (`site`, `done`)
/// and the JSON `{"site", "done", …data}`.
pub fn done<T>(fetched: &Fetched<T>, site: SiteId, what: &str, data: Value) -> Output {
    let mut table = Table::new(["site", "done"]);
    table.push(vec![site.to_string(), what.to_owned()]);
    let mut json = json!({ "site": site.get(), "done": what });
    if let (Some(object), Value::Object(extra)) = (json.as_object_mut(), data) {
        object.extend(extra);
    }
    Output::from(fetched, json, table)
}

/// A `field`/`value` table of a JSON object's fields (nested values as
/// JSON text).
pub fn fields_table(value: &Value) -> Table {
    let mut table = Table::new(["field", "value"]);
    if let Value::Object(fields) = value {
        for (key, value) in fields {
            table.push(vec![key.clone(), cell(value)]);
        }
    }
    table
}

/// A JSON object given as an option: its text, @FILE or @-.
pub fn json_object(text: &str, option: &str) -> Result<Map<String, Value>> {
    match super::json_body(text)? {
        Value::Object(map) => Ok(map),
        other => Err(usage(format!(
            "{option}: {} is not a JSON object; expected {{\"key\": value, …}}",
            match other {
                Value::Array(_) => "a list",
                Value::String(_) => "a string",
                Value::Number(_) => "a number",
                Value::Bool(_) => "a boolean",
                _ => "null",
            }
        ))),
    }
}

/// The arguments of `vrm settings`.
#[derive(Debug, Args)]
pub struct SettingsArgs {
    /// Installation id.
    pub site: String,
    /// The installation's name.
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,
    /// Notes.
    #[arg(long)]
    pub notes: Option<String>,
    /// The phone number.
    #[arg(long, value_name = "NUMBER")]
    pub phone: Option<String>,
    /// The no-data alarm's timeout, seconds.
    #[arg(long, value_name = "SECONDS")]
    pub no_data_alarm_timeout: Option<u64>,
    /// The no-data alarm on or off.
    #[arg(long, value_name = "on|off", value_parser = BoolishValueParser::new())]
    pub no_data_alarm: Option<bool>,
    /// Geofence settings: a JSON object, @FILE or @-.
    #[arg(long, value_name = "JSON|@FILE")]
    pub geofence: Option<String>,
    /// The geofence on or off.
    #[arg(long, value_name = "on|off", value_parser = BoolishValueParser::new())]
    pub geofence_enabled: Option<bool>,
    /// Alarm monitoring on or off.
    #[arg(long, value_name = "on|off", value_parser = BoolishValueParser::new())]
    pub alarm_monitoring: Option<bool>,
    /// Real-time updates on or off.
    #[arg(long, value_name = "on|off", value_parser = BoolishValueParser::new())]
    pub realtime_updates: Option<bool>,
    /// Node-RED access restricted, on or off.
    #[arg(long, value_name = "on|off", value_parser = BoolishValueParser::new())]
    pub restrict_node_red: Option<bool>,
    /// Inverter/charger control on or off.
    #[arg(long, value_name = "on|off", value_parser = BoolishValueParser::new())]
    pub inverter_charger_control: Option<bool>,
    #[command(flatten)]
    pub out: Out,
}

/// `vrm settings SITE …`: change what is given (at least one).
pub fn run_settings(cli: &Cli, args: &SettingsArgs, out: &mut dyn Write) -> Result<()> {
    let site = site_id(&args.site)?;
    let mut change = SiteSettings::new();
    change.description = args.name.clone();
    change.notes = args.notes.clone();
    change.phone_number = args.phone.clone();
    change.no_data_alarm_timeout = args.no_data_alarm_timeout;
    change.no_data_alarm_active = args.no_data_alarm;
    change.geofence = args
        .geofence
        .as_deref()
        .map(|g| json_object(g, "--geofence"))
        .transpose()?;
    change.geofence_enabled = args.geofence_enabled;
    change.alarm_monitoring = args.alarm_monitoring;
    change.realtime_updates = args.realtime_updates;
    change.restrict_node_red = args.restrict_node_red;
    change.inverter_charger_control = args.inverter_charger_control;
    let client = client(cli, false)?;
    let stored = client.site(site).set_settings(&change)?;
    let output = done(
        &stored,
        site,
        "settings changed",
        json!({ "settings": stored.value() }),
    );
    emit(&output, format_of(cli, &args.out), out)
}

/// The arguments of `vrm favorite`.
#[derive(Debug, Args)]
pub struct FavoriteArgs {
    /// Installation id.
    pub site: String,
    /// Unmark it instead.
    #[arg(long)]
    pub off: bool,
    #[command(flatten)]
    pub out: Out,
}

/// `vrm favorite SITE [--off]`.
pub fn run_favorite(cli: &Cli, args: &FavoriteArgs, out: &mut dyn Write) -> Result<()> {
    let site = site_id(&args.site)?;
    let client = client(cli, false)?;
    let answer = client.site(site).set_favorite(!args.off)?;
    let what = if args.off {
        "favorite unmarked"
    } else {
        "favorite marked"
    };
    emit(
        &done(&answer, site, what, json!({ "favorite": !args.off })),
        format_of(cli, &args.out),
        out,
    )
}

/// `vrm forecasts …`.
#[derive(Debug, Subcommand)]
pub enum ForecastsAction {
    /// When the forecasts were last reset.
    LastReset {
        /// Installation id.
        site: String,
        /// The reset type (VRM's resetType).
        #[arg(long = "type", value_name = "N", default_value_t = 0)]
        reset_type: u32,
        #[command(flatten)]
        out: Out,
    },
    /// Reset the forecasts: the model forgets the data before now.
    Reset {
        /// Installation id.
        site: String,
        /// The reset type (VRM's resetType).
        #[arg(long = "type", value_name = "N", default_value_t = 0)]
        reset_type: u32,
        /// Needed when stdin is not a terminal.
        #[arg(long)]
        yes: bool,
        #[command(flatten)]
        out: Out,
    },
}

/// `vrm forecasts last-reset|reset SITE`.
pub fn run_forecasts(cli: &Cli, action: &ForecastsAction, out: &mut dyn Write) -> Result<()> {
    match action {
        ForecastsAction::LastReset {
            site,
            reset_type,
            out: o,
        } => {
            let site = site_id(site)?;
            let client = client(cli, false)?;
            let at = client.site(site).forecasts_last_reset(*reset_type)?;
            let unix = at.value().map(|t| t.unix_timestamp());
            let mut table = Table::new(["site", "last reset"]);
            table.push(vec![
                site.to_string(),
                if unix.is_some() {
                    time_text(unix)
                } else {
                    "never".into()
                },
            ]);
            let data = json!({ "site": site.get(), "reset_type": reset_type, "last_reset": unix });
            emit(&Output::from(&at, data, table), format_of(cli, o), out)
        }
        ForecastsAction::Reset {
            site,
            reset_type,
            yes,
            out: o,
        } => {
            let site = site_id(site)?;
            super::confirm(*yes, &format!("reset the forecasts of installation {site}"))?;
            let client = client(cli, false)?;
            let answer = client.site(site).reset_forecasts(*reset_type)?;
            emit(
                &done(
                    &answer,
                    site,
                    "forecasts reset",
                    json!({ "reset_type": reset_type }),
                ),
                format_of(cli, o),
                out,
            )
        }
    }
}

/// A custom widget's fields, for add and edit.
#[derive(Debug, Args)]
pub struct WidgetFields {
    /// The widget's name.
    #[arg(long)]
    pub name: String,
    /// VRM's yAxisScaling.
    #[arg(long, value_name = "N", allow_hyphen_values = true)]
    pub y_axis_scaling: i64,
    /// The widget's parameters: a JSON object, @FILE or @-.
    #[arg(long, value_name = "JSON|@FILE")]
    pub parameters: String,
    /// Only admins see it: on or off.
    #[arg(long, value_name = "on|off", value_parser = BoolishValueParser::new())]
    pub only_admins: Option<bool>,
}

impl WidgetFields {
    fn spec(&self) -> Result<CustomWidgetSpec> {
        let parameters = json_object(&self.parameters, "--parameters")?;
        let spec = CustomWidgetSpec::new(self.name.clone(), self.y_axis_scaling, parameters);
        Ok(match self.only_admins {
            Some(only) => spec.only_admins(only),
            None => spec,
        })
    }
}

/// `vrm custom-widget …`.
#[derive(Debug, Subcommand)]
pub enum CustomWidgetAction {
    /// One custom widget.
    Get {
        /// Installation id.
        site: String,
        /// The widget's id.
        id: u64,
        #[command(flatten)]
        out: Out,
    },
    /// Add a custom widget.
    Add {
        /// Installation id.
        site: String,
        #[command(flatten)]
        fields: WidgetFields,
        #[command(flatten)]
        out: Out,
    },
    /// Change a custom widget.
    Edit {
        /// Installation id.
        site: String,
        /// The widget's id.
        id: u64,
        #[command(flatten)]
        fields: WidgetFields,
        #[command(flatten)]
        out: Out,
    },
    /// Remove a custom widget.
    Remove {
        /// Installation id.
        site: String,
        /// The widget's id.
        id: u64,
        /// Needed when stdin is not a terminal.
        #[arg(long)]
        yes: bool,
        #[command(flatten)]
        out: Out,
    },
}

/// `vrm custom-widget get|add|edit|remove SITE …`.
pub fn run_custom_widget(
    cli: &Cli,
    action: &CustomWidgetAction,
    out: &mut dyn Write,
) -> Result<()> {
    match action {
        CustomWidgetAction::Get { site, id, out: o } => {
            let site = site_id(site)?;
            let client = client(cli, false)?;
            let widget = client.site(site).custom_widget(*id)?;
            let data = to_json(widget.value());
            let table = fields_table(&data);
            emit(&Output::from(&widget, data, table), format_of(cli, o), out)
        }
        CustomWidgetAction::Add {
            site,
            fields,
            out: o,
        } => {
            let site = site_id(site)?;
            let spec = fields.spec()?;
            let client = client(cli, false)?;
            let id = client.site(site).add_custom_widget(&spec)?;
            let what = match id.value() {
                Some(id) => format!("custom widget {id} added"),
                None => "custom widget added".to_owned(),
            };
            emit(
                &done(&id, site, &what, json!({ "id": id.value() })),
                format_of(cli, o),
                out,
            )
        }
        CustomWidgetAction::Edit {
            site,
            id,
            fields,
            out: o,
        } => {
            let site = site_id(site)?;
            let spec = fields.spec()?;
            let client = client(cli, false)?;
            let answer = client.site(site).edit_custom_widget(*id, &spec)?;
            emit(
                &done(
                    &answer,
                    site,
                    &format!("custom widget {id} changed"),
                    json!({ "id": id }),
                ),
                format_of(cli, o),
                out,
            )
        }
        CustomWidgetAction::Remove {
            site,
            id,
            yes,
            out: o,
        } => {
            let site = site_id(site)?;
            super::confirm(
                *yes,
                &format!("remove custom widget {id} of installation {site}"),
            )?;
            let client = client(cli, false)?;
            let answer = client.site(site).remove_custom_widget(*id)?;
            emit(
                &done(
                    &answer,
                    site,
                    &format!("custom widget {id} removed"),
                    json!({ "id": id }),
                ),
                format_of(cli, o),
                out,
            )
        }
    }
}
