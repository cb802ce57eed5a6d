//! SQL of the property log: the audited changes of dist and release
//! properties (migration 0003). An edit reads the current set and writes
//! only the differences, in one transaction that also holds the write lock,
//! so concurrent edits (on several instances) never record a stale `old`.

use app::model::properties::{changes_between, PropertyChange, PropertySet};
use app::model::{Dist, Release, Timestamp};
use std::collections::BTreeMap;
use std::sync::Arc;

use super::{Actor, Store, StoreError, LOCK_FOR_WRITE, WRITE_LOCK_KEY};

const SELECT_CHANGES_AFTER: &str = "SELECT id, dist_name, release_name, prop_key, value, happened_at, \
     recorded_at, recorded_by, source FROM property_changes WHERE id > $1 ORDER BY id LIMIT $2";

const INSERT_CHANGE: &str = "INSERT INTO property_changes (dist_name, release_name, prop_key, value, \
     happened_at, recorded_at, recorded_by, source) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";

/// `release_name` of a property of the dist itself.
const DIST_ITSELF: &str = "";

#[derive(sqlx::FromRow)]
struct ChangeRow {
    id: i64,
    dist_name: String,
    release_name: String,
    prop_key: String,
    value: Option<String>,
    happened_at: Timestamp,
    recorded_at: Timestamp,
    recorded_by: String,
    source: String,
}

impl TryFrom<ChangeRow> for PropertyChange {
    type Error = StoreError;

    fn try_from(r: ChangeRow) -> Result<Self, StoreError> {
        let corrupt = |e: String| StoreError::Corrupt(format!("property change {}: {e}", r.id));
        let release = match r.release_name.as_str() {
            DIST_ITSELF => None,
            name => Some(Release::parse(name).map_err(|e| corrupt(e.to_string()))?),
        };
        app::model::properties::check_key(&r.prop_key).map_err(|e| corrupt(e.to_string()))?;
        Ok(PropertyChange {
            id: r.id,
            dist: Dist::parse(&r.dist_name).map_err(|e| corrupt(e.to_string()))?,
            release,
            key: r.prop_key,
            value: r.value,
            at: r.happened_at,
            recorded_at: r.recorded_at,
            recorded_by: Arc::from(r.recorded_by),
            source: Arc::from(r.source),
        })
    }
}

pub(super) fn release_name(release: Option<&Release>) -> &str {
    release.map_or(DIST_ITSELF, Release::as_str)
}

impl Store {
    /// Replaces the property set of a dist (`release: None`) or release
    /// with `wanted`: one change per key that differs from the stored
    /// latest value (removals included), all in one transaction, effective
    /// and recorded at `now`. Returns how many changes were stored.
    pub async fn replace_properties(
        &self,
        dist: &Dist,
        release: Option<&Release>,
        wanted: &PropertySet,
        actor: &Actor,
        now: Timestamp,
    ) -> Result<usize, StoreError> {
        // Reads before it writes: take the write lock first (see
        // `insert_retraction`).
        let begin = if matches!(self, Store::Sqlite(_)) { "BEGIN IMMEDIATE" } else { "BEGIN" };
        let stored = with_pool!(self, pool => {
            let mut tx = pool.begin_with(begin).await?;
            if matches!(self, Store::Postgres(_)) {
                sqlx::query(LOCK_FOR_WRITE).bind(WRITE_LOCK_KEY).execute(&mut *tx).await?;
            }
            let rows: Vec<(i64, String, Option<String>, Timestamp)> = sqlx::query_as(
                "SELECT id, prop_key, value, happened_at FROM property_changes \
                 WHERE dist_name = $1 AND release_name = $2",
            )
            .bind(dist.as_str())
            .bind(release_name(release))
            .fetch_all(&mut *tx)
            .await?;
            // The latest change per key by (at, id), as the projection orders them.
            let mut latest: BTreeMap<String, (Timestamp, i64, Option<String>)> = BTreeMap::new();
            for (id, key, value, at) in rows {
                if latest.get(&key).is_none_or(|(a, i, _)| (at, id) > (*a, *i)) {
                    latest.insert(key, (at, id, value));
                }
            }
            let current: PropertySet =
                latest.into_iter().filter_map(|(k, (_, _, v))| v.map(|v| (k, v))).collect();
            let changes = changes_between(&current, wanted);
            for (key, value) in &changes {
                sqlx::query(INSERT_CHANGE)
                    .bind(dist.as_str())
                    .bind(release_name(release))
                    .bind(key)
                    .bind(value.as_deref())
                    .bind(now)
                    .bind(now)
                    .bind(&actor.name)
                    .bind(&actor.source)
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await?;
            changes.len()
        });
        Ok(stored)
    }

    /// Property changes with id above `after`, in id order, at most `limit`.
    pub async fn property_changes_after(&self, after: i64, limit: i64) -> Result<Vec<PropertyChange>, StoreError> {
        let rows: Vec<ChangeRow> = with_pool!(self, pool => {
            sqlx::query_as(SELECT_CHANGES_AFTER).bind(after).bind(limit).fetch_all(pool).await?
        });
        rows.into_iter().map(PropertyChange::try_from).collect()
    }

    /// The highest property change id stored (0 when none).
    pub async fn max_property_id(&self) -> Result<i64, StoreError> {
        let id: Option<i64> = with_pool!(self, pool => {
            sqlx::query_scalar("SELECT MAX(id) FROM property_changes").fetch_one(pool).await?
        });
        Ok(id.unwrap_or(0))
    }
}
