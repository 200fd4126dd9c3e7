//! Notifications: created when a filing is reviewed and when an amendment is submitted or
//! decided (inside that change's transaction), and by the case-deadline sweep; each new one is
//! handed to the server's [`Outbound`] after it is stored. A user reads only their own
//! (someone else's is 404).
//!
//! [`Outbound`]: super::outbound::Outbound

use super::outbound::{OutboundMessage, Recipient};
use super::{MarkedRead, Notification, NotificationKind, UnreadCount, link_for, text};
use crate::audit::{self, Action, EntityKind};
use crate::auth::Role;
use crate::auth::service::Principal;
use crate::cases::CaseState;
use crate::db::entities::{amendment, case, filing, machine, notification, organization, site, user};
use crate::error::{AppError, FieldCode};
use crate::i18n::Locale;
use crate::paging::{Page, PageQuery};
use crate::service_error::{ServiceError, ServiceResult};
use crate::state::AppState;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, TransactionTrait, TryInsertResult,
};
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use uuid::Uuid;

/// What one deadline sweep created.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SweepReport {
    /// Cases whose deadline is near and that got (at least one) new notification.
    pub near: u64,
    /// Cases past their deadline that got (at least one) new notification.
    pub overdue: u64,
    /// Notifications created.
    pub created: u64,
}

/// Stores one notification per recipient unless that recipient already has one with
/// `dedup_key`; returns the rows actually created.
async fn notify(
    db: &impl ConnectionTrait,
    recipients: &BTreeSet<Uuid>,
    kind: NotificationKind,
    subject_id: Uuid,
    dedup_key: &str,
    params: &BTreeMap<String, String>,
    now: DateTime<Utc>,
) -> ServiceResult<Vec<notification::Model>> {
    let params_json = serde_json::to_string(params).map_err(ServiceError::internal)?;
    let mut created = Vec::new();
    for &user_id in recipients {
        let row = notification::Model {
            id: Uuid::now_v7(),
            user_id,
            kind,
            subject_id,
            dedup_key: dedup_key.to_owned(),
            params: params_json.clone(),
            is_read: false,
            created_at: now,
            read_at: None,
        };
        let am = notification::ActiveModel {
            id: Set(row.id),
            user_id: Set(row.user_id),
            kind: Set(row.kind),
            subject_id: Set(row.subject_id),
            dedup_key: Set(row.dedup_key.clone()),
            params: Set(row.params.clone()),
            is_read: Set(false),
            created_at: Set(now),
            read_at: Set(None),
        };
        let res = notification::Entity::insert(am)
            .on_conflict(
                OnConflict::columns([notification::Column::UserId, notification::Column::DedupKey])
                    .do_nothing()
                    .to_owned(),
            )
            .try_insert()
            .exec_without_returning(db)
            .await?;
        if matches!(res, TryInsertResult::Inserted(n) if n > 0) {
            created.push(row);
        }
    }
    Ok(created)
}

/// Hands each new notification to the outbound channel (Chinese, as SMS go out here). A
/// failure is logged; the in-app notification stays.
pub async fn send_out(state: &AppState, rows: &[notification::Model]) {
    if rows.is_empty() {
        return;
    }
    let ids: BTreeSet<Uuid> = rows.iter().map(|r| r.user_id).collect();
    let users: HashMap<Uuid, user::Model> =
        match user::Entity::find().filter(user::Column::Id.is_in(ids)).all(&state.db).await {
            Ok(us) => us.into_iter().map(|u| (u.id, u)).collect(),
            Err(e) => {
                tracing::warn!(error = %e, "could not load notification recipients");
                return;
            }
        };
    for row in rows {
        let Some(u) = users.get(&row.user_id) else { continue };
        let kind = row.kind;
        let params: BTreeMap<String, String> = serde_json::from_str(&row.params).unwrap_or_default();
        let (subject, body) = text(Locale::zh, kind, &params);
        let message = OutboundMessage {
            recipient: Recipient { user_id: u.id, username: u.username.clone(), phone: u.phone.clone() },
            subject,
            body: format!("{body} {}{}", state.settings.public_url, link_for(kind, row.subject_id)),
        };
        if let Err(e) = state.outbound.send(&message).await {
            tracing::warn!(notification = %row.id, error = %e, "could not send a notification out");
        }
    }
}

/// Active users of `org` with one of `roles`.
async fn org_users(db: &impl ConnectionTrait, orgs: &[Uuid], roles: &[Role]) -> ServiceResult<Vec<user::Model>> {
    Ok(user::Entity::find()
        .filter(user::Column::OrganizationId.is_in(orgs.iter().copied()))
        .filter(user::Column::Role.is_in(roles.iter().map(|r| r.as_str())))
        .filter(user::Column::IsActive.eq(true))
        .all(db)
        .await?)
}

/// Active county inspectors of `counties`.
async fn county_inspectors(
    db: &impl ConnectionTrait,
    counties: impl IntoIterator<Item = String>,
) -> ServiceResult<Vec<user::Model>> {
    Ok(user::Entity::find()
        .filter(user::Column::Role.eq(Role::CountyInspector))
        .filter(user::Column::IsActive.eq(true))
        .filter(user::Column::DivisionCode.is_in(counties))
        .all(db)
        .await?)
}

/// After a review (inside its transaction): the unit's administrators and the user who
/// submitted the filing hear that it was accepted or returned. `reviewed` is the filing as
/// updated (its version makes a second review of a resubmission a new notification).
pub async fn filing_reviewed(
    db: &impl ConnectionTrait,
    reviewed: &filing::Model,
    now: DateTime<Utc>,
) -> ServiceResult<Vec<notification::Model>> {
    let kind = match reviewed.status {
        crate::filings::FilingStatus::Accepted => NotificationKind::FilingAccepted,
        crate::filings::FilingStatus::Returned => NotificationKind::FilingReturned,
        _ => return Ok(Vec::new()),
    };
    let mut recipients: BTreeSet<Uuid> =
        org_users(db, &[reviewed.organization_id], &[Role::ContractorAdmin]).await?.into_iter().map(|u| u.id).collect();
    let submitter = user::Entity::find_by_id(reviewed.created_by).one(db).await?;
    if let Some(u) = submitter.filter(|u| u.is_active && u.organization_id == Some(reviewed.organization_id)) {
        recipients.insert(u.id);
    }
    let site_name = site::Entity::find_by_id(reviewed.site_id).one(db).await?.map(|s| s.name).unwrap_or_default();
    let mut params = BTreeMap::new();
    params.insert("site_name".to_owned(), site_name);
    if let Some(r) = &reviewed.return_reason {
        params.insert("reason".to_owned(), r.clone());
    }
    let key = format!("{}:{}:{}", kind.as_str(), reviewed.id, reviewed.version);
    notify(db, &recipients, kind, reviewed.id, &key, &params, now).await
}

/// After a transfer step (inside its transaction): the active administrators of `orgs` and the
/// active county inspectors of `counties` hear of it. Once per transfer, kind, `key_suffix` (a
/// county, for permissions) and recipient.
#[expect(clippy::too_many_arguments)]
pub async fn transfer_notice(
    db: &impl ConnectionTrait,
    kind: NotificationKind,
    transfer_id: Uuid,
    orgs: &[Uuid],
    counties: &[String],
    key_suffix: &str,
    params: &BTreeMap<String, String>,
    now: DateTime<Utc>,
) -> ServiceResult<Vec<notification::Model>> {
    let mut recipients: BTreeSet<Uuid> = BTreeSet::new();
    if !orgs.is_empty() {
        recipients.extend(org_users(db, orgs, &[Role::ContractorAdmin]).await?.into_iter().map(|u| u.id));
    }
    if !counties.is_empty() {
        recipients.extend(county_inspectors(db, counties.iter().cloned()).await?.into_iter().map(|u| u.id));
    }
    let key = format!("{}:{transfer_id}:{key_suffix}", kind.as_str());
    notify(db, &recipients, kind, transfer_id, &key, params, now).await
}

/// The facts an amendment's notifications show: the machine's name and code, the unit's name.
async fn amendment_params(db: &impl ConnectionTrait, a: &amendment::Model) -> ServiceResult<BTreeMap<String, String>> {
    let m = machine::Entity::find_by_id(a.machine_id).one(db).await?;
    let org = organization::Entity::find_by_id(a.organization_id).one(db).await?;
    let mut params = BTreeMap::new();
    params.insert("machine_name".to_owned(), m.as_ref().map(|m| m.name.clone()).unwrap_or_default());
    params.insert("registration_code".to_owned(), m.and_then(|m| m.registration_code).unwrap_or_default());
    params.insert("organization_name".to_owned(), org.map(|o| o.name).unwrap_or_default());
    Ok(params)
}

/// After an amendment is submitted (inside its transaction): the active inspectors of the
/// county that issued the registration code hear that it waits for them.
pub async fn amendment_submitted(
    db: &impl ConnectionTrait,
    a: &amendment::Model,
    now: DateTime<Utc>,
) -> ServiceResult<Vec<notification::Model>> {
    let recipients: BTreeSet<Uuid> =
        county_inspectors(db, [a.county_code.clone()]).await?.into_iter().map(|u| u.id).collect();
    let kind = NotificationKind::AmendmentSubmitted;
    let params = amendment_params(db, a).await?;
    notify(db, &recipients, kind, a.id, &format!("{}:{}", kind.as_str(), a.id), &params, now).await
}

/// After an amendment is decided (inside the decision's transaction): the unit's
/// administrators and whoever submitted it hear that it was accepted or returned.
pub async fn amendment_reviewed(
    db: &impl ConnectionTrait,
    a: &amendment::Model,
    now: DateTime<Utc>,
) -> ServiceResult<Vec<notification::Model>> {
    use crate::amendments::AmendmentStatus;
    let kind = match a.status {
        AmendmentStatus::Accepted => NotificationKind::AmendmentAccepted,
        AmendmentStatus::Returned => NotificationKind::AmendmentReturned,
        _ => return Ok(Vec::new()),
    };
    let mut recipients: BTreeSet<Uuid> =
        org_users(db, &[a.organization_id], &[Role::ContractorAdmin]).await?.into_iter().map(|u| u.id).collect();
    let submitter = user::Entity::find_by_id(a.submitted_by).one(db).await?;
    if let Some(u) = submitter.filter(|u| u.is_active && u.organization_id == Some(a.organization_id)) {
        recipients.insert(u.id);
    }
    let mut params = amendment_params(db, a).await?;
    if let Some(r) = &a.return_reason {
        params.insert("reason".to_owned(), r.clone());
    }
    notify(db, &recipients, kind, a.id, &format!("{}:{}", kind.as_str(), a.id), &params, now).await
}

/// After a filing is submitted or resubmitted (inside that transaction): the active inspectors
/// of its county hear that it waits for their review. Once per filing and version.
pub async fn filing_submitted(
    db: &impl ConnectionTrait,
    f: &filing::Model,
    site_name: &str,
    organization_name: &str,
    now: DateTime<Utc>,
) -> ServiceResult<Vec<notification::Model>> {
    let recipients: BTreeSet<Uuid> =
        county_inspectors(db, [f.county_code.clone()]).await?.into_iter().map(|u| u.id).collect();
    let mut params = BTreeMap::new();
    params.insert("site_name".to_owned(), site_name.to_owned());
    params.insert("organization_name".to_owned(), organization_name.to_owned());
    let kind = NotificationKind::FilingSubmitted;
    notify(db, &recipients, kind, f.id, &format!("{}:{}:{}", kind.as_str(), f.id, f.version), &params, now).await
}

/// A watched machine named in a submitted filing (`WatchedMachineFiled`, once per filing and
/// machine) or logged entering its site (`WatchedMachineEntered`, once per movement), inside
/// that change's transaction: the inspectors of `counties` (the filing's and those behind the
/// machine's reasons) hear of it, with the reasons (`kinds`). `event` names the occasion in the
/// notification's dedup key.
#[expect(clippy::too_many_arguments, reason = "one notice, every fact it names")]
pub async fn watched_machine_at_site(
    db: &impl ConnectionTrait,
    kind: NotificationKind,
    f: &filing::Model,
    machine_id: Uuid,
    kinds: &BTreeSet<crate::watchlist::WatchKind>,
    counties: BTreeSet<String>,
    event: Uuid,
    now: DateTime<Utc>,
) -> ServiceResult<Vec<notification::Model>> {
    let recipients: BTreeSet<Uuid> = county_inspectors(db, counties).await?.into_iter().map(|u| u.id).collect();
    let site_name = site::Entity::find_by_id(f.site_id).one(db).await?.map(|s| s.name).unwrap_or_default();
    let org = organization::Entity::find_by_id(f.organization_id).one(db).await?;
    let mut params = watched_params(db, machine_id, kinds).await?;
    params.insert("site_name".to_owned(), site_name);
    params.insert("organization_name".to_owned(), org.map(|o| o.name).unwrap_or_default());
    notify(db, &recipients, kind, f.id, &format!("{}:{event}:{machine_id}", kind.as_str()), &params, now).await
}

/// A watched machine looked up by an official (inside its own transaction): the inspectors of
/// `counties` (those behind its reasons, but the looker's own) hear which county looked it up,
/// once a day per machine and looking division.
pub async fn watched_machine_seen(
    db: &impl ConnectionTrait,
    machine_id: Uuid,
    looker_division: Option<&str>,
    kinds: &BTreeSet<crate::watchlist::WatchKind>,
    counties: BTreeSet<String>,
    now: DateTime<Utc>,
) -> ServiceResult<Vec<notification::Model>> {
    let recipients: BTreeSet<Uuid> = county_inspectors(db, counties).await?.into_iter().map(|u| u.id).collect();
    let mut params = watched_params(db, machine_id, kinds).await?;
    let division = match looker_division {
        Some(code) => crate::db::entities::division::Entity::find_by_id(code.to_owned()).one(db).await?.map(|d| d.name),
        None => None,
    };
    params.insert("division_name".to_owned(), division.unwrap_or_else(|| "—".to_owned()));
    let kind = NotificationKind::WatchedMachineSeen;
    let day = crate::dates::china_date(now);
    let key = format!("{}:{machine_id}:{}:{day}", kind.as_str(), looker_division.unwrap_or("-"));
    notify(db, &recipients, kind, machine_id, &key, &params, now).await
}

/// What every watch-list notification says of the machine: its name, code and reasons.
async fn watched_params(
    db: &impl ConnectionTrait,
    machine_id: Uuid,
    kinds: &BTreeSet<crate::watchlist::WatchKind>,
) -> ServiceResult<BTreeMap<String, String>> {
    let m = machine::Entity::find_by_id(machine_id).one(db).await?;
    let mut params = BTreeMap::new();
    params.insert("machine_name".to_owned(), m.as_ref().map(|m| m.name.clone()).unwrap_or_default());
    params.insert("registration_code".to_owned(), m.and_then(|m| m.registration_code).unwrap_or_default());
    params.insert("reasons".to_owned(), kinds.iter().map(|k| k.as_str()).collect::<Vec<_>>().join(","));
    Ok(params)
}

/// The facts a case's notifications show: the machine (or "—" for an unregistered one), the
/// site, the case's kind, deadline and penalty, the machine owner's name.
async fn case_params(db: &impl ConnectionTrait, c: &case::Model) -> ServiceResult<BTreeMap<String, String>> {
    let machine = match c.machine_id {
        Some(id) => machine::Entity::find_by_id(id).one(db).await?,
        None => None,
    };
    let site_name = site::Entity::find_by_id(c.site_id).one(db).await?.map(|s| s.name).unwrap_or_default();
    let org_id = c.organization_id.unwrap_or(c.site_organization_id);
    let org = organization::Entity::find_by_id(org_id).one(db).await?;
    let mut params = BTreeMap::new();
    params.insert("machine_name".to_owned(), machine.map(|m| m.name).unwrap_or_else(|| "—".to_owned()));
    params.insert("site_name".to_owned(), site_name);
    params.insert("case_kind".to_owned(), c.kind.as_str().to_owned());
    params.insert("organization_name".to_owned(), org.map(|o| o.name).unwrap_or_default());
    if let Some(d) = c.deadline_on {
        params.insert("deadline_on".to_owned(), d.to_string());
    }
    if let Some(y) = c.penalty_yuan {
        params.insert("penalty_yuan".to_owned(), y.to_string());
    }
    Ok(params)
}

/// After a case is opened, ordered to correct, penalised or closed (inside that transaction):
/// the administrators of the units involved — the machine's owner and the site's unit — hear
/// of it. Once per case, kind and version. Other states tell nobody.
pub async fn case_changed(
    db: &impl ConnectionTrait,
    c: &case::Model,
    now: DateTime<Utc>,
) -> ServiceResult<Vec<notification::Model>> {
    let kind = match c.state {
        CaseState::Open => NotificationKind::CaseOpened,
        CaseState::RectificationOrdered => NotificationKind::CaseRectificationOrdered,
        CaseState::Penalized => NotificationKind::CasePenalized,
        CaseState::Closed => NotificationKind::CaseClosed,
        _ => return Ok(Vec::new()),
    };
    let orgs: Vec<Uuid> = [c.organization_id, Some(c.site_organization_id)].into_iter().flatten().collect();
    let recipients: BTreeSet<Uuid> =
        org_users(db, &orgs, &[Role::ContractorAdmin]).await?.into_iter().map(|u| u.id).collect();
    let params = case_params(db, c).await?;
    notify(db, &recipients, kind, c.id, &format!("{}:{}:{}", kind.as_str(), c.id, c.version), &params, now).await
}

/// After a unit adds evidence to a case (inside that transaction): the active inspectors of
/// the case's county hear that it waits for them. Once per case and China day, however many
/// photos the unit adds that day.
pub async fn case_evidence_added(
    db: &impl ConnectionTrait,
    case_id: Uuid,
    now: DateTime<Utc>,
) -> ServiceResult<Vec<notification::Model>> {
    let Some(c) = case::Entity::find_by_id(case_id).one(db).await? else { return Ok(Vec::new()) };
    let recipients: BTreeSet<Uuid> =
        county_inspectors(db, [c.county_code.clone()]).await?.into_iter().map(|u| u.id).collect();
    let params = case_params(db, &c).await?;
    let kind = NotificationKind::CaseEvidenceAdded;
    let day = crate::dates::china_date(now);
    notify(db, &recipients, kind, c.id, &format!("{}:{}:{day}", kind.as_str(), c.id), &params, now).await
}

/// The deadline sweep at `now`: every case ordered to correct whose deadline is within
/// `deadline_near_days` (China date) gets a "near" notification to the construction units
/// involved; every one whose deadline has passed an "overdue" one to them and to the county's
/// inspectors. One notification per case, kind and recipient, however often the sweep runs.
#[tracing::instrument(skip(state))]
pub async fn sweep_deadlines(state: &AppState, now: DateTime<Utc>) -> ServiceResult<SweepReport> {
    let db = &state.db;
    let today = crate::dates::china_date(now);
    let horizon = today + chrono::Duration::days(state.settings.deadline_near_days.max(0));
    let due = case::Entity::find()
        .filter(case::Column::State.eq(CaseState::RectificationOrdered))
        .filter(case::Column::DeadlineOn.is_not_null())
        .filter(case::Column::DeadlineOn.lte(horizon))
        .order_by_asc(case::Column::Id)
        .all(db)
        .await?;
    let mut report = SweepReport::default();
    if due.is_empty() {
        return Ok(report);
    }
    let orgs: Vec<Uuid> = due
        .iter()
        .flat_map(|c| [c.organization_id, Some(c.site_organization_id)])
        .flatten()
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    let mut admins: HashMap<Uuid, Vec<Uuid>> = HashMap::new();
    for u in org_users(db, &orgs, &[Role::ContractorAdmin]).await? {
        if let Some(o) = u.organization_id {
            admins.entry(o).or_default().push(u.id);
        }
    }
    let counties: HashSet<String> = due.iter().map(|c| c.county_code.clone()).collect();
    let mut inspectors: HashMap<String, Vec<Uuid>> = HashMap::new();
    for u in county_inspectors(db, counties).await? {
        if let Some(d) = u.division_code.clone() {
            inspectors.entry(d).or_default().push(u.id);
        }
    }
    let machine_names: HashMap<Uuid, String> = machine::Entity::find()
        .select_only()
        .column(machine::Column::Id)
        .column(machine::Column::Name)
        .filter(machine::Column::Id.is_in(due.iter().filter_map(|c| c.machine_id)))
        .into_tuple::<(Uuid, String)>()
        .all(db)
        .await?
        .into_iter()
        .collect();
    let site_names: HashMap<Uuid, String> = site::Entity::find()
        .select_only()
        .column(site::Column::Id)
        .column(site::Column::Name)
        .filter(site::Column::Id.is_in(due.iter().map(|c| c.site_id)))
        .into_tuple::<(Uuid, String)>()
        .all(db)
        .await?
        .into_iter()
        .collect();
    // Who already has which key: only the missing ones are written (the unique index still
    // guards two sweeps running at once).
    let keys: Vec<String> = due
        .iter()
        .flat_map(|c| {
            [NotificationKind::CaseDeadlineNear, NotificationKind::CaseDeadlineOverdue]
                .map(|k| format!("{}:{}", k.as_str(), c.id))
        })
        .collect();
    let mut existing: HashSet<(Uuid, String)> = HashSet::new();
    for chunk in keys.chunks(500) {
        existing.extend(
            notification::Entity::find()
                .select_only()
                .column(notification::Column::UserId)
                .column(notification::Column::DedupKey)
                .filter(notification::Column::DedupKey.is_in(chunk.iter().cloned()))
                .into_tuple::<(Uuid, String)>()
                .all(db)
                .await?,
        );
    }
    let mut created_rows = Vec::new();
    for c in &due {
        let Some(deadline) = c.deadline_on else { continue };
        let overdue = crate::cases::is_overdue(CaseState::RectificationOrdered, Some(deadline), today);
        let kind = if overdue { NotificationKind::CaseDeadlineOverdue } else { NotificationKind::CaseDeadlineNear };
        let key = format!("{}:{}", kind.as_str(), c.id);
        let mut recipients: BTreeSet<Uuid> = BTreeSet::new();
        for org in [c.organization_id, Some(c.site_organization_id)].into_iter().flatten() {
            recipients.extend(admins.get(&org).into_iter().flatten().copied());
        }
        if overdue {
            recipients.extend(inspectors.get(&c.county_code).into_iter().flatten().copied());
        }
        recipients.retain(|u| !existing.contains(&(*u, key.clone())));
        if recipients.is_empty() {
            continue;
        }
        let mut params = BTreeMap::new();
        params.insert("deadline_on".to_owned(), deadline.to_string());
        params.insert("site_name".to_owned(), site_names.get(&c.site_id).cloned().unwrap_or_default());
        params.insert(
            "machine_name".to_owned(),
            c.machine_id.and_then(|m| machine_names.get(&m).cloned()).unwrap_or_default(),
        );
        let rows = notify(db, &recipients, kind, c.id, &key, &params, now).await?;
        if !rows.is_empty() {
            if overdue {
                report.overdue += 1;
            } else {
                report.near += 1;
            }
            report.created += rows.len() as u64;
        }
        created_rows.extend(rows);
    }
    send_out(state, &created_rows).await;
    if report.created > 0 {
        tracing::info!(near = report.near, overdue = report.overdue, created = report.created, "deadline sweep");
    }
    Ok(report)
}

fn to_dto(row: notification::Model) -> ServiceResult<Notification> {
    let kind = row.kind;
    Ok(Notification {
        id: row.id,
        kind,
        subject_id: row.subject_id,
        link: link_for(kind, row.subject_id),
        params: serde_json::from_str(&row.params).map_err(ServiceError::internal)?,
        read: row.is_read,
        created_at: row.created_at,
        read_at: row.read_at,
    })
}

/// The cursor of a page: which part (unread first, then read) and the last id.
fn parse_cursor(page: &PageQuery) -> ServiceResult<Option<(bool, Uuid)>> {
    let Some(c) = page.cursor.as_deref().filter(|c| !c.is_empty()) else { return Ok(None) };
    let invalid = || ServiceError::from(AppError::field("cursor", FieldCode::Invalid));
    let (read, id) = match c.split_once(':') {
        Some(("u", id)) => (false, id),
        Some(("r", id)) => (true, id),
        _ => return Err(invalid()),
    };
    Ok(Some((read, Uuid::try_parse(id).map_err(|_| invalid())?)))
}

/// The caller's notifications: unread first, newest first within each part.
pub async fn list(state: &AppState, principal: &Principal, page: &PageQuery) -> ServiceResult<Page<Notification>> {
    let limit = page.limit();
    let mut q = notification::Entity::find().filter(notification::Column::UserId.eq(principal.user_id));
    match parse_cursor(page)? {
        None => {}
        Some((false, id)) => {
            q = q.filter(
                Condition::any()
                    .add(
                        Condition::all()
                            .add(notification::Column::IsRead.eq(false))
                            .add(notification::Column::Id.lt(id)),
                    )
                    .add(notification::Column::IsRead.eq(true)),
            );
        }
        Some((true, id)) => {
            q = q.filter(notification::Column::IsRead.eq(true)).filter(notification::Column::Id.lt(id));
        }
    }
    let mut rows = q
        .order_by_asc(notification::Column::IsRead)
        .order_by_desc(notification::Column::Id)
        .limit(limit + 1)
        .all(&state.db)
        .await?;
    let more = rows.len() as u64 > limit;
    rows.truncate(limit as usize);
    let next_cursor =
        if more { rows.last().map(|r| format!("{}:{}", if r.is_read { "r" } else { "u" }, r.id)) } else { None };
    Ok(Page { items: rows.into_iter().map(to_dto).collect::<ServiceResult<_>>()?, next_cursor })
}

/// How many of the caller's notifications are unread.
pub async fn unread_count(state: &AppState, principal: &Principal) -> ServiceResult<UnreadCount> {
    let unread = notification::Entity::find()
        .filter(notification::Column::UserId.eq(principal.user_id))
        .filter(notification::Column::IsRead.eq(false))
        .count(&state.db)
        .await?;
    Ok(UnreadCount { unread })
}

/// Marks one of the caller's notifications read (idempotent); someone else's is 404.
pub async fn mark_read(state: &AppState, principal: &Principal, id: Uuid) -> ServiceResult<Notification> {
    let row = notification::Entity::find_by_id(id)
        .filter(notification::Column::UserId.eq(principal.user_id))
        .one(&state.db)
        .await?
        .ok_or(AppError::NotFound)?;
    if row.is_read {
        audit::service::no_change_to_record();
        return to_dto(row);
    }
    let now = state.clock.now();
    let txn = state.db.begin().await?;
    notification::Entity::update_many()
        .col_expr(notification::Column::IsRead, Expr::value(true))
        .col_expr(notification::Column::ReadAt, Expr::value(Some(now)))
        .filter(notification::Column::Id.eq(id))
        .filter(notification::Column::UserId.eq(principal.user_id))
        .filter(notification::Column::IsRead.eq(false))
        .exec(&txn)
        .await?;
    let after = to_dto(notification::Entity::find_by_id(id).one(&txn).await?.ok_or(AppError::NotFound)?)?;
    let e = audit::entry(Action::Update, EntityKind::Notification).by(principal).id(id);
    audit::record(&txn, now, e.before(&to_dto(row)?).after(&after)).await?;
    txn.commit().await?;
    Ok(after)
}

/// Marks all of the caller's notifications read.
pub async fn mark_all_read(state: &AppState, principal: &Principal) -> ServiceResult<MarkedRead> {
    let now = state.clock.now();
    let txn = state.db.begin().await?;
    let res = notification::Entity::update_many()
        .col_expr(notification::Column::IsRead, Expr::value(true))
        .col_expr(notification::Column::ReadAt, Expr::value(Some(now)))
        .filter(notification::Column::UserId.eq(principal.user_id))
        .filter(notification::Column::IsRead.eq(false))
        .exec(&txn)
        .await?;
    // One row per notification this marked (those read at this very instant).
    let marked = notification::Entity::find()
        .filter(notification::Column::UserId.eq(principal.user_id))
        .filter(notification::Column::ReadAt.eq(now))
        .all(&txn)
        .await?;
    let entries = marked
        .into_iter()
        .map(|n| {
            let before = serde_json::json!({"is_read": false, "read_at": null});
            let after = serde_json::json!({"is_read": n.is_read, "read_at": n.read_at});
            audit::entry(Action::Update, EntityKind::Notification).by(principal).id(n.id).before(&before).after(&after)
        })
        .collect();
    audit::service::record_many(&txn, now, entries).await?;
    txn.commit().await?;
    Ok(MarkedRead { updated: res.rows_affected })
}
