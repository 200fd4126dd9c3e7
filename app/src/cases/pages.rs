//! Case pages: the list (overdue ones stand out) and one case with its history, the inspector's
//! actions and joint notes.

use super::server_fns::{AddCaseNote, TransitionCase, get_case, list_cases};
use super::{CaseFilter, CaseState, TransitionInput};
use crate::auth::Role;
use crate::cases::names::{case_kind_label, case_state_label};
use crate::error::AppError;
use crate::exports::Dataset;
use crate::exports::pages::ExportLinks;
use crate::i18n::*;
use crate::notes::NoteInput;
use crate::ui::{ErrorBanner, FieldErrorText, PageTitle, use_auth};
use leptos::either::Either;
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::{use_params_map, use_query_map};
use uuid::Uuid;

fn role() -> Option<Role> {
    use_auth().user.get().and_then(|r| r.ok()).flatten().map(|m| m.role)
}

/// `/cases`
#[component]
pub fn CasesPage() -> impl IntoView {
    let i18n = use_i18n();
    let query = use_query_map();
    let overdue = move || query.with(|q| q.get("overdue").is_some_and(|v| v == "true"));
    // `?state=`, `?open=true`, `?due_by=`, `?awaiting_check=true` narrow the list (the home
    // page's to-do lines open them).
    let state = move || query.with(|q| q.get("state").and_then(|s| CaseState::parse(&s)));
    let flag = move |k: &str| query.with(|q| q.get(k).is_some_and(|v| v == "true")).then_some(true);
    let due_by = move || query.with(|q| q.get("due_by").and_then(|d| d.parse::<chrono::NaiveDate>().ok()));
    let filter = move || CaseFilter {
        overdue: overdue().then_some(true),
        state: state(),
        open: flag("open"),
        due_by: due_by(),
        awaiting_check: flag("awaiting_check"),
        ..Default::default()
    };
    let cases = Resource::new(filter, |f| list_cases(f, None));
    view! {
        <PageTitle text=move || td_string!(i18n.get_locale(), cases.title).to_string() />
        <section class="card">
            <div class="card-head">
                <h1>{t!(i18n, cases.heading)}</h1>
                <div class="actions">
                    <ExportLinks
                        dataset=Dataset::Cases
                        filters=Signal::derive(move || vec![("overdue", if overdue() { "true".to_owned() } else { String::new() })])
                    />
                    // A plain link: the router's `<A>` compares the path only, so it marked itself current on
                    // every list of cases.
                    <a href="/cases?overdue=true" class="button">{t!(i18n, cases.only_overdue)}</a>
                </div>
            </div>
            <Transition fallback=move || view! { <p class="muted">{t!(i18n, common.loading)}</p> }>
                {move || {
                    let locale = i18n.get_locale();
                    cases.get().map(|r| match r {
                        Err(e) => Either::Left(view! { <p class="banner banner-error">{e.message(locale)}</p> }),
                        Ok(page) => Either::Right(view! {
                            {page.items.is_empty().then(|| view! { <p class="muted">{td_string!(locale, common.empty)}</p> })}
                            <ul class="cards" data-testid="case-list">
                                {page.items.into_iter().map(|c| {
                                    let href = format!("/cases/{}", c.id);
                                    view! {
                                        <li class=if c.overdue { "item overdue" } else { "item" }>
                                            <div class="item-main">
                                                <A href=href><strong>{case_kind_label(locale, c.kind)}</strong></A>
                                                <span class="badge">{case_state_label(locale, c.state)}</span>
                                                {c.overdue.then(|| view! { <span class="badge badge-bad">{td_string!(locale, cases.overdue)}</span> })}
                                            </div>
                                            <div class="muted">
                                                {c.machine.map(|m| m.name).unwrap_or_default()} " · " {c.site_name} " · "
                                                {c.opened_at.with_timezone(&crate::dates::china()).format("%Y-%m-%d").to_string()}
                                                {c.deadline_on.map(|d| format!(" · {} {d}", td_string!(locale, cases.deadline)))}
                                            </div>
                                        </li>
                                    }
                                }).collect_view()}
                            </ul>
                        }),
                    })
                }}
            </Transition>
        </section>
    }
}

/// `/cases/:id`
#[component]
pub fn CasePage() -> impl IntoView {
    let i18n = use_i18n();
    let params = use_params_map();
    let id = move || params.with(|p| p.get("id").and_then(|v| Uuid::parse_str(&v).ok()));
    let transition = ServerAction::<TransitionCase>::new();
    let note = ServerAction::<AddCaseNote>::new();
    // The case and the inspection that opened it (its measured values are what the unit must put
    // right) are read in one resource: a second resource keyed on the first is not awaited by
    // the server's render in every run, so the measurements were sometimes missing from the HTML.
    let case = Resource::new(
        move || (id(), transition.version().get(), note.version().get()),
        |(id, ..)| async move {
            let Some(id) = id else { return Err(AppError::NotFound) };
            let detail = get_case(id).await?;
            let opening = crate::inspections::server_fns::get_inspection(detail.case.inspection_id).await.ok();
            Ok((detail, opening))
        },
    );
    let to = RwSignal::new(String::new());
    let remark = RwSignal::new(String::new());
    let deadline = RwSignal::new(String::new());
    let penalty = RwSignal::new(String::new());
    let basis = RwSignal::new("《大气污染防治法》第一百一十四条".to_owned());
    let note_body = RwSignal::new(String::new());
    // One tap, one note: the note being written has one request id; once it is added the box
    // empties and the next note gets a new id (a failed send keeps both, to send again).
    let note_request = RwSignal::new(crate::ui::new_request_id());
    Effect::new(move |_| {
        if let Some(Ok(_)) = note.value().get() {
            note_body.set(String::new());
            note_request.set(crate::ui::new_request_id());
        }
    });
    let error = Signal::derive(move || {
        transition.value().get().and_then(|r| r.err()).or_else(|| note.value().get().and_then(|r| r.err()))
    });
    let fields = Signal::derive(move || error.get().and_then(|e| e.fields().cloned()));
    let banner = Signal::derive(move || error.get().filter(|e: &AppError| e.fields().is_none()));
    view! {
        <PageTitle text=move || td_string!(i18n.get_locale(), cases.title).to_string() />
        <ErrorBanner error=banner />
        <Transition fallback=move || view! { <p class="muted">{t!(i18n, common.loading)}</p> }>
            {move || {
                let locale = i18n.get_locale();
                let role = role();
                case.get().map(|r| match r {
                    Err(e) => Either::Left(view! { <section class="card"><p class="banner banner-error">{e.message(locale)}</p></section> }),
                    Ok((detail, opening)) => {
                        let c = detail.case.clone();
                        let cid = c.id;
                        let version = c.version;
                        let state = c.state;
                        let inspection_href = format!("/inspections/{}", c.inspection_id);
                        let reinspect_href = c.machine.as_ref().and_then(|m| m.registration_code.clone())
                            .map(|code| format!("/field/inspect?code={code}&site={}&case={cid}", c.site_id));
                        Either::Right(view! {
                            <section class="card">
                                <div class="card-head">
                                    <h1>{case_kind_label(locale, c.kind)}</h1>
                                    <span class="badge" data-testid="case-state">{case_state_label(locale, state)}</span>
                                    {c.overdue.then(|| view! { <span class="badge badge-bad">{td_string!(locale, cases.overdue)}</span> })}
                                </div>
                                <dl class="facts">
                                    <dt>{td_string!(locale, filings.site)}</dt><dd>{c.site_name.clone()}</dd>
                                    <dt>{td_string!(locale, filings.machines)}</dt><dd>{c.machine.as_ref().map(|m| m.name.clone()).unwrap_or_default()}</dd>
                                    <dt>{td_string!(locale, filings.organization)}</dt><dd>{c.organization_name.clone().unwrap_or_default()}</dd>
                                    <dt>{td_string!(locale, cases.opened_at)}</dt><dd>{c.opened_at.with_timezone(&crate::dates::china()).format("%Y-%m-%d %H:%M").to_string()}</dd>
                                    <dt>{td_string!(locale, cases.deadline)}</dt><dd>{c.deadline_on.map(|d| d.to_string()).unwrap_or_else(|| "—".into())}</dd>
                                    <dt>{td_string!(locale, cases.penalty)}</dt><dd>{c.penalty_yuan.map(|p| p.to_string()).unwrap_or_else(|| "—".into())}</dd>
                                </dl>
                                {opening.map(|i| view! {
                                    <h2>{td_string!(locale, cases.measured)}</h2>
                                    <dl class="facts" data-testid="case-measurements">
                                        <dt>{td_string!(locale, field.inspected_at)}</dt>
                                        <dd>{i.inspected_at.with_timezone(&crate::dates::china()).format("%Y-%m-%d %H:%M").to_string()}</dd>
                                        {crate::inspections::pages::measured_rows(locale, &i)}
                                    </dl>
                                })}
                                <p><A href=inspection_href>{td_string!(locale, cases.opening_inspection)}</A></p>
                                <h2>{td_string!(locale, cases.history)}</h2>
                                <ul class="log" data-testid="case-history">
                                    {detail.events.clone().into_iter().map(|e| view! {
                                        <li>
                                            {e.at.with_timezone(&crate::dates::china()).format("%Y-%m-%d %H:%M").to_string()} " · " {e.actor_name} " · "
                                            {case_state_label(locale, e.to)} {e.note.map(|n| format!(" — {n}"))}
                                        </li>
                                    }).collect_view()}
                                </ul>
                            </section>
                            {(role == Some(Role::CountyInspector) && state != CaseState::Closed).then(|| view! {
                                <section class="card narrow">
                                    <h2>{td_string!(locale, cases.transition)}</h2>
                                    {(state == CaseState::RectificationOrdered).then(|| reinspect_href.clone().map(|h| view! {
                                        <p><A href=h attr:class="button">{td_string!(locale, cases.reinspect)}</A></p>
                                    }))}
                                    <form class="form" novalidate on:submit=move |ev: leptos::ev::SubmitEvent| {
                                        ev.prevent_default();
                                        let Some(target) = CaseState::parse(&to.get()) else { return };
                                        let opt = |s: RwSignal<String>| Some(s.get()).filter(|v| !v.trim().is_empty());
                                        transition.dispatch(TransitionCase { id: cid, input: TransitionInput {
                                            to: target,
                                            note: opt(remark),
                                            deadline_on: chrono::NaiveDate::parse_from_str(deadline.get().trim(), "%Y-%m-%d").ok(),
                                            penalty_yuan: penalty.get().trim().parse().ok(),
                                            legal_basis: opt(basis),
                                            version: Some(version),
                                        }});
                                    }>
                                        <div class="field">
                                            <label for="to">{td_string!(locale, cases.to)}</label>
                                            <select id="to" bind:value=to>
                                                <option value="">{td_string!(locale, common.select)}</option>
                                                {[CaseState::RectificationOrdered, CaseState::Penalized, CaseState::Closed].into_iter().map(|s| view! {
                                                    <option value=s.as_str()>{case_state_label(locale, s)}</option>
                                                }).collect_view()}
                                            </select>
                                            <FieldErrorText errors=fields field="to" />
                                        </div>
                                        <div class="field">
                                            <label for="deadline_on">{td_string!(locale, cases.deadline)}</label>
                                            <input id="deadline_on" type="date" bind:value=deadline />
                                            <FieldErrorText errors=fields field="deadline_on" />
                                        </div>
                                        <div class="row2">
                                            <div class="field">
                                                <label for="penalty_yuan">{td_string!(locale, cases.penalty)}</label>
                                                <input id="penalty_yuan" type="number" inputmode="numeric" bind:value=penalty />
                                                <FieldErrorText errors=fields field="penalty_yuan" />
                                            </div>
                                            <div class="field">
                                                <label for="legal_basis">{td_string!(locale, cases.legal_basis)}</label>
                                                <input id="legal_basis" bind:value=basis />
                                            </div>
                                        </div>
                                        <div class="field">
                                            <label for="note">{td_string!(locale, cases.note)}</label>
                                            <textarea id="note" rows="2" bind:value=remark></textarea>
                                        </div>
                                        <button type="submit" class="button primary">{td_string!(locale, cases.apply)}</button>
                                    </form>
                                </section>
                            })}
                            <section class="card narrow">
                                <h2>{td_string!(locale, inspections.notes_heading)}</h2>
                                <ul class="log">
                                    {detail.notes.clone().into_iter().map(|n| view! { <li><strong>{n.author_name}</strong> ": " {n.body}</li> }).collect_view()}
                                </ul>
                                {crate::auth::permissions::allows(&crate::auth::permissions::NOTE_AUTHORS, role).then(|| view! {
                                    <form class="form" on:submit=move |ev: leptos::ev::SubmitEvent| {
                                        ev.prevent_default();
                                        if note.pending().get_untracked() {
                                            return;
                                        }
                                        let input = NoteInput { body: note_body.get(), request_id: Some(note_request.get_untracked()) };
                                        note.dispatch(AddCaseNote { id: cid, input });
                                    }>
                                        <textarea rows="2" bind:value=note_body aria-label=td_string!(locale, inspections.add_note)></textarea>
                                        <button type="submit" class="button" disabled=move || note.pending().get()>{td_string!(locale, inspections.add_note)}</button>
                                    </form>
                                })}
                            </section>
                            <crate::evidence::pages::EvidenceGallery kind=crate::evidence::SubjectKind::Case id=cid />
                        })
                    }
                })
            }}
        </Transition>
    }
}
