//! Adding, listing and reading evidence photos. Whoever may see an inspection or a case sees its
//! photos; adding one is for the county inspector (inspections and cases of the county) and for
//! the construction unit the case is about (its rectification evidence), while the case is not
//! closed; and for the unit that asked for an amendment, while it is pending.

use super::{EvidencePhoto, Gallery, MAX_PER_SUBJECT, NOTE_MAX, SubjectKind};
use crate::audit::{self, Action, EntityKind};
use crate::auth::Role;
use crate::auth::service::Principal;
use crate::cases::CaseState;
use crate::db::entities::evidence_photo;
use crate::error::{AppError, ConflictCode, FieldCode, FieldError, FieldErrors};
use crate::machines::PhotoUrls;
use crate::machines::photos::imaging::{MAX_UPLOAD_BYTES, ProcessedPhoto};
use crate::machines::photos::{PhotoFile, PhotoSize, StoredPhoto, detached, process_off_runtime};
use crate::machines::service::forget_files;
use crate::request_ids::Begun;
use crate::service_error::{ServiceError, ServiceResult};
use crate::state::AppState;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder};
use uuid::Uuid;

/// Whether the caller may add photos to a subject it can see.
async fn may_add(state: &AppState, principal: &Principal, kind: SubjectKind, id: Uuid) -> ServiceResult<bool> {
    Ok(subject(state, principal, kind, id).await?.0)
}

/// Whether the caller may add photos to a subject it can see, and the subject's county.
async fn subject(
    state: &AppState,
    principal: &Principal,
    kind: SubjectKind,
    id: Uuid,
) -> ServiceResult<(bool, String)> {
    match kind {
        SubjectKind::Inspection => {
            let inspection = crate::inspections::read::find_visible(state, principal, id).await?;
            Ok((principal.role == Role::CountyInspector, inspection.county_code))
        }
        SubjectKind::Case => {
            let case = crate::cases::service::find_visible(state, principal, id).await?;
            if case.state == CaseState::Closed {
                return Ok((false, case.county_code));
            }
            let may = match principal.role {
                Role::CountyInspector => true,
                Role::ContractorAdmin | Role::ContractorStaff => principal
                    .organization_id
                    .is_some_and(|org| case.organization_id == Some(org) || case.site_organization_id == org),
                _ => false,
            };
            Ok((may, case.county_code))
        }
        SubjectKind::Amendment => {
            let a = crate::amendments::service::find_visible(state, principal, id).await?;
            let may = a.status == crate::amendments::AmendmentStatus::Pending
                && principal.role.is_contractor()
                && principal.organization_id == Some(a.organization_id);
            Ok((may, a.county_code))
        }
    }
}

/// The wire form of a row.
fn to_dto(row: &evidence_photo::Model) -> ServiceResult<EvidencePhoto> {
    let subject_kind = match row.subject_kind.as_str() {
        "inspection" => SubjectKind::Inspection,
        "case" => SubjectKind::Case,
        "amendment" => SubjectKind::Amendment,
        other => return Err(ServiceError::internal(format!("stored subject kind {other}"))),
    };
    let uploaded_by_role = row.uploader_role;
    let base = format!("{}/{}", subject_kind.collection_url(row.subject_id), row.id);
    Ok(EvidencePhoto {
        id: row.id,
        subject_kind,
        subject_id: row.subject_id,
        note: row.note.clone(),
        content_type: row.content_type.clone(),
        width: u32::try_from(row.width).unwrap_or(0),
        height: u32::try_from(row.height).unwrap_or(0),
        size_bytes: u64::try_from(row.size_bytes).unwrap_or(0),
        uploaded_by_role,
        uploaded_at: row.created_at,
        urls: PhotoUrls { original: format!("{base}?size=original"), web: format!("{base}?size=web") },
    })
}

async fn rows(state: &AppState, kind: SubjectKind, id: Uuid) -> ServiceResult<Vec<evidence_photo::Model>> {
    Ok(evidence_photo::Entity::find()
        .filter(evidence_photo::Column::SubjectKind.eq(kind.as_str()))
        .filter(evidence_photo::Column::SubjectId.eq(id))
        .order_by_asc(evidence_photo::Column::CreatedAt)
        .order_by_asc(evidence_photo::Column::Id)
        .all(&state.db)
        .await?)
}

/// The photos of a subject the caller may see, oldest first (404 when it may not see it).
pub async fn list(
    state: &AppState,
    principal: &Principal,
    kind: SubjectKind,
    id: Uuid,
) -> ServiceResult<Vec<EvidencePhoto>> {
    Ok(gallery(state, principal, kind, id).await?.photos)
}

/// The photos and whether the caller may add one.
pub async fn gallery(state: &AppState, principal: &Principal, kind: SubjectKind, id: Uuid) -> ServiceResult<Gallery> {
    let can_add = may_add(state, principal, kind, id).await?;
    let photos = rows(state, kind, id).await?.iter().map(to_dto).collect::<ServiceResult<Vec<_>>>()?;
    Ok(Gallery { can_add: can_add && photos.len() < MAX_PER_SUBJECT, photos })
}

/// Checks the caption: trimmed, empty is none, at most [`NOTE_MAX`] characters.
pub fn check_note(note: Option<String>) -> Result<Option<String>, AppError> {
    let note = note.map(|n| n.trim().to_owned()).filter(|n| !n.is_empty());
    if note.as_deref().is_some_and(|n| n.chars().count() > NOTE_MAX) {
        return Err(AppError::Validation {
            fields: FieldErrors::single(
                "note",
                FieldError::new(FieldCode::Length).with("min", 0).with("max", NOTE_MAX),
            ),
        });
    }
    Ok(note)
}

const OPERATION: &str = "add_evidence";

/// The photo a request id added before.
async fn first_added(state: &AppState, id: Uuid) -> ServiceResult<EvidencePhoto> {
    let row = evidence_photo::Entity::find_by_id(id).one(&state.db).await?;
    to_dto(&row.ok_or_else(|| ServiceError::internal("claimed evidence photo vanished"))?)
}

/// Adds a photo (the upload exactly as received; its format is decided from the bytes). 404
/// for a subject the caller cannot see, 403 when it may not add to it, 409 when the subject
/// already holds [`MAX_PER_SUBJECT`] photos. A `request` id already used returns the photo it
/// added and adds nothing (`request_ids`).
#[tracing::instrument(skip(state, bytes, note), fields(user = %principal.username, size = bytes.len()))]
pub async fn add(
    state: &AppState,
    principal: &Principal,
    (kind, id): (SubjectKind, Uuid),
    note: Option<String>,
    request: Option<Uuid>,
    bytes: Vec<u8>,
) -> ServiceResult<EvidencePhoto> {
    let (may, county) = subject(state, principal, kind, id).await?;
    if !may {
        return Err(AppError::Forbidden.into());
    }
    if let Some(first) = crate::request_ids::replayed(&state.db, principal, request, OPERATION).await? {
        return first_added(state, first).await;
    }
    let note = check_note(note)?;
    if bytes.len() > MAX_UPLOAD_BYTES {
        return Err(AppError::PayloadTooLarge.into());
    }
    if bytes.is_empty() {
        return Err(AppError::field("file", FieldCode::Required).into());
    }
    let (bytes, processed) = process_off_runtime(state, bytes).await?;
    let state = state.clone();
    let uploader = principal.clone();
    let entry = audit::entry(Action::Create, EntityKind::EvidencePhoto).by(principal).county(Some(&county));
    detached(async move { store(&state, (kind, id), note, (&uploader, request), bytes, processed, entry).await }).await
}

async fn store(
    state: &AppState,
    (kind, subject_id): (SubjectKind, Uuid),
    note: Option<String>,
    (uploader, request): (&Principal, Option<Uuid>),
    original: Vec<u8>,
    processed: ProcessedPhoto,
    entry: audit::service::Entry,
) -> ServiceResult<EvidencePhoto> {
    let (uploaded_by, role) = (uploader.user_id, uploader.role);
    let id = Uuid::now_v7();
    let base = format!("evidence/{}/{subject_id}/{id}", kind.as_str());
    let original_key = format!("{base}-original.{}", processed.format.extension());
    let web_key = format!("{base}-web.jpg");
    let size = original.len();
    state.storage.put(&original_key, original).await.map_err(ServiceError::internal)?;
    if let Err(e) = state.storage.put(&web_key, processed.web_jpeg).await {
        forget_files(state, &[original_key]).await;
        return Err(ServiceError::internal(e));
    }
    let row = evidence_photo::Model {
        id,
        subject_kind: kind,
        subject_id,
        note,
        content_type: processed.format.content_type().to_owned(),
        original_key: original_key.clone(),
        web_key: web_key.clone(),
        size_bytes: i64::try_from(size).map_err(ServiceError::internal)?,
        width: i32::try_from(processed.width).map_err(ServiceError::internal)?,
        height: i32::try_from(processed.height).map_err(ServiceError::internal)?,
        uploaded_by,
        uploader_role: role,
        created_at: state.clock.now(),
    };
    let entry = entry.id(row.id).after(&to_dto(&row)?);
    match insert_within_limit(state, &row, entry, (uploader, request)).await {
        Ok(None) => to_dto(&row),
        Ok(Some(first)) => {
            forget_files(state, &[original_key, web_key]).await;
            first_added(state, first).await
        }
        Err(e) => {
            forget_files(state, &[original_key, web_key]).await;
            Err(e)
        }
    }
}

/// Writes the row unless the subject is full; `Some(first)`, writing nothing, when the request
/// id already added the photo `first`.
async fn insert_within_limit(
    state: &AppState,
    row: &evidence_photo::Model,
    entry: audit::service::Entry,
    (uploader, request): (&Principal, Option<Uuid>),
) -> ServiceResult<Option<Uuid>> {
    let txn = match crate::request_ids::begin(&state.db, uploader, request, OPERATION, row.id, row.created_at).await? {
        Begun::Fresh(txn) => txn,
        Begun::Replay(first) => return Ok(Some(first)),
    };
    let held = evidence_photo::Entity::find()
        .filter(evidence_photo::Column::SubjectKind.eq(row.subject_kind))
        .filter(evidence_photo::Column::SubjectId.eq(row.subject_id))
        .count(&txn)
        .await?;
    if held >= MAX_PER_SUBJECT as u64 {
        let mut e = AppError::conflict(ConflictCode::EvidenceFull);
        if let AppError::Conflict { params, .. } = &mut e {
            params.insert("max".into(), MAX_PER_SUBJECT.to_string());
        }
        return Err(e.into());
    }
    evidence_photo::Entity::insert(evidence_photo::ActiveModel::from(row.clone())).exec(&txn).await?;
    audit::record(&txn, row.created_at, entry).await?;
    // A unit's evidence on a case waits for the county's inspectors: they hear of it.
    let from_unit = row.uploader_role.is_contractor();
    let notices = if row.subject_kind == SubjectKind::Case && from_unit {
        crate::notifications::service::case_evidence_added(&txn, row.subject_id, row.created_at).await?
    } else {
        Vec::new()
    };
    txn.commit().await?;
    crate::notifications::service::send_out(state, &notices).await;
    Ok(None)
}

/// One copy of a photo of a subject the caller may see.
pub async fn read(
    state: &AppState,
    principal: &Principal,
    kind: SubjectKind,
    id: Uuid,
    photo_id: Uuid,
    size: PhotoSize,
) -> ServiceResult<PhotoFile> {
    may_add(state, principal, kind, id).await?; // 404 when the subject is not visible
    let row = evidence_photo::Entity::find_by_id(photo_id)
        .filter(evidence_photo::Column::SubjectKind.eq(kind.as_str()))
        .filter(evidence_photo::Column::SubjectId.eq(id))
        .one(&state.db)
        .await?
        .ok_or(AppError::NotFound)?;
    let stored = StoredPhoto {
        id: row.id,
        original_key: &row.original_key,
        web_key: &row.web_key,
        content_type: &row.content_type,
    };
    stored.read(state, size, &format!("{}-{}", kind.as_str(), row.id.simple())).await
}
