//! The field look-up (`GET /machines/lookup`): an inspector scans a label or types a code and
//! learns at once whether the machine is registered, filed for this site, allowed in its zone,
//! when it was last tested and whether a case is open.
//!
//! Deliberate scope exception: officials may look up ANY registered machine, whatever county
//! filed it, because a machine from another county may stand on a site in theirs. The answer
//! carries only what a field check needs (identity, owner name and credit code, the filing
//! covering today, the latest verdict, unresolved cases), never the owner's contacts, photos,
//! or the machine's other filings. Everything else stays behind the normal scope rules.
//!
//! Speed (a p99 target of 20 ms at 1,000,000 machines): a malformed registration code is
//! refused before any query. Each statement costs more in hand-offs between threads (SQLite) or
//! round trips (PostgreSQL) than in the database, so the look-up is one statement in the common
//! case, after the caller's account (one more; a session's record is one more again): the
//! machine (over the four unique identifier indexes), its owner, its filings covering today, its
//! latest inspection and its count of unresolved cases come together, with whether the site of a
//! current filing is in a zone today and that zone's rule (the site joined once to the zone in
//! force for its county, `sites::zone_service::join_site_zone`; in a zone is the site's decision,
//! else whether a zone was found: `in_zone_sql`); its index look-ups are
//! filing_machines.machine_id, inspections(machine_id, inspected_at), cases(machine_id, state)
//! and low_emission_zones(division_code, effective_from).

use super::{
    FilingStanding, LookupCase, LookupFiling, LookupInspection, LookupMachine, LookupOwner, LookupQuery, LookupResult,
    LookupStatus,
};
use crate::auth::Scope;
use crate::auth::service::Principal;
use crate::cases::is_overdue;
use crate::db::entities::{
    case, filing, filing_machine, inspection, low_emission_zone, machine, organization, site, watch_entry,
};
use crate::db::reusable::Reusable;
use crate::error::{AppError, FieldCode, FieldError, FieldErrors};
use crate::inspections::compliance::Verdict;
use crate::inspections::compliance::ZoneRule;
use crate::machines::regcode::{self, RegCodeError, RegistrationCode};
use crate::machines::{EmissionStage, FuelType};
use crate::service_error::{ServiceError, ServiceResult};
use crate::sites::zone_service::{in_zone_sql, join_site_zone, site_zone_column};
use crate::state::AppState;
use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::sea_query::{Condition, Expr, ExprTrait, Func, Order, Query, SelectStatement};
use sea_orm::{ConnectionTrait, DbBackend, EntityTrait, FromQueryResult, Value};
use std::sync::OnceLock;
use uuid::Uuid;

/// The longest code accepted (the longest identifier is a 64-character engine serial).
const CODE_MAX: usize = 64;

/// Normalises a typed or scanned code ([`regcode::normalize_typed`]: full-width characters,
/// grouping spaces and hyphens, case) and refuses, without touching the database, a
/// 14-character string of digits and `X` whose check character is wrong.
pub fn normalize_code(raw: &str) -> Result<String, AppError> {
    let code = regcode::normalize_typed(raw);
    if code.is_empty() {
        return Err(AppError::field("code", FieldCode::Required));
    }
    if code.chars().count() > CODE_MAX {
        return Err(AppError::Validation {
            fields: FieldErrors::single(
                "code",
                FieldError::new(FieldCode::Length).with("min", 1).with("max", CODE_MAX),
            ),
        });
    }
    let looks_like_regcode = code.len() == regcode::LEN && code.bytes().all(|b| b.is_ascii_digit() || b == b'X');
    if looks_like_regcode && let Err(e @ RegCodeError::CheckChar { .. }) = RegistrationCode::parse(&code) {
        return Err(AppError::Validation { fields: FieldErrors::single("code", e.field_error()) });
    }
    Ok(code)
}

/// One row of the look-up query: a machine a code names, its owner, its latest inspection, how
/// many unresolved cases it has, and one of its accepted filings covering today (none when it
/// has none).
#[derive(Debug, FromQueryResult)]
struct LookupRow {
    id: Uuid,
    name: String,
    machine_type: String,
    brand: Option<String>,
    model: Option<String>,
    registration_code: Option<String>,
    pin: Option<String>,
    env_code: Option<String>,
    engine_serial: Option<String>,
    emission_stage: String,
    fuel_type: String,
    rated_power_kw: f64,
    dpf_fitted: bool,
    owner_name: Option<String>,
    owner_uscc: Option<String>,
    last_at: Option<DateTime<Utc>>,
    last_verdict: Option<String>,
    last_mean_k: Option<f64>,
    last_limit_k: Option<f64>,
    open_cases: i64,
    /// Inspectors' watch-list entries running today.
    watch_entries: i64,
    filings_ever: i64,
    filing_id: Option<Uuid>,
    filing_site_id: Option<Uuid>,
    filing_county_code: Option<String>,
    filing_entry_on: Option<NaiveDate>,
    filing_exit_on: Option<NaiveDate>,
    site_name: Option<String>,
    site_low_emission_zone: Option<bool>,
    /// The rule of the zone in force for the site's county today (none without zone data).
    zone_min_diesel_stage: Option<String>,
    zone_required_class: Option<String>,
}

impl LookupRow {
    fn rank(&self, code: &str) -> usize {
        [&self.registration_code, &self.pin, &self.env_code, &self.engine_serial]
            .iter()
            .position(|c| c.as_deref() == Some(code))
            .unwrap_or(4)
    }

    fn machine(&self) -> ServiceResult<LookupMachine> {
        Ok(LookupMachine {
            id: self.id,
            name: self.name.clone(),
            machine_type: self.machine_type.clone(),
            brand: self.brand.clone(),
            model: self.model.clone(),
            registration_code: self.registration_code.clone(),
            pin: self.pin.clone(),
            env_code: self.env_code.clone(),
            engine_serial: self.engine_serial.clone(),
            emission_stage: EmissionStage::parse(&self.emission_stage)
                .ok_or_else(|| ServiceError::internal("stored stage"))?,
            fuel_type: FuelType::parse(&self.fuel_type).ok_or_else(|| ServiceError::internal("stored fuel"))?,
            rated_power_kw: self.rated_power_kw,
            dpf_fitted: self.dpf_fitted,
        })
    }

    fn owner(&self) -> Option<LookupOwner> {
        Some(LookupOwner { name: self.owner_name.clone()?, uscc: self.owner_uscc.clone()? })
    }

    fn last_inspection(&self) -> Option<LookupInspection> {
        Some(LookupInspection {
            at: self.last_at?,
            verdict: Verdict::parse(self.last_verdict.as_deref()?)?,
            mean_k: self.last_mean_k,
            limit_k: self.last_limit_k,
        })
    }

    fn current_filing(&self) -> Option<CurrentFiling> {
        Some(CurrentFiling {
            filing: LookupFiling {
                id: self.filing_id?,
                site_id: self.filing_site_id?,
                site_name: self.site_name.clone()?,
                county_code: self.filing_county_code.clone()?,
                planned_entry_on: self.filing_entry_on?,
                planned_exit_on: self.filing_exit_on?,
            },
            low_emission_zone: self.site_low_emission_zone?,
            zone_rule: crate::sites::zone_service::rule_or_default(
                self.zone_min_diesel_stage.as_deref().zip(self.zone_required_class.as_deref()),
            ),
        })
    }
}

/// The look-up in one statement: the machines a code names (over the four unique identifier
/// indexes), each joined to its owner and to its accepted filings covering `today` with their
/// sites (one row per such filing, or one row without), with its latest inspection and its count
/// of unresolved cases as correlated sub-queries (index look-ups).
fn lookup_statement(code: &str, today: NaiveDate) -> SelectStatement {
    let m = |c: machine::Column| Expr::col((machine::Entity, c));
    let latest = |c: inspection::Column| {
        let q = Query::select()
            .column((inspection::Entity, c))
            .from(inspection::Entity)
            .and_where(
                Expr::col((inspection::Entity, inspection::Column::MachineId))
                    .equals((machine::Entity, machine::Column::Id)),
            )
            .order_by((inspection::Entity, inspection::Column::InspectedAt), Order::Desc)
            .order_by((inspection::Entity, inspection::Column::Id), Order::Desc)
            .limit(1)
            .to_owned();
        Expr::SubQuery(None, Box::new(q.into()))
    };
    let open_cases = Query::select()
        .expr(Expr::col((case::Entity, case::Column::Id)).count())
        .from(case::Entity)
        .and_where(Expr::col((case::Entity, case::Column::MachineId)).equals((machine::Entity, machine::Column::Id)))
        .cond_where(crate::cases::service::unresolved())
        .to_owned();
    let entries = Query::select()
        .expr(Expr::col((watch_entry::Entity, watch_entry::Column::Id)).count())
        .from(watch_entry::Entity)
        .and_where(
            Expr::col((watch_entry::Entity, watch_entry::Column::MachineId))
                .equals((machine::Entity, machine::Column::Id)),
        )
        .and_where(Expr::col((watch_entry::Entity, watch_entry::Column::EndedAt)).is_null())
        .and_where(Expr::col((watch_entry::Entity, watch_entry::Column::EndsOn)).gte(today))
        .to_owned();
    // Only the filings that cover today join (so a long filing history adds no rows). Inside
    // this sub-query `filings` is its own table, not the outer query's.
    let current = Query::select()
        .expr(Expr::val(1))
        .from(filing::Entity)
        .and_where(
            Expr::col((filing::Entity, filing::Column::Id))
                .equals((filing_machine::Entity, filing_machine::Column::FilingId)),
        )
        .cond_where(crate::filings::in_force::covering(today))
        .to_owned();
    // Whether the machine was ever on a filing: only then, when no filing covers today, is its
    // nearest other filing looked for (a second statement).
    let filed = Query::select()
        .expr(Expr::col((filing_machine::Entity, filing_machine::Column::FilingId)).count())
        .from(filing_machine::Entity)
        .and_where(
            Expr::col((filing_machine::Entity, filing_machine::Column::MachineId))
                .equals((machine::Entity, machine::Column::Id)),
        )
        .to_owned();
    let f = |c: filing::Column| Expr::col((filing::Entity, c));
    let mut q = Query::select()
        .columns(
            [
                machine::Column::Id,
                machine::Column::Name,
                machine::Column::MachineType,
                machine::Column::Brand,
                machine::Column::Model,
                machine::Column::RegistrationCode,
                machine::Column::Pin,
                machine::Column::EnvCode,
                machine::Column::EngineSerial,
                machine::Column::EmissionStage,
                machine::Column::FuelType,
                machine::Column::RatedPowerKw,
                machine::Column::DpfFitted,
            ]
            .map(|c| (machine::Entity, c)),
        )
        .expr_as(Expr::col((organization::Entity, organization::Column::Name)), "owner_name")
        .expr_as(Expr::col((organization::Entity, organization::Column::Uscc)), "owner_uscc")
        .expr_as(latest(inspection::Column::InspectedAt), "last_at")
        .expr_as(latest(inspection::Column::Verdict), "last_verdict")
        .expr_as(latest(inspection::Column::MeanK), "last_mean_k")
        .expr_as(latest(inspection::Column::LimitK), "last_limit_k")
        .expr_as(Expr::SubQuery(None, Box::new(open_cases.into())), "open_cases")
        .expr_as(Expr::SubQuery(None, Box::new(entries.into())), "watch_entries")
        .expr_as(Expr::SubQuery(None, Box::new(filed.into())), "filings_ever")
        .expr_as(f(filing::Column::Id), "filing_id")
        .expr_as(f(filing::Column::SiteId), "filing_site_id")
        .expr_as(f(filing::Column::CountyCode), "filing_county_code")
        .expr_as(f(filing::Column::PlannedEntryOn), "filing_entry_on")
        .expr_as(f(filing::Column::PlannedExitOn), "filing_exit_on")
        .expr_as(Expr::col((site::Entity, site::Column::Name)), "site_name")
        .expr_as(in_zone_sql(), "site_low_emission_zone")
        .expr_as(site_zone_column(low_emission_zone::Column::MinDieselStage), "zone_min_diesel_stage")
        .expr_as(site_zone_column(low_emission_zone::Column::RequiredClass), "zone_required_class")
        .from(machine::Entity)
        .left_join(
            organization::Entity,
            Expr::col((organization::Entity, organization::Column::Id))
                .equals((machine::Entity, machine::Column::OrganizationId)),
        )
        .left_join(
            filing_machine::Entity,
            Condition::all()
                .add(
                    Expr::col((filing_machine::Entity, filing_machine::Column::MachineId))
                        .equals((machine::Entity, machine::Column::Id)),
                )
                // Not a filing the machine left (transferred to another unit): its former owner's.
                .add(crate::filings::in_force::not_left_by(today))
                .add(Expr::exists(current)),
        )
        .left_join(
            filing::Entity,
            f(filing::Column::Id).equals((filing_machine::Entity, filing_machine::Column::FilingId)),
        )
        .left_join(
            site::Entity,
            Expr::col((site::Entity, site::Column::Id)).equals((filing::Entity, filing::Column::SiteId)),
        )
        .cond_where(
            Condition::any()
                .add(m(machine::Column::RegistrationCode).eq(code))
                .add(m(machine::Column::Pin).eq(code))
                .add(m(machine::Column::EnvCode).eq(code))
                .add(m(machine::Column::EngineSerial).eq(code)),
        )
        .to_owned();
    join_site_zone(&mut q, today);
    q
}

/// The look-up statement's text for `backend`, written once per process (its values are bound
/// per look-up); `None` if it could not be reused, and then it is built for every look-up.
fn reusable_lookup(backend: DbBackend) -> Option<&'static Reusable<2>> {
    static SQLITE: OnceLock<Option<Reusable<2>>> = OnceLock::new();
    static POSTGRES: OnceLock<Option<Reusable<2>>> = OnceLock::new();
    let cell = if backend == DbBackend::Sqlite { &SQLITE } else { &POSTGRES };
    cell.get_or_init(|| {
        let build = |p: &[Value; 2]| match (&p[0], &p[1]) {
            (Value::String(Some(code)), Value::ChronoDate(Some(day))) => lookup_statement(code, *day),
            _ => unreachable!("the stand-ins are a code and a day"),
        };
        let day = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).map(Value::from);
        let (a, b) = (day(1901, 1, 1)?, day(1902, 2, 2)?);
        Reusable::new(backend, build, ["\u{1}a".into(), a], ["\u{1}b".into(), b])
    })
    .as_ref()
}

/// The rows of the machine a code names (a registration code wins over a PIN, a PIN over an
/// environmental code, that over an engine serial); empty when none.
async fn find_machine(db: &impl ConnectionTrait, code: &str, today: NaiveDate) -> ServiceResult<Vec<LookupRow>> {
    let backend = db.get_database_backend();
    let stmt = match reusable_lookup(backend) {
        Some(r) => r.bind([code.into(), today.into()]),
        None => backend.build(&lookup_statement(code, today)),
    };
    let rows = LookupRow::find_by_statement(stmt).all(db).await?;
    let Some(best) = rows.iter().min_by_key(|r| r.rank(code)).map(|r| r.id) else { return Ok(vec![]) };
    Ok(rows.into_iter().filter(|r| r.id == best).collect())
}

/// An accepted filing covering today, with its site's name, whether the site is in a zone today
/// (`sites::zone`, computed in the statement) and the rule of the zone in force for its county
/// (the default rule without zone data), which applies when the site is in a zone.
struct CurrentFiling {
    filing: LookupFiling,
    low_emission_zone: bool,
    zone_rule: ZoneRule,
}

/// The machine's unresolved cases, in any county.
async fn open_cases(db: &impl ConnectionTrait, machine_id: Uuid, today: NaiveDate) -> ServiceResult<Vec<LookupCase>> {
    crate::cases::service::unresolved_for_machine(db, machine_id)
        .await?
        .into_iter()
        .map(|c| {
            let state = c.state;
            Ok(LookupCase {
                id: c.id,
                kind: c.kind,
                state,
                county_code: c.county_code,
                opened_at: c.opened_at,
                deadline_on: c.deadline_on,
                overdue: is_overdue(state, c.deadline_on, today),
            })
        })
        .collect()
}

#[derive(Debug, FromQueryResult)]
struct OtherFilingRow {
    id: Uuid,
    site_id: Uuid,
    county_code: String,
    planned_entry_on: NaiveDate,
    planned_exit_on: NaiveDate,
    left_on: Option<NaiveDate>,
    site_name: String,
}

/// Without a filing covering today: the machine's nearest accepted filing starting after
/// `today`, else its latest accepted filing that ended before — its planned exit passed, or the
/// machine left it (a transfer) — with the last day it covered the machine; filings it left
/// before their first day do not count. One statement, read only when no filing covers today.
async fn other_filing(
    db: &impl ConnectionTrait,
    machine_id: Uuid,
    today: NaiveDate,
) -> ServiceResult<Option<(LookupFiling, Option<NaiveDate>)>> {
    let f = |c: filing::Column| Expr::col((filing::Entity, c));
    let upcoming = f(filing::Column::PlannedEntryOn).gt(today);
    let left_on = Expr::col((filing_machine::Entity, filing_machine::Column::LeftOn));
    let stmt = Query::select()
        .columns(
            [
                filing::Column::Id,
                filing::Column::SiteId,
                filing::Column::CountyCode,
                filing::Column::PlannedEntryOn,
                filing::Column::PlannedExitOn,
            ]
            .map(|c| (filing::Entity, c)),
        )
        .column((filing_machine::Entity, filing_machine::Column::LeftOn))
        .expr_as(Expr::col((site::Entity, site::Column::Name)), "site_name")
        .from(filing_machine::Entity)
        .inner_join(
            filing::Entity,
            f(filing::Column::Id).equals((filing_machine::Entity, filing_machine::Column::FilingId)),
        )
        .inner_join(
            site::Entity,
            Expr::col((site::Entity, site::Column::Id)).equals((filing::Entity, filing::Column::SiteId)),
        )
        .and_where(Expr::col((filing_machine::Entity, filing_machine::Column::MachineId)).eq(machine_id))
        .and_where(f(filing::Column::Status).eq(crate::filings::FilingStatus::Accepted))
        .and_where(crate::filings::in_force::left_after_entry())
        .cond_where(
            Condition::any()
                .add(upcoming.clone())
                .add(f(filing::Column::PlannedExitOn).lt(today))
                .add(left_on.clone().lte(today)),
        )
        // Upcoming ones first, the nearest first; then ended ones, the latest end first.
        .order_by_expr(Expr::case(upcoming.clone(), 0).finally(1).into(), Order::Asc)
        .order_by_expr(Expr::case(upcoming, f(filing::Column::PlannedEntryOn)).into(), Order::Asc)
        .order_by_expr(Func::coalesce([left_on, f(filing::Column::PlannedExitOn)]).into(), Order::Desc)
        .limit(1)
        .to_owned();
    let row = OtherFilingRow::find_by_statement(db.get_database_backend().build(&stmt)).one(db).await?;
    Ok(row.map(|r| {
        let filing = LookupFiling {
            id: r.id,
            site_id: r.site_id,
            site_name: r.site_name.clone(),
            county_code: r.county_code.clone(),
            planned_entry_on: r.planned_entry_on,
            planned_exit_on: r.planned_exit_on,
        };
        let ended_on = (r.planned_entry_on <= today).then(|| {
            r.left_on.and_then(|l| l.pred_opt()).map_or(r.planned_exit_on, |l| Ord::min(l, r.planned_exit_on))
        });
        (filing, ended_on)
    }))
}

/// The zone rule of a site in a zone today (`None` outside zones).
async fn zone_of(
    db: &impl ConnectionTrait,
    site: Option<&site::Model>,
    today: NaiveDate,
) -> ServiceResult<Option<ZoneRule>> {
    match site {
        Some(s) => Ok(crate::sites::zone_service::membership(db, s, today).await?.rule()),
        None => Ok(None),
    }
}

/// `GET /machines/lookup`: one statement finds the machine with its owner, current filings,
/// latest inspection and count of unresolved cases (and runs beside the site's, when a site is
/// given); the cases themselves, the caller's divisions (for officials above a county) and a
/// zone's rules are read only when the answer needs them.
#[tracing::instrument(skip(state, q), fields(user = %principal.username))]
pub async fn lookup(state: &AppState, principal: &Principal, q: &LookupQuery) -> ServiceResult<LookupResult> {
    principal.require(&crate::auth::permissions::LOOKUP)?;
    let code = normalize_code(&q.code)?;
    let db = &state.db;
    let today = crate::dates::china_date(state.clock.now());
    let site_query = async {
        match q.site_id {
            None => Ok(None),
            Some(id) => Ok(site::Entity::find_by_id(id).one(db).await?),
        }
    };
    let (scope, rows, here_site): (Scope, _, Option<site::Model>) =
        tokio::try_join!(Scope::resolve(db, principal), find_machine(db, &code, today), site_query)?;
    let here_site = match (q.site_id, here_site) {
        (None, _) => None,
        (Some(_), Some(s)) if scope.allows_county(&s.county_code) => Some(s),
        (Some(_), _) => return Err(AppError::NotFound.into()),
    };
    let Some(m) = rows.first() else {
        return Ok(LookupResult {
            status: LookupStatus::NotRegistered,
            machine: None,
            owner: None,
            current_filing: None,
            zone_allows: None,
            last_inspection: None,
            open_cases: vec![],
            standing: FilingStanding::NotRegistered,
            other_filing: None,
            other_filing_on: None,
            ended_on: None,
            watch: vec![],
        });
    };
    let dto = m.machine()?;
    let mut filings: Vec<CurrentFiling> = rows.iter().filter_map(LookupRow::current_filing).collect();
    filings.sort_by_key(|f| (f.filing.planned_entry_on, f.filing.id));
    let cases = async {
        match m.open_cases {
            0 => Ok(vec![]),
            _ => open_cases(db, m.id, today).await,
        }
    };
    let others = async {
        match (&m.registration_code, filings.is_empty()) {
            (Some(_), true) if m.filings_ever > 0 => other_filing(db, m.id, today).await,
            _ => Ok(None),
        }
    };
    let (open_cases, here_rule, other) = tokio::try_join!(cases, zone_of(db, here_site.as_ref(), today), others)?;

    let is_here = |f: &CurrentFiling| match &here_site {
        Some(s) => f.filing.site_id == s.id,
        None => scope.allows_county(&f.filing.county_code),
    };
    let here = filings.iter().any(is_here);
    let chosen = filings.iter().find(|f| is_here(f)).or(filings.first());
    // The zone is judged at the given site, else at the site the machine is filed for today.
    let zone_allows = match (&here_site, chosen) {
        (Some(_), _) => Some(here_rule.is_none_or(|r| r.allows(dto.fuel_type, dto.emission_stage))),
        (None, Some(f)) if !f.low_emission_zone => Some(true),
        (None, Some(f)) => Some(f.zone_rule.allows(dto.fuel_type, dto.emission_stage)),
        (None, None) => None,
    };

    let status = if m.registration_code.is_none() {
        LookupStatus::NotRegistered
    } else if !open_cases.is_empty() {
        LookupStatus::OpenCase
    } else if here {
        LookupStatus::RegisteredFiledHere
    } else {
        LookupStatus::RegisteredNotFiledHere
    };
    let standing = match (&m.registration_code, chosen, &other) {
        (None, _, _) => FilingStanding::NotRegistered,
        (Some(_), Some(_), _) if here => FilingStanding::FiledHere,
        (Some(_), Some(_), _) => FilingStanding::FiledElsewhere,
        (Some(_), None, Some((_, None))) => FilingStanding::FilingUpcoming,
        (Some(_), None, Some((_, Some(_)))) => FilingStanding::FilingEnded,
        (Some(_), None, None) => FilingStanding::NeverFiled,
    };
    // The other filing's site and dates are shown only within the caller's scope (the
    // look-up's exception covers today's filing, not the machine's other filings); elsewhere
    // only the day it starts or ended.
    let other_filing_on = other.as_ref().filter(|(_, end)| end.is_none()).map(|(f, _)| f.planned_entry_on);
    let (other_filing, ended_on) = match other {
        Some((f, end)) => (scope.allows_county(&f.county_code).then_some(f), end),
        None => (None, None),
    };
    // Whether the machine may be watched, from what the statement read (a failure or an
    // exemption last, an unresolved case, a running entry, no registration): only then is the
    // watch list's rule asked, and the counties behind it told.
    let may_be_watched = m.open_cases > 0
        || m.watch_entries > 0
        || m.registration_code.is_none()
        || m.last_verdict.as_deref().is_some_and(|v| v != crate::inspections::compliance::Verdict::Pass.as_str());
    let watch = match may_be_watched {
        true => crate::watchlist::service::looked_up(state, principal, m.id, state.clock.now()).await?,
        false => vec![],
    };
    Ok(LookupResult {
        status,
        machine: Some(dto),
        owner: m.owner(),
        current_filing: chosen.map(|f| f.filing.clone()),
        zone_allows,
        last_inspection: m.last_inspection(),
        open_cases,
        standing,
        other_filing,
        other_filing_on,
        ended_on,
        watch,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_normalised_and_bad_check_characters_refused_early() {
        let good = RegistrationCode::issue("140105", 42).unwrap().to_string();
        assert_eq!(normalize_code(&format!("  {} ", good.to_lowercase())).unwrap(), good);
        let mut bad = good.clone();
        let last = bad.pop().unwrap();
        bad.push(if last == '0' { '1' } else { '0' });
        let err = normalize_code(&bad).unwrap_err();
        assert_eq!(err.fields().and_then(|f| f.first("code")).map(|e| e.code.as_str()), Some("regcode_check_char"));
        // Other identifiers pass through, upper-cased.
        assert_eq!(normalize_code(" pin-0001 ").unwrap(), "PIN-0001");
        assert_eq!(normalize_code("1234567890123").unwrap(), "1234567890123", "13 digits: maybe a PIN");
        assert!(normalize_code("  ").is_err());
        let spaced = format!("{} {} {} {}", &good[..4], &good[4..8], &good[8..12], &good[12..]);
        assert_eq!(normalize_code(&spaced).unwrap(), good, "grouped as on a label");
        assert!(normalize_code(&"A".repeat(65)).is_err());
    }

    #[test]
    fn the_lookup_statement_is_written_once_and_bound_as_built() {
        let day = NaiveDate::from_ymd_opt(2026, 12, 7).unwrap();
        for backend in [DbBackend::Sqlite, DbBackend::Postgres] {
            let reusable = reusable_lookup(backend).expect("the look-up's text is reusable");
            for code in ["14010500000032", "PIN-0001"] {
                assert_eq!(reusable.bind([code.into(), day.into()]), backend.build(&lookup_statement(code, day)));
            }
        }
    }
}
