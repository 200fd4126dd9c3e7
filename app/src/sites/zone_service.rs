//! A site's zone membership in the database (the rule of [`super::zone`]): the zone in force
//! for a county on a day, one county or many at once, the same rule as an SQL expression for
//! the field look-up's one statement (officials' decisions are in `zone_decision`).

use super::zone::in_zone;
use crate::db::entities::{division, low_emission_zone, site};
use crate::inspections::compliance::ZoneRule;
use crate::service_error::ServiceResult;
use chrono::NaiveDate;
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use std::collections::HashMap;

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
    let asked: Vec<(String, NaiveDate)> = counties.iter().map(|c| (c.clone(), day)).collect();
    Ok(zones_on(db, &asked).await?.into_iter().map(|((county, _), zone)| (county, zone)).collect())
}

/// The zone in force for each `(county, day)` asked that has one, however many days: two
/// queries (the counties' parents, then every zone of those divisions that was in force on
/// any day between the first and the last asked, picked per pair like [`zone_for`]).
pub async fn zones_on(
    db: &impl ConnectionTrait,
    asked: &[(String, NaiveDate)],
) -> ServiceResult<HashMap<(String, NaiveDate), low_emission_zone::Model>> {
    let (Some(first), Some(last)) = (asked.iter().map(|a| a.1).min(), asked.iter().map(|a| a.1).max()) else {
        return Ok(HashMap::new());
    };
    let counties: Vec<String> =
        asked.iter().map(|a| a.0.clone()).collect::<std::collections::BTreeSet<_>>().into_iter().collect();
    let parents: HashMap<String, Option<String>> = division::Entity::find()
        .select_only()
        .column(division::Column::Code)
        .column(division::Column::ParentCode)
        .filter(division::Column::Code.is_in(counties.clone()))
        .into_tuple::<(String, Option<String>)>()
        .all(db)
        .await?
        .into_iter()
        .collect();
    let mut codes = counties;
    codes.extend(parents.values().flatten().cloned());
    use low_emission_zone::Column as C;
    let zones = Zone::find()
        .filter(C::DivisionCode.is_in(codes))
        .filter(z(C::EffectiveFrom).lte(last))
        .filter(Condition::any().add(z(C::EffectiveTo).is_null()).add(z(C::EffectiveTo).gte(first)))
        .order_by_desc(C::EffectiveFrom)
        .all(db)
        .await?;
    let mut out = HashMap::new();
    for (county, day) in asked {
        let parent = parents.get(county).cloned().flatten();
        let mine: Vec<_> = zones
            .iter()
            .filter(|z| z.division_code == *county || Some(&z.division_code) == parent.as_ref())
            .filter(|z| z.effective_from <= *day && z.effective_to.is_none_or(|to| to >= *day))
            .cloned()
            .collect();
        if let Some(zone) = pick(county, mine) {
            out.insert((county.clone(), *day), zone);
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
