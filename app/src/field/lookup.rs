//! `/field`: look a machine up by its label (camera), a typed code (checked on the phone before
//! any request) or a PIN / environmental code / engine serial; the answer is readable at a glance.

use super::scanner::QrScanner;
use crate::i18n::*;
use crate::inspections::api::lookup_machine;
use crate::inspections::{LookupResult, LookupStatus};
use crate::machines::regcode::RegistrationCode;
use crate::shell::PageTitle;
use crate::shell::messages::{
    case_kind_label, case_state_label, field_message, lookup_status_label, stage_label, verdict_label,
};
use crate::sites::api::list_sites;
use leptos::either::Either;
use leptos::prelude::*;
use leptos_router::components::A;
use uuid::Uuid;

/// What the phone says about a typed code before sending it: a 14-character code of digits
/// (and a final X) must pass its check character.
pub fn local_check(code: &str) -> Option<crate::error::FieldError> {
    let c = code.trim();
    let looks_like_regcode = c.chars().count() == crate::machines::regcode::LEN
        && c.chars().take(crate::machines::regcode::LEN - 1).all(|ch| ch.is_ascii_digit());
    if looks_like_regcode { RegistrationCode::parse(c).err().map(|e| e.field_error()) } else { None }
}

fn status_class(s: LookupStatus) -> &'static str {
    match s {
        LookupStatus::RegisteredFiledHere => "status-big ok",
        LookupStatus::RegisteredNotFiledHere => "status-big warn",
        LookupStatus::NotRegistered | LookupStatus::OpenCase => "status-big bad",
    }
}

/// `/field`
#[component]
pub fn FieldLookupPage() -> impl IntoView {
    let i18n = use_i18n();
    let code = RwSignal::new(String::new());
    let site = RwSignal::new(String::new());
    let asked = RwSignal::new(None::<(String, Option<Uuid>)>);
    let sites = Resource::new(|| (), |_| list_sites(None));
    let result = Resource::new(
        move || asked.get(),
        |q| async move {
            match q {
                Some((c, s)) => Some(lookup_machine(c, s).await),
                None => None,
            }
        },
    );
    let local_error = Signal::derive(move || local_check(&code.get()));
    let ask = move || {
        let c = code.get_untracked().trim().to_uppercase();
        if c.is_empty() || local_check(&c).is_some() {
            return;
        }
        asked.set(Some((c, Uuid::parse_str(&site.get_untracked()).ok())));
    };
    let on_scan = Callback::new(move |c: String| {
        code.set(c);
        ask();
    });
    view! {
        <PageTitle text=move || td_string!(i18n.get_locale(), field.title).to_string() />
        <section class="card field-card">
            <h1>{t!(i18n, field.heading)}</h1>
            <div class="field">
                <label for="site">{t!(i18n, field.site)}</label>
                <select id="site" bind:value=site>
                    <option value="">{t!(i18n, field.any_site)}</option>
                    <Transition fallback=|| ()>
                        {move || sites.get().and_then(|r| r.ok()).map(|p| {
                            p.items.into_iter().map(|s| view! { <option value=s.id.to_string()>{s.name}</option> }).collect_view()
                        })}
                    </Transition>
                </select>
            </div>
            <QrScanner on_code=on_scan />
            <form class="form lookup-form" novalidate on:submit=move |ev: leptos::ev::SubmitEvent| {
                ev.prevent_default();
                ask();
            }>
                <div class="field">
                    <label for="code">{t!(i18n, field.code)}</label>
                    <input
                        id="code"
                        class="big-input code"
                        autocapitalize="characters"
                        autocomplete="off"
                        spellcheck="false"
                        inputmode="text"
                        aria-invalid=move || local_error.get().is_some().to_string()
                        aria-describedby="code-error"
                        bind:value=code
                    />
                    {move || local_error.get().map(|e| view! {
                        <p class="field-error" id="code-error" role="alert">
                            {td_string!(i18n.get_locale(), field.invalid_code)} " " {field_message(i18n.get_locale(), &e)}
                        </p>
                    })}
                </div>
                <button type="submit" class="button primary big" data-testid="lookup">{t!(i18n, field.lookup)}</button>
            </form>
        </section>
        <Transition fallback=move || view! { <p class="muted">{t!(i18n, common.loading)}</p> }>
            {move || result.get().flatten().map(|r| {
                let locale = i18n.get_locale();
                match r {
                    Err(e) => Either::Left(view! { <p class="banner banner-error">{e.message(locale)}</p> }),
                    Ok(res) => Either::Right(view! { <LookupAnswer res=res site=site.get_untracked() code=asked.get_untracked().map(|a| a.0).unwrap_or_default() /> }),
                }
            })}
        </Transition>
    }
}

#[component]
fn LookupAnswer(res: LookupResult, site: String, code: String) -> impl IntoView {
    let i18n = use_i18n();
    let locale = i18n.get_locale_untracked();
    let status = res.status;
    let inspect_href = match &res.machine {
        Some(m) => {
            format!("/field/inspect?code={}&site={site}", m.registration_code.clone().unwrap_or_else(|| code.clone()))
        }
        None => format!("/field/inspect?site={site}"),
    };
    view! {
        <section class="card">
            <div class=status_class(status) data-testid="lookup-status">{lookup_status_label(locale, status)}</div>
            {res.machine.clone().map(|m| view! {
                <h2>{m.name.clone()}</h2>
                <dl class="facts big-facts">
                    <dt>{td_string!(locale, machines.registration_code)}</dt><dd class="code">{m.registration_code.clone().unwrap_or_else(|| "—".into())}</dd>
                    <dt>{td_string!(locale, machines.emission_stage)}</dt><dd>{stage_label(locale, m.emission_stage)} " · " {format!("{} kW", m.rated_power_kw)}</dd>
                    <dt>{td_string!(locale, machines.pin)}</dt><dd class="code">{m.pin.clone().unwrap_or_default()}</dd>
                </dl>
            })}
            {res.owner.clone().map(|o| view! { <p><strong>{td_string!(locale, field.owner)} ": "</strong>{o.name} " (" {o.uscc} ")"</p> })}
            <p>
                <strong>{td_string!(locale, field.current_site)} ": "</strong>
                {match res.current_filing.clone() {
                    Some(f) => Either::Left(view! { <span>{f.site_name} " · " {f.planned_entry_on.to_string()} " – " {f.planned_exit_on.to_string()}</span> }),
                    None => Either::Right(view! { <span class="muted">{td_string!(locale, field.no_filing)}</span> }),
                }}
            </p>
            {res.zone_allows.map(|ok| {
                if ok {
                    Either::Left(view! { <p class="banner banner-ok">{td_string!(locale, field.zone_ok)}</p> })
                } else {
                    Either::Right(view! { <p class="banner banner-error">{td_string!(locale, field.zone_bad)}</p> })
                }
            })}
            <p>
                <strong>{td_string!(locale, field.last_inspection)} ": "</strong>
                {match res.last_inspection.clone() {
                    Some(li) => Either::Left(view! {
                        <span>
                            {li.at.with_timezone(&crate::dates::china()).format("%Y-%m-%d").to_string()} " · " {verdict_label(locale, li.verdict)}
                            {li.mean_k.map(|k| format!(" · k={k:.2}"))}
                        </span>
                    }),
                    None => Either::Right(view! { <span class="muted">{td_string!(locale, field.never_inspected)}</span> }),
                }}
            </p>
            {(!res.open_cases.is_empty()).then(|| {
                let open_cases = res.open_cases.clone();
                view! {
                <h3>{td_string!(locale, field.open_cases)}</h3>
                <ul class="cards">
                    {open_cases.into_iter().map(|c| {
                        let href = format!("/cases/{}", c.id);
                        view! {
                            <li class="item">
                                <A href=href>{case_kind_label(locale, c.kind)}</A> " · " {case_state_label(locale, c.state)}
                                {c.overdue.then(|| view! { <span class="badge badge-bad">{td_string!(locale, cases.overdue)}</span> })}
                            </li>
                        }
                    }).collect_view()}
                </ul>
            }})}
            <p>
                <A href=inspect_href attr:class="button primary big" attr:data-testid="inspect">
                    {if res.machine.is_some() { td_string!(locale, field.inspect) } else { td_string!(locale, field.inspect_unregistered) }}
                </A>
            </p>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typed_codes_are_checked_before_sending() {
        let good = RegistrationCode::issue("140105", 42).map(|c| c.to_string()).unwrap_or_default();
        assert_eq!(local_check(&good), None);
        let mut bad = good.clone();
        bad.replace_range(10..11, if &good[10..11] == "9" { "8" } else { "9" });
        assert!(local_check(&bad).is_some());
        assert_eq!(local_check("SY215C10086"), None, "a PIN goes to the server as it is");
    }
}
