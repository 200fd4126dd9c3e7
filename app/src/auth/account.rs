//! `/account`: the signed-in user's own API tokens — issue one (the secret shown once), see when
//! each was last used and when it expires, revoke it.

use super::tokens::{ApiTokenInfo, IssuedToken, TokenRequest, TokenStatus};
use crate::error::AppError;
use crate::i18n::*;
use crate::paging::Page;
use crate::ui::{ErrorBanner, PageTitle, TextField};
use leptos::prelude::*;
use uuid::Uuid;

/// The caller's tokens, newest first.
#[server(endpoint = "auth/tokens/list")]
pub async fn list_my_tokens() -> Result<Page<ApiTokenInfo>, AppError> {
    let (state, p) = crate::server_fns::state_and_principal()?;
    Ok(super::token_service::list_own(&state, &p).await?)
}

/// Issues a token for the caller (the REST `POST /auth/tokens`).
#[server(input = leptos::server_fn::codec::Json, endpoint = "auth/tokens/create")]
pub async fn create_my_token(input: TokenRequest) -> Result<IssuedToken, AppError> {
    let (state, p) = crate::server_fns::state_and_principal()?;
    Ok(super::token_service::create(&state, &p, input).await?)
}

/// Revokes one of the caller's tokens (the REST `DELETE /auth/tokens/{id}`).
#[server(endpoint = "auth/tokens/revoke")]
pub async fn revoke_my_token(id: Uuid) -> Result<ApiTokenInfo, AppError> {
    let (state, p) = crate::server_fns::state_and_principal()?;
    Ok(super::token_service::revoke_own(&state, &p, id).await?)
}

fn when(t: chrono::DateTime<chrono::Utc>) -> String {
    t.with_timezone(&crate::dates::china()).format("%Y-%m-%d %H:%M").to_string()
}

/// `/account`
#[component]
pub fn AccountPage() -> impl IntoView {
    let i18n = use_i18n();
    let create = ServerAction::<CreateMyToken>::new();
    let revoke = ServerAction::<RevokeMyToken>::new();
    let tokens = Resource::new(move || (create.version().get(), revoke.version().get()), |_| list_my_tokens());
    let name = RwSignal::new(String::new());
    let days = RwSignal::new("90".to_owned());
    let fields = Signal::derive(move || create.value().get().and_then(|r| r.err()).and_then(|e| e.fields().cloned()));
    let banner = Signal::derive(move || {
        create
            .value()
            .get()
            .and_then(|r| r.err())
            .filter(|e| e.fields().is_none())
            .or_else(|| revoke.value().get().and_then(|r| r.err()))
    });
    let issued = Signal::derive(move || create.value().get().and_then(|r| r.ok()));
    Effect::new(move |_| {
        if matches!(create.value().get(), Some(Ok(_))) {
            name.set(String::new());
        }
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let expires_in_days = days.get().trim().parse::<i64>().ok();
        create.dispatch(CreateMyToken { input: TokenRequest { name: name.get(), expires_in_days } });
    };
    let t = move |f: fn(Locale) -> &'static str| Signal::derive(move || f(i18n.get_locale()).to_owned());
    view! {
        <PageTitle text=move || td_string!(i18n.get_locale(), account.title).to_string() />
        <section class="card">
            <h1>{t!(i18n, account.tokens_heading)}</h1>
            <p class="muted">{t!(i18n, account.tokens_intro)}</p>
            <ErrorBanner error=banner />
            {move || {
                issued
                    .get()
                    .map(|tok| {
                        view! {
                            <div class="banner banner-ok" role="status" data-testid="issued-token">
                                <p>{td_string!(i18n.get_locale(), account.secret_once, name = tok.name.clone())}</p>
                                <code class="secret">{tok.token}</code>
                            </div>
                        }
                    })
            }}
            <Transition fallback=move || view! { <p class="muted">{t!(i18n, common.loading)}</p> }>
                {move || {
                    let locale = i18n.get_locale();
                    tokens
                        .get()
                        .map(|r| match r {
                            Err(e) => view! { <p class="banner banner-error">{e.message(locale)}</p> }.into_any(),
                            Ok(page) if page.items.is_empty() => {
                                view! { <p class="muted">{td_string!(locale, account.none_yet)}</p> }.into_any()
                            }
                            Ok(page) => {
                                view! {
                                    <div class="table-wrap">
                                        <table data-testid="token-list">
                                            <thead>
                                                <tr>
                                                    <th>{td_string!(locale, account.col_name)}</th>
                                                    <th>{td_string!(locale, account.col_expires)}</th>
                                                    <th>{td_string!(locale, account.col_last_used)}</th>
                                                    <th>{td_string!(locale, account.col_status)}</th>
                                                    <th>{td_string!(locale, common.actions)}</th>
                                                </tr>
                                            </thead>
                                            <tbody>
                                                {page
                                                    .items
                                                    .into_iter()
                                                    .map(|tok| {
                                                        let id = tok.id;
                                                        let live = tok.status == TokenStatus::Live;
                                                        let status = match tok.status {
                                                            TokenStatus::Live => td_string!(locale, account.status_live),
                                                            TokenStatus::Expired => td_string!(locale, account.status_expired),
                                                            TokenStatus::Revoked => td_string!(locale, account.status_revoked),
                                                        };
                                                        view! {
                                                            <tr>
                                                                <td>{tok.name.clone()}</td>
                                                                <td>{when(tok.expires_at)}</td>
                                                                <td>{tok.last_used_at.map(when).unwrap_or_else(|| td_string!(locale, account.never).to_owned())}</td>
                                                                <td>{status}</td>
                                                                <td>
                                                                    {live.then(|| view! {
                                                                        <button type="button" class="button" disabled=move || revoke.pending().get()
                                                                            on:click=move |_| { revoke.dispatch(RevokeMyToken { id }); }>
                                                                            {td_string!(locale, account.revoke)}
                                                                        </button>
                                                                    })}
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
            <h2>{t!(i18n, account.new_heading)}</h2>
            <form class="form" novalidate on:submit=submit>
                <TextField id="name" label=t(|l| td_string!(l, account.col_name)) value=name errors=fields />
                <TextField id="expires_in_days" label=t(|l| td_string!(l, account.days_label)) value=days errors=fields kind="number" />
                <button type="submit" class="button primary" disabled=move || create.pending().get()>{t!(i18n, account.create)}</button>
            </form>
        </section>
    }
}
