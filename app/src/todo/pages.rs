//! The to-do list on the home page.

use super::server_fns::my_todo;
use super::todo_label;
use crate::i18n::*;
use leptos::prelude::*;
use leptos_router::components::A;

/// What waits for the signed-in user: each line a count and a link to the list; lines with
/// nothing waiting are shown quietly, and a role with nothing to act on sees no list.
#[component]
pub fn TodoList() -> impl IntoView {
    let i18n = use_i18n();
    let todo = Resource::new(|| (), |_| my_todo());
    view! {
        <Transition fallback=|| ()>
            {move || todo.get().and_then(|r| r.ok()).filter(|t| !t.items.is_empty()).map(|t| {
                let locale = i18n.get_locale();
                let waiting = t.items.iter().any(|i| i.count > 0);
                view! {
                    <section class="card" data-testid="todo">
                        <h2>{td_string!(locale, todo.heading)}</h2>
                        {(!waiting).then(|| view! { <p class="muted">{td_string!(locale, todo.nothing)}</p> })}
                        <ul class="todo-list">
                            {t.items.into_iter().map(|i| {
                                let class = if i.count > 0 { "todo-item due" } else { "todo-item" };
                                view! {
                                    <li class=class data-kind=format!("{:?}", i.kind)>
                                        <A href=i.link>
                                            <span class="todo-count">{i.count}</span>
                                            <span class="todo-label">{todo_label(locale, i.kind)}</span>
                                        </A>
                                    </li>
                                }
                            }).collect_view()}
                        </ul>
                    </section>
                }
            })}
        </Transition>
    }
}
