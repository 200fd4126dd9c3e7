//! Officials' decisions that a site is in or out of the low-emission zone (above the site
//! service and the zone rule it changes).

use super::Site;
use super::zone::{ZoneDecisionInput, validate_decision};
use crate::audit::{self, Action, EntityKind};
use crate::auth::service::Principal;
use crate::db::entities::site;
use crate::error::AppError;
use crate::service_error::{ServiceError, ServiceResult};
use crate::state::AppState;
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, TransactionTrait};
use uuid::Uuid;
/// Marks a site in or out of the zone (the county's inspectors, the city's officers; 403 for
/// other roles, 404 for a site outside the caller's scope). The decision holds until another
/// replaces it; past inspections keep what they were judged with.
#[tracing::instrument(skip(state, input), fields(user = %principal.username))]
pub async fn decide(
    state: &AppState,
    principal: &Principal,
    id: Uuid,
    mut input: ZoneDecisionInput,
) -> ServiceResult<Site> {
    principal.require(&crate::auth::permissions::ZONE_DECIDERS)?;
    let current = super::service::find_visible(state, principal, id).await?;
    validate_decision(&mut input).into_result()?;
    if input.version.is_some_and(|read| read != current.version) {
        return Err(ServiceError::stale(current.version));
    }
    let now = state.clock.now();
    let today = crate::dates::china_date(now);
    let txn = state.db.begin().await?;
    let updated = site::Entity::update_many()
        .set(site::ActiveModel {
            zone_decision: Set(Some(input.in_zone)),
            zone_decided_by: Set(Some(principal.user_id)),
            zone_decided_at: Set(Some(now)),
            zone_reason: Set(Some(input.reason.clone())),
            version: Set(current.version + 1),
            updated_at: Set(now),
            ..Default::default()
        })
        .filter(site::Column::Id.eq(id))
        .filter(site::Column::Version.eq(current.version))
        .exec(&txn)
        .await?;
    if updated.rows_affected == 0 {
        return Err(ServiceError::stale(current.version));
    }
    let stored = site::Entity::find_by_id(id).one(&txn).await?.ok_or(AppError::NotFound)?;
    let mut both = super::service::dtos(&txn, vec![current, stored], today).await?.into_iter();
    let (Some(before), Some(after)) = (both.next(), both.next()) else {
        return Err(ServiceError::internal("site vanished"));
    };
    let e = audit::entry(Action::Update, EntityKind::Site).by(principal).id(id).county(Some(&after.county_code));
    audit::record(&txn, now, e.before(&before).after(&after)).await?;
    txn.commit().await?;
    Ok(after)
}
