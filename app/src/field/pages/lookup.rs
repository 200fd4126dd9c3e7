//! `/field`: look a machine up by its label (camera), a typed code (checked on the phone before
//! any request) or a PIN / environmental code / engine serial; the answer is readable at a glance.

use crate::cases::names::{case_kind_label, case_state_label};
use crate::error::AppError;
use crate::field::names::{filing_standing_label, lookup_status_label};
use crate::field::offline;
use crate::field::pages::outbox::Outbox;
use crate::field::pages::scanner::QrScanner;
use crate::field::server_fns::lookup_machine;
use crate::field::{FilingStanding, LookupFiling, LookupResult, LookupStatus};
use crate::i18n::*;
use crate::inspections::names::verdict_label;
use crate::machines::names::stage_label;
use crate::machines::regcode::RegistrationCode;
use crate::ui::PageTitle;
use crate::ui::messages::field_message;
use leptos::either::{Either, EitherOf3};
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::{use_navigate, use_params_map, use_query_map};
use uuid::Uuid;

/// What the phone says about a typed code before sending it: a 14-character code of digits
/// (and a final X) must pass its check character.
/// (normalised first, as the server does: grouped, full-width or lower-case codes are codes).
pub fn local_check(code: &str) -> Option<crate::error::FieldError> {
    let c = crate::machines::regcode::normalize_typed(code);
    let looks_like_regcode = c.chars().count() == crate::machines::regcode::LEN
        && c.chars().take(crate::machines::regcode::LEN - 1).all(|ch| ch.is_ascii_digit());
    if looks_like_regcode { RegistrationCode::parse(&c).err().map(|e| e.field_error()) } else { None }
}

fn status_class(res: &LookupResult) -> &'static str {
    match (res.status, res.standing) {
        (LookupStatus::NotRegistered | LookupStatus::OpenCase, _) => "status-big bad",
        (_, FilingStanding::FiledHere) => "status-big ok",
        _ => "status-big warn",
    }
}

/// The question a look-up answers: the normalised code and the site it was asked at.
type Asked = (String, Option<Uuid>);

/// `/field?code=…&site=…` for a question.
fn field_href((code, site): &Asked) -> String {
    let mut query = form_urlencoded::Serializer::new(String::new());
    query.append_pair("code", code);
    if let Some(site) = site {
        query.append_pair("site", &site.to_string());
    }
    format!("/field?{}", query.finish())
}

/// The question on screen: the typed code, normalised, and the chosen site; `None` while the
/// code is empty or fails its check on the phone.
fn asked_of(code: &str, site: &str) -> Option<Asked> {
    let code = crate::machines::regcode::normalize_typed(code);
    (!code.is_empty() && local_check(&code).is_none()).then(|| (code, Uuid::parse_str(site).ok()))
}

/// `/field`. The question lives in the address (`?code=&site=`): the form is a plain GET form
/// the server answers before the WASM arrives (and without it), and the page asks the same
/// question once hydrated. An answer is shown only while it is the answer to the code and site
/// on screen: editing the code, a code that fails its check or a new question removes it at
/// once, with its actions.
#[component]
pub fn FieldLookupPage() -> impl IntoView {
    let i18n = use_i18n();
    let query = use_query_map();
    // `/v/{code}` (a label scanned with the phone's own camera, opened by an official) asks
    // about the label's code; `/field?code=` about the one in the query.
    let label = use_params_map();
    let from_address = move || {
        let code = label.with(|p| p.get("code")).or_else(|| query.with(|q| q.get("code")));
        (code.unwrap_or_default(), query.with(|q| q.get("site").unwrap_or_default()))
    };
    let (first_code, first_site) = untrack(from_address);
    let code = RwSignal::new(first_code);
    let site = RwSignal::new(first_site);
    let code_input = NodeRef::<leptos::html::Input>::new();
    let site_select = NodeRef::<leptos::html::Select>::new();
    // Once hydrated: what was typed or chosen before the WASM arrived is kept (the elements hold
    // it; the signals start from the address). Then a new address (a look-up, the back button)
    // puts its question on screen.
    Effect::new(move |first: Option<()>| {
        let (c, s) = from_address();
        if first.is_none() {
            if let Some(typed) = code_input.get_untracked().map(|el| el.value())
                && typed != c
            {
                code.set(typed);
            }
            if let Some(chosen) = site_select.get_untracked().map(|el| el.value())
                && chosen != s
                && !chosen.is_empty()
            {
                site.set(chosen);
            }
        } else {
            code.set(c);
            site.set(s);
        }
    });
    let asked = Memo::new(move |_| {
        let (c, s) = from_address();
        asked_of(&c, &s)
    });
    let sites = offline::sites_fetched_in_browser();
    offline::keep_county_limits();
    let result = Resource::new(
        move || asked.get(),
        |q| async move {
            match q {
                Some((c, s)) => Some(((c.clone(), s), lookup_machine(c, s).await)),
                None => None,
            }
        },
    );
    // A look-up made with no network could not be checked: asked again when the network returns.
    let online = window_event_listener_untyped("online", move |_| {
        if matches!(result.get_untracked().flatten(), Some((_, Err(AppError::Network)))) {
            result.refetch();
        }
    });
    on_cleanup(move || online.remove());
    let on_screen = Memo::new(move |_| asked_of(&code.get(), &site.get()));
    let local_error = Signal::derive(move || local_check(&code.get()));
    let navigate = use_navigate();
    let ask = move || {
        if let Some(q) = on_screen.get_untracked() {
            navigate(&field_href(&q), Default::default());
        }
    };
    let ask_on_scan = ask.clone();
    let on_scan = Callback::new(move |c: String| {
        code.set(c);
        ask_on_scan();
    });
    view! {
        <PageTitle text=move || td_string!(i18n.get_locale(), field.title).to_string() />
        <section class="card field-card">
            <h1>{t!(i18n, field.heading)}</h1>
            <QrScanner on_code=on_scan />
            <form class="form lookup-form" method="get" action="/field" novalidate on:submit=move |ev: leptos::ev::SubmitEvent| {
                ev.prevent_default();
                ask();
            }>
                <div class="field">
                    <label for="site">{t!(i18n, field.site)}</label>
                    <select id="site" name="site" node_ref=site_select bind:value=site>
                        <option value="">{t!(i18n, field.any_site)}</option>
                        <crate::field::SiteOptions sites selected=site />
                    </select>
                </div>
                <div class="field">
                    <label for="code">{t!(i18n, field.code)}</label>
                    <input
                        id="code"
                        name="code"
                        node_ref=code_input
                        class="big-input code"
                        autocapitalize="characters"
                        autocomplete="off"
                        spellcheck="false"
                        inputmode="text"
                        aria-invalid=move || local_error.get().is_some().to_string()
                        aria-describedby="code-error"
                        value=code.get_untracked()
                        bind:value=code
                    />
                    {move || local_error.get().map(|e| view! {
                        <p class="field-error" id="code-error" role="alert" data-testid="code-error">
                            {td_string!(i18n.get_locale(), field.invalid_code)} " " {field_message(i18n.get_locale(), &e)}
                        </p>
                    })}
                </div>
                <button type="submit" class="button primary big" data-testid="lookup">{t!(i18n, field.lookup)}</button>
            </form>
        </section>
        <Suspense fallback=move || view! { <p class="muted">{t!(i18n, common.loading)}</p> }>
            {move || result.get().flatten().and_then(|(for_question, r)| {
                // Only the answer to the question on screen.
                if on_screen.get().as_ref() != Some(&for_question) {
                    return None;
                }
                let locale = i18n.get_locale();
                let site = for_question.1.map(|s| s.to_string()).unwrap_or_default();
                Some(match r {
                    Err(AppError::Network) => EitherOf3::A(view! { <Unchecked code=for_question.0 site=site /> }),
                    Err(e) => EitherOf3::B(view! { <p class="banner banner-error" data-testid="lookup-error">{e.message(locale)}</p> }),
                    Ok(res) => EitherOf3::C(view! { <LookupAnswer res=res site=site code=for_question.0 /> }),
                })
            })}
        </Suspense>
        <Outbox />
    }
}

/// A look-up with no network: said plainly (it is asked again when the network returns), and
/// the inspector may still record an inspection of the code as typed.
#[component]
fn Unchecked(code: String, site: String) -> impl IntoView {
    let i18n = use_i18n();
    let auth = crate::ui::use_auth();
    let href = {
        let mut query = form_urlencoded::Serializer::new(String::new());
        query.append_pair("code", &code).append_pair("site", &site);
        format!("/field/inspect?{}", query.finish())
    };
    view! {
        <section class="card">
            <p class="banner banner-warn" data-testid="lookup-offline">
                <span class="code">{code}</span> " · " {t!(i18n, outbox.lookup_offline)}
            </p>
            {move || auth.may(&crate::auth::permissions::INSPECTORS).then(|| view! {
                <p>
                    <A href=href.clone() attr:class="button primary big" attr:data-testid="inspect">{t!(i18n, field.inspect)}</A>
                </p>
            })}
        </section>
    }
}

/// Where the machine is filed, as the answer says it.
fn filing_line(f: &LookupFiling) -> String {
    format!("{} · {} – {}", f.site_name, f.planned_entry_on, f.planned_exit_on)
}

#[component]
fn LookupAnswer(res: LookupResult, site: String, code: String) -> impl IntoView {
    let i18n = use_i18n();
    let locale = i18n.get_locale_untracked();
    let status = res.status;
    let standing_date = match res.standing {
        FilingStanding::FilingUpcoming => res.other_filing_on,
        FilingStanding::FilingEnded => res.ended_on,
        _ => None,
    };
    let auth = crate::ui::use_auth();
    let may_inspect = move || auth.may(&crate::auth::permissions::INSPECTORS);
    let has_machine = res.machine.is_some();
    let inspect_href = match &res.machine {
        Some(m) => {
            format!("/field/inspect?code={}&site={site}", m.registration_code.clone().unwrap_or_else(|| code.clone()))
        }
        None => format!("/field/inspect?site={site}"),
    };
    // Today's filing, else the one shown beside it (ended or still to come) when the answer
    // names it; another county's inspector learns only the day, so the line stays today's.
    let (label, shown) = match (&res.current_filing, &res.other_filing, res.standing) {
        (Some(f), _, _) => (td_string!(locale, field.current_site), Some(f.clone())),
        (None, Some(f), FilingStanding::FilingEnded) => (td_string!(locale, field.ended_site), Some(f.clone())),
        (None, Some(f), FilingStanding::FilingUpcoming) => (td_string!(locale, field.upcoming_site), Some(f.clone())),
        _ => (td_string!(locale, field.current_site), None),
    };
    view! {
        <section class="card">
            <div class=status_class(&res) data-testid="lookup-status">
                {if status == LookupStatus::OpenCase {
                    lookup_status_label(locale, status).to_string()
                } else if res.standing == FilingStanding::FiledHere && site.is_empty() {
                    // No site chosen: "here" is the inspector's area.
                    td_string!(locale, filing_standing.filed_in_area).to_string()
                } else {
                    filing_standing_label(locale, res.standing, standing_date)
                }}
            </div>
            {res.machine.clone().map(|m| view! {
                <h2>{m.name.clone()}</h2>
                <dl class="facts big-facts">
                    <dt>{td_string!(locale, machines.registration_code)}</dt><dd class="code">{m.registration_code.clone().unwrap_or_else(|| "—".into())}</dd>
                    <dt>{td_string!(locale, machines.emission_stage)}</dt><dd>{stage_label(locale, m.emission_stage)} " · " {format!("{} kW", m.rated_power_kw)}</dd>
                    <dt>{td_string!(locale, machines.pin)}</dt><dd class="code">{m.pin.clone().unwrap_or_default()}</dd>
                </dl>
            })}
            {res.owner.clone().map(|o| view! { <p><strong>{td_string!(locale, field.owner)} ": "</strong>{o.name} " (" {o.uscc} ")"</p> })}
            <p data-testid="lookup-filing">
                <strong>{label} ": "</strong>
                {match shown {
                    Some(f) => Either::Left(view! { <span>{filing_line(&f)}</span> }),
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
            {(!res.watch.is_empty()).then(|| view! {
                <div class="banner banner-warn" data-testid="lookup-watch">
                    <strong>{td_string!(locale, watchlist.lookup_title)}</strong>
                    " · " {td_string!(locale, watchlist.lookup_intro)}
                    <ul>
                        {res.watch.clone().into_iter().map(|r| view! {
                            <li data-kind=r.kind.as_str()>
                                {crate::watchlist::pages::kind_label(locale, r.kind)} " · " {r.county_name.clone()} " · "
                                {r.since.with_timezone(&crate::dates::china()).format("%Y-%m-%d").to_string()}
                                {r.note.map(|n| view! { " · " {n} })}
                            </li>
                        }).collect_view()}
                    </ul>
                </div>
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
            // Recording an inspection is the county inspector's (other officials look up only).
            {move || may_inspect().then(|| view! {
                <p>
                    <A href=inspect_href.clone() attr:class="button primary big" attr:data-testid="inspect">
                        {if has_machine { td_string!(locale, field.inspect) } else { td_string!(locale, field.inspect_unregistered) }}
                    </A>
                </p>
            })}
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
