//! `/plan`: a county's active sites for a day, ranked by the risk score with each site's
//! reasons; an inspector picks sites into the day's route (kept on the server, in order) and
//! opens the field look-up from it; city and province officers set the score's weights.
//! The county and the day are a plain GET form, so a plan is a link.

use super::server_fns::{SetRoute, SetWeights, get_plan};
use super::{Factor, PlanQuery, PlanReason, PlanSite, PlanView, PlanWeights, RouteInput, WeightsInput};
use crate::auth::permissions::{INSPECTORS, WEIGHT_SETTERS};
use crate::i18n::*;
use crate::ui::{ErrorBanner, PageTitle};
use chrono::NaiveDate;
use leptos::either::Either;
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;
use uuid::Uuid;

/// The name of a factor.
pub fn factor_label(locale: Locale, f: Factor) -> &'static str {
    match f {
        Factor::OldOrNoDpf => td_string!(locale, plan.factor_old_or_no_dpf),
        Factor::Watched => td_string!(locale, plan.factor_watched),
        Factor::SiteFailures => td_string!(locale, plan.factor_site_failures),
        Factor::UnitFailures => td_string!(locale, plan.factor_unit_failures),
        Factor::NeverInspected => td_string!(locale, plan.factor_never_inspected),
        Factor::DaysSince => td_string!(locale, plan.factor_days_since),
        Factor::OpenCases => td_string!(locale, plan.factor_open_cases),
    }
}

/// What a weight counts per unit.
fn weight_unit(locale: Locale, f: Factor) -> &'static str {
    match f {
        Factor::OldOrNoDpf => td_string!(locale, plan.unit_all_machines),
        Factor::DaysSince => td_string!(locale, plan.unit_30_days),
        _ => td_string!(locale, plan.unit_each),
    }
}

/// A reason's fact, as read: a share as a percentage, days, or a count.
fn fact_text(locale: Locale, r: &PlanReason) -> String {
    match r.factor {
        Factor::OldOrNoDpf => format!("{:.0}%", r.value * 100.0),
        Factor::DaysSince => td_string!(locale, plan.days, n = format!("{:.0}", r.value)).to_string(),
        _ => format!("{:.0}", r.value),
    }
}

fn points(p: f64) -> String {
    if p.fract() == 0.0 { format!("{p:.0}") } else { format!("{p:.1}") }
}

/// One site of the ranking.
fn site_view(locale: Locale, rank: usize, s: PlanSite, route: Option<RwSignal<Vec<(Uuid, String)>>>) -> impl IntoView {
    let id = s.site_id;
    let name = s.site_name.clone();
    let in_route = move || route.is_some_and(|r| r.with(|r| r.iter().any(|(x, _)| *x == id)));
    let facts_line = td_string!(locale, plan.machines_line, n = s.facts.machines.to_string()).to_string();
    view! {
        <li class="item plan-site" data-testid="plan-site" data-site=id.to_string()>
            <div class="item-main">
                <span class="plan-rank">{rank}</span>
                <strong>{s.site_name.clone()}</strong>
                <span class="badge" data-testid="plan-score" title=td_string!(locale, plan.score)>{points(s.score)}</span>
            </div>
            <div class="muted">{s.organization_name.clone()} " · " {s.address.clone()} " · " {facts_line}</div>
            <ul class="reasons" data-testid="plan-reasons">
                {s.reasons.iter().map(|r| view! {
                    <li data-testid="plan-reason" data-factor=r.factor.as_str()>
                        {factor_label(locale, r.factor)} ": " <strong>{fact_text(locale, r)}</strong>
                        " " <span class="muted">"+" {points(r.points)}</span>
                    </li>
                }).collect_view()}
            </ul>
            <div class="actions">
                <a class="button small" href=format!("/field?site={id}")>{td_string!(locale, plan.open_field)}</a>
                {route.map(|r| view! {
                    <button type="button" class="button small primary" data-testid="plan-add"
                        disabled=in_route
                        on:click=move |_| r.update(|v| { if !v.iter().any(|(x, _)| *x == id) && v.len() < super::ROUTE_MAX { v.push((id, name.clone())) } })>
                        {move || if in_route() { td_string!(locale, plan.in_route) } else { td_string!(locale, plan.add_to_route) }}
                    </button>
                })}
            </div>
        </li>
    }
}

/// The inspector's route for the day: reorder, remove, save, and open each stop in the field.
#[component]
fn RouteCard(date: NaiveDate, stops: RwSignal<Vec<(Uuid, String)>>, saved: RwSignal<Vec<Uuid>>) -> impl IntoView {
    let i18n = use_i18n();
    let save = ServerAction::<SetRoute>::new();
    let error = Signal::derive(move || save.value().get().and_then(|r| r.err()));
    Effect::new(move |_| {
        if let Some(Ok(route)) = save.value().get() {
            saved.set(route.stops.iter().map(|s| s.site_id).collect());
        }
    });
    let unsaved = move || stops.with(|s| s.iter().map(|(id, _)| *id).collect::<Vec<_>>()) != saved.get();
    let swap = move |i: usize, j: usize| {
        stops.update(|v| {
            if j < v.len() {
                v.swap(i, j)
            }
        })
    };
    view! {
        <section class="card" data-testid="plan-route">
            <h2>{t!(i18n, plan.route_title)} " · " {date.to_string()}</h2>
            <ErrorBanner error=error />
            {move || {
                let locale = i18n.get_locale();
                let list = stops.get();
                let n = list.len();
                if n == 0 {
                    return Either::Left(view! { <p class="muted" data-testid="route-empty">{td_string!(locale, plan.route_empty)}</p> });
                }
                Either::Right(view! {
                    <ol class="route" data-testid="route-stops">
                        {list.into_iter().enumerate().map(|(i, (id, name))| view! {
                            <li data-testid="route-stop" data-site=id.to_string()>
                                <a href=format!("/field?site={id}")>{name}</a>
                                <span class="route-actions">
                                    <button type="button" class="button small" disabled=i == 0
                                        aria-label=td_string!(locale, plan.move_up)
                                        on:click=move |_| { if i > 0 { swap(i - 1, i) } }>"↑"</button>
                                    <button type="button" class="button small" disabled=i + 1 == n
                                        aria-label=td_string!(locale, plan.move_down)
                                        on:click=move |_| swap(i, i + 1)>"↓"</button>
                                    <button type="button" class="button small" data-testid="route-remove"
                                        on:click=move |_| stops.update(|v| v.retain(|(x, _)| *x != id))>
                                        {td_string!(locale, plan.remove)}
                                    </button>
                                </span>
                            </li>
                        }).collect_view()}
                    </ol>
                })
            }}
            <div class="actions">
                <button type="button" class="button primary" data-testid="route-save"
                    disabled=move || save.pending().get() || !unsaved()
                    on:click=move |_| {
                        if !save.pending().get_untracked() {
                            let site_ids = stops.get_untracked().into_iter().map(|(id, _)| id).collect();
                            save.dispatch(SetRoute { input: RouteInput { date, site_ids } });
                        }
                    }>
                    {t!(i18n, plan.save_route)}
                </button>
                {move || if unsaved() {
                    Either::Left(view! { <span class="muted" data-testid="route-unsaved">{t!(i18n, plan.unsaved)}</span> })
                } else {
                    Either::Right(matches!(save.value().get(), Some(Ok(_))).then(|| view! {
                        <span class="banner-ok" role="status" data-testid="route-saved">{t!(i18n, plan.saved)}</span>
                    }))
                }}
            </div>
        </section>
    }
}

/// The weights in force, and for city and province officers a form to set their division's.
#[component]
fn WeightsCard(view: PlanView, set: ServerAction<SetWeights>) -> impl IntoView {
    let i18n = use_i18n();
    let auth = crate::ui::use_auth();
    let w = view.plan.weights.clone();
    let me = auth.user.get_untracked().and_then(|u| u.ok()).flatten();
    let own = me.as_ref().and_then(|u| u.division_code.clone());
    let own_name = me.and_then(|u| u.division_name).unwrap_or_default();
    let values: Vec<(Factor, RwSignal<String>)> =
        Factor::ALL.into_iter().map(|f| (f, RwSignal::new(w.weights.of(f).to_string()))).collect();
    let error = Signal::derive(move || set.value().get().and_then(|r| r.err()));
    let local_error = RwSignal::new(false);
    let fields = values.clone();
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Some(code) = own.clone() else { return };
        if set.pending().get_untracked() {
            return;
        }
        let mut weights = PlanWeights::DEFAULT;
        for (f, v) in &fields {
            match v.get_untracked().trim().parse::<i32>() {
                Ok(n) => weights.set(*f, n),
                Err(_) => {
                    local_error.set(true);
                    return;
                }
            }
        }
        local_error.set(false);
        set.dispatch(SetWeights { input: WeightsInput { division_code: code, weights } });
    };
    let may_set = auth.may(&WEIGHT_SETTERS);
    view! {
        <section class="card" data-testid="plan-weights">
            <h2>{t!(i18n, plan.weights_title)}</h2>
            <p class="muted" data-testid="weights-source">{move || {
                let locale = i18n.get_locale();
                match (&w.division_name, w.updated_at) {
                    (Some(name), Some(at)) => td_string!(locale, plan.weights_set_by, division = name.clone(),
                        date = at.with_timezone(&crate::dates::china()).format("%Y-%m-%d").to_string()).to_string(),
                    _ => td_string!(locale, plan.weights_default).to_string(),
                }
            }}</p>
            <p class="muted">{t!(i18n, plan.weights_intro)}</p>
            <ErrorBanner error=error />
            {move || local_error.get().then(|| view! { <p class="banner banner-error">{t!(i18n, plan.weights_numbers)}</p> })}
            {move || matches!(set.value().get(), Some(Ok(_))).then(|| view! {
                <p class="banner banner-ok" role="status" data-testid="weights-saved">{t!(i18n, plan.weights_saved)}</p>
            })}
            <form class="form weights" novalidate on:submit=submit data-testid="weights-form">
                {values.into_iter().map(|(f, v)| {
                    let id = format!("weight_{}", f.as_str());
                    let errors = move || set.value().get().and_then(|r| r.err()).and_then(|e| e.fields().and_then(|x| x.0.get(f.as_str()).cloned()));
                    view! {
                        <div class="field">
                            <label for=id.clone()>{move || factor_label(i18n.get_locale(), f)} " "
                                <span class="muted">{move || weight_unit(i18n.get_locale(), f)}</span></label>
                            <input id=id name=f.as_str() type="number" min="0" max=super::WEIGHT_MAX.to_string() step="1"
                                inputmode="numeric" bind:value=v readonly=!may_set />
                            {move || errors().map(|_| view! { <p class="field-error">{t!(i18n, plan.weights_range)}</p> })}
                        </div>
                    }
                }).collect_view()}
                {may_set.then(|| view! {
                    <p class="muted" data-testid="weights-for">{move || td_string!(i18n.get_locale(), plan.weights_for, division = own_name.clone()).to_string()}</p>
                    <button type="submit" class="button primary" data-testid="weights-save" disabled=move || set.pending().get()>
                        {t!(i18n, plan.weights_save)}
                    </button>
                })}
            </form>
        </section>
    }
}

fn date(v: Option<String>) -> Option<NaiveDate> {
    v.and_then(|v| NaiveDate::parse_from_str(v.trim(), "%Y-%m-%d").ok())
}

/// `/plan`
#[component]
pub fn PlanPage() -> impl IntoView {
    let i18n = use_i18n();
    let auth = crate::ui::use_auth();
    let query = use_query_map();
    let set_weights = ServerAction::<SetWeights>::new();
    let q = move || {
        query.with(|q| PlanQuery {
            division_code: q.get("division_code").filter(|v| !v.trim().is_empty()),
            date: date(q.get("date")),
        })
    };
    let data = Resource::new(move || (q(), set_weights.version().get()), |(q, _)| get_plan(q));
    let is_inspector = move || auth.may(&INSPECTORS);
    view! {
        <PageTitle text=move || td_string!(i18n.get_locale(), plan.title).to_string() />
        <Transition fallback=move || view! { <p class="muted">{t!(i18n, common.loading)}</p> }>
            {move || {
                let locale = i18n.get_locale();
                data.get().map(|r| match r {
                    Err(e) => Either::Left(view! { <section class="card"><p class="banner banner-error">{e.message(locale)}</p></section> }),
                    Ok(v) => Either::Right(plan_view(locale, v, is_inspector(), set_weights)),
                })
            }}
        </Transition>
    }
}

fn plan_view(locale: Locale, v: PlanView, is_inspector: bool, set_weights: ServerAction<SetWeights>) -> impl IntoView {
    let p = v.plan.clone();
    let route_stops = v
        .route
        .as_ref()
        .filter(|_| is_inspector)
        .map(|r| RwSignal::new(r.stops.iter().map(|s| (s.site_id, s.site_name.clone())).collect::<Vec<_>>()));
    let saved =
        RwSignal::new(v.route.as_ref().map(|r| r.stops.iter().map(|s| s.site_id).collect()).unwrap_or_default());
    let counties = v.counties.clone();
    let current = p.division_code.clone();
    let n = p.sites.len();
    view! {
        <section class="card">
            <h1>{td_string!(locale, plan.heading)} " · " {p.division_name.clone()}</h1>
            <p class="muted">{td_string!(locale, plan.intro)}</p>
            <form method="get" action="/plan" class="form inline" data-testid="plan-filter">
                {(counties.len() > 1).then(|| view! {
                    <label for="division_code" class="sr-only">{td_string!(locale, plan.county)}</label>
                    <select id="division_code" name="division_code">
                        {counties.iter().map(|c| view! {
                            <option value=c.code.clone() selected=c.code == current>{c.name.clone()}</option>
                        }).collect_view()}
                    </select>
                })}
                <label for="date">{td_string!(locale, plan.date)}</label>
                <input id="date" name="date" type="date" value=p.date.to_string() />
                <button type="submit" class="button primary">{td_string!(locale, plan.show)}</button>
            </form>
        </section>
        {route_stops.map(|stops| view! { <RouteCard date=p.date stops=stops saved=saved /> })}
        <section class="card">
            <h2>{td_string!(locale, plan.ranking_title, n = n.to_string())}</h2>
            {if p.sites.is_empty() {
                Either::Left(view! { <p class="muted" data-testid="plan-empty">{td_string!(locale, plan.empty)}</p> })
            } else {
                Either::Right(view! {
                    <ol class="cards" data-testid="plan-sites">
                        {p.sites.into_iter().enumerate().map(|(i, s)| site_view(locale, i + 1, s, route_stops)).collect_view()}
                    </ol>
                })
            }}
        </section>
        <WeightsCard view=v set=set_weights />
    }
}
