//! The low-emission zones part of `/limits`: the zones an officer administers and a form to
//! draw one (province and city officers).

use crate::error::AppError;
use crate::i18n::*;
use crate::inspections::compliance::LimitClass;
use crate::inspections::limits::ZoneInput;
use crate::inspections::names::exemption_label;
use crate::inspections::server_fns::{CreateZone, list_zones};
use crate::machines::EmissionStage;
use crate::machines::names::stage_label;
use crate::ui::{ErrorBanner, TextField};
use leptos::either::Either;
use leptos::prelude::*;

/// The zones section (rendered for zone administrators only).
#[component]
pub fn ZonesSection() -> impl IntoView {
    let i18n = use_i18n();
    let add_zone = ServerAction::<CreateZone>::new();
    let zones = Resource::new(move || add_zone.version().get(), |_| list_zones());
    let zone_division = RwSignal::new(String::new());
    let zone_name = RwSignal::new(String::new());
    let zone_stage = RwSignal::new("stage_3".to_owned());
    let zone_class = RwSignal::new("III".to_owned());
    let zone_from = RwSignal::new(String::new());
    let zone_to = RwSignal::new(String::new());
    let zone_error = Signal::derive(move || add_zone.value().get().and_then(|r| r.err()));
    let zone_fields = Signal::derive(move || zone_error.get().and_then(|e| e.fields().cloned()));
    let zone_banner = Signal::derive(move || zone_error.get().filter(|e: &AppError| e.fields().is_none()));
    let submit_zone = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let date = |s: RwSignal<String>| chrono::NaiveDate::parse_from_str(s.get().trim(), "%Y-%m-%d").ok();
        let Some(from) = date(zone_from) else { return };
        add_zone.dispatch(CreateZone {
            input: ZoneInput {
                division_code: zone_division.get(),
                name: zone_name.get(),
                min_diesel_stage: EmissionStage::parse(&zone_stage.get()).unwrap_or(EmissionStage::Stage3),
                required_class: LimitClass::parse(&zone_class.get()).unwrap_or(LimitClass::III),
                exemptions: vec!["emergency_rescue".into(), "agriculture_season".into()],
                effective_from: from,
                effective_to: date(zone_to),
                notes: None,
                version: None,
            },
        });
    };
    let t = move |f: fn(Locale) -> &'static str| Signal::derive(move || f(i18n.get_locale()).to_owned());
    view! {
        <section class="card">
            <h2>{t!(i18n, limits.zones)}</h2>
            <Transition fallback=|| ()>
                {move || {
                    let locale = i18n.get_locale();
                    zones.get().map(|r| match r {
                        Err(e) => Either::Left(view! { <p class="banner banner-error">{e.message(locale)}</p> }),
                        Ok(p) => Either::Right(view! {
                            <ul class="cards">
                                {p.items.into_iter().map(|z| view! {
                                    <li class="item">
                                        <strong>{z.division_name}</strong> " · " {z.name}
                                        <div class="muted">
                                            {td_string!(locale, limits.min_stage)} ": " {stage_label(locale, z.min_diesel_stage)} " · "
                                            {td_string!(locale, limits.required_class)} ": " {z.required_class.as_str()} " · "
                                            {z.effective_from.to_string()} " – " {z.effective_to.map(|d| d.to_string()).unwrap_or_default()}
                                        </div>
                                        <div class="muted">{z.exemptions.iter().map(|e| exemption_label(locale, e)).collect::<Vec<_>>().join("、")}</div>
                                    </li>
                                }).collect_view()}
                            </ul>
                        }),
                    })
                }}
            </Transition>
        </section>
        <section class="card narrow">
            <h2>{t!(i18n, limits.new_zone)}</h2>
            <ErrorBanner error=zone_banner />
            <form class="form" novalidate on:submit=submit_zone>
                <TextField id="division_code" label=t(|l| td_string!(l, limits.division)) value=zone_division errors=zone_fields />
                <TextField id="zone_name" label=t(|l| td_string!(l, limits.zone_name)) value=zone_name errors=zone_fields />
                <div class="row2">
                    <div class="field">
                        <label for="min_diesel_stage">{t!(i18n, limits.min_stage)}</label>
                        <select id="min_diesel_stage" bind:value=zone_stage>
                            {[EmissionStage::Stage2, EmissionStage::Stage3, EmissionStage::Stage4].into_iter().map(|s| view! {
                                <option value=s.as_str()>{move || stage_label(i18n.get_locale(), s)}</option>
                            }).collect_view()}
                        </select>
                    </div>
                    <div class="field">
                        <label for="required_class">{t!(i18n, limits.required_class)}</label>
                        <select id="required_class" bind:value=zone_class>
                            {LimitClass::ALL.into_iter().map(|c| view! { <option value=c.as_str()>{c.as_str()}</option> }).collect_view()}
                        </select>
                    </div>
                </div>
                <div class="row2">
                    <TextField id="effective_from" label=t(|l| td_string!(l, limits.effective_from)) value=zone_from errors=zone_fields kind="date" />
                    <TextField id="effective_to" label=t(|l| td_string!(l, limits.effective_to)) value=zone_to errors=zone_fields kind="date" />
                </div>
                <button type="submit" class="button primary">{t!(i18n, common.save)}</button>
            </form>
        </section>
    }
}
