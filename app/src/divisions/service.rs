//! Division queries: one division, the divisions above one (with the bounds that apply to it),
//! and the counties under a division.

use super::{Bounds, Division, Level, effective_bounds};
use crate::db::entities::division;
use crate::service_error::ServiceResult;
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

fn to_dto(m: division::Model) -> Option<Division> {
    Some(Division { level: Level::parse(&m.level)?, code: m.code, name: m.name, parent_code: m.parent_code })
}

/// One division by code.
pub async fn get(db: &impl ConnectionTrait, code: &str) -> ServiceResult<Option<Division>> {
    Ok(division::Entity::find_by_id(code.to_owned()).one(db).await?.and_then(to_dto))
}

/// A division and the divisions above it, nearest first (county, city, province), by their
/// parent links (one query: a parent's code shares the child's leading digits). Empty when the
/// code is unknown.
pub async fn ancestry(db: &impl ConnectionTrait, code: &str) -> ServiceResult<Vec<division::Model>> {
    if !super::is_division_code(code) {
        return Ok(vec![]);
    }
    let candidates = [code.to_owned(), format!("{}00", &code[..4]), format!("{}0000", &code[..2])];
    let mut found: std::collections::HashMap<String, division::Model> = division::Entity::find()
        .filter(division::Column::Code.is_in(candidates))
        .all(db)
        .await?
        .into_iter()
        .map(|d| (d.code.clone(), d))
        .collect();
    let mut chain = Vec::new();
    let mut next = Some(code.to_owned());
    while let Some(c) = next {
        let Some(d) = found.remove(&c) else { break };
        next = d.parent_code.clone();
        chain.push(d);
    }
    Ok(chain)
}

/// The stored bounds of a division row.
pub fn own_bounds(d: &division::Model) -> Option<Bounds> {
    Bounds::from_parts(d.lat_min, d.lat_max, d.lng_min, d.lng_max)
}

/// The bounds that apply to a division: its own, else the nearest division's above it.
pub async fn bounds_of(db: &impl ConnectionTrait, code: &str) -> ServiceResult<Option<Bounds>> {
    let chain: Vec<Option<Bounds>> = ancestry(db, code).await?.iter().map(own_bounds).collect();
    Ok(effective_bounds(&chain))
}

/// The counties (or other children) under `parent`, each with the bounds that apply to it.
pub async fn children_with_bounds(
    db: &impl ConnectionTrait,
    parent: &str,
) -> ServiceResult<Vec<crate::sites::CountyChoice>> {
    let above: Vec<Option<Bounds>> = ancestry(db, parent).await?.iter().map(own_bounds).collect();
    Ok(division::Entity::find()
        .filter(division::Column::ParentCode.eq(parent))
        .order_by_asc(division::Column::Code)
        .all(db)
        .await?
        .into_iter()
        .map(|d| {
            let mut chain = vec![own_bounds(&d)];
            chain.extend(above.iter().copied());
            crate::sites::CountyChoice { bounds: effective_bounds(&chain), code: d.code, name: d.name }
        })
        .collect())
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

/// Division names by code (one query); a code without a row is absent.
pub async fn names(
    db: &impl ConnectionTrait,
    codes: impl IntoIterator<Item = String>,
) -> ServiceResult<std::collections::HashMap<String, String>> {
    let codes: std::collections::HashSet<String> = codes.into_iter().collect();
    if codes.is_empty() {
        return Ok(Default::default());
    }
    Ok(division::Entity::find()
        .select_only()
        .column(division::Column::Code)
        .column(division::Column::Name)
        .filter(division::Column::Code.is_in(codes))
        .into_tuple::<(String, String)>()
        .all(db)
        .await?
        .into_iter()
        .collect())
}
