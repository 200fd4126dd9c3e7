//! The home page: what the product is, who you are signed in as, and what waits for you.

use crate::i18n::*;
use crate::ui::{PageTitle, role_label, use_auth};
use leptos::either::Either;
use leptos::prelude::*;
use leptos_router::components::A;

/// `/`
#[component]
pub fn HomePage() -> impl IntoView {
    let i18n = use_i18n();
    let auth = use_auth();
    view! {
        <PageTitle text=move || td_string!(i18n.get_locale(), home.title).to_string() />
        <section class="card">
            <Transition fallback=|| ()>
                {move || {
                    let locale = i18n.get_locale();
                    match auth.user.get().and_then(|r| r.ok()).flatten() {
                        Some(me) => {
                            let role = role_label(locale, me.role);
                            let division = me.division_name.clone().or_else(|| me.division_code.clone());
                            Either::Left(view! {
                                <h1>{td_string!(locale, home.welcome, name = me.display_name.clone())}</h1>
                                <p>{td_string!(locale, home.role_line, role = role)}</p>
                                {division.map(|d| view! { <p>{td_string!(locale, home.scope_line, division = d)}</p> })}
                                <p class="muted">{td_string!(locale, home.intro)}</p>
                            })
                        }
                        None => {
                            Either::Right(view! {
                                <h1>{td_string!(locale, app_name)}</h1>
                                <p class="muted">{td_string!(locale, home.intro)}</p>
                                <p>{td_string!(locale, home.guest_intro)}</p>
                                <p><A href="/login" attr:class="button">{td_string!(locale, home.sign_in_cta)}</A></p>
                            })
                        }
                    }
                }}
            </Transition>
        </section>
        // Created with the page (not once the user is known), so the server waits for it
        // before it sends the page; signed out it answers 401 and shows nothing.
        <crate::todo::pages::TodoList />
    }
}
