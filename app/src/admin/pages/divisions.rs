//! `/admin/divisions`: the division list and the import of another province's divisions.

use crate::admin::DivisionImportReport;
use crate::error::AppError;
use crate::i18n::*;
use crate::ui::PageTitle;
use crate::ui::upload::send_file;
use leptos::either::Either;
use leptos::prelude::*;

/// What came back from a division upload.
#[derive(Debug, Clone, PartialEq)]
enum Outcome {
    Done(DivisionImportReport),
    Rejected(Vec<crate::admin::DivisionRowError>),
    Problem(String),
}

/// `/admin/divisions`: the provinces on file and the CSV upload.
#[component]
pub fn DivisionsPage() -> impl IntoView {
    let i18n = use_i18n();
    let file = NodeRef::<leptos::html::Input>::new();
    let outcome = RwSignal::new(None::<Outcome>);
    let busy = RwSignal::new(false);
    let provinces = Resource::new(move || outcome.get().is_some(), |_| crate::sites::server_fns::list_divisions(None));
    let upload = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Some(input) = file.get() else { return };
        busy.set(true);
        leptos::task::spawn_local(async move {
            let locale = i18n.get_locale_untracked();
            let next = match send_file("POST", "/api/v1/admin/divisions/import", &input).await {
                Ok(None) => None,
                Err(()) => Some(Outcome::Problem(AppError::Network.message(locale))),
                Ok(Some(answer)) => {
                    let body: serde_json::Value = serde_json::from_str(&answer.body).unwrap_or_default();
                    if answer.status == 200 {
                        serde_json::from_value(body).ok().map(Outcome::Done)
                    } else if let Ok(rows) = serde_json::from_value(body["rows"].clone()) {
                        Some(Outcome::Rejected(rows))
                    } else {
                        Some(Outcome::Problem(
                            body["error"]["message"]
                                .as_str()
                                .map(str::to_owned)
                                .unwrap_or_else(|| AppError::Internal { request_id: None }.message(locale)),
                        ))
                    }
                }
            };
            outcome.set(next);
            busy.set(false);
        });
    };
    view! {
        <PageTitle text=move || td_string!(i18n.get_locale(), admin.divisions).to_string() />
        <section class="card narrow">
            <h1>{t!(i18n, admin.divisions)}</h1>
            <Transition fallback=move || view! { <p class="muted">{t!(i18n, common.loading)}</p> }>
                {move || {
                    provinces.get().and_then(|r| r.ok()).map(|list| view! {
                        <ul class="cards" data-testid="province-list">
                            {list.into_iter().map(|d| view! { <li class="item"><span class="code">{d.code}</span> " " {d.name}</li> }).collect_view()}
                        </ul>
                    })
                }}
            </Transition>
            <h2>{t!(i18n, admin.import_divisions)}</h2>
            <p class="muted">{t!(i18n, admin.import_divisions_intro)}</p>
            <form class="form" on:submit=upload data-testid="division-import-form">
                <div class="field">
                    <label for="division-file">{t!(i18n, machines.import_file)}</label>
                    <input id="division-file" node_ref=file type="file" accept=".csv,text/csv" required />
                </div>
                <button type="submit" class="button primary" disabled=move || busy.get()>{t!(i18n, machines.import_submit)}</button>
            </form>
        </section>
        {move || {
            let locale = i18n.get_locale();
            outcome.get().map(|o| match o {
                Outcome::Problem(text) => Either::Left(view! { <p class="banner banner-error">{text}</p> }),
                Outcome::Done(r) => Either::Right(Either::Left(view! {
                    <p class="banner banner-ok" data-testid="division-report">
                        {td_string!(locale, admin.div_done, inserted = r.inserted, updated = r.updated, unchanged = r.unchanged)}
                    </p>
                })),
                Outcome::Rejected(rows) => Either::Right(Either::Right(view! {
                    <section class="card">
                        <p class="banner banner-error">{td_string!(locale, admin.div_rejected, count = rows.len())}</p>
                        <div class="table-wrap">
                            <table>
                                <thead><tr>
                                    <th>{td_string!(locale, admin.line)}</th>
                                    <th>{td_string!(locale, machines.column)}</th>
                                    <th>{td_string!(locale, machines.problem)}</th>
                                </tr></thead>
                                <tbody>
                                    {rows.into_iter().map(|e| view! { <tr><td>{e.line}</td><td>{e.column.unwrap_or_default()}</td><td>{e.message}</td></tr> }).collect_view()}
                                </tbody>
                            </table>
                        </div>
                    </section>
                })),
            })
        }}
    }
}
