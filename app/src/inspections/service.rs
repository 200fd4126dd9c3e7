//! Inspections: record one (the verdict computed with the limit table in force at the time of
//! the test, never recomputed), open the cases it calls for or settle the case it re-inspects,
//! and add joint-inspection notes. Reading and listing them is in [`super::read`].

use super::read::{find_visible, get, to_dtos};

use super::compliance::{self, Evaluation, MachineFacts, Readings, Reason, Verdict};
use super::{Inspection, InspectionInput, Reinspection};
use crate::audit::{self, Action, EntityKind};
use crate::auth::Role;
use crate::auth::service::Principal;
use crate::cases::{CaseKind, CaseState};
use crate::db::entities::{case, inspection, machine};
use crate::error::{AppError, ConflictCode, FieldCode, FieldError, FieldErrors};
use crate::machines::regcode::RegistrationCode;
use crate::machines::{EmissionStage, FuelType};
use crate::notes::{NOTE_MAX, Note, NoteInput};
use crate::request_ids::Begun;
use crate::service_error::{ServiceError, ServiceResult};
use crate::state::AppState;
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect};
use uuid::Uuid;

/// The longest description of an unregistered machine.
const DESCRIPTION_MAX: usize = 500;
/// How far ahead of the server clock an inspection time may lie (phone clocks drift).
const CLOCK_SKEW_MINUTES: i64 = 10;

/// The machine an inspection is about: by id or registration code (any county: a registered
/// machine may stand on a site in another county), or none for an unregistered machine.
async fn resolve_machine(
    db: &impl ConnectionTrait,
    input: &InspectionInput,
    errors: &mut FieldErrors,
) -> ServiceResult<Option<machine::Model>> {
    let by_code = match input.registration_code.as_deref().map(str::trim).filter(|c| !c.is_empty()) {
        None => None,
        Some(raw) => match RegistrationCode::parse(raw) {
            Err(e) => {
                errors.add("registration_code", e.field_error());
                return Ok(None);
            }
            Ok(code) => {
                let found =
                    machine::Entity::find().filter(machine::Column::RegistrationCode.eq(code.as_str())).one(db).await?;
                if found.is_none() {
                    errors.add("registration_code", FieldError::new(FieldCode::UnknownRegistrationCode));
                    return Ok(None);
                }
                found
            }
        },
    };
    let by_id = match input.machine_id {
        None => None,
        Some(id) => {
            let found = machine::Entity::find_by_id(id).one(db).await?;
            if found.is_none() {
                errors.add("machine_id", FieldError::new(FieldCode::UnknownMachine));
                return Ok(None);
            }
            found
        }
    };
    match (by_id, by_code) {
        (Some(a), Some(b)) if a.id != b.id => {
            errors.add("registration_code", FieldError::new(FieldCode::MachineMismatch));
            Ok(None)
        }
        (Some(m), _) | (None, Some(m)) => Ok(Some(m)),
        (None, None) => Ok(None),
    }
}

/// The machine facts the rule needs: the registered machine's, or the nameplate's as typed for
/// an unregistered machine (then required).
fn facts(
    machine: Option<&machine::Model>,
    input: &InspectionInput,
    errors: &mut FieldErrors,
) -> ServiceResult<Option<MachineFacts>> {
    if let Some(m) = machine {
        return Ok(Some(MachineFacts {
            emission_stage: EmissionStage::parse(&m.emission_stage)
                .ok_or_else(|| ServiceError::internal("stored stage"))?,
            fuel_type: FuelType::parse(&m.fuel_type).ok_or_else(|| ServiceError::internal("stored fuel"))?,
            rated_power_kw: m.rated_power_kw,
        }));
    }
    if input.unregistered_description.is_none() {
        if input.machine_id.is_none() && input.registration_code.is_none() {
            errors.add("machine_id", FieldError::new(FieldCode::MachineRequired));
        }
        return Ok(None);
    }
    for (field, missing) in [
        ("emission_stage", input.emission_stage.is_none()),
        ("fuel_type", input.fuel_type.is_none()),
        ("rated_power_kw", input.rated_power_kw.is_none()),
    ] {
        if missing {
            errors.add(field, FieldError::new(FieldCode::Required));
        }
    }
    Ok(match (input.emission_stage, input.fuel_type, input.rated_power_kw) {
        (Some(emission_stage), Some(fuel_type), Some(rated_power_kw)) => {
            Some(MachineFacts { emission_stage, fuel_type, rated_power_kw })
        }
        _ => None,
    })
}

/// What an inspection found, as case kinds (in a stable order).
pub fn findings(eval: &Evaluation, registered: bool, label_present: Option<bool>) -> Vec<CaseKind> {
    let mut out = Vec::new();
    if !registered {
        out.push(CaseKind::UnregisteredMachine);
    }
    if eval.verdict == Verdict::Fail {
        out.push(CaseKind::FailedInspection);
    }
    if eval.reasons.contains(&Reason::StageBannedInZone) {
        out.push(CaseKind::ZoneViolation);
    }
    if label_present == Some(false) {
        out.push(CaseKind::MissingLabel);
    }
    out
}

/// Whether a re-inspection settles a case of `kind`: the finding is gone (and for a missing
/// label, the label was seen).
pub fn settles(kind: CaseKind, found: &[CaseKind], label_present: Option<bool>) -> bool {
    !found.contains(&kind) && (kind != CaseKind::MissingLabel || label_present == Some(true))
}

fn trimmed(s: &Option<String>) -> Option<String> {
    s.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned)
}

fn check_basics(state: &AppState, input: &mut InspectionInput, errors: &mut FieldErrors) {
    input.notes = trimmed(&input.notes);
    input.registration_code = trimmed(&input.registration_code);
    input.unregistered_description = trimmed(&input.unregistered_description);
    if input.inspected_at > state.clock.now() + chrono::Duration::minutes(CLOCK_SKEW_MINUTES) {
        errors.add("inspected_at", FieldError::new(FieldCode::DateInFuture));
    }
    if input.notes.as_deref().is_some_and(|n| n.chars().count() > NOTE_MAX) {
        errors.add("notes", FieldError::new(FieldCode::Length).with("min", 0).with("max", NOTE_MAX));
    }
    if input.unregistered_description.as_deref().is_some_and(|n| n.chars().count() > DESCRIPTION_MAX) {
        errors.add(
            "unregistered_description",
            FieldError::new(FieldCode::Length).with("min", 0).with("max", DESCRIPTION_MAX),
        );
    }
    use crate::sites::{CHINA_LAT, CHINA_LNG};
    match (input.lat, input.lng) {
        (None, None) => {}
        (Some(lat), Some(lng)) => {
            if !(CHINA_LAT.0..=CHINA_LAT.1).contains(&lat) {
                errors.add("lat", FieldError::new(FieldCode::OutsideChina));
            }
            if !(CHINA_LNG.0..=CHINA_LNG.1).contains(&lng) {
                errors.add("lng", FieldError::new(FieldCode::OutsideChina));
            }
        }
        (None, Some(_)) => errors.add("lat", FieldError::new(FieldCode::Required)),
        (Some(_), None) => errors.add("lng", FieldError::new(FieldCode::Required)),
    }
}

/// The zone rule an inspection on `site` is judged under: none off a zone (the site's
/// membership on `day`, `sites::zone`); none either when the work falls under an exemption the
/// county's zone in force lists (the claimed exemption must be one of them, and only on a zone
/// site); else the zone's rule (the default rule without zone data).
async fn zone_for_inspection(
    state: &AppState,
    site: &crate::db::entities::site::Model,
    day: chrono::NaiveDate,
    input: &mut InspectionInput,
    errors: &mut FieldErrors,
) -> ServiceResult<Option<compliance::ZoneRule>> {
    input.zone_exemption = trimmed(&input.zone_exemption).map(|e| e.to_lowercase());
    let membership = crate::sites::zone_service::membership(&state.db, site, day).await?;
    if !membership.in_zone {
        if input.zone_exemption.is_some() {
            errors.add("zone_exemption", FieldError::new(FieldCode::NotInZone));
        }
        return Ok(None);
    }
    if let Some(claimed) = &input.zone_exemption {
        if membership.exemptions().iter().any(|c| c == claimed) {
            return Ok(None);
        }
        errors.add("zone_exemption", FieldError::new(FieldCode::ExemptionNotListed));
    }
    Ok(membership.rule())
}

/// The case a re-inspection names: visible to the inspector, about this machine, awaiting
/// re-inspection.
async fn case_to_reinspect(
    state: &AppState,
    principal: &Principal,
    case_id: Uuid,
    machine: Option<&machine::Model>,
) -> ServiceResult<case::Model> {
    let c = crate::cases::service::find_visible(state, principal, case_id).await.map_err(|e| match e {
        ServiceError::Client(AppError::NotFound) => AppError::field("case_id", FieldCode::UnknownCase).into(),
        other => other,
    })?;
    if c.machine_id.is_some() && c.machine_id != machine.map(|m| m.id) {
        return Err(AppError::field("case_id", FieldCode::CaseMachineMismatch).into());
    }
    if c.state != CaseState::RectificationOrdered {
        return Err(AppError::conflict(ConflictCode::CaseNotAwaitingReinspection).into());
    }
    Ok(c)
}

/// Records an inspection (a county inspector of the site's county). The verdict uses the limit
/// table in force on the China date of `inspected_at` and the zone data of the county then;
/// the table's version is stored with it. Findings open one case per kind; with `case_id` the
/// finding of that case's kind settles it (pass → `reinspection_passed`) or is recorded on it
/// (the case stays `rectification_ordered`) instead of opening a second case of that kind.
#[tracing::instrument(skip(state, input), fields(user = %principal.username))]
pub async fn create(state: &AppState, principal: &Principal, mut input: InspectionInput) -> ServiceResult<Inspection> {
    principal.require(&[Role::CountyInspector])?;
    if let Some(first) =
        crate::request_ids::replayed(&state.db, principal, input.request_id, "create_inspection").await?
    {
        return get(state, principal, first).await;
    }
    let site = crate::sites::service::find_visible(state, principal, input.site_id).await?;
    let mut errors = FieldErrors::new();
    check_basics(state, &mut input, &mut errors);
    let machine = resolve_machine(&state.db, &input, &mut errors).await?;
    let facts = facts(machine.as_ref(), &input, &mut errors)?;
    let day = crate::dates::china_date(input.inspected_at);
    let zone = zone_for_inspection(state, &site, day, &mut input, &mut errors).await?;
    let table = super::limits::tables::table_in_force(&state.db, Some(&site.county_code), day).await?;
    if table.is_none() {
        errors.add("inspected_at", FieldError::new(FieldCode::NoLimitTable));
    }
    let readings = Readings { opacity: input.opacity_readings.as_deref(), ringelmann: input.ringelmann_level };
    for (field, errs) in compliance::check_readings(readings).0 {
        for e in errs {
            errors.add(&field, e);
        }
    }
    errors.into_result()?;
    let (Some(facts), Some(table)) = (facts, table) else { return Err(ServiceError::internal("unchecked input")) };
    let eval = compliance::evaluate(facts, readings, &table.rows, zone)
        .map_err(|fields| ServiceError::from(AppError::Validation { fields }))?;
    // The case's state is what a twin request (the same request id, committed first) changes.
    let reinspected = match input.case_id {
        Some(id) => {
            let checked = case_to_reinspect(state, principal, id, machine.as_ref()).await;
            let request = input.request_id;
            match crate::request_ids::unless_replayed(&state.db, principal, request, "create_inspection", checked)
                .await?
            {
                Ok(c) => Some(c),
                Err(first) => return get(state, principal, first).await,
            }
        }
        None => None,
    };

    let registered = machine.as_ref().is_some_and(|m| m.registration_code.is_some());
    let found = findings(&eval, registered, input.label_present);
    let reinspected_kind = reinspected.as_ref().map(|c| c.kind);
    let now = state.clock.now();
    let id = Uuid::now_v7();
    let reasons: Vec<&str> = eval.reasons.iter().map(|r| r.as_str()).collect();
    let txn =
        match crate::request_ids::begin(&state.db, principal, input.request_id, "create_inspection", id, now).await? {
            Begun::Fresh(txn) => txn,
            Begun::Replay(first) => return get(state, principal, first).await,
        };
    inspection::Entity::insert(inspection::ActiveModel {
        id: Set(id),
        county_code: Set(site.county_code.clone()),
        site_id: Set(site.id),
        site_organization_id: Set(site.organization_id),
        machine_id: Set(machine.as_ref().map(|m| m.id)),
        organization_id: Set(machine.as_ref().map(|m| m.organization_id)),
        unregistered_description: Set(input.unregistered_description.clone()),
        emission_stage: Set(facts.emission_stage.as_str().to_owned()),
        fuel_type: Set(facts.fuel_type.as_str().to_owned()),
        rated_power_kw: Set(facts.rated_power_kw),
        inspector_id: Set(principal.user_id),
        inspected_at: Set(input.inspected_at),
        lat: Set(input.lat),
        lng: Set(input.lng),
        opacity_readings: Set(serde_json::to_string(&input.opacity_readings.clone().unwrap_or_default())
            .map_err(ServiceError::internal)?),
        ringelmann_level: Set(input.ringelmann_level),
        mean_k: Set(eval.mean_k),
        limit_class: Set(eval.limit_class.map(|c| c.as_str().to_owned())),
        limit_k: Set(eval.limit_k),
        limit_table_version: Set(table.version.clone()),
        limit_table_id: Set(Some(table.id)),
        verdict: Set(eval.verdict),
        reasons: Set(serde_json::to_string(&reasons).map_err(ServiceError::internal)?),
        low_emission_zone: Set(eval.low_emission_zone),
        zone_exemption: Set(input.zone_exemption.clone()),
        label_present: Set(input.label_present),
        notes: Set(input.notes.clone()),
        case_id: Set(input.case_id),
        created_at: Set(now),
    })
    .exec(&txn)
    .await?;
    // The owner at the time of the test, read again under the machine's lock (shared on
    // PostgreSQL; SQLite holds its write lock since the insert): an acceptance of a transfer
    // either finished before (the buyer owns it from then on) or waits for this inspection and
    // its cases (and then sees them). A test made before a handover stays the seller's record.
    let owner = match &machine {
        None => None,
        Some(m) => {
            let q = machine::Entity::find_by_id(m.id);
            let locked =
                if crate::db::is_sqlite(&txn) { q.one(&txn).await? } else { q.lock_shared().one(&txn).await? };
            let locked = locked.ok_or_else(|| ServiceError::internal("inspected machine vanished"))?;
            let owner = crate::transfers::history::owner_at(&txn, &locked, input.inspected_at).await?;
            if owner != m.organization_id {
                inspection::Entity::update_many()
                    .col_expr(inspection::Column::OrganizationId, Expr::value(Some(owner)))
                    .filter(inspection::Column::Id.eq(id))
                    .exec(&txn)
                    .await?;
            }
            Some(owner)
        }
    };

    let mut reinspection = None;
    if let (Some(c), Some(kind)) = (&reinspected, reinspected_kind) {
        let passed = settles(kind, &found, input.label_present);
        let case_state = crate::cases::from_inspection::reinspected(&txn, principal, c, passed, (id, now)).await?;
        reinspection = Some(Reinspection { case_id: c.id, passed, case_state });
    }

    let opened: Vec<CaseKind> = found.into_iter().filter(|k| Some(*k) != reinspected_kind).collect();
    // A case opened on a machine with a pending transfer: the county's permission is needed
    // (again), and its inspectors hear of it.
    let mut notices = match (&machine, opened.is_empty()) {
        (Some(m), false) => crate::transfers::service::case_opened(&txn, m.id, &site.county_code, id, now).await?,
        _ => Vec::new(),
    };
    let finding = crate::cases::from_inspection::Finding {
        inspection_id: id,
        county_code: &site.county_code,
        site_id: site.id,
        site_organization_id: site.organization_id,
        machine_id: machine.as_ref().map(|m| m.id),
        owner,
    };
    for kind in opened {
        let c = crate::cases::from_inspection::open(&txn, principal, &finding, kind, now).await?;
        // The units involved hear of each case opened.
        notices.extend(crate::notifications::service::case_changed(&txn, &c, now).await?);
    }
    let row = inspection::Entity::find_by_id(id).one(&txn).await?.ok_or(AppError::NotFound)?;
    // The public's reports about this machine in this county are answered by it.
    crate::reports::service::answered_by(&txn, principal, &row, now).await?;
    let mut dto = to_dtos(&txn, vec![row]).await?.pop().ok_or(AppError::NotFound)?;
    dto.reinspection = reinspection;
    let e = audit::entry(Action::Create, EntityKind::Inspection).by(principal).id(id).county(Some(&site.county_code));
    audit::record(&txn, now, e.after(&dto)).await?;
    txn.commit().await?;
    crate::notifications::service::send_out(state, &notices).await;
    Ok(dto)
}

/// Adds a joint-inspection note (partner departments and the county's inspectors, in scope).
#[tracing::instrument(skip(state, input), fields(user = %principal.username))]
pub async fn add_note(state: &AppState, principal: &Principal, id: Uuid, input: NoteInput) -> ServiceResult<Note> {
    principal.require(&crate::auth::permissions::NOTE_AUTHORS)?;
    let inspection = find_visible(state, principal, id).await?;
    let subject = (crate::notes::Subject::Inspection, id, inspection.county_code.as_str());
    crate::notes::service::add(state, principal, subject, input).await
}
