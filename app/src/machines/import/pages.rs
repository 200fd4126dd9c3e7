//! `/machines/import`: download a template, upload a filled one, read the per-row report.

use super::ImportReport;
use crate::i18n::*;
use crate::ui::PageTitle;
use crate::ui::upload::send_file;
use leptos::either::Either;
use leptos::prelude::*;

/// What came back from an upload.
#[derive(Debug, Clone, PartialEq)]
enum Outcome {
    Report(ImportReport),
    Problem(String),
}

/// `/machines/import`
#[component]
pub fn ImportPage() -> impl IntoView {
    let i18n = use_i18n();
    let file = NodeRef::<leptos::html::Input>::new();
    let outcome = RwSignal::new(None::<Outcome>);
    let busy = RwSignal::new(false);
    let upload = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Some(input) = file.get() else { return };
        busy.set(true);
        leptos::task::spawn_local(async move {
            let locale = i18n.get_locale_untracked();
            let result = send_file("POST", "/api/v1/machines/import", &input).await;
            let next = match result {
                Ok(None) => None,
                Err(()) => Some(Outcome::Problem(crate::error::AppError::Network.message(locale))),
                // A refused file (422) carries the same report beside its error object.
                Ok(Some(answer)) => match serde_json::from_str::<ImportReport>(&answer.body) {
                    Ok(report) => Some(Outcome::Report(report)),
                    Err(_) => Some(Outcome::Problem(
                        serde_json::from_str::<serde_json::Value>(&answer.body)
                            .ok()
                            .and_then(|v| v["error"]["message"].as_str().map(str::to_owned))
                            .unwrap_or_else(|| crate::error::AppError::Internal { request_id: None }.message(locale)),
                    )),
                },
            };
            outcome.set(next);
            busy.set(false);
        });
    };
    view! {
        <PageTitle text=move || td_string!(i18n.get_locale(), machines.import_title).to_string() />
        <section class="card narrow">
            <h1>{t!(i18n, machines.import_title)}</h1>
            <p class="muted">{t!(i18n, machines.import_intro)}</p>
            <p class="actions">
                <a class="button" href="/api/v1/machines/import/template.xlsx" download>{t!(i18n, machines.template_xlsx)}</a>
                <a class="button" href="/api/v1/machines/import/template.csv" download>{t!(i18n, machines.template_csv)}</a>
            </p>
            <form class="form" on:submit=upload data-testid="import-form">
                <div class="field">
                    <label for="import-file">{t!(i18n, machines.import_file)}</label>
                    <input id="import-file" node_ref=file type="file" accept=".csv,.xlsx,text/csv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" required />
                </div>
                <button type="submit" class="button primary" disabled=move || busy.get()>{t!(i18n, machines.import_submit)}</button>
            </form>
        </section>
        {move || {
            let locale = i18n.get_locale();
            outcome.get().map(|o| match o {
                Outcome::Problem(text) => Either::Left(view! { <p class="banner banner-error">{text}</p> }),
                Outcome::Report(r) => Either::Right(view! {
                    <section class="card" data-testid="import-report">
                        {if r.errors.is_empty() {
                            Either::Left(view! {
                                <p class="banner banner-ok">{td_string!(locale, machines.import_done, imported = r.imported, skipped = r.skipped)}</p>
                            })
                        } else {
                            Either::Right(view! {
                                <p class="banner banner-error">{td_string!(locale, machines.import_errors, count = r.errors.len())}</p>
                                <div class="table-wrap">
                                    <table>
                                        <thead><tr>
                                            <th>{td_string!(locale, machines.row)}</th>
                                            <th>{td_string!(locale, machines.column)}</th>
                                            <th>{td_string!(locale, machines.problem)}</th>
                                        </tr></thead>
                                        <tbody>
                                            {r.errors.into_iter().map(|e| view! { <tr><td>{e.row}</td><td>{e.column}</td><td>{e.message}</td></tr> }).collect_view()}
                                        </tbody>
                                    </table>
                                </div>
                            })
                        }}
                    </section>
                }),
            })
        }}
    }
}
