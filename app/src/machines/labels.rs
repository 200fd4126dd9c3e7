//! Registration labels: an SVG sticker per registered machine (a QR code of its public
//! verification URL, the registration code in large type, the machine type, the emission stage
//! and the owner), served alone at `GET /api/v1/machines/{id}/label.svg` and laid out ten to an
//! A4 sheet at `GET /labels?ids=…` for printing. Labels are printed in Chinese.

use super::EmissionStage;
use super::service::{find_visible, scope_condition};
use crate::auth::Scope;
use crate::auth::service::Principal;
use crate::db::entities::{machine, machine_type, organization};
use crate::error::{AppError, ConflictCode};
use crate::i18n::*;
use crate::rest::extract::{ApiPath, ApiResult, Caller, ErrorBody};
use crate::service_error::{ServiceError, ServiceResult};
use crate::state::AppState;
use axum::Router;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use qrcode::{Color, EcLevel, QrCode};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use std::collections::HashMap;
use std::fmt::Write as _;
use uuid::Uuid;

/// Labels on one A4 page: two columns of five.
pub const LABELS_PER_PAGE: usize = 10;
/// The most labels one sheet request may ask for.
pub const MAX_LABELS_PER_REQUEST: usize = 500;
/// Light modules around the code, as the QR specification asks.
pub const QUIET_ZONE: usize = 4;

/// Label size in millimetres (ten fit an A4 page with 10 mm margins).
const WIDTH_MM: f64 = 90.0;
const HEIGHT_MM: f64 = 50.0;
/// Fonts that can show Chinese on the systems labels are printed from.
const CJK_FONTS: &str = "'Noto Sans CJK SC','Source Han Sans SC','PingFang SC','Microsoft YaHei','WenQuanYi Micro Hei','Noto Sans SC',sans-serif";
const MONO_FONTS: &str = "'DejaVu Sans Mono','Consolas','Menlo',monospace";

/// What a label shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LabelData {
    pub registration_code: String,
    /// The machine type's Chinese name (the code when the type is unknown).
    pub machine_type: String,
    pub emission_stage: EmissionStage,
    /// The owner organisation's name.
    pub owner: String,
}

/// The public verification URL a label's QR code carries.
pub fn verification_url(public_url: &str, code: &str) -> String {
    format!("{}/v/{}", public_url.trim_end_matches('/'), code)
}

/// Escapes text for XML and HTML content and attribute values.
pub fn xml_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            // Control characters are not allowed in XML 1.0.
            c if (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r') => {}
            c => out.push(c),
        }
    }
    out
}

/// The Chinese name of an emission stage, as printed on labels.
pub fn stage_name(stage: EmissionStage) -> String {
    let l = Locale::zh;
    match stage {
        EmissionStage::PreStandard => td_string!(l, labels.stages.pre_standard).to_string(),
        EmissionStage::Stage1 => td_string!(l, labels.stages.stage_1).to_string(),
        EmissionStage::Stage2 => td_string!(l, labels.stages.stage_2).to_string(),
        EmissionStage::Stage3 => td_string!(l, labels.stages.stage_3).to_string(),
        EmissionStage::Stage4 => td_string!(l, labels.stages.stage_4).to_string(),
        EmissionStage::Electric => td_string!(l, labels.stages.electric).to_string(),
    }
}

/// Splits text into at most `max_lines` lines of about `max_em` em (CJK characters count one
/// em, others about half); what does not fit ends in an ellipsis.
fn wrap(text: &str, max_em: f64, max_lines: usize) -> Vec<String> {
    let width = |c: char| if c.is_ascii() { 0.55 } else { 1.0 };
    let mut lines: Vec<String> = vec![String::new()];
    let mut used = 0.0;
    for c in text.chars() {
        if used + width(c) > max_em {
            if lines.len() == max_lines {
                if let Some(last) = lines.last_mut() {
                    last.pop();
                    last.push('…');
                }
                return lines;
            }
            lines.push(String::new());
            used = 0.0;
        }
        if let Some(last) = lines.last_mut() {
            last.push(c);
        }
        used += width(c);
    }
    lines
}

/// The QR code of `url` as a nested `<svg>` of `size` mm at (`x`, `y`): a white square (the
/// quiet zone included) and one `<rect>` per horizontal run of dark modules, in module units.
pub fn qr_svg(url: &str, x: f64, y: f64, size: f64) -> ServiceResult<String> {
    let code = QrCode::with_error_correction_level(url.as_bytes(), EcLevel::M).map_err(ServiceError::internal)?;
    let n = code.width();
    let colors = code.to_colors();
    let total = n + 2 * QUIET_ZONE;
    let mut out = format!(
        r##"<svg class="qr" x="{x}" y="{y}" width="{size}" height="{size}" viewBox="0 0 {total} {total}" shape-rendering="crispEdges"><rect class="qr-bg" width="{total}" height="{total}" fill="#fff"/><g fill="#000">"##
    );
    for row in 0..n {
        let mut col = 0;
        while col < n {
            if colors[row * n + col] == Color::Dark {
                let start = col;
                while col < n && colors[row * n + col] == Color::Dark {
                    col += 1;
                }
                let _ = write!(
                    out,
                    r#"<rect x="{}" y="{}" width="{}" height="1"/>"#,
                    start + QUIET_ZONE,
                    row + QUIET_ZONE,
                    col - start
                );
            } else {
                col += 1;
            }
        }
    }
    out.push_str("</g></svg>");
    Ok(out)
}

/// One label as an `<svg>` element (for inline use; [`label_document`] makes a file of it).
pub fn label_svg(data: &LabelData, public_url: &str) -> ServiceResult<String> {
    let l = Locale::zh;
    let url = verification_url(public_url, &data.registration_code);
    let code = xml_escape(&data.registration_code);
    let mut s = format!(
        r##"<svg xmlns="http://www.w3.org/2000/svg" class="nrmm-label" width="{WIDTH_MM}mm" height="{HEIGHT_MM}mm" viewBox="0 0 {WIDTH_MM} {HEIGHT_MM}" role="img" aria-label="{code}">"##
    );
    let _ = write!(
        s,
        r##"<rect x="0.4" y="0.4" width="{}" height="{}" rx="2" fill="#fff" stroke="#000" stroke-width="0.4"/>"##,
        WIDTH_MM - 0.8,
        HEIGHT_MM - 0.8
    );
    s.push_str(&qr_svg(&url, 2.0, 2.0, 36.0)?);
    let _ = write!(s, r##"<g font-family="{CJK_FONTS}" fill="#000">"##);
    let _ = write!(
        s,
        r#"<text x="40" y="7" font-size="3.6" font-weight="700">{}</text>"#,
        xml_escape(td_string!(l, labels.heading))
    );
    s.push_str(r##"<line x1="40" y1="9" x2="87.5" y2="9" stroke="#000" stroke-width="0.3"/>"##);
    let rows = [
        (15.0, td_string!(l, labels.machine_type).to_string(), vec![data.machine_type.clone()]),
        (22.0, td_string!(l, labels.emission_stage).to_string(), vec![stage_name(data.emission_stage)]),
        (29.0, td_string!(l, labels.owner).to_string(), wrap(&data.owner, 11.5, 3)),
    ];
    for (y, caption, lines) in rows {
        let _ = write!(s, r##"<text x="40" y="{y}" font-size="2.4" fill="#444">{}</text>"##, xml_escape(&caption));
        let (size, weight) = if lines.len() > 1 || y > 25.0 { (3.2, 400) } else { (3.8, 700) };
        for (i, line) in lines.iter().enumerate() {
            let _ = write!(
                s,
                r#"<text x="51" y="{}" font-size="{size}" font-weight="{weight}">{}</text>"#,
                y + i as f64 * 4.2,
                xml_escape(line)
            );
        }
    }
    s.push_str("</g>");
    s.push_str(r##"<line x1="2" y1="40" x2="88" y2="40" stroke="#000" stroke-width="0.3"/>"##);
    let _ = write!(
        s,
        r##"<text class="code" x="45" y="47.2" text-anchor="middle" font-family="{MONO_FONTS}" font-size="6.4" font-weight="700" letter-spacing="0.3" fill="#000">{code}</text>"##
    );
    s.push_str("</svg>");
    Ok(s)
}

/// A label as a standalone SVG file.
pub fn label_document(data: &LabelData, public_url: &str) -> ServiceResult<String> {
    Ok(format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n{}\n", label_svg(data, public_url)?))
}

/// 409 for a machine without a registration code.
fn not_registered() -> ServiceError {
    AppError::conflict(ConflictCode::NotRegistered).into()
}

/// What the labels of `machines` show: type names and owners looked up in two queries.
async fn label_data(state: &AppState, machines: Vec<machine::Model>) -> ServiceResult<Vec<LabelData>> {
    let codes: Vec<String> = machines.iter().map(|m| m.machine_type.clone()).collect();
    let orgs: Vec<Uuid> = machines.iter().map(|m| m.organization_id).collect();
    let type_names: HashMap<String, String> = machine_type::Entity::find()
        .filter(machine_type::Column::Code.is_in(codes))
        .all(&state.db)
        .await?
        .into_iter()
        .map(|t| (t.code, t.name_zh))
        .collect();
    let org_names: HashMap<Uuid, String> = organization::Entity::find()
        .filter(organization::Column::Id.is_in(orgs))
        .all(&state.db)
        .await?
        .into_iter()
        .map(|o| (o.id, o.name))
        .collect();
    machines
        .into_iter()
        .map(|m| {
            let code = m.registration_code.ok_or_else(not_registered)?;
            let stage = EmissionStage::parse(&m.emission_stage)
                .ok_or_else(|| ServiceError::internal(format!("stored stage {}", m.emission_stage)))?;
            Ok(LabelData {
                registration_code: code,
                machine_type: type_names.get(&m.machine_type).cloned().unwrap_or(m.machine_type),
                emission_stage: stage,
                owner: org_names.get(&m.organization_id).cloned().unwrap_or_default(),
            })
        })
        .collect()
}

/// The label of one machine in the caller's scope (404 outside it, 409 when unregistered).
pub async fn label_for(state: &AppState, principal: &Principal, id: Uuid) -> ServiceResult<LabelData> {
    let m = find_visible(state, principal, id).await?;
    if m.registration_code.is_none() {
        return Err(not_registered());
    }
    label_data(state, vec![m]).await?.pop().ok_or_else(|| ServiceError::internal("label vanished"))
}

/// The labels of `ids`, in the order asked; 404 when any is unknown or outside the caller's
/// scope, 409 when any has no registration code.
pub async fn labels_for(state: &AppState, principal: &Principal, ids: &[Uuid]) -> ServiceResult<Vec<LabelData>> {
    let scope = Scope::resolve(&state.db, principal).await?;
    let rows = machine::Entity::find()
        .filter(machine::Column::Id.is_in(ids.iter().copied()))
        .filter(scope_condition(&scope))
        .all(&state.db)
        .await?;
    let by_id: HashMap<Uuid, machine::Model> = rows.into_iter().map(|m| (m.id, m)).collect();
    // An id asked for twice prints two labels (one for each side of the machine).
    let ordered: Option<Vec<machine::Model>> = ids.iter().map(|id| by_id.get(id).cloned()).collect();
    label_data(state, ordered.ok_or(AppError::NotFound)?).await
}

/// The label routes under `/api/v1` (merged into the machine routes).
pub fn api_router() -> Router<AppState> {
    Router::new().route("/machines/{id}/label.svg", get(label))
}

/// The page routes (`/labels`), mounted by the server beside the Leptos pages.
pub fn page_router() -> Router<AppState> {
    Router::new().route("/labels", get(sheet))
}

/// The label of a registered machine, as an SVG file.
#[utoipa::path(get, path = "/api/v1/machines/{id}/label.svg", tag = "machines", params(("id" = Uuid, Path)),
    responses(
        (status = 200, content_type = "image/svg+xml", body = String, description = "The label: QR code of `{public_url}/v/{registration_code}`, the code, type, stage and owner"),
        (status = 404, body = ErrorBody),
        (status = 409, description = "`not_registered`: the machine has no registration code yet", body = ErrorBody),
    ),
    security(("session" = []), ("bearer" = [])))]
pub async fn label(
    State(state): State<AppState>,
    Caller(p): Caller,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Response> {
    let data = label_for(&state, &p, id).await?;
    let svg = label_document(&data, &state.settings.public_url)?;
    let mut resp = svg.into_response();
    resp.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("image/svg+xml; charset=utf-8"));
    Ok(resp)
}

/// `?ids=<uuid>,<uuid>,…`
#[derive(Debug, serde::Deserialize)]
pub struct SheetQuery {
    #[serde(default)]
    pub ids: String,
}

/// A small HTML page for the sheet's error outcomes.
fn error_page(status: StatusCode, message: &str) -> Response {
    let body = format!(
        "<!doctype html><html lang=\"zh\"><head><meta charset=\"utf-8\"><title>{m}</title></head><body><p>{m}</p></body></html>",
        m = xml_escape(message)
    );
    (status, [(header::CONTENT_TYPE, "text/html; charset=utf-8")], body).into_response()
}

/// `GET /labels?ids=…`: an A4 sheet of labels to print (two columns, five rows a page).
pub async fn sheet(
    State(state): State<AppState>,
    principal: Option<axum::Extension<Principal>>,
    query: Result<Query<SheetQuery>, QueryRejection>,
) -> Response {
    let l = Locale::zh;
    let Some(axum::Extension(p)) = principal else {
        return Redirect::to("/login").into_response();
    };
    let Ok(Query(query)) = query else {
        return error_page(
            StatusCode::BAD_REQUEST,
            &AppError::BadRequest { code: "malformed_query".into() }.message(l),
        );
    };
    let raw = query.ids;
    let parsed: Result<Vec<Uuid>, _> =
        raw.split(',').map(str::trim).filter(|s| !s.is_empty()).map(Uuid::try_parse).collect();
    let ids = match parsed {
        // An id that is not a UUID names nothing that exists.
        Err(_) => return error_page(StatusCode::NOT_FOUND, &AppError::NotFound.message(l)),
        Ok(ids) if ids.is_empty() => {
            return error_page(StatusCode::BAD_REQUEST, td_string!(l, labels.none_selected));
        }
        Ok(ids) if ids.len() > MAX_LABELS_PER_REQUEST => {
            return error_page(
                StatusCode::BAD_REQUEST,
                &td_string!(l, labels.too_many, max = MAX_LABELS_PER_REQUEST).to_string(),
            );
        }
        Ok(ids) => ids,
    };
    let labels = match labels_for(&state, &p, &ids).await {
        Ok(labels) => labels,
        Err(e) => {
            let e: AppError = e.into();
            let status = StatusCode::from_u16(e.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            let message = if e.code() == "not_registered" {
                td_string!(l, labels.not_registered).to_string()
            } else {
                e.message(l)
            };
            return error_page(status, &message);
        }
    };
    let mut pages = String::new();
    for page in labels.chunks(LABELS_PER_PAGE) {
        pages.push_str("<section class=\"sheet\">\n");
        for data in page {
            match label_svg(data, &state.settings.public_url) {
                Ok(svg) => {
                    pages.push_str("<div class=\"cell\">");
                    pages.push_str(&svg);
                    pages.push_str("</div>\n");
                }
                Err(e) => {
                    let e: AppError = e.into();
                    return error_page(StatusCode::INTERNAL_SERVER_ERROR, &e.message(l));
                }
            }
        }
        pages.push_str("</section>\n");
    }
    let title = xml_escape(td_string!(l, labels.sheet_title));
    let hint = xml_escape(&td_string!(l, labels.print_hint, count = labels.len()).to_string());
    let html = format!(
        r#"<!doctype html>
<html lang="zh">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>
@page {{ size: A4; margin: 10mm }}
html, body {{ margin: 0; color: #000; font-family: "Noto Sans CJK SC", "Source Han Sans SC", "PingFang SC", "Microsoft YaHei", "WenQuanYi Micro Hei", "Noto Sans SC", sans-serif; }}
.toolbar {{ padding: 12px 16px; font-size: 14px; }}
.toolbar h1 {{ font-size: 18px; margin: 0 0 4px; }}
.sheet {{ display: grid; grid-template-columns: repeat(2, 90mm); grid-auto-rows: 50mm; column-gap: 10mm; row-gap: 5mm; width: 190mm; break-after: page; page-break-after: always; }}
.sheet:last-child {{ break-after: auto; page-break-after: auto; }}
.cell {{ width: 90mm; height: 50mm; break-inside: avoid; page-break-inside: avoid; }}
.cell svg {{ display: block; width: 90mm; height: 50mm; }}
@media screen {{
  body {{ background: #e9ecef; }}
  .sheet {{ background: #fff; margin: 0 auto 24px; padding: 10mm; box-shadow: 0 1px 4px rgba(0,0,0,.2); }}
}}
@media print {{
  .toolbar {{ display: none; }}
  body {{ -webkit-print-color-adjust: exact; print-color-adjust: exact; }}
}}
</style>
</head>
<body>
<header class="toolbar"><h1>{title}</h1><p>{hint}</p></header>
<main>
{pages}</main>
</body>
</html>
"#
    );
    (StatusCode::OK, [(header::CONTENT_TYPE, "text/html; charset=utf-8")], html).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data(owner: &str) -> LabelData {
        LabelData {
            registration_code: "14010500000013".into(),
            machine_type: "挖掘机".into(),
            emission_stage: EmissionStage::Stage4,
            owner: owner.into(),
        }
    }

    #[test]
    fn text_is_escaped() {
        let svg = label_svg(&data("A&B <公司> \"x\""), "https://nrmm.example.cn/").unwrap_or_default();
        assert!(svg.contains("A&amp;B &lt;公司&gt; &quot;x&quot;"), "{svg}");
        assert!(!svg.contains("<公司>"));
        assert!(svg.contains("国四") && svg.contains("挖掘机") && svg.contains("14010500000013"));
    }

    #[test]
    fn long_owner_names_wrap_and_end_in_an_ellipsis() {
        let lines = wrap("山西省太原市第一建筑工程有限公司第二项目部机械设备租赁分公司很长很长", 11.5, 3);
        assert_eq!(lines.len(), 3);
        assert!(lines[2].ends_with('…'));
        assert_eq!(wrap("短名", 11.5, 3), vec!["短名".to_owned()]);
    }

    #[test]
    fn qr_has_a_quiet_zone() {
        let svg = qr_svg("https://nrmm.example.cn/v/14010500000013", 0.0, 0.0, 36.0).unwrap_or_default();
        // No module is drawn within four modules of the edge.
        for part in svg.split("<rect x=\"").skip(1) {
            let x: usize = part.split('"').next().and_then(|v| v.parse().ok()).unwrap_or(0);
            assert!(x >= QUIET_ZONE, "{part}");
        }
    }

    #[test]
    fn urls() {
        assert_eq!(verification_url("https://a.cn/", "X1"), "https://a.cn/v/X1");
    }
}
