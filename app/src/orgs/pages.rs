//! The sign-up page (with the credit-code check as you type) and the staff page.

use super::server_fns::{AddStaff, ChangeStaffRole, RegisterOrg, SetStaffActive, list_staff};
use super::{RegisterInput, StaffInput, StaffRoleChange, StaffUser, Uscc};
use crate::auth::Role;
use crate::error::AppError;
use crate::i18n::*;
use crate::ui::{ErrorBanner, FieldErrorText, PageTitle, TextField, role_label};
use leptos::either::Either;
use leptos::prelude::*;
use leptos_router::components::A;

/// `/signup`
#[component]
pub fn SignupPage() -> impl IntoView {
    let i18n = use_i18n();
    let action = ServerAction::<RegisterOrg>::new();
    let name = RwSignal::new(String::new());
    let uscc = RwSignal::new(String::new());
    let contact_name = RwSignal::new(String::new());
    let contact_phone = RwSignal::new(String::new());
    let username = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let error = Signal::derive(move || action.value().get().and_then(|r| r.err()));
    let banner = Signal::derive(move || error.get().filter(|e: &AppError| e.fields().is_none()));
    // The credit code is checked as it is typed, by the same rule the server applies.
    let live = Signal::derive(move || {
        let v = uscc.get();
        if v.trim().chars().count() < 18 { None } else { Some(Uscc::parse(&v)) }
    });
    let fields = Signal::derive(move || {
        let mut f = error.get().and_then(|e| e.fields().cloned()).unwrap_or_default();
        if let Some(Err(e)) = live.get() {
            f.0.insert("uscc".into(), vec![e.field_error()]);
        } else if live.get().is_some() {
            f.0.remove("uscc");
        }
        if f.is_empty() { None } else { Some(f) }
    });
    // Signed in by the server: refresh who is signed in (the server also redirects home).
    let auth = crate::ui::use_auth();
    Effect::new(move |_| {
        if matches!(action.value().get(), Some(Ok(()))) {
            auth.user.refetch();
        }
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        action.dispatch(RegisterOrg {
            input: RegisterInput {
                name: name.get(),
                uscc: uscc.get(),
                contact_name: contact_name.get(),
                contact_phone: contact_phone.get(),
                username: username.get(),
                password: password.get(),
            },
        });
    };
    let t = move |f: fn(Locale) -> &'static str| Signal::derive(move || f(i18n.get_locale()).to_owned());
    view! {
        <PageTitle text=move || td_string!(i18n.get_locale(), signup.title).to_string() />
        <section class="card narrow">
            <h1>{t!(i18n, signup.heading)}</h1>
            <p class="muted">{t!(i18n, signup.intro)}</p>
            <ErrorBanner error=banner />
            <form class="form" novalidate on:submit=submit data-testid="signup-form">
                <TextField id="name" label=t(|l| td_string!(l, signup.name)) value=name errors=fields autocomplete="organization" />
                <div class="field">
                    <label for="uscc">{t!(i18n, signup.uscc)}</label>
                    <input
                        id="uscc"
                        name="uscc"
                        maxlength="18"
                        autocapitalize="characters"
                        spellcheck="false"
                        aria-describedby="uscc-error uscc-hint"
                        aria-invalid=move || fields.get().is_some_and(|f| f.first("uscc").is_some()).to_string()
                        bind:value=uscc
                    />
                    <p class="field-hint" id="uscc-hint">{t!(i18n, signup.uscc_hint)}</p>
                    {move || {
                        matches!(live.get(), Some(Ok(_)))
                            .then(|| view! { <p class="field-ok" data-testid="uscc-ok">{td_string!(i18n.get_locale(), signup.uscc_ok)}</p> })
                    }}
                    <FieldErrorText errors=fields field="uscc" />
                </div>
                <TextField id="contact_name" label=t(|l| td_string!(l, signup.contact_name)) value=contact_name errors=fields autocomplete="name" />
                <TextField id="contact_phone" label=t(|l| td_string!(l, signup.contact_phone)) value=contact_phone errors=fields kind="tel" autocomplete="tel" />
                <h2>{t!(i18n, signup.admin_heading)}</h2>
                <TextField id="username" label=t(|l| td_string!(l, signup.username)) value=username errors=fields autocomplete="username" />
                <TextField
                    id="password"
                    label=t(|l| td_string!(l, signup.password))
                    value=password
                    errors=fields
                    kind="password"
                    autocomplete="new-password"
                    hint=t(|l| td_string!(l, signup.password_hint))
                />
                <button type="submit" class="button primary" disabled=move || action.pending().get()>
                    {t!(i18n, signup.submit)}
                </button>
                <p class="muted">{t!(i18n, signup.have_account)} " " <A href="/login">{t!(i18n, nav.sign_in)}</A></p>
            </form>
        </section>
    }
}

/// `/org/users`: the administrator's list of the unit's people, with add, disable/enable and
/// promote/demote. An account an official disabled shows whose decision it is instead of the
/// "enable" button (the same rule the server applies).
#[component]
pub fn StaffPage() -> impl IntoView {
    let i18n = use_i18n();
    let add = ServerAction::<AddStaff>::new();
    let toggle = ServerAction::<SetStaffActive>::new();
    let change = ServerAction::<ChangeStaffRole>::new();
    let staff =
        Resource::new(move || (add.version().get(), toggle.version().get(), change.version().get()), |_| list_staff());
    let display_name = RwSignal::new(String::new());
    let username = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let phone = RwSignal::new(String::new());
    let error = Signal::derive(move || {
        add.value()
            .get()
            .and_then(|r| r.err())
            .or_else(|| toggle.value().get().and_then(|r| r.err()))
            .or_else(|| change.value().get().and_then(|r| r.err()))
    });
    let fields = Signal::derive(move || add.value().get().and_then(|r| r.err()).and_then(|e| e.fields().cloned()));
    let banner = Signal::derive(move || error.get().filter(|e| e.fields().is_none()));
    Effect::new(move |_| {
        if matches!(add.value().get(), Some(Ok(_))) {
            display_name.set(String::new());
            username.set(String::new());
            password.set(String::new());
            phone.set(String::new());
        }
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let p = phone.get();
        add.dispatch(AddStaff {
            input: StaffInput {
                username: username.get(),
                display_name: display_name.get(),
                password: password.get(),
                phone: (!p.trim().is_empty()).then_some(p),
            },
        });
    };
    let me = move || crate::ui::use_auth().user.get().and_then(|r| r.ok()).flatten();
    let t = move |f: fn(Locale) -> &'static str| Signal::derive(move || f(i18n.get_locale()).to_owned());
    view! {
        <PageTitle text=move || td_string!(i18n.get_locale(), staff.title).to_string() />
        <section class="card">
            <h1>{t!(i18n, staff.heading)}</h1>
            <ErrorBanner error=banner />
            <Transition fallback=move || view! { <p class="muted">{t!(i18n, common.loading)}</p> }>
                {move || {
                    let locale = i18n.get_locale();
                    let me = me();
                    staff
                        .get()
                        .map(|r| match r {
                            Err(e) => Either::Left(view! { <p class="banner banner-error">{e.message(locale)}</p> }),
                            Ok(users) => Either::Right(view! {
                                <ul class="cards" data-testid="staff-list">
                                    {users
                                        .into_iter()
                                        .map(|u| {
                                            let own = me.as_ref().is_some_and(|m| m.id == u.id);
                                            let my_role = me.as_ref().map(|m| m.role);
                                            view! { <StaffItem user=u own my_role toggle change /> }
                                        })
                                        .collect_view()}
                                </ul>
                            }),
                        })
                }}
            </Transition>
        </section>
        <section class="card narrow">
            <h2>{t!(i18n, staff.add_heading)}</h2>
            <form class="form" novalidate on:submit=submit>
                <TextField id="display_name" label=t(|l| td_string!(l, staff.display_name)) value=display_name errors=fields />
                <TextField id="username" label=t(|l| td_string!(l, staff.username)) value=username errors=fields />
                <TextField id="password" label=t(|l| td_string!(l, staff.password)) value=password errors=fields kind="password" autocomplete="new-password" />
                <TextField id="phone" label=t(|l| td_string!(l, staff.phone)) value=phone errors=fields kind="tel" />
                <button type="submit" class="button primary" disabled=move || add.pending().get()>{t!(i18n, staff.add)}</button>
            </form>
        </section>
    }
}

/// One person of the unit: status (and who disabled the account), and the actions the
/// administrator may take on it.
#[component]
fn StaffItem(
    user: StaffUser,
    /// The signed-in administrator's own account (no actions on it).
    own: bool,
    my_role: Option<Role>,
    toggle: ServerAction<SetStaffActive>,
    change: ServerAction<ChangeStaffRole>,
) -> impl IntoView {
    let i18n = use_i18n();
    let locale = i18n.get_locale();
    let id = user.id;
    let active = user.is_active;
    // The rule the server applies: a disabling is undone only with at least its authority.
    let may_toggle = active || my_role.is_some_and(|r| r.may_undo_disabling(user.disabled_by_role));
    let authority = user.disabled_by_role.unwrap_or(Role::Sysadmin);
    let disabled_line = (!active).then(|| {
        let who = match &user.disabled_by_name {
            Some(name) if locale == Locale::zh => format!("{name}（{}）", role_label(locale, authority)),
            Some(name) => format!("{name} ({})", role_label(locale, authority)),
            None => role_label(locale, authority),
        };
        let date = user.disabled_at.map(|at| crate::dates::china_date(at).to_string()).unwrap_or_else(|| "—".into());
        view! { <div class="muted" data-testid="disabled-by">{td_string!(locale, staff.disabled_by, date = date, who = who)}</div> }
    });
    let to_role = if user.role == Role::ContractorAdmin { Role::ContractorStaff } else { Role::ContractorAdmin };
    view! {
        <li class="item" data-testid="staff-item">
            <div class="item-main">
                <strong>{user.display_name.clone()}</strong>
                {if active {
                    Either::Left(view! { <span class="badge badge-ok">{td_string!(locale, staff.active)}</span> })
                } else {
                    Either::Right(view! { <span class="badge badge-bad">{td_string!(locale, staff.disabled)}</span> })
                }}
            </div>
            <div class="muted"><span class="code">{user.username.clone()}</span> " · " {role_label(locale, user.role)}</div>
            {disabled_line}
            {(!own).then(|| view! {
                <div class="actions">
                    {if may_toggle {
                        Either::Left(view! {
                            <button type="button" class="button" data-testid="toggle-active" on:click=move |_| {
                                toggle.dispatch(SetStaffActive { user_id: id, active: !active });
                            }>
                                {if active { td_string!(locale, staff.disable) } else { td_string!(locale, staff.enable) }}
                            </button>
                        })
                    } else {
                        Either::Right(view! {
                            <p class="field-hint" data-testid="authority-hint">
                                {td_string!(locale, staff.authority_hint, role = role_label(locale, authority))}
                            </p>
                        })
                    }}
                    <button type="button" class="button" data-testid="change-role" on:click=move |_| {
                        change.dispatch(ChangeStaffRole { user_id: id, change: StaffRoleChange { role: to_role } });
                    }>
                        {if to_role == Role::ContractorAdmin { td_string!(locale, staff.make_admin) } else { td_string!(locale, staff.make_staff) }}
                    </button>
                </div>
            })}
        </li>
    }
}
