//! Diagnostics history: a row only when a value changed, kept for a bounded
//! time, so a site polled every minute does not grow the file without end.

use std::collections::HashMap;

use rusqlite::types::Value as SqlValue;
use rusqlite::{Connection, TransactionBehavior, params};
use serde_json::Value;

use super::{SqliteStore, from_sql_id, to_sql_id};
use crate::error::Result;
use crate::models::DiagnosticRecord;
use crate::store::DiagnosticChange;
use time::OffsetDateTime;

/// Trim the history at most this often (seconds): it scans the site's rows.
const TRIM_EVERY: i64 = 3600;

fn to_sql(value: Option<&Value>) -> SqlValue {
    match value {
        None | Some(Value::Null) => SqlValue::Null,
        Some(Value::Bool(b)) => SqlValue::Integer(i64::from(*b)),
        Some(Value::Number(n)) => match (n.as_i64(), n.as_f64()) {
            (Some(i), _) => SqlValue::Integer(i),
            (None, Some(f)) => SqlValue::Real(f),
            (None, None) => SqlValue::Text(n.to_string()),
        },
        Some(Value::String(s)) => SqlValue::Text(s.clone()),
        Some(other) => SqlValue::Text(other.to_string()),
    }
}

fn from_sql(value: SqlValue) -> Value {
    match value {
        SqlValue::Null => Value::Null,
        SqlValue::Integer(i) => Value::from(i),
        SqlValue::Real(f) => serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number),
        SqlValue::Text(s) => Value::String(s),
        SqlValue::Blob(b) => Value::String(String::from_utf8_lossy(&b).into_owned()),
    }
}

fn instance_of(record: &DiagnosticRecord) -> i64 {
    record.instance.map_or(-1, i64::from)
}

impl SqliteStore {
    /// Add a diagnostics snapshot to the history: a row for each value that
    /// changed since the previous snapshot. Returns the rows written.
    pub(crate) fn record_diagnostics(
        &self,
        scope: i64,
        site: u64,
        records: &[DiagnosticRecord],
        now: i64,
        retention_secs: i64,
    ) -> Result<usize> {
        let trim = {
            let mut last = self
                .inner
                .last_trim
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            let due = now.saturating_sub(*last) >= TRIM_EVERY;
            if due {
                *last = now;
            }
            due
        };
        let mut conn = self.conn();
        let run = |conn: &mut Connection| -> rusqlite::Result<usize> {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let site = to_sql_id(site);
            let mut written = 0;
            {
                // The previous values of the site, in one query.
                let mut current = tx.prepare_cached(
                    "SELECT attribute, instance, value FROM diag_current
                     WHERE scope = ?1 AND site = ?2",
                )?;
                let before: HashMap<(i64, i64), SqlValue> = current
                    .query_map(params![scope, site], |r| {
                        Ok(((r.get(0)?, r.get(1)?), r.get(2)?))
                    })?
                    .collect::<rusqlite::Result<_>>()?;
                let mut set = tx.prepare_cached(
                    "INSERT INTO diag_current (scope, site, attribute, instance, code, t, value)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
                     ON CONFLICT (scope, site, attribute, instance) DO UPDATE
                     SET code = excluded.code, t = excluded.t, value = excluded.value",
                )?;
                let mut history = tx.prepare_cached(
                    "INSERT OR REPLACE INTO diag_history (scope, site, attribute, instance, t, value)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                )?;
                for record in records {
                    let Some(attribute) = record.id_data_attribute.map(to_sql_id) else {
                        continue;
                    };
                    let instance = instance_of(record);
                    let value = to_sql(record.raw_value.as_ref());
                    if before.get(&(attribute, instance)) == Some(&value) {
                        continue;
                    }
                    let t = record.timestamp.unwrap_or(now);
                    set.execute(params![
                        scope,
                        site,
                        attribute,
                        instance,
                        record.code,
                        t,
                        value
                    ])?;
                    history.execute(params![scope, site, attribute, instance, t, value])?;
                    written += 1;
                }
            }
            if trim {
                // Keep, per attribute, the last value before the cut-off:
                // it is the value at the start of the kept history.
                tx.execute(
                    "DELETE FROM diag_history AS h
                     WHERE h.scope = ?1 AND h.site = ?2 AND h.t < ?3 AND EXISTS (
                         SELECT 1 FROM diag_history AS n
                         WHERE n.scope = h.scope AND n.site = h.site
                           AND n.attribute = h.attribute AND n.instance = h.instance
                           AND n.t > h.t AND n.t <= ?3)",
                    params![scope, site, now.saturating_sub(retention_secs)],
                )?;
            }
            tx.commit()?;
            Ok(written)
        };
        run(&mut conn).map_err(|e| self.error("storing diagnostics history", &e))
    }

    /// The changes logged in `[start, end)` (unix s), oldest first.
    pub(crate) fn diagnostics_history(
        &self,
        scope: i64,
        site: u64,
        (start, end): (i64, i64),
    ) -> Result<Vec<DiagnosticChange>> {
        let conn = self.conn();
        let run = || -> rusqlite::Result<Vec<DiagnosticChange>> {
            let mut stmt = conn.prepare_cached(
                "SELECT h.attribute, h.instance, h.t, h.value, c.code FROM diag_history h
                 LEFT JOIN diag_current c ON c.scope = h.scope AND c.site = h.site
                     AND c.attribute = h.attribute AND c.instance = h.instance
                 WHERE h.scope = ?1 AND h.site = ?2 AND h.t >= ?3 AND h.t < ?4
                 ORDER BY h.t, h.attribute, h.instance",
            )?;
            let rows = stmt.query_map(params![scope, to_sql_id(site), start, end], row_change)?;
            rows.collect()
        };
        run().map_err(|e| self.error("reading diagnostics history", &e))
    }

    /// The last value of every attribute at `at` (unix s).
    pub(crate) fn diagnostics_at(
        &self,
        scope: i64,
        site: u64,
        at: i64,
    ) -> Result<Vec<DiagnosticChange>> {
        let conn = self.conn();
        let run = || -> rusqlite::Result<Vec<DiagnosticChange>> {
            // SQLite returns the other columns of the row holding max(t).
            let mut stmt = conn.prepare_cached(
                "SELECT h.attribute, h.instance, max(h.t), h.value, c.code FROM diag_history h
                 LEFT JOIN diag_current c ON c.scope = h.scope AND c.site = h.site
                     AND c.attribute = h.attribute AND c.instance = h.instance
                 WHERE h.scope = ?1 AND h.site = ?2 AND h.t <= ?3
                 GROUP BY h.attribute, h.instance
                 ORDER BY h.attribute, h.instance",
            )?;
            let rows = stmt.query_map(params![scope, to_sql_id(site), at], row_change)?;
            rows.collect()
        };
        run().map_err(|e| self.error("reading diagnostics history", &e))
    }
}

fn row_change(row: &rusqlite::Row<'_>) -> rusqlite::Result<DiagnosticChange> {
    let t: i64 = row.get(2)?;
    Ok(DiagnosticChange {
        time: OffsetDateTime::from_unix_timestamp(t).unwrap_or(OffsetDateTime::UNIX_EPOCH),
        attribute: from_sql_id(row.get(0)?),
        code: row.get(4)?,
        instance: u32::try_from(row.get::<_, i64>(1)?).ok(),
        value: from_sql(row.get(3)?),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Store;

    fn record(attribute: u64, instance: u32, value: Value, t: i64) -> DiagnosticRecord {
        serde_json::from_value(serde_json::json!({
            "idDataAttribute": attribute,
            "instance": instance,
            "code": format!("c{attribute}"),
            "rawValue": value,
            "timestamp": t,
        }))
        .unwrap()
    }

    fn history_rows(cache: &SqliteStore) -> i64 {
        cache
            .conn()
            .query_row("SELECT count(*) FROM diag_history", [], |r| r.get(0))
            .unwrap()
    }

    #[test]
    fn only_changes_are_written_and_old_ones_trimmed() {
        let cache = SqliteStore::in_memory().unwrap();
        let scope = cache.bind_scope("h", Some("demo"), 22).unwrap();
        let day = 86_400;
        let retention = 30 * day;
        let snap = |v: f64, t: i64| {
            vec![
                record(1, 0, Value::from(v), t),
                record(2, 0, Value::from("steady"), t),
            ]
        };
        assert_eq!(
            cache
                .record_diagnostics(scope, 7, &snap(12.5, 1000), 1000, retention)
                .unwrap(),
            2
        );
        assert_eq!(
            cache
                .record_diagnostics(scope, 7, &snap(12.5, 1060), 1060, retention)
                .unwrap(),
            0
        );
        assert_eq!(
            cache
                .record_diagnostics(scope, 7, &snap(12.75, 1120), 1120, retention)
                .unwrap(),
            1
        );
        assert_eq!(history_rows(&cache), 3);
        let changes = cache.diagnostics_history(scope, 7, (1000, 1121)).unwrap();
        assert_eq!(changes.len(), 3);
        assert_eq!(changes[2].value, Value::from(12.75));
        assert_eq!(changes[2].code.as_deref(), Some("c1"));
        let at = cache.diagnostics_at(scope, 7, 1100).unwrap();
        assert_eq!(at.len(), 2);
        assert_eq!(at[0].value, Value::from(12.5));
        // 40 days later: the 12.5 row is past retention and superseded.
        let late = 1000 + 40 * day;
        cache
            .record_diagnostics(scope, 7, &snap(13.0, late), late, retention)
            .unwrap();
        let changes = cache.diagnostics_history(scope, 7, (0, late + 1)).unwrap();
        let values: Vec<_> = changes.iter().map(|c| c.value.clone()).collect();
        assert_eq!(
            values,
            [Value::from("steady"), Value::from(12.75), Value::from(13.0)]
        );
        // Another scope sees nothing.
        let other = cache.bind_scope("h", Some("user:x"), 23).unwrap();
        assert!(
            cache
                .diagnostics_history(other, 7, (0, late + 1))
                .unwrap()
                .is_empty()
        );
    }
}
