//! Keyset pagination shared by every list: `limit` (default 50, max 500) and an opaque
//! `cursor`; answers `{items, next_cursor}` (API.md).

use crate::error::FieldCode;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The default page size.
pub const DEFAULT_LIMIT: u64 = 50;
/// The largest page size.
pub const MAX_LIMIT: u64 = 500;

/// A page of a list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Pass as `cursor` to get the next page; `null` on the last page.
    pub next_cursor: Option<String>,
}

/// `?limit=&cursor=` of a list request.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::IntoParams))]
pub struct PageQuery {
    /// Items per page, 1–500 (default 50).
    pub limit: Option<u64>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

impl PageQuery {
    /// The page size, clamped to 1–500.
    pub fn limit(&self) -> u64 {
        self.limit.unwrap_or(DEFAULT_LIMIT).clamp(1, MAX_LIMIT)
    }

    /// The id after which the page starts; a cursor that is not ours is a validation error.
    pub fn after(&self) -> Result<Option<Uuid>, crate::error::AppError> {
        match self.cursor.as_deref().filter(|c| !c.is_empty()) {
            None => Ok(None),
            Some(c) => {
                Uuid::try_parse(c).map(Some).map_err(|_| crate::error::AppError::field("cursor", FieldCode::Invalid))
            }
        }
    }
}

/// Builds a page from `limit + 1` fetched rows: the extra row only says there is more.
pub fn page_from<T>(mut rows: Vec<T>, limit: u64, id_of: impl Fn(&T) -> Uuid) -> Page<T> {
    let more = rows.len() as u64 > limit;
    rows.truncate(limit as usize);
    let next_cursor = if more { rows.last().map(|r| id_of(r).to_string()) } else { None };
    Page { items: rows, next_cursor }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_are_clamped() {
        assert_eq!(PageQuery::default().limit(), 50);
        assert_eq!(PageQuery { limit: Some(0), cursor: None }.limit(), 1);
        assert_eq!(PageQuery { limit: Some(10_000), cursor: None }.limit(), 500);
    }

    #[test]
    fn cursors() {
        assert_eq!(PageQuery::default().after(), Ok(None));
        assert!(PageQuery { limit: None, cursor: Some("nope".into()) }.after().is_err());
        let id = Uuid::new_v4();
        assert_eq!(PageQuery { limit: None, cursor: Some(id.to_string()) }.after(), Ok(Some(id)));
    }

    #[test]
    fn pages() {
        let ids: Vec<Uuid> = (0..3).map(|_| Uuid::new_v4()).collect();
        let p = page_from(ids.clone(), 2, |u| *u);
        assert_eq!(p.items.len(), 2);
        assert_eq!(p.next_cursor, Some(ids[1].to_string()));
        let p = page_from(ids, 3, |u| *u);
        assert_eq!(p.next_cursor, None);
    }
}
