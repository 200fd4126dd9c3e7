//! The machine picker of the filing form: it searches and pages the whole fleet on the server
//! (by name, PIN, registration or environmental code, and by type; a page of 50 at a time),
//! keeps the selection across searches and pages, and marks the machines already on a
//! submitted or accepted filing for overlapping dates.

use crate::error::FieldErrors;
use crate::filings::names::status_label;
use crate::filings::server_fns::filed_overlaps;
use crate::filings::{FiledMachineOverlap, MAX_MACHINES};
use crate::i18n::*;
use crate::machines::names::stage_label;
use crate::machines::server_fns::{list_machines, machine_types};
use crate::machines::{Machine, MachineFilter, MachineTypeInfo};
use crate::ui::FieldErrorText;
use chrono::NaiveDate;
use leptos::either::Either;
use leptos::prelude::*;
use uuid::Uuid;

/// A machine chosen for the filing, with the words the form shows for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chosen {
    pub id: Uuid,
    pub label: String,
}

impl Chosen {
    /// The choice of `m`: its name and its registration code or PIN.
    pub fn of(m: &Machine) -> Chosen {
        let tag = m.registration_code.clone().or_else(|| m.data.pin.clone());
        let label = match tag {
            Some(t) => format!("{} · {t}", m.data.name),
            None => m.data.name.clone(),
        };
        Chosen { id: m.id, label }
    }
}

fn type_name(locale: Locale, types: &[MachineTypeInfo], code: &str) -> String {
    match types.iter().find(|t| t.code == code) {
        Some(t) if locale == Locale::zh => t.name_zh.clone(),
        Some(t) => t.name_en.clone(),
        None => code.to_owned(),
    }
}

fn overlap_badges(locale: Locale, found: &[FiledMachineOverlap], id: Uuid) -> impl IntoView + use<> {
    found
        .iter()
        .filter(|o| o.machine_id == id)
        .map(|o| {
            let text = td_string!(
                locale,
                filing_form.already_filed,
                site = o.site_name.clone(),
                status = status_label(locale, o.status),
                from = o.planned_entry_on.to_string(),
                to = o.planned_exit_on.to_string()
            )
            .to_string();
            view! { <span class="badge badge-warn" data-testid="already-filed">{text}</span> }
        })
        .collect_view()
}

/// The picker. `dates` are the planned days once both are set (they decide which filings
/// overlap); `exclude` is the filing being corrected, whose own machines are no clash.
///
/// It is built in the browser once the page has hydrated (choosing needs the page live anyway):
/// its list, a Transition over a resource inside a form that may itself sit in a Transition,
/// did not always come back from hydration (seen in Chromium: neither the list nor the
/// fallback), while one built on the live page always loads.
#[component]
pub fn MachinePicker(
    chosen: RwSignal<Vec<Chosen>>,
    #[prop(into)] dates: Signal<Option<(NaiveDate, NaiveDate)>>,
    #[prop(optional)] exclude: Option<Uuid>,
    #[prop(into)] errors: Signal<Option<FieldErrors>>,
) -> impl IntoView {
    let i18n = use_i18n();
    let live = RwSignal::new(false);
    Effect::new(move |_| live.set(true));
    move || {
        if live.get() {
            Either::Left(view! { <PickerBody chosen dates exclude errors /> })
        } else {
            Either::Right(view! {
                <p class="muted" data-testid="machine-picker">{move || td_string!(i18n.get_locale(), common.loading)}</p>
                <FieldErrorText errors field="machine_ids" />
            })
        }
    }
}

#[component]
fn PickerBody(
    chosen: RwSignal<Vec<Chosen>>,
    dates: Signal<Option<(NaiveDate, NaiveDate)>>,
    exclude: Option<Uuid>,
    errors: Signal<Option<FieldErrors>>,
) -> impl IntoView {
    let i18n = use_i18n();
    let query = RwSignal::new(String::new());
    let kind = RwSignal::new(String::new());
    let applied = RwSignal::new((String::new(), String::new()));
    // The cursors of the pages walked through, the current one last (`None`: the first page).
    // A loaded page comes back with the trail it was asked with, so its number and its
    // "previous" / "next" always match what is shown, however fast the buttons are pressed.
    let trail = RwSignal::new(vec![None::<String>]);
    let pending = RwSignal::new(false);
    let types = Resource::new(|| (), |_| machine_types());
    let page = Resource::new(
        move || (applied.get(), trail.get()),
        |((q, t), trail)| async move {
            let filter = MachineFilter {
                q: (!q.is_empty()).then_some(q),
                machine_type: (!t.is_empty()).then_some(t),
                ..Default::default()
            };
            let cursor = trail.last().cloned().flatten();
            list_machines(filter, cursor).await.map(|p| (trail, p))
        },
    );
    // The machines on the page shown (kept by an effect: the page is read in its Transition).
    let shown = RwSignal::new(Vec::<Uuid>::new());
    Effect::new(move |_| {
        if let Some(Ok((_, p))) = page.get() {
            shown.set(p.items.iter().map(|m| m.id).collect());
        }
    });
    // Asked from the browser only (a hint beside the list), for the machines shown and chosen.
    let overlaps = LocalResource::new(move || {
        let mut ids = shown.get();
        chosen.with(|c| ids.extend(c.iter().map(|c| c.id)));
        ids.sort();
        ids.dedup();
        let dates = dates.get();
        async move {
            match dates {
                Some((from, to)) if from <= to && !ids.is_empty() && ids.len() <= MAX_MACHINES => {
                    filed_overlaps(ids, from, to, exclude).await.unwrap_or_default()
                }
                _ => vec![],
            }
        }
    });
    let found = move || overlaps.get().unwrap_or_default();
    let apply = move || {
        trail.set(vec![None]);
        applied.set((query.get_untracked().trim().to_owned(), kind.get_untracked()));
    };
    let toggle = move |m: &Machine, on: bool| {
        let pick = Chosen::of(m);
        chosen.update(|c| {
            c.retain(|x| x.id != pick.id);
            if on {
                c.push(pick);
            }
        });
    };
    view! {
        <div class="picker" data-testid="machine-picker">
            <div class="search search-wrap" role="search">
                <input
                    type="search"
                    id="machine_q"
                    aria-label=move || td_string!(i18n.get_locale(), common.search)
                    placeholder=move || td_string!(i18n.get_locale(), filing_form.search_placeholder)
                    bind:value=query
                    on:keydown=move |ev: leptos::ev::KeyboardEvent| {
                        // Enter searches the fleet instead of submitting the filing.
                        if ev.key() == "Enter" {
                            ev.prevent_default();
                            apply();
                        }
                    }
                />
                <select
                    id="machine_type_filter"
                    aria-label=move || td_string!(i18n.get_locale(), machines.machine_type)
                    bind:value=kind
                    on:change=move |_| apply()
                >
                    <option value="">{move || td_string!(i18n.get_locale(), filing_form.all_types)}</option>
                    <Transition fallback=|| ()>
                        {move || {
                            let locale = i18n.get_locale();
                            types.get().and_then(|r| r.ok()).map(|list| {
                                list.into_iter().map(|t| {
                                    let name = type_name(locale, std::slice::from_ref(&t), &t.code);
                                    view! { <option value=t.code>{name}</option> }
                                }).collect_view()
                            })
                        }}
                    </Transition>
                </select>
                <button type="button" class="button" data-testid="picker-search" on:click=move |_| apply()>
                    {move || td_string!(i18n.get_locale(), common.search)}
                </button>
            </div>
            <ChosenList chosen />
            <FieldErrorText errors field="machine_ids" />
            <Transition
                fallback=move || view! { <p class="muted">{move || td_string!(i18n.get_locale(), common.loading)}</p> }
                set_pending=pending.write_only()
            >
                {move || {
                    let locale = i18n.get_locale();
                    let kinds = types.get().and_then(|r| r.ok()).unwrap_or_default();
                    page.get().map(|r| match r {
                        Err(e) => Either::Left(view! { <p class="banner banner-error">{e.message(locale)}</p> }),
                        Ok((walked, p)) => {
                            let number = walked.len();
                            let next = p.next_cursor.clone();
                            let last_page = next.is_none();
                            let first_page = number <= 1;
                            let forward = walked.clone();
                            Either::Right(view! {
                                {p.items.is_empty().then(|| view! { <p class="muted">{td_string!(locale, filing_form.none_found)}</p> })}
                                <ul class="picks" data-testid="picker-list">
                                    {p.items.into_iter().map(|m| {
                                        let id = m.id;
                                        let tag = m.registration_code.clone().or_else(|| m.data.pin.clone()).unwrap_or_default();
                                        let line = format!(
                                            "{} · {} · {} · {} kW",
                                            type_name(locale, &kinds, &m.data.machine_type),
                                            stage_label(locale, m.data.emission_stage),
                                            tag,
                                            m.data.rated_power_kw
                                        );
                                        let name = m.data.name.clone();
                                        view! {
                                            <li>
                                                <label class="pick">
                                                    <input
                                                        type="checkbox"
                                                        value=id.to_string()
                                                        data-machine=id.to_string()
                                                        prop:checked=move || chosen.with(|c| c.iter().any(|x| x.id == id))
                                                        on:change=move |ev| toggle(&m, event_target_checked(&ev))
                                                    />
                                                    <span><strong>{name}</strong> <span class="muted pick-line">{line}</span></span>
                                                </label>
                                                {move || overlap_badges(i18n.get_locale(), &found(), id)}
                                            </li>
                                        }
                                    }).collect_view()}
                                </ul>
                                <div class="pager">
                                    <button type="button" class="button" data-testid="picker-prev"
                                        disabled=move || first_page || pending.get()
                                        on:click=move |_| {
                                            let mut back = walked.clone();
                                            back.pop();
                                            if !back.is_empty() {
                                                trail.set(back);
                                            }
                                        }>
                                        {td_string!(locale, filing_form.prev)}
                                    </button>
                                    <span class="muted" data-testid="picker-page">{td_string!(locale, filing_form.page, page = number)}</span>
                                    <button type="button" class="button" data-testid="picker-next"
                                        disabled=move || last_page || pending.get()
                                        on:click=move |_| {
                                            let mut on = forward.clone();
                                            on.push(next.clone());
                                            trail.set(on);
                                        }>
                                        {td_string!(locale, filing_form.next)}
                                    </button>
                                </div>
                            })
                        }
                    })
                }}
            </Transition>
        </div>
    }
}

/// What is chosen so far, whatever page or search shows: a count and a removable chip each.
#[component]
fn ChosenList(chosen: RwSignal<Vec<Chosen>>) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <p class="muted" data-testid="chosen-count">
            {move || td_string!(i18n.get_locale(), filing_form.chosen, count = chosen.with(Vec::len), max = MAX_MACHINES)}
            {move || chosen.with(|c| !c.is_empty()).then(|| view! {
                " "
                <button type="button" class="link" on:click=move |_| chosen.set(vec![])>
                    {td_string!(i18n.get_locale(), filing_form.clear)}
                </button>
            })}
        </p>
        <ul class="chips" data-testid="chosen">
            <For
                each=move || chosen.get()
                key=|c| c.id
                children=move |c| {
                    let (id, label) = (c.id, c.label);
                    let name = label.clone();
                    view! {
                        <li class="chip">
                            <span>{label}</span>
                            <button
                                type="button"
                                aria-label=move || td_string!(i18n.get_locale(), filing_form.remove, name = name.clone()).to_string()
                                on:click=move |_| chosen.update(|all| all.retain(|x| x.id != id))
                            >
                                "×"
                            </button>
                        </li>
                    }
                }
            />
        </ul>
    }
}
