//! `/audit`: the audit log with filters (a plain GET form, so it works before the WASM loads),
//! one card per row, the changed fields of an update, and a link to the next page.

use super::server_fns::search_audit;
use super::{Action, AuditEntry, AuditFilter, EntityKind};
use crate::i18n::*;
use crate::ui::PageTitle;
use leptos::either::Either;
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_query_map;
use serde_json::Value;

/// The localised name of an action.
pub fn action_label(locale: Locale, a: Action) -> &'static str {
    match a {
        Action::Create => td_string!(locale, audit.action_create),
        Action::Update => td_string!(locale, audit.action_update),
        Action::Delete => td_string!(locale, audit.action_delete),
        Action::Review => td_string!(locale, audit.action_review),
        Action::Resubmit => td_string!(locale, audit.action_resubmit),
        Action::Close => td_string!(locale, audit.action_close),
        Action::Transition => td_string!(locale, audit.action_transition),
        Action::Enable => td_string!(locale, audit.action_enable),
        Action::Disable => td_string!(locale, audit.action_disable),
        Action::SignIn => td_string!(locale, audit.action_sign_in),
        Action::SignInFailed => td_string!(locale, audit.action_sign_in_failed),
        Action::SignOut => td_string!(locale, audit.action_sign_out),
        Action::Import => td_string!(locale, audit.action_import),
        Action::Revoke => td_string!(locale, audit.action_revoke),
        Action::Request => td_string!(locale, audit.action_request),
        Action::Accept => td_string!(locale, audit.action_accept),
        Action::Decline => td_string!(locale, audit.action_decline),
        Action::Cancel => td_string!(locale, audit.action_cancel),
        Action::Allow => td_string!(locale, audit.action_allow),
        Action::Withdraw => td_string!(locale, audit.action_withdraw),
    }
}

/// The localised name of an entity kind.
pub fn entity_label(locale: Locale, k: EntityKind) -> &'static str {
    match k {
        EntityKind::Account => td_string!(locale, audit.entity_account),
        EntityKind::ApiToken => td_string!(locale, audit.entity_api_token),
        EntityKind::Organization => td_string!(locale, audit.entity_organization),
        EntityKind::Machine => td_string!(locale, audit.entity_machine),
        EntityKind::MachinePhoto => td_string!(locale, audit.entity_machine_photo),
        EntityKind::Site => td_string!(locale, audit.entity_site),
        EntityKind::Filing => td_string!(locale, audit.entity_filing),
        EntityKind::Movement => td_string!(locale, audit.entity_movement),
        EntityKind::LimitTable => td_string!(locale, audit.entity_limit_table),
        EntityKind::Zone => td_string!(locale, audit.entity_zone),
        EntityKind::Inspection => td_string!(locale, audit.entity_inspection),
        EntityKind::InspectionNote => td_string!(locale, audit.entity_inspection_note),
        EntityKind::Case => td_string!(locale, audit.entity_case),
        EntityKind::CaseNote => td_string!(locale, audit.entity_case_note),
        EntityKind::EvidencePhoto => td_string!(locale, audit.entity_evidence_photo),
        EntityKind::Notification => td_string!(locale, audit.entity_notification),
        EntityKind::MachineType => td_string!(locale, audit.entity_machine_type),
        EntityKind::Division => td_string!(locale, audit.entity_division),
        EntityKind::Request => td_string!(locale, audit.entity_request),
        EntityKind::Transfer => td_string!(locale, audit.entity_transfer),
        EntityKind::Amendment => td_string!(locale, audit.entity_amendment),
        EntityKind::WatchEntry => td_string!(locale, audit.entity_watch_entry),
        EntityKind::PlanWeights => td_string!(locale, audit.entity_plan_weights),
        EntityKind::InspectionRoute => td_string!(locale, audit.entity_inspection_route),
        EntityKind::Certificate => td_string!(locale, audit.entity_certificate),
        EntityKind::PublicReport => td_string!(locale, audit.entity_public_report),
    }
}

fn flatten(prefix: &str, v: &Value, out: &mut Vec<(String, Value)>) {
    match v {
        Value::Object(map) => {
            for (k, child) in map {
                let key = if prefix.is_empty() { k.clone() } else { format!("{prefix}.{k}") };
                flatten(&key, child, out);
            }
        }
        other => out.push((prefix.to_owned(), other.clone())),
    }
}

/// The fields that differ between `before` and `after` (nested objects by dotted path), with
/// their old and new values; bookkeeping fields (`version`, `updated_at`) are left out.
pub fn changed_fields(before: &Value, after: &Value) -> Vec<(String, Value, Value)> {
    let (mut b, mut a) = (Vec::new(), Vec::new());
    flatten("", before, &mut b);
    flatten("", after, &mut a);
    let old: std::collections::BTreeMap<String, Value> = b.into_iter().collect();
    let new: std::collections::BTreeMap<String, Value> = a.into_iter().collect();
    let mut keys: Vec<&String> = old.keys().chain(new.keys()).collect();
    keys.sort();
    keys.dedup();
    keys.into_iter()
        .filter(|k| !matches!(k.as_str(), "version" | "updated_at"))
        .filter_map(|k| {
            let o = old.get(k).cloned().unwrap_or(Value::Null);
            let n = new.get(k).cloned().unwrap_or(Value::Null);
            (o != n).then(|| (k.clone(), o, n))
        })
        .collect()
}

fn show(v: &Value) -> String {
    match v {
        Value::Null => "—".into(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn when(e: &AuditEntry) -> String {
    e.at.with_timezone(&crate::dates::china()).format("%Y-%m-%d %H:%M:%S").to_string()
}

#[component]
fn EntryCard(entry: AuditEntry) -> impl IntoView {
    let i18n = use_i18n();
    let locale = i18n.get_locale_untracked();
    let changes = match (&entry.before, &entry.after) {
        (Some(b), Some(a)) => Either::Left(
            changed_fields(b, a)
                .into_iter()
                .map(|(k, o, n)| view! { <li><code>{k}</code> ": " {show(&o)} " → " {show(&n)}</li> })
                .collect_view(),
        ),
        (b, a) => {
            let text = a.as_ref().or(b.as_ref()).map(|v| serde_json::to_string_pretty(v).unwrap_or_default());
            Either::Right(text.map(|t| view! { <li><pre class="json">{t}</pre></li> }))
        }
    };
    let bad = matches!(entry.action, Action::SignInFailed | Action::Request | Action::Delete);
    view! {
        <li class=if bad { "item overdue" } else { "item" } data-testid="audit-entry">
            <div class="item-main">
                <strong>{action_label(locale, entry.action)} " · " {entity_label(locale, entry.entity_kind)}</strong>
                <span class="muted">{when(&entry)}</span>
            </div>
            <div class="muted">
                {entry.actor_username.clone().unwrap_or_else(|| td_string!(locale, audit.anonymous).to_string())}
                " · " {entry.ip.clone().unwrap_or_default()}
                {entry.division_code.clone().map(|d| format!(" · {d}"))}
            </div>
            <div class="muted small">
                {entry.entity_id.clone().map(|id| format!("{}: {id}", td_string!(locale, audit.entity_id)))}
                {entry.request_id.clone().map(|id| format!(" · {}: {id}", td_string!(locale, audit.request_id)))}
            </div>
            <details>
                <summary>{td_string!(locale, audit.changes)}</summary>
                <ul class="log">{changes}</ul>
            </details>
        </li>
    }
}

/// `/audit`
#[component]
pub fn AuditPage() -> impl IntoView {
    let i18n = use_i18n();
    let query = use_query_map();
    let param = move |name: &str| query.with(|q| q.get(name).filter(|v| !v.trim().is_empty()));
    let filter = move || AuditFilter {
        actor: param("actor"),
        action: param("action").and_then(|a| Action::parse(&a)),
        entity: param("entity").and_then(|k| EntityKind::parse(&k)),
        entity_id: param("entity_id"),
        from: param("from"),
        to: param("to"),
    };
    let rows = Resource::new(move || (filter(), param("cursor")), |(f, cursor)| search_audit(f, cursor));
    let next_href = move |cursor: String| {
        let mut query = form_urlencoded::Serializer::new(String::new());
        for k in ["actor", "action", "entity", "entity_id", "from", "to"] {
            if let Some(v) = param(k) {
                query.append_pair(k, &v);
            }
        }
        query.append_pair("cursor", &cursor);
        format!("/audit?{}", query.finish())
    };
    view! {
        <PageTitle text=move || td_string!(i18n.get_locale(), audit.title).to_string() />
        <section class="card">
            <h1>{t!(i18n, audit.heading)}</h1>
            {move || {
                let locale = i18n.get_locale();
                let f = filter();
                view! {
                    <form class="form inline" method="get" action="/audit" role="search" data-testid="audit-filters">
                        <input name="actor" placeholder=td_string!(locale, audit.actor) aria-label=td_string!(locale, audit.actor) value=f.actor.clone().unwrap_or_default() />
                        <select name="action" aria-label=td_string!(locale, audit.action)>
                            <option value="">{td_string!(locale, audit.action)} ": " {td_string!(locale, audit.any)}</option>
                            {Action::ALL.into_iter().map(|a| view! {
                                <option value=a.as_str() selected=f.action == Some(a)>{action_label(locale, a)}</option>
                            }).collect_view()}
                        </select>
                        <select name="entity" aria-label=td_string!(locale, audit.entity)>
                            <option value="">{td_string!(locale, audit.entity)} ": " {td_string!(locale, audit.any)}</option>
                            {EntityKind::ALL.into_iter().map(|k| view! {
                                <option value=k.as_str() selected=f.entity == Some(k)>{entity_label(locale, k)}</option>
                            }).collect_view()}
                        </select>
                        <input name="entity_id" placeholder=td_string!(locale, audit.entity_id) aria-label=td_string!(locale, audit.entity_id) value=f.entity_id.clone().unwrap_or_default() />
                        <label>{td_string!(locale, audit.from)} " " <input name="from" type="date" value=f.from.clone().unwrap_or_default() /></label>
                        <label>{td_string!(locale, audit.to)} " " <input name="to" type="date" value=f.to.clone().unwrap_or_default() /></label>
                        <button type="submit" class="button">{td_string!(locale, audit.filter)}</button>
                    </form>
                }
            }}
            <Transition fallback=move || view! { <p class="muted">{t!(i18n, common.loading)}</p> }>
                {move || {
                    let locale = i18n.get_locale();
                    rows.get().map(|r| match r {
                        Err(e) => Either::Left(view! { <p class="banner banner-error">{e.message(locale)}</p> }),
                        Ok(page) => Either::Right(view! {
                            {page.items.is_empty().then(|| view! { <p class="muted">{td_string!(locale, common.empty)}</p> })}
                            <ul class="cards" data-testid="audit-list">
                                {page.items.into_iter().map(|e| view! { <EntryCard entry=e /> }).collect_view()}
                            </ul>
                            {page.next_cursor.map(|c| view! {
                                <p><A href=next_href(c) attr:class="button">{td_string!(locale, audit.next_page)}</A></p>
                            })}
                        }),
                    })
                }}
            </Transition>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn changed_fields_lists_only_differences() {
        let before = json!({"version": 1, "data": {"name": "A", "brand": "X"}, "updated_at": "t1"});
        let after = json!({"version": 2, "data": {"name": "B", "brand": "X"}, "updated_at": "t2"});
        assert_eq!(changed_fields(&before, &after), vec![("data.name".to_owned(), json!("A"), json!("B"))]);
    }
}
