//! Small building blocks every page uses: the page title, field errors, error banners.

use crate::error::{AppError, FieldErrors};
use crate::i18n::*;
use leptos::prelude::*;
use leptos_meta::Title;

/// Sets the document title to "`text` · NRMM Registry" in the current language.
#[component]
pub fn PageTitle(#[prop(into)] text: Signal<String>) -> impl IntoView {
    let i18n = use_i18n();
    // The head is rendered after the page, when the page's own signals may already be gone
    // (seen under concurrent requests): keep the text as it was at render time as a fallback.
    let initial = text.get_untracked();
    let full = move || {
        let text = text.try_get().unwrap_or_else(|| initial.clone());
        format!("{text} · {}", td_string!(i18n.get_locale(), title_suffix))
    };
    view! { <Title text=full /> }
}

/// The message(s) for one field, shown beside it; empty when the field is fine.
#[component]
pub fn FieldErrorText(
    /// The errors of the last submission, if any.
    #[prop(into)]
    errors: Signal<Option<FieldErrors>>,
    /// The field's name as the server reports it.
    field: &'static str,
) -> impl IntoView {
    let i18n = use_i18n();
    let id = format!("{field}-error");
    move || {
        let locale = i18n.get_locale();
        errors.get().and_then(|e| e.first(field).cloned()).map(|e| {
            view! { <p class="field-error" id=id.clone() role="alert">{crate::ui::messages::field_message(locale, &e)}</p> }
        })
    }
}

/// The sentence for an error that is not about one field (bad credentials, rate limits…).
#[component]
pub fn ErrorBanner(#[prop(into)] error: Signal<Option<AppError>>) -> impl IntoView {
    let i18n = use_i18n();
    move || {
        let locale = i18n.get_locale();
        error.get().map(|e| view! { <div class="banner banner-error" role="alert">{crate::ui::messages::error_message(locale, &e)}</div> })
    }
}

/// A labelled text input bound to `value`, with its error beside it.
#[component]
pub fn TextField(
    id: &'static str,
    #[prop(into)] label: Signal<String>,
    value: RwSignal<String>,
    #[prop(into)] errors: Signal<Option<FieldErrors>>,
    #[prop(optional)] kind: Option<&'static str>,
    #[prop(optional)] autocomplete: Option<&'static str>,
    #[prop(optional, into)] hint: Option<Signal<String>>,
    /// Shown but not editable (e.g. a registered fact of a registered machine).
    #[prop(optional)]
    readonly: bool,
    /// Marked as needed to file the machine (`machines::rules::filing_needs`).
    #[prop(optional, into)]
    needed: Option<Signal<bool>>,
) -> impl IntoView {
    let invalid = move || errors.get().is_some_and(|e| e.first(id).is_some()).to_string();
    let i18n = crate::i18n::use_i18n();
    let needed = move || {
        needed.is_some_and(|n| n.get()).then(|| {
            view! { <span class="badge badge-need" data-testid="needed">{crate::i18n::td_string!(i18n.get_locale(), machines.needed_badge)}</span> }
        })
    };
    view! {
        <div class="field">
            <label for=id>{label} {needed}</label>
            <input
                id=id
                name=id
                type=kind.unwrap_or("text")
                autocomplete=autocomplete.unwrap_or("off")
                aria-invalid=invalid
                aria-describedby=format!("{id}-error")
                readonly=readonly
                bind:value=value
            />
            {hint.map(|h| view! { <p class="field-hint">{h}</p> })}
            <FieldErrorText errors=errors field=id />
        </div>
    }
}

/// Today in China by the browser's clock (forms check dates with the shared rules before sending;
/// the server checks again with its own clock).
pub fn browser_today() -> chrono::NaiveDate {
    #[cfg(feature = "hydrate")]
    {
        let ms = js_sys::Date::now() as i64;
        crate::dates::china_date(chrono::DateTime::from_timestamp_millis(ms).unwrap_or_default())
    }
    #[cfg(not(feature = "hydrate"))]
    {
        chrono::NaiveDate::MAX
    }
}

/// Today in China where the page runs: the browser's clock once hydrated, the server's while it
/// renders (so both render the same on the same day). For labels only; every rule that depends
/// on the day is the server's, with its clock passed in.
pub fn page_today() -> chrono::NaiveDate {
    #[cfg(feature = "hydrate")]
    {
        browser_today()
    }
    #[cfg(not(feature = "hydrate"))]
    {
        crate::dates::china_date(chrono::Utc::now())
    }
}

/// A new request id for a form that creates something (see `crate::request_ids` on the
/// server): random bytes from the browser's `crypto.getRandomValues` once hydrated, from the
/// operating system on the server (where a page's id is never sent: the form posts only once
/// hydrated, or as a plain form without one).
pub fn new_request_id() -> uuid::Uuid {
    #[cfg(feature = "hydrate")]
    {
        let mut bytes = [0u8; 16];
        let filled = web_sys::window()
            .and_then(|w| w.crypto().ok())
            .and_then(|c| c.get_random_values_with_u8_array(&mut bytes).ok())
            .is_some();
        if !filled {
            // No Web Crypto: the clock and the page's own random numbers still make a
            // collision with this account's other ids practically impossible.
            let now = js_sys::Date::now() as u64;
            bytes[..8].copy_from_slice(&now.to_le_bytes());
            for b in bytes[8..].iter_mut() {
                *b = (js_sys::Math::random() * 256.0) as u8;
            }
        }
        uuid::Builder::from_random_bytes(bytes).into_uuid()
    }
    #[cfg(not(feature = "hydrate"))]
    {
        uuid::Uuid::new_v4()
    }
}

/// One tab of a strip of list filters (`<ul class="tabs">`): a plain link, marked current when
/// `current` holds. (The router's `<A>` would mark every tab of the same path current: it
/// compares the path, not the query.)
#[component]
pub fn QueryTab(href: String, #[prop(into)] current: Signal<bool>, children: Children) -> impl IntoView {
    view! {
        <li>
            <a href=href aria-current=move || current.get().then_some("page")>{children()}</a>
        </li>
    }
}
