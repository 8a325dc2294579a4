//! [`DigestStore`] over SQL (`sl_digest_entries`): an insert per entry, reads in id
//! order, and one `DELETE … WHERE id IN (…)` per removal, so entries added meanwhile by
//! other processes are never touched.

use super::*;
use crate::entity::digest_entry;
use sharelink_core::ports::{DigestEntry, DigestEntryId, DigestStore, NewDigestEntry};

use digest_entry::Column as D;

/// Ids removed per statement (well under every backend's limit on bound parameters).
const REMOVE_BATCH: usize = 500;

/// A stored row back into the domain.
fn entry_from(m: digest_entry::Model) -> Result<DigestEntry> {
    Ok(DigestEntry {
        id: DigestEntryId(m.id),
        entry: NewDigestEntry {
            to: parse(&m.recipient, Email::parse)?,
            share: ShareId(m.share_id),
            owner: parse(&m.owner, UserId::parse)?,
            time_zone: m.time_zone,
            notice: from_json(&m.notice)?,
        },
    })
}

impl SqlStore {
    /// The digest store over this store's pool.
    pub fn digests(&self) -> std::sync::Arc<dyn DigestStore> {
        std::sync::Arc::new(self.clone())
    }
}

#[async_trait]
impl DigestStore for SqlStore {
    async fn add_digest_entry(&self, entry: &NewDigestEntry) -> Result<DigestEntryId> {
        let row = digest_entry::ActiveModel {
            id: NotSet,
            recipient: Set(entry.to.as_str().to_owned()),
            share_id: Set(entry.share.0),
            owner: Set(entry.owner.as_str().to_owned()),
            time_zone: Set(entry.time_zone.clone()),
            notice: Set(to_json(&entry.notice)?),
            at: Set(nanos(entry.notice.at)?),
        };
        let id = digest_entry::Entity::insert(row)
            .exec(self.connection())
            .await
            .map_err(DbError)?
            .last_insert_id;
        Ok(DigestEntryId(id))
    }

    async fn digest_entries(
        &self,
        after: Option<DigestEntryId>,
        limit: u32,
    ) -> Result<Vec<DigestEntry>> {
        if limit == 0 {
            return Ok(Vec::new());
        }
        let mut query = digest_entry::Entity::find();
        if let Some(after) = after {
            query = query.filter(D::Id.gt(after.0));
        }
        query
            .order_by_asc(D::Id)
            .limit(u64::from(limit))
            .all(self.connection())
            .await
            .map_err(DbError)?
            .into_iter()
            .map(entry_from)
            .collect()
    }

    async fn remove_digest_entries(&self, ids: &[DigestEntryId]) -> Result<u64> {
        let mut removed = 0;
        for batch in ids.chunks(REMOVE_BATCH) {
            removed += digest_entry::Entity::delete_many()
                .filter(D::Id.is_in(batch.iter().map(|id| id.0)))
                .exec(self.connection())
                .await
                .map_err(DbError)?
                .rows_affected;
        }
        Ok(removed)
    }
}
