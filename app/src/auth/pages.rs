//! The sign-in and sign-out pages.

use crate::error::AppError;
use crate::i18n::*;
use crate::ui::{ErrorBanner, FieldErrorText, PageTitle, use_auth};
use leptos::either::Either;
use leptos::prelude::*;
use leptos_router::components::A;

/// `/login`
#[component]
pub fn LoginPage() -> impl IntoView {
    let i18n = use_i18n();
    let auth = use_auth();
    let login = auth.login;
    let error = Signal::derive(move || login.value().get().and_then(|r| r.err()));
    let fields = Signal::derive(move || error.get().and_then(|e| e.fields().cloned()));
    let banner = Signal::derive(move || error.get().filter(|e: &AppError| e.fields().is_none()));
    let invalid = move |field: &'static str| move || fields.get().is_some_and(|f| f.first(field).is_some()).to_string();
    let username = NodeRef::<leptos::html::Input>::new();
    let password = NodeRef::<leptos::html::Input>::new();
    // A plain form: before the WASM arrives (weak signal) the browser posts it to the server
    // function and follows the redirect; once hydrated it is sent without leaving the page.
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let value = |r: NodeRef<leptos::html::Input>| r.get().map(|i| i.value()).unwrap_or_default();
        login.dispatch(super::Login { username: value(username), password: value(password) });
    };

    view! {
        <PageTitle text=move || td_string!(i18n.get_locale(), login.title).to_string() />
        <section class="card narrow">
            <h1>{t!(i18n, login.heading)}</h1>
            <ErrorBanner error=banner />
            <form
                action={<super::Login as leptos::server_fn::ServerFn>::PATH}
                method="post"
                class="form"
                novalidate
                data-testid="login-form"
                on:submit=submit
            >
                <div class="field">
                    <label for="username">{t!(i18n, login.username)}</label>
                    <input
                        id="username"
                        node_ref=username
                        name="username"
                        type="text"
                        autocomplete="username"
                        autocapitalize="none"
                        spellcheck="false"
                        required
                        maxlength="64"
                        aria-describedby="username-error"
                        aria-invalid=invalid("username")
                    />
                    <FieldErrorText errors=fields field="username" />
                </div>
                <div class="field">
                    <label for="password">{t!(i18n, login.password)}</label>
                    <input
                        id="password"
                        node_ref=password
                        name="password"
                        type="password"
                        autocomplete="current-password"
                        required
                        maxlength="256"
                        aria-describedby="password-error"
                        aria-invalid=invalid("password")
                    />
                    <FieldErrorText errors=fields field="password" />
                </div>
                <button type="submit" class="button primary" disabled=move || login.pending().get()>
                    {move || {
                        if login.pending().get() {
                            td_string!(i18n.get_locale(), login.submitting)
                        } else {
                            td_string!(i18n.get_locale(), login.submit)
                        }
                    }}
                </button>
            </form>
        </section>
    }
}

/// `/logout`: asks before signing out (sign-out is a POST), then confirms.
#[component]
pub fn LogoutPage() -> impl IntoView {
    let i18n = use_i18n();
    let auth = use_auth();
    let logout = auth.logout;
    view! {
        <PageTitle text=move || td_string!(i18n.get_locale(), logout.title).to_string() />
        <section class="card narrow">
            <h1>{t!(i18n, logout.heading)}</h1>
            <Transition fallback=|| ()>
                {move || {
                    let locale = i18n.get_locale();
                    match auth.user.get().and_then(|r| r.ok()).flatten() {
                        Some(_) => {
                            Either::Left(view! {
                                <p>{td_string!(locale, logout.confirm)}</p>
                                <form
                                    action={<super::Logout as leptos::server_fn::ServerFn>::PATH}
                                    method="post"
                                    class="form"
                                    data-testid="logout-form"
                                    on:submit=move |ev: leptos::ev::SubmitEvent| {
                                        ev.prevent_default();
                                        logout.dispatch(super::Logout {});
                                    }
                                >
                                    <button type="submit" class="button primary">{td_string!(locale, logout.submit)}</button>
                                </form>
                            })
                        }
                        None => {
                            Either::Right(view! {
                                <p data-testid="signed-out">{td_string!(locale, logout.done)}</p>
                                <p><A href="/login">{td_string!(locale, logout.sign_in_again)}</A></p>
                            })
                        }
                    }
                }}
            </Transition>
        </section>
    }
}
