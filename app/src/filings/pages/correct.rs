//! Correcting a returned filing from its page: its dates and machines (with the picker over the
//! whole fleet, starting from the machines filed), checked with the shared rule against the
//! site's period, then submitted again with the version that was read.

use super::form::{checked_input, typed_dates};
use super::picker::{Chosen, MachinePicker};
use crate::error::FieldErrors;
use crate::filings::server_fns::ResubmitFiling;
use crate::filings::{Filing, FilingCorrection, SiteDates};
use crate::i18n::*;
use crate::ui::TextField;
use leptos::prelude::*;

/// The correction form of a returned filing (the construction unit's).
#[component]
pub fn CorrectFiling(filing: Filing, resubmit: ServerAction<ResubmitFiling>) -> impl IntoView {
    let i18n = use_i18n();
    let entry = RwSignal::new(filing.planned_entry_on.to_string());
    let exit = RwSignal::new(filing.planned_exit_on.to_string());
    // A machine that left the filing (transferred away) is no longer the unit's to file: the
    // filing page lists it as left, the correction starts without it.
    let filed = filing.machines.iter().filter(|m| m.left_on.is_none()).map(|m| {
        let label = match &m.registration_code {
            Some(code) => format!("{} · {code}", m.name),
            None => m.name.clone(),
        };
        Chosen { id: m.id, label }
    });
    let chosen = RwSignal::new(filed.collect::<Vec<_>>());
    let site = SiteDates { starts_on: filing.site_starts_on, ends_on: filing.site_ends_on };
    let (id, site_id, version) = (filing.id, filing.site_id, filing.version);
    let check = move || checked_input(Some(site_id), Some(site), &entry.get(), &exit.get(), &chosen.get());
    // Once the unit has tried to send it, the shared rule re-checks the form as it is edited.
    let attempted = RwSignal::new(false);
    let local = Signal::derive(move || if attempted.get() { check().err() } else { None::<FieldErrors> });
    let fields = Signal::derive(move || {
        local.get().or_else(|| resubmit.value().get().and_then(|r| r.err()).and_then(|e| e.fields().cloned()))
    });
    let dates = Signal::derive(move || typed_dates(&entry.get(), &exit.get()));
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        attempted.set(true);
        if let Ok(input) = check() {
            let input = FilingCorrection {
                machine_ids: input.machine_ids,
                planned_entry_on: input.planned_entry_on,
                planned_exit_on: input.planned_exit_on,
                version,
            };
            resubmit.dispatch(ResubmitFiling { id, input });
        }
    };
    let t = move |f: fn(Locale) -> &'static str| Signal::derive(move || f(i18n.get_locale()).to_owned());
    view! {
        <section class="card narrow" data-testid="correct-filing">
            <h2>{t!(i18n, filing_form.correct_heading)}</h2>
            <p class="muted">{t!(i18n, filing_form.correct_intro)}</p>
                <form class="form" novalidate on:submit=submit data-testid="correct-form">
                    <div class="row2">
                        <TextField id="planned_entry_on" label=t(|l| td_string!(l, filings.planned_entry_on)) value=entry errors=fields kind="date" />
                        <TextField id="planned_exit_on" label=t(|l| td_string!(l, filings.planned_exit_on)) value=exit errors=fields kind="date" />
                    </div>
                    <fieldset class="field">
                        <legend>{t!(i18n, filings.choose_machines)}</legend>
                        <MachinePicker chosen dates exclude=id errors=fields />
                    </fieldset>
                    <button type="submit" class="button primary" data-testid="resubmit" disabled=move || resubmit.pending().get()>
                        {t!(i18n, filings.resubmit)}
                    </button>
                </form>
        </section>
    }
}
