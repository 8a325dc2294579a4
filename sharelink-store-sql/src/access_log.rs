//! [`AccessLog`] over SQL: events in `sl_log_events`, indexed by share and time.

use crate::SqlStore;
use crate::codec::{big, from_json, instant, nanos, parse, to_json, unsigned};
use crate::entity::log_event;
use crate::error::{DbError, corrupt};
use async_trait::async_trait;
use sea_orm::sea_query::{Expr, Query, SelectStatement};
use sea_orm::{
    ActiveValue::{NotSet, Set},
    ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, QueryFilter, QueryOrder, QueryResult,
    QuerySelect,
};
use sharelink_core::ports::{
    AccessLog, DailyQuery, DayStats, LogEvent, LogKind, LogQuery, NewLogEvent, RepoError,
    ShareStats, every_day,
};
use sharelink_core::{Email, RegistrationId, ShareId};
use time::{Duration, OffsetDateTime};

type Result<T> = std::result::Result<T, RepoError>;

fn event_from(m: log_event::Model) -> Result<LogEvent> {
    Ok(LogEvent {
        id: m.id,
        event: NewLogEvent {
            share_id: ShareId(m.share_id),
            at: instant(m.at)?,
            kind: LogKind::parse(&m.kind)
                .ok_or_else(|| corrupt(format!("unknown log kind `{}`", m.kind)))?,
            paths: from_json(&m.paths)?,
            bytes: m.bytes.map(unsigned).transpose()?,
            ip: m.ip.as_deref().map(|i| parse(i, str::parse)).transpose()?,
            user_agent: m.user_agent,
            visitor: m.visitor,
            email: m
                .email
                .as_deref()
                .map(|e| parse(e, Email::parse))
                .transpose()?,
            registration: m.registration.map(RegistrationId),
            detail: m.detail,
        },
    })
}

/// The integer type a `CAST` names on each backend.
fn integer_type(backend: DbBackend) -> &'static str {
    match backend {
        DbBackend::MySql => "SIGNED",
        DbBackend::Postgres => "BIGINT",
        _ => "INTEGER",
    }
}

/// `SUM(CASE WHEN kind IN (kinds) THEN value ELSE 0 END)` as a plain integer on every
/// backend (PostgreSQL sums to `numeric` and MySQL to `DECIMAL` otherwise).
fn sum_of(backend: DbBackend, kinds: &[LogKind], value: &str) -> Expr {
    let kinds = kinds
        .iter()
        .map(|k| format!("'{}'", k.as_str()))
        .collect::<Vec<_>>()
        .join(", ");
    Expr::cust(format!(
        "CAST(COALESCE(SUM(CASE WHEN kind IN ({kinds}) THEN {value} ELSE 0 END), 0) AS {})",
        integer_type(backend)
    ))
}

/// The UTC day of `at` as days since 1970-01-01, rounded down (also before 1970, where
/// `/` and `%` round towards zero), as a plain integer on every backend.
fn day_number(backend: DbBackend) -> String {
    const DAY: i64 = 86_400_000_000_000;
    // The numerator is a whole number of days, so MySQL's `DIV` and the others' integer
    // `/` agree.
    let div = if backend == DbBackend::MySql {
        "DIV"
    } else {
        "/"
    };
    format!(
        "CAST((at - (((at % {DAY}) + {DAY}) % {DAY})) {div} {DAY} AS {})",
        integer_type(backend)
    )
}

/// An instant as stored, or the nearest the column can hold: a range bound past what an
/// `i64` of nanoseconds holds includes everything on that side.
fn clamped_nanos(at: OffsetDateTime) -> i64 {
    nanos(at).unwrap_or(if at < OffsetDateTime::UNIX_EPOCH {
        i64::MIN
    } else {
        i64::MAX
    })
}

/// The columns of [`ShareStats`] over the rows a select reads.
fn stat_columns(b: DbBackend) -> SelectStatement {
    use LogKind::*;
    Query::select()
        .expr_as(sum_of(b, &[Visit], "1"), "visits")
        .expr_as(
            // Visitors are the browsers that opened the share: a refused or a bot's
            // request is no visitor.
            Expr::cust(format!(
                "CAST(COUNT(DISTINCT CASE WHEN kind = '{}' THEN visitor END) AS {})",
                Visit.as_str(),
                integer_type(b)
            )),
            "unique_visitors",
        )
        .expr_as(sum_of(b, &[Download, DownloadAll], "1"), "downloads")
        .expr_as(
            sum_of(b, &[Download, DownloadAll], "COALESCE(bytes, 0)"),
            "bytes_downloaded",
        )
        .expr_as(sum_of(b, &[Upload], "1"), "uploads")
        .expr_as(sum_of(b, &[Upload], "COALESCE(bytes, 0)"), "bytes_uploaded")
        .expr_as(sum_of(b, &[Denied], "1"), "denials")
        .to_owned()
}

/// Reads the columns of [`stat_columns`].
fn stats_from(row: &QueryResult) -> Result<ShareStats> {
    let get = |name: &str| -> Result<u64> {
        let n: i64 = row.try_get("", name).map_err(DbError)?;
        unsigned(n)
    };
    Ok(ShareStats {
        visits: get("visits")?,
        unique_visitors: get("unique_visitors")?,
        downloads: get("downloads")?,
        bytes_downloaded: get("bytes_downloaded")?,
        uploads: get("uploads")?,
        bytes_uploaded: get("bytes_uploaded")?,
        denials: get("denials")?,
    })
}

/// Inserts one event; its id.
pub(crate) async fn insert(conn: &impl ConnectionTrait, e: &NewLogEvent) -> Result<i64> {
    Ok(log_event::Entity::insert(row(e)?)
        .exec(conn)
        .await
        .map_err(DbError)?
        .last_insert_id)
}

/// Writes `events` with one statement where the ids of its rows can be known: PostgreSQL
/// returns them, and SQLite gives the rows of one statement consecutive ids ending at the
/// last one (the writer holds the database's one write lock). One row at a time
/// elsewhere. Their ids in order.
pub(crate) async fn insert_all(
    conn: &impl ConnectionTrait,
    events: &[&NewLogEvent],
) -> Result<Vec<i64>> {
    let rows = events.iter().map(|e| row(e)).collect::<Result<Vec<_>>>()?;
    let n = i64::try_from(rows.len())
        .map_err(|_| corrupt("a batch of log events too long to count"))?;
    match conn.get_database_backend() {
        _ if rows.is_empty() => Ok(Vec::new()),
        DbBackend::Postgres => Ok(log_event::Entity::insert_many(rows)
            .exec_with_returning_keys(conn)
            .await
            .map_err(DbError)?),
        DbBackend::Sqlite => {
            let last = log_event::Entity::insert_many(rows)
                .exec(conn)
                .await
                .map_err(DbError)?
                .last_insert_id
                .ok_or_else(|| corrupt("a batch of log events was written without an id"))?;
            Ok((last - n + 1..=last).collect())
        }
        _ => {
            let mut ids = Vec::with_capacity(rows.len());
            for e in events {
                ids.push(insert(conn, e).await?);
            }
            Ok(ids)
        }
    }
}

/// The row of an event.
fn row(e: &NewLogEvent) -> Result<log_event::ActiveModel> {
    Ok(log_event::ActiveModel {
        id: NotSet,
        share_id: Set(e.share_id.0),
        at: Set(nanos(e.at)?),
        kind: Set(e.kind.as_str().to_owned()),
        paths: Set(to_json(&e.paths)?),
        bytes: Set(e.bytes.map(big).transpose()?),
        ip: Set(e.ip.map(|i| i.to_string())),
        user_agent: Set(e.user_agent.clone()),
        visitor: Set(e.visitor.clone()),
        email: Set(e.email.as_ref().map(|m| m.as_str().to_owned())),
        registration: Set(e.registration.map(|r| r.0)),
        detail: Set(e.detail.clone()),
    })
}

#[async_trait]
impl AccessLog for SqlStore {
    async fn append(&self, e: &NewLogEvent) -> Result<i64> {
        let db = self.unflushed();
        match self.log_writer().append(db, e).await {
            Some(result) => result,
            None => insert(db, e).await,
        }
    }

    async fn query(&self, q: &LogQuery) -> Result<Vec<LogEvent>> {
        use log_event::Column as L;
        let mut select = log_event::Entity::find();
        if let Some(shares) = &q.shares {
            if shares.is_empty() {
                return Ok(Vec::new());
            }
            select = select.filter(L::ShareId.is_in(shares.iter().map(|s| s.0)));
        }
        if let Some(kinds) = &q.kinds {
            if kinds.is_empty() {
                return Ok(Vec::new());
            }
            select = select.filter(L::Kind.is_in(kinds.iter().map(|k| k.as_str())));
        }
        if let Some(from) = q.from {
            select = select.filter(L::At.gte(nanos(from)?));
        }
        if let Some(to) = q.to {
            select = select.filter(L::At.lt(nanos(to)?));
        }
        if let Some(before) = q.before_id {
            select = select.filter(L::Id.lt(before));
        }
        select
            .order_by_desc(L::Id)
            .limit(u64::from(q.limit.clamp(1, 1000)))
            .all(self.connection())
            .await
            .map_err(DbError)?
            .into_iter()
            .map(event_from)
            .collect()
    }

    async fn statistics(&self, share: ShareId) -> Result<ShareStats> {
        let mut select = stat_columns(self.backend());
        select
            .from(log_event::Entity)
            .and_where(log_event::Column::ShareId.eq(share.0));
        let Some(row) = self
            .connection()
            .query_one(&select)
            .await
            .map_err(DbError)?
        else {
            return Ok(ShareStats::default());
        };
        stats_from(&row)
    }

    async fn daily_statistics(&self, q: &DailyQuery) -> Result<Vec<DayStats>> {
        use log_event::Column as L;
        if q.last < q.first {
            return Ok(Vec::new());
        }
        let b = self.backend();
        let mut select = stat_columns(b);
        select
            .expr_as(Expr::cust(day_number(b)), "day")
            .from(log_event::Entity)
            .and_where(L::At.gte(clamped_nanos(q.first.midnight().assume_utc())))
            .add_group_by([Expr::cust(day_number(b))]);
        if let Some(next) = q.last.next_day() {
            select.and_where(L::At.lt(clamped_nanos(next.midnight().assume_utc())));
        }
        if let Some(shares) = &q.shares {
            if shares.is_empty() {
                return Ok(every_day(q, []));
            }
            select.and_where(L::ShareId.is_in(shares.iter().map(|s| s.0)));
        }
        let rows = self
            .connection()
            .query_all(&select)
            .await
            .map_err(DbError)?;
        let counted = rows
            .iter()
            .map(|row| {
                let day: i64 = row.try_get("", "day").map_err(DbError)?;
                let day = OffsetDateTime::UNIX_EPOCH
                    .date()
                    .checked_add(Duration::days(day))
                    .ok_or_else(|| corrupt(format!("day {day} out of range")))?;
                Ok((day, stats_from(row)?))
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(every_day(q, counted))
    }

    async fn purge_before(&self, cutoff: OffsetDateTime) -> Result<u64> {
        Ok(log_event::Entity::delete_many()
            .filter(log_event::Column::At.lt(nanos(cutoff)?))
            .exec(self.connection())
            .await
            .map_err(DbError)?
            .rows_affected)
    }

    async fn delete_share(&self, share: ShareId) -> Result<u64> {
        Ok(log_event::Entity::delete_many()
            .filter(log_event::Column::ShareId.eq(share.0))
            .exec(self.connection())
            .await
            .map_err(DbError)?
            .rows_affected)
    }
}
