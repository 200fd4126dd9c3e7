//! `/limits`: the smoke-limit tables (the one in force for the caller's division, every
//! version with the division it belongs to, publishing one for one's own division — national
//! for system administrators) and, for officers, the low-emission zones they administer.

use crate::error::{AppError, FieldCode, FieldError, FieldErrors};
use crate::i18n::*;
use crate::inspections::limits::zones_pages::ZonesSection;
use crate::inspections::limits::{LimitTable, LimitTableInput};
use crate::inspections::server_fns::{CreateLimitTable, current_limit_table, list_limit_tables, publishing_division};
use crate::ui::{ErrorBanner, FieldErrorText, PageTitle, TextField, use_auth};
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

/// Whose table: the division's name, or "national".
fn whose(locale: Locale, t: &LimitTable) -> String {
    t.division_name.clone().unwrap_or_else(|| td_string!(locale, limits.national).to_string())
}

/// Whether a table of `table_division` (`None`: national) reaches `division`: the nation
/// reaches every division, a province or city the divisions whose codes it prefixes.
fn reaches(table_division: Option<&str>, division: Option<&str>) -> bool {
    let Some(own) = table_division else { return true };
    let mut prefix = own;
    while let Some(shorter) = prefix.strip_suffix("00") {
        prefix = shorter;
    }
    division.is_some_and(|d| d.starts_with(prefix))
}

/// Where a listed table stands for the caller: the one in force for their division, one not in
/// force yet, or one on their division's chain that another has replaced; `None` for a table
/// of another division.
fn standing(
    locale: Locale,
    t: &LimitTable,
    in_force: Option<uuid::Uuid>,
    division: Option<&str>,
) -> Option<(&'static str, String)> {
    let today = crate::ui::page_today();
    if Some(t.id) == in_force {
        Some(("badge badge-ok", td_string!(locale, limits.state_in_force).to_string()))
    } else if t.effective_from > today {
        Some(("badge", td_string!(locale, limits.state_scheduled).to_string()))
    } else if reaches(t.division_code.as_deref(), division) {
        Some(("badge", td_string!(locale, limits.state_superseded).to_string()))
    } else {
        None
    }
}

/// The rows of a table.
#[component]
fn RowsTable(table: LimitTable) -> impl IntoView {
    let i18n = use_i18n();
    let locale = i18n.get_locale_untracked();
    view! {
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
    }
}

/// `/limits`
#[component]
pub fn LimitsPage() -> impl IntoView {
    let i18n = use_i18n();
    let auth = use_auth();
    let me = move || auth.user.get().and_then(|r| r.ok()).flatten();
    let publisher = move || me().is_some_and(|m| crate::auth::permissions::TABLE_PUBLISHERS.contains(&m.role));
    let zone_admin = move || me().is_some_and(|m| crate::auth::permissions::ZONE_ADMINS.contains(&m.role));
    let publish = ServerAction::<CreateLimitTable>::new();
    // The table in force for the caller's own division (national for administrators and others).
    let current = Resource::new(
        move || (publish.version().get(), me().and_then(|m| m.division_code)),
        |(_, division)| current_limit_table(None, division),
    );
    let tables = Resource::new(move || publish.version().get(), |_| list_limit_tables());
    let division = Resource::new(publisher, |p| async move { if p { publishing_division().await } else { Ok(None) } });
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
            local.set(Some(FieldErrors::single("effective_from", FieldError::new(FieldCode::Required))));
            return;
        };
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
        let mut input =
            LimitTableInput { division_code: None, version: version.get(), effective_from, notes: None, rows };
        // The table's own rules, as the server checks them (the narrowing check needs the
        // table in force above on that date: the server names any laxer row).
        let errors = crate::inspections::limits::validate_table(&mut input);
        if !errors.is_empty() {
            local.set(Some(errors));
            return;
        }
        local.set(None);
        publish.dispatch(CreateLimitTable { input });
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
                            <p data-testid="table-in-force">
                                <strong>
                                    {if me().is_some_and(|m| m.division_code.is_some()) {
                                        td_string!(locale, limits.in_force_for)
                                    } else {
                                        td_string!(locale, limits.current)
                                    }}
                                    ": "
                                </strong>
                                {table.version.clone()} " · " {table.effective_from.to_string()} " · " {whose(locale, &table)}
                            </p>
                            <RowsTable table=table />
                        }),
                    })
                }}
            </Transition>
            <h2>{t!(i18n, limits.all_tables)}</h2>
            <Transition fallback=|| ()>
                {move || tables.get().and_then(|r| r.ok()).map(|p| {
                    let locale = i18n.get_locale();
                    let in_force = current.get().and_then(|r| r.ok()).map(|t| t.id);
                    let division = me().and_then(|m| m.division_code);
                    view! {
                        <ul class="log" data-testid="table-list">
                            {p.items.into_iter().map(|t| view! {
                                <li>
                                    <strong>{t.version.clone()}</strong> " · " {t.effective_from.to_string()} " · "
                                    <span class=if t.division_code.is_some() { "badge badge-warn" } else { "badge" }>{whose(locale, &t)}</span>
                                    {standing(locale, &t, in_force, division.as_deref()).map(|(class, text)| view! {
                                        " " <span class=class data-testid="table-standing">{text}</span>
                                    })}
                                </li>
                            }).collect_view()}
                        </ul>
                    }
                })}
            </Transition>
        </section>
        {move || publisher().then(|| view! {
            <section class="card narrow">
                <h2>{t!(i18n, limits.new_version)}</h2>
                <Transition fallback=|| ()>
                    {move || division.get().and_then(|r| r.ok()).map(|d| {
                        let locale = i18n.get_locale();
                        let national = d.is_none();
                        let name = d.map(|d| d.name).unwrap_or_else(|| td_string!(locale, limits.national).to_string());
                        view! {
                            <p data-testid="publish-for"><strong>{td_string!(locale, limits.publish_for, division = name)}</strong></p>
                            <p class="field-hint">
                                {if national { td_string!(locale, limits.national_rule) } else { td_string!(locale, limits.local_rule) }}
                            </p>
                        }
                    })}
                </Transition>
                <ErrorBanner error=table_banner />
                <form class="form" novalidate on:submit=submit_table data-testid="table-form">
                    <TextField id="version" label=t(|l| td_string!(l, limits.version)) value=version errors=table_fields />
                    <TextField id="effective_from" label=t(|l| td_string!(l, limits.effective_from)) value=effective errors=table_fields kind="date" />
                    <Transition fallback=|| ()>
                        {move || current.get().and_then(|r| r.ok()).map(|table| {
                            table.rows.into_iter().enumerate().map(|(i, r)| view! {
                                <div class="field">
                                    <label for=format!("k-{i}")>{format!("{} · {} kW", r.class.as_str(), band(r.power_min_kw, r.power_max_kw))}</label>
                                    <input
                                        id=format!("k-{i}")
                                        type="number"
                                        step="0.01"
                                        inputmode="decimal"
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
                    <button type="submit" class="button primary" disabled=move || publish.pending().get()>{t!(i18n, limits.publish)}</button>
                    {move || matches!(publish.value().get(), Some(Ok(_))).then(|| view! { <p class="banner banner-ok" data-testid="table-published">{t!(i18n, limits.published)}</p> })}
                </form>
            </section>
        })}
        {move || zone_admin().then(|| view! { <ZonesSection /> })}
    }
}
