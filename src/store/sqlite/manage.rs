//! Looking after the cache file: what it holds, purging, vacuuming.

use std::collections::BTreeMap;
use std::path::PathBuf;

use rusqlite::{Connection, TransactionBehavior, params};

use super::{CacheKind, SqliteStore, from_sql_id, to_sql_id, with_suffix};
use crate::error::Result;
use crate::store::manage::by_site;
use crate::store::{CacheInfo, Purge, Store};

impl SqliteStore {
    /// Size and row counts by site and kind.
    ///
    /// # Errors
    /// [`Error::Cache`](crate::Error::Cache) when the file cannot be read.
    pub(super) fn info(&self) -> Result<CacheInfo> {
        let conn = self.conn();
        let counts = count_rows(&conn).map_err(|e| self.error("counting rows", &e))?;
        let db_bytes: i64 = conn
            .query_row(
                "SELECT page_count * page_size FROM pragma_page_count, pragma_page_size",
                [],
                |r| r.get(0),
            )
            .map_err(|e| self.error("reading the size", &e))?;
        drop(conn);
        let wal_bytes = self
            .path()
            .and_then(|p| std::fs::metadata(with_suffix(p, "-wal")).ok())
            .filter(std::fs::Metadata::is_file)
            .map_or(0, |m| m.len());
        Ok(CacheInfo {
            path: self.path().map(PathBuf::from),
            location: self.location(),
            size_bytes: u64::try_from(db_bytes).unwrap_or(0) + wal_bytes,
            sites: by_site(counts),
        })
    }

    /// Delete what `purge` selects; `now` dates its age limit. Returns the
    /// rows deleted. Space is given back to the system by [`vacuum`](Self::vacuum).
    ///
    /// # Errors
    /// [`Error::Cache`](crate::Error::Cache) when the file cannot be written.
    pub(super) fn purge(&self, purge: &Purge, now: i64) -> Result<u64> {
        let cutoff = purge.cutoff(now);
        let mut conn = self.conn();
        let run = |conn: &mut Connection| -> rusqlite::Result<u64> {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let site = purge.site_id().map(to_sql_id);
            let mut deleted = 0usize;
            for kind in CacheKind::ALL {
                if !purge.includes(kind) || kind == CacheKind::Stats {
                    continue;
                }
                deleted += tx.execute(
                    "DELETE FROM responses WHERE kind = ?1 AND (?2 IS NULL OR site = ?2)
                     AND (?3 IS NULL OR fetched_at < ?3)",
                    params![kind.as_str(), site, cutoff],
                )?;
            }
            if purge.includes(CacheKind::Diagnostics) {
                deleted += tx.execute(
                    "DELETE FROM diag_history WHERE (?1 IS NULL OR site = ?1)
                     AND (?2 IS NULL OR t < ?2)",
                    params![site, cutoff],
                )?;
                deleted += tx.execute(
                    "DELETE FROM diag_current WHERE (?1 IS NULL OR site = ?1)
                     AND (?2 IS NULL OR t < ?2)",
                    params![site, cutoff],
                )?;
            }
            if purge.includes(CacheKind::Stats) {
                let cutoff_ms = cutoff.map(|c| c.saturating_mul(1000));
                deleted += tx.execute(
                    "DELETE FROM stats_points WHERE (?2 IS NULL OR t < ?2) AND series IN
                     (SELECT id FROM stats_series WHERE ?1 IS NULL OR site = ?1)",
                    params![site, cutoff_ms],
                )?;
                tx.execute(
                    "DELETE FROM stats_listed WHERE (?2 IS NULL OR end <= ?2) AND series IN
                     (SELECT id FROM stats_series WHERE ?1 IS NULL OR site = ?1)",
                    params![site, cutoff],
                )?;
                if let Some(cutoff) = cutoff {
                    tx.execute(
                        "UPDATE stats_listed SET start = ?2 WHERE start < ?2 AND series IN
                         (SELECT id FROM stats_series WHERE ?1 IS NULL OR site = ?1)",
                        params![site, cutoff],
                    )?;
                }
                // Ranges lose the purged part, so it is fetched again when asked.
                tx.execute(
                    "DELETE FROM stats_ranges WHERE (?1 IS NULL OR site = ?1)
                     AND (?2 IS NULL OR end <= ?2)",
                    params![site, cutoff],
                )?;
                if let Some(cutoff) = cutoff {
                    tx.execute(
                        "UPDATE stats_ranges SET start = ?2
                         WHERE (?1 IS NULL OR site = ?1) AND start < ?2",
                        params![site, cutoff],
                    )?;
                }
                tx.execute(
                    "DELETE FROM stats_listed WHERE series IN (SELECT id FROM stats_series s
                     WHERE (?1 IS NULL OR s.site = ?1) AND NOT EXISTS
                     (SELECT 1 FROM stats_points p WHERE p.series = s.id))",
                    params![site],
                )?;
                tx.execute(
                    "DELETE FROM stats_series WHERE (?1 IS NULL OR site = ?1) AND NOT EXISTS
                     (SELECT 1 FROM stats_points p WHERE p.series = stats_series.id)",
                    params![site],
                )?;
            }
            tx.commit()?;
            Ok(u64::try_from(deleted).unwrap_or(u64::MAX))
        };
        run(&mut conn).map_err(|e| self.error("purging", &e))
    }

    /// Give the space of deleted rows back to the file system.
    ///
    /// # Errors
    /// [`Error::Cache`](crate::Error::Cache) when the file cannot be written
    /// (or another process is using it).
    pub(super) fn vacuum(&self) -> Result<()> {
        let conn = self.conn();
        conn.execute_batch("VACUUM; PRAGMA wal_checkpoint(TRUNCATE);")
            .map_err(|e| self.error("vacuuming", &e))
    }
}

fn count_rows(conn: &Connection) -> rusqlite::Result<Vec<(Option<u64>, CacheKind, u64)>> {
    let mut out = Vec::new();
    let mut push = |site: Option<i64>, kind: CacheKind, rows: i64| {
        out.push((
            site.map(from_sql_id),
            kind,
            u64::try_from(rows).unwrap_or(0),
        ));
    };
    let mut stmt = conn.prepare(
        "SELECT site, kind, count(*) FROM responses GROUP BY site, kind ORDER BY site, kind",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok((
            r.get::<_, Option<i64>>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, i64>(2)?,
        ))
    })?;
    let mut diagnostics: BTreeMap<Option<i64>, i64> = BTreeMap::new();
    for row in rows {
        let (site, kind, rows) = row?;
        match CacheKind::from_name(&kind) {
            Some(CacheKind::Diagnostics) => *diagnostics.entry(site).or_default() += rows,
            Some(kind) => push(site, kind, rows),
            None => {}
        }
    }
    let mut stmt = conn.prepare("SELECT site, count(*) FROM diag_history GROUP BY site")?;
    let rows = stmt.query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?)))?;
    for row in rows {
        let (site, rows) = row?;
        *diagnostics.entry(Some(site)).or_default() += rows;
    }
    for (site, rows) in diagnostics {
        push(site, CacheKind::Diagnostics, rows);
    }
    let mut stmt = conn.prepare(
        "SELECT s.site, count(*) FROM stats_points p JOIN stats_series s ON p.series = s.id
         GROUP BY s.site",
    )?;
    let rows = stmt.query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?)))?;
    for row in rows {
        let (site, rows) = row?;
        push(Some(site), CacheKind::Stats, rows);
    }
    out.sort_by_key(|(site, kind, _)| (*site, *kind));
    Ok(out)
}
