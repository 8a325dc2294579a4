//! [`Lease`] over SQL (`sl_leases`). Taking over an ended lease is one conditional
//! `UPDATE` (`held_until <= now`); the first lease of a job is an `INSERT` that only one
//! process can make (the job is the primary key). Under concurrency the database decides
//! the winner either way, never a read followed by a write.

use super::*;
use crate::entity::lease;
use sharelink_core::ports::Lease;

use lease::Column as L;

impl SqlStore {
    /// The housekeeping leases over this store's pool.
    pub fn lease(&self) -> std::sync::Arc<dyn Lease> {
        std::sync::Arc::new(self.clone())
    }

    async fn take_over(&self, job: &str, holder: &str, now: i64, until: i64) -> Result<bool> {
        Ok(lease::Entity::update_many()
            .col_expr(L::Holder, Expr::value(holder))
            .col_expr(L::HeldUntil, Expr::value(until))
            .filter(L::Job.eq(job))
            .filter(L::HeldUntil.lte(now))
            .exec(self.connection())
            .await
            .map_err(DbError)?
            .rows_affected
            == 1)
    }

    async fn take_first(&self, job: &str, holder: &str, until: i64) -> Result<bool> {
        let row = lease::ActiveModel {
            job: Set(job.to_owned()),
            holder: Set(holder.to_owned()),
            held_until: Set(until),
        };
        match lease::Entity::insert(row).exec(self.connection()).await {
            Ok(_) => Ok(true),
            // Another process holds it, or took it first.
            Err(e) if is_unique_violation(&e) => Ok(false),
            Err(e) => Err(DbError(e).into()),
        }
    }
}

#[async_trait]
impl Lease for SqlStore {
    async fn try_acquire(
        &self,
        job: &str,
        holder: &str,
        now: OffsetDateTime,
        until: OffsetDateTime,
    ) -> Result<bool> {
        let (now, until) = (nanos(now)?, nanos(until)?);
        retry_transient(|| async {
            Ok(self.take_over(job, holder, now, until).await?
                || self.take_first(job, holder, until).await?)
        })
        .await
    }

    async fn release(&self, job: &str, holder: &str) -> Result<bool> {
        Ok(lease::Entity::delete_many()
            .filter(L::Job.eq(job))
            .filter(L::Holder.eq(holder))
            .exec(self.connection())
            .await
            .map_err(DbError)?
            .rows_affected
            == 1)
    }
}
