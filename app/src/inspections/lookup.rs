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
//! refused before any query; the machine is found with one query over the four unique
//! identifier indexes; the rest are primary-key or index look-ups (filing_machines.machine_id,
//! inspections(machine_id, inspected_at), cases(machine_id, state)).

use super::compliance::Verdict;
use super::compliance::ZoneRule;
use super::{
    LookupCase, LookupFiling, LookupInspection, LookupMachine, LookupOwner, LookupQuery, LookupResult, LookupStatus,
};
use crate::auth::service::Principal;
use crate::auth::{Role, Scope};
use crate::cases::{CaseKind, CaseState, is_overdue};
use crate::db::entities::{filing, filing_machine, inspection, machine, organization, site};
use crate::error::{AppError, FieldError, FieldErrors};
use crate::filings::FilingStatus;
use crate::machines::regcode::{self, RegCodeError, RegistrationCode};
use crate::machines::{EmissionStage, FuelType};
use crate::service_error::{ServiceError, ServiceResult};
use crate::state::AppState;
use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, EntityTrait, JoinType, QueryFilter, QueryOrder, QuerySelect};
use uuid::Uuid;

/// Who may look machines up in the field.
pub const LOOKUP_ROLES: [Role; 5] =
    [Role::CountyInspector, Role::CityOfficer, Role::ProvinceOfficer, Role::PartnerViewer, Role::Sysadmin];
/// The longest code accepted (the longest identifier is a 64-character engine serial).
const CODE_MAX: usize = 64;

/// Normalises a typed or scanned code (trimmed, upper case) and refuses, without touching the
/// database, a 14-character string of digits and `X` whose check character is wrong.
pub fn normalize_code(raw: &str) -> Result<String, AppError> {
    let code = raw.trim().to_uppercase();
    if code.is_empty() {
        return Err(AppError::field("code", "required"));
    }
    if code.chars().count() > CODE_MAX {
        return Err(AppError::Validation {
            fields: FieldErrors::single("code", FieldError::new("length").with("min", 1).with("max", CODE_MAX)),
        });
    }
    let looks_like_regcode = code.len() == regcode::LEN && code.bytes().all(|b| b.is_ascii_digit() || b == b'X');
    if looks_like_regcode && let Err(e @ RegCodeError::CheckChar { .. }) = RegistrationCode::parse(&code) {
        return Err(AppError::Validation { fields: FieldErrors::single("code", e.field_error()) });
    }
    Ok(code)
}

fn machine_dto(m: &machine::Model) -> ServiceResult<LookupMachine> {
    Ok(LookupMachine {
        id: m.id,
        name: m.name.clone(),
        machine_type: m.machine_type.clone(),
        brand: m.brand.clone(),
        model: m.model.clone(),
        registration_code: m.registration_code.clone(),
        pin: m.pin.clone(),
        env_code: m.env_code.clone(),
        engine_serial: m.engine_serial.clone(),
        emission_stage: EmissionStage::parse(&m.emission_stage)
            .ok_or_else(|| ServiceError::internal("stored stage"))?,
        fuel_type: FuelType::parse(&m.fuel_type).ok_or_else(|| ServiceError::internal("stored fuel"))?,
        rated_power_kw: m.rated_power_kw,
        dpf_fitted: m.dpf_fitted,
    })
}

/// The machine a code names: one query over the four identifier columns; a registration code
/// wins over a PIN, a PIN over an environmental code, that over an engine serial.
async fn find_machine(state: &AppState, code: &str) -> ServiceResult<Option<machine::Model>> {
    let found = machine::Entity::find()
        .filter(
            Condition::any()
                .add(machine::Column::RegistrationCode.eq(code))
                .add(machine::Column::Pin.eq(code))
                .add(machine::Column::EnvCode.eq(code))
                .add(machine::Column::EngineSerial.eq(code)),
        )
        .limit(4)
        .all(&state.db)
        .await?;
    let rank = |m: &machine::Model| {
        [&m.registration_code, &m.pin, &m.env_code, &m.engine_serial]
            .iter()
            .position(|c| c.as_deref() == Some(code))
            .unwrap_or(4)
    };
    Ok(found.into_iter().min_by_key(rank))
}

/// An accepted filing covering today, with its site's name and zone flag.
struct CurrentFiling {
    filing: LookupFiling,
    low_emission_zone: bool,
}

/// The accepted filings of a machine that cover `today`, with their sites (one query).
async fn current_filings(
    db: &impl ConnectionTrait,
    machine_id: Uuid,
    today: NaiveDate,
) -> ServiceResult<Vec<CurrentFiling>> {
    let rows = filing::Entity::find()
        .select_only()
        .column(filing::Column::Id)
        .column(filing::Column::SiteId)
        .column(filing::Column::CountyCode)
        .column(filing::Column::PlannedEntryOn)
        .column(filing::Column::PlannedExitOn)
        .column(site::Column::Name)
        .column(site::Column::LowEmissionZone)
        .join(
            JoinType::InnerJoin,
            filing::Entity::belongs_to(site::Entity).from(filing::Column::SiteId).to(site::Column::Id).into(),
        )
        .filter(
            filing::Column::Id.in_subquery(
                Query::select()
                    .column(filing_machine::Column::FilingId)
                    .from(filing_machine::Entity)
                    .and_where(Expr::col(filing_machine::Column::MachineId).eq(machine_id))
                    .to_owned(),
            ),
        )
        .filter(filing::Column::Status.eq(FilingStatus::Accepted.as_str()))
        .filter(filing::Column::PlannedEntryOn.lte(today))
        .filter(filing::Column::PlannedExitOn.gte(today))
        .order_by_asc(filing::Column::PlannedEntryOn)
        .into_tuple::<(Uuid, Uuid, String, NaiveDate, NaiveDate, String, bool)>()
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|(id, site_id, county_code, planned_entry_on, planned_exit_on, site_name, low_emission_zone)| {
            CurrentFiling {
                filing: LookupFiling { id, site_id, site_name, county_code, planned_entry_on, planned_exit_on },
                low_emission_zone,
            }
        })
        .collect())
}

/// The machine's latest inspection, in any county.
async fn last_inspection(db: &impl ConnectionTrait, machine_id: Uuid) -> ServiceResult<Option<LookupInspection>> {
    Ok(inspection::Entity::find()
        .select_only()
        .column(inspection::Column::InspectedAt)
        .column(inspection::Column::Verdict)
        .column(inspection::Column::MeanK)
        .column(inspection::Column::LimitK)
        .filter(inspection::Column::MachineId.eq(machine_id))
        .order_by_desc(inspection::Column::InspectedAt)
        .limit(1)
        .into_tuple::<(DateTime<Utc>, String, Option<f64>, Option<f64>)>()
        .one(db)
        .await?
        .and_then(|(at, verdict, mean_k, limit_k)| {
            Some(LookupInspection { at, verdict: Verdict::parse(&verdict)?, mean_k, limit_k })
        }))
}

/// The machine's unresolved cases, in any county.
async fn open_cases(db: &impl ConnectionTrait, machine_id: Uuid, today: NaiveDate) -> ServiceResult<Vec<LookupCase>> {
    crate::cases::service::unresolved_for_machine(db, machine_id)
        .await?
        .into_iter()
        .map(|c| {
            let state = CaseState::parse(&c.state).ok_or_else(|| ServiceError::internal("stored case state"))?;
            Ok(LookupCase {
                id: c.id,
                kind: CaseKind::parse(&c.kind).ok_or_else(|| ServiceError::internal("stored case kind"))?,
                state,
                county_code: c.county_code,
                opened_at: c.opened_at,
                deadline_on: c.deadline_on,
                overdue: is_overdue(state, c.deadline_on, today),
            })
        })
        .collect()
}

async fn owner(db: &impl ConnectionTrait, organization_id: Uuid) -> ServiceResult<Option<LookupOwner>> {
    Ok(organization::Entity::find_by_id(organization_id)
        .select_only()
        .column(organization::Column::Name)
        .column(organization::Column::Uscc)
        .into_tuple::<(String, String)>()
        .one(db)
        .await?
        .map(|(name, uscc)| LookupOwner { name, uscc }))
}

/// The zone rule of a site in a zone (`None` outside zones).
async fn zone_of(
    db: &impl ConnectionTrait,
    site: Option<(&str, bool)>,
    today: NaiveDate,
) -> ServiceResult<Option<ZoneRule>> {
    match site {
        Some((county, true)) => Ok(Some(super::limits_service::zone_rule_for(db, county, today).await?)),
        _ => Ok(None),
    }
}

/// `GET /machines/lookup`. Independent queries run concurrently (on separate pooled
/// connections), so the answer costs about three round trips, not nine.
#[tracing::instrument(skip(state, q), fields(user = %principal.username))]
pub async fn lookup(state: &AppState, principal: &Principal, q: &LookupQuery) -> ServiceResult<LookupResult> {
    principal.require(&LOOKUP_ROLES)?;
    let code = normalize_code(&q.code)?;
    let db = &state.db;
    let site_query = async {
        match q.site_id {
            None => Ok(None),
            Some(id) => Ok(site::Entity::find_by_id(id).one(db).await?),
        }
    };
    let (scope, machine, here_site): (Scope, _, Option<site::Model>) =
        tokio::try_join!(Scope::resolve(db, principal), find_machine(state, &code), site_query)?;
    let here_site = match (q.site_id, here_site) {
        (None, _) => None,
        (Some(_), Some(s)) if scope.allows_county(&s.county_code) => Some(s),
        (Some(_), _) => return Err(AppError::NotFound.into()),
    };
    let Some(m) = machine else {
        return Ok(LookupResult {
            status: LookupStatus::NotRegistered,
            machine: None,
            owner: None,
            current_filing: None,
            zone_allows: None,
            last_inspection: None,
            open_cases: vec![],
        });
    };
    let today = crate::dates::china_date(state.clock.now());
    let dto = machine_dto(&m)?;
    let here_zone_site = here_site.as_ref().map(|s| (s.county_code.as_str(), s.low_emission_zone));
    let (owner, filings, last_inspection, open_cases, here_rule) = tokio::try_join!(
        owner(db, m.organization_id),
        current_filings(db, m.id, today),
        last_inspection(db, m.id),
        open_cases(db, m.id, today),
        zone_of(db, here_zone_site, today),
    )?;

    let is_here = |f: &CurrentFiling| match &here_site {
        Some(s) => f.filing.site_id == s.id,
        None => scope.allows_county(&f.filing.county_code),
    };
    let here = filings.iter().any(is_here);
    let chosen = filings.iter().find(|f| is_here(f)).or(filings.first());
    // The zone is judged at the given site, else at the site the machine is filed for today.
    let zone_allows = match (&here_site, chosen) {
        (Some(s), _) => {
            Some(!s.low_emission_zone || here_rule.is_some_and(|r| r.allows(dto.fuel_type, dto.emission_stage)))
        }
        (None, Some(f)) if !f.low_emission_zone => Some(true),
        (None, Some(f)) => zone_of(db, Some((&f.filing.county_code, true)), today)
            .await?
            .map(|r| r.allows(dto.fuel_type, dto.emission_stage)),
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
    Ok(LookupResult {
        status,
        machine: Some(dto),
        owner,
        current_filing: chosen.map(|f| f.filing.clone()),
        zone_allows,
        last_inspection,
        open_cases,
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
        assert!(normalize_code(&"A".repeat(65)).is_err());
    }
}
