//! Who may undo a disabling. An account is disabled with the authority of whoever disabled it —
//! its unit's administrator, a city or a province officer, a system administrator — and only an
//! administrator of at least that authority may enable it again or take the disabling over. So
//! an enforcement decision of an official is never undone by the unit it was taken against, nor
//! by an official below the one who took it. The staff and accounts pages use the same rule to
//! offer the "enable" button or to say whose decision it is.

use super::Role;

impl Role {
    /// The weight of this role's word over the accounts it administers, lowest first: a unit's
    /// administrator (its own staff), a city officer, a province officer, a system
    /// administrator; 0 for roles that administer no account.
    pub fn account_authority(self) -> u8 {
        match self {
            Role::ContractorAdmin => 1,
            Role::CityOfficer => 2,
            Role::ProvinceOfficer => 3,
            Role::Sysadmin => 4,
            Role::ContractorStaff | Role::CountyInspector | Role::PartnerViewer => 0,
        }
    }

    /// Whether an administrator of this role may enable again, or disable anew (so take over),
    /// an account that was disabled by an account of role `disabled_by`. `None` — a disabled
    /// account whose disabler was never recorded — counts as a system administrator's decision.
    /// Whether the account lies within the administrator's reach at all is checked apart.
    pub fn may_undo_disabling(self, disabled_by: Option<Role>) -> bool {
        let needed = disabled_by.unwrap_or(Role::Sysadmin).account_authority();
        self.account_authority() > 0 && self.account_authority() >= needed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_unit_administrator_undoes_only_its_own_units_disabling() {
        let unit = Role::ContractorAdmin;
        assert!(unit.may_undo_disabling(Some(Role::ContractorAdmin)));
        for official in [Role::CityOfficer, Role::ProvinceOfficer, Role::Sysadmin] {
            assert!(!unit.may_undo_disabling(Some(official)), "{official}");
        }
        assert!(!unit.may_undo_disabling(None), "an unrecorded disabling is the highest authority's");
    }

    #[test]
    fn officials_undo_their_own_level_and_below() {
        assert!(Role::Sysadmin.may_undo_disabling(None));
        assert!(Role::Sysadmin.may_undo_disabling(Some(Role::ContractorAdmin)));
        assert!(Role::ProvinceOfficer.may_undo_disabling(Some(Role::CityOfficer)));
        assert!(Role::ProvinceOfficer.may_undo_disabling(Some(Role::ProvinceOfficer)));
        assert!(!Role::ProvinceOfficer.may_undo_disabling(Some(Role::Sysadmin)));
        assert!(Role::CityOfficer.may_undo_disabling(Some(Role::CityOfficer)));
        assert!(!Role::CityOfficer.may_undo_disabling(Some(Role::ProvinceOfficer)));
    }

    #[test]
    fn roles_that_administer_nobody_undo_nothing() {
        for role in [Role::ContractorStaff, Role::CountyInspector, Role::PartnerViewer] {
            assert_eq!(role.account_authority(), 0);
            assert!(!role.may_undo_disabling(Some(Role::ContractorAdmin)), "{role}");
        }
    }
}
