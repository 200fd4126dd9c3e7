//! `/reports`: the public's reports of the caller's counties, the newest first: what was seen,
//! the machine (opening the field check with its code), the photos, the reporter's phone for the
//! county's inspectors, and for them a way to close a report with a reason. A report about a
//! machine is answered as soon as an inspection of it is recorded in the county.

use super::server_fns::{CloseReport as CloseReportFn, list_reports};
use super::{Report, ReportClosing, ReportKind, ReportQuery, ReportStatus};
use crate::auth::permissions::INSPECTORS;
use crate::i18n::*;
use crate::ui::{ErrorBanner, PageTitle};
use leptos::either::Either;
use leptos::prelude::*;

/// The name of a report's kind (this page and the public form).
pub fn kind_label(locale: Locale, k: ReportKind) -> &'static str {
    match k {
        ReportKind::BlackSmoke => td_string!(locale, reports.kind_black_smoke),
        ReportKind::NoLabel => td_string!(locale, reports.kind_no_label),
        ReportKind::InZone => td_string!(locale, reports.kind_in_zone),
        ReportKind::Other => td_string!(locale, reports.kind_other),
    }
}

fn status_label(locale: Locale, s: ReportStatus) -> (&'static str, &'static str) {
    match s {
        ReportStatus::New => ("badge badge-warn", td_string!(locale, reports.status_new)),
        ReportStatus::Inspected => ("badge badge-ok", td_string!(locale, reports.status_inspected)),
        ReportStatus::Closed => ("badge", td_string!(locale, reports.status_closed)),
    }
}

fn report_view(locale: Locale, r: Report, close: Option<ServerAction<CloseReportFn>>) -> impl IntoView {
    let (class, status) = status_label(locale, r.status);
    let at = r.created_at.with_timezone(&crate::dates::china()).format("%Y-%m-%d %H:%M").to_string();
    let id = r.id;
    let reason = RwSignal::new(String::new());
    let photos = (1..=r.photos).map(|n| {
        let src = format!("/api/v1/reports/{id}/photos/{n}");
        let href = src.clone();
        view! { <a href=href rel="external"><img src=src alt="" loading="lazy" width="96" height="72" class="report-photo" /></a> }
    });
    view! {
        <li class="item" data-testid="report" data-status=r.status.as_str()>
            <div class="item-main">
                <strong>{kind_label(locale, r.kind)}</strong>
                <span class=class>{status}</span>
            </div>
            <div class="muted">{r.county_name.clone()} " · " {at} " · " <span class="code">{r.reference.clone()}</span></div>
            <p>{r.description.clone()}</p>
            {r.registration_code.clone().map(|c| view! {
                <p><a href=format!("/field?code={c}") class="code">{c.clone()}</a></p>
            })}
            <div class="report-photos">{photos.collect_view()}</div>
            {r.lat.zip(r.lng).map(|(a, b)| view! { <p class="muted">{format!("{a:.5}, {b:.5}")}</p> })}
            {r.phone.clone().map(|p| view! { <p data-testid="report-phone">{td_string!(locale, reports.reporter_phone)} ": " <a href=format!("tel:{p}")>{p.clone()}</a></p> })}
            {r.inspection_id.map(|i| view! { <p><a href=format!("/inspections/{i}")>{td_string!(locale, reports.see_inspection)}</a></p> })}
            {r.closed_reason.clone().map(|c| view! { <p class="muted">{td_string!(locale, reports.closed_because)} " " {c}</p> })}
            {close.filter(|_| r.status == ReportStatus::New).map(|close| view! {
                <form class="form inline" data-testid="report-close"
                    on:submit=move |ev: leptos::ev::SubmitEvent| {
                        ev.prevent_default();
                        if !close.pending().get_untracked() {
                            close.dispatch(CloseReportFn { id, input: ReportClosing { reason: reason.get_untracked() } });
                        }
                    }>
                    <label class="sr-only" for=format!("reason-{id}")>{td_string!(locale, reports.close_reason)}</label>
                    <input id=format!("reason-{id}") bind:value=reason placeholder=td_string!(locale, reports.close_reason) />
                    <button type="submit" class="button small" disabled=move || close.pending().get()>{td_string!(locale, reports.close)}</button>
                </form>
            })}
        </li>
    }
}

/// `/reports`
#[component]
pub fn ReportsPage() -> impl IntoView {
    let i18n = use_i18n();
    let auth = crate::ui::use_auth();
    let close = ServerAction::<CloseReportFn>::new();
    let list = Resource::new(move || close.version().get(), |_| list_reports(ReportQuery::default()));
    let error = Signal::derive(move || close.value().get().and_then(|r| r.err()));
    let my_county = move || {
        auth.user
            .get()
            .and_then(|u| u.ok())
            .flatten()
            .filter(|u| u.role == crate::auth::Role::CountyInspector)
            .and_then(|u| u.division_code)
    };
    view! {
        <PageTitle text=move || td_string!(i18n.get_locale(), reports.queue_title).to_string() />
        <section class="card">
            <h1>{t!(i18n, reports.queue_title)}</h1>
            <p class="muted">{t!(i18n, reports.queue_intro)}</p>
            <ErrorBanner error=error />
            <Transition fallback=move || view! { <p class="muted">{t!(i18n, common.loading)}</p> }>
                {move || {
                    let locale = i18n.get_locale();
                    let county = my_county();
                    let may_close = auth.may(&INSPECTORS);
                    list.get().map(|r| match r {
                        Err(e) => Either::Left(view! { <p class="banner banner-error">{e.message(locale)}</p> }),
                        Ok(list) if list.is_empty() => Either::Right(Either::Left(view! {
                            <p class="muted" data-testid="reports-empty">{td_string!(locale, reports.empty)}</p>
                        })),
                        Ok(list) => Either::Right(Either::Right(view! {
                            <ul class="cards" data-testid="reports">
                                {list.into_iter().map(|r| {
                                    let own = may_close && county.as_deref() == Some(r.county_code.as_str());
                                    report_view(locale, r, own.then_some(close))
                                }).collect_view()}
                            </ul>
                        })),
                    })
                }}
            </Transition>
        </section>
    }
}
