//! The one scoping rule: what a signed-in user may see.
//!
//! A county inspector sees their county; a city officer the counties of their city; a province
//! officer every county of the province; a partner department the counties of its division;
//! a construction unit's staff their own organisation; a system administrator everything.
//! Every service asks this type, and a record outside the scope is answered as "not found".

use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// What a user may see.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Scope {
    /// Everything (system administrators).
    All,
    /// Records located in these counties (sorted codes).
    Counties(Vec<String>),
    /// Records belonging to this organisation.
    Organization(Uuid),
    /// Nothing (an account whose division or organisation is missing).
    Nothing,
}

impl Scope {
    /// Whether a record located in `county_code` and owned by `organization_id` is visible.
    pub fn allows(&self, county_code: Option<&str>, organization_id: Option<Uuid>) -> bool {
        match self {
            Scope::All => true,
            Scope::Counties(codes) => {
                county_code.is_some_and(|c| codes.binary_search_by(|x| x.as_str().cmp(c)).is_ok())
            }
            Scope::Organization(org) => organization_id == Some(*org),
            Scope::Nothing => false,
        }
    }

    /// Whether a county is inside the scope (organisations see no county as a whole).
    pub fn allows_county(&self, county_code: &str) -> bool {
        self.allows(Some(county_code), None)
    }

    /// The organisation, for contractor scopes.
    pub fn organization(&self) -> Option<Uuid> {
        match self {
            Scope::Organization(org) => Some(*org),
            _ => None,
        }
    }
}

#[cfg(feature = "ssr")]
mod resolve {
    use super::Scope;
    use crate::auth::Role;
    use crate::auth::service::Principal;
    use crate::service_error::ServiceResult;
    use sea_orm::{ColumnTrait, Condition, ConnectionTrait};

    impl Scope {
        /// The scope of a signed-in user, with the divisions read from the database (unless the
        /// account's division was read with it and is a county).
        pub async fn resolve(db: &impl ConnectionTrait, principal: &Principal) -> ServiceResult<Scope> {
            Ok(match principal.role {
                Role::Sysadmin => Scope::All,
                Role::ContractorAdmin | Role::ContractorStaff => match principal.organization_id {
                    Some(org) => Scope::Organization(org),
                    None => Scope::Nothing,
                },
                Role::CountyInspector | Role::CityOfficer | Role::ProvinceOfficer | Role::PartnerViewer => {
                    match &principal.division_code {
                        // A county's own code is all of its scope (what `counties_under` answers).
                        Some(code) if principal.division_level == Some(crate::divisions::Level::County) => {
                            Scope::Counties(vec![code.clone()])
                        }
                        Some(code) => {
                            let mut counties = crate::divisions::service::counties_under(db, code).await?;
                            counties.sort();
                            if counties.is_empty() { Scope::Nothing } else { Scope::Counties(counties) }
                        }
                        None => Scope::Nothing,
                    }
                }
            })
        }

        /// The same rule as a query condition: `county` is the record's county column and
        /// `organization` its owner column, where the table has them.
        pub fn condition<C: ColumnTrait>(&self, county: Option<C>, organization: Option<C>) -> Condition {
            let never = Condition::all().add(sea_orm::sea_query::Expr::cust("1 = 0"));
            match self {
                Scope::All => Condition::all(),
                Scope::Counties(codes) => match county {
                    Some(col) => Condition::all().add(col.is_in(codes.iter().cloned())),
                    None => never,
                },
                Scope::Organization(org) => match organization {
                    Some(col) => Condition::all().add(col.eq(*org)),
                    None => never,
                },
                Scope::Nothing => never,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counties_scope() {
        let s = Scope::Counties(vec!["140105".into(), "140106".into()]);
        assert!(s.allows_county("140105"));
        assert!(!s.allows_county("140107"));
        assert!(!s.allows(None, Some(Uuid::nil())));
    }

    #[test]
    fn organization_scope() {
        let org = Uuid::new_v4();
        let s = Scope::Organization(org);
        assert!(s.allows(Some("140105"), Some(org)));
        assert!(!s.allows(Some("140105"), Some(Uuid::new_v4())));
        assert!(!s.allows_county("140105"));
        assert_eq!(s.organization(), Some(org));
    }

    #[test]
    fn all_and_nothing() {
        assert!(Scope::All.allows(None, None));
        assert!(!Scope::Nothing.allows(Some("140105"), Some(Uuid::nil())));
    }
}
