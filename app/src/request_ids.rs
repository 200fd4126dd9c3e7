//! One tap, one record. A form that creates something sends a request id it generated when it
//! was shown (`request_id` in the input, REST and pages alike); the service claims that id for
//! the caller inside the creating transaction, together with the id of the record it creates.
//! A request repeating the id — a double tap, a retry after an answer lost to a weak signal,
//! two at once — finds it claimed and gets the first record back; nothing is created twice.
//!
//! The claim is an insert that does nothing on conflict. On PostgreSQL a second transaction
//! inserting the same id waits for the first to end: it then finds the claim (the first
//! committed) or makes it (the first rolled back). On SQLite the claim is the transaction's
//! first statement, so it takes the one write lock and the two queue. An id reused for another
//! operation is 409 `request_id_reused`.

use crate::auth::service::Principal;
use crate::db::entities::request_id;
use crate::error::{AppError, ConflictCode};
use crate::service_error::ServiceResult;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveValue::Set, ConnectionTrait, DatabaseConnection, DatabaseTransaction, EntityTrait, TransactionTrait,
};
use uuid::Uuid;

/// What a creating operation found when it claimed its request id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Claim {
    /// The id is new (or there is none): create the record.
    Fresh,
    /// The id was claimed before, by this operation, for this record: answer with it and roll
    /// the transaction back.
    Replay(Uuid),
}

/// The record a request id already created for `principal` and `operation`, read before the
/// request is checked (a repeat must get its first answer even when the same input would now be
/// refused, say because the first filing now overlaps it); 409 `request_id_reused` for an id
/// used by another operation. [`claim`] still decides, inside the transaction, for two requests
/// that arrive together.
pub async fn replayed(
    db: &impl ConnectionTrait,
    principal: &Principal,
    request: Option<Uuid>,
    operation: &'static str,
) -> ServiceResult<Option<Uuid>> {
    let Some(request) = request else { return Ok(None) };
    match request_id::Entity::find_by_id((principal.user_id, request)).one(db).await? {
        None => Ok(None),
        Some(first) if first.operation == operation => Ok(Some(first.subject_id)),
        Some(_) => Err(AppError::conflict(ConflictCode::RequestIdReused).into()),
    }
}

/// The outcome of a creating request's checks, unless the request was replayed meanwhile: the
/// same request sent twice at once passes [`replayed`] twice, and when the first commits before
/// the second is checked, the second's checks fail on what the first created (its PIN is taken,
/// its machines are filed). That second request gets the first record (`Err(first)`), not the
/// failure; a failure of a request that was not replayed stands.
pub async fn unless_replayed<T>(
    db: &impl ConnectionTrait,
    principal: &Principal,
    request: Option<Uuid>,
    operation: &'static str,
    checked: ServiceResult<T>,
) -> ServiceResult<Result<T, Uuid>> {
    match checked {
        Ok(value) => Ok(Ok(value)),
        Err(e) => match replayed(db, principal, request, operation).await? {
            Some(first) => Ok(Err(first)),
            None => Err(e),
        },
    }
}

/// How the creating transaction began.
pub enum Begun {
    /// The id is new (or there is none): create the record in this transaction.
    Fresh(DatabaseTransaction),
    /// The id already created this record (the transaction was rolled back): answer with it.
    Replay(Uuid),
}

/// Begins the creating transaction with the claim of `request` as its first statement (so
/// SQLite takes its write lock before anything is read), naming `subject`, the record it will
/// create. A claim found made rolls the transaction back and names the first record.
pub async fn begin(
    db: &DatabaseConnection,
    principal: &Principal,
    request: Option<Uuid>,
    operation: &'static str,
    subject: Uuid,
    now: DateTime<Utc>,
) -> ServiceResult<Begun> {
    let txn = db.begin().await?;
    match claim(&txn, principal, request, operation, subject, now).await? {
        Claim::Fresh => Ok(Begun::Fresh(txn)),
        Claim::Replay(first) => {
            txn.rollback().await?;
            Ok(Begun::Replay(first))
        }
    }
}

/// Claims `request` (when there is one) for `principal` and `operation`, naming `subject`, the
/// record this transaction creates. Call it as the transaction's first statement.
pub async fn claim(
    txn: &impl ConnectionTrait,
    principal: &Principal,
    request: Option<Uuid>,
    operation: &'static str,
    subject: Uuid,
    now: DateTime<Utc>,
) -> ServiceResult<Claim> {
    let Some(request) = request else { return Ok(Claim::Fresh) };
    let inserted = request_id::Entity::insert(request_id::ActiveModel {
        user_id: Set(principal.user_id),
        request_id: Set(request),
        operation: Set(operation.to_owned()),
        subject_id: Set(subject),
        created_at: Set(now),
    })
    .on_conflict(
        OnConflict::columns([request_id::Column::UserId, request_id::Column::RequestId]).do_nothing().to_owned(),
    )
    .exec_without_returning(txn)
    .await?;
    if inserted == 1 {
        return Ok(Claim::Fresh);
    }
    let first = request_id::Entity::find_by_id((principal.user_id, request))
        .one(txn)
        .await?
        .ok_or_else(|| crate::service_error::ServiceError::internal("claimed request id vanished"))?;
    if first.operation != operation {
        return Err(AppError::conflict(ConflictCode::RequestIdReused).into());
    }
    Ok(Claim::Replay(first.subject_id))
}
