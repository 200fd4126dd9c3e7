//! Phone-first pages for inspectors on a site: reading the QR label, looking a machine up, and
//! recording an inspection with the verdict computed as they type.

pub mod inspect;
pub mod lookup;
pub mod scanner;

use crate::error::AppError;
use crate::paging::Page;
use crate::sites::Site;
use leptos::prelude::*;

/// The `<option>`s of the sites in the inspector's scope for a site `<select>`, the one chosen
/// (`selected`, a site id) marked so the page rendered on the server shows it. The site chosen
/// in the address is read on its own and listed first, so a site beyond the first page of the
/// list (a link from a case or a plan) is offered too and the select never falls back to "any
/// site".
#[component]
pub fn SiteOptions(sites: Resource<Result<Page<Site>, AppError>>, selected: RwSignal<String>) -> impl IntoView {
    let beyond = Resource::new(
        move || uuid::Uuid::parse_str(&selected.get_untracked()).ok(),
        |wanted| async move {
            match wanted {
                Some(id) => crate::sites::server_fns::get_site(id).await.ok(),
                None => None,
            }
        },
    );
    view! {
        <Transition fallback=|| ()>
            {move || {
                let current = selected.get_untracked();
                let extra = beyond.get().flatten();
                sites.get().and_then(|r| r.ok()).map(|p| {
                    let extra_id = extra.as_ref().map(|s| s.id);
                    extra
                        .into_iter()
                        .chain(p.items.into_iter().filter(|s| Some(s.id) != extra_id))
                        .map(|s| {
                            let v = s.id.to_string();
                            let chosen = v == current;
                            view! { <option value=v selected=chosen>{s.name}</option> }
                        })
                        .collect_view()
                })
            }}
        </Transition>
    }
}
