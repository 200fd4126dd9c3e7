//! Writing audit rows ([`record`]) and searching them within the caller's scope ([`search`]).

use super::{Action, AuditEntry, AuditFilter, EntityKind, parse_bound};
use crate::auth::service::Principal;
use crate::auth::{Role, Scope};
use crate::db::entities::audit_log;
use crate::error::{AppError, FieldCode};
use crate::paging::{Page, PageQuery, page_from};
use crate::service_error::{ServiceError, ServiceResult};
use crate::state::AppState;
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};
use serde::Serialize;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use uuid::Uuid;

/// What the audit log needs to know about the request being served; set by the server's
/// middleware around every routed request (REST and server functions).
#[derive(Debug, Clone, Default)]
pub struct RequestMeta {
    /// The client address as the server resolved it.
    pub ip: Option<String>,
    pub request_id: Option<String>,
    /// Set once a service wrote a row for this request (the safety net then stays quiet).
    pub recorded: Arc<AtomicBool>,
}

tokio::task_local! {
    static REQUEST: RequestMeta;
}

/// Runs `fut` as the handling of a request described by `meta`.
pub async fn in_request<F: std::future::Future>(meta: RequestMeta, fut: F) -> F::Output {
    REQUEST.scope(meta, fut).await
}

/// The request being served, if any (to carry into a spawned task with [`carry`]).
pub fn current_request() -> Option<RequestMeta> {
    REQUEST.try_with(|m| m.clone()).ok()
}

/// Runs `fut` inside the request `meta` (when there is one): for work spawned off a request.
pub async fn carry<F: std::future::Future>(meta: Option<RequestMeta>, fut: F) -> F::Output {
    match meta {
        Some(m) => REQUEST.scope(m, fut).await,
        None => fut.await,
    }
}

/// Keys never stored in `before`/`after`, wherever they appear.
const SECRET_KEYS: [&str; 7] =
    ["password", "password_hash", "token", "token_hash", "secret", "current_password", "new_password"];

fn redact(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::Object(map) => {
            map.retain(|k, _| !SECRET_KEYS.contains(&k.as_str()));
            map.values_mut().for_each(redact);
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(redact),
        _ => {}
    }
}

fn to_json(value: &impl Serialize) -> Option<serde_json::Value> {
    match serde_json::to_value(value) {
        Ok(mut v) => {
            redact(&mut v);
            Some(v)
        }
        Err(e) => {
            tracing::error!(error = %e, "audit: a value could not be serialised");
            Some(serde_json::Value::String("<unserialisable>".into()))
        }
    }
}

/// One row to write; build it with [`entry`] and the methods below, then [`record`] it.
#[derive(Debug, Clone)]
pub struct Entry {
    action: Action,
    kind: EntityKind,
    actor: Option<(Uuid, String)>,
    entity_id: Option<String>,
    division_code: Option<String>,
    before: Option<serde_json::Value>,
    after: Option<serde_json::Value>,
}

/// A row saying `action` was done to a record of `kind`.
pub fn entry(action: Action, kind: EntityKind) -> Entry {
    Entry { action, kind, actor: None, entity_id: None, division_code: None, before: None, after: None }
}

impl Entry {
    /// Who acted (leave out for anonymous requests and failed sign-ins).
    pub fn by(mut self, principal: &Principal) -> Self {
        self.actor = Some((principal.user_id, principal.username.clone()));
        self
    }

    /// Who acted, by account id and user name (when there is no [`Principal`] yet, e.g. sign-in).
    pub fn by_account(mut self, id: Uuid, username: &str) -> Self {
        self.actor = Some((id, username.to_owned()));
        self
    }

    /// The record's id.
    pub fn id(mut self, id: impl ToString) -> Self {
        self.entity_id = Some(id.to_string());
        self
    }

    /// The county the record lies in (for zones: their division), which scopes who sees the row.
    pub fn county(mut self, code: Option<&str>) -> Self {
        self.division_code = code.map(str::to_owned);
        self
    }

    /// The record before the change.
    pub fn before(mut self, value: &impl Serialize) -> Self {
        self.before = to_json(value);
        self
    }

    /// The record after the change (or what an event carried).
    pub fn after(mut self, value: &impl Serialize) -> Self {
        self.after = to_json(value);
        self
    }
}

/// Writes `entry` on `db` (the transaction of the change, where there is one), stamped `now`,
/// with the address and request id of the request being served.
pub async fn record(db: &impl ConnectionTrait, now: DateTime<Utc>, entry: Entry) -> ServiceResult<()> {
    record_many(db, now, vec![entry]).await
}

/// Writes many rows at once (e.g. one per imported machine), in chunks.
pub async fn record_many(db: &impl ConnectionTrait, now: DateTime<Utc>, entries: Vec<Entry>) -> ServiceResult<()> {
    const CHUNK: usize = 500;
    let meta = current_request();
    let text = |v: Option<serde_json::Value>| v.map(|v| v.to_string());
    let mut pending = entries.into_iter().peekable();
    while pending.peek().is_some() {
        let rows: Vec<audit_log::ActiveModel> = pending
            .by_ref()
            .take(CHUNK)
            .map(|e| audit_log::ActiveModel {
                id: Set(Uuid::now_v7()),
                at: Set(now),
                actor_id: Set(e.actor.as_ref().map(|a| a.0)),
                actor_username: Set(e.actor.map(|a| a.1)),
                ip: Set(meta.as_ref().and_then(|m| m.ip.clone())),
                request_id: Set(meta.as_ref().and_then(|m| m.request_id.clone())),
                action: Set(e.action),
                entity_kind: Set(e.kind),
                entity_id: Set(e.entity_id),
                division_code: Set(e.division_code),
                before: Set(text(e.before)),
                after: Set(text(e.after)),
            })
            .collect();
        audit_log::Entity::insert_many(rows).exec(db).await?;
    }
    no_change_to_record();
    Ok(())
}

/// Says that the request being served (a state-changing one) changed nothing worth a row, e.g.
/// an import whose every row was skipped, so the safety net stays quiet.
pub fn no_change_to_record() {
    if let Some(m) = current_request() {
        m.recorded.store(true, Ordering::Relaxed);
    }
}

/// The paths of every registered server function (all answer POST), for the test that each
/// is either a known computation or the twin of an audited REST operation.
pub fn server_function_paths() -> Vec<String> {
    leptos::server_fn::axum::server_fn_paths().map(|(path, _)| path.to_owned()).collect()
}

/// Whether a service wrote a row for the request being served.
pub fn recorded_in(meta: &RequestMeta) -> bool {
    meta.recorded.load(Ordering::Relaxed)
}

/// The safety net: a generic row for a successful state-changing request that wrote none.
pub async fn record_unaudited(
    state: &AppState,
    meta: RequestMeta,
    principal: Option<&Principal>,
    method: &str,
    path: &str,
    status: u16,
) -> ServiceResult<()> {
    let mut e = entry(Action::Request, EntityKind::Request)
        .after(&serde_json::json!({"method": method, "path": path, "status": status}));
    if let Some(p) = principal {
        e = e.by(p).county(p.division_code.as_deref());
    }
    in_request(meta, record(&state.db, state.clock.now(), e)).await
}

fn to_dto(row: audit_log::Model) -> ServiceResult<AuditEntry> {
    let json = |v: Option<String>| -> ServiceResult<Option<serde_json::Value>> {
        v.map(|t| serde_json::from_str(&t)).transpose().map_err(ServiceError::internal)
    };
    Ok(AuditEntry {
        id: row.id,
        at: row.at,
        actor_id: row.actor_id,
        actor_username: row.actor_username,
        ip: row.ip,
        request_id: row.request_id,
        action: row.action,
        entity_kind: row.entity_kind,
        entity_id: row.entity_id,
        division_code: row.division_code,
        before: json(row.before)?,
        after: json(row.after)?,
    })
}

/// The rows a reader may see: a county inspector its county, a city officer its counties (and
/// the city's own rows), a province officer everything of the province (its cities' rows too)
/// including rows that belong to no county (machines, organisations, limit tables), an administrator everything.
async fn scope_condition(db: &impl ConnectionTrait, principal: &Principal) -> ServiceResult<Condition> {
    principal.require(&crate::auth::permissions::AUDIT_READERS)?;
    let scope = Scope::resolve(db, principal).await?;
    let col = audit_log::Column::DivisionCode;
    Ok(match (principal.role, scope) {
        (Role::Sysadmin, _) => Condition::all(),
        (role, Scope::Counties(mut codes)) => {
            // The rows of the divisions under the reader's own (a city's weights, a city's
            // zones), and of their own division.
            if let Some(own) = principal.division_code.as_deref() {
                codes.extend(crate::divisions::service::subtree(db, own).await?);
            }
            let mut c = Condition::any().add(col.is_in(codes));
            if role == Role::ProvinceOfficer {
                c = c.add(col.is_null());
            }
            c
        }
        _ => Condition::all().add(sea_orm::sea_query::Expr::cust("1 = 0")),
    })
}

/// A page of audit rows in the caller's scope, newest first (officers and administrators; 403
/// for everyone else).
pub async fn search(
    state: &AppState,
    principal: &Principal,
    filter: &AuditFilter,
    page: &PageQuery,
) -> ServiceResult<Page<AuditEntry>> {
    let mut q = audit_log::Entity::find().filter(scope_condition(&state.db, principal).await?);
    if let Some(actor) = filter.actor.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        q = match Uuid::try_parse(actor) {
            Ok(id) => q.filter(audit_log::Column::ActorId.eq(id)),
            Err(_) => q.filter(audit_log::Column::ActorUsername.eq(crate::auth::normalize_username(actor))),
        };
    }
    if let Some(a) = filter.action {
        q = q.filter(audit_log::Column::Action.eq(a.as_str()));
    }
    if let Some(k) = filter.entity {
        q = q.filter(audit_log::Column::EntityKind.eq(k.as_str()));
    }
    if let Some(id) = filter.entity_id.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        q = q.filter(audit_log::Column::EntityId.eq(id.to_lowercase()));
    }
    for (name, value, end) in [("from", &filter.from, false), ("to", &filter.to, true)] {
        let Some(v) = value.as_deref().map(str::trim).filter(|s| !s.is_empty()) else { continue };
        let t = parse_bound(v, end).ok_or_else(|| AppError::field(name, FieldCode::Invalid))?;
        q = q.filter(if end { audit_log::Column::At.lte(t) } else { audit_log::Column::At.gte(t) });
    }
    let limit = page.limit();
    if let Some(after) = page.after()? {
        q = q.filter(audit_log::Column::Id.lt(after));
    }
    let rows = q.order_by_desc(audit_log::Column::Id).limit(limit + 1).all(&state.db).await?;
    let page = page_from(rows, limit, |r| r.id);
    Ok(Page { items: page.items.into_iter().map(to_dto).collect::<ServiceResult<_>>()?, next_cursor: page.next_cursor })
}
