//! Streamed exports: the header row and content of each dataset as CSV and XLSX (read back with
//! `csv` and `calamine`), the caller's scope and role, the list filters, bad names and missing
//! sign-in; a 20,000-row export from the load generator; XLSX sheets that overflow into the
//! next; and a failing batch that breaks the file instead of shortening it.

use crate::db_tests;
use crate::helpers::{TestApp, contractor, create_filing, create_machine, create_site, expect_status, inspector};
use crate::inspections::{World, inspect, inspection, registered, world};
use app::auth::Role;
use app::exports::Dataset;
use app::exports::service::{Cell, Export, Rows, csv_stream};
use app::i18n::Locale;
use app::service_error::{ServiceError, ServiceResult};
use calamine::{Reader, Xlsx, open_workbook_from_rs};
use chrono::Duration;
use futures::StreamExt;
use serde_json::{Value, json};
use std::io::Cursor;

db_tests!(
    every_dataset_in_both_formats,
    english_headers_and_labels,
    scope_and_roles,
    filters_of_the_lists,
    names_and_sign_in,
    a_large_export_streams_every_row,
    exported_text_never_runs_as_a_formula,
);

/// A file's rows (header first) and its sheet names.
struct File {
    rows: Vec<Vec<String>>,
    sheets: Vec<String>,
}

async fn download(app: &TestApp, client: &reqwest::Client, path: &str, lang: Option<&str>) -> reqwest::Response {
    let mut req = client.get(app.url(path));
    if let Some(l) = lang {
        req = req.header("accept-language", l);
    }
    req.send().await.expect("request")
}

/// Checks the download headers of `path` and reads the CSV back.
async fn csv_file(app: &TestApp, client: &reqwest::Client, path: &str, lang: Option<&str>) -> File {
    let resp = download(app, client, path, lang).await;
    assert_eq!(resp.status(), 200, "{path}");
    let h = resp.headers().clone();
    assert_eq!(h["content-type"], "text/csv; charset=utf-8");
    let disposition = h["content-disposition"].to_str().expect("ascii");
    let dataset = path.trim_start_matches("/api/v1/exports/").split('.').next().expect("dataset");
    assert!(
        disposition.starts_with(&format!("attachment; filename=\"{dataset}-{}.csv\"", app.today())),
        "{disposition}"
    );
    let bytes = resp.bytes().await.expect("body");
    assert_eq!(&bytes[..3], &[0xEF, 0xBB, 0xBF], "a UTF-8 byte-order mark");
    let mut reader = csv::ReaderBuilder::new().has_headers(false).from_reader(&bytes[3..]);
    let rows = reader.records().map(|r| r.expect("record").iter().map(str::to_owned).collect()).collect();
    File { rows, sheets: Vec::new() }
}

/// Reads an XLSX export back; the rows of every sheet after the first follow without their
/// header.
async fn xlsx_file(app: &TestApp, client: &reqwest::Client, path: &str, lang: Option<&str>) -> File {
    let resp = download(app, client, path, lang).await;
    assert_eq!(resp.status(), 200, "{path}");
    assert_eq!(resp.headers()["content-type"], "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet");
    assert!(
        resp.headers()["content-disposition"].to_str().expect("ascii").contains(&format!("-{}.xlsx\"", app.today()))
    );
    read_xlsx(resp.bytes().await.expect("body").to_vec())
}

fn read_xlsx(bytes: Vec<u8>) -> File {
    let mut book: Xlsx<_> = open_workbook_from_rs(Cursor::new(bytes)).expect("an XLSX file");
    let sheets = book.sheet_names();
    let mut rows = Vec::new();
    for (i, name) in sheets.iter().enumerate() {
        let range = book.worksheet_range(name).expect("sheet");
        let mut sheet_rows: Vec<Vec<String>> =
            range.rows().map(|r| r.iter().map(|c| c.to_string()).collect()).collect();
        if i > 0 {
            assert_eq!(sheet_rows.first(), rows.first(), "every sheet starts with the header");
            sheet_rows.remove(0);
        }
        rows.extend(sheet_rows);
    }
    File { rows, sheets }
}

/// Both formats of `dataset` for `client`: the same rows; returns them (header first).
async fn both(app: &TestApp, client: &reqwest::Client, dataset: &str, query: &str) -> Vec<Vec<String>> {
    let csv = csv_file(app, client, &format!("/api/v1/exports/{dataset}.csv{query}"), None).await;
    let xlsx = xlsx_file(app, client, &format!("/api/v1/exports/{dataset}.xlsx{query}"), None).await;
    assert_eq!(csv.rows, xlsx.rows, "{dataset}{query}: CSV and XLSX hold the same rows");
    csv.rows
}

fn column(rows: &[Vec<String>], header: &str) -> Vec<String> {
    let i = rows[0].iter().position(|h| h == header).unwrap_or_else(|| panic!("no column {header}: {:?}", rows[0]));
    rows[1..].iter().map(|r| r[i].clone()).collect()
}

/// The inspections world, plus: a failing inspection of registered machine 1 (a case), an
/// unfiled machine 2 of the same unit, and another unit's machine 3 filed (not yet reviewed)
/// for a site in 清徐县.
struct Fixture {
    w: World,
    m1: Value,
    m2: Value,
    m3: Value,
    other: reqwest::Client,
    city: reqwest::Client,
}

async fn fixture(app: &TestApp) -> Fixture {
    let w = world(app).await;
    let m1 = registered(app, &w, &w.plain_site, 1, json!({})).await;
    inspect(app, &w.xiaodian, &inspection(app, &w.plain_site, &m1, &[2.0, 2.1, 2.2])).await;
    let m2 = create_machine(app, &w.builder, 2).await;
    let (_org, other) = contractor(app, "other.builder").await;
    let site = create_site(app, &other, "清徐县工地", "140121").await;
    let m3 = create_machine(app, &other, 3).await;
    let today = app.today();
    create_filing(app, &other, &site["id"], &[&m3["id"]], today, today + Duration::days(10)).await;
    app.user("taiyuan.c", Role::CityOfficer, Some("140100"), None).await;
    let city = app.signed_in("taiyuan.c").await;
    Fixture { w, m1, m2, m3, other, city }
}

fn name(m: &Value) -> String {
    m["name"].as_str().expect("name").to_owned()
}

async fn every_dataset_in_both_formats(app: TestApp) {
    let f = fixture(&app).await;
    let code = f.m1["registration_code"].as_str().expect("code").to_owned();

    let machines = both(&app, &f.w.xiaodian, "machines", "").await;
    assert_eq!(
        machines[0],
        [
            // A machine's own fields are headed by the form's labels.
            "登记编码",
            "机械类型",
            "名称（自编号）",
            "品牌",
            "型号",
            "整机编号（PIN）",
            "机械环保代码",
            "发动机型号",
            "发动机编号",
            "发动机生产厂",
            "排放阶段",
            "燃料类型",
            "额定净功率（kW）",
            "出厂日期",
            "加装颗粒物捕集器（DPF）",
            "安装 OBD",
            "安装远程监控终端",
            "所属单位",
            "登记时间",
            "创建时间",
        ]
    );
    assert_eq!(machines.len(), 2);
    let row = &machines[1];
    assert_eq!(
        &row[..13],
        [
            code.as_str(),
            "挖掘机",
            "1号挖掘机",
            "三一",
            "SY215C",
            "PIN-00000001",
            "CN000000000000001",
            "4BG1",
            "ENG-00000001",
            "五十铃",
            "国四",
            "柴油",
            "118",
        ]
    );
    assert_eq!(&row[13..18], ["2023-05-01", "是", "否", "否", "insp.builder"]);
    assert_eq!(row[18].len(), "2026-12-01 08:00:00".len(), "registered at, China time: {}", row[18]);

    let filings = both(&app, &f.w.xiaodian, "filings", "").await;
    assert_eq!(&filings[0][..5], ["施工工地", "所属单位", "区县代码", "区县", "状态"]);
    assert_eq!(filings.len(), 2);
    assert_eq!(
        &filings[1][..8],
        [
            "小店区外围工地",
            "insp.builder",
            "140105",
            "小店区",
            "已通过",
            &(app.today() - Duration::days(1)).to_string(),
            &(app.today() + Duration::days(30)).to_string(),
            "1",
        ]
    );

    let inspections = both(&app, &f.w.xiaodian, "inspections", "").await;
    assert_eq!(inspections.len(), 2);
    assert_eq!(column(&inspections, "登记编码"), [code.as_str()]);
    assert_eq!(column(&inspections, "结论"), ["不合格"]);
    assert_eq!(column(&inspections, "光吸收系数读数 (m⁻¹)"), ["2 / 2.1 / 2.2"]);
    assert_eq!(column(&inspections, "检查人员"), ["xiaodian.i"]);
    assert_eq!(column(&inspections, "区县"), ["小店区"]);
    assert!(!column(&inspections, "不合格原因")[0].is_empty());

    let cases = both(&app, &f.w.xiaodian, "cases", "").await;
    assert_eq!(&cases[0][..5], ["立案时间", "区县代码", "区县", "案件类型", "办理状态"]);
    assert_eq!(cases.len(), 2);
    assert_eq!(
        &cases[1][1..8],
        ["140105", "小店区", "检测不合格", "待处理", code.as_str(), "1号挖掘机", "insp.builder"]
    );
    assert_eq!(column(&cases, "已逾期"), ["否"]);
}

async fn english_headers_and_labels(app: TestApp) {
    let f = fixture(&app).await;
    let en = csv_file(&app, &f.w.xiaodian, "/api/v1/exports/machines.csv", Some("en-US,en;q=0.9")).await;
    assert_eq!(&en.rows[0][..3], ["Registration code", "Machine type", "Name (own number)"]);
    assert_eq!(column(&en.rows, "Machine type"), ["Excavator"]);
    assert_eq!(column(&en.rows, "Emission stage"), ["Stage IV"]);
    assert_eq!(column(&en.rows, "Particulate filter (DPF) fitted"), ["yes"]);
    let resp = download(&app, &f.w.xiaodian, "/api/v1/exports/cases.xlsx", Some("en")).await;
    let disposition = resp.headers()["content-disposition"].to_str().expect("ascii").to_owned();
    assert!(disposition.contains(&format!("filename*=UTF-8''cases-{}.xlsx", app.today())), "{disposition}");
    let xlsx = read_xlsx(resp.bytes().await.expect("body").to_vec());
    assert_eq!(xlsx.sheets, ["Cases"]);
    assert_eq!(column(&xlsx.rows, "State"), ["Open"]);
    // Chinese otherwise, with the Chinese file name beside the ASCII one.
    let resp = download(&app, &f.w.xiaodian, "/api/v1/exports/cases.xlsx", Some("zh-CN,zh;q=0.9,en;q=0.8")).await;
    let disposition = resp.headers()["content-disposition"].to_str().expect("ascii").to_owned();
    assert!(disposition.contains("filename*=UTF-8''%E6%A1%88%E4%BB%B6-"), "{disposition}");
    assert_eq!(read_xlsx(resp.bytes().await.expect("body").to_vec()).sheets, ["案件"]);
}

async fn scope_and_roles(app: TestApp) {
    let f = fixture(&app).await;
    let names = |rows: Vec<Vec<String>>| {
        let mut n = column(&rows, "名称（自编号）");
        n.sort();
        n
    };
    // Officials: the machines filed in their counties; the city officer both counties.
    assert_eq!(names(both(&app, &f.w.xiaodian, "machines", "").await), [name(&f.m1)]);
    assert_eq!(names(both(&app, &f.w.qingxu, "machines", "").await), [name(&f.m3)]);
    assert_eq!(names(both(&app, &f.city, "machines", "").await), [name(&f.m1), name(&f.m3)]);
    assert_eq!(column(&both(&app, &f.w.qingxu, "filings", "").await, "区县"), ["清徐县"]);
    assert_eq!(column(&both(&app, &f.city, "filings", "").await, "区县").len(), 2);
    assert_eq!(both(&app, &f.w.qingxu, "inspections", "").await.len(), 1, "the header only");
    assert_eq!(both(&app, &f.w.qingxu, "cases", "").await.len(), 1, "the header only");
    assert_eq!(both(&app, &f.city, "cases", "").await.len(), 2);
    // A construction unit: its own fleet (filed or not) and its own filings.
    assert_eq!(names(both(&app, &f.w.builder, "machines", "").await), [name(&f.m1), name(&f.m2)]);
    assert_eq!(names(both(&app, &f.other, "machines", "").await), [name(&f.m3)]);
    assert_eq!(column(&both(&app, &f.other, "filings", "").await, "施工工地"), ["清徐县工地"]);
    // …but not the officials' inspection and case records.
    for path in ["inspections.csv", "inspections.xlsx", "cases.csv", "cases.xlsx"] {
        let resp = app.get_as(&f.w.builder, &format!("/api/v1/exports/{path}")).await;
        crate::helpers::assert_error(resp, 403, "forbidden").await;
    }
    // A partner department of the county sees what the county sees.
    app.user("xiaodian.p", Role::PartnerViewer, Some("140105"), None).await;
    let partner = app.signed_in("xiaodian.p").await;
    assert_eq!(both(&app, &partner, "cases", "").await.len(), 2);
}

async fn filters_of_the_lists(app: TestApp) {
    let f = fixture(&app).await;
    let count = |rows: Vec<Vec<String>>| rows.len() - 1;
    assert_eq!(
        column(&both(&app, &f.w.builder, "machines", "?registered=true").await, "名称（自编号）"),
        [name(&f.m1)]
    );
    assert_eq!(
        column(&both(&app, &f.w.builder, "machines", "?registered=false").await, "名称（自编号）"),
        [name(&f.m2)]
    );
    assert_eq!(count(both(&app, &f.w.builder, "machines", "?q=2%E5%8F%B7").await), 1);
    assert_eq!(count(both(&app, &f.w.builder, "machines", "?emission_stage=stage_3").await), 0);
    assert_eq!(column(&both(&app, &f.city, "filings", "?status=submitted").await, "区县"), ["清徐县"]);
    assert_eq!(column(&both(&app, &f.city, "filings", "?status=accepted").await, "区县"), ["小店区"]);
    let site = f.w.plain_site["id"].as_str().expect("id");
    assert_eq!(count(both(&app, &f.city, "filings", &format!("?site_id={site}")).await), 1);
    assert_eq!(count(both(&app, &f.w.xiaodian, "inspections", "?verdict=fail").await), 1);
    assert_eq!(count(both(&app, &f.w.xiaodian, "inspections", "?verdict=pass").await), 0);
    let m1 = f.m1["id"].as_str().expect("id");
    assert_eq!(count(both(&app, &f.w.xiaodian, "inspections", &format!("?machine_id={m1}")).await), 1);
    assert_eq!(count(both(&app, &f.w.xiaodian, "cases", "?state=open&kind=failed_inspection").await), 1);
    assert_eq!(count(both(&app, &f.w.xiaodian, "cases", "?state=closed").await), 0);
    assert_eq!(count(both(&app, &f.w.xiaodian, "cases", "?overdue=true").await), 0);
    // A filter that does not parse is refused, as by the list.
    for path in ["inspections.csv?verdict=maybe", "filings.xlsx?status=lost", "cases.csv?overdue=perhaps"] {
        let resp = app.get_as(&f.w.xiaodian, &format!("/api/v1/exports/{path}")).await;
        crate::helpers::assert_error(resp, 400, "malformed_query").await;
    }
}

async fn names_and_sign_in(app: TestApp) {
    let client = inspector(&app, "xiaodian.n", "140105").await;
    for path in ["machines.pdf", "users.csv", "machines", "machines.csv.gz", "MACHINES.CSV", ".csv"] {
        let resp = app.get_as(&client, &format!("/api/v1/exports/{path}")).await;
        crate::helpers::assert_error(resp, 404, "not_found").await;
    }
    let anonymous = TestApp::new_client();
    for path in ["machines.csv", "cases.xlsx", "machines.pdf"] {
        let resp = anonymous.get(app.url(&format!("/api/v1/exports/{path}"))).send().await.expect("request");
        crate::helpers::assert_error(resp, 401, "unauthorized").await;
    }
    // Nothing in scope yet: a file with the header only.
    let empty = both(&app, &client, "machines", "").await;
    assert_eq!(empty.len(), 1);
    let doc = expect_status(app.get("/api/v1/openapi.json").await, 200).await;
    assert!(doc["paths"]["/api/v1/exports/{file}"]["get"].is_object());
}

async fn a_large_export_streams_every_row(app: TestApp) {
    const N: usize = 20_000;
    let generated = server::generate::generate(&app.state, N, "140105").await.expect("generate");
    assert_eq!((generated.machines, generated.filings), (N, N / 500));
    let client = inspector(&app, "xiaodian.big", "140105").await;
    let csv = csv_file(&app, &client, "/api/v1/exports/machines.csv", None).await;
    assert_eq!(csv.rows.len(), N + 1);
    let mut names = column(&csv.rows, "名称（自编号）");
    names.sort();
    names.dedup();
    assert_eq!(names.len(), N, "every machine once");
    let xlsx = xlsx_file(&app, &client, "/api/v1/exports/machines.xlsx", None).await;
    assert_eq!(xlsx.rows.len(), N + 1);
    assert_eq!(xlsx.sheets, ["机械"]);
    let filings = csv_file(&app, &client, "/api/v1/exports/filings.csv", None).await;
    assert_eq!(column(&filings.rows, "机械数量"), vec!["500".to_owned(); N / 500]);
    // Another county's inspector gets none of them.
    let other = inspector(&app, "qingxu.big", "140121").await;
    assert_eq!(csv_file(&app, &other, "/api/v1/exports/machines.csv", None).await.rows.len(), 1);
}

fn export_of(batches: Vec<ServiceResult<Rows>>) -> Export {
    Export {
        dataset: Dataset::Machines,
        locale: Locale::zh,
        headers: vec!["编号".into(), "数量".into()],
        rows: futures::stream::iter(batches).boxed(),
    }
}

fn batch(from: usize, n: usize) -> ServiceResult<Rows> {
    Ok((from..from + n).map(|i| vec![Cell::Text(format!("行{i}")), Cell::Number(i as f64)]).collect())
}

#[tokio::test]
async fn xlsx_rows_continue_on_the_next_sheet() {
    let export = export_of(vec![batch(0, 4), batch(4, 4), batch(8, 4)]);
    let mut file = app::exports::xlsx::write_with_sheet_rows(export, "机械".into(), 5).await.expect("written");
    let mut bytes = Vec::new();
    std::io::Read::read_to_end(&mut file, &mut bytes).expect("read");
    let xlsx = read_xlsx(bytes);
    assert_eq!(xlsx.sheets, ["机械", "机械 (2)", "机械 (3)"]);
    assert_eq!(xlsx.rows.len(), 13);
    assert_eq!(xlsx.rows[0], ["编号", "数量"]);
    assert_eq!(xlsx.rows[12], ["行11", "11"]);
    assert_eq!(app::exports::xlsx::SHEET_ROWS, 1_000_000, "a million rows and the header fit the 1,048,576 of a sheet");
}

#[tokio::test]
async fn a_failing_batch_breaks_the_file() {
    let failing = || export_of(vec![batch(0, 3), Err(ServiceError::internal("the database went away")), batch(3, 3)]);
    let chunks: Vec<_> = csv_stream(failing()).collect().await;
    assert_eq!(chunks.len(), 3, "header, first batch, then the error ends the stream");
    assert!(chunks[0].is_ok() && chunks[1].is_ok());
    assert!(chunks[2].is_err());
    assert!(app::exports::xlsx::write(failing(), "机械".into()).await.is_err(), "no XLSX file from a failed read");
}

/// Names of units, sites and machines are free text: every one that a spreadsheet would run as
/// a formula reads back as text (CSV: a leading apostrophe; XLSX: a string cell, no formula).
async fn exported_text_never_runs_as_a_formula(app: TestApp) {
    let unit = "=HYPERLINK(\"http://evil.example\",\"x\")";
    let org = app.organization(unit).await;
    app.user("formula.admin", Role::ContractorAdmin, None, Some(org)).await;
    let builder = app.signed_in("formula.admin").await;
    let site = create_site(&app, &builder, "+工地SUM(1)", "140105").await;
    // (Tab and carriage return starts are covered by `exports::inert_text`'s unit test: the
    // machine rules trim them away.)
    let names = ["-2+3", "@SUM(A1)", "=1+1"];
    let mut ids = Vec::new();
    for (i, name) in names.iter().enumerate() {
        let mut m = crate::helpers::machine_input(9000 + i as u32);
        m["name"] = json!(name);
        m["brand"] = json!("=CMD()");
        ids.push(expect_status(app.post_as(&builder, "/api/v1/machines", &m).await, 201).await["id"].clone());
    }
    let today = app.today();
    let refs: Vec<&Value> = ids.iter().collect();
    create_filing(&app, &builder, &site["id"], &refs, today + Duration::days(1), today + Duration::days(10)).await;
    let county = inspector(&app, "formula.insp", "140105").await;

    let dangerous = |cell: &str| cell.starts_with(app::exports::FORMULA_STARTS);
    for dataset in ["machines", "filings"] {
        let csv = csv_file(&app, &county, &format!("/api/v1/exports/{dataset}.csv"), None).await;
        let cells: Vec<&String> = csv.rows.iter().skip(1).flatten().collect();
        assert!(!cells.iter().any(|c| dangerous(c)), "{dataset}: a CSV cell starts a formula: {:?}", csv.rows);
        let wanted: Vec<String> = if dataset == "machines" {
            names.iter().map(|n| format!("'{n}")).chain(["'=CMD()".to_owned(), format!("'{unit}")]).collect()
        } else {
            vec!["'+工地SUM(1)".to_owned(), format!("'{unit}")]
        };
        for w in &wanted {
            assert!(cells.contains(&w), "{dataset}: {w:?} missing from {:?}", csv.rows);
        }
        // XLSX: the text as typed, in string cells; the sheet holds no formula at all.
        let resp = download(&app, &county, &format!("/api/v1/exports/{dataset}.xlsx"), None).await;
        let bytes = resp.bytes().await.expect("body").to_vec();
        let mut book: Xlsx<_> = open_workbook_from_rs(Cursor::new(bytes)).expect("an XLSX file");
        let sheet = book.sheet_names()[0].clone();
        let formulas = book.worksheet_formula(&sheet).expect("formulas");
        assert!(formulas.used_cells().all(|(_, _, f)| f.is_empty()), "{dataset}: a formula in the sheet");
        let range = book.worksheet_range(&sheet).expect("sheet");
        let strings: Vec<String> = range
            .used_cells()
            .filter_map(|(_, _, d)| match d {
                calamine::Data::String(s) => Some(s.clone()),
                _ => None,
            })
            .collect();
        for w in &wanted {
            let raw = w.trim_start_matches('\'');
            assert!(strings.iter().any(|s| s == raw), "{dataset}: {raw:?} is not a string cell of the XLSX");
        }
    }
}
