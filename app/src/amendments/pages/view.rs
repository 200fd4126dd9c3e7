//! Display pieces shared by the amendment pages: a fact's value in words, the old/new table,
//! and one amendment as a list item.

use crate::amendments::names::amendment_status_label;
use crate::amendments::{Amendment, FactChange};
use crate::i18n::*;
use crate::machines::facts::RegisteredFact;
use crate::machines::names::{fact_label, fuel_label, stage_label};
use crate::machines::{EmissionStage, FuelType, MachineTypeInfo};
use leptos::prelude::*;
use leptos_router::components::A;
use serde_json::Value;

/// A fact's value as a person reads it: type and stage names, yes/no, kW; "(none)" for empty.
pub fn fact_value(locale: Locale, fact: RegisteredFact, value: &Value, types: &[MachineTypeInfo]) -> String {
    let none = || td_string!(locale, amendments.none_value).to_owned();
    match (fact, value) {
        (_, Value::Null) => none(),
        (RegisteredFact::MachineType, Value::String(code)) => types
            .iter()
            .find(|t| &t.code == code)
            .map(|t| if locale == Locale::zh { t.name_zh.clone() } else { t.name_en.clone() })
            .unwrap_or_else(|| code.clone()),
        (RegisteredFact::EmissionStage, Value::String(s)) => {
            EmissionStage::parse(s).map(|s| stage_label(locale, s).to_owned()).unwrap_or_else(|| s.clone())
        }
        (RegisteredFact::FuelType, Value::String(s)) => {
            FuelType::parse(s).map(|f| fuel_label(locale, f).to_owned()).unwrap_or_else(|| s.clone())
        }
        (RegisteredFact::RatedPowerKw, Value::Number(n)) => {
            n.as_f64().map_or_else(|| n.to_string(), |kw| format!("{kw} kW"))
        }
        (_, Value::Bool(true)) => td_string!(locale, common.yes).to_owned(),
        (_, Value::Bool(false)) => td_string!(locale, common.no).to_owned(),
        (_, Value::String(s)) if s.is_empty() => none(),
        (_, Value::String(s)) => s.clone(),
        (_, other) => other.to_string(),
    }
}

/// The changed facts side by side: the fact, its registered value, the requested one.
#[component]
pub fn ChangesTable(changes: Vec<FactChange>, #[prop(into)] types: Signal<Vec<MachineTypeInfo>>) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <div class="table-wrap">
            <table class="changes" data-testid="amendment-changes">
                <thead>
                    <tr>
                        <th scope="col">{move || td_string!(i18n.get_locale(), amendments.field)}</th>
                        <th scope="col">{move || td_string!(i18n.get_locale(), amendments.old)}</th>
                        <th scope="col">{move || td_string!(i18n.get_locale(), amendments.new)}</th>
                    </tr>
                </thead>
                <tbody>
                    {changes
                        .into_iter()
                        .map(|c| {
                            let (field, old, new) = (c.field, c.old, c.new);
                            view! {
                                <tr data-field=field.as_str()>
                                    <th scope="row">{move || fact_label(i18n.get_locale(), field)}</th>
                                    <td class="old">{move || types.with(|t| fact_value(i18n.get_locale(), field, &old, t))}</td>
                                    <td class="new">{move || types.with(|t| fact_value(i18n.get_locale(), field, &new, t))}</td>
                                </tr>
                            }
                        })
                        .collect_view()}
                </tbody>
            </table>
        </div>
    }
}

/// One amendment in a list: the machine, its status, what changes, who asked and when.
#[component]
pub fn AmendmentItem(amendment: Amendment, #[prop(optional)] show_machine: bool) -> impl IntoView {
    let i18n = use_i18n();
    let a = amendment;
    let href = format!("/amendments/{}", a.id);
    let status = a.status;
    let fields: Vec<RegisteredFact> = a.changes.iter().map(|c| c.field).collect();
    let when = a.submitted_at.with_timezone(&crate::dates::china()).format("%Y-%m-%d").to_string();
    let title = if show_machine { format!("{} · {}", a.machine_name, a.registration_code) } else { when.clone() };
    view! {
        <li class="item" data-testid="amendment-item">
            <div class="item-main">
                <A href=href><strong>{title}</strong></A>
                <span class=format!("badge amendment-{}", status.as_str()) data-testid="amendment-status">
                    {move || amendment_status_label(i18n.get_locale(), status)}
                </span>
            </div>
            <div class="muted">
                {move || {
                    let locale = i18n.get_locale();
                    let sep = if locale == Locale::zh { "、" } else { ", " };
                    fields.iter().map(|f| fact_label(locale, *f)).collect::<Vec<_>>().join(sep)
                }}
                {show_machine.then(|| format!(" · {} · {when}", a.organization_name))}
            </div>
            {a.return_reason.clone().map(|r| view! {
                <div class="muted">{move || td_string!(i18n.get_locale(), amendments.return_reason)} ": " {r.clone()}</div>
            })}
        </li>
    }
}
