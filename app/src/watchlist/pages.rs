//! `/watchlist` (officials): the watched machines with their reasons, and for the county's
//! inspectors a form to put a machine on the list and a button to end their county's entries;
//! and the warning a filing's review shows for its watched machines.

use super::server_fns::{AddWatchEntry, EndWatchEntry, filing_watch, list_watchlist};
use super::{WatchEntryInput, WatchKind, WatchReason, WatchedMachine};
use crate::error::{FieldCode, FieldError, FieldErrors};
use crate::i18n::*;
use crate::ui::icons::WarningIcon;
use crate::ui::{ErrorBanner, PageTitle, TextField};
use leptos::either::Either;
use leptos::prelude::*;
use uuid::Uuid;

/// The name of a reason.
pub fn kind_label(locale: Locale, kind: WatchKind) -> &'static str {
    match kind {
        WatchKind::FailedInspection => td_string!(locale, watchlist.kind_failed_inspection),
        WatchKind::UnresolvedCase => td_string!(locale, watchlist.kind_unresolved_case),
        WatchKind::FoundUnregistered => td_string!(locale, watchlist.kind_found_unregistered),
        WatchKind::Manual => td_string!(locale, watchlist.kind_manual),
    }
}

/// Where a reason's record is read: the inspection, the case (an entry has no page of its own).
fn reason_link(r: &WatchReason) -> Option<String> {
    match r.kind {
        WatchKind::FailedInspection => Some(format!("/inspections/{}", r.subject_id)),
        WatchKind::UnresolvedCase | WatchKind::FoundUnregistered => Some(format!("/cases/{}", r.subject_id)),
        WatchKind::Manual => None,
    }
}

/// One reason: what, where, since when (and an entry's note and end date), with its record.
fn reason_view(
    locale: Locale,
    r: WatchReason,
    end: Option<ServerAction<EndWatchEntry>>,
    my_county: Option<String>,
) -> impl IntoView {
    let since = r.since.with_timezone(&crate::dates::china()).format("%Y-%m-%d").to_string();
    let label = kind_label(locale, r.kind);
    let title = match reason_link(&r) {
        Some(href) => Either::Left(view! { <a href=href>{label}</a> }),
        None => Either::Right(view! { <strong>{label}</strong> }),
    };
    let until = r.ends_on.map(|d| td_string!(locale, watchlist.until, date = d.to_string()).to_string());
    // The county's own entries may be ended by its inspectors.
    let can_end = r.kind == WatchKind::Manual && my_county.as_deref() == Some(r.county_code.as_str());
    let id = r.subject_id;
    view! {
        <li data-testid="watch-reason" data-kind=r.kind.as_str()>
            {title}
            " · " <span class="muted">{r.county_name.clone()}</span>
            " · " <span class="muted">{td_string!(locale, watchlist.since)} " " {since}</span>
            {until.map(|u| view! { " · " <span class="muted">{u}</span> })}
            {r.note.map(|n| view! { <p class="note">{n}</p> })}
            {end.filter(|_| can_end).map(|end| view! {
                <button type="button" class="button small" data-testid="watch-end"
                    disabled=move || end.pending().get()
                    on:click=move |_| { if !end.pending().get_untracked() { end.dispatch(EndWatchEntry { id }); } }>
                    {td_string!(locale, watchlist.end)}
                </button>
            })}
        </li>
    }
}

/// A watched machine and its reasons.
fn machine_view(
    locale: Locale,
    w: WatchedMachine,
    end: Option<ServerAction<EndWatchEntry>>,
    my_county: Option<String>,
) -> impl IntoView {
    let code = w.registration_code.clone().unwrap_or_else(|| "—".to_owned());
    view! {
        <li class="item" data-testid="watched-machine" data-code=w.registration_code.clone().unwrap_or_default()>
            <div class="item-main">
                <strong>{w.machine_name.clone()}</strong>
                <span class="badge">{crate::machines::names::stage_label(locale, w.emission_stage)}</span>
            </div>
            <div class="muted"><span class="code">{code}</span> " · " {td_string!(locale, watchlist.owner)} " " {w.organization_name.clone()}</div>
            <ul class="reasons">
                {w.reasons.into_iter().map(|r| reason_view(locale, r, end, my_county.clone())).collect_view()}
            </ul>
        </li>
    }
}

/// `/watchlist`.
#[component]
pub fn WatchlistPage() -> impl IntoView {
    let i18n = use_i18n();
    let auth = crate::ui::use_auth();
    let add = ServerAction::<AddWatchEntry>::new();
    let end = ServerAction::<EndWatchEntry>::new();
    let list = Resource::new(move || (add.version().get(), end.version().get()), |_| list_watchlist());
    let me = move || auth.user.get().and_then(|u| u.ok()).flatten();
    let is_inspector = move || auth.may(&crate::auth::permissions::INSPECTORS);
    let my_county = move || me().filter(|u| u.role == crate::auth::Role::CountyInspector).and_then(|u| u.division_code);
    let code = RwSignal::new(String::new());
    let reason = RwSignal::new(String::new());
    let ends_on = RwSignal::new(String::new());
    let local = RwSignal::new(None::<FieldErrors>);
    let add_error = Signal::derive(move || add.value().get().and_then(|r| r.err()));
    let fields = Signal::derive(move || local.get().or_else(|| add_error.get().and_then(|e| e.fields().cloned())));
    let banner = Signal::derive(move || {
        add_error.get().filter(|e| e.fields().is_none()).or_else(|| end.value().get().and_then(|r| r.err()))
    });
    let added = move || matches!(add.value().get(), Some(Ok(_)));
    let ended = move || matches!(end.value().get(), Some(Ok(_)));
    Effect::new(move |_| {
        if added() {
            for s in [code, reason, ends_on] {
                s.set(String::new());
            }
        }
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if add.pending().get_untracked() {
            return;
        }
        let Ok(day) = chrono::NaiveDate::parse_from_str(ends_on.get().trim(), "%Y-%m-%d") else {
            local.set(Some(FieldErrors::single("ends_on", FieldError::new(FieldCode::BadDate))));
            return;
        };
        local.set(None);
        add.dispatch(AddWatchEntry {
            input: WatchEntryInput { registration_code: code.get(), reason: reason.get(), ends_on: day },
        });
    };
    let t = move |f: fn(Locale) -> &'static str| Signal::derive(move || f(i18n.get_locale()).to_owned());
    view! {
        <PageTitle text=move || td_string!(i18n.get_locale(), watchlist.title).to_string() />
        <section class="card">
            <h1>{t!(i18n, watchlist.title)}</h1>
            <p class="muted">{t!(i18n, watchlist.intro)}</p>
            <ErrorBanner error=banner />
            {move || ended().then(|| view! { <p class="banner banner-ok" role="status">{t!(i18n, watchlist.ended)}</p> })}
            <Transition fallback=move || view! { <p class="muted">{t!(i18n, common.loading)}</p> }>
                {move || {
                    let locale = i18n.get_locale();
                    let county = my_county();
                    list.get().map(|r| match r {
                        Err(e) => Either::Left(view! { <p class="banner banner-error">{e.message(locale)}</p> }),
                        Ok(list) if list.is_empty() => Either::Right(Either::Left(view! {
                            <p class="muted" data-testid="watchlist-empty">{td_string!(locale, watchlist.empty)}</p>
                        })),
                        Ok(list) => Either::Right(Either::Right(view! {
                            <ul class="cards" data-testid="watchlist">
                                {list.into_iter().map(|w| machine_view(locale, w, Some(end), county.clone())).collect_view()}
                            </ul>
                        })),
                    })
                }}
            </Transition>
        </section>
        <Show when=is_inspector>
            <section class="card narrow">
                <h2>{t!(i18n, watchlist.add_title)}</h2>
                <p class="muted">{t!(i18n, watchlist.add_intro)}</p>
                {move || added().then(|| view! { <p class="banner banner-ok" role="status" data-testid="watch-added">{t!(i18n, watchlist.added)}</p> })}
                <form class="form" novalidate on:submit=submit data-testid="watch-form">
                    <TextField id="registration_code" label=t(|l| td_string!(l, watchlist.registration_code)) value=code errors=fields />
                    <TextField id="reason" label=t(|l| td_string!(l, watchlist.reason)) value=reason errors=fields />
                    <TextField id="ends_on" kind="date" label=t(|l| td_string!(l, watchlist.ends_on)) value=ends_on errors=fields />
                    <button type="submit" class="button primary" data-testid="watch-add" disabled=move || add.pending().get()>
                        {t!(i18n, watchlist.add)}
                    </button>
                </form>
            </section>
        </Show>
    }
}

/// The warning a filing's review shows when it names watched machines (officials only; shows
/// nothing when none is watched).
#[component]
pub fn FilingWatchWarning(filing_id: Uuid) -> impl IntoView {
    let i18n = use_i18n();
    let watched = Resource::new(move || filing_id, filing_watch);
    view! {
        <Transition fallback=|| ()>
            {move || {
                let locale = i18n.get_locale();
                watched.get().and_then(|r| r.ok()).filter(|l| !l.is_empty()).map(|list| view! {
                    <section class="card banner banner-warn" data-testid="filing-watch" role="alert">
                        <h2><WarningIcon /> " " {td_string!(locale, watchlist.filing_warning_title)}</h2>
                        <p>{td_string!(locale, watchlist.filing_warning_intro)}</p>
                        <ul class="cards">
                            {list.into_iter().map(|w| machine_view(locale, w, None, None)).collect_view()}
                        </ul>
                    </section>
                })
            }}
        </Transition>
    }
}
