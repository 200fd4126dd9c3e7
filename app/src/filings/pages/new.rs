//! `/filings/new`: a unit files machines for a site, pre-checked before it is sent.

use super::form::{checked_input, typed_dates};
use super::picker::{Chosen, MachinePicker};
use super::*;
use crate::error::AppError;
use crate::filings::server_fns::{CreateFiling, PrecheckFiling};
use crate::filings::{FilingInput, SiteDates};
use crate::i18n::*;
use crate::sites::server_fns::{get_site, list_sites};
use crate::ui::{ErrorBanner, FieldErrorText, PageTitle, TextField};
use leptos::either::Either;
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::{use_navigate, use_query_map};
use uuid::Uuid;

/// `/filings/new?site=<id>`
#[component]
pub fn FilingNewPage() -> impl IntoView {
    let i18n = use_i18n();
    let query = use_query_map();
    let site = RwSignal::new(query.with_untracked(|q| q.get("site")).unwrap_or_default());
    let entry = RwSignal::new(String::new());
    let exit = RwSignal::new(String::new());
    let chosen = RwSignal::new(Vec::<Chosen>::new());
    // Once the unit has tried to send the form, the shared rule re-checks it as it is edited.
    let attempted = RwSignal::new(false);
    let sites = Resource::new(|| (), |_| list_sites(None));
    let precheck = ServerAction::<PrecheckFiling>::new();
    let create = ServerAction::<CreateFiling>::new();
    let error = Signal::derive(move || {
        create.value().get().and_then(|r| r.err()).or_else(|| precheck.value().get().and_then(|r| r.err()))
    });
    // The chosen site, read by its id (the list offers the latest 100 sites; a site further
    // down its pages comes here from its own page, `?site=`), and its period, kept by an effect
    // (a resource is read only in its Transition or an effect).
    let chosen_site = Resource::new(
        move || Uuid::parse_str(&site.get()).ok(),
        |id| async move {
            match id {
                Some(id) => get_site(id).await.ok(),
                None => None,
            }
        },
    );
    let period = RwSignal::new(None::<SiteDates>);
    Effect::new(move |_| {
        let id = Uuid::parse_str(&site.get()).ok();
        let found = chosen_site.get().flatten().filter(|s| Some(s.id) == id);
        period.set(found.map(|s| SiteDates { starts_on: s.starts_on, ends_on: s.ends_on }));
    });
    let check = move || {
        let site_id = Uuid::parse_str(&site.get()).ok();
        checked_input(site_id, period.get(), &entry.get(), &exit.get(), &chosen.get())
    };
    let local = Signal::derive(move || if attempted.get() { check().err() } else { None });
    let fields = Signal::derive(move || local.get().or_else(|| error.get().and_then(|e| e.fields().cloned())));
    let banner = Signal::derive(move || error.get().filter(|e: &AppError| e.fields().is_none()));
    let navigate = use_navigate();
    Effect::new(move |_| {
        if let Some(Ok(f)) = create.value().get() {
            navigate(&format!("/filings/{}", f.id), Default::default());
        }
    });
    let dates = Signal::derive(move || typed_dates(&entry.get(), &exit.get()));
    let input = move || -> Option<FilingInput> {
        attempted.set(true);
        check().ok()
    };
    let run_precheck = move |_| {
        // One pre-check at a time: a result always answers the input it was asked about.
        if precheck.pending().get_untracked() {
            return;
        }
        if let Some(i) = input() {
            precheck.dispatch(PrecheckFiling { input: i });
        }
    };
    // One tap, one filing: one request id for this form, and no second dispatch while one is
    // on its way or once the filing exists (the page then moves to it).
    let request_id = crate::ui::new_request_id();
    // Submitting runs the pre-check first: with nothing found the filing goes at once; with
    // warnings the unit sees them and confirms (or goes to fix them) before it goes.
    let awaiting = RwSignal::new(None::<FilingInput>);
    let confirming = RwSignal::new(None::<(FilingInput, Vec<crate::filings::precheck::Precheck>)>);
    let send = move |mut i: FilingInput| {
        if create.pending().get_untracked() || matches!(create.value().get_untracked(), Some(Ok(_))) {
            return;
        }
        i.request_id = Some(request_id);
        confirming.set(None);
        create.dispatch(CreateFiling { input: i });
    };
    // An edit while the warnings are shown withdraws them: "submit anyway" never sends what is
    // no longer on screen.
    Effect::new(move |_| {
        site.track();
        entry.track();
        exit.track();
        chosen.track();
        confirming.set(None);
    });
    Effect::new(move |_| {
        let Some(result) = precheck.value().get() else { return };
        let Some(i) = awaiting.get_untracked() else { return };
        awaiting.set(None);
        match result {
            Ok(checks) if checks.is_empty() => send(i),
            Ok(checks) => confirming.set(Some((i, checks))),
            Err(_) => {}
        }
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if precheck.pending().get_untracked() || create.pending().get_untracked() {
            return;
        }
        if let Some(i) = input() {
            confirming.set(None);
            awaiting.set(Some(i.clone()));
            precheck.dispatch(PrecheckFiling { input: i });
        }
    };
    let t = move |f: fn(Locale) -> &'static str| Signal::derive(move || f(i18n.get_locale()).to_owned());
    view! {
        <PageTitle text=move || td_string!(i18n.get_locale(), filings.new_title).to_string() />
        <section class="card narrow">
            <h1>{t!(i18n, filings.new_title)}</h1>
            <ErrorBanner error=banner />
            <form class="form" novalidate on:submit=submit data-testid="filing-form">
                <div class="field">
                    <label for="site_id">{t!(i18n, filings.site)}</label>
                    <select id="site_id" bind:value=site>
                        <option value="">{t!(i18n, common.select)}</option>
                        <Transition fallback=|| ()>
                            {move || {
                                let current = site.get_untracked();
                                let mut items = sites.get().and_then(|r| r.ok()).map(|p| p.items).unwrap_or_default();
                                // The site asked for by `?site=` is offered even when it is not
                                // among the latest 100.
                                if let Some(s) = chosen_site.get().flatten()
                                    && !items.iter().any(|i| i.id == s.id)
                                {
                                    items.insert(0, s);
                                }
                                (!items.is_empty()).then(|| {
                                    items
                                        .into_iter()
                                        .map(|s| {
                                            let v = s.id.to_string();
                                            let selected = v == current;
                                            view! { <option value=v selected=selected>{s.name} " (" {s.county_name} ")"</option> }
                                        })
                                        .collect_view()
                                })
                            }}
                        </Transition>
                    </select>
                    <FieldErrorText errors=fields field="site_id" />
                </div>
                <div class="row2">
                    <TextField id="planned_entry_on" label=t(|l| td_string!(l, filings.planned_entry_on)) value=entry errors=fields kind="date" />
                    <TextField id="planned_exit_on" label=t(|l| td_string!(l, filings.planned_exit_on)) value=exit errors=fields kind="date" />
                </div>
                <fieldset class="field">
                    <legend>{t!(i18n, filings.choose_machines)}</legend>
                    <MachinePicker chosen dates errors=fields />
                    <p class="muted"><A href="/machines/new">{t!(i18n, machines.new)}</A></p>
                </fieldset>
                <div class="actions">
                    <button type="button" class="button" on:click=run_precheck data-testid="run-precheck" disabled=move || precheck.pending().get()>{t!(i18n, filings.precheck_run)}</button>
                    <button type="submit" class="button primary" data-testid="submit-filing" disabled=move || create.pending().get() || precheck.pending().get() || matches!(create.value().get(), Some(Ok(_)))>{t!(i18n, filings.submit)}</button>
                </div>
                <p class="field-hint">{t!(i18n, filings.what_next)}</p>
                {move || match confirming.get() {
                    Some((i, checks)) => {
                        let locale = i18n.get_locale();
                        let count = checks.len();
                        Either::Left(view! {
                            <section class="banner banner-warn" data-testid="confirm-submit" role="alertdialog">
                                <p><strong>{td_string!(locale, filings.confirm_heading, count = count)}</strong></p>
                                {prechecks_view(locale, checks)}
                                <p>{td_string!(locale, filings.confirm_consequence)}</p>
                                <div class="actions">
                                    <button type="button" class="button primary" data-testid="submit-anyway" on:click=move |_| send(i.clone())>
                                        {td_string!(locale, filings.submit_anyway)}
                                    </button>
                                    <button type="button" class="button" on:click=move |_| confirming.set(None)>
                                        {td_string!(locale, filings.fix_first)}
                                    </button>
                                </div>
                            </section>
                        })
                    }
                    None => Either::Right(move || {
                        (awaiting.get().is_none())
                            .then(|| precheck.value().get().and_then(|r| r.ok()).map(|checks| prechecks_view(i18n.get_locale(), checks)))
                            .flatten()
                    }),
                }}
            </form>
        </section>
    }
}
