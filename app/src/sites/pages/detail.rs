//! `/sites/:id`: one site with its zone membership today and why (the zone data, or an
//! official's decision: who, when, why), and — for the county's inspectors and the city's
//! officers — the form to mark it in or out of the zone.

use crate::error::{AppError, FieldErrors};
use crate::i18n::*;
use crate::machines::names::stage_label;
use crate::sites::Site;
use crate::sites::server_fns::{DecideSiteZone, get_site};
use crate::sites::zone::{ZoneDecisionInput, validate_decision};
use crate::ui::{ErrorBanner, FieldErrorText, PageTitle, use_auth};
use leptos::either::Either;
use leptos::prelude::*;
use leptos_router::hooks::use_params_map;
use uuid::Uuid;

/// The zone part of the site: in or out today, where that comes from, the rule applied.
#[component]
fn ZoneFacts(site: Site) -> impl IntoView {
    let i18n = use_i18n();
    let locale = i18n.get_locale_untracked();
    let zone = site.zone;
    let status = if site.low_emission_zone {
        view! { <span class="badge badge-warn" data-testid="zone-status">{td_string!(locale, sites.lez_yes)}</span> }
    } else {
        view! { <span class="badge" data-testid="zone-status">{td_string!(locale, sites.lez_no)}</span> }
    };
    let source = match &zone.decision {
        Some(d) => td_string!(
            locale,
            sites.zone_decided,
            who = d.decided_by_name.clone(),
            at = d.decided_at.with_timezone(&crate::dates::china()).format("%Y-%m-%d %H:%M").to_string()
        )
        .to_string(),
        None => td_string!(locale, sites.zone_from_data).to_string(),
    };
    view! {
        <dl class="facts stacked" data-testid="zone-facts">
            <dt>{td_string!(locale, sites.lez_today)}</dt><dd>{status}</dd>
            <dt>{td_string!(locale, sites.zone_source)}</dt><dd data-testid="zone-source">{source}</dd>
            {zone.decision.map(|d| view! { <dt>{td_string!(locale, sites.zone_reason)}</dt><dd data-testid="zone-reason">{d.reason}</dd> })}
            <dt>{td_string!(locale, sites.zone_data)}</dt>
            <dd>{zone.zone_name.unwrap_or_else(|| td_string!(locale, sites.lez_none).to_string())}</dd>
            {zone.rule.map(|r| view! {
                <dt>{td_string!(locale, limits.min_stage)}</dt><dd>{stage_label(locale, r.min_diesel_stage)}</dd>
                <dt>{td_string!(locale, limits.required_class)}</dt><dd>{r.required_class.as_str()}</dd>
            })}
        </dl>
    }
}

/// `/sites/:id`
#[component]
pub fn SitePage() -> impl IntoView {
    let i18n = use_i18n();
    let params = use_params_map();
    let auth = use_auth();
    let id = move || params.with(|p| p.get("id").and_then(|v| Uuid::parse_str(&v).ok()));
    let decide = ServerAction::<DecideSiteZone>::new();
    let site = Resource::new(
        move || (id(), decide.version().get()),
        |(id, _)| async move {
            match id {
                Some(id) => get_site(id).await,
                None => Err(AppError::NotFound),
            }
        },
    );
    let decider = move || auth.may(&crate::auth::permissions::ZONE_DECIDERS);
    let in_zone = RwSignal::new("out".to_owned());
    let reason = RwSignal::new(String::new());
    let local = RwSignal::new(None::<FieldErrors>);
    let error = Signal::derive(move || decide.value().get().and_then(|r| r.err()));
    let fields = Signal::derive(move || local.get().or_else(|| error.get().and_then(|e| e.fields().cloned())));
    let banner = Signal::derive(move || error.get().filter(|e: &AppError| e.fields().is_none()));
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Some(id) = id() else { return };
        // The version the official is looking at: a decision on an older reading is refused.
        let version = site.get_untracked().and_then(Result::ok).map(|s| s.version);
        let mut input = ZoneDecisionInput { in_zone: in_zone.get() == "in", reason: reason.get(), version };
        let errors = validate_decision(&mut input);
        if !errors.is_empty() {
            local.set(Some(errors));
            return;
        }
        local.set(None);
        decide.dispatch(DecideSiteZone { id, input });
    };
    view! {
        <PageTitle text=move || td_string!(i18n.get_locale(), sites.title).to_string() />
        <Transition fallback=move || view! { <p class="muted">{t!(i18n, common.loading)}</p> }>
            {move || {
                let locale = i18n.get_locale();
                site.get().map(|r| match r {
                    Err(e) => Either::Left(view! { <section class="card"><p class="banner banner-error">{e.message(locale)}</p></section> }),
                    Ok(s) => Either::Right(view! {
                        <section class="card">
                            <h1>{s.name.clone()}</h1>
                            <dl class="facts">
                                <dt>{td_string!(locale, sites.county)}</dt><dd>{s.county_name.clone()}</dd>
                                <dt>{td_string!(locale, sites.address)}</dt><dd>{s.address.clone()}</dd>
                                <dt>{td_string!(locale, sites.period)}</dt><dd>{format!("{} – {}", s.starts_on, s.ends_on)}</dd>
                                {s.lat.zip(s.lng).map(|(a, b)| view! { <dt>{td_string!(locale, sites.position)}</dt><dd>{format!("{a}, {b}")}</dd> })}
                            </dl>
                            <h2>{td_string!(locale, sites.zone_heading)}</h2>
                            <ZoneFacts site=s.clone() />
                        </section>
                        <crate::certificates::pages::SiteCertificates site_id=s.id />
                    }),
                })
            }}
        </Transition>
        {move || decider().then(|| view! {
            <section class="card narrow">
                <h2>{t!(i18n, sites.zone_decide)}</h2>
                <p class="field-hint">{t!(i18n, sites.zone_decide_hint)}</p>
                <ErrorBanner error=banner />
                <form class="form" novalidate on:submit=submit data-testid="zone-form">
                    <div class="field">
                        <label for="zone_in">{t!(i18n, sites.zone_choice)}</label>
                        <select id="zone_in" bind:value=in_zone>
                            <option value="out">{t!(i18n, sites.zone_mark_out)}</option>
                            <option value="in">{t!(i18n, sites.zone_mark_in)}</option>
                        </select>
                    </div>
                    <div class="field">
                        <label for="reason">{t!(i18n, sites.zone_reason)}</label>
                        <textarea id="reason" rows="3" bind:value=reason aria-invalid=move || fields.get().is_some_and(|f| f.first("reason").is_some()).to_string()></textarea>
                        <FieldErrorText errors=fields field="reason" />
                    </div>
                    <button type="submit" class="button primary" disabled=move || decide.pending().get()>{t!(i18n, sites.zone_save)}</button>
                    {move || matches!(decide.value().get(), Some(Ok(_))).then(|| view! { <p class="banner banner-ok" data-testid="zone-saved">{t!(i18n, sites.zone_saved)}</p> })}
                </form>
            </section>
        })}
    }
}
