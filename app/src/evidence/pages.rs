//! The evidence gallery shown on an inspection's and a case's page: the photos (each opens its
//! web copy), and for those who may add one a plain form that posts the file to the REST
//! endpoint (the server answers with a redirect back, so it works before the WASM loads too).

use super::server_fns::evidence_gallery;
use super::{NOTE_MAX, SubjectKind};
use crate::i18n::*;
use crate::ui::role_label;
use leptos::either::Either;
use leptos::prelude::*;
use uuid::Uuid;

/// The photos of an inspection or a case.
#[component]
pub fn EvidenceGallery(kind: SubjectKind, id: Uuid) -> impl IntoView {
    let i18n = use_i18n();
    let gallery = Resource::new(move || (kind, id), |(kind, id)| evidence_gallery(kind, id));
    let action = kind.collection_url(id);
    // One id per form shown (rendered into the form, so a plain post carries it too): a
    // repeated post adds the photo once.
    let request_id = crate::ui::new_request_id().to_string();
    // `?uploaded=evidence`: the form's post came back here.
    let query = leptos_router::hooks::use_query_map();
    let uploaded = move || query.with(|q| q.get("uploaded").as_deref() == Some("evidence"));
    view! {
        <section class="card" data-testid="evidence">
            <h2>
                {move || match kind {
                    SubjectKind::Inspection => td_string!(i18n.get_locale(), evidence.inspection_heading).to_string(),
                    SubjectKind::Case => td_string!(i18n.get_locale(), evidence.case_heading).to_string(),
                    SubjectKind::Amendment => td_string!(i18n.get_locale(), evidence.amendment_heading).to_string(),
                }}
            </h2>
            <Transition fallback=move || view! { <p class="muted">{t!(i18n, common.loading)}</p> }>
                {move || {
                    let locale = i18n.get_locale();
                    let action = action.clone();
                    let request_id = request_id.clone();
                    gallery.get().map(|r| match r {
                        Err(e) => Either::Left(view! { <p class="banner banner-error">{e.message(locale)}</p> }),
                        Ok(g) => Either::Right(view! {
                            {g.photos.is_empty().then(|| view! { <p class="muted">{td_string!(locale, evidence.none)}</p> })}
                            <ul class="photos" data-testid="evidence-list">
                                {g.photos.into_iter().map(|p| {
                                    let caption = p.note.clone().unwrap_or_default();
                                    let href = p.urls.web.clone();
                                    let src = p.urls.web;
                                    let when = p.uploaded_at.with_timezone(&crate::dates::china()).format("%Y-%m-%d %H:%M").to_string();
                                    view! {
                                        <li class="photo">
                                            <a href=href target="_blank" rel="noopener">
                                                <img src=src alt=caption.clone() loading="lazy" />
                                            </a>
                                            {(!caption.is_empty()).then(|| view! { <span>{caption}</span> })}
                                            <span class="muted">{role_label(locale, p.uploaded_by_role)} " · " {when}</span>
                                        </li>
                                    }
                                }).collect_view()}
                            </ul>
                            {g.can_add.then(|| view! {
                                {uploaded().then(|| view! { <p class="banner banner-ok" role="status" data-testid="evidence-uploaded">{td_string!(locale, evidence.uploaded)}</p> })}
                                <form method="post" enctype="multipart/form-data" action=action class="form" data-testid="evidence-form">
                                    <input type="hidden" name="request_id" value=request_id />
                                    <label>
                                        <span>{td_string!(locale, evidence.file)}</span>
                                        <input type="file" name="file" accept="image/jpeg,image/png,image/webp" capture="environment" required />
                                    </label>
                                    <label>
                                        <span>{td_string!(locale, evidence.note)}</span>
                                        <input type="text" name="note" maxlength=NOTE_MAX.to_string() />
                                    </label>
                                    <button type="submit" class="button">{td_string!(locale, evidence.add)}</button>
                                </form>
                            })}
                        }),
                    })
                }}
            </Transition>
        </section>
    }
}
