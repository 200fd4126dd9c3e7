//! The outbox on the field pages: the inspections recorded on this phone that wait for the
//! network (with a count), each with its state, the phone's verdict and, once sent, the
//! server's — which is the one kept, and said so when it differs.

use crate::field::offline::{self, OutboxItem, OutboxState};
use crate::i18n::*;
use crate::inspections::names::verdict_label;
use leptos::prelude::*;
use leptos_router::components::A;

fn state_label(locale: Locale, state: OutboxState) -> &'static str {
    match state {
        OutboxState::Waiting => td_string!(locale, outbox.waiting),
        OutboxState::Sending => td_string!(locale, outbox.sending),
        OutboxState::SignIn => td_string!(locale, outbox.sign_in),
        OutboxState::OtherUser => td_string!(locale, outbox.other_user),
        OutboxState::Refused => td_string!(locale, outbox.refused),
        OutboxState::Sent => td_string!(locale, outbox.sent),
    }
}

fn state_class(state: OutboxState) -> &'static str {
    match state {
        OutboxState::Waiting | OutboxState::Sending => "badge badge-warn",
        OutboxState::SignIn | OutboxState::OtherUser | OutboxState::Refused => "badge badge-bad",
        OutboxState::Sent => "badge badge-ok",
    }
}

/// `HH:MM` (or `MM-DD HH:MM`) of a phone time, in China time.
fn when(ms: f64) -> String {
    chrono::DateTime::from_timestamp_millis(ms as i64)
        .map(|t| t.with_timezone(&crate::dates::china()).format("%m-%d %H:%M").to_string())
        .unwrap_or_default()
}

/// The outbox (nothing while it is empty). Reads `/outbox.js`'s list when the page has
/// hydrated and whenever it changes (the script itself sends when the network returns).
#[component]
pub fn Outbox() -> impl IntoView {
    let i18n = use_i18n();
    let items = RwSignal::new(Vec::<OutboxItem>::new());
    let reload = move || {
        leptos::task::spawn_local(async move { items.set(offline::outbox_list().await) });
    };
    Effect::new(move |_| reload());
    // A sign-in or sign-out on this page: the items of the account signed in now may go.
    let auth = crate::ui::use_auth();
    Effect::new(move |previous: Option<Option<uuid::Uuid>>| {
        let user = auth.user.get().and_then(|u| u.ok()).flatten().map(|m| m.id);
        if previous.is_some_and(|p| p != user) {
            leptos::task::spawn_local(offline::outbox_sync());
        }
        user
    });
    let changed = window_event_listener_untyped("nrmm-outbox", move |_| reload());
    on_cleanup(move || changed.remove());
    // Waiting for the network or a sign-in (a refused item is not: it waits for the inspector).
    let waiting = move || {
        items.with(|i| i.iter().filter(|x| !matches!(x.state, OutboxState::Sent | OutboxState::Refused)).count())
    };
    let remove = move |id| {
        leptos::task::spawn_local(async move {
            offline::outbox_remove(id).await;
        })
    };
    view! {
        {move || (!items.with(Vec::is_empty)).then(|| {
            let locale = i18n.get_locale();
            view! {
                <section class="card outbox" data-testid="outbox">
                    <h2>
                        {td_string!(locale, outbox.title)} " "
                        <span class="badge"><span data-testid="outbox-count">{waiting()}</span> " " {td_string!(locale, outbox.count_waiting)}</span>
                    </h2>
                    <p class="muted">{td_string!(locale, outbox.hint)}</p>
                    <ul class="cards">
                        {items.get().into_iter().rev().map(|item| {
                            let id = item.id;
                            let differs = matches!((item.phone_verdict, item.server_verdict), (Some(a), Some(b)) if a != b);
                            view! {
                                <li class="item" data-testid="outbox-item" data-state=item.state.as_str()>
                                    <p>
                                        <span class=state_class(item.state)>{state_label(locale, item.state)}</span> " "
                                        {when(item.created)} " · "
                                        <span class="code">{item.code.clone().unwrap_or_else(|| td_string!(locale, outbox.no_code).to_string())}</span>
                                        {item.site.clone().map(|s| format!(" · {s}"))}
                                    </p>
                                    <p>
                                        {td_string!(locale, outbox.phone_verdict)} ": "
                                        {item.phone_verdict.map(|v| verdict_label(locale, v)).unwrap_or("—")}
                                        {item.server_verdict.map(|v| view! {
                                            " · " {td_string!(locale, outbox.server_verdict)} ": "
                                            <strong data-testid="outbox-server-verdict">{verdict_label(locale, v)}</strong>
                                        })}
                                        {(item.photos > 0).then(|| format!(" · {} {}/{}", td_string!(locale, outbox.photos), item.photos - item.photos_left, item.photos))}
                                    </p>
                                    {differs.then(|| view! { <p class="banner banner-warn" data-testid="outbox-differs">{td_string!(locale, outbox.differs)}</p> })}
                                    {item.recorder_name.clone().map(|name| view! {
                                        <p class="muted">{td_string!(locale, outbox.recorded_by)} ": " <span data-testid="outbox-recorder">{name}</span></p>
                                    })}
                                    {item.error.clone().map(|e| view! { <p class="field-error" data-testid="outbox-error">{e}</p> })}
                                    {(!item.photos_refused.is_empty()).then(|| view! {
                                        <div class="field-error" data-testid="outbox-photos-refused">
                                            <p>{td_string!(locale, outbox.photos_refused)}</p>
                                            <ul>{item.photos_refused.iter().map(|p| view! { <li>{p.clone()}</li> }).collect_view()}</ul>
                                        </div>
                                    })}
                                    {(item.state == OutboxState::SignIn).then(|| view! {
                                        <p><A href="/login">{td_string!(locale, outbox.sign_in_to_send)}</A></p>
                                    })}
                                    {(item.state == OutboxState::OtherUser).then(|| view! {
                                        <p>{td_string!(locale, outbox.other_user_hint)}</p>
                                    })}
                                    <p>
                                        {item.inspection_id.map(|ins| view! {
                                            <A href=format!("/inspections/{ins}")>{td_string!(locale, outbox.open)}</A> " "
                                        })}
                                        {(item.cases > 0).then(|| format!("{} {}", td_string!(locale, outbox.cases_opened), item.cases))}
                                        {matches!(item.state, OutboxState::Sent | OutboxState::Refused).then(|| view! {
                                            " "
                                            <button type="button" class="button" on:click=move |_| remove(id)>{td_string!(locale, outbox.remove)}</button>
                                        })}
                                    </p>
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                </section>
            }
        })}
    }
}
