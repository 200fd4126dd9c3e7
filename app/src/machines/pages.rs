//! The fleet list, the machine form (new and edit, with the version it was read at; a
//! registered machine's registered facts read-only), photos, labels and the amendments panel.

use super::facts::is_registered_fact;
use super::server_fns::{CreateMachine, DeleteMachine, UpdateMachine, get_machine, list_machines, machine_types};
use super::{EmissionStage, FuelType, Machine, MachineFilter, MachineInput, PhotoKind, rules};
use crate::error::{AppError, FieldCode, FieldError, FieldErrors};
use crate::exports::Dataset;
use crate::exports::pages::ExportLinks;
use crate::i18n::*;
use crate::machines::names::{fuel_label, photo_kind_label, stage_label};
use crate::transfers::pages::MachineTransfers;
use crate::ui::{ErrorBanner, FieldErrorText, PageTitle, TextField, browser_today};
use leptos::either::Either;
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::{use_navigate, use_params_map, use_query_map};
use uuid::Uuid;

/// `/machines`: search and page through the fleet (keyset: "load more").
#[component]
pub fn MachinesPage() -> impl IntoView {
    let i18n = use_i18n();
    let query = RwSignal::new(String::new());
    let applied = RwSignal::new(String::new());
    let cursor = RwSignal::new(None::<String>);
    let pages = RwSignal::new(Vec::<Machine>::new());
    let next = RwSignal::new(None::<String>);
    let page = Resource::new(
        move || (applied.get(), cursor.get()),
        |(q, c)| async move {
            let filter = MachineFilter { q: (!q.is_empty()).then_some(q), ..Default::default() };
            list_machines(filter, c).await
        },
    );
    Effect::new(move |_| {
        if let Some(Ok(p)) = page.get() {
            let first = cursor.get_untracked().is_none();
            pages.update(|all| {
                if first {
                    *all = p.items.clone();
                } else {
                    all.extend(p.items.clone());
                }
            });
            next.set(p.next_cursor.clone());
        }
    });
    let search = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        cursor.set(None);
        applied.set(query.get().trim().to_owned());
    };
    view! {
        <PageTitle text=move || td_string!(i18n.get_locale(), machines.title).to_string() />
        <section class="card">
            <div class="card-head">
                <h1>{t!(i18n, machines.heading)}</h1>
                <div class="actions">
                    <ExportLinks
                        dataset=Dataset::Machines
                        filters=Signal::derive(move || vec![("q", applied.get())])
                    />
                    <A href="/machines/import" attr:class="button">{t!(i18n, nav.import)}</A>
                    <A href="/machines/new" attr:class="button primary">{t!(i18n, machines.new)}</A>
                </div>
            </div>
            <form class="search" on:submit=search role="search">
                <input
                    type="search"
                    aria-label=move || td_string!(i18n.get_locale(), common.search)
                    placeholder=move || td_string!(i18n.get_locale(), machines.search_placeholder)
                    bind:value=query
                />
                <button type="submit" class="button">{t!(i18n, common.search)}</button>
            </form>
            <Transition fallback=move || view! { <p class="muted">{t!(i18n, common.loading)}</p> }>
                {move || {
                    let locale = i18n.get_locale();
                    let err = page.get().and_then(|r| r.err());
                    let items = pages.get();
                    view! {
                        {err.map(|e| view! { <p class="banner banner-error">{e.message(locale)}</p> })}
                        {items.is_empty().then(|| view! { <p class="muted">{td_string!(locale, filings.no_machines)}</p> })}
                        <ul class="cards" data-testid="machine-list">
                            {items.into_iter().map(|m| view! { <MachineItem machine=m /> }).collect_view()}
                        </ul>
                    }
                }}
            </Transition>
            {move || {
                next.get()
                    .map(|c| {
                        view! {
                            <button type="button" class="button" on:click=move |_| cursor.set(Some(c.clone()))>
                                {t!(i18n, common.load_more)}
                            </button>
                        }
                    })
            }}
        </section>
    }
}

#[component]
fn MachineItem(machine: Machine) -> impl IntoView {
    let i18n = use_i18n();
    let href = format!("/machines/{}", machine.id);
    let stage = machine.data.emission_stage;
    view! {
        <li class="item">
            <div class="item-main">
                <A href=href><strong>{machine.data.name.clone()}</strong></A>
                {move || {
                    let locale = i18n.get_locale();
                    match machine.registration_code.clone() {
                        Some(code) => Either::Left(view! { <span class="badge badge-ok code">{code}</span> }),
                        None => Either::Right(view! { <span class="badge">{td_string!(locale, machines.unregistered)}</span> }),
                    }
                }}
            </div>
            <div class="muted">
                {move || stage_label(i18n.get_locale(), stage)} " · " {format!("{} kW", machine.data.rated_power_kw)}
                {machine.data.pin.clone().map(|p| format!(" · {p}"))}
            </div>
        </li>
    }
}

/// The form's state: one signal per field, as typed.
#[derive(Clone, Copy)]
struct Form {
    machine_type: RwSignal<String>,
    name: RwSignal<String>,
    brand: RwSignal<String>,
    model: RwSignal<String>,
    pin: RwSignal<String>,
    env_code: RwSignal<String>,
    info_disclosure_no: RwSignal<String>,
    engine_model: RwSignal<String>,
    engine_serial: RwSignal<String>,
    engine_maker: RwSignal<String>,
    engine_approval_no: RwSignal<String>,
    stage: RwSignal<String>,
    fuel: RwSignal<String>,
    power: RwSignal<String>,
    manufactured_on: RwSignal<String>,
    dpf_fitted: RwSignal<bool>,
    dpf_model: RwSignal<String>,
    dpf_maker: RwSignal<String>,
    dpf_fitted_on: RwSignal<String>,
    obd_fitted: RwSignal<bool>,
    remote_terminal: RwSignal<bool>,
}

fn s(v: &Option<String>) -> String {
    v.clone().unwrap_or_default()
}

impl Form {
    fn new(m: Option<&MachineInput>) -> Self {
        let d = |v: Option<chrono::NaiveDate>| v.map(|d| d.to_string()).unwrap_or_default();
        Form {
            machine_type: RwSignal::new(m.map(|m| m.machine_type.clone()).unwrap_or_default()),
            name: RwSignal::new(m.map(|m| m.name.clone()).unwrap_or_default()),
            brand: RwSignal::new(m.map(|m| s(&m.brand)).unwrap_or_default()),
            model: RwSignal::new(m.map(|m| s(&m.model)).unwrap_or_default()),
            pin: RwSignal::new(m.map(|m| s(&m.pin)).unwrap_or_default()),
            env_code: RwSignal::new(m.map(|m| s(&m.env_code)).unwrap_or_default()),
            info_disclosure_no: RwSignal::new(m.map(|m| s(&m.info_disclosure_no)).unwrap_or_default()),
            engine_model: RwSignal::new(m.map(|m| s(&m.engine_model)).unwrap_or_default()),
            engine_serial: RwSignal::new(m.map(|m| s(&m.engine_serial)).unwrap_or_default()),
            engine_maker: RwSignal::new(m.map(|m| s(&m.engine_maker)).unwrap_or_default()),
            engine_approval_no: RwSignal::new(m.map(|m| s(&m.engine_approval_no)).unwrap_or_default()),
            stage: RwSignal::new(m.map(|m| m.emission_stage.as_str().to_owned()).unwrap_or_else(|| "stage_4".into())),
            fuel: RwSignal::new(m.map(|m| m.fuel_type.as_str().to_owned()).unwrap_or_else(|| "diesel".into())),
            power: RwSignal::new(m.map(|m| m.rated_power_kw.to_string()).unwrap_or_default()),
            manufactured_on: RwSignal::new(d(m.and_then(|m| m.manufactured_on))),
            dpf_fitted: RwSignal::new(m.is_some_and(|m| m.dpf_fitted)),
            dpf_model: RwSignal::new(m.map(|m| s(&m.dpf_model)).unwrap_or_default()),
            dpf_maker: RwSignal::new(m.map(|m| s(&m.dpf_maker)).unwrap_or_default()),
            dpf_fitted_on: RwSignal::new(d(m.and_then(|m| m.dpf_fitted_on))),
            obd_fitted: RwSignal::new(m.is_some_and(|m| m.obd_fitted)),
            remote_terminal: RwSignal::new(m.is_some_and(|m| m.remote_terminal)),
        }
    }

    /// The input as typed, checked by the shared rules (the server checks again).
    fn input(&self) -> Result<MachineInput, FieldErrors> {
        let mut errors = FieldErrors::new();
        let opt = |v: RwSignal<String>| Some(v.get()).filter(|s| !s.trim().is_empty());
        let date = |field: &str, v: RwSignal<String>, errors: &mut FieldErrors| {
            let raw = v.get();
            if raw.trim().is_empty() {
                return None;
            }
            chrono::NaiveDate::parse_from_str(raw.trim(), "%Y-%m-%d")
                .map_err(|_| errors.add(field, FieldError::new(FieldCode::Invalid)))
                .ok()
        };
        let power = self.power.get().trim().parse::<f64>().unwrap_or(f64::NAN);
        let mut input = MachineInput {
            machine_type: self.machine_type.get(),
            name: self.name.get(),
            brand: opt(self.brand),
            model: opt(self.model),
            pin: opt(self.pin),
            env_code: opt(self.env_code),
            info_disclosure_no: opt(self.info_disclosure_no),
            engine_model: opt(self.engine_model),
            engine_serial: opt(self.engine_serial),
            engine_maker: opt(self.engine_maker),
            engine_approval_no: opt(self.engine_approval_no),
            emission_stage: EmissionStage::parse(&self.stage.get()).unwrap_or(EmissionStage::Stage4),
            fuel_type: FuelType::parse(&self.fuel.get()).unwrap_or(FuelType::Diesel),
            rated_power_kw: power,
            manufactured_on: date("manufactured_on", self.manufactured_on, &mut errors),
            dpf_fitted: self.dpf_fitted.get(),
            dpf_model: opt(self.dpf_model),
            dpf_maker: opt(self.dpf_maker),
            dpf_fitted_on: date("dpf_fitted_on", self.dpf_fitted_on, &mut errors),
            obd_fitted: self.obd_fitted.get(),
            remote_terminal: self.remote_terminal.get(),
        };
        for (field, errs) in rules::validate(&mut input, browser_today()).0 {
            for e in errs {
                errors.add(&field, e);
            }
        }
        if errors.is_empty() { Ok(input) } else { Err(errors) }
    }
}

/// The machine form; `existing` is the machine being edited (with its version).
#[component]
fn MachineForm(existing: Option<Machine>) -> impl IntoView {
    let i18n = use_i18n();
    let form = Form::new(existing.as_ref().map(|m| &m.data));
    let version = RwSignal::new(existing.as_ref().map(|m| m.version));
    let id = existing.as_ref().map(|m| m.id);
    // A registered machine's registered facts are the county's record: shown, not editable
    // (the amendment form below the page asks for a change).
    let locked = existing.as_ref().is_some_and(|m| m.registration_code.is_some());
    let lock = move |field: &str| locked && is_registered_fact(field);
    let create = ServerAction::<CreateMachine>::new();
    let update = ServerAction::<UpdateMachine>::new();
    let local = RwSignal::new(None::<FieldErrors>);
    let types = Resource::new(|| (), |_| machine_types());
    let result = Signal::derive(move || update.value().get().or_else(|| create.value().get()));
    let error = Signal::derive(move || result.get().and_then(|r| r.err()));
    let fields = Signal::derive(move || local.get().or_else(|| error.get().and_then(|e| e.fields().cloned())));
    let banner = Signal::derive(move || error.get().filter(|e: &AppError| e.fields().is_none()));
    let saved = RwSignal::new(false);
    // One id per form shown: a repeated save of a new machine registers it once.
    let request_id = crate::ui::new_request_id();
    // What a filing will need of the machine as typed (the pre-check's own rule).
    let needs = Memo::new(move |_| {
        let stage = EmissionStage::parse(&form.stage.get()).unwrap_or(EmissionStage::Stage4);
        let made = chrono::NaiveDate::parse_from_str(form.manufactured_on.get().trim(), "%Y-%m-%d").ok();
        rules::filing_needs(stage, made)
    });
    let need = move |field: &'static str| Signal::derive(move || needs.with(|n| n.fields.contains(&field)));
    let navigate = use_navigate();
    Effect::new(move |_| match result.get() {
        Some(Ok(m)) => {
            if id.is_none() {
                navigate(&format!("/machines/{}", m.id), Default::default());
            } else {
                version.set(Some(m.version));
                saved.set(true);
            }
        }
        Some(Err(_)) => saved.set(false),
        None => {}
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if create.pending().get_untracked() || update.pending().get_untracked() {
            return;
        }
        saved.set(false);
        match form.input() {
            Err(errors) => local.set(Some(errors)),
            Ok(input) => {
                local.set(None);
                match (id, version.get()) {
                    (Some(id), Some(v)) => {
                        update.dispatch(UpdateMachine { id, version: v, input });
                    }
                    _ => {
                        create.dispatch(CreateMachine { input, request_id: Some(request_id) });
                    }
                }
            }
        }
    };
    let t = move |f: fn(Locale) -> &'static str| Signal::derive(move || f(i18n.get_locale()).to_owned());
    let pending = Signal::derive(move || create.pending().get() || update.pending().get());
    view! {
        <ErrorBanner error=banner />
        {move || saved.get().then(|| view! { <div class="banner banner-ok">{td_string!(i18n.get_locale(), common.saved)}</div> })}
        <form class="form" novalidate on:submit=submit data-testid="machine-form">
            {locked.then(|| view! { <p class="banner banner-warn small" data-testid="locked-hint">{t!(i18n, amendments.locked_hint)}</p> })}
            <p class="field-hint" data-testid="needs-legend">{t!(i18n, machines.needs_legend)}</p>
            {id.is_none().then(|| view! {
                <p class="field-hint" data-testid="needs-photos">
                    {move || {
                        let locale = i18n.get_locale();
                        let sep = if locale == Locale::zh { "、" } else { ", " };
                        let kinds = needs.with(|n| n.photos.iter().map(|k| photo_kind_label(locale, *k)).collect::<Vec<_>>().join(sep));
                        td_string!(locale, machines.needs_photos, kinds = kinds).to_string()
                    }}
                </p>
            })}
            <h2>{t!(i18n, machines.identity)}</h2>
            <div class="field">
                <label for="machine_type">{t!(i18n, machines.machine_type)}</label>
                <select id="machine_type" bind:value=form.machine_type disabled=lock("machine_type")>
                    <option value="">{t!(i18n, common.select)}</option>
                    <Transition fallback=|| ()>
                        {move || {
                            let locale = i18n.get_locale();
                            let current = form.machine_type.get_untracked();
                            types
                                .get()
                                .and_then(|r| r.ok())
                                .map(|list| {
                                    list.into_iter()
                                        .map(|t| {
                                            let label = if locale == Locale::zh { t.name_zh } else { t.name_en };
                                            let selected = t.code == current;
                                            view! { <option value=t.code selected=selected>{label}</option> }
                                        })
                                        .collect_view()
                                })
                        }}
                    </Transition>
                </select>
                <FieldErrorText errors=fields field="machine_type" />
            </div>
            <TextField id="name" label=t(|l| td_string!(l, machines.name)) value=form.name errors=fields />
            <div class="row2">
                <TextField id="brand" label=t(|l| td_string!(l, machines.brand)) value=form.brand errors=fields />
                <TextField id="model" label=t(|l| td_string!(l, machines.model)) value=form.model errors=fields />
            </div>
            <TextField id="pin" label=t(|l| td_string!(l, machines.pin)) value=form.pin errors=fields readonly=lock("pin") />
            <TextField id="env_code" label=t(|l| td_string!(l, machines.env_code)) value=form.env_code errors=fields hint=t(|l| td_string!(l, machines.env_code_hint)) readonly=lock("env_code") needed=need("env_code") />
            <TextField id="info_disclosure_no" label=t(|l| td_string!(l, machines.info_disclosure_no)) value=form.info_disclosure_no errors=fields />
            <TextField id="manufactured_on" label=t(|l| td_string!(l, machines.manufactured_on)) value=form.manufactured_on errors=fields kind="date" readonly=lock("manufactured_on") needed=need("manufactured_on") />
            <h2>{t!(i18n, machines.engine)}</h2>
            <div class="row2">
                <TextField id="engine_model" label=t(|l| td_string!(l, machines.engine_model)) value=form.engine_model errors=fields readonly=lock("engine_model") />
                <TextField id="engine_serial" label=t(|l| td_string!(l, machines.engine_serial)) value=form.engine_serial errors=fields readonly=lock("engine_serial") needed=need("engine_serial") />
            </div>
            <div class="row2">
                <TextField id="engine_maker" label=t(|l| td_string!(l, machines.engine_maker)) value=form.engine_maker errors=fields readonly=lock("engine_maker") />
                <TextField id="engine_approval_no" label=t(|l| td_string!(l, machines.engine_approval_no)) value=form.engine_approval_no errors=fields readonly=lock("engine_approval_no") />
            </div>
            <h2>{t!(i18n, machines.emissions)}</h2>
            <div class="row2">
                <div class="field">
                    <label for="emission_stage">{t!(i18n, machines.emission_stage)}</label>
                    <select id="emission_stage" bind:value=form.stage disabled=lock("emission_stage")>
                        {move || {
                            let locale = i18n.get_locale();
                            EmissionStage::ALL
                                .into_iter()
                                .map(|s| view! { <option value=s.as_str()>{stage_label(locale, s)}</option> })
                                .collect_view()
                        }}
                    </select>
                </div>
                <div class="field">
                    <label for="fuel_type">{t!(i18n, machines.fuel_type)}</label>
                    <select id="fuel_type" bind:value=form.fuel aria-describedby="fuel_type-error" disabled=lock("fuel_type")>
                        {move || {
                            let locale = i18n.get_locale();
                            FuelType::ALL
                                .into_iter()
                                .map(|f| view! { <option value=f.as_str()>{fuel_label(locale, f)}</option> })
                                .collect_view()
                        }}
                    </select>
                    <FieldErrorText errors=fields field="fuel_type" />
                </div>
            </div>
            <TextField id="rated_power_kw" label=t(|l| td_string!(l, machines.rated_power_kw)) value=form.power errors=fields kind="number" readonly=lock("rated_power_kw") />
            <div class="checks">
                <label><input type="checkbox" bind:checked=form.dpf_fitted disabled=lock("dpf_fitted") />{t!(i18n, machines.dpf_fitted)}</label>
                <label><input type="checkbox" bind:checked=form.obd_fitted disabled=lock("obd_fitted") />{t!(i18n, machines.obd_fitted)}</label>
                <label><input type="checkbox" bind:checked=form.remote_terminal disabled=lock("remote_terminal") />{t!(i18n, machines.remote_terminal)}</label>
            </div>
            <div class="row2">
                <TextField id="dpf_model" label=t(|l| td_string!(l, machines.dpf_model)) value=form.dpf_model errors=fields />
                <TextField id="dpf_maker" label=t(|l| td_string!(l, machines.dpf_maker)) value=form.dpf_maker errors=fields />
            </div>
            <TextField id="dpf_fitted_on" label=t(|l| td_string!(l, machines.dpf_fitted_on)) value=form.dpf_fitted_on errors=fields kind="date" />
            <button type="submit" class="button primary" disabled=pending>
                {move || if pending.get() { td_string!(i18n.get_locale(), common.saving) } else { td_string!(i18n.get_locale(), common.save) }}
            </button>
        </form>
    }
}

/// `/machines/new`
#[component]
pub fn MachineNewPage() -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <PageTitle text=move || td_string!(i18n.get_locale(), machines.new_title).to_string() />
        <section class="card narrow">
            <h1>{t!(i18n, machines.new_title)}</h1>
            <MachineForm existing=None />
        </section>
    }
}

/// `/machines/:id`: the machine, its photos and label, and the edit form.
#[component]
pub fn MachinePage() -> impl IntoView {
    let i18n = use_i18n();
    let params = use_params_map();
    let id = move || params.with(|p| p.get("id").and_then(|v| Uuid::parse_str(&v).ok()));
    let machine = Resource::new(id, |id| async move {
        match id {
            Some(id) => get_machine(id).await,
            None => Err(AppError::NotFound),
        }
    });
    let delete = ServerAction::<DeleteMachine>::new();
    let navigate = use_navigate();
    Effect::new(move |_| {
        if matches!(delete.value().get(), Some(Ok(()))) {
            navigate("/machines", Default::default());
        }
    });
    let delete_error = Signal::derive(move || delete.value().get().and_then(|r| r.err()));
    // `?uploaded=<kind>`: the photo form's post came back here.
    let query = use_query_map();
    let uploaded = move || query.with(|q| q.get("uploaded").and_then(|k| PhotoKind::parse(&k)));
    view! {
        <PageTitle text=move || td_string!(i18n.get_locale(), machines.edit_title).to_string() />
        <Transition fallback=move || view! { <p class="muted">{t!(i18n, common.loading)}</p> }>
            {move || {
                let locale = i18n.get_locale();
                machine
                    .get()
                    .map(|r| match r {
                        Err(e) => Either::Left(view! { <section class="card"><p class="banner banner-error">{e.message(locale)}</p></section> }),
                        Ok(m) => {
                            let mid = m.id;
                            let code = m.registration_code.clone();
                            let registered = code.is_some();
                            let label_href = format!("/api/v1/machines/{mid}/label.svg");
                            let print_href = format!("/labels?ids={mid}");
                            let photos = m.photos.clone();
                            let needed_photos = rules::filing_needs(m.data.emission_stage, m.data.manufactured_on).photos;
                            let for_amendments = m.clone();
                            Either::Right(view! {
                                <section class="card">
                                    <div class="card-head">
                                        <h1>{m.data.name.clone()}</h1>
                                        {match code.clone() {
                                            Some(c) => Either::Left(view! { <span class="badge badge-ok code" data-testid="registration-code">{c}</span> }),
                                            None => Either::Right(view! { <span class="badge">{td_string!(locale, machines.unregistered)}</span> }),
                                        }}
                                    </div>
                                    {code.map(|_| view! {
                                        <p class="actions">
                                            <a class="button" href=label_href target="_blank">{td_string!(locale, machines.label)}</a>
                                            <a class="button" href=print_href target="_blank">{td_string!(locale, machines.label_print)}</a>
                                        </p>
                                    })}
                                    <h2>{td_string!(locale, machines.photos)}</h2>
                                    {uploaded().map(|k| view! {
                                        <p class="banner banner-ok" role="status" data-testid="photo-uploaded">
                                            {td_string!(locale, machines.photo_uploaded, kind = photo_kind_label(locale, k)).to_string()}
                                        </p>
                                    })}
                                    <ul class="photos">
                                        {PhotoKind::ALL
                                            .into_iter()
                                            .map(|k| view! { <PhotoSlot machine=mid kind=k present=photos.contains(&k) needed=needed_photos.contains(&k) /> })
                                            .collect_view()}
                                    </ul>
                                </section>
                                <MachineTransfers machine=mid registered />
                                <section class="card narrow">
                                    <h2>{td_string!(locale, machines.edit_title)}</h2>
                                    <MachineForm existing=Some(m) />
                                    <ErrorBanner error=delete_error />
                                    <p>
                                        <button type="button" class="button danger" on:click=move |_| { delete.dispatch(DeleteMachine { id: mid }); }>
                                            {td_string!(locale, common.delete)}
                                        </button>
                                    </p>
                                </section>
                                <crate::amendments::pages::machine::AmendmentPanel machine=for_amendments />
                            })
                        }
                    })
            }}
        </Transition>
    }
}

/// One photo: the web copy when present, and an upload form (works without the WASM too: the
/// server answers the form post with a redirect back here).
#[component]
fn PhotoSlot(machine: Uuid, kind: PhotoKind, present: bool, needed: bool) -> impl IntoView {
    let i18n = use_i18n();
    let url = format!("/api/v1/machines/{machine}/photos/{}", kind.as_str());
    let img = format!("{url}?size=web");
    view! {
        <li class="photo" id=format!("photo-{}", kind.as_str())>
            <strong>
                {move || photo_kind_label(i18n.get_locale(), kind)}
                {needed.then(|| view! { " " <span class="badge badge-need" data-testid="needed">{move || td_string!(i18n.get_locale(), machines.needed_badge)}</span> })}
            </strong>
            {if present {
                Either::Left(view! { <img src=img alt=move || photo_kind_label(i18n.get_locale(), kind) loading="lazy" /> })
            } else {
                Either::Right(view! { <p class="muted">{move || td_string!(i18n.get_locale(), machines.photo_missing)}</p> })
            }}
            <form method="post" enctype="multipart/form-data" action=url>
                <input type="file" name="file" accept="image/jpeg,image/png,image/webp" capture="environment" required />
                <button type="submit" class="button">{move || td_string!(i18n.get_locale(), machines.photo_upload)}</button>
            </form>
        </li>
    }
}
