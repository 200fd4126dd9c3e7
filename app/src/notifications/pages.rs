//! The bell in the navigation (unread count) and the `/notifications` page.

use super::server_fns::{ReadAllNotifications, ReadNotification, list_notifications, unread_notifications};
use super::{UnreadCount, text};
use crate::error::AppError;
use crate::i18n::*;
use crate::ui::{ErrorBanner, PageTitle};
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_location;

/// Bumped when notifications are marked read, so the bell refreshes.
#[derive(Clone, Copy)]
pub struct NotificationsChanged(pub RwSignal<u32>);

/// The unread count for the bell, refreshed on every navigation and after marking read.
///
/// The header creates it once, whoever is signed in: hydration pairs the browser's resources
/// with the server's by the order they were created in, so a resource must not be created only
/// once another one (the signed-in user) has loaded, as the bell is.
pub fn unread_count() -> Resource<Result<UnreadCount, AppError>> {
    let location = use_location();
    let changed = use_context::<NotificationsChanged>().map(|c| c.0);
    Resource::new(move || (location.pathname.get(), changed.map(|c| c.get())), |_| unread_notifications())
}

/// The bell with the unread count. It sits inside the navigation's `<Transition>`, which waits
/// for the count: the bell is only created once the signed-in user has loaded, so it must not
/// create a suspense boundary (or a resource) of its own, or the server and the browser would
/// number their hydration data differently whenever the user loads at a different moment.
#[component]
pub fn NotificationBell(unread: Resource<Result<UnreadCount, AppError>>) -> impl IntoView {
    let i18n = use_i18n();
    move || {
        let n = unread.get().and_then(|r| r.ok()).map(|c| c.unread).unwrap_or(0);
        let locale = i18n.get_locale();
        let label = td_string!(locale, notifications.bell_label, count = n).to_string();
        view! {
            <A href="/notifications" attr:class="nav-bell" attr:aria-label=label.clone() attr:title=label attr:data-testid="notification-bell">
                <crate::ui::icons::BellIcon />
                {(n > 0).then(|| view! { <span class="bell-count" data-testid="unread-count">{if n > 99 { "99+".to_owned() } else { n.to_string() }}</span> })}
            </A>
        }
    }
}

/// `/notifications`
#[component]
pub fn NotificationsPage() -> impl IntoView {
    let i18n = use_i18n();
    let read_one = ServerAction::<ReadNotification>::new();
    let read_all = ServerAction::<ReadAllNotifications>::new();
    let changed = use_context::<NotificationsChanged>().map(|c| c.0);
    Effect::new(move |_| {
        let v = read_one.version().get() + read_all.version().get();
        if v > 0
            && let Some(c) = changed
        {
            c.update(|n| *n += 1);
        }
    });
    let cursor = RwSignal::new(None::<String>);
    let items = Resource::new(
        move || (cursor.get(), read_one.version().get(), read_all.version().get()),
        |(cursor, ..)| list_notifications(cursor),
    );
    let error = Signal::derive(move || {
        read_one.value().get().and_then(|r| r.err()).or_else(|| read_all.value().get().and_then(|r| r.err()))
    });
    view! {
        <PageTitle text=move || td_string!(i18n.get_locale(), notifications.title).to_string() />
        <ErrorBanner error=error />
        <section class="card">
            <div class="card-head">
                <h1>{t!(i18n, notifications.heading)}</h1>
                <button type="button" class="button" data-testid="read-all" on:click=move |_| { read_all.dispatch(ReadAllNotifications {}); }>
                    {t!(i18n, notifications.read_all)}
                </button>
            </div>
            <Transition fallback=move || view! { <p class="muted">{t!(i18n, common.loading)}</p> }>
                {move || {
                    let locale = i18n.get_locale();
                    items.get().map(|r| match r {
                        Err(e) => view! { <p class="banner banner-error">{e.message(locale)}</p> }.into_any(),
                        Ok(page) => {
                            let next = page.next_cursor.clone();
                            view! {
                                {page.items.is_empty().then(|| view! { <p class="muted">{td_string!(locale, notifications.empty)}</p> })}
                                <ul class="cards" data-testid="notification-list">
                                    {page.items.into_iter().map(|n| {
                                        let (title, body) = text(locale, n.kind, &n.params);
                                        let id = n.id;
                                        let when = n.created_at.with_timezone(&crate::dates::china()).format("%Y-%m-%d %H:%M").to_string();
                                        view! {
                                            <li class=if n.read { "item" } else { "item unread" }>
                                                <div class="item-main">
                                                    <A href=n.link.clone()><strong>{title}</strong></A>
                                                    {(!n.read).then(|| view! { <span class="badge">{td_string!(locale, notifications.unread)}</span> })}
                                                </div>
                                                <p>{body}</p>
                                                <div class="muted">
                                                    {when}
                                                    {(!n.read).then(|| view! {
                                                        " · "
                                                        <button type="button" class="link-button" on:click=move |_| { read_one.dispatch(ReadNotification { id }); }>
                                                            {td_string!(locale, notifications.mark_read)}
                                                        </button>
                                                    })}
                                                </div>
                                            </li>
                                        }
                                    }).collect_view()}
                                </ul>
                                {next.map(|c| view! {
                                    <button type="button" class="button" on:click=move |_| cursor.set(Some(c.clone()))>
                                        {td_string!(locale, notifications.more)}
                                    </button>
                                })}
                            }
                            .into_any()
                        }
                    })
                }}
            </Transition>
        </section>
    }
}
