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
/// (`selected`, a site id) marked so the page rendered on the server shows it.
#[component]
pub fn SiteOptions(sites: Resource<Result<Page<Site>, AppError>>, selected: RwSignal<String>) -> impl IntoView {
    view! {
        <Transition fallback=|| ()>
            {move || {
                let current = selected.get_untracked();
                sites.get().and_then(|r| r.ok()).map(|p| {
                    p.items
                        .into_iter()
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
