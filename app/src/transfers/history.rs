//! A machine's history across its owners: who owned it when, and which of its inspections and
//! cases a construction unit sees. The owner at the time stays on every inspection and case
//! (`organization_id`), so a unit always sees what was recorded while it owned the machine; on
//! top of that, the current owner sees the machine's whole record (its compliance history
//! travels with it), and a former owner everything recorded before it handed the machine over.

use super::{Ownership, TransferStatus};
use crate::auth::service::Principal;
use crate::db::entities::{machine, machine_transfer, organization};
use crate::service_error::ServiceResult;
use crate::state::AppState;
use sea_orm::sea_query::{Expr, ExprTrait, IntoIden, Query};
use sea_orm::{ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder};
use std::collections::HashMap;
use uuid::Uuid;

/// The records of machines (`table.machine` names the machine, `table.recorded` when the record
/// was made) that the unit `org` sees beyond its own: all records of the machines it owns now,
/// and those made before it handed a machine over by an accepted transfer.
pub fn unit_sees<T, C>(org: Uuid, table: T, machine_col: C, recorded_col: C) -> Condition
where
    T: IntoIden + Copy + 'static,
    C: IntoIden + Copy + 'static,
{
    let owned_now = Query::select()
        .column((machine::Entity, machine::Column::Id))
        .from(machine::Entity)
        .and_where(Expr::col((machine::Entity, machine::Column::OrganizationId)).eq(org))
        .to_owned();
    let handed_over_later = Query::select()
        .expr(Expr::val(1))
        .from(machine_transfer::Entity)
        .and_where(
            Expr::col((machine_transfer::Entity, machine_transfer::Column::MachineId)).equals((table, machine_col)),
        )
        .and_where(Expr::col((machine_transfer::Entity, machine_transfer::Column::FromOrganizationId)).eq(org))
        .and_where(
            Expr::col((machine_transfer::Entity, machine_transfer::Column::Status))
                .eq(TransferStatus::Accepted.as_str()),
        )
        .and_where(
            Expr::col((table, recorded_col))
                .lt(Expr::col((machine_transfer::Entity, machine_transfer::Column::DecidedAt))),
        )
        .to_owned();
    Condition::any().add(Expr::col((table, machine_col)).in_subquery(owned_now)).add(Expr::exists(handed_over_later))
}

/// Who owned a machine the caller may see (404 otherwise), and from which day to which.
pub async fn ownership(state: &AppState, principal: &Principal, machine_id: Uuid) -> ServiceResult<Vec<Ownership>> {
    let m = crate::machines::service::find_visible(state, principal, machine_id).await?;
    let transfers = machine_transfer::Entity::find()
        .filter(machine_transfer::Column::MachineId.eq(m.id))
        .filter(machine_transfer::Column::Status.eq(TransferStatus::Accepted.as_str()))
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
