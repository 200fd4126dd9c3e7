//! On a registered machine's page: the "request an amendment" form (the registered facts,
//! prefilled with the registered values, and the reason; checked with the shared rules before
//! it is sent), and the machine's amendment history.

use super::view::ChangesTable;
use crate::amendments::names::amendment_status_label;
use crate::amendments::server_fns::{SubmitAmendment, amendment_history};
use crate::amendments::{Amendment, AmendmentInput, AmendmentStatus, apply_changes, check_reason};
use crate::error::{AppError, FieldErrors};
use crate::i18n::*;
use crate::machines::facts::RegisteredFact;
use crate::machines::names::{fact_label, fuel_label, stage_label};
use crate::machines::server_fns::machine_types;
use crate::machines::{EmissionStage, FuelType, Machine, MachineInput, MachineTypeInfo};
use crate::ui::{ErrorBanner, FieldErrorText, browser_today, use_auth};
use leptos::either::Either;
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_navigate;
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// The amendment panel of a machine's page: who may ask sees the form (or the pending request),
/// everyone who sees the machine sees its history.
#[component]
pub fn AmendmentPanel(machine: Machine) -> impl IntoView {
    let i18n = use_i18n();
    let mid = machine.id;
    let history = Resource::new(move || mid, |id| amendment_history(id, None));
    let types = Resource::new(|| (), |_| machine_types());
    let type_list = Signal::derive(move || types.get().and_then(|r| r.ok()).unwrap_or_default());
    let auth = use_auth();
    let may_ask = move || auth.may(&crate::auth::permissions::AMENDMENT_REQUESTERS);
    let registered = machine.registration_code.is_some();
    view! {
        <Transition fallback=move || view! { <p class="muted">{t!(i18n, common.loading)}</p> }>
            {move || {
                let locale = i18n.get_locale();
                let machine = machine.clone();
                history.get().map(|r| match r {
                    Err(e) => Either::Left(view! { <section class="card"><p class="banner banner-error">{e.message(locale)}</p></section> }),
                    Ok(page) => {
                        let pending = page.items.iter().find(|a| a.status == AmendmentStatus::Pending).map(|a| a.id);
                        Either::Right(view! {
                            {(registered && may_ask()).then(|| match pending {
                                Some(id) => Either::Left(view! {
                                    <section class="card narrow">
                                        <div class="banner banner-warn" data-testid="amendment-pending">
                                            {td_string!(locale, amendments.pending_exists)} " "
                                            <A href=format!("/amendments/{id}")>{td_string!(locale, amendments.view)}</A>
                                        </div>
                                    </section>
                                }),
                                None => Either::Right(view! { <RequestForm machine=machine.clone() types=type_list /> }),
                            })}
                            <section class="card" data-testid="amendment-history">
                                <h2>{td_string!(locale, amendments.history)}</h2>
                                {page.items.is_empty().then(|| view! { <p class="muted">{td_string!(locale, amendments.no_history)}</p> })}
                                <ul class="cards">
                                    {page.items.into_iter().map(|a| view! { <HistoryEntry amendment=a types=type_list /> }).collect_view()}
                                </ul>
                            </section>
                        })
                    }
                })
            }}
        </Transition>
    }
}

/// One amendment of the history: outcome, dates, who, the old and new values, the reasons.
#[component]
fn HistoryEntry(amendment: Amendment, #[prop(into)] types: Signal<Vec<MachineTypeInfo>>) -> impl IntoView {
    let i18n = use_i18n();
    let a = amendment;
    let china =
        |t: chrono::DateTime<chrono::Utc>| t.with_timezone(&crate::dates::china()).format("%Y-%m-%d").to_string();
    let who = |x: &Option<crate::amendments::Actor>| x.as_ref().map(|x| format!(" · {}", x.name)).unwrap_or_default();
    let asked = format!("{}{}", china(a.submitted_at), who(&a.submitted_by));
    let decided = a.reviewed_at.map(|t| format!("{}{}", china(t), who(&a.reviewed_by)));
    let withdrawn = a.withdrawn_at.map(china);
    let status = a.status;
    view! {
        <li class="item">
            <div class="item-main">
                <A href=format!("/amendments/{}", a.id)><strong>{asked}</strong></A>
                <span class=format!("badge amendment-{}", status.as_str())>{move || amendment_status_label(i18n.get_locale(), status)}</span>
            </div>
            <ChangesTable changes=a.changes.clone() types=types />
            <p class="small">
                <strong>{move || td_string!(i18n.get_locale(), amendments.reason)} ": "</strong>{a.reason.clone()}
            </p>
            {decided.map(|d| view! { <p class="small muted">{move || td_string!(i18n.get_locale(), amendments.reviewed_at)} ": " {d}</p> })}
            {withdrawn.map(|d| view! { <p class="small muted">{move || td_string!(i18n.get_locale(), amendments.withdrawn_at)} ": " {d}</p> })}
            {a.return_reason.clone().map(|r| view! {
                <p class="small"><strong>{move || td_string!(i18n.get_locale(), amendments.return_reason)} ": "</strong>{r}</p>
            })}
        </li>
    }
}

/// A registered fact's input as typed: text for most, a choice or a box for the rest.
fn initial(fact: RegisteredFact, m: &MachineInput) -> String {
    match fact.value(m) {
        Value::String(s) => s,
        Value::Bool(b) => b.to_string(),
        Value::Null => String::new(),
        Value::Number(n) => n.as_f64().map_or_else(|| n.to_string(), |f| f.to_string()),
        other => other.to_string(),
    }
}

/// The typed value of a fact as JSON: empty text is `null`, a number that does not parse stays
/// text (the shared rule then names the field).
fn typed(fact: RegisteredFact, raw: &str) -> Value {
    let raw = raw.trim();
    match fact {
        RegisteredFact::DpfFitted | RegisteredFact::ObdFitted | RegisteredFact::RemoteTerminal => {
            Value::Bool(raw == "true")
        }
        RegisteredFact::RatedPowerKw => {
            raw.parse::<f64>().ok().map(|n| serde_json::json!(n)).unwrap_or(Value::String(raw.into()))
        }
        RegisteredFact::MachineType | RegisteredFact::EmissionStage | RegisteredFact::FuelType => {
            Value::String(raw.into())
        }
        _ if raw.is_empty() => Value::Null,
        _ => Value::String(raw.into()),
    }
}

/// The request form.
#[component]
fn RequestForm(machine: Machine, #[prop(into)] types: Signal<Vec<MachineTypeInfo>>) -> impl IntoView {
    let i18n = use_i18n();
    let current = machine.data.clone();
    let values: BTreeMap<RegisteredFact, RwSignal<String>> =
        RegisteredFact::ALL.into_iter().map(|f| (f, RwSignal::new(initial(f, &current)))).collect();
    let reason = RwSignal::new(String::new());
    let local = RwSignal::new(None::<FieldErrors>);
    let submit = ServerAction::<SubmitAmendment>::new();
    let error = Signal::derive(move || submit.value().get().and_then(|r| r.err()));
    let fields = Signal::derive(move || local.get().or_else(|| error.get().and_then(|e| e.fields().cloned())));
    let banner = Signal::derive(move || error.get().filter(|e: &AppError| e.fields().is_none()));
    let navigate = use_navigate();
    Effect::new(move |_| {
        if let Some(Ok(a)) = submit.value().get() {
            navigate(&format!("/amendments/{}", a.id), Default::default());
        }
    });
    let mid = machine.id;
    let form_values = values.clone();
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let typed_values: Map<String, Value> =
            form_values.iter().map(|(f, v)| (f.as_str().to_owned(), typed(*f, &v.get()))).collect();
        let mut errors = FieldErrors::new();
        let r = check_reason(&reason.get()).map_err(|e| errors.add("reason", e)).ok();
        let changes = match apply_changes(&current, &typed_values, browser_today()) {
            Ok((_, changes)) => Some(changes),
            Err(e) => {
                e.0.into_iter().for_each(|(f, es)| es.into_iter().for_each(|x| errors.add(&f, x)));
                None
            }
        };
        match (r, changes) {
            (Some(reason), Some(changes)) => {
                local.set(None);
                let changes = changes.into_iter().map(|c| (c.field.as_str().to_owned(), c.new)).collect();
                submit.dispatch(SubmitAmendment { machine_id: mid, input: AmendmentInput { changes, reason } });
            }
            _ => local.set(Some(errors)),
        }
    };
    let input = move |fact: RegisteredFact| {
        let value = values.get(&fact).copied().unwrap_or_else(|| RwSignal::new(String::new()));
        let id = format!("amend-{}", fact.as_str());
        let control = match fact {
            RegisteredFact::DpfFitted | RegisteredFact::ObdFitted | RegisteredFact::RemoteTerminal => {
                let checked = Signal::derive(move || value.get() == "true");
                return view! {
                    <div class="field check">
                        <label>
                            <input type="checkbox" id=id prop:checked=checked on:change=move |ev| value.set(event_target_checked(&ev).to_string()) />
                            {move || fact_label(i18n.get_locale(), fact)}
                        </label>
                        <FieldErrorText errors=fields field=fact.as_str() />
                    </div>
                }
                .into_any();
            }
            RegisteredFact::MachineType => view! {
                <select id=id.clone() bind:value=value>
                    {move || {
                        let locale = i18n.get_locale();
                        types.get().into_iter().map(|t| {
                            let selected = t.code == value.get_untracked();
                            let label = if locale == Locale::zh { t.name_zh } else { t.name_en };
                            view! { <option value=t.code selected=selected>{label}</option> }
                        }).collect_view()
                    }}
                </select>
            }
            .into_any(),
            RegisteredFact::EmissionStage => view! {
                <select id=id.clone() bind:value=value>
                    {move || EmissionStage::ALL.into_iter().map(|s| view! {
                        <option value=s.as_str() selected=s.as_str() == value.get_untracked()>{stage_label(i18n.get_locale(), s)}</option>
                    }).collect_view()}
                </select>
            }
            .into_any(),
            RegisteredFact::FuelType => view! {
                <select id=id.clone() bind:value=value>
                    {move || FuelType::ALL.into_iter().map(|f| view! {
                        <option value=f.as_str() selected=f.as_str() == value.get_untracked()>{fuel_label(i18n.get_locale(), f)}</option>
                    }).collect_view()}
                </select>
            }
            .into_any(),
            RegisteredFact::ManufacturedOn => view! { <input id=id.clone() type="date" bind:value=value /> }.into_any(),
            RegisteredFact::RatedPowerKw => view! { <input id=id.clone() type="number" step="any" inputmode="decimal" bind:value=value /> }.into_any(),
            _ => view! { <input id=id.clone() type="text" autocomplete="off" bind:value=value /> }.into_any(),
        };
        view! {
            <div class="field">
                <label for=id>{move || fact_label(i18n.get_locale(), fact)}</label>
                {control}
                <FieldErrorText errors=fields field=fact.as_str() />
            </div>
        }
        .into_any()
    };
    view! {
        <section class="card narrow" data-testid="amendment-request">
            <h2>{t!(i18n, amendments.request_heading)}</h2>
            <p class="muted small">{t!(i18n, amendments.request_intro)}</p>
            <ErrorBanner error=banner />
            <form class="form" novalidate on:submit=on_submit data-testid="amendment-form">
                {RegisteredFact::ALL.into_iter().map(input).collect_view()}
                <FieldErrorText errors=fields field="changes" />
                <div class="field">
                    <label for="amend-reason">{t!(i18n, amendments.reason)}</label>
                    <textarea id="amend-reason" rows="3" maxlength=crate::amendments::REASON_MAX.to_string() bind:value=reason></textarea>
                    <FieldErrorText errors=fields field="reason" />
                </div>
                <button type="submit" class="button primary" disabled=move || submit.pending().get()>
                    {move || if submit.pending().get() { td_string!(i18n.get_locale(), amendments.submitting) } else { td_string!(i18n.get_locale(), amendments.submit) }}
                </button>
            </form>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typed_values_round_trip_the_registered_ones() {
        let m = MachineInput::example();
        for f in RegisteredFact::ALL {
            assert_eq!(typed(f, &initial(f, &m)), f.value(&m), "{f:?}");
        }
        assert_eq!(typed(RegisteredFact::RatedPowerKw, "12x"), Value::String("12x".into()));
        assert_eq!(typed(RegisteredFact::EngineMaker, "  "), Value::Null);
        assert_eq!(initial(RegisteredFact::RatedPowerKw, &m), "118");
    }
}
