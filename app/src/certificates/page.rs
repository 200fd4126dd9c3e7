//! `GET /c/{code}`: a certificate as a plain page (no WASM), readable on a phone and print-ready
//! on A4: whether it is current, the site, its filings in force with their machines, the
//! unresolved cases, and the QR code of this address. Counted against the caller's address like
//! the label page.

use super::{Certificate, CertificateStatus, service};
use crate::cases::names::{case_kind_label, case_state_label};
use crate::error::AppError;
use crate::i18n::*;
use crate::inspections::compliance::Verdict;
use crate::inspections::names::verdict_label;
use crate::machines::labels::{qr_svg, xml_escape};
use crate::machines::names::stage_label;
use crate::public::rest::{admit_key, document, locale_of, rate_limited};
use crate::rest::extract::ClientIp;
use crate::state::AppState;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use std::fmt::Write as _;

/// The certificate's own layout: wider, with a table, and A4 when printed.
const STYLE: &str = "main{max-width:52rem}.cert-head{display:flex;gap:1rem;align-items:flex-start;justify-content:space-between;flex-wrap:wrap}\
.cert-head .qr{width:34mm;height:34mm;flex:none}table{width:100%;border-collapse:collapse;margin:.5rem 0 1rem;font-size:.95rem}\
th,td{text-align:left;padding:.35rem .4rem;border-bottom:1px solid #dfe4e1;vertical-align:top}th{color:#5a625e;font-weight:600;font-size:.85rem}\
td.code{font:600 .9rem/1.3 'DejaVu Sans Mono',Consolas,monospace;letter-spacing:0;white-space:nowrap;margin:0}\
h2{font-size:1rem;margin:1rem 0 .25rem}.muted{color:#5a625e;font-size:.875rem}.table-wrap{overflow-x:auto}\
@page{size:A4;margin:14mm}@media print{body{background:#fff;font-size:12px}table{font-size:11px}header,footer,.no-print{display:none}main{max-width:none;padding:0}.card{box-shadow:none;padding:0}}";

/// `GET /c/{code}`
pub async fn page(
    State(state): State<AppState>,
    ip: ClientIp,
    Path(code): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    let locale = locale_of(query.as_deref(), &headers);
    let other = if locale == Locale::zh { "en" } else { "zh" };
    let href = match super::normalize_code(&code) {
        Some(c) => format!("/c/{c}?lang={other}"),
        None => format!("?lang={other}"),
    };
    if let Err(secs) = admit_key(&state, &super::limit_key(&ip.0)) {
        return rate_limited(locale, secs, &href, STYLE);
    }
    match service::check(&state, &code).await.map_err(AppError::from) {
        Ok(c) => {
            let title = td_string!(locale, certificates.title).to_string();
            document(StatusCode::OK, locale, &title, &href, &body(locale, &c), STYLE)
        }
        Err(AppError::NotFound) => {
            let title = td_string!(locale, certificates.not_found_title).to_string();
            let body = format!(
                "<section class=\"card\" data-testid=\"certificate-unknown\"><h1>{}</h1><p class=\"status bad\">{}</p></section>",
                xml_escape(&title),
                xml_escape(td_string!(locale, certificates.not_found_body))
            );
            document(StatusCode::NOT_FOUND, locale, &title, &href, &body, STYLE)
        }
        Err(other) => {
            let message = crate::ui::messages::error_message(locale, &other);
            let status = StatusCode::from_u16(other.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            let body =
                format!("<section class=\"card\"><p class=\"status bad\">{}</p></section>", xml_escape(&message));
            document(status, locale, &message, &href, &body, STYLE)
        }
    }
}

fn body(locale: Locale, c: &Certificate) -> String {
    let f = &c.facts;
    let issued = c.issued_at.with_timezone(&crate::dates::china()).format("%Y-%m-%d %H:%M").to_string();
    let (class, status, state) = match c.status {
        CertificateStatus::Current => ("ok", td_string!(locale, certificates.current), "current"),
        CertificateStatus::Superseded => ("bad", td_string!(locale, certificates.superseded), "superseded"),
    };
    let qr = qr_svg(&c.verify_url, 0.0, 0.0, 34.0).unwrap_or_default();
    let mut out = String::with_capacity(8192);
    let _ = write!(
        out,
        "<section class=\"card\" data-testid=\"certificate\" data-status=\"{state}\"><div class=\"cert-head\"><div>\
         <h1>{heading}</h1><p class=\"muted\">{genuine}</p><p>{code_label}: <span class=\"code\" data-testid=\"certificate-code\">{code}</span></p></div>{qr}</div>\
         <p class=\"status {class}\" data-testid=\"certificate-status\">{status}</p><dl>",
        heading = xml_escape(td_string!(locale, certificates.heading)),
        genuine = xml_escape(&td_string!(locale, certificates.genuine, date = issued).to_string()),
        code_label = xml_escape(td_string!(locale, certificates.code)),
        code = xml_escape(&c.code),
        status = xml_escape(status),
    );
    let mut dl = |label: &str, value: &str| {
        let _ = write!(out, "<dt>{}</dt><dd>{}</dd>", xml_escape(label), xml_escape(value));
    };
    dl(td_string!(locale, certificates.site), &f.site_name);
    dl(td_string!(locale, certificates.unit), &f.organization_name);
    dl(td_string!(locale, certificates.county), &f.county_name);
    dl(td_string!(locale, certificates.address), &f.address);
    if let Some(p) = &f.permit_no {
        dl(td_string!(locale, certificates.permit), p);
    }
    let _ = write!(out, "</dl><h2>{}</h2>", xml_escape(td_string!(locale, certificates.filings)));
    for filing in &f.filings {
        let period = td_string!(
            locale,
            certificates.filing_period,
            from = filing.planned_entry_on.to_string(),
            to = filing.planned_exit_on.to_string()
        )
        .to_string();
        let _ = write!(
            out,
            "<p class=\"muted\">{}</p><div class=\"table-wrap\"><table><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr></thead><tbody>",
            xml_escape(&period),
            xml_escape(td_string!(locale, certificates.registration_code)),
            xml_escape(td_string!(locale, certificates.machine)),
            xml_escape(td_string!(locale, certificates.stage)),
            xml_escape(td_string!(locale, certificates.last_verdict)),
        );
        for m in &filing.machines {
            let verdict = match (m.last_verdict, m.last_inspected_on) {
                (Some(v), Some(d)) => format!("{} · {d}", verdict_label(locale, v)),
                _ => td_string!(locale, certificates.not_inspected).to_owned(),
            };
            let bad = if m.last_verdict == Some(Verdict::Fail) { " class=\"bad-text\"" } else { "" };
            let _ = write!(
                out,
                "<tr data-testid=\"certificate-machine\"><td class=\"code\">{}</td><td>{}</td><td>{}</td><td{bad}>{}</td></tr>",
                xml_escape(m.registration_code.as_deref().unwrap_or(td_string!(locale, certificates.unregistered))),
                xml_escape(&m.name),
                xml_escape(stage_label(locale, m.emission_stage)),
                xml_escape(&verdict),
            );
        }
        out.push_str("</tbody></table></div>");
    }
    let _ = write!(out, "<h2>{}</h2>", xml_escape(td_string!(locale, certificates.cases)));
    if f.unresolved_cases.is_empty() {
        let _ = write!(
            out,
            "<p data-testid=\"certificate-no-cases\">{}</p>",
            xml_escape(td_string!(locale, certificates.no_cases))
        );
    } else {
        out.push_str("<ul>");
        for k in &f.unresolved_cases {
            let _ = write!(
                out,
                "<li data-testid=\"certificate-case\">{} · {} · {} · <span class=\"code\">{}</span></li>",
                xml_escape(case_kind_label(locale, k.kind)),
                xml_escape(case_state_label(locale, k.state)),
                k.opened_on,
                xml_escape(k.registration_code.as_deref().unwrap_or("—")),
            );
        }
        out.push_str("</ul>");
    }
    let _ = write!(
        out,
        "<p class=\"muted\">{}</p><p class=\"muted no-print\">{}</p></section>",
        xml_escape(&td_string!(locale, certificates.verify, url = c.verify_url.clone()).to_string()),
        xml_escape(td_string!(locale, certificates.print)),
    );
    out
}
