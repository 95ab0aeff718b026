//! Schema upgrades: the numbered files of `migrations/`, embedded at compile
//! time and applied in order, `PRAGMA user_version` counting the ones done.

use rusqlite::{Connection, TransactionBehavior};

/// Every migration, in order; file `000N_*.sql` brings the schema to
/// version N.
const MIGRATIONS: &[&str] = &[
    include_str!("../../../migrations/0001_initial.sql"),
    include_str!("../../../migrations/0002_listed.sql"),
];

/// The schema version this build writes.
pub(crate) const SCHEMA_VERSION: usize = MIGRATIONS.len();

fn version(conn: &Connection) -> rusqlite::Result<i64> {
    conn.query_row("PRAGMA user_version", [], |row| row.get(0))
}

/// Refuse a file written by a newer schema (or not a database at all)
/// without writing to it.
pub(crate) fn check_version(conn: &Connection) -> Result<(), String> {
    let found = version(conn).map_err(|e| super::describe(&e))?;
    match usize::try_from(found) {
        Ok(v) if v <= SCHEMA_VERSION => Ok(()),
        _ => Err(format!(
            "written by a newer vrm (schema version {found}; this one knows up to \
             {SCHEMA_VERSION}); it was left untouched: upgrade vrm or use another cache path"
        )),
    }
}

/// Apply the migrations the file lacks, each in the one transaction that
/// also bumps the version, so a crash leaves a consistent version.
pub(crate) fn migrate(conn: &mut Connection) -> Result<(), String> {
    let describe = |e: rusqlite::Error| super::describe(&e);
    match usize::try_from(version(conn).map_err(describe)?) {
        Ok(v) if v == SCHEMA_VERSION => return Ok(()),
        Ok(v) if v < SCHEMA_VERSION => {}
        _ => return check_version(conn),
    }
    // Another process may be migrating too: take the write lock, then look
    // again.
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(describe)?;
    let done = usize::try_from(version(&tx).map_err(describe)?).unwrap_or(usize::MAX);
    if done > SCHEMA_VERSION {
        return check_version(&tx);
    }
    for (index, sql) in MIGRATIONS.iter().enumerate().skip(done) {
        tx.execute_batch(sql)
            .map_err(|e| format!("migration {}: {}", index + 1, super::describe(&e)))?;
        let version = i64::try_from(index + 1).unwrap_or(i64::MAX);
        tx.pragma_update(None, "user_version", version)
            .map_err(describe)?;
    }
    tx.commit().map_err(describe)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_migration_applies_to_an_empty_database() {
        let mut conn = Connection::open_in_memory().unwrap();
        migrate(&mut conn).unwrap();
        assert_eq!(version(&conn).unwrap(), SCHEMA_VERSION as i64);
        for table in [
            "scopes",
            "identities",
            "responses",
            "stats_series",
            "stats_points",
            "stats_ranges",
            "diag_current",
            "diag_history",
        ] {
            let n: i64 = conn
                .query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))
                .unwrap();
            assert_eq!(n, 0, "{table}");
        }
        // Applying again is a no-op.
        migrate(&mut conn).unwrap();
        assert_eq!(version(&conn).unwrap(), SCHEMA_VERSION as i64);
    }

    #[test]
    fn a_newer_schema_is_refused() {
        let mut conn = Connection::open_in_memory().unwrap();
        conn.pragma_update(None, "user_version", 99).unwrap();
        let e = check_version(&conn).unwrap_err();
        assert!(e.contains("99") && e.contains("newer"), "{e}");
        assert!(migrate(&mut conn).is_err());
        assert_eq!(version(&conn).unwrap(), 99);
    }
}
