//! `/dashboard`: the figures of a division as server-rendered SVG charts, each with its numbers
//! in a table, a ranking of counties, and a filter that works as a plain GET form.

use super::charts::{Bar, bar_list, monthly};
use super::server_fns::{Dashboard, get_dashboard};
use super::{RankBy, StatsQuery, percent};
use crate::cases::CaseState;
use crate::cases::names::case_state_label;
use crate::divisions::{Division, Level};
use crate::filings::FilingStatus;
use crate::filings::names::status_label;
use crate::i18n::*;
use crate::machines::names::{fuel_label, stage_label};
use crate::machines::{EmissionStage, FuelType};
use crate::ui::PageTitle;
use chrono::NaiveDate;
use leptos::either::Either;
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

/// The most counties drawn in the ranking chart (a province has 117; the table lists all).
const RANKING_CHART_ROWS: usize = 30;

fn date(v: Option<String>) -> Option<NaiveDate> {
    v.and_then(|v| NaiveDate::parse_from_str(v.trim(), "%Y-%m-%d").ok())
}

/// The name of a ranking figure.
fn rank_by_label(locale: Locale, by: RankBy) -> &'static str {
    match by {
        RankBy::Machines => td_string!(locale, stats.machines),
        RankBy::Filings => td_string!(locale, stats.filings),
        RankBy::Inspections => td_string!(locale, stats.inspections),
        RankBy::PassRate => td_string!(locale, stats.pass_rate),
        RankBy::OpenCases => td_string!(locale, stats.open_cases),
        RankBy::OverdueCases => td_string!(locale, stats.overdue_cases),
    }
}

/// `/dashboard`
#[component]
pub fn DashboardPage() -> impl IntoView {
    let i18n = use_i18n();
    let query = use_query_map();
    let q = move || {
        query.with(|q| StatsQuery {
            division_code: q.get("division_code").filter(|v| !v.trim().is_empty()),
            from: date(q.get("from")),
            to: date(q.get("to")),
            by: q.get("by").and_then(|v| RankBy::parse(&v)),
        })
    };
    let data = Resource::new(q, get_dashboard);
    view! {
        <PageTitle text=move || td_string!(i18n.get_locale(), stats.title).to_string() />
        <Suspense fallback=move || view! { <p class="muted">{t!(i18n, common.loading)}</p> }>
            {move || {
                let locale = i18n.get_locale();
                data.get().map(|r| match r {
                    Err(e) => Either::Left(view! { <section class="card"><p class="banner banner-error">{e.message(locale)}</p></section> }),
                    Ok(d) => Either::Right(dashboard_view(locale, d)),
                })
            }}
        </Suspense>
    }
}

fn option_label(d: &Division) -> String {
    let indent = match d.level {
        Level::Province => "",
        Level::City => "\u{3000}",
        Level::County => "\u{3000}\u{3000}",
    };
    format!("{indent}{} {}", d.name, d.code)
}

fn dashboard_view(locale: Locale, d: Dashboard) -> impl IntoView {
    let Dashboard { stats: s, ranking, divisions } = d;
    let t = s.totals.clone();
    let current = s.division.code.clone();
    let from = s.from.to_string();
    let to = s.to.to_string();
    let by = ranking.by;
    let overdue_class = if t.overdue_cases > 0 { "tile-bad" } else { "" };

    let type_bars: Vec<Bar> = s
        .machines_by_type
        .iter()
        .map(|c| Bar::count(if locale == Locale::zh { c.name_zh.clone() } else { c.name_en.clone() }, c.count))
        .collect();
    let stage_rows: Vec<(String, i64)> = s
        .machines_by_stage
        .iter()
        .map(|c| {
            (EmissionStage::parse(&c.key).map(|x| stage_label(locale, x).to_owned()).unwrap_or(c.key.clone()), c.count)
        })
        .collect();
    let fuel_rows: Vec<(String, i64)> = s
        .machines_by_fuel
        .iter()
        .map(|c| (FuelType::parse(&c.key).map(|x| fuel_label(locale, x).to_owned()).unwrap_or(c.key.clone()), c.count))
        .collect();
    let type_rows: Vec<(String, i64)> = type_bars.iter().map(|b| (b.label.clone(), b.value as i64)).collect();
    let bars = |rows: &[(String, i64)]| rows.iter().map(|(l, n)| Bar::count(l.clone(), *n)).collect::<Vec<_>>();

    let months: Vec<String> = s.filings_by_month.iter().map(|m| m.month.clone()).collect();
    let filings_svg = monthly(
        "chart-filings",
        td_string!(locale, stats.filings_by_month),
        &months,
        &s.filings_by_month.iter().map(|m| m.total).collect::<Vec<_>>(),
        None,
    );
    let rates: Vec<Option<f64>> = s.inspections_by_month.iter().map(|m| m.pass_rate).collect();
    let inspections_svg = monthly(
        "chart-inspections",
        td_string!(locale, stats.inspections_by_month),
        &months,
        &s.inspections_by_month.iter().map(|m| m.inspections).collect::<Vec<_>>(),
        Some(&rates),
    );
    // The chart shows the first counties (and the one looked at); the table lists them all.
    let rank_bars: Vec<Bar> = ranking
        .rows
        .iter()
        .enumerate()
        .filter(|(i, r)| *i < RANKING_CHART_ROWS || r.county_code == current)
        .map(|(_, r)| {
            let (value, text) = match by {
                RankBy::Machines => (r.machines as f64, r.machines.to_string()),
                RankBy::Filings => (r.filings as f64, r.filings.to_string()),
                RankBy::Inspections => (r.inspections as f64, r.inspections.to_string()),
                RankBy::PassRate => (r.pass_rate.unwrap_or(0.0), percent(r.pass_rate)),
                RankBy::OpenCases => (r.open_cases as f64, r.open_cases.to_string()),
                RankBy::OverdueCases => (r.overdue_cases as f64, r.overdue_cases.to_string()),
            };
            Bar { label: r.county_name.clone(), value, text, highlight: r.county_code == current }
        })
        .collect();
    let ranking_title =
        td_string!(locale, stats.ranking_heading, within = ranking.within.name.clone(), by = rank_by_label(locale, by))
            .to_string();
    let ranking_svg = bar_list("chart-ranking", &ranking_title, &rank_bars);
    let statuses = FilingStatus::ALL;

    view! {
        <section class="card">
            <div class="card-head">
                <h1>{td_string!(locale, stats.heading)} " · " {s.division.name.clone()}</h1>
            </div>
            <p class="muted" data-testid="stats-range">{td_string!(locale, stats.range_line, from = from.clone(), to = to.clone(), today = s.as_of.to_string())}</p>
            <form method="get" action="/dashboard" class="form inline stats-filter" data-testid="stats-filter">
                <label for="division_code" class="sr-only">{td_string!(locale, stats.division)}</label>
                <select id="division_code" name="division_code">
                    {divisions.iter().map(|d| {
                        let selected = d.code == current;
                        view! { <option value=d.code.clone() selected=selected>{option_label(d)}</option> }
                    }).collect_view()}
                </select>
                <label for="from">{td_string!(locale, stats.from)}</label>
                <input id="from" name="from" type="date" value=from />
                <label for="to">{td_string!(locale, stats.to)}</label>
                <input id="to" name="to" type="date" value=to />
                <label for="by" class="sr-only">{td_string!(locale, stats.rank_by)}</label>
                <select id="by" name="by">
                    {RankBy::ALL.into_iter().map(|b| view! {
                        <option value=b.as_str() selected=b == by>{td_string!(locale, stats.rank_by)} ": " {rank_by_label(locale, b)}</option>
                    }).collect_view()}
                </select>
                <button type="submit" class="button primary">{td_string!(locale, stats.apply)}</button>
            </form>
            <ul class="tiles" data-testid="stats-totals">
                <li data-testid="registered-machines"><span class="tile-value">{t.registered_machines}</span><span class="tile-label">{td_string!(locale, stats.registered_machines)}</span></li>
                <li data-testid="filed-machines"><span class="tile-value">{t.machines}</span><span class="tile-label">{td_string!(locale, stats.machines)}</span></li>
                <li><span class="tile-value">{t.filings}</span><span class="tile-label">{td_string!(locale, stats.filings)}</span></li>
                <li><span class="tile-value">{t.inspections}</span><span class="tile-label">{td_string!(locale, stats.inspections)}</span></li>
                <li><span class="tile-value">{percent(t.pass_rate)}</span><span class="tile-label">{td_string!(locale, stats.pass_rate)}</span></li>
                <li><span class="tile-value">{t.open_cases}</span><span class="tile-label">{td_string!(locale, stats.open_cases)}</span></li>
                <li class=overdue_class><span class="tile-value">{t.overdue_cases}</span><span class="tile-label">{td_string!(locale, stats.overdue_cases)}</span></li>
            </ul>
            <p class="muted small">{td_string!(locale, stats.rules)}</p>
        </section>

        <section class="card chart-card" data-testid="chart-types">
            <h2>{td_string!(locale, stats.by_type)}</h2>
            <div class="chart-pair">
                <div class="chart" inner_html=bar_list("chart-types", td_string!(locale, stats.by_type), &type_bars)></div>
                {count_table(locale, td_string!(locale, stats.machine_type), type_rows)}
            </div>
        </section>
        <section class="card chart-card" data-testid="chart-stages">
            <h2>{td_string!(locale, stats.by_stage)}</h2>
            <div class="chart-pair">
                <div class="chart" inner_html=bar_list("chart-stages", td_string!(locale, stats.by_stage), &bars(&stage_rows))></div>
                {count_table(locale, td_string!(locale, stats.stage), stage_rows.clone())}
            </div>
        </section>
        <section class="card chart-card" data-testid="chart-fuels">
            <h2>{td_string!(locale, stats.by_fuel)}</h2>
            <div class="chart-pair">
                <div class="chart" inner_html=bar_list("chart-fuels", td_string!(locale, stats.by_fuel), &bars(&fuel_rows))></div>
                {count_table(locale, td_string!(locale, stats.fuel), fuel_rows.clone())}
            </div>
        </section>

        <section class="card chart-card" data-testid="chart-filings">
            <h2>{td_string!(locale, stats.filings_by_month)}</h2>
            <div class="chart-pair wide">
                <div class="chart" inner_html=filings_svg></div>
                <div class="table-wrap">
                    <table class="figures">
                        <thead><tr>
                            <th scope="col">{td_string!(locale, stats.month)}</th>
                            {statuses.iter().map(|st| view! { <th scope="col">{status_label(locale, *st)}</th> }).collect_view()}
                            <th scope="col">{td_string!(locale, stats.total)}</th>
                        </tr></thead>
                        <tbody>
                            {s.filings_by_month.iter().map(|m| view! {
                                <tr>
                                    <th scope="row">{m.month.clone()}</th>
                                    {statuses.iter().map(|st| view! { <td>{by_status(m, *st)}</td> }).collect_view()}
                                    <td>{m.total}</td>
                                </tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                </div>
            </div>
        </section>

        <section class="card chart-card" data-testid="chart-inspections">
            <h2>{td_string!(locale, stats.inspections_by_month)}</h2>
            <p class="muted small">{td_string!(locale, stats.legend_inspections)}</p>
            <div class="chart-pair wide">
                <div class="chart" inner_html=inspections_svg></div>
                <div class="table-wrap">
                    <table class="figures">
                        <thead><tr>
                            <th scope="col">{td_string!(locale, stats.month)}</th>
                            <th scope="col">{td_string!(locale, stats.inspections)}</th>
                            <th scope="col">{td_string!(locale, stats.passed)}</th>
                            <th scope="col">{td_string!(locale, stats.failed)}</th>
                            <th scope="col">{td_string!(locale, stats.exempt)}</th>
                            <th scope="col">{td_string!(locale, stats.pass_rate)}</th>
                        </tr></thead>
                        <tbody>
                            {s.inspections_by_month.iter().map(|m| view! {
                                <tr>
                                    <th scope="row">{m.month.clone()}</th>
                                    <td>{m.inspections}</td><td>{m.passed}</td><td>{m.failed}</td><td>{m.exempt}</td>
                                    <td>{percent(m.pass_rate)}</td>
                                </tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                </div>
            </div>
        </section>

        <section class="card chart-card" data-testid="chart-cases">
            <h2>{td_string!(locale, stats.open_cases)}</h2>
            {count_table(locale, td_string!(locale, stats.state), s.open_cases_by_state.iter().map(|c| {
                (CaseState::parse(&c.key).map(|x| case_state_label(locale, x).to_owned()).unwrap_or(c.key.clone()), c.count)
            }).collect())}
        </section>

        <section class="card chart-card" data-testid="chart-ranking">
            <h2>{ranking_title}</h2>
            <div class="chart-pair wide">
                <div class="chart" inner_html=ranking_svg></div>
                <div class="table-wrap">
                    <table class="figures" data-testid="ranking-table">
                        <thead><tr>
                            <th scope="col">{td_string!(locale, stats.rank)}</th>
                            <th scope="col">{td_string!(locale, stats.county)}</th>
                            <th scope="col">{td_string!(locale, stats.machines)}</th>
                            <th scope="col">{td_string!(locale, stats.filings)}</th>
                            <th scope="col">{td_string!(locale, stats.inspections)}</th>
                            <th scope="col">{td_string!(locale, stats.pass_rate)}</th>
                            <th scope="col">{td_string!(locale, stats.open_cases)}</th>
                            <th scope="col">{td_string!(locale, stats.overdue_cases)}</th>
                        </tr></thead>
                        <tbody>
                            {ranking.rows.iter().map(|r| view! {
                                <tr class=(r.county_code == s.division.code).then_some("current")>
                                    <td>{r.rank}</td>
                                    <th scope="row">{r.county_name.clone()}</th>
                                    <td>{r.machines}</td><td>{r.filings}</td><td>{r.inspections}</td>
                                    <td>{percent(r.pass_rate)}</td><td>{r.open_cases}</td><td>{r.overdue_cases}</td>
                                </tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                </div>
            </div>
        </section>
    }
}

fn by_status(m: &super::FilingMonth, status: FilingStatus) -> i64 {
    match status {
        FilingStatus::Draft => m.draft,
        FilingStatus::Submitted => m.submitted,
        FilingStatus::Returned => m.returned,
        FilingStatus::Accepted => m.accepted,
        FilingStatus::Closed => m.closed,
    }
}

/// A two-column table: a name and its count.
fn count_table(locale: Locale, heading: &str, rows: Vec<(String, i64)>) -> impl IntoView {
    view! {
        <div class="table-wrap">
            <table class="figures">
                <thead><tr><th scope="col">{heading.to_owned()}</th><th scope="col">{td_string!(locale, stats.count)}</th></tr></thead>
                <tbody>
                    {rows.into_iter().map(|(label, n)| view! { <tr><th scope="row">{label}</th><td>{n}</td></tr> }).collect_view()}
                </tbody>
            </table>
        </div>
    }
}
