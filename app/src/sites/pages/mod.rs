//! The site list and the new-site form (city → county; the position checked against the
//! county's rough bounds; the county's zone shown, never chosen by the unit).

pub mod detail;

use crate::error::{AppError, FieldCode, FieldError, FieldErrors};
use crate::i18n::*;
use crate::sites::SiteInput;
use crate::sites::server_fns::{CreateSite, county_zone, list_counties, list_divisions, list_sites};
use crate::ui::{ErrorBanner, FieldErrorText, PageTitle, TextField, use_auth};
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_navigate;

/// `/sites`
#[component]
pub fn SitesPage() -> impl IntoView {
    let i18n = use_i18n();
    let auth = use_auth();
    let contractor = move || auth.user.get().and_then(|r| r.ok()).flatten().is_some_and(|m| m.role.is_contractor());
    let sites = Resource::new(|| (), |_| list_sites(None));
    view! {
        <PageTitle text=move || td_string!(i18n.get_locale(), sites.title).to_string() />
        <section class="card">
            <div class="card-head">
                <h1>{t!(i18n, sites.heading)}</h1>
                {move || contractor().then(|| view! { <A href="/sites/new" attr:class="button primary">{t!(i18n, sites.new)}</A> })}
            </div>
            <Transition fallback=move || view! { <p class="muted">{t!(i18n, common.loading)}</p> }>
                {move || {
                    let locale = i18n.get_locale();
                    sites
                        .get()
                        .map(|r| match r {
                            Err(e) => view! { <p class="banner banner-error">{e.message(locale)}</p> }.into_any(),
                            Ok(page) if page.items.is_empty() => {
                                view! { <p class="muted">{td_string!(locale, filings.no_sites)}</p> }.into_any()
                            }
                            Ok(page) => {
                                view! {
                                    <ul class="cards" data-testid="site-list">
                                        {page
                                            .items
                                            .into_iter()
                                            .map(|s| {
                                                let file_href = format!("/filings/new?site={}", s.id);
                                                let href = format!("/sites/{}", s.id);
                                                let official = s.zone.decision.is_some();
                                                view! {
                                                    <li class="item">
                                                        <div class="item-main">
                                                            <A href=href><strong>{s.name}</strong></A>
                                                            {s.low_emission_zone.then(|| view! { <span class="badge badge-warn">{td_string!(locale, sites.lez_yes)}</span> })}
                                                            {official.then(|| view! { <span class="badge">{td_string!(locale, sites.zone_by_official)}</span> })}
                                                        </div>
                                                        <div class="muted">{s.county_name} " · " {s.address}</div>
                                                        <div class="muted">{td_string!(locale, sites.period)} ": " {s.starts_on.to_string()} " – " {s.ends_on.to_string()}</div>
                                                        {contractor().then(|| view! { <A href=file_href>{td_string!(locale, sites.file_machines)}</A> })}
                                                    </li>
                                                }
                                            })
                                            .collect_view()}
                                    </ul>
                                }
                                    .into_any()
                            }
                        })
                }}
            </Transition>
        </section>
    }
}

fn parse_date(field: &str, raw: &str, errors: &mut FieldErrors) -> Option<chrono::NaiveDate> {
    match chrono::NaiveDate::parse_from_str(raw.trim(), "%Y-%m-%d") {
        Ok(d) => Some(d),
        Err(_) => {
            errors.add(field, FieldError::new(FieldCode::Required));
            None
        }
    }
}

fn parse_coord(field: &str, raw: &str, errors: &mut FieldErrors) -> Option<f64> {
    let raw = raw.trim();
    if raw.is_empty() {
        return None;
    }
    match raw.parse::<f64>() {
        Ok(v) => Some(v),
        Err(_) => {
            errors.add(field, FieldError::new(FieldCode::Invalid));
            None
        }
    }
}

/// `/sites/new`
#[component]
pub fn SiteNewPage() -> impl IntoView {
    let i18n = use_i18n();
    let action = ServerAction::<CreateSite>::new();
    let name = RwSignal::new(String::new());
    let city = RwSignal::new(String::new());
    let county = RwSignal::new(String::new());
    let address = RwSignal::new(String::new());
    let permit = RwSignal::new(String::new());
    let starts = RwSignal::new(String::new());
    let ends = RwSignal::new(String::new());
    let lat = RwSignal::new(String::new());
    let lng = RwSignal::new(String::new());
    let local_errors = RwSignal::new(None::<FieldErrors>);

    // Shanxi's cities, then the counties of the chosen city.
    let cities = Resource::new(|| (), |_| list_divisions(Some("140000".into())));
    // The counties come with the bounds a position must lie in (the county's, else its city's
    // or province's), so the form checks what the server checks.
    let counties = Resource::new(
        move || city.get(),
        |c| async move { if c.is_empty() { Ok(vec![]) } else { list_counties(c).await } },
    );
    let bounds = move || {
        let code = county.get();
        counties
            .get()
            .and_then(|r| r.ok())
            .and_then(|list| list.into_iter().find(|c| c.code == code))
            .and_then(|c| c.bounds)
    };
    let zone = Resource::new(
        move || county.get(),
        |c| async move { if c.is_empty() { Ok(None) } else { county_zone(c).await } },
    );

    let error = Signal::derive(move || action.value().get().and_then(|r| r.err()));
    let fields = Signal::derive(move || local_errors.get().or_else(|| error.get().and_then(|e| e.fields().cloned())));
    let banner = Signal::derive(move || error.get().filter(|e: &AppError| e.fields().is_none()));
    let navigate = use_navigate();
    Effect::new(move |_| {
        if matches!(action.value().get(), Some(Ok(_))) {
            navigate("/sites", Default::default());
        }
    });

    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let mut errors = FieldErrors::new();
        let starts_on = parse_date("starts_on", &starts.get(), &mut errors);
        let ends_on = parse_date("ends_on", &ends.get(), &mut errors);
        let lat_v = parse_coord("lat", &lat.get(), &mut errors);
        let lng_v = parse_coord("lng", &lng.get(), &mut errors);
        let (Some(starts_on), Some(ends_on)) = (starts_on, ends_on) else {
            local_errors.set(Some(errors));
            return;
        };
        let mut input = SiteInput {
            name: name.get(),
            county_code: county.get(),
            address: address.get(),
            permit_no: Some(permit.get()),
            starts_on,
            ends_on,
            lat: lat_v,
            lng: lng_v,
            low_emission_zone: None,
        };
        // The same rule the server applies, before the request.
        for (field, errs) in crate::sites::validate(&mut input, bounds().as_ref()).0 {
            for e in errs {
                errors.add(&field, e);
            }
        }
        if !errors.is_empty() {
            local_errors.set(Some(errors));
            return;
        }
        local_errors.set(None);
        action.dispatch(CreateSite { input });
    };
    let city_options = Signal::derive(move || {
        cities.get().and_then(|r| r.ok()).map(|l| l.into_iter().map(|d| (d.code, d.name)).collect())
    });
    let county_options = Signal::derive(move || {
        counties.get().and_then(|r| r.ok()).map(|l| l.into_iter().map(|d| (d.code, d.name)).collect())
    });
    let t = move |f: fn(Locale) -> &'static str| Signal::derive(move || f(i18n.get_locale()).to_owned());
    view! {
        <PageTitle text=move || td_string!(i18n.get_locale(), sites.new_title).to_string() />
        <section class="card narrow">
            <h1>{t!(i18n, sites.new_title)}</h1>
            <ErrorBanner error=banner />
            <form class="form" novalidate on:submit=submit data-testid="site-form">
                <TextField id="name" label=t(|l| td_string!(l, sites.name)) value=name errors=fields />
                <div class="field">
                    <label for="city">{t!(i18n, sites.city)}</label>
                    <select id="city" bind:value=city>
                        <option value="">{t!(i18n, common.select)}</option>
                        <DivisionOptions list=city_options />
                    </select>
                </div>
                <div class="field">
                    <label for="county_code">{t!(i18n, sites.county)}</label>
                    <select
                        id="county_code"
                        bind:value=county
                        aria-invalid=move || fields.get().is_some_and(|f| f.first("county_code").is_some()).to_string()
                    >
                        <option value="">{t!(i18n, common.select)}</option>
                        <DivisionOptions list=county_options />
                    </select>
                    <FieldErrorText errors=fields field="county_code" />
                </div>
                <TextField id="address" label=t(|l| td_string!(l, sites.address)) value=address errors=fields />
                <TextField id="permit_no" label=t(|l| td_string!(l, sites.permit_no)) value=permit errors=fields />
                <div class="row2">
                    <TextField id="starts_on" label=t(|l| td_string!(l, sites.starts_on)) value=starts errors=fields kind="date" />
                    <TextField id="ends_on" label=t(|l| td_string!(l, sites.ends_on)) value=ends errors=fields kind="date" />
                </div>
                <div class="row2">
                    <TextField id="lat" label=t(|l| td_string!(l, sites.lat)) value=lat errors=fields hint=t(|l| td_string!(l, sites.position_hint)) />
                    <TextField id="lng" label=t(|l| td_string!(l, sites.lng)) value=lng errors=fields />
                </div>
                {move || bounds().map(|b| view! {
                    <p class="field-hint" data-testid="county-bounds">
                        {td_string!(i18n.get_locale(), sites.bounds_hint, lat_min = b.lat_min, lat_max = b.lat_max, lng_min = b.lng_min, lng_max = b.lng_max)}
                    </p>
                })}
                <div class="field" data-testid="zone-note">
                    <p><strong>{t!(i18n, sites.zone_heading)}</strong></p>
                    <Transition fallback=|| ()>
                        {move || {
                            let locale = i18n.get_locale();
                            match zone.get().and_then(|r| r.ok()).flatten() {
                                Some(z) => view! { <p class="banner banner-warn">{td_string!(locale, sites.lez_from_zone, zone = z)}</p> }.into_any(),
                                None if county.get().is_empty() => ().into_any(),
                                None => view! { <p class="muted">{td_string!(locale, sites.lez_none)}</p> }.into_any(),
                            }
                        }}
                    </Transition>
                    <p class="field-hint">{t!(i18n, sites.lez_decided_by)}</p>
                </div>
                <button type="submit" class="button primary" disabled=move || action.pending().get()>{t!(i18n, common.save)}</button>
            </form>
        </section>
    }
}

/// The `<option>`s of a list of divisions (code, name), once it has loaded.
#[component]
fn DivisionOptions(list: Signal<Option<Vec<(String, String)>>>) -> impl IntoView {
    view! {
        <Transition fallback=|| ()>
            {move || {
                list.get().map(|l| l.into_iter().map(|(code, name)| view! { <option value=code>{name}</option> }).collect_view())
            }}
        </Transition>
    }
}
