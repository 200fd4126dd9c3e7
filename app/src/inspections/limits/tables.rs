//! Limit tables in the database: the table that judges a county on a day (national, province
//! or city, see `local`), and new table versions — never edits; a national one by a
//! system administrator, a local one by an officer for their own division, no laxer than the
//! table it narrows and in force from today or later.

use crate::audit::{self, Action, EntityKind};
use crate::auth::Role;
use crate::auth::service::Principal;
use crate::db::entities::{division, limit_row, limit_table};
use crate::error::{AppError, ConflictCode, FieldCode, FieldError, FieldErrors};
use crate::inspections::compliance::{LimitClass, LimitRow};
use crate::inspections::limits::local::{TableStamp, narrowing_errors, pick_in_force};
use crate::inspections::limits::{LimitTable, LimitTableInput, TableFilter, validate_table};
use crate::paging::{Page, PageQuery, page_from};
use crate::service_error::{ServiceError, ServiceResult};
use crate::state::AppState;
use chrono::NaiveDate;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    TransactionTrait,
};
use std::collections::{BTreeMap, HashMap};
use uuid::Uuid;

fn row_dto(r: limit_row::Model) -> ServiceResult<LimitRow> {
    Ok(LimitRow {
        class: LimitClass::parse(&r.class)
            .ok_or_else(|| ServiceError::internal(format!("stored class {}", r.class)))?,
        power_min_kw: r.power_min_kw,
        power_max_kw: r.power_max_kw,
        k_limit: r.k_limit,
        ringelmann_max: r.ringelmann_max,
    })
}

async fn with_rows(db: &impl ConnectionTrait, tables: Vec<limit_table::Model>) -> ServiceResult<Vec<LimitTable>> {
    let ids: Vec<Uuid> = tables.iter().map(|t| t.id).collect();
    let mut rows: HashMap<Uuid, Vec<LimitRow>> = HashMap::new();
    for r in limit_row::Entity::find()
        .filter(limit_row::Column::TableId.is_in(ids))
        .order_by_asc(limit_row::Column::Position)
        .all(db)
        .await?
    {
        rows.entry(r.table_id).or_default().push(row_dto(r)?);
    }
    let codes: Vec<String> = tables.iter().filter_map(|t| t.division_code.clone()).collect();
    let names: HashMap<String, String> = division::Entity::find()
        .filter(division::Column::Code.is_in(codes))
        .all(db)
        .await?
        .into_iter()
        .map(|d| (d.code, d.name))
        .collect();
    Ok(tables
        .into_iter()
        .map(|t| LimitTable {
            rows: rows.remove(&t.id).unwrap_or_default(),
            id: t.id,
            version: t.version,
            division_name: t.division_code.as_ref().and_then(|c| names.get(c).cloned()),
            division_code: t.division_code,
            effective_from: t.effective_from,
            notes: t.notes,
            created_at: t.created_at,
        })
        .collect())
}

/// Of the tables along a chain of divisions (`levels`, from the nation — `None` — down to the
/// most specific division), the one that judges on `on` ([`pick_in_force`]); one query.
async fn choose(
    db: &impl ConnectionTrait,
    levels: &[Option<String>],
    on: NaiveDate,
) -> ServiceResult<Option<limit_table::Model>> {
    let codes: Vec<String> = levels.iter().flatten().cloned().collect();
    let tables = limit_table::Entity::find()
        .filter(limit_table::Column::EffectiveFrom.lte(on))
        .filter(
            Condition::any()
                .add(limit_table::Column::DivisionCode.is_null())
                .add(limit_table::Column::DivisionCode.is_in(codes)),
        )
        .order_by_desc(limit_table::Column::EffectiveFrom)
        .all(db)
        .await?;
    // The latest table of each level (the list is latest first).
    let mut latest: Vec<Option<limit_table::Model>> =
        levels.iter().map(|l| tables.iter().find(|t| t.division_code == *l).cloned()).collect();
    let stamps: Vec<Option<TableStamp>> = latest
        .iter()
        .map(|t| t.as_ref().map(|t| TableStamp { effective_from: t.effective_from, created_at: t.created_at }))
        .collect();
    Ok(pick_in_force(&stamps).and_then(|i| latest.get_mut(i).and_then(Option::take)))
}

/// The chain of a division from the nation down: `[None, province, city, county]` (as far as
/// the division goes); just the nation for `None` or an unknown code.
async fn levels_of(db: &impl ConnectionTrait, division: Option<&str>) -> ServiceResult<Vec<Option<String>>> {
    let mut levels = vec![None];
    if let Some(code) = division {
        let chain = crate::divisions::service::ancestry(db, code).await?;
        levels.extend(chain.into_iter().rev().map(|d| Some(d.code)));
    }
    Ok(levels)
}

/// The table that judges inspections in `county` on `on`: the most specific table in force
/// along its chain (city over province over national, see `local`); the national table
/// for `None`.
pub async fn table_in_force(
    db: &impl ConnectionTrait,
    county: Option<&str>,
    on: NaiveDate,
) -> ServiceResult<Option<LimitTable>> {
    let levels = levels_of(db, county).await?;
    let Some(t) = choose(db, &levels, on).await? else { return Ok(None) };
    Ok(with_rows(db, vec![t]).await?.pop())
}

/// `GET /limit-tables/current`: the table in force on `on` (today when absent) for a division
/// (`county_code`: the table its inspections are judged with), or the national one; 404 before
/// the first table, 422 for an unknown division.
pub async fn current(state: &AppState, on: Option<NaiveDate>, county_code: Option<&str>) -> ServiceResult<LimitTable> {
    let day = on.unwrap_or_else(|| crate::dates::china_date(state.clock.now()));
    let county = county_code.map(str::trim).filter(|c| !c.is_empty());
    if let Some(code) = county
        && division::Entity::find_by_id(code.to_owned()).one(&state.db).await?.is_none()
    {
        return Err(AppError::field("county_code", FieldCode::UnknownDivision).into());
    }
    table_in_force(&state.db, county, day).await?.ok_or_else(|| AppError::NotFound.into())
}

/// Every table version (national and local, or one division's with `filter`), latest effective
/// date first.
pub async fn list_tables(state: &AppState, filter: &TableFilter, page: &PageQuery) -> ServiceResult<Page<LimitTable>> {
    let limit = page.limit();
    let mut q = limit_table::Entity::find();
    match filter.division_code.as_deref().map(str::trim).filter(|c| !c.is_empty()) {
        None => {}
        Some("national") => q = q.filter(limit_table::Column::DivisionCode.is_null()),
        Some(code) => q = q.filter(limit_table::Column::DivisionCode.eq(code)),
    }
    if let Some(after) = page.after()? {
        let cursor = limit_table::Entity::find_by_id(after).one(&state.db).await?;
        let Some(cursor) = cursor else { return Err(AppError::field("cursor", FieldCode::Invalid).into()) };
        q = q.filter(
            Condition::any().add(limit_table::Column::EffectiveFrom.lt(cursor.effective_from)).add(
                Condition::all()
                    .add(limit_table::Column::EffectiveFrom.eq(cursor.effective_from))
                    .add(limit_table::Column::Id.lt(cursor.id)),
            ),
        );
    }
    let rows = q
        .order_by_desc(limit_table::Column::EffectiveFrom)
        .order_by_desc(limit_table::Column::Id)
        .limit(limit + 1)
        .all(&state.db)
        .await?;
    let page = page_from(rows, limit, |t| t.id);
    Ok(Page { items: with_rows(&state.db, page.items).await?, next_cursor: page.next_cursor })
}

/// After a unique violation: which of version and effective date is taken in the division (409).
async fn duplicate_table(
    db: &impl ConnectionTrait,
    division_code: Option<&str>,
    input: &LimitTableInput,
) -> ServiceResult<ServiceError> {
    let same_division = match division_code {
        None => limit_table::Column::DivisionCode.is_null(),
        Some(code) => limit_table::Column::DivisionCode.eq(code),
    };
    let same_version = limit_table::Entity::find()
        .filter(same_division)
        .filter(limit_table::Column::Version.eq(input.version.clone()))
        .one(db)
        .await?;
    let (code, field) = if same_version.is_some() {
        (ConflictCode::DuplicateVersion, "version")
    } else {
        (ConflictCode::DuplicateEffectiveDate, "effective_from")
    };
    let mut params = BTreeMap::new();
    params.insert("version".to_owned(), input.version.clone());
    params.insert("effective_from".to_owned(), input.effective_from.to_string());
    Ok(AppError::Conflict {
        code,
        fields: FieldErrors::single(field, FieldError::new(FieldCode::AlreadyRegistered)),
        params,
    }
    .into())
}

/// The division a new table is for: national for a system administrator (who may name none),
/// the caller's own province or city for an officer (403 for another division, 422 for an
/// unknown one).
async fn table_division(
    db: &impl ConnectionTrait,
    principal: &Principal,
    asked: Option<&str>,
) -> ServiceResult<Option<String>> {
    principal.require(&crate::auth::permissions::TABLE_PUBLISHERS)?;
    let asked = asked.map(str::trim).filter(|c| !c.is_empty());
    let own = match principal.role {
        Role::Sysadmin => None,
        _ => Some(principal.division_code.clone().ok_or(AppError::Forbidden)?),
    };
    match asked {
        None => Ok(own),
        Some(code) if own.as_deref() == Some(code) => Ok(own),
        Some(code) => {
            if division::Entity::find_by_id(code.to_owned()).one(db).await?.is_none() {
                return Err(AppError::field("division_code", FieldCode::UnknownDivision).into());
            }
            Err(AppError::Forbidden.into())
        }
    }
}

/// The division the caller publishes tables for: `None` for the national table (system
/// administrators); 403 for roles that publish none.
pub async fn publishing_division(
    state: &AppState,
    principal: &Principal,
) -> ServiceResult<Option<crate::divisions::Division>> {
    match table_division(&state.db, principal, None).await? {
        None => Ok(None),
        Some(code) => Ok(crate::divisions::service::get(&state.db, &code).await?),
    }
}

/// A local table's own rules: in force from today (China) or later, and no row laxer than the
/// table it narrows (the choice of its parent chain on its effective date).
/// Read inside the publishing transaction, after [`crate::db::lock_table_for_writes`], so a
/// parent table published at the same moment is either seen here or published after this one
/// (and then supersedes it, see `local`).
async fn check_local(
    db: &impl ConnectionTrait,
    today: NaiveDate,
    division_code: &str,
    input: &LimitTableInput,
) -> ServiceResult<()> {
    if input.effective_from < today {
        return Err(AppError::field("effective_from", FieldCode::InThePast).into());
    }
    let mut levels = levels_of(db, Some(division_code)).await?;
    levels.pop();
    let Some(parent) = choose(db, &levels, input.effective_from).await? else {
        return Err(AppError::field("effective_from", FieldCode::NoParentTable).into());
    };
    let parent = with_rows(db, vec![parent]).await?.pop().ok_or_else(|| ServiceError::internal("table vanished"))?;
    narrowing_errors(&input.rows, &parent.rows).into_result()?;
    Ok(())
}

/// Publishes a table version: a national one (system administrators; any effective date, past
/// verdicts keep the table they recorded), or a local one for the caller's own province or city
/// (officers; see [`check_local`]). It replaces its division's table in force from its
/// effective date; nothing already recorded changes.
#[tracing::instrument(skip(state, input), fields(user = %principal.username))]
pub async fn create_table(
    state: &AppState,
    principal: &Principal,
    mut input: LimitTableInput,
) -> ServiceResult<LimitTable> {
    let division_code = table_division(&state.db, principal, input.division_code.as_deref()).await?;
    validate_table(&mut input).into_result()?;
    let id = Uuid::now_v7();
    let txn = state.db.begin().await?;
    crate::db::lock_table_for_writes(&txn, "limit_tables").await?;
    // Read under the lock: `created_at` orders tables that supersede each other
    // (`local::pick_in_force`), so it must follow the order in which they were checked.
    let now = state.clock.now();
    if let Some(code) = &division_code {
        check_local(&txn, crate::dates::china_date(now), code, &input).await?;
    }
    let inserted = limit_table::Entity::insert(limit_table::ActiveModel {
        id: Set(id),
        version: Set(input.version.clone()),
        effective_from: Set(input.effective_from),
        notes: Set(input.notes.clone()),
        created_by: Set(Some(principal.user_id)),
        created_at: Set(now),
        division_code: Set(division_code.clone()),
    })
    .exec(&txn)
    .await;
    match inserted {
        Ok(_) => {}
        Err(e) if crate::db::is_unique_violation(&e) => {
            txn.rollback().await?;
            return Err(duplicate_table(&state.db, division_code.as_deref(), &input).await?);
        }
        Err(e) => return Err(e.into()),
    }
    limit_row::Entity::insert_many(input.rows.iter().enumerate().map(|(i, r)| limit_row::ActiveModel {
        id: Set(Uuid::now_v7()),
        table_id: Set(id),
        position: Set(i as i32 + 1),
        class: Set(r.class.as_str().to_owned()),
        power_min_kw: Set(r.power_min_kw),
        power_max_kw: Set(r.power_max_kw),
        k_limit: Set(r.k_limit),
        ringelmann_max: Set(r.ringelmann_max),
    }))
    .exec(&txn)
    .await?;
    let t =
        limit_table::Entity::find_by_id(id).one(&txn).await?.ok_or_else(|| ServiceError::internal("table vanished"))?;
    let table = with_rows(&txn, vec![t]).await?.pop().ok_or_else(|| ServiceError::internal("table vanished"))?;
    let e = audit::entry(Action::Create, EntityKind::LimitTable).by(principal).id(id).county(division_code.as_deref());
    audit::record(&txn, now, e.after(&table)).await?;
    txn.commit().await?;
    Ok(table)
}
