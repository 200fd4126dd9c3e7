//! The "导出 CSV / 导出 XLSX" links of the list pages: plain downloads of the export URL with
//! the page's current filters, shown to the roles that may export the dataset.

use super::{Dataset, Format, export_href};
use crate::i18n::*;
use crate::ui::use_auth;
use leptos::prelude::*;

/// The two export links of a list page; `filters` are the list's query parameters as the page
/// applies them.
#[component]
pub fn ExportLinks(dataset: Dataset, #[prop(into)] filters: Signal<Vec<(&'static str, String)>>) -> impl IntoView {
    let i18n = use_i18n();
    let auth = use_auth();
    let allowed = move || auth.user.get().and_then(|r| r.ok()).flatten().is_some_and(|me| dataset.allowed(me.role));
    let link = move |format: Format| {
        let href = move || export_href(dataset, format, &filters.get());
        let testid = format!("export-{}-{}", dataset.as_str(), format.as_str());
        view! {
            // `download` and `rel=external`: a file, not a page for the router.
            <a class="button" href=href download="" rel="external" data-testid=testid title=move || td_string!(i18n.get_locale(), export.hint)>
                {move || match format {
                    Format::Csv => td_string!(i18n.get_locale(), export.csv),
                    Format::Xlsx => td_string!(i18n.get_locale(), export.xlsx),
                }}
            </a>
        }
    };
    view! {
        <Transition fallback=|| ()>
            {move || allowed().then(|| view! { <span class="export-links">{link(Format::Csv)}{link(Format::Xlsx)}</span> })}
        </Transition>
    }
}
