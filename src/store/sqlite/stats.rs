//! Stats in the cache: points per series, and the ranges fetched.
//!
//! A window is answered locally when fetched ranges cover it (rule 2), the
//! parts they do not cover are what gets fetched (rule 3), ranges only serve
//! queries of the same bucket alignment (rule 5), and the part of a range
//! that was recent when fetched is trusted only while fresh (rule 6).

use std::collections::BTreeMap;

use rusqlite::{Connection, OptionalExtension, Transaction, TransactionBehavior, params};

use super::{SqliteStore, to_sql_id};
use crate::error::Result;
use crate::models::{Point, Series};
use crate::store::ranges::{by_instance, gaps, on_grid, range_codes, wants};
use crate::store::{Coverage, Freshness, Replace, StatsKey, StoredSeries};
use crate::window::Interval;

/// The parameters of a statement on one stats key: `?1`..`?5` are the key's
/// scope, site, type, interval and grid, then `extra` from `?6` on.
macro_rules! key_params {
    ($key:expr $(, $extra:expr)* $(,)?) => {
        rusqlite::params![
            $key.scope,
            to_sql_id($key.site),
            $key.kind,
            $key.interval.as_str(),
            $key.grid
            $(, $extra)*
        ]
    };
}

fn instance_filter(key: &StatsKey<'_>) -> &'static str {
    if key.per_instance {
        "instance >= 0"
    } else {
        "instance = -1"
    }
}

impl SqliteStore {
    /// What the cache holds of `[start, end)` for `key`.
    pub(crate) fn stats_coverage(
        &self,
        key: &StatsKey<'_>,
        (start, end): (i64, i64),
        freshness: Freshness,
    ) -> Result<Coverage> {
        let conn = self.conn();
        coverage(&conn, key, (start, end), freshness)
            .map_err(|e| self.error("reading cached stats ranges", &e))
    }

    /// Store one fetched chunk `[start, end)` (points, listed parts and
    /// range) in one transaction, replacing what `replace` says.
    pub(crate) fn store_stats(
        &self,
        key: &StatsKey<'_>,
        (start, end): (i64, i64),
        records: &BTreeMap<String, Series>,
        freshness: Freshness,
        replace: Replace,
    ) -> Result<()> {
        let mut conn = self.conn();
        let run = |conn: &mut Connection| -> rusqlite::Result<()> {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            store(&tx, key, (start, end), records, replace)?;
            for code in range_codes(key) {
                add_range(&tx, key, code, (start, end), freshness)?;
            }
            tx.commit()
        };
        run(&mut conn).map_err(|e| self.error("storing stats", &e))
    }

    /// The stored series of `[start, end)`: points and listed parts.
    pub(crate) fn read_stats(
        &self,
        key: &StatsKey<'_>,
        (start, end): (i64, i64),
    ) -> Result<Vec<StoredSeries>> {
        let conn = self.conn();
        read(&conn, key, (start, end)).map_err(|e| self.error("reading cached stats", &e))
    }
}

fn coverage(
    conn: &Connection,
    key: &StatsKey<'_>,
    (start, end): (i64, i64),
    f: Freshness,
) -> rusqlite::Result<Coverage> {
    let mut stmt = conn.prepare_cached(
        "SELECT start, end, fetched_at FROM stats_ranges
         WHERE scope = ?1 AND site = ?2 AND type = ?3 AND interval = ?4 AND grid = ?5
           AND code = ?6 AND per_instance = ?7 AND start < ?9 AND end > ?8",
    )?;
    let mut missing = Vec::new();
    let mut absent = Vec::new();
    let mut oldest: Option<i64> = None;
    for code in range_codes(key) {
        let mut usable = Vec::new();
        let mut stored = Vec::new();
        let rows = stmt.query_map(
            key_params!(key, code, key.per_instance, start, end),
            |row| {
                Ok((
                    row.get::<_, i64>(0)?,
                    row.get::<_, i64>(1)?,
                    row.get::<_, i64>(2)?,
                ))
            },
        )?;
        for row in rows {
            let (a, b, fetched_at) = row?;
            stored.push((a, b));
            // Final up to `fetched_at - settle`; the rest only while fresh.
            let final_end = b.min(fetched_at - f.settle);
            if f.now - fetched_at <= f.fresh {
                usable.push((a, b));
            } else if a < final_end {
                usable.push((a, final_end));
            }
            oldest = Some(oldest.map_or(fetched_at, |o| o.min(fetched_at)));
        }
        missing.extend(gaps((start, end), usable));
        absent.extend(gaps((start, end), stored));
    }
    if !key.interval.is_hour_aligned() {
        // A bucket cut short by an earlier, shorter window does not answer
        // a query that needs it whole (or cut elsewhere).
        for t in mismatched_buckets(conn, key, (start, end))? {
            let bucket = (t, key.interval.bucket_end(t).min(end));
            missing.push(bucket);
            absent.push(bucket);
        }
    }
    Ok(Coverage {
        missing: on_grid(key.interval, start, missing),
        absent: on_grid(key.interval, start, absent),
        oldest,
    })
}

/// Bucket starts (unix s) in the window whose stored span is not the one
/// the window needs.
fn mismatched_buckets(
    conn: &Connection,
    key: &StatsKey<'_>,
    (start, end): (i64, i64),
) -> rusqlite::Result<Vec<i64>> {
    let sql = format!(
        "SELECT DISTINCT p.t, p.span_end, s.code FROM stats_points p JOIN stats_series s ON p.series = s.id
         WHERE s.scope = ?1 AND s.site = ?2 AND s.type = ?3 AND s.interval = ?4 AND s.grid = ?5
           AND s.{} AND p.t >= ?6 AND p.t < ?7",
        instance_filter(key)
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map(
        key_params!(key, start.saturating_mul(1000), end.saturating_mul(1000)),
        |row| {
            Ok((
                row.get::<_, i64>(0)?,
                row.get::<_, i64>(1)?,
                row.get::<_, String>(2)?,
            ))
        },
    )?;
    let mut out = Vec::new();
    for row in rows {
        let (t_ms, span_end, code) = row?;
        let t = t_ms.div_euclid(1000);
        // Only the codes asked: another code's bucket cut elsewhere is not
        // refetched by this query, so it must not make it fetch forever.
        if wants(key, &code) && span_end != key.interval.bucket_end(t).min(end) {
            out.push(t);
        }
    }
    Ok(out)
}

/// The id of a series, created on first use.
fn series_id(
    tx: &Transaction<'_>,
    key: &StatsKey<'_>,
    code: &str,
    instance: i64,
) -> rusqlite::Result<i64> {
    let args = key_params!(key, code, instance);
    let found = tx
        .prepare_cached(
            "SELECT id FROM stats_series WHERE scope = ?1 AND site = ?2 AND type = ?3
             AND interval = ?4 AND grid = ?5 AND code = ?6 AND instance = ?7",
        )?
        .query_row(args, |row| row.get(0))
        .optional()?;
    if let Some(id) = found {
        return Ok(id);
    }
    tx.prepare_cached(
        "INSERT INTO stats_series (scope, site, type, interval, grid, code, instance)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?
    .execute(args)?;
    Ok(tx.last_insert_rowid())
}

fn store(
    tx: &Transaction<'_>,
    key: &StatsKey<'_>,
    (start, end): (i64, i64),
    records: &BTreeMap<String, Series>,
    replace: Replace,
) -> rusqlite::Result<()> {
    let (start_ms, end_ms) = (start.saturating_mul(1000), end.saturating_mul(1000));
    // The series the answer lists in the chunk: those with a point in it.
    let mut listed: Vec<(i64, Vec<&Point>)> = Vec::new();
    for (code, series) in records {
        if !wants(key, code) {
            continue;
        }
        for (instance, points) in by_instance(series, key.per_instance) {
            let inside: Vec<&Point> = points
                .iter()
                .filter(|p| p.timestamp_ms >= start_ms && p.timestamp_ms < end_ms)
                .collect();
            if !inside.is_empty() {
                listed.push((series_id(tx, key, code, instance)?, inside));
            }
        }
    }
    // What VRM answered for this chunk replaces what was stored for it.
    let cleared: Vec<i64> = match replace {
        Replace::All => key_series(tx, key)?,
        Replace::Listed => listed.iter().map(|(id, _)| *id).collect(),
    };
    let mut delete =
        tx.prepare_cached("DELETE FROM stats_points WHERE series = ?1 AND t >= ?2 AND t < ?3")?;
    for &id in &cleared {
        delete.execute(params![id, start_ms, end_ms])?;
        trim_listed(tx, id, (start, end))?;
    }
    // Rows go in by batches of INSERT_BATCH, in order (so a time sent twice
    // keeps its last value, as row by row), the rest one by one.
    let mut batch: Vec<PointRow> = Vec::with_capacity(INSERT_BATCH);
    for (id, points) in &listed {
        add_listed(tx, *id, (start, end))?;
        for p in points {
            let t = p.timestamp_ms.div_euclid(1000);
            let span_end = key.interval.bucket_end(t).min(end);
            batch.push((*id, p.timestamp_ms, span_end, p.value, p.min, p.max));
            if batch.len() == INSERT_BATCH {
                insert_rows(tx, &batch)?;
                batch.clear();
            }
        }
    }
    for row in batch.chunks(1) {
        insert_rows(tx, row)?;
    }
    Ok(())
}

/// The ids of every stored series of `key` (its codes, its instance mode).
fn key_series(tx: &Transaction<'_>, key: &StatsKey<'_>) -> rusqlite::Result<Vec<i64>> {
    let sql = format!(
        "SELECT id, code FROM stats_series
         WHERE scope = ?1 AND site = ?2 AND type = ?3 AND interval = ?4 AND grid = ?5 AND {}",
        instance_filter(key)
    );
    let mut stmt = tx.prepare_cached(&sql)?;
    let rows = stmt.query_map(key_params!(key), |r| {
        Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?))
    })?;
    let mut ids = Vec::new();
    for row in rows {
        let (id, code) = row?;
        if wants(key, &code) {
            ids.push(id);
        }
    }
    Ok(ids)
}

/// Remove `[start, end)` from the listed parts of series `id`.
fn trim_listed(tx: &Transaction<'_>, id: i64, (start, end): (i64, i64)) -> rusqlite::Result<()> {
    let overlapping: Vec<(i64, i64, i64)> = tx
        .prepare_cached(
            "SELECT id, start, end FROM stats_listed WHERE series = ?1 AND start < ?3 AND end > ?2",
        )?
        .query_map(params![id, start, end], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })?
        .collect::<rusqlite::Result<_>>()?;
    let mut delete = tx.prepare_cached("DELETE FROM stats_listed WHERE id = ?1")?;
    let mut insert =
        tx.prepare_cached("INSERT INTO stats_listed (series, start, end) VALUES (?1, ?2, ?3)")?;
    for (row, a, b) in overlapping {
        delete.execute([row])?;
        if a < start {
            insert.execute(params![id, a, start])?;
        }
        if b > end {
            insert.execute(params![id, end, b])?;
        }
    }
    Ok(())
}

/// Add `[start, end)` to the listed parts of series `id`, merged with the
/// parts it overlaps or touches.
fn add_listed(
    tx: &Transaction<'_>,
    id: i64,
    (mut start, mut end): (i64, i64),
) -> rusqlite::Result<()> {
    let near: Vec<(i64, i64, i64)> = tx
        .prepare_cached(
            "SELECT id, start, end FROM stats_listed WHERE series = ?1 AND start <= ?3 AND end >= ?2",
        )?
        .query_map(params![id, start, end], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })?
        .collect::<rusqlite::Result<_>>()?;
    let mut delete = tx.prepare_cached("DELETE FROM stats_listed WHERE id = ?1")?;
    for (row, a, b) in near {
        start = start.min(a);
        end = end.max(b);
        delete.execute([row])?;
    }
    tx.prepare_cached("INSERT INTO stats_listed (series, start, end) VALUES (?1, ?2, ?3)")?
        .execute(params![id, start, end])?;
    Ok(())
}

/// Points per multi-row `INSERT`: SQLite's cost per statement run (cursor,
/// savepoint, statement journal, B-tree descent from the root) is paid
/// once per batch instead of once per point.
const INSERT_BATCH: usize = 64;

/// A row of `stats_points`: series, t (ms), span_end (s), value, min, max.
type PointRow = (i64, i64, i64, Option<f64>, Option<f64>, Option<f64>);

/// `INSERT OR REPLACE` of `rows` rows of [`PointRow`].
fn insert_sql(rows: usize) -> String {
    let mut sql = String::from(
        "INSERT OR REPLACE INTO stats_points (series, t, span_end, value, min, max) VALUES ",
    );
    for i in 0..rows {
        if i > 0 {
            sql.push(',');
        }
        sql.push_str("(?,?,?,?,?,?)");
    }
    sql
}

/// Insert `rows` (one row, or [`INSERT_BATCH`]) with one statement run.
fn insert_rows(tx: &Transaction<'_>, rows: &[PointRow]) -> rusqlite::Result<()> {
    static BATCH_SQL: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let other;
    let sql = if rows.len() == INSERT_BATCH {
        BATCH_SQL.get_or_init(|| insert_sql(INSERT_BATCH)).as_str()
    } else {
        other = insert_sql(rows.len());
        other.as_str()
    };
    let mut insert = tx.prepare_cached(sql)?;
    for (i, &(series, t, span_end, value, min, max)) in rows.iter().enumerate() {
        let at = i * 6;
        insert.raw_bind_parameter(at + 1, series)?;
        insert.raw_bind_parameter(at + 2, t)?;
        insert.raw_bind_parameter(at + 3, span_end)?;
        insert.raw_bind_parameter(at + 4, value)?;
        insert.raw_bind_parameter(at + 5, min)?;
        insert.raw_bind_parameter(at + 6, max)?;
    }
    insert.raw_execute()?;
    Ok(())
}

/// Record `[start, end)` as fetched now, folding in the older ranges it
/// overlaps or touches when nothing is lost by doing so.
fn add_range(
    tx: &Transaction<'_>,
    key: &StatsKey<'_>,
    code: &str,
    (mut start, mut end): (i64, i64),
    f: Freshness,
) -> rusqlite::Result<()> {
    let (s0, e0) = (start, end);
    let args = key_params!(key, code, key.per_instance, s0, e0);
    let mut near = tx.prepare_cached(
        "SELECT id, start, end, fetched_at FROM stats_ranges
         WHERE scope = ?1 AND site = ?2 AND type = ?3 AND interval = ?4 AND grid = ?5
           AND code = ?6 AND per_instance = ?7 AND start <= ?9 AND end >= ?8",
    )?;
    let rows: Vec<(i64, i64, i64, i64)> = near
        .query_map(args, |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?
        .collect::<rusqlite::Result<_>>()?;
    let mut drop_ids = Vec::new();
    for (id, a, b, fetched_at) in rows {
        let final_end = fetched_at - f.settle;
        let inside = a >= s0 && b <= e0;
        // The parts of the old range outside the new one keep their age;
        // merging is safe only when those parts are final.
        let outside_final = (a >= s0 || s0.min(b) <= final_end) && (b <= e0 || b <= final_end);
        if inside || outside_final {
            start = start.min(a);
            end = end.max(b);
            drop_ids.push(id);
        }
    }
    let mut delete = tx.prepare_cached("DELETE FROM stats_ranges WHERE id = ?1")?;
    for id in drop_ids {
        delete.execute([id])?;
    }
    tx.prepare_cached(
        "INSERT INTO stats_ranges
         (scope, site, type, interval, grid, code, per_instance, start, end, fetched_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    )?
    .execute(key_params!(key, code, key.per_instance, start, end, f.now))?;
    Ok(())
}

fn read(
    conn: &Connection,
    key: &StatsKey<'_>,
    (start, end): (i64, i64),
) -> rusqlite::Result<Vec<StoredSeries>> {
    let sql = format!(
        "SELECT id, code, instance FROM stats_series
         WHERE scope = ?1 AND site = ?2 AND type = ?3 AND interval = ?4 AND grid = ?5 AND {}
         ORDER BY code, instance",
        instance_filter(key)
    );
    let mut series_stmt = conn.prepare_cached(&sql)?;
    let all: Vec<(i64, String, i64)> = series_stmt
        .query_map(key_params!(key), |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
        .collect::<rusqlite::Result<_>>()?;
    let mut points_stmt = conn.prepare_cached(
        "SELECT t, value, min, max FROM stats_points
         WHERE series = ?1 AND t >= ?2 AND t < ?3 ORDER BY t",
    )?;
    let mut listed_stmt = conn.prepare_cached(
        "SELECT start, end FROM stats_listed
         WHERE series = ?1 AND start < ?3 AND end > ?2 ORDER BY start",
    )?;
    let span = usize::try_from(end.saturating_sub(start)).unwrap_or(0);
    let buckets = match key.interval {
        Interval::FifteenMinutes => span / 900,
        Interval::Hours => span / 3600,
        _ => span / 86_400 + 1,
    }
    .min(1 << 20);
    let mut out = Vec::with_capacity(all.len());
    for (id, code, instance) in all {
        if !wants(key, &code) {
            continue;
        }
        let listed: Vec<(i64, i64)> = listed_stmt
            .query_map(params![id, start, end], |r| {
                Ok((r.get::<_, i64>(0)?.max(start), r.get::<_, i64>(1)?.min(end)))
            })?
            .collect::<rusqlite::Result<_>>()?;
        if listed.is_empty() {
            continue;
        }
        // Sized for the window at once: a year of hours is 8,760 points a
        // series, and growing by doubling would copy them all again.
        let mut points: Vec<Point> = Vec::with_capacity(buckets);
        let mut rows = points_stmt.query(params![
            id,
            start.saturating_mul(1000),
            end.saturating_mul(1000)
        ])?;
        while let Some(r) = rows.next()? {
            points.push(Point::with_min_max(
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
            ));
        }
        out.push(StoredSeries {
            code,
            instance: u32::try_from(instance).ok(),
            points,
            listed,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Store;

    #[test]
    fn batched_inserts_store_what_row_by_row_did() {
        const HOUR: i64 = 3600;
        let cache = SqliteStore::in_memory().unwrap();
        let scope = cache.bind_scope("https://h/", Some("demo"), 22).unwrap();
        let codes = vec!["Pc".to_owned(), "bs".to_owned()];
        let key = StatsKey {
            scope,
            site: 7,
            kind: "custom",
            codes: &codes,
            interval: Interval::Hours,
            grid: String::new(),
            per_instance: false,
        };
        let window = (100 * HOUR, 300 * HOUR);
        // 2 × INSERT_BATCH + 9 points in the window (batches and a rest),
        // one outside on each side, and a time sent twice: the last wins.
        let mut pc: Vec<Point> = (99..=300)
            .map(|h| Point::with_min_max(h * HOUR * 1000, Some(h as f64), None, Some(1.5)))
            .collect();
        pc.insert(6, Point::new(105 * HOUR * 1000, Some(-1.0)));
        let bs = vec![Point::new(200 * HOUR * 1000, None)];
        let records = BTreeMap::from([
            ("Pc".to_owned(), Series::Points(pc)),
            ("bs".to_owned(), Series::Points(bs)),
            (
                "other".to_owned(),
                Series::Points(vec![Point::new(0, Some(1.0))]),
            ),
        ]);
        let fresh = Freshness {
            now: 400 * HOUR,
            settle: 0,
            fresh: 0,
        };
        cache
            .store_stats(&key, window, &records, fresh, Replace::All)
            .unwrap();
        let read = cache.read_stats(&key, window).unwrap();
        let codes: Vec<&str> = read.iter().map(|s| s.code.as_str()).collect();
        assert_eq!(codes, ["Pc", "bs"]);
        assert!(read.iter().all(|s| s.listed == [window]));
        let pc = &read[0].points;
        assert_eq!(pc.len(), 200);
        assert_eq!(
            (pc[0].timestamp_ms, pc[199].timestamp_ms),
            (window.0 * 1000, (window.1 - HOUR) * 1000)
        );
        let dup = pc
            .iter()
            .find(|p| p.timestamp_ms == 105 * HOUR * 1000)
            .unwrap();
        assert_eq!(
            *dup,
            Point::with_min_max(105 * HOUR * 1000, Some(105.0), None, Some(1.5))
        );
        assert_eq!(
            pc[50],
            Point::with_min_max(150 * HOUR * 1000, Some(150.0), None, Some(1.5))
        );
        assert_eq!(read[1].points, [Point::new(200 * HOUR * 1000, None)]);
    }

    #[test]
    fn a_false_keeps_nothing_listed_and_a_refetch_replaces() {
        const HOUR: i64 = 3600;
        let cache = SqliteStore::in_memory().unwrap();
        let scope = cache.bind_scope("https://h/", Some("demo"), 22).unwrap();
        let key = StatsKey {
            scope,
            site: 7,
            kind: "kwh",
            codes: &[],
            interval: Interval::Hours,
            grid: String::new(),
            per_instance: false,
        };
        let fresh = Freshness {
            now: 400 * HOUR,
            settle: 0,
            fresh: 0,
        };
        let points = |hours: std::ops::Range<i64>| {
            Series::Points(
                hours
                    .map(|h| Point::new(h * HOUR * 1000, Some(1.0)))
                    .collect(),
            )
        };
        let day = BTreeMap::from([
            ("Pc".to_owned(), points(0..24)),
            ("Gc".to_owned(), points(0..24)),
        ]);
        cache
            .store_stats(&key, (0, 24 * HOUR), &day, fresh, Replace::All)
            .unwrap();
        // The night answered again: Pc is `false` there now.
        let night = BTreeMap::from([
            ("Pc".to_owned(), Series::Points(Vec::new())),
            ("Gc".to_owned(), points(0..6)),
        ]);
        cache
            .store_stats(&key, (0, 6 * HOUR), &night, fresh, Replace::Listed)
            .unwrap();
        let read = cache.read_stats(&key, (0, 24 * HOUR)).unwrap();
        // `Listed`: the false adds nothing, Pc keeps what it had.
        assert_eq!(read[1].code, "Pc");
        assert_eq!(
            (read[1].points.len(), &read[1].listed[..]),
            (24, &[(0, 24 * HOUR)][..])
        );
        cache
            .store_stats(&key, (0, 6 * HOUR), &night, fresh, Replace::All)
            .unwrap();
        let read = cache.read_stats(&key, (0, 24 * HOUR)).unwrap();
        assert_eq!(read[0].code, "Gc");
        assert_eq!(read[0].listed, [(0, 24 * HOUR)]);
        // `All`: the night of Pc is unknown again, its points gone.
        assert_eq!(read[1].listed, [(6 * HOUR, 24 * HOUR)]);
        assert_eq!(read[1].points.len(), 18);
    }
}
