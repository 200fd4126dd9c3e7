//! `/admin/machine-types`: the list of machine types and its entries.

use crate::admin::server_fns::{CreateMachineTypeEntry, UpdateMachineTypeEntry, list_machine_type_entries};
use crate::admin::{MachineTypeEntry, MachineTypePatch, NewMachineType};
use crate::i18n::*;
use crate::ui::{ErrorBanner, PageTitle, TextField};
use leptos::either::Either;
use leptos::prelude::*;

/// `/admin/machine-types`: the list with rename, reorder and (de)activate, and a form to add.
#[component]
pub fn MachineTypesPage() -> impl IntoView {
    let i18n = use_i18n();
    let add = ServerAction::<CreateMachineTypeEntry>::new();
    let update = ServerAction::<UpdateMachineTypeEntry>::new();
    let types = Resource::new(move || (add.version().get(), update.version().get()), |_| list_machine_type_entries());
    let code = RwSignal::new(String::new());
    let name_zh = RwSignal::new(String::new());
    let name_en = RwSignal::new(String::new());
    let add_error = Signal::derive(move || add.value().get().and_then(|r| r.err()));
    let fields = Signal::derive(move || add_error.get().and_then(|e| e.fields().cloned()));
    let banner = Signal::derive(move || {
        add_error.get().filter(|e| e.fields().is_none()).or_else(|| update.value().get().and_then(|r| r.err()))
    });
    Effect::new(move |_| {
        if matches!(add.value().get(), Some(Ok(_))) {
            for s in [code, name_zh, name_en] {
                s.set(String::new());
            }
        }
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        add.dispatch(CreateMachineTypeEntry {
            input: NewMachineType {
                code: code.get(),
                name_zh: name_zh.get(),
                name_en: name_en.get(),
                sort_order: None,
            },
        });
    };
    let t = move |f: fn(Locale) -> &'static str| Signal::derive(move || f(i18n.get_locale()).to_owned());
    view! {
        <PageTitle text=move || td_string!(i18n.get_locale(), admin.machine_types).to_string() />
        <section class="card">
            <h1>{t!(i18n, admin.machine_types)}</h1>
            <p class="muted">{t!(i18n, admin.machine_types_intro)}</p>
            <ErrorBanner error=banner />
            <Transition fallback=move || view! { <p class="muted">{t!(i18n, common.loading)}</p> }>
                {move || {
                    let locale = i18n.get_locale();
                    types.get().map(|r| match r {
                        Err(e) => Either::Left(view! { <p class="banner banner-error">{e.message(locale)}</p> }),
                        Ok(list) => Either::Right(view! {
                            <ul class="cards" data-testid="machine-type-list">
                                {list.into_iter().map(|m| view! { <MachineTypeItem entry=m update /> }).collect_view()}
                            </ul>
                        }),
                    })
                }}
            </Transition>
        </section>
        <section class="card narrow">
            <h2>{t!(i18n, admin.add_machine_type)}</h2>
            <form class="form" novalidate on:submit=submit>
                <TextField id="code" label=t(|l| td_string!(l, admin.type_code)) value=code errors=fields hint=t(|l| td_string!(l, admin.type_code_hint)) />
                <TextField id="name_zh" label=t(|l| td_string!(l, admin.name_zh)) value=name_zh errors=fields />
                <TextField id="name_en" label=t(|l| td_string!(l, admin.name_en)) value=name_en errors=fields />
                <button type="submit" class="button primary" disabled=move || add.pending().get()>{t!(i18n, staff.add)}</button>
            </form>
        </section>
    }
}

#[component]
fn MachineTypeItem(entry: MachineTypeEntry, update: ServerAction<UpdateMachineTypeEntry>) -> impl IntoView {
    let i18n = use_i18n();
    let code = entry.code.clone();
    let active = entry.is_active;
    let name_zh = RwSignal::new(entry.name_zh.clone());
    let name_en = RwSignal::new(entry.name_en.clone());
    let order = RwSignal::new(entry.sort_order.to_string());
    let code_save = code.clone();
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        update.dispatch(UpdateMachineTypeEntry {
            code: code_save.clone(),
            patch: MachineTypePatch {
                name_zh: Some(name_zh.get()),
                name_en: Some(name_en.get()),
                sort_order: order.get().trim().parse().ok(),
                is_active: None,
            },
        });
    };
    let code_toggle = code.clone();
    let toggle = move |_| {
        update.dispatch(UpdateMachineTypeEntry {
            code: code_toggle.clone(),
            patch: MachineTypePatch { is_active: Some(!active), ..Default::default() },
        });
    };
    view! {
        <li class="item">
            <div class="item-main">
                <strong>{entry.name_zh.clone()} " · " {entry.name_en.clone()}</strong>
                {move || {
                    let locale = i18n.get_locale();
                    if active {
                        Either::Left(view! { <span class="badge badge-ok">{td_string!(locale, staff.active)}</span> })
                    } else {
                        Either::Right(view! { <span class="badge badge-bad">{td_string!(locale, admin.inactive)}</span> })
                    }
                }}
            </div>
            <div class="muted code">{code.clone()}</div>
            <details>
                <summary>{t!(i18n, common.edit)}</summary>
                <form class="form" on:submit=save>
                    <div class="row2">
                        <div class="field">
                            <label for=format!("zh-{code}")>{t!(i18n, admin.name_zh)}</label>
                            <input id=format!("zh-{code}") bind:value=name_zh />
                        </div>
                        <div class="field">
                            <label for=format!("en-{code}")>{t!(i18n, admin.name_en)}</label>
                            <input id=format!("en-{code}") bind:value=name_en />
                        </div>
                    </div>
                    <div class="field">
                        <label for=format!("order-{code}")>{t!(i18n, admin.sort_order)}</label>
                        <input id=format!("order-{code}") inputmode="numeric" bind:value=order />
                    </div>
                    <div class="actions">
                        <button type="submit" class="button">{t!(i18n, common.save)}</button>
                        <button type="button" class="button" on:click=toggle>
                            {move || if active { td_string!(i18n.get_locale(), admin.deactivate) } else { td_string!(i18n.get_locale(), admin.activate) }}
                        </button>
                    </div>
                </form>
            </details>
        </li>
    }
}
