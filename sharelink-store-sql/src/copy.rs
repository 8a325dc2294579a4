//! Moving a whole sharelink database to another database, on any backend:
//! [`copy_database`] with its [`CopyOptions`], [`CopyReport`] and [`CopyError`].
//!
//! The copy is generic over the schema: it reads the tables (every `sl_` table but the
//! migrations record), their columns, primary keys and foreign keys from the databases'
//! own catalogues, so a table added by a later migration is copied without a change here.
//! Both sides must be at the same schema version: the target is created or upgraded by
//! connecting to it, and the source must already be at this version (connect to it once
//! with this version of sharelink).
//!
//! Tables are copied parents first (by their foreign keys), each in primary-key order in
//! batches (keyset pagination, so memory stays bounded whatever the size); each batch is
//! inserted in one transaction together with the progress it makes, recorded in a table
//! of the target ([`PROGRESS_TABLE`]). A copy that stops (a crash, a lost connection)
//! is resumed with [`CopyOptions::resume`] after the last committed batch. Ids, keys,
//! counters and instants are copied as they are; afterwards the target's id sequences
//! are moved past the copied ids (PostgreSQL `setval`, MySQL `AUTO_INCREMENT`; SQLite
//! follows by itself), so new rows do not collide.
//!
//! The copy ends with a verification pass: both databases are read again and, per table,
//! the rows are counted and hashed (SHA-256 of a canonical rendering of each row, summed
//! so that the order the backends sort text keys in does not matter). A difference fails
//! the copy with [`CopyError::VerificationMismatch`], naming the table.
//!
//! Stop the application (every writer of the source) before copying: rows changed after
//! the copy has passed them are not copied again.

use crate::{Error, StoreConfig};
use sea_orm::sea_query::{Alias, ColumnDef, Expr, ExprTrait, Order, Query, Table};
use sea_orm::{
    ConnectionTrait, DatabaseConnection, DbBackend, DbErr, QueryResult, Statement,
    TransactionTrait, Value,
};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::time::{Duration, Instant};

/// The table of the target that records how far an unfinished copy got (dropped when the
/// copy has been verified).
pub const PROGRESS_TABLE: &str = "sl_copy_progress";

/// The table migrations are recorded in: compared, not copied (the target has its own).
const MIGRATIONS_TABLE: &str = "sl_migrations";

/// Most values bound in one statement: below SQLite's limit of 32,766 (PostgreSQL and
/// MySQL allow 65,535).
const MAX_BOUND_VALUES: usize = 30_000;

/// How a copy runs.
#[derive(Debug, Clone)]
pub struct CopyOptions {
    batch_rows: usize,
    resume: bool,
    stop_after_batches: Option<u64>,
}

impl Default for CopyOptions {
    fn default() -> Self {
        Self {
            batch_rows: 1000,
            resume: false,
            stop_after_batches: None,
        }
    }
}

impl CopyOptions {
    /// Batches of 1,000 rows; a target holding rows is refused.
    pub fn new() -> Self {
        Self::default()
    }

    /// Rows read, and inserted in one transaction, at a time (at least 1). Memory use is
    /// about one batch of the widest table.
    #[must_use]
    pub fn batch_rows(mut self, rows: usize) -> Self {
        self.batch_rows = rows.max(1);
        self
    }

    /// Continue a copy that stopped before it finished (its progress is recorded in the
    /// target). Without it, a target holding any row is refused.
    #[must_use]
    pub fn resume(mut self, resume: bool) -> Self {
        self.resume = resume;
        self
    }

    /// Stop with [`CopyError::Stopped`] once `batches` batches are committed, as a crash
    /// would (to rehearse resuming).
    #[must_use]
    pub fn stop_after_batches(mut self, batches: u64) -> Self {
        self.stop_after_batches = Some(batches);
        self
    }
}

/// Which of the two databases an error is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// The database copied from.
    Source,
    /// The database copied to.
    Target,
}

impl fmt::Display for Side {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Side::Source => "source",
            Side::Target => "target",
        })
    }
}

/// Why a copy failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CopyError {
    /// A database could not be opened (or the target not migrated).
    #[error("cannot open the {side} database")]
    Open {
        /// Which one.
        side: Side,
        /// Why.
        #[source]
        source: Error,
    },
    /// The target already holds rows (or an unfinished copy, when not resuming).
    #[error(
        "the target database is not empty: `{table}` holds {rows} rows (copy into an empty \
         database, or resume the interrupted copy)"
    )]
    TargetNotEmpty {
        /// The first table found holding rows.
        table: String,
        /// How many.
        rows: u64,
    },
    /// The two databases are not at the same schema version, or their tables differ.
    #[error("the schemas differ: {reason}")]
    SchemaMismatch {
        /// What differs.
        reason: String,
    },
    /// A column's type is none the copy knows how to carry across backends.
    #[error("column `{table}.{column}` has type `{data_type}`, which the copy cannot carry")]
    UnsupportedColumn {
        /// The table.
        table: String,
        /// The column.
        column: String,
        /// Its type, as the catalogue names it.
        data_type: String,
    },
    /// A table without a primary key cannot be copied in a resumable order.
    #[error("table `{table}` has no primary key")]
    NoPrimaryKey {
        /// The table.
        table: String,
    },
    /// The copy stopped where [`CopyOptions::stop_after_batches`] said.
    #[error("stopped after {batches} batches, as asked; resume to finish")]
    Stopped {
        /// Batches committed.
        batches: u64,
    },
    /// The progress recorded in the target cannot be read.
    #[error("the recorded progress of `{table}` is unreadable: {reason}")]
    Progress {
        /// The table whose progress it is.
        table: String,
        /// Why.
        reason: String,
    },
    /// The verification pass found a table whose rows differ between the databases.
    #[error(
        "verification failed for `{table}`: the source has {source_rows} rows (checksum \
         {source_checksum}), the target {target_rows} (checksum {target_checksum})"
    )]
    VerificationMismatch {
        /// The table.
        table: String,
        /// Rows in the source.
        source_rows: u64,
        /// Rows in the target.
        target_rows: u64,
        /// The source's checksum.
        source_checksum: String,
        /// The target's checksum.
        target_checksum: String,
    },
    /// A statement failed.
    #[error("the {side} database failed{}", table.as_ref().map(|t| format!(" on `{t}`")).unwrap_or_default())]
    Database {
        /// Which database.
        side: Side,
        /// The table being worked on, if any.
        table: Option<String>,
        /// The driver's error.
        #[source]
        source: DbErr,
    },
}

/// What was copied of one table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableReport {
    /// The table.
    pub table: String,
    /// Rows in both databases after the copy.
    pub rows: u64,
    /// Rows this run inserted (less than `rows` when it resumed).
    pub copied: u64,
    /// The checksum both databases agree on (hex).
    pub checksum: String,
}

/// The outcome of a verified copy.
#[derive(Debug, Clone)]
pub struct CopyReport {
    /// The source's backend.
    pub source: DbBackend,
    /// The target's backend.
    pub target: DbBackend,
    /// Whether this run continued an interrupted copy.
    pub resumed: bool,
    /// Every table copied, parents first.
    pub tables: Vec<TableReport>,
    /// How long the run took.
    pub elapsed: Duration,
}

impl CopyReport {
    /// The rows of every table.
    pub fn total_rows(&self) -> u64 {
        self.tables.iter().map(|t| t.rows).sum()
    }
}

impl fmt::Display for CopyReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{:?} -> {:?}{}: {} tables, {} rows, verified, in {:.1?}",
            self.source,
            self.target,
            if self.resumed { " (resumed)" } else { "" },
            self.tables.len(),
            self.total_rows(),
            self.elapsed
        )?;
        writeln!(
            f,
            "{:<24} {:>12} {:>12}  checksum",
            "table", "rows", "copied now"
        )?;
        for t in &self.tables {
            writeln!(
                f,
                "{:<24} {:>12} {:>12}  {}",
                t.table, t.rows, t.copied, t.checksum
            )?;
        }
        Ok(())
    }
}

/// Copies every sharelink table of the database at `from` into the database at `to`
/// (created or upgraded to this version's schema first), then verifies both hold the same
/// rows. See the [module documentation](self).
///
/// # Errors
/// [`CopyError::Open`] when a database cannot be opened; [`CopyError::TargetNotEmpty`]
/// when the target holds rows and this is not a resumed copy;
/// [`CopyError::SchemaMismatch`] when the source is at another schema version;
/// [`CopyError::UnsupportedColumn`] / [`CopyError::NoPrimaryKey`] for a table the copy
/// cannot carry; [`CopyError::Stopped`] as asked; [`CopyError::VerificationMismatch`]
/// naming the first table that differs; [`CopyError::Database`] when a statement fails
/// (resume afterwards).
pub async fn copy_database(
    from: &str,
    to: &str,
    options: &CopyOptions,
) -> Result<CopyReport, CopyError> {
    let started = Instant::now();
    let source = StoreConfig::new(from)
        .open()
        .await
        .map_err(|source| CopyError::Open {
            side: Side::Source,
            source,
        })?;
    let target = StoreConfig::new(to)
        .connect()
        .await
        .map_err(|source| CopyError::Open {
            side: Side::Target,
            source,
        })?
        .connection()
        .clone();
    let result = Copy {
        source: &source,
        target: &target,
        options,
    }
    .run(started)
    .await;
    for (side, db) in [("source", source), ("target", target)] {
        if let Err(e) = db.close().await {
            tracing::debug!(side, error = %e, "closing a database after the copy failed");
        }
    }
    result
}

/// One run of a copy between two open databases.
struct Copy<'a> {
    source: &'a DatabaseConnection,
    target: &'a DatabaseConnection,
    options: &'a CopyOptions,
}

impl Copy<'_> {
    async fn run(&self, started: Instant) -> Result<CopyReport, CopyError> {
        let source_tables = catalogue(self.source, Side::Source).await?;
        let target_tables = catalogue(self.target, Side::Target).await?;
        if !source_tables.contains_key(MIGRATIONS_TABLE) {
            return Err(CopyError::SchemaMismatch {
                reason: "the source holds no sharelink schema (no sl_migrations)".into(),
            });
        }
        let source_versions = versions(self.source, Side::Source).await?;
        let target_versions = versions(self.target, Side::Target).await?;
        if source_versions != target_versions {
            return Err(CopyError::SchemaMismatch {
                reason: format!(
                    "the source is at migrations {source_versions:?}, this version at \
                     {target_versions:?} (connect to the source with this version first)"
                ),
            });
        }
        let plan = plan(&source_tables, &target_tables)?;
        let resumed = self.prepare(&target_tables, &plan).await?;
        let mut progress = read_progress(self.target).await?;
        let mut batches = 0;
        let mut copied = BTreeMap::new();
        for table in &plan {
            let state = progress.remove(&table.name).unwrap_or_default();
            let n = self.copy_table(table, state, &mut batches).await?;
            copied.insert(table.name.clone(), n);
        }
        for table in &plan {
            self.fix_sequence(table).await?;
        }
        let mut tables = Vec::with_capacity(plan.len());
        for table in &plan {
            let (source_rows, source_checksum) = checksum(
                self.source,
                Side::Source,
                table,
                Kinds::Source,
                self.batch(),
            )
            .await?;
            let (target_rows, target_checksum) = checksum(
                self.target,
                Side::Target,
                table,
                Kinds::Target,
                self.batch(),
            )
            .await?;
            if source_rows != target_rows || source_checksum != target_checksum {
                return Err(CopyError::VerificationMismatch {
                    table: table.name.clone(),
                    source_rows,
                    target_rows,
                    source_checksum,
                    target_checksum,
                });
            }
            tables.push(TableReport {
                table: table.name.clone(),
                rows: target_rows,
                copied: copied.get(&table.name).copied().unwrap_or(0),
                checksum: target_checksum,
            });
        }
        let drop = Table::drop()
            .table(Alias::new(PROGRESS_TABLE))
            .if_exists()
            .to_owned();
        self.target
            .execute(&drop)
            .await
            .map_err(db_err(Side::Target, None))?;
        Ok(CopyReport {
            source: self.source.get_database_backend(),
            target: self.target.get_database_backend(),
            resumed,
            tables,
            elapsed: started.elapsed(),
        })
    }

    fn batch(&self) -> usize {
        self.options.batch_rows
    }

    /// Checks the target may be copied into and creates the progress table; whether this
    /// run resumes an earlier one.
    async fn prepare(
        &self,
        target_tables: &BTreeMap<String, TableDef>,
        plan: &[TablePlan],
    ) -> Result<bool, CopyError> {
        if target_tables.contains_key(PROGRESS_TABLE) {
            if self.options.resume {
                return Ok(true);
            }
            let rows = count(self.target, PROGRESS_TABLE).await?;
            return Err(CopyError::TargetNotEmpty {
                table: PROGRESS_TABLE.to_owned(),
                rows,
            });
        }
        for table in plan {
            let rows = count(self.target, &table.name).await?;
            if rows > 0 {
                return Err(CopyError::TargetNotEmpty {
                    table: table.name.clone(),
                    rows,
                });
            }
        }
        let create = Table::create()
            .table(Alias::new(PROGRESS_TABLE))
            .if_not_exists()
            .col(
                ColumnDef::new(Alias::new("table_name"))
                    .string_len(128)
                    .not_null()
                    .primary_key(),
            )
            .col(ColumnDef::new(Alias::new("state")).text().not_null())
            .to_owned();
        self.target
            .execute(&create)
            .await
            .map_err(db_err(Side::Target, None))?;
        Ok(false)
    }

    /// Copies the rows of `table` after `state`; the rows this run inserted.
    async fn copy_table(
        &self,
        table: &TablePlan,
        mut state: Progress,
        batches: &mut u64,
    ) -> Result<u64, CopyError> {
        let mut copied = 0;
        while !state.done {
            let statement = select_batch(
                self.source.get_database_backend(),
                table,
                Kinds::Source,
                state.last_key.as_deref(),
                self.batch(),
            );
            let rows = self
                .source
                .query_all_raw(statement)
                .await
                .map_err(db_err(Side::Source, Some(&table.name)))?;
            let rows = rows
                .iter()
                .map(|row| read_row(row, table, Kinds::Source))
                .collect::<Result<Vec<_>, _>>()
                .map_err(db_err(Side::Source, Some(&table.name)))?;
            state.done = rows.len() < self.batch();
            if let Some(last) = rows.last() {
                state.last_key = Some(table.key.iter().map(|&i| last[i].clone()).collect());
            }
            state.copied += rows.len() as u64;
            self.insert_batch(table, &rows, &state)
                .await
                .map_err(db_err(Side::Target, Some(&table.name)))?;
            copied += rows.len() as u64;
            *batches += 1;
            if self.options.stop_after_batches == Some(*batches) {
                return Err(CopyError::Stopped { batches: *batches });
            }
        }
        Ok(copied)
    }

    /// Inserts `rows` and records `state`, in one transaction.
    async fn insert_batch(
        &self,
        table: &TablePlan,
        rows: &[Vec<Cell>],
        state: &Progress,
    ) -> Result<(), DbErr> {
        let txn = self.target.begin().await?;
        let per_statement = (MAX_BOUND_VALUES / table.columns.len().max(1)).max(1);
        for chunk in rows.chunks(per_statement) {
            let mut insert = Query::insert();
            insert
                .into_table(Alias::new(&table.name))
                .columns(table.columns.iter().map(|c| Alias::new(&c.name)));
            for row in chunk {
                let values = row
                    .iter()
                    .zip(&table.columns)
                    .map(|(cell, column)| Expr::val(cell.value(column.target)));
                insert
                    .values(values)
                    .map_err(|e| DbErr::Custom(e.to_string()))?;
            }
            txn.execute(&insert).await?;
        }
        let state_json = serde_json::to_string(state).map_err(|e| DbErr::Custom(e.to_string()))?;
        let forget = Query::delete()
            .from_table(Alias::new(PROGRESS_TABLE))
            .and_where(Expr::col(Alias::new("table_name")).eq(table.name.as_str()))
            .to_owned();
        txn.execute(&forget).await?;
        let record = Query::insert()
            .into_table(Alias::new(PROGRESS_TABLE))
            .columns([Alias::new("table_name"), Alias::new("state")])
            .values_panic([table.name.as_str().into(), state_json.into()])
            .to_owned();
        txn.execute(&record).await?;
        txn.commit().await
    }

    /// Moves the id sequence of `table` (a single integer key) past the copied ids.
    async fn fix_sequence(&self, table: &TablePlan) -> Result<(), CopyError> {
        let [key] = table.key[..] else { return Ok(()) };
        if table.columns[key].target != Kind::Int {
            return Ok(());
        }
        let name = &table.name;
        let column = &table.columns[key].name;
        let on_error = db_err(Side::Target, Some(name));
        match self.target.get_database_backend() {
            DbBackend::Postgres => {
                // `setval` of NULL (a key without a sequence) is NULL, not an error.
                let sql = format!(
                    "SELECT setval(pg_get_serial_sequence('{name}', '{column}'), \
                     COALESCE((SELECT MAX(\"{column}\") FROM \"{name}\"), 0) + 1, false)"
                );
                self.target
                    .execute_unprepared(&sql)
                    .await
                    .map_err(on_error)?;
            }
            DbBackend::MySql => {
                let sql = format!("SELECT COALESCE(MAX(`{column}`), 0) + 1 FROM `{name}`");
                let next: i64 = self
                    .target
                    .query_one_raw(Statement::from_string(DbBackend::MySql, sql))
                    .await
                    .and_then(|row| match row {
                        Some(row) => row.try_get_by_index(0),
                        None => Ok(1),
                    })
                    .map_err(db_err(Side::Target, Some(name)))?;
                let sql = format!("ALTER TABLE `{name}` AUTO_INCREMENT = {next}");
                self.target
                    .execute_unprepared(&sql)
                    .await
                    .map_err(on_error)?;
            }
            // SQLite numbers after the largest id in the table (and `sqlite_sequence`
            // follows inserted ids).
            _ => {}
        }
        Ok(())
    }
}

/// The `DbErr` mapper for a side and table.
fn db_err(side: Side, table: Option<&str>) -> impl Fn(DbErr) -> CopyError + '_ {
    move |source| CopyError::Database {
        side,
        table: table.map(str::to_owned),
        source,
    }
}

// ----- the catalogue ------------------------------------------------------------------------

/// What a column holds, as far as carrying it across backends goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Int,
    Float,
    Bool,
    Text,
    Bytes,
}

impl Kind {
    /// The kind of a catalogue type name (`bigint`, `character varying`, `varchar(64)`,
    /// `longtext`, `bytea`…), if the copy can carry it.
    fn of(data_type: &str) -> Option<Kind> {
        let t = data_type.to_ascii_lowercase();
        if t.starts_with("bool") {
            Some(Kind::Bool)
        } else if t.contains("int") {
            Some(Kind::Int)
        } else if t.contains("char") || t.contains("text") || t.contains("clob") {
            Some(Kind::Text)
        } else if t.contains("blob") || t.contains("bytea") || t.contains("binary") {
            Some(Kind::Bytes)
        } else if t.contains("real") || t.contains("double") || t.contains("float") {
            Some(Kind::Float)
        } else {
            None
        }
    }
}

/// A table as one database's catalogue describes it.
#[derive(Debug)]
struct TableDef {
    /// Columns in the table's order, with their catalogue types.
    columns: Vec<(String, String)>,
    /// The primary key's columns, in key order.
    key: Vec<String>,
    /// Tables its foreign keys reference.
    parents: BTreeSet<String>,
}

/// A column of a table to copy.
#[derive(Debug)]
struct PlannedColumn {
    name: String,
    source: Kind,
    target: Kind,
}

/// A table to copy: the target's columns, each with its kind on both sides.
#[derive(Debug)]
struct TablePlan {
    name: String,
    columns: Vec<PlannedColumn>,
    /// Indexes into `columns` of the primary key.
    key: Vec<usize>,
}

/// Which side's kinds to read a row with.
#[derive(Debug, Clone, Copy)]
enum Kinds {
    Source,
    Target,
}

impl PlannedColumn {
    fn kind(&self, side: Kinds) -> Kind {
        match side {
            Kinds::Source => self.source,
            Kinds::Target => self.target,
        }
    }
}

/// Every `sl_` table of a database (the migrations record and the progress table
/// included: callers leave them out).
async fn catalogue(
    db: &DatabaseConnection,
    side: Side,
) -> Result<BTreeMap<String, TableDef>, CopyError> {
    let backend = db.get_database_backend();
    let strings = |sql: &str, values: Vec<Value>| {
        let statement = Statement::from_sql_and_values(backend, sql, values);
        async move {
            db.query_all_raw(statement)
                .await?
                .iter()
                .map(|row| {
                    (0..row.column_names().len())
                        .map(|i| row.try_get_by_index::<String>(i))
                        .collect::<Result<Vec<_>, _>>()
                })
                .collect::<Result<Vec<_>, DbErr>>()
        }
    };
    let (tables_sql, columns_sql, key_sql, parents_sql) = match backend {
        DbBackend::Postgres => (
            "SELECT table_name::text FROM information_schema.tables \
             WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'",
            "SELECT column_name::text, data_type::text FROM information_schema.columns \
             WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position",
            "SELECT k.column_name::text FROM information_schema.table_constraints c \
             JOIN information_schema.key_column_usage k ON k.constraint_name = c.constraint_name \
             AND k.table_schema = c.table_schema AND k.table_name = c.table_name \
             WHERE c.constraint_type = 'PRIMARY KEY' AND c.table_schema = current_schema() \
             AND c.table_name = $1 ORDER BY k.ordinal_position",
            "SELECT DISTINCT u.table_name::text FROM information_schema.table_constraints c \
             JOIN information_schema.constraint_column_usage u ON u.constraint_name = c.constraint_name \
             AND u.constraint_schema = c.constraint_schema \
             WHERE c.constraint_type = 'FOREIGN KEY' AND c.table_schema = current_schema() \
             AND c.table_name = $1",
        ),
        DbBackend::MySql => (
            "SELECT CAST(TABLE_NAME AS CHAR) FROM information_schema.TABLES \
             WHERE TABLE_SCHEMA = DATABASE() AND TABLE_TYPE = 'BASE TABLE'",
            "SELECT CAST(COLUMN_NAME AS CHAR), CAST(DATA_TYPE AS CHAR) FROM information_schema.COLUMNS \
             WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION",
            "SELECT CAST(COLUMN_NAME AS CHAR) FROM information_schema.KEY_COLUMN_USAGE \
             WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? AND CONSTRAINT_NAME = 'PRIMARY' \
             ORDER BY ORDINAL_POSITION",
            "SELECT DISTINCT CAST(REFERENCED_TABLE_NAME AS CHAR) FROM information_schema.KEY_COLUMN_USAGE \
             WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? AND REFERENCED_TABLE_NAME IS NOT NULL",
        ),
        _ => (
            "SELECT name FROM sqlite_master WHERE type = 'table'",
            "SELECT name, type FROM pragma_table_info(?) ORDER BY cid",
            "SELECT name FROM pragma_table_info(?) WHERE pk > 0 ORDER BY pk",
            "SELECT DISTINCT \"table\" FROM pragma_foreign_key_list(?)",
        ),
    };
    let on_error = db_err(side, None);
    let names = strings(tables_sql, vec![]).await.map_err(&on_error)?;
    let mut tables = BTreeMap::new();
    for name in names.into_iter().flatten().filter(|n| n.starts_with("sl_")) {
        let arg = || vec![Value::from(name.clone())];
        let columns = strings(columns_sql, arg())
            .await
            .map_err(&on_error)?
            .into_iter()
            .filter_map(|mut row| {
                let data_type = row.pop()?;
                Some((row.pop()?, data_type))
            })
            .collect();
        let key = strings(key_sql, arg()).await.map_err(&on_error)?;
        let parents = strings(parents_sql, arg()).await.map_err(&on_error)?;
        tables.insert(
            name.clone(),
            TableDef {
                columns,
                key: key.into_iter().flatten().collect(),
                parents: parents.into_iter().flatten().collect(),
            },
        );
    }
    Ok(tables)
}

/// The migrations a database has applied.
async fn versions(db: &DatabaseConnection, side: Side) -> Result<Vec<String>, CopyError> {
    let select = Query::select()
        .column(Alias::new("version"))
        .from(Alias::new(MIGRATIONS_TABLE))
        .order_by(Alias::new("version"), Order::Asc)
        .to_owned();
    db.query_all(&select)
        .await
        .and_then(|rows| rows.iter().map(|r| r.try_get_by_index(0)).collect())
        .map_err(db_err(side, Some(MIGRATIONS_TABLE)))
}

/// The tables to copy, parents first (then by name), each checked to exist with the same
/// columns on both sides.
fn plan(
    source: &BTreeMap<String, TableDef>,
    target: &BTreeMap<String, TableDef>,
) -> Result<Vec<TablePlan>, CopyError> {
    let copied = |tables: &BTreeMap<String, TableDef>| -> BTreeSet<String> {
        tables
            .keys()
            .filter(|n| *n != MIGRATIONS_TABLE && *n != PROGRESS_TABLE)
            .cloned()
            .collect()
    };
    let (source_names, target_names) = (copied(source), copied(target));
    if source_names != target_names {
        return Err(CopyError::SchemaMismatch {
            reason: format!(
                "the source has tables {:?}, the target {:?}",
                source_names, target_names
            ),
        });
    }
    let mut ordered: Vec<String> = Vec::with_capacity(target_names.len());
    let mut left = target_names;
    while !left.is_empty() {
        let ready: Vec<String> = left
            .iter()
            .filter(|name| {
                target[*name]
                    .parents
                    .iter()
                    .all(|p| p == *name || !left.contains(p))
            })
            .cloned()
            .collect();
        // A cycle of foreign keys: take the rest in name order (every table has its rows
        // in the end; a backend checking keys at once will say which one cannot wait).
        let ready = if ready.is_empty() {
            left.iter().cloned().collect()
        } else {
            ready
        };
        for name in ready {
            left.remove(&name);
            ordered.push(name);
        }
    }
    ordered
        .into_iter()
        .map(|name| {
            let (s, t) = (&source[&name], &target[&name]);
            let source_types: BTreeMap<&str, &str> = s
                .columns
                .iter()
                .map(|(n, ty)| (n.as_str(), ty.as_str()))
                .collect();
            if source_types.len() != t.columns.len() {
                return Err(CopyError::SchemaMismatch {
                    reason: format!("`{name}` has other columns in the source"),
                });
            }
            let kind = |column: &str, data_type: &str| {
                Kind::of(data_type).ok_or_else(|| CopyError::UnsupportedColumn {
                    table: name.clone(),
                    column: column.to_owned(),
                    data_type: data_type.to_owned(),
                })
            };
            let mut columns = Vec::with_capacity(t.columns.len());
            for (column, data_type) in &t.columns {
                let source_type =
                    source_types
                        .get(column.as_str())
                        .ok_or_else(|| CopyError::SchemaMismatch {
                            reason: format!("`{name}.{column}` is missing in the source"),
                        })?;
                columns.push(PlannedColumn {
                    name: column.clone(),
                    source: kind(column, source_type)?,
                    target: kind(column, data_type)?,
                });
            }
            let key = t
                .key
                .iter()
                .map(|k| columns.iter().position(|c| &c.name == k))
                .collect::<Option<Vec<_>>>()
                .filter(|key| !key.is_empty())
                .ok_or_else(|| CopyError::NoPrimaryKey {
                    table: name.clone(),
                })?;
            Ok(TablePlan { name, columns, key })
        })
        .collect()
}

/// The rows of a table.
async fn count(db: &DatabaseConnection, table: &str) -> Result<u64, CopyError> {
    let select = Query::select()
        .expr(Expr::cust("COUNT(*)"))
        .from(Alias::new(table))
        .to_owned();
    let n: i64 = db
        .query_one(&select)
        .await
        .and_then(|row| row.map_or(Ok(0), |r| r.try_get_by_index(0)))
        .map_err(db_err(Side::Target, Some(table)))?;
    Ok(u64::try_from(n).unwrap_or(0))
}

// ----- rows ---------------------------------------------------------------------------------

/// One value, as read from either backend.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
enum Cell {
    Null,
    Int(i64),
    Float(f64),
    Bool(bool),
    Text(String),
    Bytes(Vec<u8>),
}

impl Cell {
    /// The value for a column of `kind` (booleans and integers are carried into each
    /// other: MySQL keeps booleans as `tinyint`).
    fn value(&self, kind: Kind) -> Value {
        match (self, kind) {
            (Cell::Null, Kind::Int) => Value::BigInt(None),
            (Cell::Null, Kind::Float) => Value::Double(None),
            (Cell::Null, Kind::Bool) => Value::Bool(None),
            (Cell::Null, Kind::Text) => Value::String(None),
            (Cell::Null, Kind::Bytes) => Value::Bytes(None),
            (Cell::Int(i), Kind::Bool) => Value::Bool(Some(*i != 0)),
            (Cell::Int(i), Kind::Float) => Value::Double(Some(*i as f64)),
            (Cell::Bool(b), Kind::Int) => Value::BigInt(Some(i64::from(*b))),
            (Cell::Int(i), _) => Value::BigInt(Some(*i)),
            (Cell::Float(x), _) => Value::Double(Some(*x)),
            (Cell::Bool(b), _) => Value::Bool(Some(*b)),
            (Cell::Text(s), _) => Value::String(Some(s.clone())),
            (Cell::Bytes(b), _) => Value::Bytes(Some(b.clone())),
        }
    }

    /// The value as a column of `kind` holds it (for comparing the two sides).
    fn normalised(self, kind: Kind) -> Cell {
        match (self, kind) {
            (Cell::Int(i), Kind::Bool) => Cell::Bool(i != 0),
            (Cell::Bool(b), Kind::Int) => Cell::Int(i64::from(b)),
            (Cell::Int(i), Kind::Float) => Cell::Float(i as f64),
            (cell, _) => cell,
        }
    }

    /// Appends the canonical rendering: a tag, then the value (lengths before bytes).
    fn render(&self, hasher: &mut Sha256) {
        match self {
            Cell::Null => hasher.update([0]),
            Cell::Int(i) => {
                hasher.update([1]);
                hasher.update(i.to_be_bytes());
            }
            Cell::Float(x) => {
                hasher.update([2]);
                hasher.update(x.to_bits().to_be_bytes());
            }
            Cell::Bool(b) => hasher.update([3, u8::from(*b)]),
            Cell::Text(s) => {
                hasher.update([4]);
                hasher.update((s.len() as u64).to_be_bytes());
                hasher.update(s.as_bytes());
            }
            Cell::Bytes(b) => {
                hasher.update([5]);
                hasher.update((b.len() as u64).to_be_bytes());
                hasher.update(b);
            }
        }
    }
}

/// Reads a row of `table` as the `side`'s columns hold it.
fn read_row(row: &QueryResult, table: &TablePlan, side: Kinds) -> Result<Vec<Cell>, DbErr> {
    table
        .columns
        .iter()
        .enumerate()
        .map(|(i, column)| {
            Ok(match column.kind(side) {
                Kind::Int => row.try_get_by_index::<Option<i64>>(i)?.map(Cell::Int),
                Kind::Float => row.try_get_by_index::<Option<f64>>(i)?.map(Cell::Float),
                Kind::Bool => row.try_get_by_index::<Option<bool>>(i)?.map(Cell::Bool),
                Kind::Text => row.try_get_by_index::<Option<String>>(i)?.map(Cell::Text),
                Kind::Bytes => row.try_get_by_index::<Option<Vec<u8>>>(i)?.map(Cell::Bytes),
            }
            .unwrap_or(Cell::Null))
        })
        .collect()
}

/// The batch of `table` after the key `after` (from the start when `None`), in key order.
fn select_batch(
    backend: DbBackend,
    table: &TablePlan,
    side: Kinds,
    after: Option<&[Cell]>,
    rows: usize,
) -> Statement {
    let mut select = Query::select();
    select
        .from(Alias::new(&table.name))
        .columns(table.columns.iter().map(|c| Alias::new(&c.name)));
    if let Some(after) = after {
        let mut columns = table
            .key
            .iter()
            .map(|&i| Expr::col(Alias::new(&table.columns[i].name)));
        let mut values = after
            .iter()
            .zip(&table.key)
            .map(|(cell, &i)| Expr::val(cell.value(table.columns[i].kind(side))));
        let condition = if table.key.len() == 1 {
            match (columns.next(), values.next()) {
                (Some(c), Some(v)) => c.gt(v),
                _ => Expr::val(false),
            }
        } else {
            Expr::tuple(columns).gt(Expr::tuple(values))
        };
        select.and_where(condition);
    }
    for &i in &table.key {
        select.order_by(Alias::new(&table.columns[i].name), Order::Asc);
    }
    select.limit(rows as u64);
    backend.build(&select)
}

/// The rows of `table` in `db` and their checksum: the sum (mod 2^128) of the first 16
/// bytes of each row's SHA-256, so it does not depend on the order rows come in.
async fn checksum(
    db: &DatabaseConnection,
    side: Side,
    table: &TablePlan,
    kinds: Kinds,
    batch: usize,
) -> Result<(u64, String), CopyError> {
    let on_error = db_err(side, Some(&table.name));
    let (mut rows, mut sum) = (0u64, 0u128);
    let mut after: Option<Vec<Cell>> = None;
    loop {
        let statement = select_batch(
            db.get_database_backend(),
            table,
            kinds,
            after.as_deref(),
            batch,
        );
        let results = db.query_all_raw(statement).await.map_err(&on_error)?;
        for result in &results {
            let row = read_row(result, table, kinds).map_err(&on_error)?;
            after = Some(table.key.iter().map(|&i| row[i].clone()).collect());
            let mut hasher = Sha256::new();
            for (cell, column) in row.into_iter().zip(&table.columns) {
                cell.normalised(column.target).render(&mut hasher);
            }
            let digest = hasher.finalize();
            let mut head = [0u8; 16];
            head.copy_from_slice(&digest[..16]);
            sum = sum.wrapping_add(u128::from_be_bytes(head));
            rows += 1;
        }
        if results.len() < batch {
            return Ok((rows, format!("{sum:032x}")));
        }
    }
}

// ----- progress -----------------------------------------------------------------------------

/// How far the copy of one table got.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct Progress {
    /// The key of the last row copied.
    last_key: Option<Vec<Cell>>,
    /// Rows copied so far.
    copied: u64,
    /// Whether every row is copied.
    done: bool,
}

/// The progress recorded in the target (empty when there is none).
async fn read_progress(
    target: &DatabaseConnection,
) -> Result<BTreeMap<String, Progress>, CopyError> {
    let select = Query::select()
        .columns([Alias::new("table_name"), Alias::new("state")])
        .from(Alias::new(PROGRESS_TABLE))
        .to_owned();
    let rows = target
        .query_all(&select)
        .await
        .map_err(db_err(Side::Target, Some(PROGRESS_TABLE)))?;
    let mut progress = BTreeMap::new();
    for row in rows {
        let (table, state): (String, String) =
            (|| Ok::<_, DbErr>((row.try_get_by_index(0)?, row.try_get_by_index(1)?)))()
                .map_err(db_err(Side::Target, Some(PROGRESS_TABLE)))?;
        let state: Progress = serde_json::from_str(&state).map_err(|e| CopyError::Progress {
            table: table.clone(),
            reason: e.to_string(),
        })?;
        progress.insert(table, state);
    }
    Ok(progress)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalogue_types_map_to_kinds() {
        for (data_type, kind) in [
            ("bigint", Some(Kind::Int)),
            ("INTEGER", Some(Kind::Int)),
            ("character varying", Some(Kind::Text)),
            ("varchar(64)", Some(Kind::Text)),
            ("longtext", Some(Kind::Text)),
            ("text", Some(Kind::Text)),
            ("bytea", Some(Kind::Bytes)),
            ("longblob", Some(Kind::Bytes)),
            ("boolean", Some(Kind::Bool)),
            ("double precision", Some(Kind::Float)),
            ("numeric", None),
            ("timestamp with time zone", None),
        ] {
            assert_eq!(Kind::of(data_type), kind, "{data_type}");
        }
    }

    #[test]
    fn renderings_differ_by_kind_and_boundary() {
        let digest = |cells: &[Cell]| {
            let mut h = Sha256::new();
            cells.iter().for_each(|c| c.render(&mut h));
            h.finalize()
        };
        assert_ne!(digest(&[Cell::Int(1)]), digest(&[Cell::Bool(true)]));
        assert_ne!(digest(&[Cell::Null]), digest(&[Cell::Text(String::new())]));
        assert_ne!(
            digest(&[Cell::Text("ab".into()), Cell::Text("c".into())]),
            digest(&[Cell::Text("a".into()), Cell::Text("bc".into())])
        );
        assert_eq!(
            Cell::Int(1).normalised(Kind::Bool),
            Cell::Bool(true).normalised(Kind::Bool)
        );
    }

    #[test]
    fn progress_survives_its_json() {
        let p = Progress {
            last_key: Some(vec![Cell::Int(7), Cell::Text("s".into())]),
            copied: 3,
            done: false,
        };
        let back: Progress = serde_json::from_str(&serde_json::to_string(&p).unwrap()).unwrap();
        assert_eq!(back.last_key, p.last_key);
        assert_eq!(back.copied, 3);
    }
}
