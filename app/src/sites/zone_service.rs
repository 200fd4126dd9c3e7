//! A site's zone membership in the database (the rule of [`super::zone`]): the zone in force
//! for a county on a day, one county or many at once, the same rule as an SQL expression for
//! the field look-up's one statement (officials' decisions are in `zone_decision`).

use super::zone::in_zone;
use crate::db::entities::{division, low_emission_zone, site};
use crate::inspections::compliance::ZoneRule;
use crate::service_error::ServiceResult;
use chrono::NaiveDate;
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Order, Query, SelectStatement};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, FromQueryResult, Iterable, QueryFilter, QuerySelect,
};
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

/// Of a county's candidate zones (its own and its city's, in force), the one that applies: in
/// [`in_force_for`]'s order, the county's own, the latest effective first, else its city's.
fn pick(zones: Vec<low_emission_zone::Model>) -> Option<low_emission_zone::Model> {
    zones
        .into_iter()
        .max_by(|a, b| (&a.division_code, a.effective_from, a.id).cmp(&(&b.division_code, b.effective_from, b.id)))
}

/// The zone rule of a zone row (a row with values we do not know gets the default rule).
pub fn zone_rule(z: &low_emission_zone::Model) -> ZoneRule {
    zone_rule_of(&z.min_diesel_stage, &z.required_class)
}

/// The rule a site in a zone is judged with: that of the zone in force, given as its two rule
/// columns; [`ZoneRule::DEFAULT`] without zone data (an official put the site in a zone).
pub fn rule_or_default(zone: Option<(&str, &str)>) -> ZoneRule {
    zone.map_or(ZoneRule::DEFAULT, |(stage, class)| zone_rule_of(stage, class))
}

/// The zone rule of a zone's two rule columns (values we do not know get the default rule's).
fn zone_rule_of(min_diesel_stage: &str, required_class: &str) -> ZoneRule {
    use crate::inspections::compliance::LimitClass;
    use crate::machines::EmissionStage;
    ZoneRule {
        min_diesel_stage: EmissionStage::parse(min_diesel_stage).unwrap_or(ZoneRule::DEFAULT.min_diesel_stage),
        required_class: LimitClass::parse(required_class).unwrap_or(ZoneRule::DEFAULT.required_class),
    }
}

/// The zone in force for `county` (a value or a column) on `day`, as one ordered row at most:
/// the county's own (the latest effective first), else its city's. [`zone_for`] asks it for one
/// county; the field look-up joins each current filing's site to its zone through
/// [`join_site_zone`] inside its one statement. [`pick`] is the same order for rows already read.
///
/// Own before the city's is the code's order, descending: a division's code is its parent's
/// with digits filled in where the parent's are zero (`divisions::parent_fits`), so it is the
/// greater (140105 > 140100). SQLite does not let a sub-query's ORDER BY name a column of the
/// statement around it, so the order cannot compare with the county itself.
fn in_force_for(county: Expr, day: NaiveDate) -> SelectStatement {
    use low_emission_zone::Column as C;
    Query::select()
        .from(Zone)
        .cond_where(candidates(county, day))
        .order_by((Zone, C::DivisionCode), Order::Desc)
        .order_by((Zone, C::EffectiveFrom), Order::Desc)
        .order_by((Zone, C::Id), Order::Desc)
        .limit(1)
        .to_owned()
}

/// The zone in force for a county on a day, if there is one (one query).
pub async fn zone_for(
    db: &impl ConnectionTrait,
    county_code: &str,
    on: NaiveDate,
) -> ServiceResult<Option<low_emission_zone::Model>> {
    let mut q = in_force_for(Expr::val(county_code), on);
    q.columns(low_emission_zone::Column::iter().map(|c| (Zone, c)));
    let stmt = db.get_database_backend().build(&q);
    Ok(low_emission_zone::Model::find_by_statement(stmt).one(db).await?)
}

/// The name under which [`join_site_zone`] joins the zone of a statement's site.
const SITE_ZONE: &str = "site_zone";

/// Joins the `sites` row of a larger statement (the field look-up) to the zone in force for its
/// county on `day`, as `site_zone` (no row without one), for [`in_zone_sql`] and
/// [`site_zone_column`]. The zone is picked once per site, by [`in_force_for`]'s order.
pub fn join_site_zone(q: &mut SelectStatement, day: NaiveDate) {
    use low_emission_zone::Column as C;
    let mut picked = in_force_for(Expr::col((site::Entity, site::Column::CountyCode)), day);
    picked.column((Zone, C::Id));
    q.join_as(
        sea_orm::JoinType::LeftJoin,
        Zone,
        Alias::new(SITE_ZONE),
        Expr::col((Alias::new(SITE_ZONE), C::Id)).eq(Expr::SubQuery(None, Box::new(picked.into()))),
    );
}

/// A column of the zone [`join_site_zone`] joined (NULL without one): its rule columns are read
/// back with [`rule_or_default`].
pub fn site_zone_column(column: low_emission_zone::Column) -> Expr {
    Expr::col((Alias::new(SITE_ZONE), column))
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
        if let Some(zone) = pick(mine) {
            out.insert((county.clone(), *day), zone);
        }
    }
    Ok(out)
}

/// [`in_zone`] as SQL, for a site row of a larger statement joined to its zone by
/// [`join_site_zone`]: the site's decision, else whether a zone is in force for its county.
pub fn in_zone_sql() -> Expr {
    let zone_in_force = site_zone_column(low_emission_zone::Column::Id).is_not_null();
    Expr::col((site::Entity, site::Column::ZoneDecision)).if_null(zone_in_force)
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
        let zone = self.zone.as_ref().map(|z| (z.min_diesel_stage.as_str(), z.required_class.as_str()));
        self.in_zone.then(|| rule_or_default(zone))
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
