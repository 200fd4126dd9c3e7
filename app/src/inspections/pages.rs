//! Inspection pages: the scoped list and one inspection with its verdict and joint notes.

use super::InspectionFilter;
use super::server_fns::{AddInspectionNote, get_inspection, list_inspections};
use crate::cases::names::case_kind_label;
use crate::error::AppError;
use crate::exports::Dataset;
use crate::exports::pages::ExportLinks;
use crate::i18n::*;
use crate::inspections::names::{exemption_label, reason_message, verdict_label};
use crate::machines::names::stage_label;
use crate::notes::NoteInput;
use crate::ui::{PageTitle, use_auth};
use leptos::either::Either;
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_params_map;
use uuid::Uuid;

/// `/inspections`
#[component]
pub fn InspectionsPage() -> impl IntoView {
    let i18n = use_i18n();
    let list = Resource::new(|| (), |_| list_inspections(InspectionFilter::default(), None));
    view! {
        <PageTitle text=move || td_string!(i18n.get_locale(), inspections.title).to_string() />
        <section class="card">
            <div class="card-head">
                <h1>{t!(i18n, inspections.heading)}</h1>
                <div class="actions">
                    <ExportLinks dataset=Dataset::Inspections filters=Signal::derive(Vec::new) />
                </div>
            </div>
            <Transition fallback=move || view! { <p class="muted">{t!(i18n, common.loading)}</p> }>
                {move || {
                    let locale = i18n.get_locale();
                    list.get().map(|r| match r {
                        Err(e) => Either::Left(view! { <p class="banner banner-error">{e.message(locale)}</p> }),
                        Ok(page) => Either::Right(view! {
                            {page.items.is_empty().then(|| view! { <p class="muted">{td_string!(locale, common.empty)}</p> })}
                            <ul class="cards">
                                {page.items.into_iter().map(|i| {
                                    let href = format!("/inspections/{}", i.id);
                                    view! {
                                        <li class="item">
                                            <div class="item-main">
                                                <A href=href><strong>{i.machine.name.clone().unwrap_or_else(|| td_string!(locale, inspections.unregistered).to_owned())}</strong></A>
                                                <span class=format!("badge verdict-{}", i.verdict.as_str())>{verdict_label(locale, i.verdict)}</span>
                                            </div>
                                            <div class="muted">
                                                {i.site_name} " · " {i.inspected_at.with_timezone(&crate::dates::china()).format("%Y-%m-%d %H:%M").to_string()} " · " {i.inspector_name}
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

/// The measured values of an inspection as `<dt>`/`<dd>` pairs: the smoke readings, their mean
/// against the limit, and the Ringelmann level (the inspection's page, and the page of a case it
/// opened, where the unit sees what it is asked to put right).
pub fn measured_rows(locale: Locale, i: &super::Inspection) -> impl IntoView + use<> {
    let k = |v: Option<f64>| v.map(|k| format!("{k:.2}")).unwrap_or_else(|| "—".into());
    let readings = if i.opacity_readings.is_empty() {
        "—".to_owned()
    } else {
        i.opacity_readings.iter().map(|r| format!("{r:.2}")).collect::<Vec<_>>().join(", ")
    };
    let limit = format!("{} / {}", i.limit_class.map(|c| c.as_str()).unwrap_or("—"), k(i.limit_k));
    let ringelmann = i.ringelmann_level.map(|l| l.to_string()).unwrap_or_else(|| "—".into());
    view! {
        <dt>{td_string!(locale, field.readings)}</dt><dd data-testid="readings">{readings}</dd>
        <dt>{td_string!(locale, field.mean_k)}</dt><dd data-testid="mean-k">{k(i.mean_k)}</dd>
        <dt>{td_string!(locale, field.limit_class)}</dt><dd>{limit}</dd>
        <dt>{td_string!(locale, field.ringelmann)}</dt><dd data-testid="ringelmann">{ringelmann}</dd>
    }
}

/// `/inspections/:id`
#[component]
pub fn InspectionPage() -> impl IntoView {
    let i18n = use_i18n();
    let params = use_params_map();
    let id = move || params.with(|p| p.get("id").and_then(|v| Uuid::parse_str(&v).ok()));
    let note = ServerAction::<AddInspectionNote>::new();
    let inspection = Resource::new(
        move || (id(), note.version().get()),
        |(id, _)| async move {
            match id {
                Some(id) => get_inspection(id).await,
                None => Err(AppError::NotFound),
            }
        },
    );
    let body = RwSignal::new(String::new());
    // One tap, one note (see the case page).
    let note_request = RwSignal::new(crate::ui::new_request_id());
    Effect::new(move |_| {
        if let Some(Ok(_)) = note.value().get() {
            body.set(String::new());
            note_request.set(crate::ui::new_request_id());
        }
    });
    let role = move || use_auth().user.get().and_then(|r| r.ok()).flatten().map(|m| m.role);
    view! {
        <PageTitle text=move || td_string!(i18n.get_locale(), inspections.title).to_string() />
        <Transition fallback=move || view! { <p class="muted">{t!(i18n, common.loading)}</p> }>
            {move || {
                let locale = i18n.get_locale();
                inspection.get().map(|r| match r {
                    Err(e) => Either::Left(view! { <section class="card"><p class="banner banner-error">{e.message(locale)}</p></section> }),
                    Ok(i) => {
                        let iid = i.id;
                        Either::Right(view! {
                            <section class="card">
                                <div class="card-head">
                                    <h1>{i.machine.name.clone().unwrap_or_else(|| td_string!(locale, inspections.unregistered).to_owned())}</h1>
                                    <span class=format!("badge verdict-{}", i.verdict.as_str())>{verdict_label(locale, i.verdict)}</span>
                                </div>
                                <dl class="facts">
                                    <dt>{td_string!(locale, filings.site)}</dt><dd>{i.site_name.clone()}</dd>
                                    <dt>{td_string!(locale, field.inspected_at)}</dt><dd>{i.inspected_at.with_timezone(&crate::dates::china()).format("%Y-%m-%d %H:%M").to_string()}</dd>
                                    <dt>{td_string!(locale, inspections.inspector)}</dt><dd>{i.inspector_name.clone()}</dd>
                                    <dt>{td_string!(locale, machines.emission_stage)}</dt><dd>{stage_label(locale, i.machine.emission_stage)} " · " {format!("{} kW", i.machine.rated_power_kw)}</dd>
                                    {measured_rows(locale, &i)}
                                    <dt>{td_string!(locale, inspections.table_version)}</dt><dd>{i.limit_table_version.clone()}</dd>
                                    {i.zone_exemption.clone().map(|e| view! { <dt>{td_string!(locale, field.zone_exemption)}</dt><dd>{exemption_label(locale, &e)}</dd> })}
                                </dl>
                                <ul class="warnings">{i.reasons.clone().into_iter().map(|r| view! { <li>{reason_message(locale, r)}</li> }).collect_view()}</ul>
                                {i.opened_cases.clone().into_iter().map(|c| {
                                    let href = format!("/cases/{}", c.id);
                                    view! { <p><A href=href>{case_kind_label(locale, c.kind)}</A></p> }
                                }).collect_view()}
                            </section>
                            <section class="card narrow">
                                <h2>{td_string!(locale, inspections.notes_heading)}</h2>
                                <ul class="log">{i.joint_notes.clone().into_iter().map(|n| view! { <li><strong>{n.author_name}</strong> ": " {n.body}</li> }).collect_view()}</ul>
                                {crate::auth::permissions::allows(&crate::auth::permissions::NOTE_AUTHORS, role()).then(|| view! {
                                    <form class="form" on:submit=move |ev: leptos::ev::SubmitEvent| {
                                        ev.prevent_default();
                                        if note.pending().get_untracked() {
                                            return;
                                        }
                                        let input = NoteInput { body: body.get(), request_id: Some(note_request.get_untracked()) };
                                        note.dispatch(AddInspectionNote { id: iid, input });
                                    }>
                                        <textarea rows="2" bind:value=body aria-label=td_string!(locale, inspections.add_note)></textarea>
                                        <button type="submit" class="button" disabled=move || note.pending().get()>{td_string!(locale, inspections.add_note)}</button>
                                    </form>
                                })}
                            </section>
                            <crate::evidence::pages::EvidenceGallery kind=crate::evidence::SubjectKind::Inspection id=iid />
                        })
                    }
                })
            }}
        </Transition>
    }
}
