//! [`SiteSettingsStore`] over SQL (`sl_site_settings`, one row with id 1). A save is one
//! conditional statement: the first an `INSERT` only one process can make (the id is the
//! primary key), a later one an `UPDATE … WHERE version = expected`; under concurrency the
//! database decides the winner, never a read followed by a write. A load is one read by
//! primary key, with no cache here, so the next load on every process sees a save (each
//! application keeps what it read for at most `Config::site_cache`, 1 s by default).

use super::*;
use crate::entity::site_settings;
use sharelink_core::SiteSettings;
use sharelink_core::ports::{SiteSaveError, SiteSettingsStore, StoredSite};

use site_settings::Column as C;

/// The id of the one row.
const ROW: i64 = 1;

impl SqlStore {
    /// The site settings over this store's pool.
    pub fn site_settings(&self) -> std::sync::Arc<dyn SiteSettingsStore> {
        std::sync::Arc::new(self.clone())
    }

    async fn stored_version(&self) -> Result<u64> {
        let row = site_settings::Entity::find_by_id(ROW)
            .select_only()
            .column(C::Version)
            .into_tuple::<i64>()
            .one(self.connection())
            .await
            .map_err(DbError)?;
        row.map_or(Ok(0), unsigned)
    }

    async fn write_site(
        &self,
        expected: u64,
        settings: &str,
        by: &UserId,
        at: i64,
    ) -> Result<bool> {
        let next = big(expected + 1)?;
        if expected == 0 {
            let row = site_settings::ActiveModel {
                id: Set(ROW),
                version: Set(next),
                settings: Set(settings.to_owned()),
                updated_at: Set(at),
                updated_by: Set(by.as_str().to_owned()),
            };
            return match site_settings::Entity::insert(row)
                .exec(self.connection())
                .await
            {
                Ok(_) => Ok(true),
                // Another process saved first.
                Err(e) if is_unique_violation(&e) => Ok(false),
                Err(e) => Err(DbError(e).into()),
            };
        }
        Ok(site_settings::Entity::update_many()
            .col_expr(C::Version, Expr::value(next))
            .col_expr(C::Settings, Expr::value(settings))
            .col_expr(C::UpdatedAt, Expr::value(at))
            .col_expr(C::UpdatedBy, Expr::value(by.as_str()))
            .filter(C::Id.eq(ROW))
            .filter(C::Version.eq(big(expected)?))
            .exec(self.connection())
            .await
            .map_err(DbError)?
            .rows_affected
            == 1)
    }
}

fn stored_from(m: site_settings::Model) -> Result<StoredSite> {
    Ok(StoredSite {
        settings: from_json::<SiteSettings>(&m.settings)?,
        version: unsigned(m.version)?,
        updated_at: instant(m.updated_at)?,
        updated_by: parse(&m.updated_by, UserId::parse)?,
    })
}

#[async_trait]
impl SiteSettingsStore for SqlStore {
    async fn load(&self) -> Result<Option<StoredSite>> {
        site_settings::Entity::find_by_id(ROW)
            .one(self.connection())
            .await
            .map_err(DbError)?
            .map(stored_from)
            .transpose()
    }

    async fn save(
        &self,
        expected_version: u64,
        settings: &SiteSettings,
        by: &UserId,
        at: OffsetDateTime,
    ) -> std::result::Result<StoredSite, SiteSaveError> {
        let json = to_json(settings)?;
        let at_nanos = nanos(at)?;
        let saved =
            retry_transient(|| self.write_site(expected_version, &json, by, at_nanos)).await?;
        if !saved {
            return Err(SiteSaveError::Conflict {
                current: self.stored_version().await?,
            });
        }
        Ok(StoredSite {
            settings: settings.clone(),
            version: expected_version + 1,
            updated_at: at,
            updated_by: by.clone(),
        })
    }
}
