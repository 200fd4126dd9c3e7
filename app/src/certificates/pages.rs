//! The certificate section of a site's page: the unit issues a certificate (then opens it to
//! print), and the unit and the officials see the ones issued, current or superseded.

use super::server_fns::{IssueCertificate, list_certificates};
use super::{Certificate, CertificateStatus};
use crate::auth::permissions::CONTRACTORS;
use crate::i18n::*;
use crate::ui::ErrorBanner;
use leptos::prelude::*;
use uuid::Uuid;

fn item(locale: Locale, c: Certificate) -> impl IntoView {
    let (class, label) = match c.status {
        CertificateStatus::Current => ("badge badge-ok", td_string!(locale, certificates.status_current)),
        CertificateStatus::Superseded => ("badge badge-bad", td_string!(locale, certificates.status_superseded)),
    };
    let issued = c.issued_at.with_timezone(&crate::dates::china()).format("%Y-%m-%d %H:%M").to_string();
    view! {
        <li data-testid="certificate-item">
            <a href=format!("/c/{}", c.code) rel="external" class="code">{c.code.clone()}</a>
            " · " <span class="muted">{issued}</span> " " <span class=class>{label}</span>
        </li>
    }
}

/// The site's certificates (shown only when there are some, or to the unit, who may issue).
#[component]
pub fn SiteCertificates(site_id: Uuid) -> impl IntoView {
    let i18n = use_i18n();
    let auth = crate::ui::use_auth();
    let issue = ServerAction::<IssueCertificate>::new();
    let list = Resource::new(move || (site_id, issue.version().get()), |(id, _)| list_certificates(id));
    let error = Signal::derive(move || issue.value().get().and_then(|r| r.err()));
    let may_issue = move || auth.may(&CONTRACTORS);
    view! {
        <Transition fallback=|| ()>
            {move || {
                let locale = i18n.get_locale();
                let issued = list.get().and_then(|r| r.ok()).unwrap_or_default();
                (may_issue() || !issued.is_empty()).then(|| view! {
                    <section class="card" data-testid="site-certificates">
                        <h2>{td_string!(locale, certificates.title)}</h2>
                        <Show when=may_issue>
                            <p class="muted">{td_string!(locale, certificates.issue_intro)}</p>
                            <ErrorBanner error=error />
                            <div class="actions">
                                <button type="button" class="button primary" data-testid="certificate-issue"
                                    disabled=move || issue.pending().get()
                                    on:click=move |_| { if !issue.pending().get_untracked() { issue.dispatch(IssueCertificate { site_id }); } }>
                                    {td_string!(locale, certificates.issue)}
                                </button>
                                {move || issue.value().get().and_then(|r| r.ok()).map(|c| view! {
                                    <span role="status" data-testid="certificate-issued">{td_string!(locale, certificates.issued)} " "
                                        <a href=format!("/c/{}", c.code) rel="external" data-testid="certificate-open">{td_string!(locale, certificates.open)}</a>
                                    </span>
                                })}
                            </div>
                        </Show>
                        {(!issued.is_empty()).then(|| view! {
                            <h3>{td_string!(locale, certificates.earlier)}</h3>
                            <ul class="plain-list">{issued.into_iter().map(|c| item(locale, c)).collect_view()}</ul>
                        })}
                    </section>
                })
            }}
        </Transition>
    }
}
