//! `/limits`: the smoke-limit tables (the one in force, every version, publishing a new one) and
//! the low-emission zones an officer administers.

use super::api::{CreateLimitTable, CreateZone, current_limit_table, list_limit_tables, list_zones};
use super::compliance::LimitClass;
use super::limits::{LimitTableInput, ZoneInput};
use crate::error::{AppError, FieldError, FieldErrors};
use crate::i18n::*;
use crate::machines::EmissionStage;
use crate::shell::messages::{exemption_label, stage_label};
use crate::shell::{ErrorBanner, FieldErrorText, PageTitle, TextField};
use leptos::either::Either;
use leptos::prelude::*;

fn band(min: Option<f64>, max: Option<f64>) -> String {
    match (min, max) {
        (None, Some(b)) => format!("< {b}"),
        (Some(a), Some(b)) => format!("{a} – {b}"),
        (Some(a), None) => format!("≥ {a}"),
        (None, None) => "—".into(),
    }
}

/// `/limits`
#[component]
pub fn LimitsPage() -> impl IntoView {
    let i18n = use_i18n();
    let publish = ServerAction::<CreateLimitTable>::new();
    let add_zone = ServerAction::<CreateZone>::new();
    let current = Resource::new(move || publish.version().get(), |_| current_limit_table(None));
    let tables = Resource::new(move || publish.version().get(), |_| list_limit_tables());
    let zones = Resource::new(move || add_zone.version().get(), |_| list_zones());
    let version = RwSignal::new(String::new());
    let effective = RwSignal::new(String::new());
    let k_limits = RwSignal::new(Vec::<String>::new());
    Effect::new(move |_| {
        if let Some(Ok(t)) = current.get() {
            k_limits.set(t.rows.iter().map(|r| r.k_limit.to_string()).collect());
        }
    });
    let local = RwSignal::new(None::<FieldErrors>);
    let table_error = Signal::derive(move || publish.value().get().and_then(|r| r.err()));
    let table_fields =
        Signal::derive(move || local.get().or_else(|| table_error.get().and_then(|e| e.fields().cloned())));
    let table_banner = Signal::derive(move || table_error.get().filter(|e: &AppError| e.fields().is_none()));
    let submit_table = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Some(Ok(base)) = current.get_untracked() else { return };
        let Ok(effective_from) = chrono::NaiveDate::parse_from_str(effective.get().trim(), "%Y-%m-%d") else {
            local.set(Some(FieldErrors::single("effective_from", FieldError::new("required"))));
            return;
        };
        local.set(None);
        let ks = k_limits.get();
        let rows = base
            .rows
            .iter()
            .enumerate()
            .map(|(i, r)| {
                let mut row = *r;
                row.k_limit = ks.get(i).and_then(|k| k.trim().parse().ok()).unwrap_or(f64::NAN);
                row
            })
            .collect();
        publish.dispatch(CreateLimitTable {
            input: LimitTableInput { version: version.get(), effective_from, notes: None, rows },
        });
    };

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
        <PageTitle text=move || td_string!(i18n.get_locale(), limits.title).to_string() />
        <section class="card">
            <h1>{t!(i18n, limits.tables)}</h1>
            <Transition fallback=move || view! { <p class="muted">{t!(i18n, common.loading)}</p> }>
                {move || {
                    let locale = i18n.get_locale();
                    current.get().map(|r| match r {
                        Err(e) => Either::Left(view! { <p class="banner banner-error">{e.message(locale)}</p> }),
                        Ok(table) => Either::Right(view! {
                            <p><strong>{td_string!(locale, limits.current)} ": "</strong> {table.version.clone()} " · " {table.effective_from.to_string()}</p>
                            <div class="table-wrap">
                                <table data-testid="limit-table">
                                    <thead><tr>
                                        <th>{td_string!(locale, limits.class)}</th><th>{td_string!(locale, limits.power)}</th>
                                        <th>{td_string!(locale, limits.k_limit)}</th><th>{td_string!(locale, limits.ringelmann_max)}</th>
                                    </tr></thead>
                                    <tbody>
                                        {table.rows.into_iter().map(|r| view! {
                                            <tr><td>{r.class.as_str()}</td><td>{band(r.power_min_kw, r.power_max_kw)}</td><td>{format!("{:.2}", r.k_limit)}</td><td>{r.ringelmann_max}</td></tr>
                                        }).collect_view()}
                                    </tbody>
                                </table>
                            </div>
                        }),
                    })
                }}
            </Transition>
            <Transition fallback=|| ()>
                {move || tables.get().and_then(|r| r.ok()).map(|p| view! {
                    <ul class="log">
                        {p.items.into_iter().map(|t| view! { <li>{t.version} " · " {t.effective_from.to_string()}</li> }).collect_view()}
                    </ul>
                })}
            </Transition>
        </section>
        <section class="card narrow">
            <h2>{t!(i18n, limits.new_version)}</h2>
            <ErrorBanner error=table_banner />
            <form class="form" novalidate on:submit=submit_table>
                <TextField id="version" label=t(|l| td_string!(l, limits.version)) value=version errors=table_fields />
                <TextField id="effective_from" label=t(|l| td_string!(l, limits.effective_from)) value=effective errors=table_fields kind="date" />
                <Transition fallback=|| ()>
                    {move || current.get().and_then(|r| r.ok()).map(|table| {
                        table.rows.into_iter().enumerate().map(|(i, r)| view! {
                            <div class="field">
                                <label>{format!("{} · {} kW", r.class.as_str(), band(r.power_min_kw, r.power_max_kw))}</label>
                                <input
                                    type="number"
                                    step="0.01"
                                    value=r.k_limit.to_string()
                                    on:input=move |ev| {
                                        let v = event_target_value(&ev);
                                        k_limits.update(|k| if let Some(x) = k.get_mut(i) { *x = v; });
                                    }
                                />
                            </div>
                        }).collect_view()
                    })}
                </Transition>
                <FieldErrorText errors=table_fields field="rows" />
                <button type="submit" class="button primary">{t!(i18n, limits.publish)}</button>
            </form>
        </section>
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
