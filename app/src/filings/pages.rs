//! Filing pages: the list (the review queue for inspectors), a new filing with its pre-checks,
//! and one filing with its review, correction, entry/exit log.

use super::correct::CorrectFiling;
use super::form::{checked_input, typed_dates};
use super::picker::{Chosen, MachinePicker};
use super::server_fns::{
    CloseFiling, CreateFiling, PrecheckFiling, RecordMovement, ResubmitFiling, ReviewFiling, get_filing, list_filings,
    list_movements,
};
use super::{
    Decision, Filing, FilingFilter, FilingInput, FilingStatus, MovementInput, MovementKind, Precheck, SiteDates,
    left_filing,
};
use crate::auth::Role;
use crate::error::AppError;
use crate::exports::Dataset;
use crate::exports::pages::ExportLinks;
use crate::filings::names::{precheck_message, status_label};
use crate::i18n::*;
use crate::machines::names::{photo_kind_label, stage_label};
use crate::sites::server_fns::{get_site, list_sites};
use crate::ui::{ErrorBanner, FieldErrorText, PageTitle, QueryTab, TextField, use_auth};
use leptos::either::Either;
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::{use_navigate, use_params_map, use_query_map};
use uuid::Uuid;

fn role() -> Option<Role> {
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
            {(!filing.prechecks.is_empty()).then(|| view! { <div class="badge badge-warn">{filing.prechecks.len()} " ⚠"</div> })}
        </li>
    }
}

fn prechecks_view(locale: Locale, checks: Vec<Precheck>) -> impl IntoView {
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
fn precheck_fixes(locale: Locale, p: &Precheck) -> Vec<(String, String)> {
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

/// A time typed in a `datetime-local` field, read as China time.
fn typed_instant(raw: &str) -> Option<chrono::DateTime<chrono::Utc>> {
    let local = chrono::NaiveDateTime::parse_from_str(raw, "%Y-%m-%dT%H:%M").ok()?;
    Some(local.and_local_timezone(crate::dates::china()).single()?.with_timezone(&chrono::Utc))
}

/// `/filings/:id`
#[component]
pub fn FilingPage() -> impl IntoView {
    let i18n = use_i18n();
    let params = use_params_map();
    let id = move || params.with(|p| p.get("id").and_then(|v| Uuid::parse_str(&v).ok()));
    let review = ServerAction::<ReviewFiling>::new();
    let resubmit = ServerAction::<ResubmitFiling>::new();
    let close = ServerAction::<CloseFiling>::new();
    let record = ServerAction::<RecordMovement>::new();
    let filing = Resource::new(
        move || (id(), review.version().get(), resubmit.version().get(), close.version().get()),
        |(id, ..)| async move {
            match id {
                Some(id) => get_filing(id).await,
                None => Err(AppError::NotFound),
            }
        },
    );
    let movements = Resource::new(
        move || (id(), record.version().get()),
        |(id, _)| async move {
            match id {
                Some(id) => list_movements(id).await,
                None => Err(AppError::NotFound),
            }
        },
    );
    let action_error = Signal::derive(move || {
        review
            .value()
            .get()
            .and_then(|r| r.err())
            .or_else(|| resubmit.value().get().and_then(|r| r.err()))
            .or_else(|| close.value().get().and_then(|r| r.err()))
            .or_else(|| record.value().get().and_then(|r| r.err()))
    });
    let review_fields =
        Signal::derive(move || review.value().get().and_then(|r| r.err()).and_then(|e| e.fields().cloned()));
    let reason = RwSignal::new(String::new());
    let move_machine = RwSignal::new(String::new());
    let move_kind = RwSignal::new("enter".to_owned());
    let move_at = RwSignal::new(String::new());
    view! {
        <PageTitle text=move || td_string!(i18n.get_locale(), filings.title).to_string() />
        <ErrorBanner error=action_error />
        <Transition fallback=move || view! { <p class="muted">{t!(i18n, common.loading)}</p> }>
            {move || {
                let locale = i18n.get_locale();
                let role = role();
                filing
                    .get()
                    .map(|r| match r {
                        Err(e) => Either::Left(view! { <section class="card"><p class="banner banner-error">{e.message(locale)}</p></section> }),
                        Ok(f) => {
                            let fid = f.id;
                            let status = f.status;
                            let (entry, exit) = (f.planned_entry_on, f.planned_exit_on);
                            let machines_for_log = f.machines.clone();
                            Either::Right(view! {
                                <section class="card">
                                    <div class="card-head">
                                        <h1>{f.site_name.clone()}</h1>
                                        <span class=format!("badge status-{}", status.as_str()) data-testid="filing-status">{status_label(locale, status)}</span>
                                    </div>
                                    <dl class="facts">
                                        <dt>{td_string!(locale, filings.organization)}</dt><dd>{f.organization_name.clone()}</dd>
                                        <dt>{td_string!(locale, filings.county)}</dt><dd>{f.county_name.clone()}</dd>
                                        <dt>{td_string!(locale, filings.planned_entry_on)}</dt><dd>{entry.to_string()}</dd>
                                        <dt>{td_string!(locale, filings.planned_exit_on)}</dt><dd>{exit.to_string()}</dd>
                                    </dl>
                                    {f.return_reason.clone().map(|r| view! {
                                        <div class="banner banner-warn" data-testid="return-reason"><strong>{td_string!(locale, filings.return_reason)} ": "</strong>{r}</div>
                                    })}
                                    <h2>{td_string!(locale, filings.machines)}</h2>
                                    // One card per machine (readable at 360 px), with the photos on
                                    // file, so the reviewer sees the nameplates beside the facts.
                                    <ul class="filed-machines" data-testid="filed-machines">
                                        {f.machines.clone().into_iter().map(|m| {
                                            let href = format!("/machines/{}", m.id);
                                            let photos = m.photos.clone();
                                            view! {
                                                <li class="filed-machine">
                                                    <div class="fm-head">
                                                        <A href=href><strong>{m.name}</strong></A>
                                                        <span class="code">{m.registration_code.unwrap_or_default()}</span>
                                                    </div>
                                                    <div class="muted">
                                                        {stage_label(locale, m.emission_stage)} " · " {format!("{} kW", m.rated_power_kw)}
                                                        {m.left_on.map(|d| view! { " " <span class="badge" data-testid="left-on">{td_string!(locale, filings.left_on, date = d.to_string()).to_string()}</span> })}
                                                    </div>
                                                    {(!photos.is_empty()).then(|| view! {
                                                        <ul class="thumbs" data-testid="machine-photos">
                                                            {photos.into_iter().map(|k| {
                                                                let src = format!("/api/v1/machines/{}/photos/{}?size=web", m.id, k.as_str());
                                                                let label = photo_kind_label(locale, k);
                                                                let href = src.clone();
                                                                view! {
                                                                    <li>
                                                                        <a href=href target="_blank" rel="noopener">
                                                                            <img src=src alt=label loading="lazy" />
                                                                        </a>
                                                                        <span>{label}</span>
                                                                    </li>
                                                                }
                                                            }).collect_view()}
                                                        </ul>
                                                    })}
                                                </li>
                                            }
                                        }).collect_view()}
                                    </ul>
                                    <h2>{td_string!(locale, filings.precheck)}</h2>
                                    {prechecks_view(locale, f.prechecks.clone())}
                                </section>
                                {(status == FilingStatus::Submitted && role == Some(Role::CountyInspector)).then(|| view! {
                                    // A plain form: before the WASM arrives the browser posts it (the
                                    // button pressed names the decision; a return needs its reason)
                                    // and is sent back here; once hydrated it is sent in place.
                                    <form class="card narrow form" data-testid="review" method="post" action={<ReviewFiling as leptos::server_fn::ServerFn>::PATH}>
                                        <input type="hidden" name="id" value=fid.to_string() />
                                        <div class="field">
                                            <label for="reason">{td_string!(locale, filings.return_reason)}</label>
                                            <textarea id="reason" name="reason" bind:value=reason rows="3" required maxlength="1000" aria-describedby="reason-error"></textarea>
                                            <FieldErrorText errors=review_fields field="reason" />
                                        </div>
                                        <div class="actions">
                                            <button type="submit" name="decision" value="accept" formnovalidate class="button primary" on:click=move |ev| {
                                                ev.prevent_default();
                                                if !review.pending().get_untracked() {
                                                    review.dispatch(ReviewFiling { id: fid, decision: Decision::Accept, reason: None });
                                                }
                                            } disabled=move || review.pending().get() data-testid="review-accept">{td_string!(locale, filings.review_accept)}</button>
                                            <button type="submit" name="decision" value="return" class="button danger" on:click=move |ev| {
                                                ev.prevent_default();
                                                if !review.pending().get_untracked() {
                                                    review.dispatch(ReviewFiling { id: fid, decision: Decision::Return, reason: Some(reason.get()) });
                                                }
                                            } disabled=move || review.pending().get() data-testid="review-return">{td_string!(locale, filings.review_return)}</button>
                                        </div>
                                    </form>
                                })}
                                {(status == FilingStatus::Returned && role.is_some_and(|r| r.is_contractor())).then(|| {
                                    view! { <CorrectFiling filing=f.clone() resubmit /> }
                                })}
                                {(status == FilingStatus::Accepted || status == FilingStatus::Closed).then(|| {
                                    let log_machines = machines_for_log.clone();
                                    view! {
                                        <section class="card">
                                            <h2>{td_string!(locale, filings.movements)}</h2>
                                            <Transition fallback=|| ()>
                                                {move || movements.get().and_then(|r| r.ok()).map(|list| {
                                                    let names = log_machines.clone();
                                                    view! {
                                                        <ul class="log" data-testid="movements">
                                                            {list.into_iter().map(|mv| {
                                                                let name = names.iter().find(|m| m.id == mv.machine_id).map(|m| m.name.clone()).unwrap_or_default();
                                                                view! {
                                                                    <li>
                                                                        {mv.at.with_timezone(&crate::dates::china()).format("%Y-%m-%d %H:%M").to_string()} " · " {name} " · "
                                                                        {match mv.kind { MovementKind::Enter => td_string!(locale, filings.enter), MovementKind::Exit => td_string!(locale, filings.exit) }}
                                                                        {mv.outside_window.then(|| view! { <span class="badge badge-warn">{td_string!(locale, filings.outside_window)}</span> })}
                                                                    </li>
                                                                }
                                                            }).collect_view()}
                                                        </ul>
                                                    }
                                                })}
                                            </Transition>
                                            {(status == FilingStatus::Accepted && role.is_some_and(|r| r.is_contractor())).then(|| {
                                                let options = machines_for_log.clone();
                                                // Entering is not offered for a machine that had left by the time typed
                                                // (by now, before a time is typed): the rule the server applies.
                                                let offered = move || {
                                                    let entering = move_kind.get() != "exit";
                                                    let at = typed_instant(&move_at.get()).unwrap_or(chrono::DateTime::<chrono::Utc>::MAX_UTC);
                                                    options.iter().filter(|m| !entering || !left_filing(m.left_at, at)).cloned().collect::<Vec<_>>()
                                                };
                                                view! {
                                                    <form class="form inline" on:submit=move |ev: leptos::ev::SubmitEvent| {
                                                        ev.prevent_default();
                                                        let Ok(machine_id) = Uuid::parse_str(&move_machine.get()) else { return };
                                                        let Some(at) = typed_instant(&move_at.get()) else { return };
                                                        let kind = if move_kind.get() == "exit" { MovementKind::Exit } else { MovementKind::Enter };
                                                        record.dispatch(RecordMovement { id: fid, input: MovementInput { machine_id, kind, at } });
                                                    }>
                                                        <select bind:value=move_machine aria-label=td_string!(locale, filings.machines)>
                                                            <option value="">{td_string!(locale, common.select)}</option>
                                                            {move || offered().into_iter().map(|m| view! { <option value=m.id.to_string()>{m.name}</option> }).collect_view()}
                                                        </select>
                                                        <select bind:value=move_kind aria-label=td_string!(locale, filings.movements)>
                                                            <option value="enter">{td_string!(locale, filings.enter)}</option>
                                                            <option value="exit">{td_string!(locale, filings.exit)}</option>
                                                        </select>
                                                        <input type="datetime-local" bind:value=move_at aria-label=td_string!(locale, filings.at) />
                                                        <button type="submit" class="button">{td_string!(locale, filings.movement_record)}</button>
                                                    </form>
                                                    <p>
                                                        <button type="button" class="button" on:click=move |_| { close.dispatch(CloseFiling { id: fid }); }>
                                                            {td_string!(locale, filings.close)}
                                                        </button>
                                                    </p>
                                                }
                                            })}
                                        </section>
                                    }
                                })}
                            })
                        }
                    })
            }}
        </Transition>
    }
}
