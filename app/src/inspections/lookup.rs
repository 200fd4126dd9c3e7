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
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

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

/// `GET /machines/lookup`.
#[tracing::instrument(skip(state, q), fields(user = %principal.username))]
pub async fn lookup(state: &AppState, principal: &Principal, q: &LookupQuery) -> ServiceResult<LookupResult> {
    principal.require(&LOOKUP_ROLES)?;
    let code = normalize_code(&q.code)?;
    let db = &state.db;
    let scope = Scope::resolve(db, principal).await?;
    let here_site = match q.site_id {
        None => None,
        Some(id) => {
            let s = site::Entity::find_by_id(id).one(db).await?;
            Some(s.filter(|s| scope.allows_county(&s.county_code)).ok_or(AppError::NotFound)?)
        }
    };
    let Some(m) = find_machine(state, &code).await? else {
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

    let owner = organization::Entity::find_by_id(m.organization_id)
        .one(db)
        .await?
        .map(|o| LookupOwner { name: o.name, uscc: o.uscc });
    let filings = filing::Entity::find()
        .filter(
            filing::Column::Id.in_subquery(
                Query::select()
                    .column(filing_machine::Column::FilingId)
                    .from(filing_machine::Entity)
                    .and_where(Expr::col(filing_machine::Column::MachineId).eq(m.id))
                    .to_owned(),
            ),
        )
        .filter(filing::Column::Status.eq(FilingStatus::Accepted.as_str()))
        .filter(filing::Column::PlannedEntryOn.lte(today))
        .filter(filing::Column::PlannedExitOn.gte(today))
        .order_by_asc(filing::Column::PlannedEntryOn)
        .all(db)
        .await?;
    let is_here = |f: &filing::Model| match &here_site {
        Some(s) => f.site_id == s.id,
        None => scope.allows_county(&f.county_code),
    };
    let here = filings.iter().any(is_here);
    let chosen = filings.iter().find(|f| is_here(f)).or(filings.first()).cloned();
    let filed_site = match &chosen {
        Some(f) if here_site.as_ref().is_some_and(|s| s.id == f.site_id) => here_site.clone(),
        Some(f) => site::Entity::find_by_id(f.site_id).one(db).await?,
        None => None,
    };
    let current_filing = match (&chosen, &filed_site) {
        (Some(f), Some(s)) => Some(LookupFiling {
            id: f.id,
            site_id: f.site_id,
            site_name: s.name.clone(),
            county_code: f.county_code.clone(),
            planned_entry_on: f.planned_entry_on,
            planned_exit_on: f.planned_exit_on,
        }),
        _ => None,
    };

    let dto = machine_dto(&m)?;
    let judged_site = here_site.as_ref().or(filed_site.as_ref());
    let zone_allows = match judged_site {
        None => None,
        Some(s) if !s.low_emission_zone => Some(true),
        Some(s) => {
            let rule = super::limits_service::zone_rule_for(db, &s.county_code, today).await?;
            Some(rule.allows(dto.fuel_type, dto.emission_stage))
        }
    };

    let last_inspection = inspection::Entity::find()
        .select_only()
        .column(inspection::Column::InspectedAt)
        .column(inspection::Column::Verdict)
        .column(inspection::Column::MeanK)
        .column(inspection::Column::LimitK)
        .filter(inspection::Column::MachineId.eq(m.id))
        .order_by_desc(inspection::Column::InspectedAt)
        .limit(1)
        .into_tuple::<(chrono::DateTime<chrono::Utc>, String, Option<f64>, Option<f64>)>()
        .one(db)
        .await?
        .and_then(|(at, verdict, mean_k, limit_k)| {
            Some(LookupInspection { at, verdict: Verdict::parse(&verdict)?, mean_k, limit_k })
        });

    let open_cases = crate::cases::service::unresolved_for_machine(db, m.id)
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
        .collect::<ServiceResult<Vec<_>>>()?;

    let status = if m.registration_code.is_none() {
        LookupStatus::NotRegistered
    } else if !open_cases.is_empty() {
        LookupStatus::OpenCase
    } else if here {
        LookupStatus::RegisteredFiledHere
    } else {
        LookupStatus::RegisteredNotFiledHere
    };
    Ok(LookupResult { status, machine: Some(dto), owner, current_filing, zone_allows, last_inspection, open_cases })
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
