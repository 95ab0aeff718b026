//! Schema upgrades: the numbered files of `migrations/`, embedded at compile
//! time and applied in order, `PRAGMA user_version` counting the ones done;
//! and the check that a file is a vrm cache at all (`PRAGMA
//! application_id`) before anything writes to it.

use std::collections::BTreeSet;

use rusqlite::{Connection, TransactionBehavior};

/// `PRAGMA application_id` of every vrm cache: the ASCII bytes `vrmc`
/// ("vrm cache") read as a big-endian i32, `0x76726d63` = 1987210595. It
/// never changes: the schema version is `PRAGMA user_version`'s job. (Not
/// in SQLite's registry of ids, `magic.txt`, nor one of its entries.)
pub(crate) const APPLICATION_ID: i32 = i32::from_be_bytes(*b"vrmc");

/// Every migration, in order, with its file name; file `000N_*.sql` brings
/// the schema to version N.
const MIGRATIONS: &[(&str, &str)] = &[
    (
        "0001_initial.sql",
        include_str!("../../../migrations/0001_initial.sql"),
    ),
    (
        "0002_listed.sql",
        include_str!("../../../migrations/0002_listed.sql"),
    ),
];

/// The schema version this build writes.
pub(crate) const SCHEMA_VERSION: usize = MIGRATIONS.len();

/// The last schema version that vrm wrote without [`APPLICATION_ID`]:
/// such files are recognised by their tables instead.
const UNSTAMPED_UP_TO: usize = 2;

/// What an inspected file is, as far as it is a vrm cache.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Found {
    /// Its schema version (`PRAGMA user_version`); 0 for an empty file.
    pub version: usize,
    /// Whether it carries [`APPLICATION_ID`] (files of earlier vrm
    /// versions do not).
    pub stamped: bool,
}

impl Found {
    /// Nothing to write: the schema is current and the file stamped.
    fn is_done(self) -> bool {
        self.version == SCHEMA_VERSION && self.stamped
    }
}

/// Why a file could not be inspected or migrated.
#[derive(Debug)]
pub(crate) enum Failure {
    /// Not a vrm cache, or one of a newer vrm: nothing was written, and the
    /// message says what to do.
    Refused(String),
    /// SQLite failed while `doing` this.
    Sqlite {
        doing: String,
        error: rusqlite::Error,
    },
}

impl Failure {
    fn sqlite(doing: &str) -> impl FnOnce(rusqlite::Error) -> Failure + '_ {
        move |error| Failure::Sqlite {
            doing: doing.to_owned(),
            error,
        }
    }
}

/// Tell whether the database behind `conn` is a vrm cache, reading only:
/// its application id, its schema version and its tables.
///
/// A vrm cache carries [`APPLICATION_ID`] and a version this build knows.
/// Also accepted: an empty database (version 0, no schema at all), and the
/// files of earlier vrm versions, which have no application id, version 1
/// or 2 and exactly that version's tables. Everything else is refused.
pub(crate) fn inspect(conn: &Connection) -> Result<Found, Failure> {
    let read = Failure::sqlite("reading its header");
    let (application_id, version) = conn
        .query_row(
            "SELECT application_id, user_version
             FROM pragma_application_id, pragma_user_version",
            [],
            |row| Ok((row.get::<_, i32>(0)?, row.get::<_, i64>(1)?)),
        )
        .map_err(read)?;
    if application_id == APPLICATION_ID {
        return match usize::try_from(version) {
            Ok(version) if version <= SCHEMA_VERSION => Ok(Found {
                version,
                stamped: true,
            }),
            _ => Err(Failure::Refused(format!(
                "written by a newer vrm (schema version {version}; this one knows up to \
                 {SCHEMA_VERSION}); it was left untouched: upgrade vrm or use another --cache path"
            ))),
        };
    }
    let (objects, tables) = schema(conn).map_err(Failure::sqlite("reading its tables"))?;
    if application_id == 0 {
        if version == 0 && objects == 0 {
            return Ok(Found {
                version: 0,
                stamped: false,
            });
        }
        if let Ok(v) = usize::try_from(version)
            && (1..=UNSTAMPED_UP_TO).contains(&v)
            && tables == tables_of(v).map_err(Failure::sqlite("listing vrm's tables"))?
        {
            return Ok(Found {
                version: v,
                stamped: false,
            });
        }
    }
    Err(Failure::Refused(foreign(application_id, version, &tables)))
}

/// The number of schema objects (tables, indexes, views, triggers) and the
/// names of the tables.
fn schema(conn: &Connection) -> rusqlite::Result<(usize, BTreeSet<String>)> {
    let mut stmt = conn.prepare("SELECT type, name FROM sqlite_schema")?;
    let rows = stmt.query_map([], |row| {
        Ok((row.get::<_, String>(0)?, row.get::<_, String>(1)?))
    })?;
    let mut objects = 0;
    let mut tables = BTreeSet::new();
    for row in rows {
        let (kind, name) = row?;
        objects += 1;
        if kind == "table" {
            tables.insert(name);
        }
    }
    Ok((objects, tables))
}

/// The tables of schema `version`, as the migrations create them.
fn tables_of(version: usize) -> rusqlite::Result<BTreeSet<String>> {
    let conn = Connection::open_in_memory()?;
    for (_, sql) in MIGRATIONS.iter().take(version) {
        conn.execute_batch(sql)?;
    }
    schema(&conn).map(|(_, tables)| tables)
}

/// The refusal of a SQLite file that is not a vrm cache: one line, what
/// was found, what to do.
fn foreign(application_id: i32, version: i64, tables: &BTreeSet<String>) -> String {
    const SHOWN: usize = 3;
    let mut list: Vec<String> = tables.iter().take(SHOWN).map(|t| printable(t)).collect();
    if tables.len() > SHOWN {
        list.push(format!("{} more", tables.len() - SHOWN));
    }
    let what = if application_id != 0 {
        format!("a SQLite database of another program: application id {application_id:#010x}")
    } else if tables.is_empty() {
        format!("a SQLite database with schema version {version} and no vrm tables")
    } else {
        format!(
            "a SQLite database of another program: schema version {version}, tables {}",
            list.join(", ")
        )
    };
    format!("not a vrm cache ({what}); it was left untouched: use another --cache path")
}

/// A table name fit for a one-line message: at most 24 characters, no
/// control characters.
fn printable(name: &str) -> String {
    const LONGEST: usize = 24;
    let mut out: String = name
        .chars()
        .take(LONGEST)
        .map(|c| if c.is_control() { '?' } else { c })
        .collect();
    if name.chars().count() > LONGEST {
        out.push('…');
    }
    out
}

/// Bring the file to [`SCHEMA_VERSION`] and stamp it with
/// [`APPLICATION_ID`], all in one transaction, which also re-reads the
/// file under the write lock (another process may have migrated it in
/// between). A failure rolls everything back: the file is as it was.
pub(crate) fn migrate(conn: &mut Connection) -> Result<(), Failure> {
    if inspect(conn)?.is_done() {
        return Ok(());
    }
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(Failure::sqlite("taking the write lock"))?;
    let found = inspect(&tx)?;
    for (index, (name, sql)) in MIGRATIONS.iter().enumerate().skip(found.version) {
        tx.execute_batch(sql).map_err(|error| Failure::Sqlite {
            doing: format!("migration {name} failed, so the file was left as it was"),
            error,
        })?;
        let version = i64::try_from(index + 1).unwrap_or(i64::MAX);
        tx.pragma_update(None, "user_version", version)
            .map_err(Failure::sqlite("setting the schema version"))?;
    }
    if !found.stamped {
        tx.pragma_update(None, "application_id", APPLICATION_ID)
            .map_err(Failure::sqlite("setting the application id"))?;
    }
    tx.commit()
        .map_err(Failure::sqlite("committing the migration"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn version(conn: &Connection) -> i64 {
        conn.query_row("PRAGMA user_version", [], |row| row.get(0))
            .unwrap()
    }

    fn application_id(conn: &Connection) -> i32 {
        conn.query_row("PRAGMA application_id", [], |row| row.get(0))
            .unwrap()
    }

    fn refusal(conn: &Connection) -> String {
        match inspect(conn) {
            Err(Failure::Refused(message)) => message,
            other => panic!("expected a refusal, got {other:?}"),
        }
    }

    #[test]
    fn the_application_id_spells_vrmc() {
        assert_eq!(APPLICATION_ID, 0x7672_6d63);
        assert_eq!(APPLICATION_ID.to_be_bytes(), *b"vrmc");
    }

    #[test]
    fn every_migration_applies_to_an_empty_database() {
        let mut conn = Connection::open_in_memory().unwrap();
        migrate(&mut conn).unwrap();
        assert_eq!(version(&conn), SCHEMA_VERSION as i64);
        assert_eq!(application_id(&conn), APPLICATION_ID);
        for table in [
            "scopes",
            "identities",
            "responses",
            "stats_series",
            "stats_points",
            "stats_ranges",
            "stats_listed",
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
        assert_eq!(version(&conn), SCHEMA_VERSION as i64);
        assert_eq!(
            inspect(&conn).unwrap(),
            Found {
                version: SCHEMA_VERSION,
                stamped: true
            }
        );
    }

    #[test]
    fn files_of_earlier_versions_are_recognised_by_their_tables_and_stamped() {
        for old in 1..=UNSTAMPED_UP_TO {
            let mut conn = Connection::open_in_memory().unwrap();
            for (_, sql) in &MIGRATIONS[..old] {
                conn.execute_batch(sql).unwrap();
            }
            conn.pragma_update(None, "user_version", old as i64)
                .unwrap();
            assert_eq!(
                inspect(&conn).unwrap(),
                Found {
                    version: old,
                    stamped: false
                }
            );
            migrate(&mut conn).unwrap();
            assert_eq!(version(&conn), SCHEMA_VERSION as i64, "from {old}");
            assert_eq!(application_id(&conn), APPLICATION_ID, "from {old}");
        }
    }

    #[test]
    fn a_newer_schema_is_refused() {
        let mut conn = Connection::open_in_memory().unwrap();
        conn.pragma_update(None, "application_id", APPLICATION_ID)
            .unwrap();
        conn.pragma_update(None, "user_version", 99).unwrap();
        let e = refusal(&conn);
        assert!(e.contains("99") && e.contains("newer"), "{e}");
        assert!(matches!(migrate(&mut conn), Err(Failure::Refused(_))));
        assert_eq!(version(&conn), 99);
    }

    #[test]
    fn other_programs_databases_are_refused() {
        // Tables without a version.
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch("CREATE TABLE notes (x); CREATE TABLE tags (y);")
            .unwrap();
        let e = refusal(&conn);
        assert!(e.starts_with("not a vrm cache"), "{e}");
        assert!(
            e.contains("notes, tags") && e.contains("left untouched"),
            "{e}"
        );
        // Another program's id, even on an empty schema.
        let conn = Connection::open_in_memory().unwrap();
        conn.pragma_update(None, "application_id", 0x4750_4b47)
            .unwrap();
        assert!(refusal(&conn).contains("application id 0x47504b47"));
        // A version but no id, and tables that are not vrm's (even ours
        // but one).
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(MIGRATIONS[0].1).unwrap();
        conn.execute_batch("DROP TABLE diag_history; PRAGMA user_version = 1;")
            .unwrap();
        assert!(refusal(&conn).contains("schema version 1"));
        // A version and no schema at all.
        let conn = Connection::open_in_memory().unwrap();
        conn.pragma_update(None, "user_version", 3).unwrap();
        assert!(refusal(&conn).contains("no vrm tables"));
        // Long and odd names are cut, and the message stays one line.
        let conn = Connection::open_in_memory().unwrap();
        for i in 0..5 {
            conn.execute_batch(&format!(
                "CREATE TABLE \"line\nbreak {i} and a very long name indeed\" (x)"
            ))
            .unwrap();
        }
        let e = refusal(&conn);
        assert!(!e.contains('\n') && e.len() < 300, "{e}");
        assert!(e.contains("2 more"), "{e}");
    }

    #[test]
    fn a_failed_migration_rolls_everything_back() {
        let mut conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(MIGRATIONS[0].1).unwrap();
        conn.execute_batch("CREATE TABLE stats_listed (other TEXT); PRAGMA user_version = 1;")
            .unwrap();
        conn.pragma_update(None, "application_id", APPLICATION_ID)
            .unwrap();
        let Err(Failure::Sqlite { doing, error }) = migrate(&mut conn) else {
            panic!("the clash went unnoticed");
        };
        assert!(doing.contains("0002_listed.sql"), "{doing}");
        assert!(error.to_string().contains("already exists"), "{error}");
        assert_eq!(version(&conn), 1);
        let columns: String = conn
            .query_row(
                "SELECT group_concat(name) FROM pragma_table_info('stats_listed')",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(columns, "other");
    }
}
