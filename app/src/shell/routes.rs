//! The pages in lazily loaded groups: each group is a WASM chunk (with the code it shares
//! with other groups in a few chunks of their own), fetched when one of its pages is first
//! opened, or preloaded by the page the server rendered. The shell (header, navigation, the
//! language switch, the not-found page) stays in the main module.
//!
//! Groups, not one chunk per page: split per page, the 35 pages made 780 chunks (code shared by
//! every combination of pages is a chunk of its own) and `/field` needed 292 of them — too many
//! requests for a phone on a weak signal, and a build step that optimised each one. Pages are
//! grouped by who opens them together.

use leptos::prelude::*;
use leptos_router::LazyRoute;

macro_rules! page_groups {
    ($( $(#[$doc:meta])* $group:ident, $preload:ident / $pages:ident { $($name:ident => $page:path),* $(,)? } )*) => {$(
        /// The pages of one group.
        #[derive(Clone, Copy)]
        pub enum $pages { $($name),* }

        $(#[$doc])*
        #[leptos::lazy]
        fn $group(page: $pages) -> AnyView {
            match page {
                $($pages::$name => $page().into_any(),)*
            }
        }

        $(
            pub struct $name;
            impl LazyRoute for $name {
                fn data() -> Self {
                    $name
                }
                async fn view(_this: Self) -> AnyView {
                    $group($pages::$name).await
                }
                // The router awaits this before it hydrates or shows the page: the group's
                // chunk must be there, or hydration finds the page where it expected a
                // placeholder. (`#[lazy]` defines `__preload_<group>` in the browser build.)
                async fn preload() {
                    #[cfg(feature = "hydrate")]
                    $preload().await;
                }
            }
        )*
    )*};
}

page_groups! {
    /// What anyone opens first: home, sign-in and sign-up, one's account and notifications.
    entry_pages, __preload_entry_pages / EntryPages {
        Home => super::home::HomePage,
        Login => crate::auth::LoginPage,
        Logout => crate::auth::LogoutPage,
        Signup => crate::orgs::pages::SignupPage,
        Account => crate::auth::account::AccountPage,
        Notifications => crate::notifications::pages::NotificationsPage,
    }
    /// The inspector's phone: the field look-up (also at a label's address)…
    field_pages, __preload_field_pages / FieldPages {
        FieldLookup => crate::field::pages::lookup::FieldLookupPage,
    }
    /// …and the inspection form it leads to.
    inspect_pages, __preload_inspect_pages / InspectPages {
        FieldInspect => crate::field::pages::inspect::InspectPage,
    }
    /// A construction unit's desk: sites, machines, filings, staff, transfers, amendments
    /// (officials review filings, transfers and amendments on the same pages).
    desk_pages, __preload_desk_pages / DeskPages {
        Staff => crate::orgs::pages::StaffPage,
        Sites => crate::sites::pages::SitesPage,
        SiteNew => crate::sites::pages::SiteNewPage,
        Site => crate::sites::pages::detail::SitePage,
        Machines => crate::machines::pages::MachinesPage,
        MachineNew => crate::machines::pages::MachineNewPage,
        MachineImport => crate::machines::import::pages::ImportPage,
        Machine => crate::machines::pages::MachinePage,
        Filings => crate::filings::pages::FilingsPage,
        FilingNew => crate::filings::pages::FilingNewPage,
        Filing => crate::filings::pages::FilingPage,
        Transfers => crate::transfers::pages::TransfersPage,
        Transfer => crate::transfers::pages::TransferPage,
        Amendments => crate::amendments::pages::AmendmentsPage,
        Amendment => crate::amendments::pages::AmendmentPage,
    }
    /// Officials' enforcement and oversight: inspections, cases, limit tables, statistics,
    /// the audit log, administration.
    official_pages, __preload_official_pages / OfficialPages {
        Inspections => crate::inspections::pages::InspectionsPage,
        Inspection => crate::inspections::pages::InspectionPage,
        Cases => crate::cases::pages::CasesPage,
        Case => crate::cases::pages::CasePage,
        Limits => crate::inspections::limits::pages::LimitsPage,
        Dashboard => crate::stats::pages::DashboardPage,
        Audit => crate::audit::pages::AuditPage,
        Admin => crate::admin::pages::AdminPage,
        AdminUsers => crate::admin::pages::AdminUsersPage,
        MachineTypes => crate::admin::pages::MachineTypesPage,
        Divisions => crate::admin::pages::DivisionsPage,
        Watchlist => crate::watchlist::pages::WatchlistPage,
        Plan => crate::plan::pages::PlanPage,
        Reports => crate::reports::pages::ReportsPage,
    }
}
