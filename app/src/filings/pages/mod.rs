//! Filing pages: the list (the review queue for inspectors), a new filing with its pre-checks,
//! and one filing with its review, correction, entry/exit log.

mod correct;
mod detail;
mod form;
mod new;
mod picker;

pub use detail::FilingPage;
pub use new::FilingNewPage;

use crate::auth::Role;
use crate::exports::Dataset;
use crate::exports::pages::ExportLinks;
use crate::filings::names::{precheck_message, status_label};
use crate::filings::server_fns::list_filings;
use crate::filings::{Filing, FilingFilter, FilingStatus, Precheck};
use crate::i18n::*;
use crate::machines::names::photo_kind_label;
use crate::ui::{PageTitle, QueryTab, use_auth};
use leptos::either::Either;
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_query_map;

pub(super) fn role() -> Option<Role> {
    use_auth().user.get().and_then(|r| r.ok()).flatten().map(|m| m.role)
}

/// `/filings`: the construction unit's filings, or an inspector's queue (submitted, oldest first).
#[component]
pub fn FilingsPage() -> impl IntoView {
    let i18n = use_i18n();
    let query = use_query_map();
    let status = move || query.with(|q| q.get("status").and_then(|s| FilingStatus::parse(&s)));
    let filings = Resource::new(status, |status| list_filings(FilingFilter { status, site_id: None }, None));
    let tab = move |s: Option<FilingStatus>| {
        let href = match s {
            Some(s) => format!("/filings?status={}", s.as_str()),
            None => "/filings".to_owned(),
        };
        view! {
            <QueryTab href=href current=Signal::derive(move || status() == s)>
                {move || match s {
                    Some(s) => status_label(i18n.get_locale(), s),
                    None => td_string!(i18n.get_locale(), filings.filter_all),
                }}
            </QueryTab>
        }
    };
    view! {
        <PageTitle text=move || td_string!(i18n.get_locale(), filings.title).to_string() />
        <section class="card">
            <div class="card-head">
                <h1>{t!(i18n, filings.heading)}</h1>
                <div class="actions">
                    <ExportLinks
                        dataset=Dataset::Filings
                        filters=Signal::derive(move || vec![("status", status().map(|s| s.as_str().to_owned()).unwrap_or_default())])
                    />
                    {move || role().is_some_and(|r| r.is_contractor()).then(|| view! {
                        <A href="/filings/new" attr:class="button primary">{t!(i18n, filings.new)}</A>
                    })}
                </div>
            </div>
            <ul class="tabs">
                {tab(None)}
                {tab(Some(FilingStatus::Submitted))}
                {tab(Some(FilingStatus::Returned))}
                {tab(Some(FilingStatus::Accepted))}
                {tab(Some(FilingStatus::Closed))}
            </ul>
            <Transition fallback=move || view! { <p class="muted">{t!(i18n, common.loading)}</p> }>
                {move || {
                    let locale = i18n.get_locale();
                    filings
                        .get()
                        .map(|r| match r {
                            Err(e) => Either::Left(view! { <p class="banner banner-error">{e.message(locale)}</p> }),
                            Ok(page) => Either::Right(view! {
                                {page.items.is_empty().then(|| view! { <p class="muted">{td_string!(locale, common.empty)}</p> })}
                                <ul class="cards" data-testid="filing-list">
                                    {page.items.into_iter().map(|f| view! { <FilingItem filing=f /> }).collect_view()}
                                </ul>
                            }),
                        })
                }}
            </Transition>
        </section>
        // The review queue holds the pending amendments of registered machines too.
        {move || (status() == Some(FilingStatus::Submitted)).then(|| view! { <crate::amendments::pages::PendingAmendments /> })}
    }
}

#[component]
fn FilingItem(filing: Filing) -> impl IntoView {
    let i18n = use_i18n();
    let href = format!("/filings/{}", filing.id);
    let status = filing.status;
    view! {
        <li class="item">
            <div class="item-main">
                <A href=href><strong>{filing.site_name.clone()}</strong></A>
                <span class=format!("badge status-{}", status.as_str()) data-testid="filing-status">{move || status_label(i18n.get_locale(), status)}</span>
            </div>
            <div class="muted">
                {filing.organization_name.clone()} " · " {filing.planned_entry_on.to_string()} " – " {filing.planned_exit_on.to_string()} " · "
                {filing.machines.len()} " × " {move || td_string!(i18n.get_locale(), filings.machines)}
            </div>
            {(!filing.prechecks.is_empty()).then(|| view! { <div class="badge badge-warn">{filing.prechecks.len()} " " <crate::ui::icons::WarningIcon /></div> })}
        </li>
    }
}

pub(super) fn prechecks_view(locale: Locale, checks: Vec<Precheck>) -> impl IntoView {
    if checks.is_empty() {
        Either::Left(
            view! { <p class="banner banner-ok" data-testid="precheck-ok">{td_string!(locale, filings.precheck_ok)}</p> },
        )
    } else {
        Either::Right(view! {
            <ul class="warnings" data-testid="prechecks">
                {checks
                    .into_iter()
                    .map(|p| {
                        // The machine's page, where its fields and photos are put right; each
                        // missing item links to its own field or photo there (a full load, so
                        // the browser scrolls to it).
                        let href = format!("/machines/{}", p.machine_id);
                        let message = precheck_message(locale, &p);
                        let fixes = precheck_fixes(locale, &p);
                        view! {
                            <li>
                                <A href=href><strong>{p.machine_name}</strong></A> ": " {message}
                                {(!fixes.is_empty()).then(|| view! {
                                    <span class="fixes" data-testid="precheck-fixes">
                                        {fixes.into_iter().map(|(label, href)| view! {
                                            " " <a href=href rel="external" class="fix">{label} " →"</a>
                                        }).collect_view()}
                                    </span>
                                })}
                            </li>
                        }
                    })
                    .collect_view()}
            </ul>
        })
    }
}

/// Where each missing item of a pre-check is put right: its label and the place on the
/// machine's page (`#<field>` for a field, `#photo-<kind>` for a photo).
pub(super) fn precheck_fixes(locale: Locale, p: &Precheck) -> Vec<(String, String)> {
    use crate::filings::PrecheckCode as C;
    let base = format!("/machines/{}", p.machine_id);
    match p.code {
        C::StageNotAllowedInZone => Vec::new(),
        C::MissingPhotos => p
            .detail
            .iter()
            .filter_map(|d| crate::machines::PhotoKind::parse(d))
            .map(|k| (photo_kind_label(locale, k).to_owned(), format!("{base}#photo-{}", k.as_str())))
            .collect(),
        C::MissingData => {
            p.detail.iter().map(|f| (crate::machines::names::field_name(locale, f), format!("{base}#{f}"))).collect()
        }
    }
}
