//! Stats in PostgreSQL: the SQLite store's rules (src/store/sqlite/stats.rs)
//! on the same tables, and the claims that let many workers fetch each
//! chunk once.

use std::collections::{BTreeMap, HashMap};

use super::{PgResult, Tx, to_sql_id};
use crate::models::{Point, Series};
use crate::store::ranges::{by_instance, gaps, on_grid, range_codes, wants};
use crate::store::{Claim, Coverage, Freshness, Replace, StatsKey, StoredSeries};
use crate::window::Interval;

/// How long a claim holds at most, even when its holder's session lives
/// on (a worker that hangs): a chunk's fetch takes seconds.
const CLAIM_LEASE_SECS: i64 = 600;

/// The text of a key (without codes), for its advisory lock.
pub(super) fn key_text(key: &StatsKey<'_>) -> String {
    format!(
        "{}/{}/{}/{}/{}/{}",
        key.scope,
        key.site,
        key.kind,
        key.interval.as_str(),
        key.grid,
        key.per_instance
    )
}

/// The key's columns in a statement: `$1`..`$5` are scope, site, type,
/// interval and grid.
const KEY: &str = "scope = $1 AND site = $2 AND type = $3 AND interval = $4 AND grid = $5";

fn instance_filter(key: &StatsKey<'_>) -> &'static str {
    if key.per_instance {
        "instance >= 0"
    } else {
        "instance = -1"
    }
}

/// Runs `$sql` with the key's five parameters, then `$extra`.
macro_rules! with_key {
    ($tx:expr, $method:ident, $sql:expr, $key:expr $(, $extra:expr)* $(,)?) => {{
        let site = to_sql_id($key.site);
        let interval = $key.interval.as_str();
        $tx.$method(
            $sql,
            &[&$key.scope, &site, &$key.kind, &interval, &$key.grid $(, $extra)*],
        )
    }};
}

pub(super) fn coverage(
    tx: &mut Tx<'_>,
    key: &StatsKey<'_>,
    (start, end): (i64, i64),
    f: Freshness,
) -> PgResult<Coverage> {
    let sql = format!(
        "SELECT code, start_at, end_at, fetched_at FROM vrm_stats_ranges
         WHERE {KEY} AND code = ANY($6) AND per_instance = $7 AND start_at < $9 AND end_at > $8"
    );
    let codes = range_codes(key);
    let wanted: Vec<&str> = codes.clone();
    let mut by_code: HashMap<String, Vec<(i64, i64, i64)>> = HashMap::new();
    for row in with_key!(
        tx,
        query,
        &sql,
        key,
        &wanted,
        &key.per_instance,
        &start,
        &end
    )? {
        by_code
            .entry(row.get(0))
            .or_default()
            .push((row.get(1), row.get(2), row.get(3)));
    }
    let mut missing = Vec::new();
    let mut absent = Vec::new();
    let mut oldest: Option<i64> = None;
    for code in codes {
        let mut usable = Vec::new();
        let mut stored = Vec::new();
        for &(a, b, fetched_at) in by_code.get(code).map_or(&[][..], Vec::as_slice) {
            stored.push((a, b));
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
        for t in mismatched_buckets(tx, key, (start, end))? {
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
/// the window needs (see the SQLite store).
fn mismatched_buckets(
    tx: &mut Tx<'_>,
    key: &StatsKey<'_>,
    (start, end): (i64, i64),
) -> PgResult<Vec<i64>> {
    let sql = format!(
        "SELECT DISTINCT p.t, p.span_end, s.code FROM vrm_stats_points p
         JOIN vrm_stats_series s ON p.series = s.id
         WHERE s.scope = $1 AND s.site = $2 AND s.type = $3 AND s.interval = $4 AND s.grid = $5
           AND s.{} AND p.t >= $6 AND p.t < $7",
        instance_filter(key)
    );
    let (a, b) = (start.saturating_mul(1000), end.saturating_mul(1000));
    let rows = with_key!(tx, query, &sql, key, &a, &b)?;
    let mut out = Vec::new();
    for row in rows {
        let (t_ms, span_end, code): (i64, i64, String) = (row.get(0), row.get(1), row.get(2));
        let t = t_ms.div_euclid(1000);
        if wants(key, &code) && span_end != key.interval.bucket_end(t).min(end) {
            out.push(t);
        }
    }
    Ok(out)
}

/// The id of a series, created on first use (under the key's lock).
fn series_id(tx: &mut Tx<'_>, key: &StatsKey<'_>, code: &str, instance: i64) -> PgResult<i64> {
    let found = with_key!(
        tx,
        query_opt,
        &format!("SELECT id FROM vrm_stats_series WHERE {KEY} AND code = $6 AND instance = $7"),
        key,
        &code,
        &instance
    )?;
    if let Some(row) = found {
        return Ok(row.get(0));
    }
    let row = with_key!(
        tx,
        query,
        "INSERT INTO vrm_stats_series (scope, site, type, interval, grid, code, instance)
         VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT (scope, site, type, interval, grid, code, instance)
         DO UPDATE SET code = excluded.code RETURNING id",
        key,
        &code,
        &instance
    )?;
    Ok(row.first().map_or(0, |r| r.get(0)))
}

pub(super) fn store(
    tx: &mut Tx<'_>,
    key: &StatsKey<'_>,
    (start, end): (i64, i64),
    records: &BTreeMap<String, Series>,
    replace: Replace,
) -> PgResult<()> {
    let (start_ms, end_ms) = (start.saturating_mul(1000), end.saturating_mul(1000));
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
    let cleared: Vec<i64> = match replace {
        Replace::All => key_series(tx, key)?,
        Replace::Listed => listed.iter().map(|(id, _)| *id).collect(),
    };
    for &id in &cleared {
        trim_listed(tx, id, (start, end))?;
    }
    // One row per (series, t): a time sent twice keeps its last value.
    let mut rows: HashMap<(i64, i64), PointRow> = HashMap::new();
    for (id, points) in &listed {
        add_listed(tx, *id, (start, end))?;
        for p in points {
            let t = p.timestamp_ms.div_euclid(1000);
            let span_end = key.interval.bucket_end(t).min(end);
            rows.insert((*id, p.timestamp_ms), (span_end, p.value, p.min, p.max));
        }
    }
    let mut series = Vec::with_capacity(rows.len());
    let mut ts = Vec::with_capacity(rows.len());
    let mut spans = Vec::with_capacity(rows.len());
    let mut values = Vec::with_capacity(rows.len());
    let mut mins = Vec::with_capacity(rows.len());
    let mut maxs = Vec::with_capacity(rows.len());
    for ((id, t), (span_end, value, min, max)) in rows {
        series.push(id);
        ts.push(t);
        spans.push(span_end);
        values.push(value);
        mins.push(min);
        maxs.push(max);
    }
    // What VRM answered for the chunk replaces what was stored for it:
    // the points it no longer holds go, the others are written in place
    // (a refetch that brings the same values writes nothing).
    if !cleared.is_empty() {
        tx.execute(
            // NOT IN over a subquery: a hashed subplan, one probe a row.
            "DELETE FROM vrm_stats_points p
             WHERE p.series = ANY($1) AND p.t >= $2 AND p.t < $3
               AND (p.series, p.t) NOT IN (SELECT * FROM unnest($4::bigint[], $5::bigint[]))",
            &[&cleared, &start_ms, &end_ms, &series, &ts],
        )?;
    }
    if series.is_empty() {
        return Ok(());
    }
    tx.execute(
        "INSERT INTO vrm_stats_points AS p (series, t, span_end, value, min, max)
         SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::bigint[],
                              $4::float8[], $5::float8[], $6::float8[])
         ON CONFLICT (series, t) DO UPDATE SET span_end = excluded.span_end,
             value = excluded.value, min = excluded.min, max = excluded.max
         WHERE (p.span_end, p.value, p.min, p.max)
             IS DISTINCT FROM (excluded.span_end, excluded.value, excluded.min, excluded.max)",
        &[&series, &ts, &spans, &values, &mins, &maxs],
    )?;
    Ok(())
}

/// A point as stored, by (series, t): span_end, value, min, max.
type PointRow = (i64, Option<f64>, Option<f64>, Option<f64>);

/// The ids of every stored series of `key` (its codes, its instance mode).
fn key_series(tx: &mut Tx<'_>, key: &StatsKey<'_>) -> PgResult<Vec<i64>> {
    let sql = format!(
        "SELECT id, code FROM vrm_stats_series WHERE {KEY} AND {}",
        instance_filter(key)
    );
    let rows = with_key!(tx, query, &sql, key)?;
    Ok(rows
        .iter()
        .filter(|r| wants(key, r.get::<_, &str>(1)))
        .map(|r| r.get(0))
        .collect())
}

fn trim_listed(tx: &mut Tx<'_>, id: i64, (start, end): (i64, i64)) -> PgResult<()> {
    let overlapping = tx.query(
        "DELETE FROM vrm_stats_listed WHERE series = $1 AND start_at < $3 AND end_at > $2
         RETURNING start_at, end_at",
        &[&id, &start, &end],
    )?;
    for row in overlapping {
        let (a, b): (i64, i64) = (row.get(0), row.get(1));
        if a < start {
            insert_listed(tx, id, (a, start))?;
        }
        if b > end {
            insert_listed(tx, id, (end, b))?;
        }
    }
    Ok(())
}

fn add_listed(tx: &mut Tx<'_>, id: i64, (mut start, mut end): (i64, i64)) -> PgResult<()> {
    let near = tx.query(
        "DELETE FROM vrm_stats_listed WHERE series = $1 AND start_at <= $3 AND end_at >= $2
         RETURNING start_at, end_at",
        &[&id, &start, &end],
    )?;
    for row in near {
        start = start.min(row.get(0));
        end = end.max(row.get(1));
    }
    insert_listed(tx, id, (start, end))
}

fn insert_listed(tx: &mut Tx<'_>, id: i64, (start, end): (i64, i64)) -> PgResult<()> {
    tx.execute(
        "INSERT INTO vrm_stats_listed (series, start_at, end_at) VALUES ($1, $2, $3)",
        &[&id, &start, &end],
    )
    .map(drop)
}

/// Record the chunk as fetched now for each code of the key, folding in
/// the older ranges it overlaps or touches when nothing is lost by it.
pub(super) fn add_ranges(
    tx: &mut Tx<'_>,
    key: &StatsKey<'_>,
    (s0, e0): (i64, i64),
    f: Freshness,
) -> PgResult<()> {
    let near_sql = format!(
        "SELECT id, start_at, end_at, fetched_at FROM vrm_stats_ranges
         WHERE {KEY} AND code = $6 AND per_instance = $7 AND start_at <= $9 AND end_at >= $8"
    );
    for code in range_codes(key) {
        let (mut start, mut end) = (s0, e0);
        let rows = with_key!(
            tx,
            query,
            &near_sql,
            key,
            &code,
            &key.per_instance,
            &s0,
            &e0
        )?;
        let mut drop_ids: Vec<i64> = Vec::new();
        for row in rows {
            let (id, a, b, fetched_at): (i64, i64, i64, i64) =
                (row.get(0), row.get(1), row.get(2), row.get(3));
            let final_end = fetched_at - f.settle;
            let inside = a >= s0 && b <= e0;
            let outside_final = (a >= s0 || s0.min(b) <= final_end) && (b <= e0 || b <= final_end);
            if inside || outside_final {
                start = start.min(a);
                end = end.max(b);
                drop_ids.push(id);
            }
        }
        if !drop_ids.is_empty() {
            tx.execute(
                "DELETE FROM vrm_stats_ranges WHERE id = ANY($1)",
                &[&drop_ids],
            )?;
        }
        with_key!(
            tx,
            execute,
            "INSERT INTO vrm_stats_ranges
             (scope, site, type, interval, grid, code, per_instance, start_at, end_at, fetched_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
            key,
            &code,
            &key.per_instance,
            &start,
            &end,
            &f.now
        )?;
    }
    Ok(())
}

/// Claim `chunk` (under the key's lock): busy while another live claim
/// overlaps it, stored when the ranges cover it now, else this worker's.
pub(super) fn claim(
    tx: &mut Tx<'_>,
    key: &StatsKey<'_>,
    chunk: (i64, i64),
    f: Freshness,
    holder: &str,
) -> PgResult<Claim> {
    let codes: Vec<String> = range_codes(key).into_iter().map(str::to_owned).collect();
    let (start, end) = chunk;
    // Live: within its lease, and its holder's session still connected.
    let live = format!(
        "SELECT count(*) FROM vrm_stats_claims c
         WHERE {KEY} AND code = ANY($6) AND per_instance = $7 AND start_at < $9 AND end_at > $8
           AND expires_at > extract(epoch FROM now())::bigint
           AND EXISTS (SELECT 1 FROM pg_stat_activity a
                       WHERE a.pid = c.holder_pid AND a.backend_start = c.holder_start)"
    );
    let busy = with_key!(
        tx,
        query,
        &live,
        key,
        &codes,
        &key.per_instance,
        &start,
        &end
    )?;
    if busy.first().is_some_and(|r| r.get::<_, i64>(0) > 0) {
        return Ok(Claim::Busy);
    }
    if coverage(tx, key, chunk, f)?.missing.is_empty() {
        return Ok(Claim::Stored);
    }
    // Dead claims of the chunk go; this worker's goes in.
    with_key!(
        tx,
        execute,
        &format!(
            "DELETE FROM vrm_stats_claims WHERE {KEY} AND code = ANY($6) AND per_instance = $7
             AND start_at < $9 AND end_at > $8"
        ),
        key,
        &codes,
        &key.per_instance,
        &start,
        &end
    )?;
    with_key!(
        tx,
        execute,
        "INSERT INTO vrm_stats_claims (scope, site, type, interval, grid, code, per_instance,
             start_at, end_at, holder, holder_pid, holder_start, expires_at)
         SELECT $1, $2, $3, $4, $5, code, $7, $8, $9, $10, a.pid, a.backend_start,
                extract(epoch FROM now())::bigint + $11
         FROM unnest($6::text[]) AS code, pg_stat_activity a WHERE a.pid = pg_backend_pid()",
        key,
        &codes,
        &key.per_instance,
        &start,
        &end,
        &holder,
        &CLAIM_LEASE_SECS
    )?;
    Ok(Claim::Mine)
}

/// End this worker's claims on `chunk`.
pub(super) fn unclaim(
    tx: &mut Tx<'_>,
    key: &StatsKey<'_>,
    (start, end): (i64, i64),
    holder: &str,
) -> PgResult<()> {
    with_key!(
        tx,
        execute,
        &format!(
            "DELETE FROM vrm_stats_claims WHERE {KEY} AND per_instance = $6
             AND start_at < $8 AND end_at > $7 AND holder = $9"
        ),
        key,
        &key.per_instance,
        &start,
        &end,
        &holder
    )
    .map(drop)
}

pub(super) fn read(
    tx: &mut Tx<'_>,
    key: &StatsKey<'_>,
    (start, end): (i64, i64),
) -> PgResult<Vec<StoredSeries>> {
    let sql = format!(
        "SELECT id, code, instance FROM vrm_stats_series WHERE {KEY} AND {}
         ORDER BY code, instance",
        instance_filter(key)
    );
    let all: Vec<(i64, String, i64)> = with_key!(tx, query, &sql, key)?
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2)))
        .filter(|(_, code, _): &(i64, String, i64)| wants(key, code))
        .collect();
    if all.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<i64> = all.iter().map(|(id, _, _)| *id).collect();
    let mut listed: HashMap<i64, Vec<(i64, i64)>> = HashMap::new();
    for row in tx.query(
        "SELECT series, start_at, end_at FROM vrm_stats_listed
         WHERE series = ANY($1) AND start_at < $3 AND end_at > $2 ORDER BY series, start_at",
        &[&ids, &start, &end],
    )? {
        let (a, b): (i64, i64) = (row.get(1), row.get(2));
        listed
            .entry(row.get(0))
            .or_default()
            .push((a.max(start), b.min(end)));
    }
    let span = usize::try_from(end.saturating_sub(start)).unwrap_or(0);
    let buckets = match key.interval {
        Interval::FifteenMinutes => span / 900,
        Interval::Hours => span / 3600,
        _ => span / 86_400 + 1,
    }
    .min(1 << 20);
    let mut points: HashMap<i64, Vec<Point>> = HashMap::new();
    let with_listed: Vec<i64> = ids
        .iter()
        .copied()
        .filter(|id| listed.contains_key(id))
        .collect();
    for row in tx.query(
        "SELECT series, t, value, min, max FROM vrm_stats_points
         WHERE series = ANY($1) AND t >= $2 AND t < $3 ORDER BY series, t",
        &[
            &with_listed,
            &start.saturating_mul(1000),
            &end.saturating_mul(1000),
        ],
    )? {
        points
            .entry(row.get(0))
            .or_insert_with(|| Vec::with_capacity(buckets))
            .push(Point::with_min_max(
                row.get(1),
                row.get(2),
                row.get(3),
                row.get(4),
            ));
    }
    let mut out = Vec::with_capacity(all.len());
    for (id, code, instance) in all {
        let Some(listed) = listed.remove(&id) else {
            continue;
        };
        out.push(StoredSeries {
            code,
            instance: u32::try_from(instance).ok(),
            points: points.remove(&id).unwrap_or_default(),
            listed,
        });
    }
    Ok(out)
}
