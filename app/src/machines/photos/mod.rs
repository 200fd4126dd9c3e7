//! Machine photos, one of each [`PhotoKind`] per machine: upload (checked from the bytes, a web
//! copy made off the async runtime, both files stored, then the row written), read, list and
//! delete. A failed upload leaves nothing behind; a replaced photo's files are removed once the
//! new row is in place.

pub mod imaging;
pub mod rest;

use crate::audit::{self, Action, EntityKind};
use crate::auth::service::Principal;
use crate::db::entities::{machine, machine_photo};
use crate::error::{AppError, FieldCode, FieldErrors};
use crate::machines::service::{find_visible, forget_files};
use crate::machines::{MachinePhoto, PhotoKind, PhotoUrls};
use crate::service_error::{ServiceError, ServiceResult};
use crate::state::AppState;
use imaging::{MAX_UPLOAD_BYTES, PhotoFormat, ProcessedPhoto};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter, QueryOrder, TransactionTrait};
use std::future::Future;
use tracing::Instrument;
use uuid::Uuid;

/// Which stored copy to read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PhotoSize {
    /// The JPEG copy for pages (longest side ≤ 1280 px).
    #[default]
    Web,
    /// The bytes as uploaded.
    Original,
}

/// A stored file to send.
#[derive(Debug, Clone)]
pub struct PhotoFile {
    pub bytes: Vec<u8>,
    pub content_type: &'static str,
    /// Names this upload and copy (an entity tag).
    pub etag: String,
    /// A download name such as `machine_plate.jpg`.
    pub file_name: String,
}

/// A machine of the caller's own organisation (404 for any other, 403 for roles without a fleet).
pub async fn owned_machine(state: &AppState, principal: &Principal, id: Uuid) -> ServiceResult<machine::Model> {
    let org = principal.contractor_org()?;
    let m = find_visible(state, principal, id).await?;
    if m.organization_id != org {
        return Err(AppError::NotFound.into());
    }
    Ok(m)
}

/// What the audit log keeps of a photo: the wire form and the machine it belongs to.
fn photo_record(row: &machine_photo::Model) -> ServiceResult<serde_json::Value> {
    let mut v = serde_json::to_value(to_dto(row)?).map_err(ServiceError::internal)?;
    if let serde_json::Value::Object(map) = &mut v {
        map.insert("machine_id".into(), serde_json::Value::String(row.machine_id.to_string()));
    }
    Ok(v)
}

/// The wire form of a row.
pub fn to_dto(row: &machine_photo::Model) -> ServiceResult<MachinePhoto> {
    let kind = row.kind;
    let base = format!("/api/v1/machines/{}/photos/{}", row.machine_id, kind.as_str());
    let version = row.id.simple();
    Ok(MachinePhoto {
        kind,
        content_type: row.content_type.clone(),
        width: u32::try_from(row.width).unwrap_or(0),
        height: u32::try_from(row.height).unwrap_or(0),
        size_bytes: u64::try_from(row.size_bytes).unwrap_or(0),
        uploaded_at: row.created_at,
        urls: PhotoUrls {
            original: format!("{base}?size=original&v={version}"),
            web: format!("{base}?size=web&v={version}"),
        },
    })
}

/// Stores a photo of `kind` for a machine of the caller's organisation, replacing the previous
/// one. `bytes` is the upload exactly as received; its format is decided from the bytes.
#[tracing::instrument(skip(state, bytes), fields(user = %principal.username, size = bytes.len()))]
pub async fn upload(
    state: &AppState,
    principal: &Principal,
    machine_id: Uuid,
    kind: PhotoKind,
    bytes: Vec<u8>,
) -> ServiceResult<MachinePhoto> {
    owned_machine(state, principal, machine_id).await?;
    if bytes.len() > MAX_UPLOAD_BYTES {
        return Err(AppError::PayloadTooLarge.into());
    }
    if bytes.is_empty() {
        return Err(AppError::field("file", FieldCode::Required).into());
    }
    let (bytes, processed) = process_off_runtime(state, bytes).await?;
    // From here on the work runs to its end even if the client goes away, so that it either
    // commits or removes what it wrote.
    let state = state.clone();
    let principal = principal.clone();
    detached(async move { store(&state, &principal, machine_id, kind, bytes, processed).await }).await
}

/// Decodes and re-encodes on the blocking pool, at most `state.imaging` at a time.
pub(crate) async fn process_off_runtime(state: &AppState, bytes: Vec<u8>) -> ServiceResult<(Vec<u8>, ProcessedPhoto)> {
    let permit = state.imaging.clone().acquire_owned().await.map_err(ServiceError::internal)?;
    let (bytes, result) = tokio::task::spawn_blocking(move || {
        let _permit = permit;
        let result = imaging::process(&bytes);
        (bytes, result)
    })
    .await
    .map_err(ServiceError::internal)?;
    match result {
        Ok(p) => Ok((bytes, p)),
        Err(rejection) => {
            Err(AppError::Validation { fields: FieldErrors::single("file", rejection.field_error()) }.into())
        }
    }
}

/// Runs `work` as its own task (keeping the request id and span), so dropping the caller does
/// not stop it halfway.
pub(crate) async fn detached<T: Send + 'static>(
    work: impl Future<Output = ServiceResult<T>> + Send + 'static,
) -> ServiceResult<T> {
    let span = tracing::Span::current();
    let work = audit::service::carry(audit::service::current_request(), work);
    let handle = match crate::state::current_request_id() {
        Some(id) => tokio::spawn(crate::state::REQUEST_ID.scope(id, work).instrument(span)),
        None => tokio::spawn(work.instrument(span)),
    };
    handle.await.map_err(ServiceError::internal)?
}

async fn store(
    state: &AppState,
    principal: &Principal,
    machine_id: Uuid,
    kind: PhotoKind,
    original: Vec<u8>,
    processed: ProcessedPhoto,
) -> ServiceResult<MachinePhoto> {
    let id = Uuid::now_v7();
    let base = format!("photos/{machine_id}/{}/{id}", kind.as_str());
    let original_key = format!("{base}-original.{}", processed.format.extension());
    let web_key = format!("{base}-web.jpg");
    let size = original.len();
    state.storage.put(&original_key, original).await.map_err(ServiceError::internal)?;
    if let Err(e) = state.storage.put(&web_key, processed.web_jpeg).await {
        forget_files(state, &[original_key]).await;
        return Err(ServiceError::internal(e));
    }
    let row = machine_photo::Model {
        id,
        machine_id,
        kind,
        content_type: processed.format.content_type().to_owned(),
        original_key: original_key.clone(),
        web_key: web_key.clone(),
        size_bytes: i64::try_from(size).map_err(ServiceError::internal)?,
        width: i32::try_from(processed.width).map_err(ServiceError::internal)?,
        height: i32::try_from(processed.height).map_err(ServiceError::internal)?,
        created_at: state.clock.now(),
    };
    match put_row(state, principal, &row).await {
        Ok(replaced) => {
            if let Some(old) = replaced {
                forget_files(state, &[old.original_key, old.web_key]).await;
            }
            to_dto(&row)
        }
        Err(e) => {
            forget_files(state, &[original_key, web_key]).await;
            Err(e)
        }
    }
}

/// Writes the row for a new upload in place of the machine's row of that kind; returns the row
/// it replaced. Photo changes of one machine are serialised by the machine's row lock.
async fn put_row(
    state: &AppState,
    principal: &Principal,
    row: &machine_photo::Model,
) -> ServiceResult<Option<machine_photo::Model>> {
    let txn = state.db.begin().await?;
    if !lock_machine(&txn, row.machine_id).await? {
        return Err(AppError::NotFound.into()); // deleted meanwhile
    }
    let current = machine_photo::Entity::find()
        .filter(machine_photo::Column::MachineId.eq(row.machine_id))
        .filter(machine_photo::Column::Kind.eq(row.kind))
        .one(&txn)
        .await?;
    if let Some(old) = &current {
        machine_photo::Entity::delete_by_id(old.id).exec(&txn).await?;
    }
    machine_photo::Entity::insert(machine_photo::ActiveModel::from(row.clone())).exec(&txn).await?;
    let mut e = audit::entry(if current.is_some() { Action::Update } else { Action::Create }, EntityKind::MachinePhoto)
        .by(principal)
        .id(row.id)
        .after(&photo_record(row)?);
    if let Some(old) = &current {
        e = e.before(&photo_record(old)?);
    }
    audit::record(&txn, row.created_at, e).await?;
    txn.commit().await?;
    Ok(current)
}

/// Takes the machine's row lock until the transaction ends (on SQLite, whose transactions
/// begin deferred, this first write takes the database's write lock, so nothing read later in
/// the transaction can go stale). Changes nothing; false when the machine is gone.
async fn lock_machine(txn: &DatabaseTransaction, id: Uuid) -> ServiceResult<bool> {
    let touched = machine::Entity::update_many()
        .col_expr(machine::Column::Version, Expr::col(machine::Column::Version))
        .filter(machine::Column::Id.eq(id))
        .exec(txn)
        .await?;
    Ok(touched.rows_affected == 1)
}

/// The photos on file for a machine the caller may see, in the order of [`PhotoKind::ALL`].
pub async fn list(state: &AppState, principal: &Principal, machine_id: Uuid) -> ServiceResult<Vec<MachinePhoto>> {
    find_visible(state, principal, machine_id).await?;
    let rows = machine_photo::Entity::find()
        .filter(machine_photo::Column::MachineId.eq(machine_id))
        .order_by_asc(machine_photo::Column::Kind)
        .all(&state.db)
        .await?;
    let mut photos = rows.iter().map(to_dto).collect::<ServiceResult<Vec<_>>>()?;
    photos.sort_by_key(|p| PhotoKind::ALL.iter().position(|k| *k == p.kind));
    Ok(photos)
}

/// The row of one photo of a visible machine (404 when there is none).
async fn find_row(
    state: &AppState,
    principal: &Principal,
    machine_id: Uuid,
    kind: PhotoKind,
) -> ServiceResult<machine_photo::Model> {
    find_visible(state, principal, machine_id).await?;
    machine_photo::Entity::find()
        .filter(machine_photo::Column::MachineId.eq(machine_id))
        .filter(machine_photo::Column::Kind.eq(kind.as_str()))
        .one(&state.db)
        .await?
        .ok_or_else(|| AppError::NotFound.into())
}

/// One copy of a photo of a machine the caller may see.
pub async fn read(
    state: &AppState,
    principal: &Principal,
    machine_id: Uuid,
    kind: PhotoKind,
    size: PhotoSize,
) -> ServiceResult<PhotoFile> {
    let row = find_row(state, principal, machine_id, kind).await?;
    let stored = StoredPhoto {
        id: row.id,
        original_key: &row.original_key,
        web_key: &row.web_key,
        content_type: &row.content_type,
    };
    stored.read(state, size, kind.as_str()).await
}

/// The keys and format of an uploaded photo (a machine photo or an evidence photo).
pub(crate) struct StoredPhoto<'a> {
    pub id: Uuid,
    pub original_key: &'a str,
    pub web_key: &'a str,
    pub content_type: &'a str,
}

impl StoredPhoto<'_> {
    /// One copy of it, named `{stem}.{extension}`, tagged by its id and copy.
    pub(crate) async fn read(&self, state: &AppState, size: PhotoSize, stem: &str) -> ServiceResult<PhotoFile> {
        let (key, content_type, extension, tag) = match size {
            PhotoSize::Web => (self.web_key, "image/jpeg", "jpg", "web"),
            PhotoSize::Original => {
                let format = PhotoFormat::from_content_type(self.content_type)
                    .ok_or_else(|| ServiceError::internal(format!("stored content type {}", self.content_type)))?;
                (self.original_key, format.content_type(), format.extension(), "original")
            }
        };
        let bytes = state
            .storage
            .get(key)
            .await
            .map_err(ServiceError::internal)?
            .ok_or_else(|| ServiceError::internal(format!("photo file {key} is missing")))?;
        Ok(PhotoFile {
            bytes,
            content_type,
            etag: format!("\"{}-{tag}\"", self.id.simple()),
            file_name: format!("{stem}.{extension}"),
        })
    }
}

/// Removes a photo of a machine of the caller's organisation (404 when there is none).
#[tracing::instrument(skip(state), fields(user = %principal.username))]
pub async fn delete(state: &AppState, principal: &Principal, machine_id: Uuid, kind: PhotoKind) -> ServiceResult<()> {
    owned_machine(state, principal, machine_id).await?;
    let txn = state.db.begin().await?;
    if !lock_machine(&txn, machine_id).await? {
        return Err(AppError::NotFound.into());
    }
    let row = machine_photo::Entity::find()
        .filter(machine_photo::Column::MachineId.eq(machine_id))
        .filter(machine_photo::Column::Kind.eq(kind.as_str()))
        .one(&txn)
        .await?
        .ok_or(AppError::NotFound)?;
    machine_photo::Entity::delete_by_id(row.id).exec(&txn).await?;
    let e =
        audit::entry(Action::Delete, EntityKind::MachinePhoto).by(principal).id(row.id).before(&photo_record(&row)?);
    audit::record(&txn, state.clock.now(), e).await?;
    txn.commit().await?;
    forget_files(state, &[row.original_key, row.web_key]).await;
    Ok(())
}
