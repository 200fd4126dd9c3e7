//! The toolbox every page uses, below the capabilities: form components, the photo upload, the
//! [`Auth`] context and role labels. It imports no page; the shell (routes, navigation) sits
//! above the capabilities and imports them.

mod components;
pub mod icons;
pub mod messages;
pub mod upload;

pub use components::{
    ErrorBanner, FieldErrorText, PageTitle, QueryTab, TextField, browser_today, new_request_id, page_today,
};

use crate::auth::{Login, Logout, Me, Role};
use crate::error::AppError;
use crate::i18n::*;
use leptos::prelude::*;

/// Who is signed in, and the actions that change it; provided to every page.
#[derive(Clone, Copy)]
pub struct Auth {
    pub user: Resource<Result<Option<Me>, AppError>>,
    pub login: ServerAction<Login>,
    pub logout: ServerAction<Logout>,
}

impl Auth {
    /// The signed-in user's role (tracked), `None` while unknown or signed out.
    pub fn role(&self) -> Option<Role> {
        self.user.get().and_then(|r| r.ok()).flatten().map(|me| me.role)
    }

    /// Whether the signed-in user's role is in `set` (`auth::permissions`; tracked).
    pub fn may(&self, set: &[Role]) -> bool {
        crate::auth::permissions::allows(set, self.role())
    }
}

/// The [`Auth`] context.
pub fn use_auth() -> Auth {
    expect_context::<Auth>()
}

/// The localised name of a role.
pub fn role_label(locale: Locale, role: Role) -> String {
    match role {
        Role::ContractorAdmin => td_string!(locale, roles.contractor_admin),
        Role::ContractorStaff => td_string!(locale, roles.contractor_staff),
        Role::CountyInspector => td_string!(locale, roles.county_inspector),
        Role::CityOfficer => td_string!(locale, roles.city_officer),
        Role::ProvinceOfficer => td_string!(locale, roles.province_officer),
        Role::PartnerViewer => td_string!(locale, roles.partner_viewer),
        Role::Sysadmin => td_string!(locale, roles.sysadmin),
    }
    .to_string()
}

/// The cookie that remembers the chosen language for a year.
pub const LANG_COOKIE: &str = "nrmm_lang";
