//! A site's zone membership in the database (the rule of [`super::zone`]): the zone in force
//! for a county on a day, one county or many at once, the same rule as an SQL expression for
//! the field look-up's one statement, and officials' decisions.

use super::Site;
use super::zone::{ZoneDecisionInput, in_zone, validate_decision};
use crate::audit::{self, Action, EntityKind};
use crate::auth::service::Principal;
use crate::db::entities::{division, low_emission_zone, site};
use crate::error::AppError;
use crate::inspections::compliance::ZoneRule;
use crate::service_error::{ServiceError, ServiceResult};
use crate::state::AppState;
use chrono::NaiveDate;
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    TransactionTrait,
};
use std::collections::HashMap;
use uuid::Uuid;

use low_emission_zone::Entity as Zone;

fn z(c: low_emission_zone::Column) -> Expr {
    Expr::col((Zone, c))
}

/// Zones in force on `day`.
fn in_force(day: NaiveDate) -> Condition {
    use low_emission_zone::Column as C;
    Condition::all()
        .add(z(C::EffectiveFrom).lte(day))
        .add(Condition::any().add(z(C::EffectiveTo).is_null()).add(z(C::EffectiveTo).gte(day)))
}

/// The zones that may apply to `county` (a value or a column) on `day`: the county's own and
/// its parent's (a city's zone covers its counties without one of their own).
fn candidates(county: Expr, day: NaiveDate) -> Condition {
    let parent = Query::select()
        .column((division::Entity, division::Column::ParentCode))
        .from(division::Entity)
        .and_where(Expr::col((division::Entity, division::Column::Code)).eq(county.clone()))
        .to_owned();
    Condition::all()
        .add(
            Condition::any()
                .add(z(low_emission_zone::Column::DivisionCode).eq(county))
                .add(z(low_emission_zone::Column::DivisionCode).in_subquery(parent)),
        )
        .add(in_force(day))
}

/// Of a county's candidate zones (latest effective date first), the one in force: its own,
/// else its city's.
fn pick(county: &str, mut zones: Vec<low_emission_zone::Model>) -> Option<low_emission_zone::Model> {
    let own = zones.iter().position(|z| z.division_code == county).unwrap_or(0);
    (own < zones.len()).then(|| zones.swap_remove(own))
}

/// The zone rule of a zone row (a row with values we do not know gets the default rule).
pub fn zone_rule(z: &low_emission_zone::Model) -> ZoneRule {
    use crate::inspections::compliance::LimitClass;
    use crate::machines::EmissionStage;
    ZoneRule {
        min_diesel_stage: EmissionStage::parse(&z.min_diesel_stage).unwrap_or(ZoneRule::DEFAULT.min_diesel_stage),
        required_class: LimitClass::parse(&z.required_class).unwrap_or(ZoneRule::DEFAULT.required_class),
    }
}

/// The zone in force for a county on a day, if there is one (one query).
pub async fn zone_for(
    db: &impl ConnectionTrait,
    county_code: &str,
    on: NaiveDate,
) -> ServiceResult<Option<low_emission_zone::Model>> {
    let zones = Zone::find()
        .filter(candidates(Expr::val(county_code), on))
        .order_by_desc(low_emission_zone::Column::EffectiveFrom)
        .all(db)
        .await?;
    Ok(pick(county_code, zones))
}

/// The zone in force on `day` for each of `counties` that has one (two queries).
pub async fn zones_for(
    db: &impl ConnectionTrait,
    counties: &[String],
    day: NaiveDate,
) -> ServiceResult<HashMap<String, low_emission_zone::Model>> {
    let parents: HashMap<String, Option<String>> = division::Entity::find()
        .select_only()
        .column(division::Column::Code)
        .column(division::Column::ParentCode)
        .filter(division::Column::Code.is_in(counties.to_vec()))
        .into_tuple::<(String, Option<String>)>()
        .all(db)
        .await?
        .into_iter()
        .collect();
    let mut codes: Vec<String> = counties.to_vec();
    codes.extend(parents.values().flatten().cloned());
    let zones = Zone::find()
        .filter(low_emission_zone::Column::DivisionCode.is_in(codes))
        .filter(in_force(day))
        .order_by_desc(low_emission_zone::Column::EffectiveFrom)
        .all(db)
        .await?;
    let mut out = HashMap::new();
    for county in counties {
        let parent = parents.get(county).cloned().flatten();
        let mine: Vec<_> = zones
            .iter()
            .filter(|z| z.division_code == *county || Some(&z.division_code) == parent.as_ref())
            .cloned()
            .collect();
        if let Some(zone) = pick(county, mine) {
            out.insert(county.clone(), zone);
        }
    }
    Ok(out)
}

/// [`in_zone`] as SQL, for a site row of a larger statement (the field look-up): the site's
/// decision, else whether a zone is in force for its county on `day`.
pub fn in_zone_sql(day: NaiveDate) -> Expr {
    let county = Expr::col((site::Entity, site::Column::CountyCode));
    let any_zone = Query::select().expr(Expr::val(1)).from(Zone).cond_where(candidates(county, day)).to_owned();
    Expr::col((site::Entity, site::Column::ZoneDecision)).if_null(Expr::exists(any_zone))
}

/// A site's membership on a day, with the zone in force then.
#[derive(Debug, Clone)]
pub struct Membership {
    pub in_zone: bool,
    pub zone: Option<low_emission_zone::Model>,
}

impl Membership {
    /// The membership of `site` when `zone` is the zone in force for its county.
    pub fn of(site: &site::Model, zone: Option<low_emission_zone::Model>) -> Membership {
        Membership { in_zone: in_zone(site.zone_decision, zone.is_some()), zone }
    }

    /// The rule the site is judged with: the zone's, the default rule in a zone without zone
    /// data, none outside a zone.
    pub fn rule(&self) -> Option<ZoneRule> {
        self.in_zone.then(|| self.zone.as_ref().map(zone_rule).unwrap_or(ZoneRule::DEFAULT))
    }

    /// The exemptions the zone in force lists (none without zone data).
    pub fn exemptions(&self) -> Vec<String> {
        self.zone.as_ref().and_then(|z| serde_json::from_str(&z.exemptions).ok()).unwrap_or_default()
    }
}

/// A site's membership on `day`.
pub async fn membership(db: &impl ConnectionTrait, site: &site::Model, day: NaiveDate) -> ServiceResult<Membership> {
    Ok(Membership::of(site, zone_for(db, &site.county_code, day).await?))
}

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
