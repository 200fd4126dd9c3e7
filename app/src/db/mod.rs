//! Database access shared by every service: the entities, connecting (SQLite tuned for a
//! small server, PostgreSQL for scale), and the few helpers every service needs.

pub mod entities;
pub mod reusable;

use sea_orm::{ConnectOptions, Database, DatabaseConnection, DbBackend, DbErr, SqlErr};
use std::time::Duration;

/// How SQLite makes a commit durable (PostgreSQL is unaffected).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SqliteSync {
    /// `synchronous=FULL`: a commit is on disk before it is acknowledged, so a write the server
    /// answered survives a power cut or an operating-system crash. The default.
    #[default]
    Full,
    /// `synchronous=NORMAL`: in WAL mode the database stays consistent, but the last commits
    /// before a power cut may be lost. Faster for many small writes.
    Normal,
}

impl SqliteSync {
    /// Parses `full` or `normal` (any case).
    pub fn parse(value: &str) -> Option<Self> {
        match value.to_ascii_lowercase().as_str() {
            "full" => Some(SqliteSync::Full),
            "normal" => Some(SqliteSync::Normal),
            _ => None,
        }
    }
}

/// Opens a pool, with durable SQLite commits ([`SqliteSync::Full`]).
pub async fn connect(url: &str, max_connections: u32) -> Result<DatabaseConnection, DbErr> {
    connect_with(url, max_connections, SqliteSync::Full).await
}

/// Opens a pool. SQLite runs in WAL mode with a busy timeout, foreign keys on and `sync`; its
/// pool is small because SQLite has one writer. PostgreSQL gets `max_connections` connections.
pub async fn connect_with(url: &str, max_connections: u32, sync: SqliteSync) -> Result<DatabaseConnection, DbErr> {
    open(url, max_connections, sync, false).await
}

/// Opens a pool for a bulk load of data nobody relies on yet (the demo): commits are not waited
/// onto the disk — SQLite `synchronous=NORMAL` in WAL mode, PostgreSQL `synchronous_commit =
/// off`. Either database stays consistent after a crash; only the last commits before it may be
/// missing. Thousands of small transactions no longer wait for one disk flush each.
pub async fn connect_for_load(url: &str, max_connections: u32) -> Result<DatabaseConnection, DbErr> {
    open(url, max_connections, SqliteSync::Normal, true).await
}

/// Values bound in one statement's `IN` list, at most, where a list grows with the data (every
/// machine of a county, of a page of filings…): SQLite refuses more than 32,766 bound values in a
/// statement, PostgreSQL more than 65,535. Such lists are read in chunks of this many; a
/// statement that binds one list several times takes a third of it.
pub const IN_CHUNK: usize = 10_000;

/// The rows `read` returns for each [`IN_CHUNK`] of `ids`, gathered: for a statement whose `IN`
/// list grows with the data. The rows must belong to their ids (e.g. per machine), so that the
/// parts simply add up.
pub async fn in_chunks<T, R, F, Fut>(ids: &[T], mut read: F) -> Result<Vec<R>, DbErr>
where
    T: Clone,
    F: FnMut(Vec<T>) -> Fut,
    Fut: std::future::Future<Output = Result<Vec<R>, DbErr>>,
{
    let mut out = Vec::new();
    for chunk in ids.chunks(IN_CHUNK) {
        out.extend(read(chunk.to_vec()).await?);
    }
    Ok(out)
}

/// How much of an SQLite database file is read through a memory map.
const MMAP_BYTES: u64 = 256 << 20;

async fn open(
    url: &str,
    max_connections: u32,
    sync: SqliteSync,
    lazy_pg_commits: bool,
) -> Result<DatabaseConnection, DbErr> {
    let mut opts = ConnectOptions::new(url.to_owned());
    opts.max_connections(max_connections)
        .min_connections(1)
        .connect_timeout(Duration::from_secs(10))
        .acquire_timeout(Duration::from_secs(15))
        .sqlx_logging(false);
    // sqlx pings a pooled connection before handing it out: one more round trip (on SQLite a
    // hand-off to the connection's worker thread and back) for every statement. An embedded
    // database has no far end to lose; a PostgreSQL connection is checked only after it sat
    // idle, when the server may have closed it.
    if url.starts_with("sqlite:") {
        opts.test_before_acquire(false);
        opts.map_sqlx_sqlite_opts(move |o| {
            use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
            let synchronous = match sync {
                SqliteSync::Full => SqliteSynchronous::Full,
                SqliteSync::Normal => SqliteSynchronous::Normal,
            };
            o.journal_mode(SqliteJournalMode::Wal)
                .synchronous(synchronous)
                // Pages are read through a memory map (up to 256 MiB of the file) instead of a
                // `pread` into each connection's cache: a look-up reads a few pages of several
                // indexes, and each read was a system call and a copy. Writes are unchanged.
                .pragma("mmap_size", MMAP_BYTES.to_string())
                .busy_timeout(Duration::from_secs(10))
                .foreign_keys(true)
                .create_if_missing(true)
        });
    } else {
        opts.test_before_acquire_if_idle_for(Duration::from_secs(30));
        if lazy_pg_commits {
            opts.map_sqlx_postgres_opts(|o| o.options([("synchronous_commit", "off")]));
        }
    }
    Database::connect(opts).await
}

/// Refreshes the query planner's statistics (after a bulk load). On SQLite it keeps the
/// per-index figures (`sqlite_stat1`) and drops the value samples (`sqlite_stat4`, which the
/// bundled SQLite collects): with samples, a statement that compares an indexed column with a
/// parameter is compiled again whenever the parameter's value changes, so every look-up by a
/// new code re-planned its statement (a third of the server's CPU in `scripts/bench-lookup.sh`).
pub async fn analyze(db: &impl sea_orm::ConnectionTrait) -> Result<(), DbErr> {
    db.execute_unprepared("ANALYZE").await?;
    if is_sqlite(db) {
        let stat4 = sea_orm::Statement::from_string(
            DbBackend::Sqlite,
            "SELECT name FROM sqlite_schema WHERE type = 'table' AND name = 'sqlite_stat4'",
        );
        if db.query_one_raw(stat4).await?.is_some() {
            db.execute_unprepared("DELETE FROM sqlite_stat4").await?;
            // Makes this connection read the statistics again (others read them when they open).
            db.execute_unprepared("ANALYZE sqlite_schema").await?;
        }
    }
    Ok(())
}

/// True when `err` is a unique-constraint violation (classified by the driver, not by text).
pub fn is_unique_violation(err: &DbErr) -> bool {
    matches!(err.sql_err(), Some(SqlErr::UniqueConstraintViolation(_)))
}

/// True for SQLite (where some statements differ, e.g. no `FOR UPDATE`).
pub fn is_sqlite(db: &impl sea_orm::ConnectionTrait) -> bool {
    db.get_database_backend() == DbBackend::Sqlite
}

/// On SQLite, takes the database's one write lock now, before the first read of a change, so
/// that two concurrent changes queue instead of the later failing at commit (SQLite
/// transactions begin deferred; the statement changes nothing). Nothing on PostgreSQL, where
/// callers lock the rows that matter.
pub async fn sqlite_write_lock(db: &impl sea_orm::ConnectionTrait) -> Result<(), DbErr> {
    if is_sqlite(db) {
        db.execute_unprepared("UPDATE divisions SET code = code WHERE 1 = 0").await?;
    }
    Ok(())
}

/// Makes a transaction the only writer of `table` until it ends, before its first read, so
/// that what it checks cannot change under it: on PostgreSQL an `EXCLUSIVE` table lock (reads
/// go on, other writers of the table wait); on SQLite the one write lock
/// ([`sqlite_write_lock`]). For rare changes checked against other rows of the same table,
/// such as publishing a limit table. `table` is a name from the schema, never input.
pub async fn lock_table_for_writes(db: &impl sea_orm::ConnectionTrait, table: &'static str) -> Result<(), DbErr> {
    if is_sqlite(db) {
        return sqlite_write_lock(db).await;
    }
    db.execute_unprepared(&format!("LOCK TABLE {table} IN EXCLUSIVE MODE")).await?;
    Ok(())
}

/// Names by id of the rows of a table (organisations, sites, users…).
pub async fn names<E: sea_orm::EntityTrait>(
    db: &impl sea_orm::ConnectionTrait,
    id: E::Column,
    name: E::Column,
    ids: impl IntoIterator<Item = uuid::Uuid>,
) -> crate::service_error::ServiceResult<std::collections::HashMap<uuid::Uuid, String>> {
    use sea_orm::{ColumnTrait, QueryFilter, QuerySelect};
    let ids: Vec<uuid::Uuid> = ids.into_iter().collect::<std::collections::HashSet<_>>().into_iter().collect();
    let rows = in_chunks(&ids, |chunk| {
        E::find()
            .select_only()
            .column(id)
            .column(name)
            .filter(id.is_in(chunk))
            .into_tuple::<(uuid::Uuid, String)>()
            .all(db)
    })
    .await?;
    Ok(rows.into_iter().collect())
}
