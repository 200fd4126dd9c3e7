//! Machines: create, read, list (keyset), edit with a version, delete — scoped and checked by
//! the shared rules; identifiers are unique across every organisation ([`super::registry`]).

use super::registry::{check_against_registry, duplicate_after_violation, raise};
use super::{Machine, MachineFilter, MachineInput, MachineTypeInfo, NewMachine, PhotoKind, rules};
use crate::audit::{self, Action, EntityKind};
use crate::auth::Scope;
use crate::auth::service::Principal;
use crate::db::entities::{filing, filing_machine, machine, machine_photo, machine_type};
use crate::error::{AppError, ConflictCode, FieldCode, FieldError, FieldErrors};
use crate::paging::{Page, PageQuery, page_from};
use crate::request_ids::Begun;
use crate::service_error::{ServiceError, ServiceResult};
use crate::state::AppState;
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    Select, TransactionTrait,
};
use std::collections::{BTreeMap, HashMap};
use uuid::Uuid;

/// The machine-type list, in display order (active types only).
pub async fn types(db: &impl ConnectionTrait) -> ServiceResult<Vec<MachineTypeInfo>> {
    Ok(machine_type::Entity::find()
        .filter(machine_type::Column::IsActive.eq(true))
        .order_by_asc(machine_type::Column::SortOrder)
        .all(db)
        .await?
        .into_iter()
        .map(|t| MachineTypeInfo { code: t.code, name_zh: t.name_zh, name_en: t.name_en })
        .collect())
}

/// Maps a row and its photo kinds to the wire type.
pub fn to_dto(m: machine::Model, photos: Vec<PhotoKind>) -> ServiceResult<Machine> {
    let stage = super::EmissionStage::parse(&m.emission_stage)
        .ok_or_else(|| ServiceError::internal(format!("stored stage {}", m.emission_stage)))?;
    let fuel = super::FuelType::parse(&m.fuel_type)
        .ok_or_else(|| ServiceError::internal(format!("stored fuel {}", m.fuel_type)))?;
    Ok(Machine {
        id: m.id,
        organization_id: m.organization_id,
        version: m.version,
        registration_code: m.registration_code,
        registered_at: m.registered_at,
        data: MachineInput {
            machine_type: m.machine_type,
            name: m.name,
            brand: m.brand,
            model: m.model,
            pin: m.pin,
            env_code: m.env_code,
            info_disclosure_no: m.info_disclosure_no,
            engine_model: m.engine_model,
            engine_serial: m.engine_serial,
            engine_maker: m.engine_maker,
            engine_approval_no: m.engine_approval_no,
            emission_stage: stage,
            fuel_type: fuel,
            rated_power_kw: m.rated_power_kw,
            manufactured_on: m.manufactured_on,
            dpf_fitted: m.dpf_fitted,
            dpf_model: m.dpf_model,
            dpf_maker: m.dpf_maker,
            dpf_fitted_on: m.dpf_fitted_on,
            obd_fitted: m.obd_fitted,
            remote_terminal: m.remote_terminal,
        },
        photos,
        created_at: m.created_at,
        updated_at: m.updated_at,
    })
}

/// The photo kinds on file for each machine (one statement per [`IN_CHUNK`](crate::db::IN_CHUNK) machines).
pub async fn photo_kinds(db: &impl ConnectionTrait, ids: &[Uuid]) -> ServiceResult<HashMap<Uuid, Vec<PhotoKind>>> {
    let mut out: HashMap<Uuid, Vec<PhotoKind>> = HashMap::new();
    if ids.is_empty() {
        return Ok(out);
    }
    let rows = crate::db::in_chunks(ids, |chunk| {
        machine_photo::Entity::find()
            .select_only()
            .column(machine_photo::Column::MachineId)
            .column(machine_photo::Column::Kind)
            .filter(machine_photo::Column::MachineId.is_in(chunk))
            .into_tuple::<(Uuid, String)>()
            .all(db)
    })
    .await?;
    for (id, kind) in rows {
        if let Some(k) = PhotoKind::parse(&kind) {
            out.entry(id).or_default().push(k);
        }
    }
    for kinds in out.values_mut() {
        kinds.sort_by_key(|k| PhotoKind::ALL.iter().position(|x| x == k));
    }
    Ok(out)
}

/// The condition that limits machines to a scope: a construction unit sees its fleet; officials
/// see the machines filed for sites in their counties. The filing check is correlated and
/// nested (the machine's filing links by the index of filed machines, then each filing by its
/// key) so that a page of a large fleet costs a probe or two per machine — never a pass over
/// every filing or every filing of the counties.
pub fn scope_condition(scope: &Scope) -> Condition {
    match scope {
        Scope::All => Condition::all(),
        Scope::Organization(org) => Condition::all().add(machine::Column::OrganizationId.eq(*org)),
        Scope::Counties(codes) => Condition::all().add(Expr::exists(
            Query::select()
                .expr(Expr::val(1))
                .from(filing_machine::Entity)
                .and_where(
                    Expr::col((filing_machine::Entity, filing_machine::Column::MachineId))
                        .equals((machine::Entity, machine::Column::Id)),
                )
                .and_where(Expr::exists(
                    Query::select()
                        .expr(Expr::val(1))
                        .from(filing::Entity)
                        .and_where(
                            Expr::col((filing::Entity, filing::Column::Id))
                                .equals((filing_machine::Entity, filing_machine::Column::FilingId)),
                        )
                        .and_where(Expr::col((filing::Entity, filing::Column::CountyCode)).is_in(codes.iter().cloned()))
                        .and_where(Expr::col((filing::Entity, filing::Column::Status)).ne("draft"))
                        .to_owned(),
                ))
                .to_owned(),
        )),
        Scope::Nothing => Condition::all().add(Expr::cust("1 = 0")),
    }
}

/// A machine the caller may see (404 otherwise).
pub async fn find_visible(state: &AppState, principal: &Principal, id: Uuid) -> ServiceResult<machine::Model> {
    let scope = Scope::resolve(&state.db, principal).await?;
    machine::Entity::find_by_id(id)
        .filter(scope_condition(&scope))
        .one(&state.db)
        .await?
        .ok_or_else(|| AppError::NotFound.into())
}

/// One machine.
pub async fn get(state: &AppState, principal: &Principal, id: Uuid) -> ServiceResult<Machine> {
    let m = find_visible(state, principal, id).await?;
    let mut photos = photo_kinds(&state.db, &[m.id]).await?;
    to_dto(m, photos.remove(&id).unwrap_or_default())
}

/// The machines in `scope` that `filter` selects: the one rule of the list and the export.
pub fn filtered(scope: &Scope, filter: &MachineFilter) -> Select<machine::Entity> {
    let mut q = machine::Entity::find().filter(scope_condition(scope));
    if let Some(t) = filter.machine_type.as_deref().filter(|s| !s.is_empty()) {
        q = q.filter(machine::Column::MachineType.eq(t));
    }
    if let Some(s) = filter.emission_stage.as_deref().filter(|s| !s.is_empty()) {
        q = q.filter(machine::Column::EmissionStage.eq(s));
    }
    match filter.registered {
        Some(true) => q = q.filter(machine::Column::RegistrationCode.is_not_null()),
        Some(false) => q = q.filter(machine::Column::RegistrationCode.is_null()),
        None => {}
    }
    if let Some(text) = filter.q.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        let upper = text.to_uppercase();
        q = q.filter(
            Condition::any()
                .add(machine::Column::Name.contains(text))
                .add(machine::Column::Pin.starts_with(upper.clone()))
                .add(machine::Column::EnvCode.starts_with(upper.clone()))
                .add(machine::Column::EngineSerial.starts_with(upper.clone()))
                .add(machine::Column::RegistrationCode.starts_with(upper)),
        );
    }
    q
}

/// A page of machines, newest first.
pub async fn list(
    state: &AppState,
    principal: &Principal,
    filter: &MachineFilter,
    page: &PageQuery,
) -> ServiceResult<Page<Machine>> {
    let scope = Scope::resolve(&state.db, principal).await?;
    let limit = page.limit();
    let mut q = filtered(&scope, filter);
    if let Some(after) = page.after()? {
        q = q.filter(machine::Column::Id.lt(after));
    }
    let rows = q.order_by_desc(machine::Column::Id).limit(limit + 1).all(&state.db).await?;
    let ids: Vec<Uuid> = rows.iter().map(|m| m.id).collect();
    let mut photos = photo_kinds(&state.db, &ids).await?;
    let page = page_from(rows, limit, |m| m.id);
    let items = page.items.into_iter().map(|m| {
        let kinds = photos.remove(&m.id).unwrap_or_default();
        to_dto(m, kinds)
    });
    Ok(Page { items: items.collect::<ServiceResult<_>>()?, next_cursor: page.next_cursor })
}

/// The row of a new machine `id` of `org`, created at `now` (shared by the form and the import).
pub fn new_row(id: Uuid, org: Uuid, input: &MachineInput, now: chrono::DateTime<chrono::Utc>) -> machine::ActiveModel {
    let mut row = active_from(input);
    row.id = Set(id);
    row.organization_id = Set(org);
    row.version = Set(1);
    row.created_at = Set(now);
    row.updated_at = Set(now);
    row
}

/// The columns a machine's data sets (every field of [`MachineInput`]).
pub fn active_from(input: &MachineInput) -> machine::ActiveModel {
    machine::ActiveModel {
        machine_type: Set(input.machine_type.clone()),
        name: Set(input.name.clone()),
        brand: Set(input.brand.clone()),
        model: Set(input.model.clone()),
        pin: Set(input.pin.clone()),
        env_code: Set(input.env_code.clone()),
        info_disclosure_no: Set(input.info_disclosure_no.clone()),
        engine_model: Set(input.engine_model.clone()),
        engine_serial: Set(input.engine_serial.clone()),
        engine_maker: Set(input.engine_maker.clone()),
        engine_approval_no: Set(input.engine_approval_no.clone()),
        emission_stage: Set(input.emission_stage.as_str().to_owned()),
        fuel_type: Set(input.fuel_type.as_str().to_owned()),
        rated_power_kw: Set(input.rated_power_kw),
        manufactured_on: Set(input.manufactured_on),
        dpf_fitted: Set(input.dpf_fitted),
        dpf_model: Set(input.dpf_model.clone()),
        dpf_maker: Set(input.dpf_maker.clone()),
        dpf_fitted_on: Set(input.dpf_fitted_on),
        obd_fitted: Set(input.obd_fitted),
        remote_terminal: Set(input.remote_terminal),
        ..Default::default()
    }
}

/// Validates a machine completely (shared rules, then the registry) without storing it.
pub async fn validate_new(
    db: &impl ConnectionTrait,
    input: &mut MachineInput,
    today: chrono::NaiveDate,
) -> ServiceResult<()> {
    let mut errors = rules::validate(input, today);
    check_against_registry(db, input, None, &mut errors).await?;
    raise(errors)
}

/// Inserts a machine that passed [`validate_new`], on any connection (used by the import too).
pub async fn insert_checked(
    db: &impl ConnectionTrait,
    org: Uuid,
    input: &MachineInput,
    now: chrono::DateTime<chrono::Utc>,
) -> ServiceResult<machine::Model> {
    let id = Uuid::now_v7();
    match machine::Entity::insert(new_row(id, org, input, now)).exec(db).await {
        Ok(_) => {}
        Err(e) if crate::db::is_unique_violation(&e) => return Err(duplicate_after_violation(db, input, None).await),
        Err(e) => return Err(e.into()),
    }
    machine::Entity::find_by_id(id).one(db).await?.ok_or_else(|| ServiceError::internal("inserted machine vanished"))
}

/// Registers a machine in the caller's fleet.
#[tracing::instrument(skip(state, new), fields(user = %principal.username))]
pub async fn create(state: &AppState, principal: &Principal, new: NewMachine) -> ServiceResult<Machine> {
    const OPERATION: &str = "create_machine";
    let org = principal.contractor_org()?;
    if let Some(first) = crate::request_ids::replayed(&state.db, principal, new.request_id, OPERATION).await? {
        return get(state, principal, first).await;
    }
    let NewMachine { machine: mut input, request_id } = new;
    let now = state.clock.now();
    let checked = validate_new(&state.db, &mut input, crate::dates::china_date(now)).await;
    if let Err(first) =
        crate::request_ids::unless_replayed(&state.db, principal, request_id, OPERATION, checked).await?
    {
        return get(state, principal, first).await;
    }
    let id = Uuid::now_v7();
    let txn = match crate::request_ids::begin(&state.db, principal, request_id, OPERATION, id, now).await? {
        Begun::Fresh(txn) => txn,
        Begun::Replay(first) => return get(state, principal, first).await,
    };
    match machine::Entity::insert(new_row(id, org, &input, now)).exec(&txn).await {
        Ok(_) => {}
        Err(e) if crate::db::is_unique_violation(&e) => {
            drop(txn);
            return Err(duplicate_after_violation(&state.db, &input, None).await);
        }
        Err(e) => return Err(e.into()),
    }
    let m = machine::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .ok_or_else(|| ServiceError::internal("inserted machine vanished"))?;
    let m = to_dto(m, vec![])?;
    audit::record(&txn, now, audit::entry(Action::Create, EntityKind::Machine).by(principal).id(m.id).after(&m))
        .await?;
    txn.commit().await?;
    Ok(m)
}

/// 409 `registered_fact` naming every registered fact that `after` changes: on a registered
/// machine those are the county's record, changed only by an accepted amendment. Re-sending a
/// fact with its current value is no change.
pub fn refuse_registered_facts(before: &MachineInput, after: &MachineInput) -> ServiceResult<()> {
    let changed = super::facts::changed(before, after);
    if changed.is_empty() {
        return Ok(());
    }
    let mut fields = FieldErrors::new();
    for fact in changed {
        fields.add(fact.as_str(), FieldError::new(FieldCode::RegisteredFact));
    }
    Err(AppError::Conflict { code: ConflictCode::RegisteredFact, fields, params: BTreeMap::new() }.into())
}

/// Edits a machine with a JSON merge patch carrying the `version` the caller read. A stale
/// version is 409 and changes nothing (the caller still has its edit to re-apply).
#[tracing::instrument(skip(state, patch), fields(user = %principal.username))]
pub async fn update(
    state: &AppState,
    principal: &Principal,
    id: Uuid,
    patch: serde_json::Value,
) -> ServiceResult<Machine> {
    let org = principal.contractor_org()?;
    let current = find_visible(state, principal, id).await?;
    if current.organization_id != org {
        return Err(AppError::NotFound.into());
    }
    let serde_json::Value::Object(mut patch) = patch else {
        return Err(AppError::BadRequest { code: "malformed".into() }.into());
    };
    let Some(version) = patch.remove("version").and_then(|v| v.as_i64()) else {
        return Err(AppError::field("version", FieldCode::Required).into());
    };
    for key in ["id", "organization_id", "registration_code", "registered_at", "photos", "created_at", "updated_at"] {
        patch.remove(key);
    }
    let before = to_dto(current.clone(), vec![])?;
    let mut merged = serde_json::to_value(&before.data).map_err(ServiceError::internal)?;
    if let serde_json::Value::Object(target) = &mut merged {
        for (k, v) in patch {
            if !target.contains_key(&k) {
                return Err(AppError::field(&k, FieldCode::UnknownField).into());
            }
            target.insert(k, v);
        }
    }
    let mut input: MachineInput = serde_json::from_value(merged)
        .map_err(|_| ServiceError::from(AppError::BadRequest { code: "malformed".into() }))?;
    let now = state.clock.now();
    let mut errors = rules::validate(&mut input, crate::dates::china_date(now));
    if current.registration_code.is_some() {
        refuse_registered_facts(&before.data, &input)?;
    }
    check_against_registry(&state.db, &input, Some(id), &mut errors).await?;
    raise(errors)?;

    let mut row = active_from(&input);
    row.version = Set(current.version + 1);
    row.updated_at = Set(now);
    let txn = state.db.begin().await?;
    let result = machine::Entity::update_many()
        .set(row)
        .filter(machine::Column::Id.eq(id))
        .filter(machine::Column::Version.eq(version as i32))
        .exec(&txn)
        .await;
    let updated = match result {
        Ok(r) => r.rows_affected,
        Err(e) if crate::db::is_unique_violation(&e) => {
            // The transaction is spoilt (PostgreSQL): end it before looking.
            drop(txn);
            return Err(duplicate_after_violation(&state.db, &input, Some(id)).await);
        }
        Err(e) => return Err(e.into()),
    };
    if updated == 0 {
        return Err(ServiceError::stale(current.version));
    }
    let kinds = photo_kinds(&txn, &[id]).await?.remove(&id).unwrap_or_default();
    let before = Machine { photos: kinds.clone(), ..before };
    let after = machine::Entity::find_by_id(id).one(&txn).await?.ok_or(AppError::NotFound)?;
    let after = to_dto(after, kinds)?;
    let e = audit::entry(Action::Update, EntityKind::Machine).by(principal).id(id).before(&before).after(&after);
    audit::record(&txn, now, e).await?;
    txn.commit().await?;
    Ok(after)
}

/// Deletes a machine that is not registered and on no filing (409 otherwise).
pub async fn delete(state: &AppState, principal: &Principal, id: Uuid) -> ServiceResult<()> {
    let org = principal.contractor_org()?;
    let current = find_visible(state, principal, id).await?;
    if current.organization_id != org {
        return Err(AppError::NotFound.into());
    }
    let on_filing =
        filing_machine::Entity::find().filter(filing_machine::Column::MachineId.eq(id)).one(&state.db).await?;
    // An inspection of it (it may have been inspected unregistered) keeps it too.
    let inspected = crate::db::entities::inspection::Entity::find()
        .filter(crate::db::entities::inspection::Column::MachineId.eq(id))
        .one(&state.db)
        .await?;
    if current.registration_code.is_some() || on_filing.is_some() || inspected.is_some() {
        return Err(AppError::conflict(ConflictCode::MachineInUse).into());
    }
    let photos = machine_photo::Entity::find().filter(machine_photo::Column::MachineId.eq(id)).all(&state.db).await?;
    let before = to_dto(current, photos.iter().map(|p| p.kind).collect())?;
    let txn = state.db.begin().await?;
    machine::Entity::delete_by_id(id).exec(&txn).await?;
    let e = audit::entry(Action::Delete, EntityKind::Machine).by(principal).id(id).before(&before);
    audit::record(&txn, state.clock.now(), e).await?;
    txn.commit().await?;
    for p in photos {
        forget_files(state, &[p.original_key, p.web_key]).await;
    }
    Ok(())
}

/// Removes stored files whose rows are gone; failures are logged, never fatal.
pub async fn forget_files(state: &AppState, keys: &[String]) {
    for key in keys {
        if let Err(e) = state.storage.delete(key).await {
            tracing::warn!(key, error = %e, "could not remove a stored file");
        }
    }
}

/// A transfer's acceptance, inside its transaction (`current` read under the machine's lock):
/// the machine passes to the unit `to` and its version moves on, with one audit row holding the
/// owner before and after. 409 `owner_changed` when the row changed owner meanwhile.
pub async fn change_owner(
    db: &impl ConnectionTrait,
    principal: &Principal,
    current: &machine::Model,
    to: Uuid,
    transfer_id: Uuid,
    now: chrono::DateTime<chrono::Utc>,
) -> ServiceResult<()> {
    let moved = machine::Entity::update_many()
        .col_expr(machine::Column::OrganizationId, Expr::value(to))
        .col_expr(machine::Column::Version, Expr::col(machine::Column::Version).add(1))
        .col_expr(machine::Column::UpdatedAt, Expr::value(now))
        .filter(machine::Column::Id.eq(current.id))
        .filter(machine::Column::OrganizationId.eq(current.organization_id))
        .exec(db)
        .await?;
    if moved.rows_affected == 0 {
        return Err(AppError::conflict(ConflictCode::OwnerChanged).into());
    }
    let before = serde_json::json!({"organization_id": current.organization_id, "version": current.version});
    let after = serde_json::json!({
        "organization_id": to, "version": current.version + 1, "transfer_id": transfer_id,
        "effective_on": crate::dates::china_date(now),
    });
    let e = audit::entry(Action::Update, EntityKind::Machine).by(principal).id(current.id);
    audit::record(db, now, e.before(&before).after(&after)).await?;
    Ok(())
}
