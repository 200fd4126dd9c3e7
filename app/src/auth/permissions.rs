//! Who may do what: every named set of roles in one place, compiled for the browser and the
//! server, so a service's check, a page's button and the navigation read the same list. Each set
//! is checked within the caller's scope by the service that uses it (`auth::scope`).

use super::Role;

/// Manage a fleet: register machines and sites, file, answer cases, ask for amendments.
pub const CONTRACTORS: [Role; 2] = [Role::ContractorAdmin, Role::ContractorStaff];

/// Inspect machines in the field, review filings and amendments, order and settle cases.
pub const INSPECTORS: [Role; 1] = [Role::CountyInspector];

/// Add joint-inspection notes to inspections and cases.
pub const NOTE_AUTHORS: [Role; 2] = [Role::PartnerViewer, Role::CountyInspector];

/// Look machines up by code (`/api/v1/lookup`).
pub const LOOKUP: [Role; 5] =
    [Role::CountyInspector, Role::CityOfficer, Role::ProvinceOfficer, Role::PartnerViewer, Role::Sysadmin];

/// Read the figures of the dashboard; construction units may not.
pub const STATS_VIEWERS: [Role; 5] =
    [Role::CountyInspector, Role::CityOfficer, Role::ProvinceOfficer, Role::PartnerViewer, Role::Sysadmin];

/// Search the audit log.
pub const AUDIT_READERS: [Role; 4] = [Role::CountyInspector, Role::CityOfficer, Role::ProvinceOfficer, Role::Sysadmin];

/// Decide a site in or out of a low-emission zone: the county's inspectors and the city's
/// officers.
pub const ZONE_DECIDERS: [Role; 2] = [Role::CountyInspector, Role::CityOfficer];

/// Publish limit tables: system administrators the national ones (GB 36886), province and city
/// officers local standards for their own division.
pub const TABLE_PUBLISHERS: [Role; 3] = [Role::Sysadmin, Role::ProvinceOfficer, Role::CityOfficer];

/// Administer low-emission zones (for their own division and those under it).
pub const ZONE_ADMINS: [Role; 2] = [Role::ProvinceOfficer, Role::CityOfficer];

/// Ask for an amendment of a registered machine (the unit that owns it).
pub const AMENDMENT_REQUESTERS: [Role; 2] = CONTRACTORS;

/// Decide amendments (the inspectors of the issuing county).
pub const AMENDMENT_REVIEWERS: [Role; 1] = INSPECTORS;

/// Start, accept, decline and cancel transfers: a unit's administrator (a transfer gives a
/// machine away, or takes on its compliance record; staff may only look).
pub const TRANSFER_DECIDERS: [Role; 1] = [Role::ContractorAdmin];

/// Allow a transfer of a machine with an unresolved case: the inspectors of that county.
pub const TRANSFER_ALLOWERS: [Role; 1] = INSPECTORS;

/// Read a county's inspection plan and the weights of its score: the county's inspectors and
/// the officers above them (the plan says where the bureau goes next, so no unit sees it, and
/// no partner department).
pub const PLANNERS: [Role; 3] = [Role::CountyInspector, Role::CityOfficer, Role::ProvinceOfficer];

/// Set the weights of the plan's score, for their division or one under it: city and province
/// officers (not the inspectors the plan sends out).
pub const WEIGHT_SETTERS: [Role; 2] = [Role::CityOfficer, Role::ProvinceOfficer];

/// Read the public's reports of their counties: the county's inspectors and the officers above
/// them (a reporter's phone number only the county's inspectors).
pub const REPORT_READERS: [Role; 3] = PLANNERS;

/// Whether `role` (none when signed out) is one of `set`.
pub fn allows(set: &[Role], role: Option<Role>) -> bool {
    role.is_some_and(|r| set.contains(&r))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signed_out_is_in_no_set() {
        assert!(!allows(&NOTE_AUTHORS, None));
        assert!(allows(&NOTE_AUTHORS, Some(Role::PartnerViewer)));
        assert!(!allows(&NOTE_AUTHORS, Some(Role::CityOfficer)));
    }
}
