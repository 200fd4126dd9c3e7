//! `/field/inspect?code=&site=&case=`: record an inspection on a phone. The verdict is computed
//! on the phone as the readings are typed, by the same rule the server applies on submit.
//! With no network the form still works: the sites and the limit table are the copies the phone
//! kept, a code that cannot be looked up is recorded as typed (with the nameplate's facts for
//! the phone's verdict), and the inspection goes to the outbox, sent when the network returns.

use crate::cases::names::case_kind_label;
use crate::error::{AppError, FieldCode, FieldError, FieldErrors};
use crate::field::LookupMachine;
use crate::field::offline::{self, OutboxEntry, PhotoFiles};
use crate::field::pages::outbox::Outbox;
use crate::field::server_fns::lookup_machine;
use crate::i18n::*;
use crate::inspections::InspectionInput;
use crate::inspections::compliance::{EvaluateInput, Evaluation, Verdict};
use crate::inspections::names::{exemption_label, reason_message, verdict_label};
use crate::inspections::server_fns::{CreateInspection, current_limit_table};
use crate::machines::names::{fuel_label, stage_label};
use crate::machines::{EmissionStage, FuelType};
use crate::sites::server_fns::get_site;
use crate::ui::{ErrorBanner, FieldErrorText, PageTitle, new_request_id};
use leptos::either::EitherOf3;
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_query_map;
use uuid::Uuid;

/// The machine being inspected, as the phone knows it.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
enum Subject {
    Registered(Box<LookupMachine>),
    /// No code, or a code the register does not know: described by hand.
    Unregistered,
    /// A code that could not be looked up (no network): sent as typed, checked by the server.
    Unchecked,
}

fn verdict_class(v: Verdict) -> &'static str {
    match v {
        Verdict::Pass => "status-big ok",
        Verdict::Exempt => "status-big warn",
        Verdict::Fail => "status-big bad",
    }
}

/// The verdict with its class, limit, mean and reasons.
#[component]
fn VerdictView(evaluation: Evaluation, #[prop(optional)] testid: Option<&'static str>) -> impl IntoView {
    let i18n = use_i18n();
    let locale = i18n.get_locale_untracked();
    view! {
        <div class="verdict" data-testid=testid.unwrap_or("verdict")>
            <div class=verdict_class(evaluation.verdict)>{verdict_label(locale, evaluation.verdict)}</div>
            <dl class="facts">
                <dt>{td_string!(locale, field.limit_class)}</dt><dd>{evaluation.limit_class.map(|c| c.as_str()).unwrap_or("—")}</dd>
                <dt>{td_string!(locale, field.limit_k)}</dt><dd>{evaluation.limit_k.map(|k| format!("{k:.2} m⁻¹")).unwrap_or_else(|| "—".into())}</dd>
                <dt>{td_string!(locale, field.mean_k)}</dt><dd data-testid="mean-k">{evaluation.mean_k.map(|k| format!("{k:.2} m⁻¹")).unwrap_or_else(|| "—".into())}</dd>
            </dl>
            <ul class="warnings">
                {evaluation.reasons.into_iter().map(|r| view! { <li>{reason_message(locale, r)}</li> }).collect_view()}
            </ul>
        </div>
    }
}

/// `/field/inspect`
#[component]
pub fn InspectPage() -> impl IntoView {
    let i18n = use_i18n();
    let query = use_query_map();
    let code = query.with_untracked(|q| q.get("code")).unwrap_or_default();
    let case_id = query.with_untracked(|q| q.get("case")).and_then(|c| Uuid::parse_str(&c).ok());
    let site = RwSignal::new(query.with_untracked(|q| q.get("site")).unwrap_or_default());
    let sites = offline::kept_sites();
    // The chosen site, as the server sees it today (zone membership and rule included).
    let chosen = move || {
        let id = site.get();
        sites.get().and_then(|r| r.ok()).and_then(|list| list.into_iter().find(|s| s.id.to_string() == id))
    };
    // The table the server will judge with: the one in force today for the site's county (keyed
    // on the chosen site itself, so the page rendered on the server and the hydrated one agree).
    let table = Resource::new(
        move || site.get(),
        |id| async move {
            let county = match Uuid::parse_str(&id) {
                Ok(id) => get_site(id).await.ok().map(|s| s.county_code),
                Err(_) => None,
            };
            let fetched = current_limit_table(None, county).await;
            // With no network: the copy kept for the site's county, else the last one fetched.
            let county = Uuid::parse_str(&id).ok().and_then(offline::kept_site_county).unwrap_or_default();
            offline::or_kept(fetched, &[&offline::limits_key(&county), offline::LAST_LIMITS_KEY])
        },
    );
    offline::keep_copies(
        move || table.get().and_then(|r| r.ok()),
        move || {
            let mut keys = vec![offline::LAST_LIMITS_KEY.to_owned()];
            keys.extend(untrack(chosen).map(|s| offline::limits_key(&s.county_code)));
            keys
        },
    );
    let code_for_lookup = code.clone();
    let machine = Resource::new(
        || (),
        move |_| {
            let c = code_for_lookup.clone();
            async move {
                if c.is_empty() {
                    return Subject::Unregistered;
                }
                match lookup_machine(c, None).await {
                    Ok(r) => r.machine.map(|m| Subject::Registered(Box::new(m))).unwrap_or(Subject::Unregistered),
                    Err(AppError::Network) => Subject::Unchecked,
                    Err(_) => Subject::Unregistered,
                }
            }
        },
    );
    let readings = RwSignal::new(vec![String::new(), String::new(), String::new()]);
    // The inputs are uncontrolled (a number input rewritten while typing loses a trailing "."):
    // they are re-created only when one is added, from the values typed so far.
    let reading_count = RwSignal::new(3usize);
    let ringelmann = RwSignal::new(String::new());
    let exemption = RwSignal::new(String::new());
    // Asked, never assumed: a wrong default would open (or hide) a missing-label case.
    let label_present = RwSignal::new(None::<bool>);
    let notes = RwSignal::new(String::new());
    let description = RwSignal::new(String::new());
    let stage = RwSignal::new("stage_2".to_owned());
    let fuel = RwSignal::new("diesel".to_owned());
    let power = RwSignal::new(String::new());
    let create = ServerAction::<CreateInspection>::new();
    let auth = crate::ui::use_auth();
    let photos = NodeRef::<leptos::html::Input>::new();
    // Recorded on the phone (no network): the phone's verdict, sent later from the outbox.
    let queued = RwSignal::new(None::<Option<Evaluation>>);
    let registered = move || match machine.get() {
        Some(Subject::Registered(m)) => Some(*m),
        _ => None,
    };
    let unchecked = move || machine.get() == Some(Subject::Unchecked);
    let unregistered = move || machine.get() == Some(Subject::Unregistered);
    let local = RwSignal::new(None::<FieldErrors>);
    // One tap, one inspection: one request id for this form, sent with every submission of it
    // (a second tap, a retry after a lost answer get the first inspection back), and the button
    // is off while sending and once the inspection is recorded.
    let request_id = new_request_id();
    let recorded = move || matches!(create.value().get(), Some(Ok(_))) || queued.get().is_some();

    let site_lez = move || chosen().map(|s| s.low_emission_zone);
    let site_rule = move || chosen().and_then(|s| s.rule);
    let site_exemptions = move || chosen().map(|s| s.exemptions).unwrap_or_default();
    // The machine facts: from the look-up for a registered machine, typed from the nameplate otherwise.
    let facts = move || -> Option<(EmissionStage, FuelType, f64)> {
        match registered() {
            Some(m) => Some((m.emission_stage, m.fuel_type, m.rated_power_kw)),
            None => Some((
                EmissionStage::parse(&stage.get())?,
                FuelType::parse(&fuel.get())?,
                power.get().trim().parse::<f64>().ok()?,
            )),
        }
    };
    let parsed_readings = move || -> Option<Vec<f64>> {
        let filled: Vec<String> = readings.get().into_iter().filter(|r| !r.trim().is_empty()).collect();
        if filled.is_empty() {
            return None;
        }
        Some(filled.iter().map(|r| r.trim().parse::<f64>().unwrap_or(f64::NAN)).collect())
    };
    let ringelmann_level = move || ringelmann.get().trim().parse::<i32>().ok();
    // The live verdict: the shared rule over the limit table in force, recomputed on every keystroke.
    let preview = Memo::new(move |_| -> Option<Result<Evaluation, FieldErrors>> {
        let table = table.get()?.ok()?;
        let (emission_stage, fuel_type, rated_power_kw) = facts()?;
        let input = EvaluateInput {
            emission_stage,
            fuel_type,
            rated_power_kw,
            opacity_readings: parsed_readings(),
            ringelmann_level: ringelmann_level(),
            low_emission_zone: Some(site_lez().unwrap_or(false) && exemption.get().is_empty()),
            county_code: None,
        };
        Some(input.evaluate(&table.rows, site_rule()))
    });
    // No network is not an error here: the inspection went to the outbox.
    let error = Signal::derive(move || create.value().get().and_then(|r| r.err()).filter(|e| *e != AppError::Network));
    let fields = Signal::derive(move || {
        local.get().or_else(|| error.get().and_then(|e| e.fields().cloned())).or_else(|| match preview.get() {
            Some(Err(f)) if parsed_readings().is_some() || ringelmann_level().is_some() => Some(f),
            _ => None,
        })
    });
    let banner = Signal::derive(move || error.get().filter(|e: &AppError| e.fields().is_none()));
    // The form's input and photos while the server is asked: on its answer the photos follow
    // the inspection; with no answer (the network dropped) both go to the outbox, with the
    // same request id, so the server records the inspection once whether or not it arrived.
    let pending = StoredValue::new(None::<(InspectionInput, Option<PhotoFiles>)>);
    let storage_error = RwSignal::new(false);
    let to_outbox = {
        let code = code.clone();
        move |input: InspectionInput, photos: Option<PhotoFiles>| {
            let evaluation = preview.get_untracked().and_then(|p| p.ok());
            let recorded_by = offline::recorder(auth);
            let entry = OutboxEntry {
                id: input.request_id.unwrap_or_else(Uuid::new_v4),
                input: &input,
                code: Some(code.clone()).filter(|c| !c.is_empty()),
                site: untrack(chosen).map(|s| s.name),
                phone_verdict: evaluation.as_ref().map(|e| e.verdict),
                recorder: recorded_by.0,
                recorder_name: recorded_by.1,
            };
            let json = serde_json::to_string(&entry);
            leptos::task::spawn_local(async move {
                let added = match json {
                    Ok(json) => offline::outbox_add_json(json, photos).await,
                    Err(e) => Err(e.to_string()),
                };
                match added {
                    Ok(()) => queued.set(Some(evaluation)),
                    Err(_) => storage_error.set(true),
                }
            });
        }
    };
    let outbox_on_answer = to_outbox.clone();
    Effect::new(move |_| {
        let Some(result) = create.value().get() else { return };
        let Some((input, photos)) = pending.try_update_value(|p| p.take()).flatten() else { return };
        match result {
            Ok(ins) => {
                if let Some(photos) = photos {
                    leptos::task::spawn_local(async move {
                        if offline::outbox_add_photos(ins.id, photos, offline::recorder(auth)).await.is_err() {
                            storage_error.set(true);
                        }
                    });
                }
            }
            Err(AppError::Network) => outbox_on_answer(input, photos),
            Err(_) => {}
        }
    });
    let code_for_submit = code.clone();
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let mut errors = FieldErrors::new();
        let Ok(site_id) = Uuid::parse_str(&site.get()) else {
            errors.add("site_id", FieldError::new(FieldCode::Required));
            local.set(Some(errors));
            return;
        };
        let registered = untrack(registered);
        let unchecked = untrack(unchecked);
        if (registered.is_some() || unchecked) && label_present.get_untracked().is_none() {
            errors.add("label_present", FieldError::new(FieldCode::Required));
            local.set(Some(errors));
            return;
        }
        local.set(None);
        let now = chrono::DateTime::from_timestamp_millis(offline::now_ms() as i64).unwrap_or_default();
        let text = |s: RwSignal<String>| Some(s.get()).filter(|v| !v.trim().is_empty());
        let input = InspectionInput {
            machine_id: registered.as_ref().map(|m| m.id),
            registration_code: if registered.is_none() && !code_for_submit.is_empty() {
                Some(code_for_submit.clone())
            } else {
                None
            },
            site_id,
            inspected_at: now,
            lat: None,
            lng: None,
            opacity_readings: parsed_readings(),
            ringelmann_level: ringelmann_level(),
            label_present: if registered.is_some() || unchecked { label_present.get() } else { None },
            unregistered_description: if registered.is_none() && !unchecked { text(description) } else { None },
            emission_stage: if registered.is_none() { EmissionStage::parse(&stage.get()) } else { None },
            fuel_type: if registered.is_none() { FuelType::parse(&fuel.get()) } else { None },
            rated_power_kw: if registered.is_none() { power.get().trim().parse().ok() } else { None },
            notes: text(notes),
            case_id,
            zone_exemption: if site_lez().unwrap_or(false) { text(exemption) } else { None },
            request_id: Some(request_id),
        };
        if create.pending().get_untracked() || untrack(recorded) {
            return;
        }
        let chosen_photos = PhotoFiles::of(&photos);
        storage_error.set(false);
        if offline::offline() {
            to_outbox(input, chosen_photos);
        } else {
            pending.set_value(Some((input.clone(), chosen_photos)));
            create.dispatch(CreateInspection { input });
        }
    };
    view! {
        <PageTitle text=move || td_string!(i18n.get_locale(), field.inspect_title).to_string() />
        <section class="card field-card">
            <h1>{t!(i18n, field.inspect_title)}</h1>
            <ErrorBanner error=banner />
            {move || storage_error.get().then(|| view! { <p class="banner banner-error">{t!(i18n, outbox.storage_error)}</p> })}
            <Transition fallback=|| ()>
                {move || {
                    let locale = i18n.get_locale();
                    match machine.get() {
                        Some(Subject::Registered(m)) => EitherOf3::A(view! {
                            <p class="machine-line">
                                <strong>{m.name.clone()}</strong> " · " <span class="code">{m.registration_code.clone().unwrap_or_default()}</span>
                                " · " {stage_label(locale, m.emission_stage)} " · " {fuel_label(locale, m.fuel_type)} " · " {format!("{} kW", m.rated_power_kw)}
                            </p>
                        }),
                        Some(Subject::Unchecked) => EitherOf3::B(view! {
                            <p class="banner banner-warn" data-testid="machine-unchecked">
                                <span class="code">{code.clone()}</span> " · " {td_string!(locale, outbox.code_unchecked)}
                            </p>
                        }),
                        _ => EitherOf3::C(view! { <p class="badge badge-bad">{td_string!(locale, inspections.unregistered)}</p> }),
                    }
                }}
            </Transition>
            <form class="form" novalidate on:submit=submit data-testid="inspection-form">
                <div class="field">
                    <label for="site_id">{t!(i18n, field.site)}</label>
                    <select id="site_id" bind:value=site>
                        <option value="">{t!(i18n, common.select)}</option>
                        <crate::field::SiteOptions sites=Signal::derive(move || sites.get().and_then(|r| r.ok())) selected=site />
                    </select>
                    <FieldErrorText errors=fields field="site_id" />
                    // Read from the sites resource: inside a Transition, so the server waits
                    // for it and the page hydrates what it rendered.
                    <Transition fallback=|| ()>
                        {move || site_lez().unwrap_or(false).then(|| view! { <p class="badge badge-warn">{td_string!(i18n.get_locale(), field.in_zone)}</p> })}
                    </Transition>
                </div>
                <Transition fallback=|| ()>
                {move || (site_lez().unwrap_or(false) && !site_exemptions().is_empty()).then(|| view! {
                    <div class="field">
                        <label for="zone_exemption">{t!(i18n, field.zone_exemption)}</label>
                        <select id="zone_exemption" bind:value=exemption>
                            <option value="">{t!(i18n, field.zone_exemption_none)}</option>
                            {site_exemptions().into_iter().map(|e| {
                                let value = e.clone();
                                view! { <option value=value>{move || exemption_label(i18n.get_locale(), &e)}</option> }
                            }).collect_view()}
                        </select>
                        <FieldErrorText errors=fields field="zone_exemption" />
                    </div>
                })}
                </Transition>
                <Transition fallback=|| ()>
                    {move || (unregistered() || unchecked()).then(|| view! {
                        {move || unregistered().then(|| view! {
                            <div class="field">
                                <label for="unregistered_description">{t!(i18n, field.unregistered_description)}</label>
                                <textarea id="unregistered_description" rows="2" bind:value=description></textarea>
                                <FieldErrorText errors=fields field="unregistered_description" />
                            </div>
                        })}
                        {move || unchecked().then(|| view! { <p class="field-hint">{t!(i18n, outbox.nameplate_hint)}</p> })}
                        <div class="row2">
                            <div class="field">
                                <label for="emission_stage">{t!(i18n, machines.emission_stage)}</label>
                                <select id="emission_stage" bind:value=stage>
                                    {EmissionStage::ALL.into_iter().map(|s| view! { <option value=s.as_str()>{move || stage_label(i18n.get_locale(), s)}</option> }).collect_view()}
                                </select>
                            </div>
                            <div class="field">
                                <label for="fuel_type">{t!(i18n, machines.fuel_type)}</label>
                                <select id="fuel_type" bind:value=fuel>
                                    {FuelType::ALL.into_iter().map(|f| view! { <option value=f.as_str()>{move || fuel_label(i18n.get_locale(), f)}</option> }).collect_view()}
                                </select>
                            </div>
                        </div>
                        <div class="field">
                            <label for="rated_power_kw">{t!(i18n, machines.rated_power_kw)}</label>
                            <input id="rated_power_kw" type="number" inputmode="decimal" bind:value=power />
                            <FieldErrorText errors=fields field="rated_power_kw" />
                        </div>
                    })}
                </Transition>
                <fieldset class="field">
                    <legend>{t!(i18n, field.readings)}</legend>
                    <p class="field-hint">{t!(i18n, field.readings_hint)}</p>
                    <div class="readings">
                        {move || (0..reading_count.get()).map(|i| view! {
                            <input
                                type="number"
                                step="0.01"
                                min="0"
                                inputmode="decimal"
                                class="reading"
                                data-testid=format!("reading-{i}")
                                aria-label=move || format!("{} {}", td_string!(i18n.get_locale(), field.readings), i + 1)
                                value=readings.with_untracked(|r| r.get(i).cloned().unwrap_or_default())
                                on:input=move |ev| {
                                    let v = event_target_value(&ev);
                                    readings.update(|r| if let Some(x) = r.get_mut(i) { *x = v; });
                                }
                            />
                        }).collect_view()}
                    </div>
                    <button
                        type="button"
                        class="button"
                        on:click=move |_| {
                            readings.update(|r| r.push(String::new()));
                            reading_count.update(|n| *n += 1);
                        }
                    >
                        {t!(i18n, field.add_reading)}
                    </button>
                    <FieldErrorText errors=fields field="opacity_readings" />
                </fieldset>
                <div class="field">
                    <label for="ringelmann">{t!(i18n, field.ringelmann)}</label>
                    <select id="ringelmann" bind:value=ringelmann>
                        <option value="">{t!(i18n, field.ringelmann_none)}</option>
                        {(0..=5).map(|l| view! { <option value=l.to_string()>{l}</option> }).collect_view()}
                    </select>
                    <FieldErrorText errors=fields field="ringelmann_level" />
                </div>
                <Transition fallback=|| ()>
                    {move || (registered().is_some() || unchecked()).then(|| view! {
                        <fieldset class="field choice" data-testid="label-present" aria-describedby="label_present-error">
                            <legend>{t!(i18n, field.label_present)}</legend>
                            <label class="pick">
                                <input type="radio" name="label_present" value="yes" prop:checked=move || label_present.get() == Some(true) on:change=move |_| label_present.set(Some(true)) />
                                {t!(i18n, field.label_yes)}
                            </label>
                            <label class="pick">
                                <input type="radio" name="label_present" value="no" prop:checked=move || label_present.get() == Some(false) on:change=move |_| label_present.set(Some(false)) />
                                {t!(i18n, field.label_no)}
                            </label>
                            <FieldErrorText errors=fields field="label_present" />
                        </fieldset>
                    })}
                </Transition>
                <div class="field">
                    <label for="notes">{t!(i18n, field.notes)}</label>
                    <textarea id="notes" rows="2" bind:value=notes></textarea>
                </div>
                <div class="field">
                    <label for="photos">{t!(i18n, outbox.photos_label)}</label>
                    <input id="photos" type="file" accept="image/jpeg,image/png,image/webp" capture="environment" multiple node_ref=photos data-testid="inspection-photos" />
                    <p class="field-hint">{t!(i18n, outbox.photos_hint)}</p>
                </div>
                <h2>{t!(i18n, field.verdict_preview)}</h2>
                <Transition fallback=|| ()>
                    {move || table.get().and_then(|r| r.ok()).map(|t| {
                        let locale = i18n.get_locale();
                        let whose = t.division_name.clone().unwrap_or_else(|| td_string!(locale, limits.national).to_string());
                        view! { <p class="muted" data-testid="judging-table">{td_string!(locale, field.judged_with)} ": " {t.version} " · " {whose}</p> }
                    })}
                </Transition>
                {move || preview.get().and_then(|p| p.ok()).map(|e| view! { <VerdictView evaluation=e testid="verdict-preview" /> })}
                <button type="submit" class="button primary big" data-testid="record-inspection" disabled=move || create.pending().get() || recorded()>{t!(i18n, field.submit)}</button>
            </form>
        </section>
        {move || create.value().get().and_then(|r| r.ok()).map(|ins| {
            let locale = i18n.get_locale();
            let evaluation = Evaluation {
                verdict: ins.verdict,
                limit_class: ins.limit_class,
                limit_k: ins.limit_k,
                mean_k: ins.mean_k,
                ringelmann_max: None,
                reasons: ins.reasons.clone(),
                low_emission_zone: ins.low_emission_zone,
                zone_min_stage: None,
            };
            view! {
                <section class="card" data-testid="inspection-result">
                    <p class="banner banner-ok">{td_string!(locale, field.recorded)}</p>
                    <VerdictView evaluation=evaluation testid="verdict-confirmed" />
                    <p><A href=format!("/inspections/{}", ins.id)>{td_string!(locale, field.add_photos)}</A></p>
                    {ins.opened_cases.clone().into_iter().map(|c| {
                        let href = format!("/cases/{}", c.id);
                        view! { <p data-testid="case-opened">{td_string!(locale, field.case_opened)} " " <A href=href>{case_kind_label(locale, c.kind)}</A></p> }
                    }).collect_view()}
                </section>
            }
        })}
        {move || queued.get().map(|evaluation| {
            let locale = i18n.get_locale();
            view! {
                <section class="card" data-testid="inspection-queued">
                    <p class="banner banner-warn">{td_string!(locale, outbox.saved_on_phone)}</p>
                    {evaluation.map(|e| view! { <VerdictView evaluation=e testid="verdict-phone" /> })}
                </section>
            }
        })}
        <Outbox />
    }
}
