//! Division queries: one division, and the counties under a division.

use super::{Division, Level};
use crate::db::entities::division;
use crate::service_error::ServiceResult;
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};

fn to_dto(m: division::Model) -> Option<Division> {
    Some(Division { level: Level::parse(&m.level)?, code: m.code, name: m.name, parent_code: m.parent_code })
}

/// One division by code.
pub async fn get(db: &impl ConnectionTrait, code: &str) -> ServiceResult<Option<Division>> {
    Ok(division::Entity::find_by_id(code.to_owned()).one(db).await?.and_then(to_dto))
}

/// The direct children of a division (cities of a province, counties of a city), by code.
pub async fn children(db: &impl ConnectionTrait, code: &str) -> ServiceResult<Vec<Division>> {
    Ok(division::Entity::find()
        .filter(division::Column::ParentCode.eq(code))
        .order_by_asc(division::Column::Code)
        .all(db)
        .await?
        .into_iter()
        .filter_map(to_dto)
        .collect())
}

/// The county codes under a division: a county itself, the counties of a city, the counties of
/// every city of a province (and any county attached directly to a province). Empty when the
/// code is unknown.
pub async fn counties_under(db: &impl ConnectionTrait, code: &str) -> ServiceResult<Vec<String>> {
    let Some(d) = get(db, code).await? else { return Ok(vec![]) };
    let counties = match d.level {
        Level::County => vec![d.code],
        Level::City | Level::Province => {
            let cities: Vec<String> = if d.level == Level::Province {
                children(db, &d.code).await?.into_iter().map(|c| c.code).collect()
            } else {
                vec![]
            };
            division::Entity::find()
                .filter(division::Column::Level.eq(Level::County.as_str()))
                .filter(
                    Condition::any()
                        .add(division::Column::ParentCode.eq(d.code.clone()))
                        .add(division::Column::ParentCode.is_in(cities)),
                )
                .order_by_asc(division::Column::Code)
                .all(db)
                .await?
                .into_iter()
                .map(|m| m.code)
                .collect()
        }
    };
    Ok(counties)
}

/// The children of `parent`, or the top-level divisions (provinces) without one.
pub async fn children_or_roots(db: &impl ConnectionTrait, parent: Option<&str>) -> ServiceResult<Vec<Division>> {
    match parent {
        Some(code) => children(db, code).await,
        None => Ok(division::Entity::find()
            .filter(division::Column::ParentCode.is_null())
            .order_by_asc(division::Column::Code)
            .all(db)
            .await?
            .into_iter()
            .filter_map(to_dto)
            .collect()),
    }
}

/// A division and every division under it (its cities and their counties), by code; empty when
/// the code is unknown. Administrators' reach over accounts is this set.
pub async fn subtree(db: &impl ConnectionTrait, code: &str) -> ServiceResult<Vec<String>> {
    let Some(d) = get(db, code).await? else { return Ok(vec![]) };
    let mut codes = vec![d.code.clone()];
    let mut frontier = vec![d.code];
    // Three levels at most: two rounds reach the counties of a province's cities.
    for _ in 0..2 {
        if frontier.is_empty() {
            break;
        }
        let next: Vec<String> = division::Entity::find()
            .filter(division::Column::ParentCode.is_in(frontier))
            .order_by_asc(division::Column::Code)
            .all(db)
            .await?
            .into_iter()
            .map(|m| m.code)
            .collect();
        codes.extend(next.iter().cloned());
        frontier = next;
    }
    codes.sort();
    Ok(codes)
}
