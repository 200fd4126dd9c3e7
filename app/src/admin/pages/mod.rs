//! The administration pages: the admin menu here, accounts, machine types and divisions in
//! their own files.

mod divisions;
mod machine_types;
mod users;

pub use divisions::DivisionsPage;
pub use machine_types::MachineTypesPage;
pub use users::AdminUsersPage;

use crate::auth::Role;
use crate::divisions::Division;
use crate::error::AppError;
use crate::i18n::*;
use crate::ui::{PageTitle, use_auth};
use leptos::either::Either;
use leptos::prelude::*;
use leptos_router::components::A;
use uuid::Uuid;

/// The signed-in user's role, once known.
pub(super) fn my_role() -> Signal<Option<Role>> {
    let auth = use_auth();
    Signal::derive(move || auth.user.get().and_then(|r| r.ok()).flatten().map(|m| m.role))
}

/// The signed-in user's id, once known.
pub(super) fn my_id() -> Signal<Option<Uuid>> {
    let auth = use_auth();
    Signal::derive(move || auth.user.get().and_then(|r| r.ok()).flatten().map(|m| m.id))
}

/// `/admin`: the administration menu, by role.
#[component]
pub fn AdminPage() -> impl IntoView {
    let i18n = use_i18n();
    let role = my_role();
    view! {
        <PageTitle text=move || td_string!(i18n.get_locale(), admin.title).to_string() />
        <section class="card narrow">
            <h1>{t!(i18n, admin.heading)}</h1>
            <Transition fallback=move || view! { <p class="muted">{t!(i18n, common.loading)}</p> }>
                {move || {
                    let locale = i18n.get_locale();
                    let r = role.get();
                    let mut links: Vec<(&'static str, String)> = vec![];
                    if r.is_some_and(Role::is_administrator) {
                        links.push(("/admin/users", td_string!(locale, admin.users).to_string()));
                    }
                    if r == Some(Role::Sysadmin) {
                        links.push(("/admin/machine-types", td_string!(locale, admin.machine_types).to_string()));
                        links.push(("/admin/divisions", td_string!(locale, admin.divisions).to_string()));
                    }
                    if matches!(r, Some(Role::Sysadmin | Role::ProvinceOfficer | Role::CityOfficer)) {
                        links.push(("/limits", td_string!(locale, admin.limits_zones).to_string()));
                    }
                    if links.is_empty() {
                        Either::Left(view! { <p class="banner banner-error">{AppError::Forbidden.message(locale)}</p> })
                    } else {
                        Either::Right(view! {
                            <ul class="cards" data-testid="admin-menu">
                                {links.into_iter().map(|(href, label)| view! { <li class="item"><A href=href>{label}</A></li> }).collect_view()}
                            </ul>
                        })
                    }
                }}
            </Transition>
        </section>
    }
}

pub(super) fn division_label(d: &Division) -> String {
    format!("{} {}", d.code, d.name)
}
