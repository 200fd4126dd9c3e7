//! Issuing and checking certificates: one function computes a site's facts on a day, for the
//! certificate issued and for every later check of it.

use super::{
    CODE_LEN, Certificate, CertificateCase, CertificateFacts, CertificateFiling, CertificateMachine, CertificateStatus,
    normalize_code,
};
use crate::audit::{self, Action, EntityKind};
use crate::auth::permissions::CONTRACTORS;
use crate::auth::service::Principal;
use crate::cases::CaseState;
use crate::db::entities::{case, filing, filing_machine, machine, organization, site, site_certificate};
use crate::error::{AppError, ConflictCode};
use crate::machines::EmissionStage;
use crate::service_error::{ServiceError, ServiceResult};
use crate::state::AppState;
use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, TransactionTrait};
use std::collections::HashMap;
use uuid::Uuid;

/// The facts of `site` on `today`: its accepted filings covering the day (by entry), each with
/// the machines still on it (by registration code) and their stage and last verdict, and the
/// site's unresolved cases (oldest first). Five queries.
pub async fn facts(db: &impl ConnectionTrait, s: &site::Model, today: NaiveDate) -> ServiceResult<CertificateFacts> {
    let filings = filing::Entity::find()
        .filter(filing::Column::SiteId.eq(s.id))
        .filter(crate::filings::in_force::covering(today))
        .order_by_asc(filing::Column::PlannedEntryOn)
        .order_by_asc(filing::Column::Id)
        .all(db)
        .await?;
    let filing_ids: Vec<Uuid> = filings.iter().map(|f| f.id).collect();
    let links = crate::db::in_chunks(&filing_ids, |ids| {
        filing_machine::Entity::find()
            .filter(filing_machine::Column::FilingId.is_in(ids))
            .filter(crate::filings::in_force::not_left_by(today))
            .all(db)
    })
    .await?;
    let cases = case::Entity::find()
        .filter(case::Column::SiteId.eq(s.id))
        .filter(case::Column::State.is_in(CaseState::UNRESOLVED))
        .order_by_asc(case::Column::OpenedAt)
        .order_by_asc(case::Column::Id)
        .all(db)
        .await?;
    // A site may hold any number of filings of up to 500 machines: read in parts.
    let machine_ids: Vec<Uuid> = links
        .iter()
        .map(|l| l.machine_id)
        .chain(cases.iter().filter_map(|c| c.machine_id))
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    let machines: HashMap<Uuid, machine::Model> = crate::db::in_chunks(&machine_ids, |ids| {
        machine::Entity::find().filter(machine::Column::Id.is_in(ids)).all(db)
    })
    .await?
    .into_iter()
    .map(|m| (m.id, m))
    .collect();
    // The last inspection of each machine, whatever its verdict (as the label's page shows).
    let day_ends = today.succ_opt().map(crate::dates::midnight).unwrap_or(DateTime::<Utc>::MAX_UTC);
    let last =
        crate::inspections::read::last_per_machine(db, links.iter().map(|l| l.machine_id), &[], Some(day_ends)).await?;
    let mut by_filing: HashMap<Uuid, Vec<CertificateMachine>> = HashMap::new();
    for l in &links {
        let Some(m) = machines.get(&l.machine_id) else { continue };
        let stage = EmissionStage::parse(&m.emission_stage).ok_or_else(|| ServiceError::internal("stored stage"))?;
        let seen = last.get(&m.id);
        by_filing.entry(l.filing_id).or_default().push(CertificateMachine {
            registration_code: m.registration_code.clone(),
            name: m.name.clone(),
            machine_type: m.machine_type.clone(),
            emission_stage: stage,
            last_verdict: seen.map(|i| i.verdict),
            last_inspected_on: seen.map(|i| crate::dates::china_date(i.inspected_at)),
        });
    }
    let county_name = crate::divisions::service::names(db, [s.county_code.clone()]).await?.remove(&s.county_code);
    let org = organization::Entity::find_by_id(s.organization_id).one(db).await?;
    Ok(CertificateFacts {
        site_id: s.id,
        site_name: s.name.clone(),
        address: s.address.clone(),
        permit_no: s.permit_no.clone(),
        county_code: s.county_code.clone(),
        county_name: county_name.unwrap_or_else(|| s.county_code.clone()),
        organization_name: org.map(|o| o.name).unwrap_or_default(),
        filings: filings
            .into_iter()
            .map(|f| {
                let mut machines = by_filing.remove(&f.id).unwrap_or_default();
                machines.sort_by(|a, b| (&a.registration_code, &a.name).cmp(&(&b.registration_code, &b.name)));
                CertificateFiling {
                    filing_id: f.id,
                    planned_entry_on: f.planned_entry_on,
                    planned_exit_on: f.planned_exit_on,
                    machines,
                }
            })
            .collect(),
        unresolved_cases: cases
            .into_iter()
            .map(|c| CertificateCase {
                case_id: c.id,
                kind: c.kind,
                state: c.state,
                opened_on: crate::dates::china_date(c.opened_at),
                registration_code: c
                    .machine_id
                    .and_then(|m| machines.get(&m))
                    .and_then(|m| m.registration_code.clone()),
            })
            .collect(),
    })
}

/// Where anyone checks a certificate.
pub fn verify_url(public_url: &str, code: &str) -> String {
    format!("{}/c/{}", public_url.trim_end_matches('/'), code)
}

fn shown(state: &AppState, row: &site_certificate::Model, now: &CertificateFacts) -> ServiceResult<Certificate> {
    let printed: CertificateFacts = serde_json::from_str(&row.facts).map_err(ServiceError::internal)?;
    let status = if &printed == now { CertificateStatus::Current } else { CertificateStatus::Superseded };
    Ok(Certificate {
        verify_url: verify_url(&state.settings.public_url, &row.code),
        code: row.code.clone(),
        issued_at: row.issued_at,
        status,
        facts: printed,
    })
}

/// `POST /api/v1/sites/{id}/certificates`: the site's unit issues a certificate of what holds
/// today (audited). Another unit's site is 404; a site with no accepted filing in force is a
/// conflict (there is nothing to certify).
#[tracing::instrument(skip(state))]
pub async fn issue(state: &AppState, principal: &Principal, site_id: Uuid) -> ServiceResult<Certificate> {
    principal.require(&CONTRACTORS)?;
    let s = crate::sites::service::find_visible(state, principal, site_id).await?;
    let now = state.clock.now();
    let today = crate::dates::china_date(now);
    let txn = state.db.begin().await?;
    let facts = facts(&txn, &s, today).await?;
    if facts.filings.is_empty() {
        return Err(AppError::conflict(ConflictCode::NoFilingInForce).into());
    }
    let row = site_certificate::Model {
        id: Uuid::now_v7(),
        code: crate::reference::new(CODE_LEN),
        site_id: s.id,
        county_code: s.county_code.clone(),
        organization_id: s.organization_id,
        facts: serde_json::to_string(&facts).map_err(ServiceError::internal)?,
        issued_by: principal.user_id,
        issued_at: now,
    };
    site_certificate::Entity::insert(site_certificate::ActiveModel::from(row.clone()))
        .exec_without_returning(&txn)
        .await?;
    let dto = shown(state, &row, &facts)?;
    let e = audit::entry(Action::Create, EntityKind::Certificate).by(principal).id(row.id).county(Some(&s.county_code));
    audit::record(&txn, now, e.after(&dto)).await?;
    txn.commit().await?;
    Ok(dto)
}

/// `GET /api/v1/sites/{id}/certificates`: the certificates of a site the caller may see, newest
/// first, each current or superseded.
#[tracing::instrument(skip(state))]
pub async fn list(state: &AppState, principal: &Principal, site_id: Uuid) -> ServiceResult<Vec<Certificate>> {
    let s = crate::sites::service::find_visible(state, principal, site_id).await?;
    let rows = site_certificate::Entity::find()
        .filter(site_certificate::Column::SiteId.eq(s.id))
        .order_by_desc(site_certificate::Column::IssuedAt)
        .order_by_desc(site_certificate::Column::Id)
        .all(&state.db)
        .await?;
    if rows.is_empty() {
        return Ok(vec![]);
    }
    let now = facts(&state.db, &s, crate::dates::china_date(state.clock.now())).await?;
    rows.iter().map(|r| shown(state, r, &now)).collect()
}

/// A certificate by its code, for anyone (the page a certificate's QR code opens): as printed,
/// and whether it is still current. An unknown or malformed code is 404.
#[tracing::instrument(skip(state))]
pub async fn check(state: &AppState, code: &str) -> ServiceResult<Certificate> {
    let code = normalize_code(code).ok_or(AppError::NotFound)?;
    let row = site_certificate::Entity::find()
        .filter(site_certificate::Column::Code.eq(code))
        .one(&state.db)
        .await?
        .ok_or(AppError::NotFound)?;
    let s = site::Entity::find_by_id(row.site_id).one(&state.db).await?.ok_or(AppError::NotFound)?;
    let now = facts(&state.db, &s, crate::dates::china_date(state.clock.now())).await?;
    shown(state, &row, &now)
}
