//! `/filings/{id}`: one filing, its review, correction and entry/exit log.

use super::correct::CorrectFiling;
use super::*;
use crate::auth::Role;
use crate::error::AppError;
use crate::filings::names::status_label;
use crate::filings::server_fns::{
    CloseFiling, RecordMovement, ResubmitFiling, ReviewFiling, get_filing, list_movements,
};
use crate::filings::{Decision, FilingStatus, MovementInput, MovementKind, left_filing};
use crate::i18n::*;
use crate::machines::names::{photo_kind_label, stage_label};
use crate::ui::{ErrorBanner, FieldErrorText, PageTitle};
use leptos::either::Either;
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_params_map;
use uuid::Uuid;

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
                                // Officials see why a machine of the filing is watched.
                                {role.is_some_and(|r| crate::auth::permissions::LOOKUP.contains(&r)).then(|| view! {
                                    <crate::watchlist::pages::FilingWatchWarning filing_id=fid />
                                })}
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
