//! The one query behind the public label check. It reads only the fields the page may show.

use super::{PublicCounty, PublicInspection, PublicMachine, PublicMachineType, PublicStatus};
use crate::db::entities::{inspection, machine, machine_type, organization};
use crate::error::AppError;
use crate::machines::EmissionStage;
use crate::machines::regcode::RegistrationCode;
use crate::service_error::{ServiceError, ServiceResult};
use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};

/// The public facts of the machine registered under `raw_code` at `now`. A code that fails its
/// check character, or that no machine carries, is 404.
pub async fn check(db: &impl ConnectionTrait, raw_code: &str, now: DateTime<Utc>) -> ServiceResult<PublicMachine> {
    let code = RegistrationCode::parse(raw_code).map_err(|_| AppError::NotFound)?;
    let m = machine::Entity::find()
        .filter(machine::Column::RegistrationCode.eq(code.to_string()))
        .one(db)
        .await?
        .ok_or(AppError::NotFound)?;
    let today = crate::dates::china_date(now);
    let ids = [m.id];
    let (mtype, owner, filings, last, cases) = tokio::try_join!(
        async { Ok::<_, ServiceError>(machine_type::Entity::find_by_id(m.machine_type.clone()).one(db).await?) },
        async { Ok(organization::Entity::find_by_id(m.organization_id).one(db).await?) },
        crate::filings::in_force::current_filings(db, &ids, today),
        async {
            Ok(inspection::Entity::find()
                .filter(inspection::Column::MachineId.eq(m.id))
                .order_by_desc(inspection::Column::InspectedAt)
                .order_by_desc(inspection::Column::Id)
                .one(db)
                .await?)
        },
        crate::cases::service::unresolved_for_machine(db, m.id),
    )?;
    let current_county = match filings.get(&m.id) {
        Some(f) => Some(PublicCounty {
            name: crate::divisions::service::get(db, &f.county_code).await?.map(|d| d.name).unwrap_or_default(),
            code: f.county_code.clone(),
        }),
        None => None,
    };
    let last_inspection = last
        .map(|i| {
            Ok::<_, ServiceError>(PublicInspection {
                verdict: i.verdict,
                inspected_on: crate::dates::china_date(i.inspected_at),
            })
        })
        .transpose()?;
    Ok(PublicMachine {
        registration_code: code.to_string(),
        status: if current_county.is_some() { PublicStatus::RegisteredOnSite } else { PublicStatus::Registered },
        registered_on: m.registered_at.map(crate::dates::china_date),
        machine_type: match mtype {
            Some(t) => PublicMachineType { code: t.code, name_zh: t.name_zh, name_en: t.name_en },
            None => PublicMachineType {
                code: m.machine_type.clone(),
                name_zh: m.machine_type.clone(),
                name_en: m.machine_type,
            },
        },
        emission_stage: EmissionStage::parse(&m.emission_stage)
            .ok_or_else(|| ServiceError::internal("stored stage"))?,
        owner: owner.map(|o| o.name).unwrap_or_default(),
        current_county,
        last_inspection,
        unresolved_case: !cases.is_empty(),
    })
}
