//! Amendment pages: the list (the county's queue of pending amendments, a unit's requests), one
//! amendment with its old and new values side by side, the evidence photos and the inspector's
//! decision, and the queue shown beside the filings waiting for review.

pub mod machine;
mod view;

use crate::amendments::names::amendment_status_label;
use crate::amendments::server_fns::{ReviewAmendment, WithdrawAmendment, get_amendment, list_amendments};
use crate::amendments::{AmendmentFilter, AmendmentStatus, check_reason};
use crate::error::{AppError, FieldErrors};
use crate::evidence::SubjectKind;
use crate::evidence::pages::EvidenceGallery;
use crate::filings::{Decision, ReviewInput};
use crate::i18n::*;
use crate::machines::server_fns::machine_types;
use crate::ui::{ErrorBanner, FieldErrorText, PageTitle, QueryTab, use_auth};
use leptos::either::Either;
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::{use_params_map, use_query_map};
use uuid::Uuid;
use view::{AmendmentItem, ChangesTable};

/// `/amendments?status=`: amendments in scope, by status (`pending`: the queue, oldest first).
#[component]
pub fn AmendmentsPage() -> impl IntoView {
    let i18n = use_i18n();
    let query = use_query_map();
    let status = move || query.with(|q| q.get("status").and_then(|s| AmendmentStatus::parse(&s)));
    let list = Resource::new(status, |status| list_amendments(AmendmentFilter { status, machine_id: None }, None));
    let tab = move |s: Option<AmendmentStatus>| {
        let href = s.map_or_else(|| "/amendments".to_owned(), |s| format!("/amendments?status={}", s.as_str()));
        view! {
            <QueryTab href=href current=Signal::derive(move || status() == s)>
                {move || match s {
                    Some(s) => amendment_status_label(i18n.get_locale(), s),
                    None => td_string!(i18n.get_locale(), amendments.filter_all),
                }}
            </QueryTab>
        }
    };
    view! {
        <PageTitle text=move || td_string!(i18n.get_locale(), amendments.title).to_string() />
        <section class="card">
            <div class="card-head">
                <h1>{t!(i18n, amendments.heading)}</h1>
            </div>
            <ul class="tabs">
                {tab(None)}
                {AmendmentStatus::ALL.into_iter().map(|s| tab(Some(s))).collect_view()}
            </ul>
            <Transition fallback=move || view! { <p class="muted">{t!(i18n, common.loading)}</p> }>
                {move || {
                    let locale = i18n.get_locale();
                    list.get().map(|r| match r {
                        Err(e) => Either::Left(view! { <p class="banner banner-error">{e.message(locale)}</p> }),
                        Ok(page) => Either::Right(view! {
                            {page.items.is_empty().then(|| view! { <p class="muted">{td_string!(locale, common.empty)}</p> })}
                            <ul class="cards" data-testid="amendment-list">
                                {page.items.into_iter().map(|a| view! { <AmendmentItem amendment=a show_machine=true /> }).collect_view()}
                            </ul>
                        }),
                    })
                }}
            </Transition>
        </section>
    }
}

/// The pending amendments in the caller's scope, shown on the filings review queue (nothing
/// when there are none).
#[component]
pub fn PendingAmendments() -> impl IntoView {
    let i18n = use_i18n();
    let pending = Resource::new(
        || (),
        |_| list_amendments(AmendmentFilter { status: Some(AmendmentStatus::Pending), machine_id: None }, None),
    );
    view! {
        <Transition fallback=|| ()>
            {move || {
                let locale = i18n.get_locale();
                pending.get().and_then(|r| r.ok()).filter(|p| !p.items.is_empty()).map(|page| view! {
                    <section class="card" data-testid="pending-amendments">
                        <div class="card-head">
                            <h2>{td_string!(locale, amendments.queue_heading)} " (" {page.items.len()} ")"</h2>
                            <A href="/amendments?status=pending">{td_string!(locale, amendments.view)}</A>
                        </div>
                        <ul class="cards">
                            {page.items.into_iter().map(|a| view! { <AmendmentItem amendment=a show_machine=true /> }).collect_view()}
                        </ul>
                    </section>
                })
            }}
        </Transition>
    }
}

/// `/amendments/:id`
#[component]
pub fn AmendmentPage() -> impl IntoView {
    let i18n = use_i18n();
    let params = use_params_map();
    let id = move || params.with(|p| p.get("id").and_then(|v| Uuid::parse_str(&v).ok()));
    let review = ServerAction::<ReviewAmendment>::new();
    let withdraw = ServerAction::<WithdrawAmendment>::new();
    let amendment = Resource::new(
        move || (id(), review.version().get(), withdraw.version().get()),
        |(id, ..)| async move {
            match id {
                Some(id) => get_amendment(id).await,
                None => Err(AppError::NotFound),
            }
        },
    );
    let types = Resource::new(|| (), |_| machine_types());
    let auth = use_auth();
    let unit = move || auth.user.get().and_then(|r| r.ok()).flatten().is_some_and(|me| me.role.is_contractor());
    let type_list = Signal::derive(move || types.get().and_then(|r| r.ok()).unwrap_or_default());
    let reason = RwSignal::new(String::new());
    let local = RwSignal::new(None::<FieldErrors>);
    let error = Signal::derive(move || {
        review.value().get().and_then(|r| r.err()).or_else(|| withdraw.value().get().and_then(|r| r.err()))
    });
    let fields = Signal::derive(move || local.get().or_else(|| error.get().and_then(|e| e.fields().cloned())));
    let banner = Signal::derive(move || error.get().filter(|e: &AppError| e.fields().is_none()));
    let decide = move |id: Uuid, decision: Decision| {
        let reason = match decision {
            Decision::Accept => None,
            Decision::Return => match check_reason(&reason.get()) {
                Ok(r) => Some(r),
                Err(e) => {
                    local.set(Some(FieldErrors::single("reason", e)));
                    return;
                }
            },
        };
        local.set(None);
        review.dispatch(ReviewAmendment { id, input: ReviewInput { decision, reason } });
    };
    view! {
        <PageTitle text=move || td_string!(i18n.get_locale(), amendments.title).to_string() />
        <ErrorBanner error=banner />
        <Transition fallback=move || view! { <p class="muted">{t!(i18n, common.loading)}</p> }>
            {move || {
                let locale = i18n.get_locale();
                amendment.get().map(|r| match r {
                    Err(e) => Either::Left(view! { <section class="card"><p class="banner banner-error">{e.message(locale)}</p></section> }),
                    Ok(a) => {
                        let aid = a.id;
                        let status = a.status;
                        let china = |t: chrono::DateTime<chrono::Utc>| t.with_timezone(&crate::dates::china()).format("%Y-%m-%d %H:%M").to_string();
                        let actor = |x: &Option<crate::amendments::Actor>| x.as_ref().map(|x| x.name.clone()).unwrap_or_default();
                        let machine_href = format!("/machines/{}", a.machine_id);
                        Either::Right(view! {
                            <section class="card">
                                <div class="card-head">
                                    <h1>{a.machine_name.clone()}</h1>
                                    <span class=format!("badge amendment-{}", status.as_str()) data-testid="amendment-status">{amendment_status_label(locale, status)}</span>
                                </div>
                                <dl class="facts">
                                    <dt>{td_string!(locale, machines.registration_code)}</dt>
                                    <dd><A href=machine_href attr:class="code">{a.registration_code.clone()}</A></dd>
                                    <dt>{td_string!(locale, amendments.organization)}</dt><dd>{a.organization_name.clone()}</dd>
                                    <dt>{td_string!(locale, amendments.county)}</dt><dd>{a.county_code.clone()}</dd>
                                    <dt>{td_string!(locale, amendments.submitted_at)}</dt><dd>{china(a.submitted_at)} " · " {actor(&a.submitted_by)}</dd>
                                    {a.reviewed_at.map(|t| view! {
                                        <dt>{td_string!(locale, amendments.reviewed_at)}</dt><dd>{china(t)} " · " {actor(&a.reviewed_by)}</dd>
                                    })}
                                    {a.withdrawn_at.map(|t| view! { <dt>{td_string!(locale, amendments.withdrawn_at)}</dt><dd>{china(t)}</dd> })}
                                </dl>
                                <h2>{td_string!(locale, amendments.changes)}</h2>
                                <ChangesTable changes=a.changes.clone() types=type_list />
                                <h2>{td_string!(locale, amendments.reason)}</h2>
                                <p data-testid="amendment-reason">{a.reason.clone()}</p>
                                {a.return_reason.clone().map(|r| view! {
                                    <div class="banner banner-warn" data-testid="return-reason"><strong>{td_string!(locale, amendments.return_reason)} ": "</strong>{r}</div>
                                })}
                            </section>
                            {(status == AmendmentStatus::Pending && a.photo_count == 0).then(|| view! {
                                <p class="banner banner-warn" data-testid="photos-needed">
                                    {if unit() { td_string!(locale, amendments.add_photos_hint) } else { td_string!(locale, amendments.photos_needed) }}
                                </p>
                            })}
                            <EvidenceGallery kind=SubjectKind::Amendment id=aid />
                            {a.may_review.then(|| view! {
                                <section class="card narrow" data-testid="review">
                                    <div class="field">
                                        <label for="reason">{td_string!(locale, amendments.return_reason)}</label>
                                        <textarea id="reason" bind:value=reason rows="3"></textarea>
                                        <FieldErrorText errors=fields field="reason" />
                                    </div>
                                    <div class="actions">
                                        <button type="button" class="button primary" data-testid="accept" on:click=move |_| decide(aid, Decision::Accept)>
                                            {td_string!(locale, amendments.accept)}
                                        </button>
                                        <button type="button" class="button danger" data-testid="return" on:click=move |_| decide(aid, Decision::Return)>
                                            {td_string!(locale, amendments.return_it)}
                                        </button>
                                    </div>
                                </section>
                            })}
                            {a.may_withdraw.then(|| view! {
                                <section class="card narrow">
                                    <button type="button" class="button danger" data-testid="withdraw" on:click=move |_| { withdraw.dispatch(WithdrawAmendment { id: aid }); }>
                                        {td_string!(locale, amendments.withdraw)}
                                    </button>
                                </section>
                            })}
                        })
                    }
                })
            }}
        </Transition>
    }
}
