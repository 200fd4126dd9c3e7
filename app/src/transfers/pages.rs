//! Transfer pages: the list (incoming to accept or decline, outgoing to withdraw), one transfer
//! with the actions of whoever may act on it, and the machine page's part (its owners over time
//! and the form that offers it to another unit).

use super::server_fns::{
    AcceptTransfer, AllowTransfer, CancelTransfer, DeclineTransfer, StartTransfer, get_transfer, list_transfers,
    machine_owners,
};
use super::{
    Direction, ReasonInput, Transfer, TransferFilter, TransferInput, TransferStatus, check_reason, due, validate,
};
use crate::auth::Me;
use crate::error::{AppError, FieldCode, FieldError, FieldErrors};
use crate::i18n::*;
use crate::ui::{ErrorBanner, FieldErrorText, PageTitle, TextField, browser_today, use_auth};
use leptos::either::Either;
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::{use_navigate, use_params_map, use_query_map};
use uuid::Uuid;

fn me() -> Option<Me> {
    use_auth().user.get().and_then(|r| r.ok()).flatten()
}

/// The localised name of a transfer status.
pub fn status_label(locale: Locale, s: TransferStatus) -> &'static str {
    match s {
        TransferStatus::Pending => td_string!(locale, transfers.status_pending),
        TransferStatus::Accepted => td_string!(locale, transfers.status_accepted),
        TransferStatus::Declined => td_string!(locale, transfers.status_declined),
        TransferStatus::Cancelled => td_string!(locale, transfers.status_cancelled),
        TransferStatus::Void => td_string!(locale, transfers.status_void),
    }
}

fn badge(s: TransferStatus) -> &'static str {
    match s {
        TransferStatus::Pending => "badge badge-warn",
        TransferStatus::Accepted => "badge badge-ok",
        _ => "badge",
    }
}

/// `/transfers[?direction=incoming|outgoing]`
#[component]
pub fn TransfersPage() -> impl IntoView {
    let i18n = use_i18n();
    let query = use_query_map();
    let direction = move || {
        query.with(|q| match q.get("direction").as_deref() {
            Some("incoming") => Some(Direction::Incoming),
            Some("outgoing") => Some(Direction::Outgoing),
            _ => None,
        })
    };
    let transfers =
        Resource::new(direction, |direction| list_transfers(TransferFilter { direction, ..Default::default() }, None));
    let tab = move |href: &'static str, label: fn(Locale) -> &'static str| {
        view! { <li><A href=href>{move || label(i18n.get_locale())}</A></li> }
    };
    view! {
        <PageTitle text=move || td_string!(i18n.get_locale(), transfers.title).to_string() />
        <section class="card">
            <div class="card-head"><h1>{t!(i18n, transfers.heading)}</h1></div>
            {move || me().is_some_and(|m| m.role.is_contractor()).then(|| view! {
                <ul class="tabs">
                    {tab("/transfers", |l| td_string!(l, transfers.all))}
                    {tab("/transfers?direction=incoming", |l| td_string!(l, transfers.incoming))}
                    {tab("/transfers?direction=outgoing", |l| td_string!(l, transfers.outgoing))}
                </ul>
            })}
            <Transition fallback=move || view! { <p class="muted">{t!(i18n, common.loading)}</p> }>
                {move || {
                    let locale = i18n.get_locale();
                    transfers.get().map(|r| match r {
                        Err(e) => Either::Left(view! { <p class="banner banner-error">{e.message(locale)}</p> }),
                        Ok(page) => Either::Right(view! {
                            {page.items.is_empty().then(|| view! { <p class="muted">{td_string!(locale, common.empty)}</p> })}
                            <ul class="cards" data-testid="transfer-list">
                                {page.items.into_iter().map(|t| view! { <TransferItem transfer=t /> }).collect_view()}
                            </ul>
                        }),
                    })
                }}
            </Transition>
        </section>
    }
}

#[component]
fn TransferItem(transfer: Transfer) -> impl IntoView {
    let i18n = use_i18n();
    let href = format!("/transfers/{}", transfer.id);
    let status = transfer.status;
    view! {
        <li class="item">
            <div class="item-main">
                <A href=href><strong>{transfer.machine.name.clone()}</strong></A>
                <span class=badge(status) data-testid="transfer-status">{move || status_label(i18n.get_locale(), status)}</span>
            </div>
            <div class="muted">
                <span class="code">{transfer.machine.registration_code.clone().unwrap_or_default()}</span> " · "
                {transfer.from.name.clone()} " → " {transfer.to.name.clone()} " · " {transfer.transfer_on.to_string()}
            </div>
        </li>
    }
}

/// `/transfers/:id`: the transfer and the actions the caller may take on it.
#[component]
pub fn TransferPage() -> impl IntoView {
    let i18n = use_i18n();
    let params = use_params_map();
    let id = move || params.with(|p| p.get("id").and_then(|v| Uuid::parse_str(&v).ok()));
    let accept = ServerAction::<AcceptTransfer>::new();
    let decline = ServerAction::<DeclineTransfer>::new();
    let cancel = ServerAction::<CancelTransfer>::new();
    let allow = ServerAction::<AllowTransfer>::new();
    let versions =
        move || (accept.version().get(), decline.version().get(), cancel.version().get(), allow.version().get());
    let transfer = Resource::new(
        move || (id(), versions()),
        |(id, _)| async move {
            match id {
                Some(id) => get_transfer(id).await,
                None => Err(AppError::NotFound),
            }
        },
    );
    let local = RwSignal::new(None::<FieldErrors>);
    let error = Signal::derive(move || {
        [accept.value().get(), decline.value().get(), cancel.value().get(), allow.value().get()]
            .into_iter()
            .flatten()
            .find_map(|r| r.err())
    });
    let fields = Signal::derive(move || local.get().or_else(|| error.get().and_then(|e| e.fields().cloned())));
    let banner = Signal::derive(move || error.get().filter(|e: &AppError| e.fields().is_none()));
    let reason = RwSignal::new(String::new());
    let with_reason = move |send: Box<dyn Fn(String)>| match check_reason(&reason.get()) {
        Ok(r) => {
            local.set(None);
            send(r);
        }
        Err(e) => local.set(Some(e)),
    };
    view! {
        <PageTitle text=move || td_string!(i18n.get_locale(), transfers.title).to_string() />
        <ErrorBanner error=banner />
        <Transition fallback=move || view! { <p class="muted">{t!(i18n, common.loading)}</p> }>
            {move || {
                let locale = i18n.get_locale();
                let me = me();
                transfer.get().map(|r| match r {
                    Err(e) => Either::Left(view! { <section class="card"><p class="banner banner-error">{e.message(locale)}</p></section> }),
                    Ok(t) => {
                        let tid = t.id;
                        let pending = t.status == TransferStatus::Pending;
                        let admin_of = |org: Uuid| me.as_ref().is_some_and(|m| crate::auth::permissions::TRANSFER_DECIDERS.contains(&m.role) && m.organization_id == Some(org));
                        let buyer = pending && admin_of(t.to.id);
                        let seller = pending && admin_of(t.from.id);
                        let county = me.as_ref().filter(|m| crate::auth::permissions::TRANSFER_ALLOWERS.contains(&m.role)).and_then(|m| m.division_code.clone());
                        let may_allow = pending && county.is_some_and(|c| t.awaiting_permission_from.contains(&c));
                        let is_due = due(t.transfer_on, browser_today());
                        let blocked = !t.awaiting_permission_from.is_empty();
                        let machine_href = format!("/machines/{}", t.machine.id);
                        Either::Right(view! {
                            <section class="card">
                                <div class="card-head">
                                    <h1>{t.machine.name.clone()}</h1>
                                    <span class=badge(t.status) data-testid="transfer-status">{status_label(locale, t.status)}</span>
                                </div>
                                <dl class="facts">
                                    <dt>{td_string!(locale, machines.registration_code)}</dt>
                                    <dd class="code"><A href=machine_href>{t.machine.registration_code.clone().unwrap_or_default()}</A></dd>
                                    <dt>{td_string!(locale, transfers.from)}</dt><dd>{t.from.name.clone()} " (" {t.from.uscc.clone()} ")"</dd>
                                    <dt>{td_string!(locale, transfers.to)}</dt><dd>{t.to.name.clone()} " (" {t.to.uscc.clone()} ")"</dd>
                                    <dt>{td_string!(locale, transfers.transfer_on)}</dt><dd>{t.transfer_on.to_string()}</dd>
                                    <dt>{td_string!(locale, transfers.issuing_county)}</dt><dd>{t.county_code.clone()}</dd>
                                    {t.effective_on.map(|d| view! { <dt>{td_string!(locale, transfers.effective_on)}</dt><dd data-testid="effective-on">{d.to_string()}</dd> })}
                                    {t.note.clone().map(|n| view! { <dt>{td_string!(locale, transfers.note)}</dt><dd>{n}</dd> })}
                                    {t.decline_reason.clone().map(|n| view! { <dt>{td_string!(locale, transfers.decline_reason)}</dt><dd>{n}</dd> })}
                                </dl>
                                {blocked.then(|| view! {
                                    <p class="banner banner-warn" data-testid="awaiting-permission">
                                        {td_string!(locale, transfers.awaiting, counties = t.awaiting_permission_from.join("、")).to_string()}
                                    </p>
                                })}
                                {(!t.permissions.is_empty()).then(|| view! {
                                    <h2>{td_string!(locale, transfers.permissions)}</h2>
                                    <ul class="log">
                                        {t.permissions.iter().map(|p| view! {
                                            <li>{p.county_code.clone()} " · " {p.allowed_by_name.clone()} " · " {p.reason.clone()}</li>
                                        }).collect_view()}
                                    </ul>
                                })}
                            </section>
                            {(buyer || seller || may_allow).then(|| view! {
                                <section class="card narrow" data-testid="transfer-actions">
                                    {(buyer && !is_due).then(|| view! { <p class="muted">{td_string!(locale, transfers.not_due, date = t.transfer_on.to_string()).to_string()}</p> })}
                                    {(buyer || may_allow).then(|| view! {
                                        <div class="field">
                                            <label for="reason">{if may_allow { td_string!(locale, transfers.allow_reason) } else { td_string!(locale, transfers.decline_reason) }}</label>
                                            <textarea id="reason" rows="3" bind:value=reason aria-describedby="reason-error"></textarea>
                                            <FieldErrorText errors=fields field="reason" />
                                        </div>
                                    })}
                                    <div class="actions">
                                        {buyer.then(|| view! {
                                            <button type="button" class="button primary" data-testid="accept" disabled={!is_due || blocked}
                                                on:click=move |_| { accept.dispatch(AcceptTransfer { id: tid }); }>{td_string!(locale, transfers.accept)}</button>
                                            <button type="button" class="button danger" data-testid="decline" on:click=move |_| {
                                                with_reason(Box::new(move |reason| { decline.dispatch(DeclineTransfer { id: tid, input: ReasonInput { reason } }); }));
                                            }>{td_string!(locale, transfers.decline)}</button>
                                        })}
                                        {seller.then(|| view! {
                                            <button type="button" class="button danger" data-testid="cancel"
                                                on:click=move |_| { cancel.dispatch(CancelTransfer { id: tid }); }>{td_string!(locale, transfers.cancel)}</button>
                                        })}
                                        {may_allow.then(|| view! {
                                            <button type="button" class="button primary" data-testid="allow" on:click=move |_| {
                                                with_reason(Box::new(move |reason| { allow.dispatch(AllowTransfer { id: tid, input: ReasonInput { reason } }); }));
                                            }>{td_string!(locale, transfers.allow)}</button>
                                        })}
                                    </div>
                                </section>
                            })}
                        })
                    }
                })
            }}
        </Transition>
    }
}

/// The machine page's part: who owned the machine when and, for the owning unit's administrator
/// of a registered machine, the form that offers it to another unit (or the pending offer).
#[component]
pub fn MachineTransfers(machine: Uuid, registered: bool) -> impl IntoView {
    let i18n = use_i18n();
    let owners = Resource::new(move || machine, machine_owners);
    let pending = Resource::new(
        move || machine,
        |machine| {
            let filter =
                TransferFilter { status: Some(TransferStatus::Pending), machine_id: Some(machine), direction: None };
            list_transfers(filter, None)
        },
    );
    let buyer = RwSignal::new(String::new());
    let date = RwSignal::new(String::new());
    let note = RwSignal::new(String::new());
    let local = RwSignal::new(None::<FieldErrors>);
    let start = ServerAction::<StartTransfer>::new();
    let error = Signal::derive(move || start.value().get().and_then(|r| r.err()));
    let fields = Signal::derive(move || local.get().or_else(|| error.get().and_then(|e| e.fields().cloned())));
    let banner = Signal::derive(move || error.get().filter(|e: &AppError| e.fields().is_none()));
    let navigate = use_navigate();
    Effect::new(move |_| {
        if let Some(Ok(t)) = start.value().get() {
            navigate(&format!("/transfers/{}", t.id), Default::default());
        }
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        // A date that does not parse is said so, never taken as "today".
        let (transfer_on, bad_date) = match date.get().trim() {
            "" => (None, false),
            raw => match chrono::NaiveDate::parse_from_str(raw, "%Y-%m-%d") {
                Ok(d) => (Some(d), false),
                Err(_) => (None, true),
            },
        };
        let input = TransferInput { buyer_uscc: buyer.get(), transfer_on, note: Some(note.get()) };
        let mut errors = validate(&input, browser_today()).err().unwrap_or_default();
        if bad_date {
            errors.add("transfer_on", FieldError::new(FieldCode::BadDate));
        }
        if errors.is_empty() {
            local.set(None);
            start.dispatch(StartTransfer { machine_id: machine, input });
        } else {
            local.set(Some(errors));
        }
    };
    let t = move |f: fn(Locale) -> &'static str| Signal::derive(move || f(i18n.get_locale()).to_owned());
    let is_admin = move || me().is_some_and(|m| crate::auth::permissions::TRANSFER_DECIDERS.contains(&m.role));
    view! {
        <section class="card narrow" data-testid="machine-transfers">
            <h2>{t!(i18n, transfers.owners_heading)}</h2>
            <Transition fallback=|| ()>
                {move || {
                    let locale = i18n.get_locale();
                    owners.get().and_then(|r| r.ok()).map(|list| view! {
                        <ul class="log" data-testid="owners">
                            {list.into_iter().map(|o| {
                                let period = match o.until {
                                    Some(until) => td_string!(locale, transfers.owned_until, from = o.from.to_string(), until = until.to_string()).to_string(),
                                    None => td_string!(locale, transfers.owned_since, from = o.from.to_string()).to_string(),
                                };
                                view! { <li><strong>{o.organization_name}</strong> " · " {period}</li> }
                            }).collect_view()}
                        </ul>
                    })
                }}
            </Transition>
            {move || is_admin().then(|| view! {
                <h2>{t!(i18n, transfers.start_heading)}</h2>
                <Transition fallback=|| ()>
                    {move || {
                        let locale = i18n.get_locale();
                        let open = pending.get().and_then(|r| r.ok()).and_then(|p| p.items.into_iter().next());
                        match (open, registered) {
                            (Some(p), _) => Either::Left(view! {
                                <p class="banner banner-warn"><A href=format!("/transfers/{}", p.id)>{td_string!(locale, transfers.pending_link)}</A></p>
                            }),
                            (None, false) => Either::Right(Either::Left(view! { <p class="muted">{td_string!(locale, transfers.not_registered)}</p> })),
                            (None, true) => Either::Right(Either::Right(view! {
                                <p class="muted">{td_string!(locale, transfers.start_intro)}</p>
                                <ErrorBanner error=banner />
                                <form class="form" novalidate on:submit=submit data-testid="transfer-form">
                                    <TextField id="buyer_uscc" label=t(|l| td_string!(l, transfers.buyer_uscc)) value=buyer errors=fields />
                                    <TextField id="transfer_on" label=t(|l| td_string!(l, transfers.transfer_on)) value=date errors=fields kind="date" hint=t(|l| td_string!(l, transfers.transfer_on_hint)) />
                                    <TextField id="note" label=t(|l| td_string!(l, transfers.note)) value=note errors=fields />
                                    <button type="submit" class="button primary" disabled=move || start.pending().get()>{td_string!(locale, transfers.start_submit)}</button>
                                </form>
                            })),
                        }
                    }}
                </Transition>
            })}
        </section>
    }
}
