//! People and their sessions: the users table (what the identity provider
//! said at the last login), personal API tokens, and the session store the
//! browser sessions live in (tower-sessions' sqlx stores over our pools,
//! on the tables migration 0004 creates).

use async_trait::async_trait;
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{self, ExpiredDeletion, SessionStore};
use tower_sessions_sqlx_store::{PostgresStore, SqliteStore};

use app::model::Timestamp;

use super::rows::{TokenRow, SELECT_TOKENS};
use super::{Store, StoreError};

/// The table migration 0004 creates for sessions.
const SESSIONS_TABLE: &str = "sessions";

/// Who someone is at their identity provider: `sub` is only unique per
/// issuer, and nicknames may change.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct UserKey {
    /// The provider's issuer URL.
    pub issuer: String,
    /// The `sub` claim.
    pub subject: String,
}

/// What a login tells us about a person.
#[derive(Debug, Clone)]
pub struct UserLogin {
    /// Who.
    pub key: UserKey,
    /// The name shown and recorded as `recorded_by`.
    pub nickname: String,
    /// Groups from the provider's UserInfo.
    pub groups: Vec<String>,
    /// Whether one of the groups is an editor group.
    pub is_editor: bool,
    /// When.
    pub at: Timestamp,
}

/// A person's standing: what their last login said, and whether they are
/// disabled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserStanding {
    /// In an editor group at the last login (false once disabled).
    pub is_editor: bool,
    /// When they last signed in (and so confirmed their groups).
    pub last_login_at: Timestamp,
    /// Set by `releasetracker user disable`.
    pub disabled_at: Option<Timestamp>,
}

/// One person disabled by [`Store::disable_users`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Disabled {
    /// Who.
    pub key: UserKey,
    /// How many of their active tokens were revoked.
    pub tokens_revoked: u64,
}

/// A line of `releasetracker user list`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserListing {
    /// Nickname at the last login.
    pub nickname: String,
    /// The provider.
    pub issuer: String,
    /// In an editor group at the last login.
    pub is_editor: bool,
    /// The last login.
    pub last_login_at: Timestamp,
    /// Disabled since, if disabled.
    pub disabled_at: Option<Timestamp>,
}

impl Store {
    /// Records a login: creates the user or updates nickname, groups and
    /// editor status.
    pub async fn record_login(&self, login: &UserLogin) -> Result<(), StoreError> {
        let groups = serde_json::to_string(&login.groups).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        with_pool!(self, pool => {
            sqlx::query(
                "INSERT INTO users (issuer, subject, nickname, groups_json, is_editor, first_login_at, last_login_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $6) \
                 ON CONFLICT (issuer, subject) DO UPDATE SET nickname = excluded.nickname, \
                 groups_json = excluded.groups_json, \
                 is_editor = CASE WHEN users.disabled_at IS NULL THEN excluded.is_editor ELSE FALSE END, \
                 last_login_at = excluded.last_login_at",
            )
            .bind(&login.key.issuer)
            .bind(&login.key.subject)
            .bind(&login.nickname)
            .bind(groups)
            .bind(login.is_editor)
            .bind(login.at)
            .execute(pool)
            .await?;
        });
        Ok(())
    }

    /// What the last login said of this person, and whether an operator
    /// disabled them; `None` if they never logged in.
    pub async fn user_standing(&self, key: &UserKey) -> Result<Option<UserStanding>, StoreError> {
        let row = with_pool!(self, pool => {
            sqlx::query_as::<_, (bool, Timestamp, Option<Timestamp>)>(
                "SELECT is_editor, last_login_at, disabled_at FROM users WHERE issuer = $1 AND subject = $2",
            )
            .bind(&key.issuer)
            .bind(&key.subject)
            .fetch_optional(pool)
            .await?
        });
        Ok(row.map(|(is_editor, last_login_at, disabled_at)| UserStanding { is_editor, last_login_at, disabled_at }))
    }

    /// Disables everyone known by `nickname` (one person, unless several
    /// providers used the name): marks them disabled and not editors and
    /// revokes their active tokens, in one transaction. What was done, per
    /// person; empty when nobody active has that nickname.
    pub async fn disable_users(&self, nickname: &str, at: Timestamp) -> Result<Vec<Disabled>, StoreError> {
        let done = with_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            let keys: Vec<(String, String)> = sqlx::query_as(
                "UPDATE users SET disabled_at = $1, is_editor = FALSE \
                 WHERE nickname = $2 AND disabled_at IS NULL RETURNING issuer, subject",
            )
            .bind(at)
            .bind(nickname)
            .fetch_all(&mut *tx)
            .await?;
            let mut done = Vec::with_capacity(keys.len());
            for (issuer, subject) in keys {
                let revoked = sqlx::query(
                    "UPDATE api_tokens SET revoked_at = $1 \
                     WHERE owner_issuer = $2 AND owner_subject = $3 AND revoked_at IS NULL",
                )
                .bind(at)
                .bind(&issuer)
                .bind(&subject)
                .execute(&mut *tx)
                .await?
                .rows_affected();
                done.push(Disabled { key: UserKey { issuer, subject }, tokens_revoked: revoked });
            }
            tx.commit().await?;
            done
        });
        Ok(done)
    }

    /// Lets people known by `nickname` sign in again (they are editors
    /// again only after a sign-in that says so); how many.
    pub async fn enable_users(&self, nickname: &str) -> Result<u64, StoreError> {
        let n = with_pool!(self, pool => {
            sqlx::query("UPDATE users SET disabled_at = NULL WHERE nickname = $1 AND disabled_at IS NOT NULL")
                .bind(nickname)
                .execute(pool)
                .await?
                .rows_affected()
        });
        Ok(n)
    }

    /// Everyone who ever signed in, by nickname: (nickname, issuer,
    /// editor at last login, last login, disabled since).
    pub async fn list_users(&self) -> Result<Vec<UserListing>, StoreError> {
        let rows = with_pool!(self, pool => {
            sqlx::query_as::<_, (String, String, bool, Timestamp, Option<Timestamp>)>(
                "SELECT nickname, issuer, is_editor, last_login_at, disabled_at FROM users ORDER BY nickname, issuer",
            )
            .fetch_all(pool)
            .await?
        });
        Ok(rows
            .into_iter()
            .map(|(nickname, issuer, is_editor, last_login_at, disabled_at)| UserListing {
                nickname,
                issuer,
                is_editor,
                last_login_at,
                disabled_at,
            })
            .collect())
    }

    /// The tokens this person made, newest first.
    pub async fn tokens_of(&self, owner: &UserKey) -> Result<Vec<TokenRow>, StoreError> {
        let rows = with_pool!(self, pool => {
            sqlx::query_as(&format!("{SELECT_TOKENS} WHERE owner_issuer = $1 AND owner_subject = $2 ORDER BY id DESC"))
                .bind(&owner.issuer)
                .bind(&owner.subject)
                .fetch_all(pool)
                .await?
        });
        Ok(rows)
    }

    /// Revokes one of this person's active tokens; `NotFound` if they have
    /// no active token with that id.
    pub async fn revoke_token_of(&self, owner: &UserKey, id: i64, at: Timestamp) -> Result<String, StoreError> {
        let name: Option<String> = with_pool!(self, pool => {
            sqlx::query_scalar(
                "UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND owner_issuer = $3 \
                 AND owner_subject = $4 AND revoked_at IS NULL RETURNING name",
            )
            .bind(at)
            .bind(id)
            .bind(&owner.issuer)
            .bind(&owner.subject)
            .fetch_optional(pool)
            .await?
        });
        name.ok_or(StoreError::NotFound)
    }

    /// The store for browser sessions, in this database.
    pub fn session_store(&self) -> Result<SessionBackend, StoreError> {
        let bad_name = |e: String| StoreError::Corrupt(format!("session table: {e}"));
        Ok(match self {
            Store::Sqlite(pool) => SessionBackend::Sqlite(
                SqliteStore::new(pool.clone()).with_table_name(SESSIONS_TABLE).map_err(bad_name)?,
            ),
            Store::Postgres(pool) => SessionBackend::Postgres(
                PostgresStore::new(pool.clone())
                    .with_schema_name("public")
                    .and_then(|s| s.with_table_name(SESSIONS_TABLE))
                    .map_err(bad_name)?,
            ),
        })
    }
}

/// tower-sessions' store for whichever database the log is in.
#[derive(Debug, Clone)]
pub enum SessionBackend {
    /// Sessions in SQLite.
    Sqlite(SqliteStore),
    /// Sessions in PostgreSQL.
    Postgres(PostgresStore),
}

#[async_trait]
impl SessionStore for SessionBackend {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        match self {
            Self::Sqlite(s) => s.create(record).await,
            Self::Postgres(s) => s.create(record).await,
        }
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        match self {
            Self::Sqlite(s) => s.save(record).await,
            Self::Postgres(s) => s.save(record).await,
        }
    }

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        match self {
            Self::Sqlite(s) => s.load(id).await,
            Self::Postgres(s) => s.load(id).await,
        }
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        match self {
            Self::Sqlite(s) => s.delete(id).await,
            Self::Postgres(s) => s.delete(id).await,
        }
    }
}

#[async_trait]
impl ExpiredDeletion for SessionBackend {
    async fn delete_expired(&self) -> session_store::Result<()> {
        match self {
            Self::Sqlite(s) => s.delete_expired().await,
            Self::Postgres(s) => s.delete_expired().await,
        }
    }
}
