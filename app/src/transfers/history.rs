//! A machine's history across its owners: who owned it when, and which of its inspections and
//! cases a construction unit sees. The owner at the time stays on every inspection and case
//! (`organization_id`), so a unit always sees what was recorded while it owned the machine; on
//! top of that, the current owner sees the machine's whole record (its compliance history
//! travels with it), and a former owner everything recorded before it handed the machine over.
//!
//! The unit's part of the transfer history is read once per request ([`UnitHistory::resolve`],
//! two small indexed queries) and becomes plain, indexable branches of the scope condition.

use super::{Ownership, TransferStatus};
use crate::auth::Scope;
use crate::auth::service::Principal;
use crate::db::entities::{machine, machine_transfer, organization};
use crate::service_error::ServiceResult;
use crate::state::AppState;
use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, IntoIden, Query};
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use std::collections::{BTreeMap, HashMap};
use uuid::Uuid;

/// Up to this many machines handed over, each gets its own `(machine = ? AND recorded < ?)`
/// branch (an index range each); beyond, one `machine IN (…)` branch checks the handover time
/// per row (SQLite parses a long `OR` chain as a tree as deep as the chain, at most 1,000).
pub const HANDED_OVER_BRANCHES_MAX: usize = 100;

/// What a construction unit sees of the machines that changed hands, beyond the records that
/// name it (as the owner at the time, or the owner of the site).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UnitHistory {
    /// The unit, when the scope is a unit's.
    pub organization: Option<Uuid>,
    /// Machines it received by an accepted transfer and owns now (sorted): their whole record.
    pub received: Vec<Uuid>,
    /// Machines it handed over, each with the moment of its (latest) handover: what was
    /// recorded before.
    pub handed_over: Vec<(Uuid, DateTime<Utc>)>,
}

impl UnitHistory {
    /// The history of the unit of `scope` (nothing for any other scope).
    pub async fn resolve(db: &impl ConnectionTrait, scope: &Scope) -> ServiceResult<UnitHistory> {
        let Some(org) = scope.organization() else { return Ok(UnitHistory::default()) };
        use machine_transfer::Column as T;
        let accepted = TransferStatus::Accepted.as_str();
        let candidates: Vec<Uuid> = machine_transfer::Entity::find()
            .select_only()
            .column(T::MachineId)
            .distinct()
            .filter(T::ToOrganizationId.eq(org))
            .filter(T::Status.eq(accepted))
            .into_tuple::<Uuid>()
            .all(db)
            .await?;
        let mut received: Vec<Uuid> = if candidates.is_empty() {
            Vec::new()
        } else {
            machine::Entity::find()
                .select_only()
                .column(machine::Column::Id)
                .filter(machine::Column::Id.is_in(candidates))
                .filter(machine::Column::OrganizationId.eq(org))
                .into_tuple::<Uuid>()
                .all(db)
                .await?
        };
        received.sort();
        let mut handed_over: BTreeMap<Uuid, DateTime<Utc>> = BTreeMap::new();
        for (m, at) in machine_transfer::Entity::find()
            .select_only()
            .column(T::MachineId)
            .column(T::DecidedAt)
            .filter(T::FromOrganizationId.eq(org))
            .filter(T::Status.eq(accepted))
            .into_tuple::<(Uuid, Option<DateTime<Utc>>)>()
            .all(db)
            .await?
        {
            if let Some(at) = at {
                let latest = handed_over.entry(m).or_insert(at);
                *latest = Ord::max(*latest, at);
            }
        }
        // A machine it owns again: its whole record is seen already.
        let handed_over = handed_over.into_iter().filter(|(m, _)| received.binary_search(m).is_err()).collect();
        Ok(UnitHistory { organization: Some(org), received, handed_over })
    }

    /// The records of machines (`machine` names the machine, `recorded` when the record was
    /// made) the unit sees through this history, as plain indexable branches: the machines it
    /// received and owns now, and per machine handed over, the records made before.
    pub fn condition<C: ColumnTrait>(&self, machine: C, recorded: C) -> Condition {
        self.condition_with(machine, recorded, HANDED_OVER_BRANCHES_MAX)
    }

    /// [`UnitHistory::condition`] with per-machine branches for at most `max_branches` machines
    /// handed over.
    pub fn condition_with<C: ColumnTrait>(&self, machine: C, recorded: C, max_branches: usize) -> Condition {
        let mut any = Condition::any();
        if !self.received.is_empty() {
            any = any.add(machine.is_in(self.received.iter().copied()));
        }
        match (self.organization, self.handed_over.len()) {
            (_, 0) => {}
            (_, n) if n <= max_branches => {
                for (m, at) in &self.handed_over {
                    any = any.add(Condition::all().add(machine.eq(*m)).add(recorded.lt(*at)));
                }
            }
            (None, _) => {}
            (Some(org), _) => {
                let handover = Query::select()
                    .expr(Expr::val(1))
                    .from(machine_transfer::Entity)
                    .and_where(
                        Expr::col((machine_transfer::Entity, machine_transfer::Column::MachineId))
                            .equals((machine.entity_name(), machine.into_iden())),
                    )
                    .and_where(
                        Expr::col((machine_transfer::Entity, machine_transfer::Column::FromOrganizationId)).eq(org),
                    )
                    .and_where(
                        Expr::col((machine_transfer::Entity, machine_transfer::Column::Status))
                            .eq(TransferStatus::Accepted.as_str()),
                    )
                    .and_where(
                        Expr::col((recorded.entity_name(), recorded.into_iden()))
                            .lt(Expr::col((machine_transfer::Entity, machine_transfer::Column::DecidedAt))),
                    )
                    .to_owned();
                any = any.add(
                    Condition::all()
                        .add(machine.is_in(self.handed_over.iter().map(|(m, _)| *m)))
                        .add(Expr::exists(handover)),
                );
            }
        }
        any
    }
}

/// Who owned `machine` (as read now, under its lock where it matters) at the instant `at`: the
/// seller of the first transfer accepted after `at`, or its current owner.
pub async fn owner_at(db: &impl ConnectionTrait, machine: &machine::Model, at: DateTime<Utc>) -> ServiceResult<Uuid> {
    let later = machine_transfer::Entity::find()
        .filter(machine_transfer::Column::MachineId.eq(machine.id))
        .filter(machine_transfer::Column::Status.eq(TransferStatus::Accepted))
        .filter(machine_transfer::Column::DecidedAt.gt(at))
        .order_by_asc(machine_transfer::Column::DecidedAt)
        .one(db)
        .await?;
    Ok(later.map_or(machine.organization_id, |t| t.from_organization_id))
}

/// For the unit `org` filing `machines` it owns: the first day of its ownership of each machine
/// it received by a transfer (the latest such transfer's effective day).
pub async fn owned_since(
    db: &impl ConnectionTrait,
    org: uuid::Uuid,
    machines: &[machine::Model],
) -> ServiceResult<HashMap<Uuid, NaiveDate>> {
    if machines.is_empty() {
        return Ok(HashMap::new());
    }
    let mut since: HashMap<Uuid, NaiveDate> = HashMap::new();
    for (m, day) in machine_transfer::Entity::find()
        .select_only()
        .column(machine_transfer::Column::MachineId)
        .column(machine_transfer::Column::EffectiveOn)
        .filter(machine_transfer::Column::MachineId.is_in(machines.iter().map(|m| m.id)))
        .filter(machine_transfer::Column::ToOrganizationId.eq(org))
        .filter(machine_transfer::Column::Status.eq(TransferStatus::Accepted))
        .into_tuple::<(Uuid, Option<NaiveDate>)>()
        .all(db)
        .await?
    {
        if let Some(day) = day {
            let latest = since.entry(m).or_insert(day);
            *latest = Ord::max(*latest, day);
        }
    }
    Ok(since)
}

/// Who owned a machine the caller may see (404 otherwise), and from which day to which.
pub async fn ownership(state: &AppState, principal: &Principal, machine_id: Uuid) -> ServiceResult<Vec<Ownership>> {
    let m = crate::machines::service::find_visible(state, principal, machine_id).await?;
    let transfers = machine_transfer::Entity::find()
        .filter(machine_transfer::Column::MachineId.eq(m.id))
        .filter(machine_transfer::Column::Status.eq(TransferStatus::Accepted))
        .order_by_asc(machine_transfer::Column::DecidedAt)
        .order_by_asc(machine_transfer::Column::Id)
        .all(&state.db)
        .await?;
    let mut org_ids: Vec<Uuid> = vec![m.organization_id];
    org_ids.extend(transfers.iter().flat_map(|t| [t.from_organization_id, t.to_organization_id]));
    let orgs: HashMap<Uuid, organization::Model> = organization::Entity::find()
        .filter(organization::Column::Id.is_in(org_ids))
        .all(&state.db)
        .await?
        .into_iter()
        .map(|o| (o.id, o))
        .collect();
    let period = |org: Uuid, from, until, transfer_id| {
        let o = orgs.get(&org);
        Ownership {
            organization_name: o.map(|o| o.name.clone()).unwrap_or_default(),
            uscc: o.map(|o| o.uscc.clone()).unwrap_or_default(),
            from,
            until,
            transfer_id,
        }
    };
    let mut out = Vec::with_capacity(transfers.len() + 1);
    let mut owner = transfers.first().map_or(m.organization_id, |t| t.from_organization_id);
    let mut since = crate::dates::china_date(m.created_at);
    let mut via = None;
    for t in &transfers {
        let day = t.effective_on.unwrap_or(t.transfer_on);
        out.push(period(owner, since, Some(day), via));
        (owner, since, via) = (t.to_organization_id, day, Some(t.id));
    }
    out.push(period(owner, since, None, via));
    Ok(out)
}
