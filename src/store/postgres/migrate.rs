//! The PostgreSQL schema: the numbered files of `migrations/postgres/`,
//! embedded at compile time, applied in order in one transaction on open,
//! with `vrm_meta` holding the version (what `PRAGMA application_id` and
//! `user_version` are to a file). Before anything is written, the schema
//! is inspected: a newer vrm schema, or tables of another program under
//! our names, are refused and left untouched.

use postgres::GenericClient;

/// Every migration, in order; file `000N_*.sql` brings the schema to
/// version N.
const MIGRATIONS: &[(&str, &str)] = &[(
    "0001_initial.sql",
    include_str!("../../../migrations/postgres/0001_initial.sql"),
)];

/// The schema version this build writes.
pub(crate) const SCHEMA_VERSION: i32 = MIGRATIONS.len() as i32;

/// The value of `vrm_meta.application` in every vrm cache.
const APPLICATION: &str = "vrm cache";

/// The advisory lock (two keys: vrm's namespace and this purpose) that one
/// migrator at a time holds, so that workers opening a new database at
/// once migrate it once.
pub(crate) const NAMESPACE: i32 = i32::from_be_bytes(*b"vrmc");
const MIGRATION_LOCK: i32 = 1;

/// Why the schema could not be used.
#[derive(Debug)]
pub(crate) enum Failure {
    /// Not ours, or newer: nothing was written; the message says what to do.
    Refused(String),
    /// The server failed while `doing` this.
    Db {
        doing: String,
        error: postgres::Error,
    },
}

fn db(doing: &str) -> impl FnOnce(postgres::Error) -> Failure + '_ {
    move |error| Failure::Db {
        doing: doing.to_owned(),
        error,
    }
}

/// The names (tables, views, indexes) the migrations create.
pub(crate) fn our_names() -> Vec<String> {
    let mut names = Vec::new();
    for (_, sql) in MIGRATIONS {
        let words: Vec<&str> = sql
            .split(|c: char| c.is_whitespace() || c == '(' || c == ';')
            .filter(|w| !w.is_empty())
            .collect();
        for w in words.windows(3) {
            if w[0] == "CREATE" && matches!(w[1], "TABLE" | "VIEW" | "INDEX") {
                names.push(w[2].to_owned());
            }
        }
    }
    names
}

/// The version of the vrm schema in the connection's current schema: 0
/// for none at all. Reads only.
pub(crate) fn inspect(conn: &mut impl GenericClient) -> Result<i32, Failure> {
    let schema: Option<String> = conn
        .query_one("SELECT current_schema()", &[])
        .map_err(db("reading the current schema"))?
        .get(0);
    let Some(schema) = schema else {
        return Err(Failure::Refused(
            "has no schema to keep the cache in (search_path names none that exists); it was \
             left untouched: create the schema, or set search_path in the URL's options"
                .into(),
        ));
    };
    let names = our_names();
    let found: Vec<String> = conn
        .query(
            "SELECT c.relname::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE n.nspname = current_schema() AND c.relname::text = ANY($1) ORDER BY 1",
            &[&names],
        )
        .map_err(db("listing the tables"))?
        .iter()
        .map(|r| r.get(0))
        .collect();
    if found.is_empty() {
        return Ok(0);
    }
    let foreign = |what: String| {
        Failure::Refused(format!(
            "schema {schema:?} is not a vrm cache ({what}); it was left untouched: use another \
             database, or another schema (?options=-csearch_path%3Dvrm)"
        ))
    };
    if !found.iter().any(|n| n == "vrm_meta") {
        let shown: Vec<&str> = found.iter().take(3).map(String::as_str).collect();
        let more = match found.len() {
            n if n > 3 => format!(" and {} more", n - 3),
            _ => String::new(),
        };
        return Err(foreign(format!(
            "it holds tables under vrm's names: {}{more}",
            shown.join(", ")
        )));
    }
    let meta = conn.query(
        "SELECT application::text, version::integer FROM vrm_meta",
        &[],
    );
    let rows = match meta {
        Ok(rows) => rows,
        Err(_) => return Err(foreign("its vrm_meta is another program's".into())),
    };
    let [row] = &rows[..] else {
        return Err(foreign(format!("its vrm_meta holds {} rows", rows.len())));
    };
    let (application, version): (String, i32) = (row.get(0), row.get(1));
    if application != APPLICATION {
        return Err(foreign(format!("its vrm_meta names {application:?}")));
    }
    if version > SCHEMA_VERSION {
        return Err(Failure::Refused(format!(
            "schema {schema:?} was written by a newer vrm (schema version {version}; this one \
             knows up to {SCHEMA_VERSION}); it was left untouched: upgrade vrm or use another \
             database"
        )));
    }
    if version < 1 {
        return Err(foreign(format!("its vrm_meta says version {version}")));
    }
    Ok(version)
}

/// Bring the schema to [`SCHEMA_VERSION`] in one transaction, under the
/// migration lock, inspecting again once the lock is held (another worker
/// may have migrated it meanwhile). A failure rolls everything back.
pub(crate) fn migrate(client: &mut postgres::Client) -> Result<(), Failure> {
    if inspect(client)? == SCHEMA_VERSION {
        return Ok(());
    }
    let mut tx = client.transaction().map_err(db("starting the migration"))?;
    tx.execute(
        "SELECT pg_advisory_xact_lock($1, $2)",
        &[&NAMESPACE, &MIGRATION_LOCK],
    )
    .map_err(db("taking the migration lock"))?;
    let found = inspect(&mut tx)?;
    let from = usize::try_from(found).unwrap_or(0);
    for (name, sql) in MIGRATIONS.iter().skip(from) {
        tx.batch_execute(sql).map_err(|error| Failure::Db {
            doing: format!("migration {name} failed, so the database was left as it was"),
            error,
        })?;
    }
    if found < SCHEMA_VERSION {
        tx.execute(
            "INSERT INTO vrm_meta (application, version) VALUES ($1, $2)
             ON CONFLICT (application) DO UPDATE SET version = excluded.version",
            &[&APPLICATION, &SCHEMA_VERSION],
        )
        .map_err(db("setting the schema version"))?;
    }
    tx.commit().map_err(db("committing the migration"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_names_of_the_schema_are_read_from_its_files() {
        let names = our_names();
        for name in [
            "vrm_meta",
            "vrm_scopes",
            "vrm_stats_points",
            "vrm_stats_claims",
            "vrm_rate_budgets",
            "vrm_points",
            "vrm_stats_ranges_by_key",
        ] {
            assert!(names.iter().any(|n| n == name), "{name}: {names:?}");
        }
        assert!(names.iter().all(|n| n.starts_with("vrm_")), "{names:?}");
    }
}
