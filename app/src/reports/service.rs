//! Public reports: checking and routing what the public sends, the county's queue, closing a
//! report, and answering reports when an inspection of their machine is recorded.

use super::{
    CLOSE_REASON_MAX, DESCRIPTION_MAX, PHOTOS_MAX, Report, ReportClosing, ReportInput, ReportKind, ReportQuery,
    ReportReceipt, ReportStatus,
};
use crate::audit::{self, Action, EntityKind};
use crate::auth::Scope;
use crate::auth::permissions::{INSPECTORS, REPORT_READERS};
use crate::auth::service::Principal;
use crate::db::entities::{inspection, public_report, report_photo};
use crate::divisions::{Bounds, Level, is_division_code};
use crate::error::{AppError, FieldCode, FieldError, FieldErrors, required_text};
use crate::machines::regcode::RegistrationCode;
use crate::service_error::{ServiceError, ServiceResult};
use crate::state::AppState;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, TransactionTrait};
use std::collections::HashMap;
use uuid::Uuid;

/// The length of a report's reference.
pub const REFERENCE_LEN: usize = 8;

/// What a checked report will be stored as: (county, machine, code, kind, description,
/// position, phone).
struct Checked {
    county: String,
    machine: Option<Uuid>,
    code: Option<String>,
    kind: ReportKind,
    description: String,
    position: (Option<f64>, Option<f64>),
    phone: Option<String>,
}

fn trimmed(v: &Option<String>) -> Option<String> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned)
}

/// Checks a report and finds its county: the county of the machine's current filing when the
/// code names a registered machine on a filing in force today, else the county the reporter
/// chose (required then).
async fn check(state: &AppState, input: &ReportInput, photos: usize) -> ServiceResult<Checked> {
    let db = &state.db;
    let mut fields = FieldErrors::new();
    let description = match required_text("description", &input.description, DESCRIPTION_MAX) {
        Ok(d) => Some(d),
        Err(errors) => {
            for (f, list) in errors.0 {
                list.into_iter().for_each(|e| fields.add(&f, e));
            }
            None
        }
    };
    let kind = match trimmed(&input.kind) {
        None => ReportKind::Other,
        Some(k) => ReportKind::parse(&k).unwrap_or_else(|| {
            fields.add("kind", FieldError::new(FieldCode::UnknownValue));
            ReportKind::Other
        }),
    };
    let phone = trimmed(&input.phone);
    if let Some(p) = &phone
        && let Err(e) = crate::orgs::check_phone(p)
    {
        fields.add("phone", e);
    }
    match (input.lat, input.lng) {
        (None, None) => {}
        (Some(lat), Some(lng)) => {
            if !Bounds::CHINA.holds_lat(lat) {
                fields.add("lat", FieldError::new(FieldCode::OutsideChina));
            }
            if !Bounds::CHINA.holds_lng(lng) {
                fields.add("lng", FieldError::new(FieldCode::OutsideChina));
            }
        }
        (None, Some(_)) => fields.add("lat", FieldError::new(FieldCode::Required)),
        (Some(_), None) => fields.add("lng", FieldError::new(FieldCode::Required)),
    }
    if photos > PHOTOS_MAX {
        fields.add("photo", FieldError::new(FieldCode::TooMany).with("max", PHOTOS_MAX));
    }
    // The machine, by the code on its label.
    let mut machine = None;
    let mut code = None;
    if let Some(raw) = trimmed(&input.registration_code) {
        match RegistrationCode::parse(&raw) {
            Err(e) => fields.add("registration_code", e.field_error()),
            Ok(c) => {
                let found = crate::db::entities::machine::Entity::find()
                    .filter(crate::db::entities::machine::Column::RegistrationCode.eq(c.as_str()))
                    .one(db)
                    .await?;
                match found {
                    Some(m) => machine = Some(m.id),
                    None => fields.add("registration_code", FieldError::new(FieldCode::UnknownRegistrationCode)),
                }
                code = Some(c.as_str().to_owned());
            }
        }
    }
    let today = crate::dates::china_date(state.clock.now());
    let filed_in = match machine {
        Some(m) => crate::filings::in_force::current_filings(db, &[m], today).await?.remove(&m).map(|f| f.county_code),
        None => None,
    };
    let county = match (filed_in, trimmed(&input.county_code)) {
        (Some(c), _) => Some(c),
        (None, Some(c)) if is_division_code(&c) => match crate::divisions::service::get(db, &c).await? {
            Some(d) if d.level == Level::County => Some(d.code),
            Some(_) => {
                fields.add("county_code", FieldError::new(FieldCode::NotACounty));
                None
            }
            None => {
                fields.add("county_code", FieldError::new(FieldCode::UnknownDivision));
                None
            }
        },
        (None, Some(_)) => {
            fields.add("county_code", FieldError::new(FieldCode::UnknownDivision));
            None
        }
        (None, None) => {
            fields.add("county_code", FieldError::new(FieldCode::Required));
            None
        }
    };
    match (county, description) {
        (Some(county), Some(description)) if fields.is_empty() => {
            Ok(Checked { county, machine, code, kind, description, position: (input.lat, input.lng), phone })
        }
        _ => Err(AppError::Validation { fields }.into()),
    }
}

/// `POST /api/v1/public/reports` (no sign-in): checks the report and its photos (each decoded
/// and re-encoded like other uploads; only the re-encoded copy is kept), stores it in its
/// county's queue (audited, with no actor) and returns the reference.
#[tracing::instrument(skip(state, input, photos), fields(photos = photos.len()))]
pub async fn submit(state: &AppState, input: ReportInput, photos: Vec<Vec<u8>>) -> ServiceResult<ReportReceipt> {
    let c = check(state, &input, photos.len()).await?;
    let mut copies = Vec::with_capacity(photos.len());
    for (i, bytes) in photos.into_iter().enumerate() {
        if bytes.len() > crate::machines::photos::imaging::MAX_UPLOAD_BYTES {
            return Err(AppError::PayloadTooLarge.into());
        }
        let (_, processed) = crate::machines::photos::process_off_runtime(state, bytes).await.map_err(|e| {
            // Name the photo that was refused.
            match AppError::from(e) {
                AppError::Validation { fields } => {
                    let mut named = FieldErrors::new();
                    for list in fields.0.into_values() {
                        list.into_iter().for_each(|e| named.add(&format!("photo{}", i + 1), e));
                    }
                    ServiceError::from(AppError::Validation { fields: named })
                }
                other => other.into(),
            }
        })?;
        copies.push(processed.web_jpeg);
    }
    let now = state.clock.now();
    let id = Uuid::now_v7();
    let mut keys = Vec::new();
    for (i, jpeg) in copies.iter().enumerate() {
        let key = format!("reports/{id}/{}.jpg", i + 1);
        state.storage.put(&key, jpeg.clone()).await.map_err(ServiceError::internal)?;
        keys.push((key, jpeg.len()));
    }
    let row = public_report::Model {
        id,
        reference: crate::reference::new(REFERENCE_LEN),
        county_code: c.county.clone(),
        machine_id: c.machine,
        registration_code: c.code,
        kind: c.kind.as_str().to_owned(),
        description: c.description,
        lat: c.position.0,
        lng: c.position.1,
        phone: c.phone,
        photos: i32::try_from(keys.len()).unwrap_or(0),
        status: ReportStatus::New.as_str().to_owned(),
        inspection_id: None,
        closed_reason: None,
        handled_by: None,
        handled_at: None,
        created_at: now,
    };
    let txn = state.db.begin().await?;
    public_report::Entity::insert(public_report::ActiveModel::from(row.clone())).exec_without_returning(&txn).await?;
    for (i, (key, size)) in keys.iter().enumerate() {
        let photo = report_photo::Model {
            report_id: id,
            position: i32::try_from(i + 1).unwrap_or(0),
            storage_key: key.clone(),
            size_bytes: i64::try_from(*size).unwrap_or(0),
        };
        report_photo::Entity::insert(report_photo::ActiveModel::from(photo)).exec_without_returning(&txn).await?;
    }
    // The audit row keeps what was reported, not who: no phone number in it.
    let logged = serde_json::json!({"reference": row.reference, "kind": row.kind, "machine_id": row.machine_id,
        "registration_code": row.registration_code, "photos": row.photos});
    let e = audit::entry(Action::Create, EntityKind::PublicReport).id(id).county(Some(&row.county_code));
    audit::record(&txn, now, e.after(&logged)).await?;
    txn.commit().await?;
    let county_name =
        crate::divisions::service::names(&state.db, [row.county_code.clone()]).await?.remove(&row.county_code);
    Ok(ReportReceipt {
        reference: row.reference,
        county_name: county_name.unwrap_or_else(|| row.county_code.clone()),
        county_code: row.county_code,
    })
}

fn to_dto(r: public_report::Model, principal: &Principal, names: &HashMap<String, String>) -> ServiceResult<Report> {
    // The reporter's number is for the inspectors of the report's county only.
    let reads_phone = principal.role == crate::auth::Role::CountyInspector
        && principal.division_code.as_deref() == Some(r.county_code.as_str());
    Ok(Report {
        id: r.id,
        reference: r.reference,
        county_name: names.get(&r.county_code).cloned().unwrap_or_else(|| r.county_code.clone()),
        county_code: r.county_code,
        machine_id: r.machine_id,
        registration_code: r.registration_code,
        kind: ReportKind::parse(&r.kind).ok_or_else(|| ServiceError::internal("stored report kind"))?,
        description: r.description,
        lat: r.lat,
        lng: r.lng,
        phone: if reads_phone { r.phone } else { None },
        photos: r.photos,
        status: ReportStatus::parse(&r.status).ok_or_else(|| ServiceError::internal("stored report status"))?,
        inspection_id: r.inspection_id,
        closed_reason: r.closed_reason,
        handled_at: r.handled_at,
        created_at: r.created_at,
    })
}

/// `GET /api/v1/reports`: the reports of the caller's counties (county inspectors, city and
/// province officers), the newest first.
#[tracing::instrument(skip(state))]
pub async fn list(state: &AppState, principal: &Principal, q: &ReportQuery) -> ServiceResult<Vec<Report>> {
    principal.require(&REPORT_READERS)?;
    let scope = Scope::resolve(&state.db, principal).await?;
    let mut find = public_report::Entity::find()
        .filter(scope.condition(Some(public_report::Column::CountyCode), None))
        .order_by_desc(public_report::Column::CreatedAt)
        .order_by_desc(public_report::Column::Id);
    if let Some(s) = q.status {
        find = find.filter(public_report::Column::Status.eq(s.as_str()));
    }
    let rows = sea_orm::QuerySelect::limit(find, 500).all(&state.db).await?;
    let names = crate::divisions::service::names(&state.db, rows.iter().map(|r| r.county_code.clone())).await?;
    rows.into_iter().map(|r| to_dto(r, principal, &names)).collect()
}

/// A report of the caller's scope (404 outside it).
async fn visible(state: &AppState, principal: &Principal, id: Uuid) -> ServiceResult<public_report::Model> {
    principal.require(&REPORT_READERS)?;
    let scope = Scope::resolve(&state.db, principal).await?;
    public_report::Entity::find_by_id(id)
        .one(&state.db)
        .await?
        .filter(|r| scope.allows_county(&r.county_code))
        .ok_or_else(|| AppError::NotFound.into())
}

/// `GET /api/v1/reports/{id}/photos/{n}`: the re-encoded photo `n` (1 to 3) of a report in
/// the caller's scope, as JPEG.
pub async fn photo(state: &AppState, principal: &Principal, id: Uuid, n: i32) -> ServiceResult<Vec<u8>> {
    let r = visible(state, principal, id).await?;
    let p = report_photo::Entity::find_by_id((r.id, n)).one(&state.db).await?.ok_or(AppError::NotFound)?;
    state.storage.get(&p.storage_key).await.map_err(ServiceError::internal)?.ok_or_else(|| AppError::NotFound.into())
}

/// `POST /api/v1/reports/{id}/close`: an inspector of the report's county closes it with a
/// reason (another county's report is 404; one no longer new is 409). Audited.
#[tracing::instrument(skip(state, input))]
pub async fn close(state: &AppState, principal: &Principal, id: Uuid, input: ReportClosing) -> ServiceResult<Report> {
    principal.require(&INSPECTORS)?;
    let current = visible(state, principal, id).await?;
    let reason =
        required_text("reason", &input.reason, CLOSE_REASON_MAX).map_err(|fields| AppError::Validation { fields })?;
    let now = state.clock.now();
    let txn = state.db.begin().await?;
    let done = public_report::Entity::update_many()
        .col_expr(public_report::Column::Status, Expr::value(ReportStatus::Closed.as_str()))
        .col_expr(public_report::Column::ClosedReason, Expr::value(Some(reason.clone())))
        .col_expr(public_report::Column::HandledBy, Expr::value(Some(principal.user_id)))
        .col_expr(public_report::Column::HandledAt, Expr::value(Some(now)))
        .filter(public_report::Column::Id.eq(id))
        .filter(public_report::Column::Status.eq(ReportStatus::New.as_str()))
        .exec(&txn)
        .await?;
    if done.rows_affected == 0 {
        return Err(AppError::illegal_transition(&current.status, Some(ReportStatus::Closed.as_str())).into());
    }
    let before = serde_json::json!({"status": current.status});
    let after = serde_json::json!({"status": "closed", "reason": reason});
    let e =
        audit::entry(Action::Close, EntityKind::PublicReport).by(principal).id(id).county(Some(&current.county_code));
    audit::record(&txn, now, e.before(&before).after(&after)).await?;
    txn.commit().await?;
    let names = crate::divisions::service::names(&state.db, [current.county_code.clone()]).await?;
    let row = public_report::Model {
        status: ReportStatus::Closed.as_str().to_owned(),
        closed_reason: Some(reason),
        handled_by: Some(principal.user_id),
        handled_at: Some(now),
        ..current
    };
    to_dto(row, principal, &names)
}

/// After an inspection of a registered machine is recorded (inside its transaction): the new
/// reports about that machine in the inspection's county, made before it, are answered by it
/// (audited, by the inspector).
pub async fn answered_by(
    db: &impl ConnectionTrait,
    principal: &Principal,
    i: &inspection::Model,
    now: DateTime<Utc>,
) -> ServiceResult<()> {
    let Some(machine) = i.machine_id else { return Ok(()) };
    let waiting = public_report::Entity::find()
        .filter(public_report::Column::MachineId.eq(machine))
        .filter(public_report::Column::CountyCode.eq(i.county_code.as_str()))
        .filter(public_report::Column::Status.eq(ReportStatus::New.as_str()))
        .filter(public_report::Column::CreatedAt.lte(i.inspected_at))
        .all(db)
        .await?;
    if waiting.is_empty() {
        return Ok(());
    }
    public_report::Entity::update_many()
        .col_expr(public_report::Column::Status, Expr::value(ReportStatus::Inspected.as_str()))
        .col_expr(public_report::Column::InspectionId, Expr::value(Some(i.id)))
        .col_expr(public_report::Column::HandledBy, Expr::value(Some(principal.user_id)))
        .col_expr(public_report::Column::HandledAt, Expr::value(Some(now)))
        .filter(public_report::Column::Id.is_in(waiting.iter().map(|r| r.id)))
        .exec(db)
        .await?;
    let entries = waiting
        .iter()
        .map(|r| {
            audit::entry(Action::Update, EntityKind::PublicReport)
                .by(principal)
                .id(r.id)
                .county(Some(&r.county_code))
                .before(&serde_json::json!({"status": r.status}))
                .after(&serde_json::json!({"status": "inspected", "inspection_id": i.id}))
        })
        .collect();
    audit::service::record_many(db, now, entries).await?;
    Ok(())
}
