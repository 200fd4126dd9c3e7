//! Adding and reading joint-inspection notes (the caller's right to see the subject is checked
//! by the subject's own capability first).

use super::{NOTE_MAX, Note, NoteInput, Subject};
use crate::audit::{self, Action, EntityKind};
use crate::auth::Role;
use crate::auth::service::{Principal, people};
use crate::db::entities::{case_note, inspection_note};
use crate::error::AppError;
use crate::request_ids::Begun;
use crate::service_error::ServiceResult;
use crate::state::AppState;
use chrono::{DateTime, Utc};
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use std::collections::HashMap;
use uuid::Uuid;

/// A note's body, trimmed: required, at most 2,000 characters.
pub fn check(input: &NoteInput) -> Result<String, AppError> {
    crate::error::required_text("body", &input.body, NOTE_MAX).map_err(|fields| AppError::Validation { fields })
}

/// A note as stored, whichever table holds it.
struct Row {
    id: Uuid,
    subject_id: Uuid,
    author_id: Uuid,
    body: String,
    created_at: DateTime<Utc>,
}

impl From<inspection_note::Model> for Row {
    fn from(n: inspection_note::Model) -> Self {
        Row { id: n.id, subject_id: n.inspection_id, author_id: n.author_id, body: n.body, created_at: n.created_at }
    }
}

impl From<case_note::Model> for Row {
    fn from(n: case_note::Model) -> Self {
        Row { id: n.id, subject_id: n.case_id, author_id: n.author_id, body: n.body, created_at: n.created_at }
    }
}

/// The notes on each of `ids`, oldest first, with their authors' names (two queries).
pub async fn of(
    db: &impl ConnectionTrait,
    subject: Subject,
    ids: Vec<Uuid>,
) -> ServiceResult<HashMap<Uuid, Vec<Note>>> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let rows: Vec<Row> = match subject {
        Subject::Inspection => inspection_note::Entity::find()
            .filter(inspection_note::Column::InspectionId.is_in(ids))
            .order_by_asc(inspection_note::Column::CreatedAt)
            .order_by_asc(inspection_note::Column::Id)
            .all(db)
            .await?
            .into_iter()
            .map(Row::from)
            .collect(),
        Subject::Case => case_note::Entity::find()
            .filter(case_note::Column::CaseId.is_in(ids))
            .order_by_asc(case_note::Column::CreatedAt)
            .order_by_asc(case_note::Column::Id)
            .all(db)
            .await?
            .into_iter()
            .map(Row::from)
            .collect(),
    };
    let names = people(db, rows.iter().map(|r| r.author_id).collect()).await?;
    let mut notes: HashMap<Uuid, Vec<Note>> = HashMap::new();
    for r in rows {
        let (author_name, author_role) =
            names.get(&r.author_id).cloned().unwrap_or((String::new(), Role::PartnerViewer));
        notes.entry(r.subject_id).or_default().push(Note {
            id: r.id,
            author_id: r.author_id,
            author_name,
            author_role,
            body: r.body,
            created_at: r.created_at,
        });
    }
    Ok(notes)
}

/// A note written by `principal`, as the pages and the API show it.
fn written_by(principal: &Principal, r: Row) -> Note {
    Note {
        id: r.id,
        author_id: principal.user_id,
        author_name: principal.display_name.clone(),
        author_role: principal.role,
        body: r.body,
        created_at: r.created_at,
    }
}

/// The note a request id added before (the caller's own).
async fn added_before(
    db: &impl ConnectionTrait,
    principal: &Principal,
    subject: Subject,
    id: Uuid,
) -> ServiceResult<Note> {
    let row: Option<Row> = match subject {
        Subject::Inspection => inspection_note::Entity::find_by_id(id).one(db).await?.map(Row::from),
        Subject::Case => case_note::Entity::find_by_id(id).one(db).await?.map(Row::from),
    };
    Ok(written_by(principal, row.ok_or(AppError::NotFound)?))
}

/// Adds a note to the inspection or case `subject_id` of `county`, which the caller may see
/// (checked by the caller): the note authors only; a repeated request id returns its note.
pub async fn add(
    state: &AppState,
    principal: &Principal,
    (subject, subject_id, county): (Subject, Uuid, &str),
    input: NoteInput,
) -> ServiceResult<Note> {
    principal.require(&crate::auth::permissions::NOTE_AUTHORS)?;
    let operation = match subject {
        Subject::Inspection => "add_inspection_note",
        Subject::Case => "add_case_note",
    };
    if let Some(first) = crate::request_ids::replayed(&state.db, principal, input.request_id, operation).await? {
        return added_before(&state.db, principal, subject, first).await;
    }
    let body = check(&input)?;
    let now = state.clock.now();
    let id = Uuid::now_v7();
    let txn = match crate::request_ids::begin(&state.db, principal, input.request_id, operation, id, now).await? {
        Begun::Fresh(txn) => txn,
        Begun::Replay(first) => return added_before(&state.db, principal, subject, first).await,
    };
    let (kind, after_key) = match subject {
        Subject::Inspection => {
            inspection_note::Entity::insert(inspection_note::ActiveModel {
                id: Set(id),
                inspection_id: Set(subject_id),
                author_id: Set(principal.user_id),
                body: Set(body.clone()),
                created_at: Set(now),
            })
            .exec(&txn)
            .await?;
            (EntityKind::InspectionNote, "inspection_id")
        }
        Subject::Case => {
            case_note::Entity::insert(case_note::ActiveModel {
                id: Set(id),
                case_id: Set(subject_id),
                author_id: Set(principal.user_id),
                body: Set(body.clone()),
                created_at: Set(now),
            })
            .exec(&txn)
            .await?;
            (EntityKind::CaseNote, "case_id")
        }
    };
    let note = written_by(principal, Row { id, subject_id, author_id: principal.user_id, body, created_at: now });
    let after = serde_json::json!({after_key: subject_id, "note": note});
    let e = audit::entry(Action::Create, kind).by(principal).id(id).county(Some(county));
    audit::record(&txn, now, e.after(&after)).await?;
    txn.commit().await?;
    Ok(note)
}
