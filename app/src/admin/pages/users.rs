//! `/admin/users`: the accounts within the administrator's reach, and a new account.

use super::*;
use crate::admin::server_fns::{
    ChangeAdminUserRole, CreateAdminUser, ResetAdminUserPassword, SetAdminUserActive, admin_divisions, list_admin_users,
};
use crate::admin::{AdminUser, NewUserInput};
use crate::admin::{PasswordReset, RoleChange};
use crate::auth::Role;
use crate::divisions::Division;
use crate::error::AppError;
use crate::i18n::*;
use crate::ui::{ErrorBanner, PageTitle, TextField, role_label};
use leptos::either::Either;
use leptos::prelude::*;
use uuid::Uuid;

/// `/admin/users`: the accounts within reach, a form to add one, and per-account actions.
#[component]
pub fn AdminUsersPage() -> impl IntoView {
    let i18n = use_i18n();
    let create = ServerAction::<CreateAdminUser>::new();
    let toggle = ServerAction::<SetAdminUserActive>::new();
    let change = ServerAction::<ChangeAdminUserRole>::new();
    let reset = ServerAction::<ResetAdminUserPassword>::new();
    let query = RwSignal::new(String::new());
    let role_filter = RwSignal::new(String::new());
    let applied = RwSignal::new((String::new(), String::new()));
    let cursor = RwSignal::new(None::<String>);
    // The pages before the current one ("load more"); the current page is rendered straight from
    // the resource, so the server renders the list too.
    let earlier = RwSignal::new(Vec::<AdminUser>::new());
    let page = Resource::new(
        move || (applied.get(), cursor.get(), create.version().get(), toggle.version().get(), change.version().get()),
        |((q, role), c, ..)| async move {
            list_admin_users((!role.is_empty()).then_some(role), None, (!q.is_empty()).then_some(q), c).await
        },
    );
    // A new search or a change to an account starts from the first page again.
    Effect::new(move |_| {
        applied.track();
        create.version().track();
        toggle.version().track();
        change.version().track();
        if earlier.with_untracked(|e| !e.is_empty()) {
            earlier.set(vec![]);
        }
        if cursor.with_untracked(Option::is_some) {
            cursor.set(None);
        }
    });
    let divisions = Resource::new(|| (), |_| admin_divisions());
    let role = my_role();
    let me = my_id();
    let error = Signal::derive(move || {
        toggle
            .value()
            .get()
            .and_then(|r| r.err())
            .or_else(|| change.value().get().and_then(|r| r.err()))
            .or_else(|| reset.value().get().and_then(|r| r.err()))
    });
    let search = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        cursor.set(None);
        applied.set((query.get().trim().to_owned(), role_filter.get()));
    };
    let grantable = move || role.get().map(|r| r.grantable_roles().to_vec()).unwrap_or_default();
    view! {
        <PageTitle text=move || td_string!(i18n.get_locale(), admin.users_title).to_string() />
        <section class="card">
            <h1>{t!(i18n, admin.users)}</h1>
            <ErrorBanner error=error />
            {move || {
                reset.value().get().and_then(|r| r.ok()).flatten().map(|pw| {
                    view! {
                        <p class="banner banner-ok" data-testid="generated-password">
                            {td_string!(i18n.get_locale(), admin.generated_password)} " " <strong class="code">{pw}</strong>
                        </p>
                    }
                })
            }}
            <form class="search search-wrap" on:submit=search role="search">
                <input
                    type="search"
                    aria-label=move || td_string!(i18n.get_locale(), common.search)
                    placeholder=move || td_string!(i18n.get_locale(), admin.search_placeholder)
                    bind:value=query
                />
                <select aria-label=move || td_string!(i18n.get_locale(), admin.role) bind:value=role_filter>
                    <option value="">{move || td_string!(i18n.get_locale(), admin.all_roles)}</option>
                    {move || {
                        let locale = i18n.get_locale();
                        grantable().into_iter().map(|r| view! { <option value=r.as_str()>{role_label(locale, r)}</option> }).collect_view()
                    }}
                </select>
                <button type="submit" class="button">{t!(i18n, common.search)}</button>
            </form>
            <Transition fallback=move || view! { <p class="muted">{t!(i18n, common.loading)}</p> }>
                {move || {
                    let locale = i18n.get_locale();
                    let (current, err) = match page.get() {
                        Some(Ok(p)) => (Some(p), None),
                        Some(Err(e)) => (None, Some(e)),
                        None => (None, None),
                    };
                    let next = current.as_ref().and_then(|p| p.next_cursor.clone());
                    let has_more = next.is_some();
                    let fresh = current.map(|p| p.items).unwrap_or_default();
                    let mut items = earlier.get();
                    items.extend(fresh.iter().cloned());
                    let places = divisions.get().and_then(|r| r.ok()).unwrap_or_default();
                    let more = move |_| {
                        earlier.update(|e| e.extend(fresh.iter().cloned()));
                        cursor.set(next.clone());
                    };
                    view! {
                        {err.map(|e| view! { <p class="banner banner-error">{e.message(locale)}</p> })}
                        {items.is_empty().then(|| view! { <p class="muted">{td_string!(locale, common.empty)}</p> })}
                        <ul class="cards" data-testid="user-list">
                            {items
                                .into_iter()
                                .map(|u| {
                                    let mine = me.get() == Some(u.id);
                                    view! { <UserItem user=u places=places.clone() grantable=grantable() my_role=role.get() mine toggle change reset /> }
                                })
                                .collect_view()}
                        </ul>
                        {has_more.then(|| view! {
                            <button type="button" class="button" on:click=more>{td_string!(locale, common.load_more)}</button>
                        })}
                    }
                }}
            </Transition>
        </section>
        <NewUserForm create divisions role />
    }
}

/// One account with its actions (enable/disable, role, password) behind a disclosure.
#[component]
fn UserItem(
    user: AdminUser,
    places: Vec<Division>,
    grantable: Vec<Role>,
    /// The signed-in administrator's role (decides whether a disabling may be undone).
    my_role: Option<Role>,
    /// The signed-in administrator's own account: no password reset (the server refuses it).
    mine: bool,
    toggle: ServerAction<SetAdminUserActive>,
    change: ServerAction<ChangeAdminUserRole>,
    reset: ServerAction<ResetAdminUserPassword>,
) -> impl IntoView {
    let i18n = use_i18n();
    let id = user.id;
    let active = user.is_active;
    let new_role = RwSignal::new(user.role.as_str().to_owned());
    let new_division = RwSignal::new(user.division_code.clone().unwrap_or_default());
    let new_password = RwSignal::new(String::new());
    let place = match (&user.division_code, &user.division_name, &user.organization_name) {
        (Some(code), name, _) => format!(" · {code} {}", name.clone().unwrap_or_default()),
        (None, _, Some(org)) => format!(" · {org}"),
        _ => String::new(),
    };
    let user_division = user.division_code.clone();
    let save_role = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Some(role) = Role::parse(&new_role.get()) else { return };
        let d = new_division.get();
        change.dispatch(ChangeAdminUserRole {
            user_id: id,
            change: RoleChange { role, division_code: (!d.is_empty()).then_some(d), organization_id: None },
        });
    };
    let do_reset = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let p = new_password.get();
        reset.dispatch(ResetAdminUserPassword {
            user_id: id,
            input: PasswordReset { password: (!p.is_empty()).then_some(p) },
        });
        new_password.set(String::new());
    };
    let role = user.role;
    // The rule the server applies: a disabling is undone only with at least its authority.
    let may_toggle = active || my_role.is_some_and(|r| r.may_undo_disabling(user.disabled_by_role));
    let authority = user.disabled_by_role.unwrap_or(Role::Sysadmin);
    let disabled_by = user.disabled_by_username.clone();
    let disabled_on = user.disabled_at.map(|at| crate::dates::china_date(at).to_string()).unwrap_or_else(|| "—".into());
    let disabled_line = move || {
        (!active).then(|| {
            let locale = i18n.get_locale();
            let who = match &disabled_by {
                Some(name) if locale == Locale::zh => format!("{name}（{}）", role_label(locale, authority)),
                Some(name) => format!("{name} ({})", role_label(locale, authority)),
                None => role_label(locale, authority),
            };
            view! { <div class="muted" data-testid="disabled-by">{td_string!(locale, staff.disabled_by, date = disabled_on.clone(), who = who)}</div> }
        })
    };
    view! {
        <li class="item" data-testid="user-item">
            <div class="item-main">
                <strong>{user.display_name.clone()}</strong>
                {move || {
                    let locale = i18n.get_locale();
                    if active {
                        Either::Left(view! { <span class="badge badge-ok">{td_string!(locale, staff.active)}</span> })
                    } else {
                        Either::Right(view! { <span class="badge badge-bad">{td_string!(locale, staff.disabled)}</span> })
                    }
                }}
            </div>
            <div class="muted">
                <span class="code">{user.username.clone()}</span> " · " {move || role_label(i18n.get_locale(), role)} {place}
            </div>
            {disabled_line}
            <details>
                <summary>{t!(i18n, common.actions)}</summary>
                <div class="actions">
                    {if may_toggle {
                        Either::Left(view! {
                            <button type="button" class="button" on:click=move |_| { toggle.dispatch(SetAdminUserActive { user_id: id, active: !active }); }>
                                {move || if active { td_string!(i18n.get_locale(), staff.disable) } else { td_string!(i18n.get_locale(), staff.enable) }}
                            </button>
                        })
                    } else {
                        Either::Right(view! {
                            <p class="field-hint" data-testid="authority-hint">
                                {move || td_string!(i18n.get_locale(), staff.authority_hint, role = role_label(i18n.get_locale(), authority))}
                            </p>
                        })
                    }}
                </div>
                <form class="form" on:submit=save_role>
                    <div class="row2">
                        <div class="field">
                            <label for=format!("role-{id}")>{t!(i18n, admin.role)}</label>
                            <select id=format!("role-{id}") bind:value=new_role>
                                {move || {
                                    let locale = i18n.get_locale();
                                    // `selected` too, so the server-rendered form shows the current values.
                                    grantable
                                        .iter()
                                        .map(|r| view! { <option value=r.as_str() selected=*r == role>{role_label(locale, *r)}</option> })
                                        .collect_view()
                                }}
                            </select>
                        </div>
                        <div class="field">
                            <label for=format!("division-{id}")>{t!(i18n, admin.division)}</label>
                            <select id=format!("division-{id}") bind:value=new_division>
                                <option value="">{move || td_string!(i18n.get_locale(), common.none)}</option>
                                {places
                                    .iter()
                                    .map(|d| {
                                        let selected = user_division.as_deref() == Some(d.code.as_str());
                                        view! { <option value=d.code.clone() selected=selected>{division_label(d)}</option> }
                                    })
                                    .collect_view()}
                            </select>
                        </div>
                    </div>
                    <button type="submit" class="button">{t!(i18n, admin.change_role)}</button>
                </form>
                {(!mine).then(|| view! {
                    <form class="form" on:submit=do_reset data-testid="reset-password">
                        <div class="field">
                            <label for=format!("password-{id}")>{t!(i18n, admin.new_password)}</label>
                            <input id=format!("password-{id}") type="password" autocomplete="new-password" bind:value=new_password />
                            <p class="field-hint">{t!(i18n, admin.new_password_hint)}</p>
                        </div>
                        <button type="submit" class="button">{t!(i18n, admin.reset_password)}</button>
                    </form>
                })}
            </details>
        </li>
    }
}

/// The form that adds an account: the role list is the caller's grantable roles, the division
/// list its reach (the server checks both again).
#[component]
fn NewUserForm(
    create: ServerAction<CreateAdminUser>,
    divisions: Resource<Result<Vec<Division>, AppError>>,
    role: Signal<Option<Role>>,
) -> impl IntoView {
    let i18n = use_i18n();
    let username = RwSignal::new(String::new());
    let display_name = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let phone = RwSignal::new(String::new());
    let new_role = RwSignal::new(String::new());
    let division = RwSignal::new(String::new());
    let organization = RwSignal::new(String::new());
    let error = Signal::derive(move || create.value().get().and_then(|r| r.err()));
    let fields = Signal::derive(move || error.get().and_then(|e| e.fields().cloned()));
    let banner = Signal::derive(move || error.get().filter(|e| e.fields().is_none()));
    Effect::new(move |_| {
        if matches!(create.value().get(), Some(Ok(_))) {
            for s in [username, display_name, password, phone, organization] {
                s.set(String::new());
            }
        }
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let opt = |s: RwSignal<String>| Some(s.get()).filter(|v| !v.trim().is_empty());
        create.dispatch(CreateAdminUser {
            input: NewUserInput {
                username: username.get(),
                display_name: opt(display_name),
                password: password.get(),
                role: Role::parse(&new_role.get()),
                division_code: opt(division),
                organization_id: opt(organization).and_then(|o| Uuid::try_parse(o.trim()).ok()),
                phone: opt(phone),
            },
        });
    };
    // Offer the divisions of the level the chosen role needs.
    let choices = move || {
        let wanted = Role::parse(&new_role.get()).and_then(Role::required_division_level);
        divisions
            .get()
            .and_then(|r| r.ok())
            .unwrap_or_default()
            .into_iter()
            .filter(|d| wanted.is_none_or(|l| d.level == l))
            .collect::<Vec<_>>()
    };
    let t = move |f: fn(Locale) -> &'static str| Signal::derive(move || f(i18n.get_locale()).to_owned());
    let field_error = move |name: &'static str| {
        move || {
            let locale = i18n.get_locale();
            fields.get().and_then(|f| f.first(name).cloned()).map(|e| {
                view! { <p class="field-error" role="alert">{crate::ui::messages::field_message(locale, &e)}</p> }
            })
        }
    };
    view! {
        <section class="card narrow">
            <h2>{t!(i18n, admin.add_user)}</h2>
            <ErrorBanner error=banner />
            {move || {
                create.value().get().and_then(|r| r.ok()).map(|u| {
                    view! { <p class="banner banner-ok" data-testid="user-created">{td_string!(i18n.get_locale(), admin.user_created)} " " {u.username}</p> }
                })
            }}
            <form class="form" novalidate on:submit=submit data-testid="new-user-form">
                <div class="field">
                    <label for="new-role">{t!(i18n, admin.role)}</label>
                    <select id="new-role" bind:value=new_role>
                        <option value="">{move || td_string!(i18n.get_locale(), common.select)}</option>
                        {move || {
                            let locale = i18n.get_locale();
                            role.get()
                                .map(|r| r.grantable_roles().to_vec())
                                .unwrap_or_default()
                                .into_iter()
                                .map(|r| view! { <option value=r.as_str()>{role_label(locale, r)}</option> })
                                .collect_view()
                        }}
                    </select>
                    {field_error("role")}
                </div>
                {move || {
                    let r = Role::parse(&new_role.get());
                    r.is_some_and(Role::is_official).then(|| view! {
                        <div class="field">
                            <label for="new-division">{t!(i18n, admin.division)}</label>
                            <select id="new-division" bind:value=division>
                                <option value="">{move || td_string!(i18n.get_locale(), common.select)}</option>
                                {choices().into_iter().map(|d| view! { <option value=d.code.clone()>{division_label(&d)}</option> }).collect_view()}
                            </select>
                            {field_error("division_code")}
                        </div>
                    })
                }}
                {move || {
                    let r = Role::parse(&new_role.get());
                    r.is_some_and(Role::is_contractor).then(|| view! {
                        <TextField id="organization_id" label=t(|l| td_string!(l, admin.organization_id)) value=organization errors=fields />
                    })
                }}
                <TextField id="username" label=t(|l| td_string!(l, staff.username)) value=username errors=fields />
                <TextField id="display_name" label=t(|l| td_string!(l, staff.display_name)) value=display_name errors=fields />
                <TextField id="password" label=t(|l| td_string!(l, staff.password)) value=password errors=fields kind="password" autocomplete="new-password" />
                <TextField id="phone" label=t(|l| td_string!(l, staff.phone)) value=phone errors=fields kind="tel" />
                <button type="submit" class="button primary" disabled=move || create.pending().get()>{t!(i18n, staff.add)}</button>
            </form>
        </section>
    }
}
