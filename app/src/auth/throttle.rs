//! Sign-in throttling that protects accounts without letting strangers lock them.
//!
//! Three counters of failures over a sliding-by-reset window ([`Policy::window`]), each one row
//! of `login_throttle` updated by a single atomic upsert that returns the new count:
//!
//! - **per account and address** (`p:`): an attempt is *reserved* (counted as a failure) before
//!   the password is checked, so parallel wrong passwords never get more than
//!   [`Policy::pair_max`] checks; beyond it the pair is refused (429) until the window ends. A
//!   correct password clears the pair.
//! - **per account** (`a:`), across addresses: never a refusal, only a **growing delay** before
//!   the password is checked once the account has had [`Policy::account_free`] failures in the
//!   window ([`delay_for`]). The real user signing in from elsewhere during an attack waits a
//!   few seconds at most and gets in.
//! - **per address for unknown user names** (`u:`): a much higher ceiling
//!   ([`Policy::unknown_max_per_address`]) against guessing names from one address; it never
//!   touches the accounts that do exist behind that address.
//!
//! Rows whose window has passed are pruned ([`prune`]), so anonymous traffic cannot grow the
//! table beyond the keys of one window.

use crate::db::entities::login_throttle;
use crate::service_error::{ServiceError, ServiceResult};
use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict, Query};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

pub use crate::state::LoginPolicy as Policy;

/// The delay before checking a password for an account that already has `failures` failures
/// in the window: none up to `account_free`, then `delay_base` doubling per failure, at most
/// `delay_max`.
pub fn delay_for(policy: &Policy, failures: i64) -> std::time::Duration {
    let over = failures - policy.account_free;
    if over <= 0 {
        return std::time::Duration::ZERO;
    }
    let doublings = Ord::min(over - 1, 20) as u32;
    policy.delay_base.saturating_mul(1u32 << doublings).min(policy.delay_max)
}

/// The counter of one account at one address.
pub fn pair_key(username: &str, address: &str) -> String {
    format!("p:{address}|{username}")
}

/// The counter of one account, from every address.
pub fn account_key(username: &str) -> String {
    format!("a:{username}")
}

/// The counter of unknown user names tried from one address.
pub fn unknown_key(address: &str) -> String {
    format!("u:{address}")
}

/// Adds one to `key`'s count (starting a new window when the old one has passed) and returns
/// the new count; one statement, so concurrent callers each get their own number.
pub async fn bump(db: &impl ConnectionTrait, key: &str, now: DateTime<Utc>, window: Duration) -> ServiceResult<i64> {
    let since = now - window;
    let stale = Expr::col((login_throttle::Entity, login_throttle::Column::WindowStartedAt)).lt(since);
    let stmt = Query::insert()
        .into_table(login_throttle::Entity)
        .columns([
            login_throttle::Column::Key,
            login_throttle::Column::WindowStartedAt,
            login_throttle::Column::Failures,
        ])
        .values([key.into(), now.into(), 1i64.into()])
        .map_err(ServiceError::internal)?
        .on_conflict(
            OnConflict::column(login_throttle::Column::Key)
                .value(
                    login_throttle::Column::Failures,
                    Expr::case(stale.clone(), 1i64)
                        .finally(Expr::col((login_throttle::Entity, login_throttle::Column::Failures)).add(1i64)),
                )
                .value(
                    login_throttle::Column::WindowStartedAt,
                    Expr::case(stale, now)
                        .finally(Expr::col((login_throttle::Entity, login_throttle::Column::WindowStartedAt))),
                )
                .to_owned(),
        )
        .returning_col(login_throttle::Column::Failures)
        .to_owned();
    let row = db.query_one(&stmt).await?.ok_or_else(|| ServiceError::internal("no count returned"))?;
    Ok(row.try_get::<i64>("", "failures")?)
}

/// Takes one back from `key` (a reserved attempt that turned out to be a success).
pub async fn unbump(db: &impl ConnectionTrait, key: &str) -> ServiceResult<()> {
    login_throttle::Entity::update_many()
        .col_expr(login_throttle::Column::Failures, Expr::col(login_throttle::Column::Failures).sub(1i64))
        .filter(login_throttle::Column::Key.eq(key))
        .filter(login_throttle::Column::Failures.gt(0i64))
        .exec(db)
        .await?;
    Ok(())
}

/// Forgets `key` (a correct password at this address).
pub async fn clear(db: &impl ConnectionTrait, key: &str) -> ServiceResult<()> {
    login_throttle::Entity::delete_many().filter(login_throttle::Column::Key.eq(key)).exec(db).await?;
    Ok(())
}

/// The seconds until `key`'s window ends (for `Retry-After`); at least one.
pub async fn retry_after(
    db: &impl ConnectionTrait,
    key: &str,
    now: DateTime<Utc>,
    window: Duration,
) -> ServiceResult<u64> {
    let row = login_throttle::Entity::find_by_id(key.to_owned()).one(db).await?;
    let ends = row.map(|r| r.window_started_at + window).unwrap_or(now);
    Ok(Ord::max((ends - now).num_seconds(), 1) as u64)
}

/// Deletes the counters whose window has passed; returns how many.
pub async fn prune(db: &impl ConnectionTrait, now: DateTime<Utc>, window: Duration) -> ServiceResult<u64> {
    let res = login_throttle::Entity::delete_many()
        .filter(login_throttle::Column::WindowStartedAt.lt(now - window))
        .exec(db)
        .await?;
    Ok(res.rows_affected)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_delay_until_the_free_failures_are_used() {
        let p = Policy::default();
        for n in 0..=p.account_free {
            assert_eq!(delay_for(&p, n), std::time::Duration::ZERO, "{n}");
        }
    }

    #[test]
    fn the_delay_doubles_and_is_capped() {
        let p = Policy::default();
        let d = |n| delay_for(&p, p.account_free + n);
        assert_eq!(d(1), std::time::Duration::from_millis(500));
        assert_eq!(d(2), std::time::Duration::from_secs(1));
        assert_eq!(d(3), std::time::Duration::from_secs(2));
        assert_eq!(d(5), std::time::Duration::from_secs(8));
        assert_eq!(d(6), p.delay_max, "capped");
        assert_eq!(d(10_000), p.delay_max, "no overflow");
    }

    #[test]
    fn keys_keep_accounts_and_addresses_apart() {
        assert_ne!(pair_key("a", "1.2.3.4"), pair_key("a", "1.2.3.5"));
        assert_ne!(pair_key("a", "1.2.3.4"), pair_key("b", "1.2.3.4"));
        assert_ne!(account_key("a"), unknown_key("a"));
    }
}
