//! The sign-up page (with the credit-code check as you type) and the staff page.

use super::api::{AddStaff, RegisterOrg, SetStaffActive, list_staff};
use super::{RegisterInput, StaffInput, Uscc};
use crate::error::AppError;
use crate::i18n::*;
use crate::shell::{ErrorBanner, FieldErrorText, PageTitle, TextField, role_label};
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
    let auth = crate::shell::use_auth();
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

/// `/org/users`: the administrator's list of staff, with add and disable.
#[component]
pub fn StaffPage() -> impl IntoView {
    let i18n = use_i18n();
    let add = ServerAction::<AddStaff>::new();
    let toggle = ServerAction::<SetStaffActive>::new();
    let staff = Resource::new(move || (add.version().get(), toggle.version().get()), |_| list_staff());
    let display_name = RwSignal::new(String::new());
    let username = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let phone = RwSignal::new(String::new());
    let error = Signal::derive(move || {
        add.value().get().and_then(|r| r.err()).or_else(|| toggle.value().get().and_then(|r| r.err()))
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
    let t = move |f: fn(Locale) -> &'static str| Signal::derive(move || f(i18n.get_locale()).to_owned());
    view! {
        <PageTitle text=move || td_string!(i18n.get_locale(), staff.title).to_string() />
        <section class="card">
            <h1>{t!(i18n, staff.heading)}</h1>
            <ErrorBanner error=banner />
            <Transition fallback=move || view! { <p class="muted">{t!(i18n, common.loading)}</p> }>
                {move || {
                    let locale = i18n.get_locale();
                    staff
                        .get()
                        .map(|r| match r {
                            Err(e) => view! { <p class="banner banner-error">{e.message(locale)}</p> }.into_any(),
                            Ok(users) => {
                                view! {
                                    <div class="table-wrap">
                                        <table>
                                            <thead>
                                                <tr>
                                                    <th>{td_string!(locale, staff.display_name)}</th>
                                                    <th>{td_string!(locale, staff.username)}</th>
                                                    <th>{td_string!(locale, staff.role)}</th>
                                                    <th>{td_string!(locale, staff.status)}</th>
                                                    <th>{td_string!(locale, common.actions)}</th>
                                                </tr>
                                            </thead>
                                            <tbody>
                                                {users
                                                    .into_iter()
                                                    .map(|u| {
                                                        let id = u.id;
                                                        let active = u.is_active;
                                                        view! {
                                                            <tr>
                                                                <td>{u.display_name}</td>
                                                                <td>{u.username}</td>
                                                                <td>{role_label(locale, u.role)}</td>
                                                                <td>
                                                                    {if active {
                                                                        td_string!(locale, staff.active)
                                                                    } else {
                                                                        td_string!(locale, staff.disabled)
                                                                    }}
                                                                </td>
                                                                <td>
                                                                    <button
                                                                        type="button"
                                                                        class="button"
                                                                        on:click=move |_| {
                                                                            toggle.dispatch(SetStaffActive { user_id: id, active: !active });
                                                                        }
                                                                    >
                                                                        {if active {
                                                                            td_string!(locale, staff.disable)
                                                                        } else {
                                                                            td_string!(locale, staff.enable)
                                                                        }}
                                                                    </button>
                                                                </td>
                                                            </tr>
                                                        }
                                                    })
                                                    .collect_view()}
                                            </tbody>
                                        </table>
                                    </div>
                                }
                                    .into_any()
                            }
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
