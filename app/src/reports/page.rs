//! `GET /report` (the public's report form: a plain page, no WASM, from 360 px up; a label's page
//! links to it with the machine's code) and `GET /report/sent` (the receipt after posting).
//! The form posts to `POST /api/v1/public/reports`, which answers a browser with a redirect to
//! the receipt.

use super::pages::kind_label;
use super::{DESCRIPTION_MAX, ReportKind};
use crate::db::entities::division;
use crate::i18n::*;
use crate::machines::labels::xml_escape;
use crate::public::rest::{document, locale_of};
use crate::service_error::ServiceError;
use crate::state::AppState;
use axum::extract::{Query, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde::Deserialize;
use std::fmt::Write as _;

const STYLE: &str = "form{display:grid;gap:.85rem}label{font-weight:600;display:block;margin-bottom:.25rem}\
input,select,textarea{width:100%;font:inherit;padding:.55rem .6rem;border:1px solid #b9c2bd;border-radius:8px;background:#fff}\
textarea{min-height:7rem}.hint{color:#5a625e;font-size:.85rem;margin:.2rem 0 0}.pair{display:grid;grid-template-columns:1fr 1fr;gap:.5rem}\
button{font:inherit;font-weight:700;padding:.75rem 1rem;border:0;border-radius:8px;background:#0b5d3b;color:#fff}\
.kinds{display:grid;gap:.35rem}.kinds label{font-weight:400;display:flex;gap:.5rem;align-items:center}.kinds input{width:auto}";

#[derive(Debug, Deserialize)]
pub struct FormQuery {
    #[serde(default)]
    code: Option<String>,
}

/// The counties to choose from, under their cities.
/// The province's counties under their cities, as `<select>` options. One query of the two
/// levels the form offers.
async fn county_options(state: &AppState) -> Result<String, sea_orm::DbErr> {
    let all = division::Entity::find()
        .filter(division::Column::Level.is_in(["city", "county"]))
        .order_by_asc(division::Column::Code)
        .all(&state.db)
        .await?;
    let mut out = String::new();
    for city in all.iter().filter(|d| d.level == "city") {
        let _ = write!(out, "<optgroup label=\"{}\">", xml_escape(&city.name));
        for c in all.iter().filter(|d| d.level == "county" && d.parent_code.as_deref() == Some(city.code.as_str())) {
            let _ = write!(out, "<option value=\"{}\">{}</option>", xml_escape(&c.code), xml_escape(&c.name));
        }
        out.push_str("</optgroup>");
    }
    Ok(out)
}

/// `GET /report`
pub async fn form(
    State(state): State<AppState>,
    Query(q): Query<FormQuery>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> Response {
    let locale = locale_of(raw.as_deref(), &headers);
    let code = q.code.unwrap_or_default().chars().filter(|c| c.is_ascii_alphanumeric()).take(20).collect::<String>();
    let other = if locale == Locale::zh { "en" } else { "zh" };
    let href =
        if code.is_empty() { format!("/report?lang={other}") } else { format!("/report?code={code}&lang={other}") };
    let counties = match county_options(&state).await {
        Ok(options) => options,
        Err(e) => {
            // Logged by the conversion; the caller reads only that the server failed.
            let error = crate::error::AppError::from(ServiceError::from(e));
            let message = crate::ui::messages::error_message(locale, &error);
            let status = StatusCode::from_u16(error.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            let body =
                format!("<section class=\"card\"><p class=\"status bad\">{}</p></section>", xml_escape(&message));
            return document(status, locale, &message, &href, &body, STYLE);
        }
    };
    let mut body = String::with_capacity(16_384);
    let _ = write!(
        body,
        "<section class=\"card\"><h1>{title}</h1><p class=\"hint\">{intro}</p>\
         <form method=\"post\" action=\"/api/v1/public/reports\" enctype=\"multipart/form-data\" data-testid=\"report-form\">\
         <div><label for=\"registration_code\">{code_label}</label><input id=\"registration_code\" name=\"registration_code\" value=\"{code}\" inputmode=\"numeric\" autocomplete=\"off\"><p class=\"hint\">{code_hint}</p></div>\
         <div><label for=\"county_code\">{county_label}</label><select id=\"county_code\" name=\"county_code\"><option value=\"\">{county_none}</option>{counties}</select><p class=\"hint\">{county_hint}</p></div>\
         <fieldset class=\"kinds\"><legend>{kind_label}</legend>",
        title = xml_escape(td_string!(locale, reports.form_title)),
        intro = xml_escape(td_string!(locale, reports.form_intro)),
        code_label = xml_escape(td_string!(locale, reports.registration_code)),
        code_hint = xml_escape(td_string!(locale, reports.code_hint)),
        county_label = xml_escape(td_string!(locale, reports.county)),
        county_none = xml_escape(td_string!(locale, reports.county_none)),
        county_hint = xml_escape(td_string!(locale, reports.county_hint)),
        counties = counties,
        kind_label = xml_escape(td_string!(locale, reports.kind)),
    );
    for (i, k) in ReportKind::ALL.into_iter().enumerate() {
        let _ = write!(
            body,
            "<label><input type=\"radio\" name=\"kind\" value=\"{}\"{}> {}</label>",
            k.as_str(),
            if i == 0 { " checked" } else { "" },
            xml_escape(kind_label(locale, k))
        );
    }
    let _ = write!(
        body,
        "</fieldset>\
         <div><label for=\"description\">{desc}</label><textarea id=\"description\" name=\"description\" required maxlength=\"{max}\"></textarea><p class=\"hint\">{desc_hint}</p></div>\
         <div><label for=\"photo\">{photos}</label><input id=\"photo\" name=\"photo\" type=\"file\" accept=\"image/jpeg,image/png,image/webp\" multiple><p class=\"hint\">{photos_hint}</p></div>\
         <div><label>{position}</label><div class=\"pair\"><input name=\"lat\" inputmode=\"decimal\" placeholder=\"{lat}\" aria-label=\"{lat}\"><input name=\"lng\" inputmode=\"decimal\" placeholder=\"{lng}\" aria-label=\"{lng}\"></div></div>\
         <div><label for=\"phone\">{phone}</label><input id=\"phone\" name=\"phone\" type=\"tel\" autocomplete=\"tel\"><p class=\"hint\">{phone_hint}</p></div>\
         <button type=\"submit\" data-testid=\"report-send\">{send}</button></form></section>",
        desc = xml_escape(td_string!(locale, reports.description)),
        max = DESCRIPTION_MAX,
        desc_hint = xml_escape(td_string!(locale, reports.description_hint)),
        photos = xml_escape(td_string!(locale, reports.photos)),
        photos_hint = xml_escape(td_string!(locale, reports.photos_hint)),
        position = xml_escape(td_string!(locale, reports.position)),
        lat = xml_escape(td_string!(locale, reports.lat)),
        lng = xml_escape(td_string!(locale, reports.lng)),
        phone = xml_escape(td_string!(locale, reports.phone)),
        phone_hint = xml_escape(td_string!(locale, reports.phone_hint)),
        send = xml_escape(td_string!(locale, reports.send)),
    );
    document(StatusCode::OK, locale, td_string!(locale, reports.form_title), &href, &body, STYLE)
}

#[derive(Debug, Deserialize)]
pub struct SentQuery {
    #[serde(default)]
    reference: Option<String>,
    #[serde(default)]
    county: Option<String>,
}

/// `GET /report/sent`
pub async fn sent(
    State(state): State<AppState>,
    Query(q): Query<SentQuery>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> Response {
    let locale = locale_of(raw.as_deref(), &headers);
    let reference = q.reference.as_deref().and_then(|r| crate::reference::normalize(r, super::service::REFERENCE_LEN));
    let county = match q.county.as_deref().filter(|c| crate::divisions::is_division_code(c)) {
        Some(c) => division::Entity::find()
            .filter(division::Column::Code.eq(c))
            .one(&state.db)
            .await
            .ok()
            .flatten()
            .map(|d| d.name),
        None => None,
    };
    let body = format!(
        "<section class=\"card\" data-testid=\"report-sent\"><h1>{}</h1><p class=\"status ok\">{}</p>\
         <p>{}: <span class=\"code\" data-testid=\"report-reference\">{}</span></p><p class=\"hint\">{}</p></section>",
        xml_escape(td_string!(locale, reports.sent_title)),
        xml_escape(&td_string!(locale, reports.sent_to, county = county.unwrap_or_default()).to_string()),
        xml_escape(td_string!(locale, reports.reference)),
        xml_escape(reference.as_deref().unwrap_or("—")),
        xml_escape(td_string!(locale, reports.sent_hint)),
    );
    let other = if locale == Locale::zh { "en" } else { "zh" };
    let href = format!(
        "/report/sent?reference={}&county={}&lang={other}",
        reference.as_deref().unwrap_or_default(),
        q.county.as_deref().filter(|c| crate::divisions::is_division_code(c)).unwrap_or_default()
    );
    document(StatusCode::OK, locale, td_string!(locale, reports.sent_title), &href, &body, STYLE)
}
