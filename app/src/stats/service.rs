//! The figures, computed by `GROUP BY` queries in the database (never by loading records), in
//! the caller's scope. Months are China months (UTC+8), bucketed by the database itself:
//! `strftime` on SQLite, `to_char` on PostgreSQL.

use super::{
    Count, FilingMonth, InspectionMonth, RankBy, Ranking, RankingRow, Stats, StatsQuery, Totals, TypeCount, months,
    pass_rate, rank, resolve_range,
};
use crate::auth::Scope;
use crate::auth::service::Principal;
use crate::cases::CaseState;
use crate::db::entities::{case, division, filing, filing_machine, inspection, machine, machine_type};
use crate::divisions::{Division, Level, is_division_code};
use crate::error::{AppError, FieldCode, FieldError, FieldErrors};
use crate::filings::FilingStatus;
use crate::machines::{EmissionStage, FuelType};
use crate::service_error::ServiceResult;
use crate::state::AppState;
use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Func, Query, SelectStatement};
use sea_orm::{ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, QueryFilter, QueryOrder};
use std::collections::{BTreeMap, HashMap};

/// A division the caller may look at, with its counties.
struct Area {
    division: Division,
    counties: Vec<String>,
}

/// The range as instants: `[start, end)` from midnight China time of `from` to midnight after `to`.
struct Window {
    from: NaiveDate,
    to: NaiveDate,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    today: NaiveDate,
}

fn window(state: &AppState, q: &StatsQuery) -> ServiceResult<Window> {
    let today = crate::dates::china_date(state.clock.now());
    let (from, to) = resolve_range(q.from, q.to, today)?;
    let end = to.succ_opt().map(crate::dates::midnight).unwrap_or(DateTime::<Utc>::MAX_UTC);
    Ok(Window { from, to, start: crate::dates::midnight(from), end, today })
}

fn dto(m: division::Model) -> Option<Division> {
    Some(Division { level: Level::parse(&m.level)?, code: m.code, name: m.name, parent_code: m.parent_code })
}

/// A system administrator's default division: the first top-level division with counties
/// under it (a province imported without its counties, e.g. a neighbour's code list in progress,
/// has no figures to show).
async fn default_root(db: &impl sea_orm::ConnectionTrait) -> ServiceResult<String> {
    for root in crate::divisions::service::children_or_roots(db, None).await? {
        if !crate::divisions::service::counties_under(db, &root.code).await?.is_empty() {
            return Ok(root.code);
        }
    }
    Err(AppError::NotFound.into())
}

/// The division asked for (default: the caller's own; the province for system administrators),
/// when every county under it is in the caller's scope; 404 otherwise (unknown or outside).
async fn area(state: &AppState, principal: &Principal, code: Option<&str>) -> ServiceResult<(Scope, Area)> {
    principal.require(&crate::auth::permissions::STATS_VIEWERS)?;
    let db = &state.db;
    let scope = Scope::resolve(db, principal).await?;
    let code = match code.map(str::trim).filter(|c| !c.is_empty()) {
        Some(c) if is_division_code(c) => c.to_owned(),
        Some(_) => {
            let mut errors = FieldErrors::new();
            errors.add("division_code", FieldError::new(FieldCode::UnknownDivision));
            return Err(AppError::Validation { fields: errors }.into());
        }
        None => match &principal.division_code {
            Some(c) => c.clone(),
            None => default_root(db).await?,
        },
    };
    let division = crate::divisions::service::get(db, &code).await?.ok_or(AppError::NotFound)?;
    let counties = crate::divisions::service::counties_under(db, &code).await?;
    if counties.is_empty() || !counties.iter().all(|c| scope.allows_county(c)) {
        return Err(AppError::NotFound.into());
    }
    Ok((scope, Area { division, counties }))
}

/// The divisions the caller may pick: every division whose counties all lie in the scope.
pub async fn divisions_in_scope(state: &AppState, principal: &Principal) -> ServiceResult<Vec<Division>> {
    principal.require(&crate::auth::permissions::STATS_VIEWERS)?;
    let scope = Scope::resolve(&state.db, principal).await?;
    let all: Vec<Division> = division::Entity::find()
        .order_by_asc(division::Column::Code)
        .all(&state.db)
        .await?
        .into_iter()
        .filter_map(dto)
        .collect();
    let parent: HashMap<&str, Option<&str>> = all.iter().map(|d| (d.code.as_str(), d.parent_code.as_deref())).collect();
    // Every county, and the divisions above it.
    let mut counties_of: HashMap<&str, Vec<&str>> = HashMap::new();
    for d in all.iter().filter(|d| d.level == Level::County) {
        let mut at = Some(d.code.as_str());
        while let Some(code) = at {
            counties_of.entry(code).or_default().push(d.code.as_str());
            at = parent.get(code).copied().flatten();
        }
    }
    Ok(all
        .iter()
        .filter(|d| {
            counties_of
                .get(d.code.as_str())
                .is_some_and(|cs| !cs.is_empty() && cs.iter().all(|c| scope.allows_county(c)))
        })
        .cloned()
        .collect())
}

/// `YYYY-MM` of a timestamp column in China time, by the database.
fn month_of(backend: DbBackend, table: &str, column: &str) -> Expr {
    match backend {
        DbBackend::Postgres => Expr::cust(format!(
            "to_char((\"{table}\".\"{column}\" AT TIME ZONE 'UTC') + INTERVAL '8 hours', 'YYYY-MM')"
        )),
        _ => Expr::cust(format!("strftime('%Y-%m', \"{table}\".\"{column}\", '+8 hours')")),
    }
}

/// Runs a grouped query whose last column is a count and the others text keys.
async fn grouped(
    db: &impl ConnectionTrait,
    stmt: &SelectStatement,
    keys: usize,
) -> ServiceResult<Vec<(Vec<String>, i64)>> {
    let rows = db.query_all(stmt).await?;
    rows.iter()
        .map(|r| {
            let mut k = Vec::with_capacity(keys);
            for i in 0..keys {
                k.push(r.try_get_by_index::<String>(i)?);
            }
            Ok((k, r.try_get_by_index::<i64>(keys)?))
        })
        .collect()
}

/// Machines in an accepted (or since closed) filing of these counties whose planned stay
/// overlaps the range: `filing_machines ⋈ filings`.
fn accepted_filings(counties: &[String], w: &Window) -> SelectStatement {
    Query::select()
        .from(filing_machine::Entity)
        .inner_join(
            filing::Entity,
            Expr::col((filing::Entity, filing::Column::Id))
                .equals((filing_machine::Entity, filing_machine::Column::FilingId)),
        )
        .and_where(filing::Column::CountyCode.is_in(counties.iter().cloned()))
        .and_where(filing::Column::Status.is_in([FilingStatus::Accepted, FilingStatus::Closed]))
        .and_where(filing::Column::PlannedEntryOn.lte(w.to))
        .and_where(filing::Column::PlannedExitOn.gte(w.from))
        // A machine that left the filing (a transfer) counts only if it was on it in the range.
        .and_where(crate::filings::in_force::not_left_by(w.from))
        .and_where(crate::filings::in_force::left_after_entry())
        .to_owned()
}

/// Machines of the area by one of their columns (type, stage, fuel).
async fn machines_by(
    db: &impl ConnectionTrait,
    counties: &[String],
    w: &Window,
    column: machine::Column,
) -> ServiceResult<Vec<(String, i64)>> {
    let ids =
        accepted_filings(counties, w).column((filing_machine::Entity, filing_machine::Column::MachineId)).to_owned();
    let stmt = Query::select()
        .column((machine::Entity, column))
        .expr(Func::count(Expr::col((machine::Entity, machine::Column::Id))))
        .from(machine::Entity)
        .and_where(machine::Column::Id.in_subquery(ids))
        .group_by_col((machine::Entity, column))
        .to_owned();
    Ok(grouped(db, &stmt, 1).await?.into_iter().map(|(mut k, n)| (k.remove(0), n)).collect())
}

/// Counts of a table in the area grouped by `keys` (expressions), restricted by `filter`.
fn counting(table: impl sea_orm::sea_query::IntoTableRef, keys: Vec<Expr>, filters: Vec<Expr>) -> SelectStatement {
    let mut q = Query::select();
    q.from(table);
    for k in &keys {
        q.expr(k.clone());
    }
    q.expr(Expr::cust("COUNT(*)"));
    for f in filters {
        q.and_where(f);
    }
    q.add_group_by(keys);
    q
}

fn unresolved() -> Vec<&'static str> {
    CaseState::UNRESOLVED.iter().map(|s| s.as_str()).collect()
}

fn overdue_filter(today: NaiveDate) -> Vec<Expr> {
    vec![case::Column::State.eq(CaseState::RectificationOrdered), case::Column::DeadlineOn.lt(today)]
}

/// The figures of one division.
#[tracing::instrument(skip(state, q), fields(user = %principal.username))]
pub async fn stats(state: &AppState, principal: &Principal, q: &StatsQuery) -> ServiceResult<Stats> {
    let (_scope, area) = area(state, principal, q.division_code.as_deref()).await?;
    let w = window(state, q)?;
    let db = &state.db;
    let backend = db.get_database_backend();
    let counties = &area.counties;

    // Machines by type, stage and fuel.
    let by_type = machines_by(db, counties, &w, machine::Column::MachineType).await?;
    let names: HashMap<String, (String, String, i32)> = machine_type::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|t| (t.code, (t.name_zh, t.name_en, t.sort_order)))
        .collect();
    let mut machines_by_type: Vec<(i32, TypeCount)> = by_type
        .into_iter()
        .map(|(key, count)| {
            let (zh, en, order) = names.get(&key).cloned().unwrap_or_else(|| (key.clone(), key.clone(), i32::MAX));
            (order, TypeCount { key, name_zh: zh, name_en: en, count })
        })
        .collect();
    machines_by_type.sort_by(|a, b| b.1.count.cmp(&a.1.count).then(a.0.cmp(&b.0)));
    let machines_by_type: Vec<TypeCount> = machines_by_type.into_iter().map(|(_, t)| t).collect();
    let fill = |found: Vec<(String, i64)>, keys: Vec<&str>| -> Vec<Count> {
        let found: HashMap<String, i64> = found.into_iter().collect();
        keys.into_iter().map(|k| Count { key: k.to_owned(), count: found.get(k).copied().unwrap_or(0) }).collect()
    };
    let machines_by_stage = fill(
        machines_by(db, counties, &w, machine::Column::EmissionStage).await?,
        EmissionStage::ALL.iter().map(|s| s.as_str()).collect(),
    );
    let machines_by_fuel = fill(
        machines_by(db, counties, &w, machine::Column::FuelType).await?,
        FuelType::ALL.iter().map(|f| f.as_str()).collect(),
    );

    // Filings by month and status.
    let month_list = months(w.from, w.to);
    let stmt = counting(
        filing::Entity,
        vec![month_of(backend, "filings", "created_at"), Expr::col((filing::Entity, filing::Column::Status))],
        vec![
            filing::Column::CountyCode.is_in(counties.iter().cloned()),
            filing::Column::CreatedAt.gte(w.start),
            filing::Column::CreatedAt.lt(w.end),
        ],
    );
    let mut filings: BTreeMap<String, FilingMonth> =
        month_list.iter().map(|m| (m.clone(), FilingMonth { month: m.clone(), ..Default::default() })).collect();
    for (k, n) in grouped(db, &stmt, 2).await? {
        let Some(month) = filings.get_mut(&k[0]) else { continue };
        month.total += n;
        match FilingStatus::parse(&k[1]) {
            Some(FilingStatus::Draft) => month.draft += n,
            Some(FilingStatus::Submitted) => month.submitted += n,
            Some(FilingStatus::Returned) => month.returned += n,
            Some(FilingStatus::Accepted) => month.accepted += n,
            Some(FilingStatus::Closed) => month.closed += n,
            None => {}
        }
    }

    // Inspections by month and verdict.
    let stmt = counting(
        inspection::Entity,
        vec![
            month_of(backend, "inspections", "inspected_at"),
            Expr::col((inspection::Entity, inspection::Column::Verdict)),
        ],
        vec![
            inspection::Column::CountyCode.is_in(counties.iter().cloned()),
            inspection::Column::InspectedAt.gte(w.start),
            inspection::Column::InspectedAt.lt(w.end),
        ],
    );
    let mut inspections: BTreeMap<String, InspectionMonth> =
        month_list.iter().map(|m| (m.clone(), InspectionMonth { month: m.clone(), ..Default::default() })).collect();
    for (k, n) in grouped(db, &stmt, 2).await? {
        let Some(month) = inspections.get_mut(&k[0]) else { continue };
        month.inspections += n;
        match k[1].as_str() {
            "pass" => month.passed += n,
            "fail" => month.failed += n,
            _ => month.exempt += n,
        }
    }
    for m in inspections.values_mut() {
        m.pass_rate = pass_rate(m.passed, m.failed);
    }

    // Cases: opened in the range; unresolved and overdue today.
    let in_area = || case::Column::CountyCode.is_in(counties.iter().cloned());
    let opened = counting(
        case::Entity,
        vec![],
        vec![in_area(), case::Column::OpenedAt.gte(w.start), case::Column::OpenedAt.lt(w.end)],
    );
    let cases_opened = grouped(db, &opened, 0).await?.first().map(|r| r.1).unwrap_or(0);
    let open = counting(
        case::Entity,
        vec![Expr::col((case::Entity, case::Column::State))],
        vec![in_area(), case::Column::State.is_in(unresolved())],
    );
    let open_cases_by_state =
        fill(grouped(db, &open, 1).await?.into_iter().map(|(mut k, n)| (k.remove(0), n)).collect(), unresolved());
    let mut overdue_filters = overdue_filter(w.today);
    overdue_filters.push(in_area());
    let overdue = counting(case::Entity, vec![], overdue_filters);
    let overdue_cases = grouped(db, &overdue, 0).await?.first().map(|r| r.1).unwrap_or(0);

    let filings_by_month: Vec<FilingMonth> = filings.into_values().collect();
    let inspections_by_month: Vec<InspectionMonth> = inspections.into_values().collect();
    let sum = |f: fn(&InspectionMonth) -> i64| inspections_by_month.iter().map(f).sum::<i64>();
    let (passed, failed) = (sum(|m| m.passed), sum(|m| m.failed));
    // Registered machines: a code's first six digits are the county that issued it.
    let issued_by = Expr::expr(
        Func::cust("SUBSTR")
            .arg(Expr::col((machine::Entity, machine::Column::RegistrationCode)))
            .arg(Expr::val(1))
            .arg(Expr::val(6)),
    );
    let registered = counting(
        machine::Entity,
        vec![],
        vec![
            machine::Column::RegistrationCode.is_not_null(),
            issued_by.is_in(counties.iter().cloned()),
            machine::Column::RegisteredAt.lt(w.end),
        ],
    );
    let registered_machines = grouped(db, &registered, 0).await?.first().map(|r| r.1).unwrap_or(0);
    let totals = Totals {
        registered_machines,
        machines: machines_by_type.iter().map(|t| t.count).sum(),
        filings: filings_by_month.iter().map(|m| m.total).sum(),
        inspections: sum(|m| m.inspections),
        passed,
        failed,
        exempt: sum(|m| m.exempt),
        pass_rate: pass_rate(passed, failed),
        cases_opened,
        open_cases: open_cases_by_state.iter().map(|c| c.count).sum(),
        overdue_cases,
    };
    Ok(Stats {
        division: area.division,
        from: w.from,
        to: w.to,
        as_of: w.today,
        totals,
        machines_by_type,
        machines_by_stage,
        machines_by_fuel,
        filings_by_month,
        inspections_by_month,
        open_cases_by_state,
    })
}

/// Per county: `(county, count)` of a grouped query keyed by the county alone.
async fn per_county(db: &impl ConnectionTrait, stmt: &SelectStatement) -> ServiceResult<HashMap<String, i64>> {
    Ok(grouped(db, stmt, 1).await?.into_iter().map(|(mut k, n)| (k.remove(0), n)).collect())
}

/// The counties of the division's city (or of the division itself, for a city or the province)
/// that the caller may see, ranked on the same figures as [`stats`].
#[tracing::instrument(skip(state, q), fields(user = %principal.username))]
pub async fn ranking(state: &AppState, principal: &Principal, q: &StatsQuery) -> ServiceResult<Ranking> {
    let (scope, area) = area(state, principal, q.division_code.as_deref()).await?;
    let w = window(state, q)?;
    let db = &state.db;
    let within = match (area.division.level, area.division.parent_code.as_deref()) {
        (Level::County, Some(parent)) => {
            crate::divisions::service::get(db, parent).await?.unwrap_or_else(|| area.division.clone())
        }
        _ => area.division.clone(),
    };
    let counties: Vec<String> = crate::divisions::service::counties_under(db, &within.code)
        .await?
        .into_iter()
        .filter(|c| scope.allows_county(c))
        .collect();
    let names: HashMap<String, String> = division::Entity::find()
        .filter(division::Column::Code.is_in(counties.iter().cloned()))
        .all(db)
        .await?
        .into_iter()
        .map(|d| (d.code, d.name))
        .collect();

    let county_col = |t: &str| Expr::col((Alias::new(t), Alias::new("county_code")));
    let machines = accepted_filings(&counties, &w)
        .column((filing::Entity, filing::Column::CountyCode))
        .expr(Func::count_distinct(Expr::col((filing_machine::Entity, filing_machine::Column::MachineId))))
        .group_by_col((filing::Entity, filing::Column::CountyCode))
        .to_owned();
    let machines = per_county(db, &machines).await?;
    let filings = counting(
        filing::Entity,
        vec![county_col("filings")],
        vec![
            filing::Column::CountyCode.is_in(counties.iter().cloned()),
            filing::Column::CreatedAt.gte(w.start),
            filing::Column::CreatedAt.lt(w.end),
        ],
    );
    let filings = per_county(db, &filings).await?;
    let verdicts = counting(
        inspection::Entity,
        vec![county_col("inspections"), Expr::col((inspection::Entity, inspection::Column::Verdict))],
        vec![
            inspection::Column::CountyCode.is_in(counties.iter().cloned()),
            inspection::Column::InspectedAt.gte(w.start),
            inspection::Column::InspectedAt.lt(w.end),
        ],
    );
    let mut inspections: HashMap<String, (i64, i64, i64)> = HashMap::new();
    for (k, n) in grouped(db, &verdicts, 2).await? {
        let e = inspections.entry(k[0].clone()).or_default();
        e.0 += n;
        match k[1].as_str() {
            "pass" => e.1 += n,
            "fail" => e.2 += n,
            _ => {}
        }
    }
    let open = counting(
        case::Entity,
        vec![county_col("cases")],
        vec![case::Column::CountyCode.is_in(counties.iter().cloned()), case::Column::State.is_in(unresolved())],
    );
    let open = per_county(db, &open).await?;
    let mut overdue_filters = overdue_filter(w.today);
    overdue_filters.push(case::Column::CountyCode.is_in(counties.iter().cloned()));
    let overdue = per_county(db, &counting(case::Entity, vec![county_col("cases")], overdue_filters)).await?;

    let get = |m: &HashMap<String, i64>, c: &str| m.get(c).copied().unwrap_or(0);
    let mut rows: Vec<RankingRow> = counties
        .iter()
        .map(|c| {
            let (n, passed, failed) = inspections.get(c).copied().unwrap_or_default();
            RankingRow {
                rank: 0,
                county_code: c.clone(),
                county_name: names.get(c).cloned().unwrap_or_else(|| c.clone()),
                machines: get(&machines, c),
                filings: get(&filings, c),
                inspections: n,
                passed,
                failed,
                pass_rate: pass_rate(passed, failed),
                open_cases: get(&open, c),
                overdue_cases: get(&overdue, c),
            }
        })
        .collect();
    let by = q.by.unwrap_or(RankBy::Machines);
    rank(&mut rows, by);
    Ok(Ranking { division: area.division, within, from: w.from, to: w.to, as_of: w.today, by, rows })
}
