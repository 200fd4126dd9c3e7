//! The frame around every page: document shell, routes, header with role-based navigation,
//! the language switch, the home page and the not-found page.

#[cfg(feature = "ssr")]
mod assets;
mod home;
mod routes;

#[cfg(feature = "ssr")]
pub use assets::SiteAssets;

use crate::ui::{Auth, LANG_COOKIE, PageTitle, role_label, use_auth};

use crate::auth::{Login, Logout, Role, current_user};
use crate::i18n::*;
use crate::notifications::pages::NotificationBell;
use leptos::prelude::*;
use leptos_meta::provide_meta_context;
use leptos_router::components::{A, Route, Router, Routes};
use leptos_router::{Lazy, SsrMode, path};

/// The HTML document the server renders around [`App`].
#[cfg(feature = "ssr")]
pub fn shell(assets: std::sync::Arc<SiteAssets>) -> impl IntoView {
    crate::rest::security::page_policy();
    view! {
        <!DOCTYPE html>
        <html>
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <meta name="theme-color" content="#0b5d3b" />
                <link rel="icon" href="/favicon.svg" type="image/svg+xml" />
                <assets::BundleTags assets />
                // The offline outbox (and the service worker's registration): every page, so
                // what waits is sent on the first page load after a sign-in.
                <script src="/outbox.js" defer></script>
                <leptos_meta::MetaTags />
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}

/// The root component: i18n, metadata, auth context and routes.
#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    // Chinese unless the user chose English with the switch (remembered in a cookie); the
    // browser's Accept-Language is deliberately not consulted.
    let saved = leptos_i18n::context::UseLocalesOptions::default().ssr_lang_header_getter(saved_language);
    view! {
        <I18nContextProvider ssr_lang_header_getter=saved>
            <Frame />
        </I18nContextProvider>
    }
}

#[component]
fn Frame() -> impl IntoView {
    let login = ServerAction::<Login>::new();
    let logout = ServerAction::<Logout>::new();
    let user = Resource::new(move || (login.version().get(), logout.version().get()), |_| current_user());
    provide_context(Auth { user, login, logout });
    provide_context(crate::notifications::pages::NotificationsChanged(RwSignal::new(0)));
    // Effects only run in the browser once the WASM has taken over the page: mark that, so
    // tests (and curious people) can tell a hydrated page from a server-rendered one.
    Effect::new(move |_| {
        if let Some(root) = document().document_element() {
            let _ = root.set_attribute("data-hydrated", "true");
        }
    });
    view! {
        <Router>
            <Header />
            <main id="main" class="main">
                <Routes fallback=NotFound>
                    <Route path=path!("/") view={Lazy::<routes::Home>::new()} />
                    <Route path=path!("/login") view={Lazy::<routes::Login>::new()} />
                    <Route path=path!("/logout") view={Lazy::<routes::Logout>::new()} />
                    <Route path=path!("/signup") view={Lazy::<routes::Signup>::new()} />
                    <Route path=path!("/org/users") view={Lazy::<routes::Staff>::new()} />
                    <Route path=path!("/sites") view={Lazy::<routes::Sites>::new()} />
                    <Route path=path!("/sites/new") view={Lazy::<routes::SiteNew>::new()} />
                    <Route path=path!("/sites/:id") view={Lazy::<routes::Site>::new()} />
                    <Route path=path!("/machines") view={Lazy::<routes::Machines>::new()} />
                    <Route path=path!("/machines/new") view={Lazy::<routes::MachineNew>::new()} />
                    <Route path=path!("/machines/import") view={Lazy::<routes::MachineImport>::new()} />
                    <Route path=path!("/machines/:id") view={Lazy::<routes::Machine>::new()} />
                    <Route path=path!("/filings") view={Lazy::<routes::Filings>::new()} />
                    <Route path=path!("/filings/new") view={Lazy::<routes::FilingNew>::new()} />
                    <Route path=path!("/filings/:id") view={Lazy::<routes::Filing>::new()} />
                    // The look-up is rendered whole, then sent (`SsrMode::Async`): its data is a
                    // few local queries, and streaming the page out of order cost more than they
                    // do (the label page's requests/s went up by a third).
                    <Route path=path!("/field") view={Lazy::<routes::FieldLookup>::new()} ssr=SsrMode::Async />
                    // An official's view of a label; the server answers everyone else with the
                    // public page (see `server::label_routes`).
                    <Route path=path!("/v/:code") view={Lazy::<routes::FieldLookup>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/field/inspect") view={Lazy::<routes::FieldInspect>::new()} />
                    <Route path=path!("/inspections") view={Lazy::<routes::Inspections>::new()} />
                    <Route path=path!("/inspections/:id") view={Lazy::<routes::Inspection>::new()} />
                    <Route path=path!("/cases") view={Lazy::<routes::Cases>::new()} />
                    <Route path=path!("/watchlist") view={Lazy::<routes::Watchlist>::new()} />
                    <Route path=path!("/plan") view={Lazy::<routes::Plan>::new()} />
                    <Route path=path!("/reports") view={Lazy::<routes::Reports>::new()} />
                    <Route path=path!("/cases/:id") view={Lazy::<routes::Case>::new()} />
                    <Route path=path!("/limits") view={Lazy::<routes::Limits>::new()} />
                    <Route path=path!("/admin") view={Lazy::<routes::Admin>::new()} />
                    <Route path=path!("/admin/users") view={Lazy::<routes::AdminUsers>::new()} />
                    <Route path=path!("/admin/machine-types") view={Lazy::<routes::MachineTypes>::new()} />
                    <Route path=path!("/admin/divisions") view={Lazy::<routes::Divisions>::new()} />
                    <Route path=path!("/audit") view={Lazy::<routes::Audit>::new()} />
                    <Route path=path!("/notifications") view={Lazy::<routes::Notifications>::new()} />
                    <Route path=path!("/account") view={Lazy::<routes::Account>::new()} />
                    <Route path=path!("/dashboard") view={Lazy::<routes::Dashboard>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/transfers") view={Lazy::<routes::Transfers>::new()} />
                    <Route path=path!("/transfers/:id") view={Lazy::<routes::Transfer>::new()} />
                    <Route path=path!("/amendments") view={Lazy::<routes::Amendments>::new()} />
                    <Route path=path!("/amendments/:id") view={Lazy::<routes::Amendment>::new()} />
                </Routes>
            </main>
        </Router>
    }
}

/// One entry of the navigation.
struct NavItem {
    href: &'static str,
    label: fn(Locale) -> String,
}

/// Whether the navigation entry `href` names the page at `path` or one under it (its query,
/// e.g. the review entry's `?status=submitted`, is not compared).
fn is_current(href: &str, path: &str) -> bool {
    let href = href.split_once('?').map_or(href, |(p, _)| p);
    path == href || (href != "/" && path.strip_prefix(href).is_some_and(|rest| rest.starts_with('/')))
}

/// The navigation a role sees, in order. Capabilities add their pages here.
fn nav_for(role: Option<Role>) -> Vec<NavItem> {
    let item = |href, label: fn(Locale) -> String| NavItem { href, label };
    let mut items = vec![item("/", |l| td_string!(l, nav.home).to_string())];
    match role {
        None => {
            items.push(item("/login", |l| td_string!(l, nav.sign_in).to_string()));
            items.push(item("/signup", |l| td_string!(l, nav.sign_up).to_string()));
        }
        Some(r) if r.is_contractor() => {
            items.push(item("/machines", |l| td_string!(l, nav.machines).to_string()));
            items.push(item("/sites", |l| td_string!(l, nav.sites).to_string()));
            items.push(item("/filings", |l| td_string!(l, nav.filings).to_string()));
            items.push(item("/cases", |l| td_string!(l, nav.cases).to_string()));
            items.push(item("/transfers", |l| td_string!(l, nav.transfers).to_string()));
            items.push(item("/amendments", |l| td_string!(l, nav.amendments).to_string()));
            if r == Role::ContractorAdmin {
                items.push(item("/org/users", |l| td_string!(l, nav.staff).to_string()));
            }
        }
        Some(Role::CountyInspector) => {
            items.push(item("/dashboard", |l| td_string!(l, nav.dashboard).to_string()));
            items.push(item("/field", |l| td_string!(l, nav.field).to_string()));
            items.push(item("/plan", |l| td_string!(l, nav.plan).to_string()));
            items.push(item("/reports", |l| td_string!(l, nav.reports).to_string()));
            items.push(item("/filings?status=submitted", |l| td_string!(l, nav.review).to_string()));
            items.push(item("/inspections", |l| td_string!(l, nav.inspections).to_string()));
            items.push(item("/cases", |l| td_string!(l, nav.cases).to_string()));
            items.push(item("/watchlist", |l| td_string!(l, nav.watchlist).to_string()));
            items.push(item("/machines", |l| td_string!(l, nav.machines).to_string()));
            items.push(item("/transfers", |l| td_string!(l, nav.transfers).to_string()));
            items.push(item("/sites", |l| td_string!(l, nav.sites).to_string()));
            items.push(item("/audit", |l| td_string!(l, nav.audit).to_string()));
        }
        Some(r) => {
            items.push(item("/dashboard", |l| td_string!(l, nav.dashboard).to_string()));
            items.push(item("/filings", |l| td_string!(l, nav.filings).to_string()));
            items.push(item("/machines", |l| td_string!(l, nav.machines).to_string()));
            items.push(item("/inspections", |l| td_string!(l, nav.inspections).to_string()));
            items.push(item("/cases", |l| td_string!(l, nav.cases).to_string()));
            if crate::auth::permissions::LOOKUP.contains(&r) {
                items.push(item("/field", |l| td_string!(l, nav.field).to_string()));
                items.push(item("/watchlist", |l| td_string!(l, nav.watchlist).to_string()));
            }
            if crate::auth::permissions::PLANNERS.contains(&r) {
                items.push(item("/plan", |l| td_string!(l, nav.plan).to_string()));
            }
            if crate::auth::permissions::REPORT_READERS.contains(&r) {
                items.push(item("/reports", |l| td_string!(l, nav.reports).to_string()));
            }
            if r == Role::CityOfficer {
                items.push(item("/sites", |l| td_string!(l, nav.sites).to_string()));
            }
            // `/limits` publishes limit tables (and, for zone administrators, zones).
            if crate::auth::permissions::TABLE_PUBLISHERS.contains(&r) {
                items.push(item("/limits", |l| td_string!(l, nav.limits).to_string()));
            }
            if crate::auth::permissions::AUDIT_READERS.contains(&r) {
                items.push(item("/audit", |l| td_string!(l, nav.audit).to_string()));
            }
            if r.is_administrator() {
                items.push(item("/admin", |l| td_string!(l, nav.admin).to_string()));
            }
        }
    }
    items
}

#[component]
fn Header() -> impl IntoView {
    let i18n = use_i18n();
    let auth = use_auth();
    let me = move || auth.user.get().and_then(|r| r.ok()).flatten();
    let unread = crate::notifications::pages::unread_count();
    // One reading of the path marks the current entry (the stylesheet's `aria-current`) on plain
    // links, which the router still intercepts; a router `<A>` each resolved its own route and
    // activity on every page the server renders.
    let path = leptos_router::hooks::use_location().pathname;

    view! {
        <a class="skip" href="#main">{t!(i18n, skip_to_content)}</a>
        <header class="topbar">
            <a class="brand" href="/">
                <span class="brand-mark" aria-hidden="true">"NR"</span>
                <span class="brand-name">{t!(i18n, app_name)}</span>
            </a>
            <div class="topbar-tools">
                <LanguageSwitch />
            </div>
        </header>
        <nav class="nav" aria-label=move || td_string!(i18n.get_locale(), nav.menu)>
            <Transition fallback=|| ()>
                // Rebuilt when the user changes; the texts follow the language by themselves, so a
                // language switch keeps the bell (and its resource) alive.
                {move || {
                    let me = me();
                    let items = nav_for(me.as_ref().map(|m| m.role));
                    view! {
                        <ul class="nav-items">
                            {items
                                .into_iter()
                                .map(|item| {
                                    let (href, label) = (item.href, item.label);
                                    let current = move || path.with(|p| is_current(href, p)).then_some("page");
                                    view! { <li><a href=href aria-current=current>{move || label(i18n.get_locale())}</a></li> }
                                })
                                .collect_view()}
                        </ul>
                        {me.map(|m| {
                            let role = m.role;
                            view! {
                                <div class="nav-user">
                                    <NotificationBell unread />
                                    // The service worker keeps a field page for offline use only when
                                    // it carries this mark of a signed-in user (`field/sw.js`).
                                    <a href="/account" class="nav-user-name" data-testid="current-user" aria-current=move || path.with(|p| is_current("/account", p)).then_some("page") title=move || td_string!(i18n.get_locale(), account.title).to_string()>{m.display_name.clone()}</a>
                                    <span class="nav-user-role">{move || role_label(i18n.get_locale(), role)}</span>
                                    <a href="/logout" class="nav-signout">{move || td_string!(i18n.get_locale(), nav.sign_out).to_string()}</a>
                                </div>
                            }
                        })}
                    }
                }}
            </Transition>
        </nav>
    }
}

/// The language saved in the request's cookie, as the locale resolver expects it.
fn saved_language() -> Option<String> {
    #[cfg(feature = "ssr")]
    {
        let parts = use_context::<http::request::Parts>()?;
        parts
            .headers
            .get_all(http::header::COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(';'))
            .filter_map(|kv| kv.trim().split_once('='))
            .find(|(k, _)| *k == LANG_COOKIE)
            .map(|(_, v)| v.to_owned())
    }
    #[cfg(not(feature = "ssr"))]
    {
        None
    }
}

/// Remembers the chosen language in the browser.
fn save_language(locale: Locale) {
    #[cfg(feature = "hydrate")]
    {
        use wasm_bindgen::JsCast;
        let value = match locale {
            Locale::zh => "zh",
            Locale::en => "en",
        };
        if let Ok(doc) = document().dyn_into::<web_sys::HtmlDocument>() {
            let _ = doc.set_cookie(&format!("{LANG_COOKIE}={value}; path=/; max-age=31536000; samesite=lax"));
        }
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = locale;
}

/// Switches between Chinese and English; the choice persists in a cookie. Only works once the
/// WASM has hydrated the page (the browser test relies on that).
#[component]
fn LanguageSwitch() -> impl IntoView {
    let i18n = use_i18n();
    let toggle = move |_| {
        let next = match i18n.get_locale() {
            Locale::zh => Locale::en,
            Locale::en => Locale::zh,
        };
        i18n.set_locale(next);
        save_language(next);
    };
    view! {
        <button
            type="button"
            class="lang-switch"
            data-testid="lang-switch"
            aria-label=move || td_string!(i18n.get_locale(), lang_switch_label)
            on:click=toggle
        >
            {t!(i18n, lang_switch)}
        </button>
    }
}

#[component]
fn NotFound() -> impl IntoView {
    let i18n = use_i18n();
    #[cfg(feature = "ssr")]
    {
        if let Some(resp) = use_context::<leptos_axum::ResponseOptions>() {
            resp.set_status(http::StatusCode::NOT_FOUND);
        }
    }
    view! {
        <PageTitle text=move || td_string!(i18n.get_locale(), not_found.title).to_string() />
        <section class="card narrow">
            <h1>{t!(i18n, not_found.heading)}</h1>
            <p>{t!(i18n, not_found.body)}</p>
            <p><A href="/">{t!(i18n, not_found.home)}</A></p>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The navigation offers a page to exactly the roles its permission set names.
    #[test]
    fn a_navigation_entry_is_current_on_its_page_and_below() {
        assert!(is_current("/", "/"));
        assert!(!is_current("/", "/field"), "home is not every page");
        assert!(is_current("/machines", "/machines"));
        assert!(is_current("/machines", "/machines/0d1c/edit"));
        assert!(!is_current("/machines", "/machinesx"), "a whole segment, not a prefix");
        assert!(!is_current("/field", "/fields"));
        assert!(is_current("/filings?status=submitted", "/filings"));
        assert!(!is_current("/org/users", "/org"));
    }

    #[test]
    fn the_navigation_follows_the_permission_sets() {
        use crate::auth::permissions::{AUDIT_READERS, LOOKUP, TABLE_PUBLISHERS};
        let offers = |r: Role, href: &str| nav_for(Some(r)).iter().any(|i| i.href == href);
        for r in Role::ALL {
            assert_eq!(offers(r, "/field"), LOOKUP.contains(&r), "{r:?} /field");
            assert_eq!(offers(r, "/audit"), AUDIT_READERS.contains(&r), "{r:?} /audit");
            assert_eq!(offers(r, "/limits"), TABLE_PUBLISHERS.contains(&r), "{r:?} /limits");
        }
    }
}
