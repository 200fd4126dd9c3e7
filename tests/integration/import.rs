//! Bulk import of machines: 5,000 rows of XLSX with the exact per-row report, all-or-nothing,
//! re-import without duplicates, a GBK CSV, the templates, and who may import.

use crate::db_tests;
use crate::helpers::{PASSWORD, TestApp, assert_error, json};
use app::auth::Role;
use app::db::entities::machine;
use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::{Value, json};

db_tests!(
    five_thousand_rows_all_or_nothing_then_no_duplicates,
    gbk_csv_and_valid_rows_mode,
    templates_download_and_reimport,
    only_contractors_import_and_limits_hold,
    zip_bombs_are_refused_whatever_sizes_they_declare,
);

const HEADERS: [&str; 21] = [
    "机械类型",
    "名称",
    "品牌",
    "型号",
    "整机编号(PIN)",
    "机械环保代码",
    "环保信息公开编号",
    "发动机型号",
    "发动机编号",
    "发动机生产厂",
    "发动机型式核准号",
    "排放阶段",
    "燃料类型",
    "额定净功率(kW)",
    "出厂日期",
    "已加装DPF",
    "DPF型号",
    "DPF生产厂",
    "DPF加装日期",
    "已安装OBD",
    "已安装远程监控终端",
];

async fn client_for(app: &TestApp, username: &str) -> reqwest::Client {
    let client = TestApp::new_client();
    let resp = client
        .post(app.url("/api/v1/auth/login"))
        .json(&json!({"username": username, "password": PASSWORD}))
        .send()
        .await
        .expect("login");
    assert_eq!(resp.status(), 200, "login {username}");
    client
}

async fn upload(app: &TestApp, client: &reqwest::Client, query: &str, body: Vec<u8>) -> reqwest::Response {
    client.post(app.url(&format!("/api/v1/machines/import{query}"))).body(body).send().await.expect("upload")
}

async fn fleet_size(app: &TestApp, org: uuid::Uuid) -> u64 {
    machine::Entity::find().filter(machine::Column::OrganizationId.eq(org)).count(&app.state.db).await.expect("count")
}

/// One data row of the generated file (index `i`, spreadsheet row `i + 2`).
struct Row {
    kind: &'static str,
    pin: String,
    env_code: String,
    stage: &'static str,
    fuel: &'static str,
    made: (u16, u8, u8),
}

fn good_row(i: usize) -> Row {
    Row {
        kind: ["挖掘机", "loader", "压路机"][i % 3],
        pin: format!("PIN{i:06}"),
        env_code: format!("CN{i:015}"),
        stage: ["国四", "stage_3", "国Ⅳ"][i % 3],
        fuel: if i.is_multiple_of(2) { "柴油" } else { "diesel" },
        made: (2023, 5, 1),
    }
}

/// A 5,000-row XLSX: text cells, number cells for power, date cells for dates.
fn xlsx(rows: &[Row]) -> Vec<u8> {
    let mut book = Workbook::new();
    let date = Format::new().set_num_format("yyyy-mm-dd");
    let sheet = book.add_worksheet();
    for (c, h) in HEADERS.iter().enumerate() {
        sheet.write_string(0, c as u16, *h).expect("header");
    }
    for (i, r) in rows.iter().enumerate() {
        let n = i as u32 + 1;
        sheet.write_string(n, 0, r.kind).expect("cell");
        sheet.write_string(n, 1, format!("{}号机", i + 1)).expect("cell");
        sheet.write_string(n, 2, "三一").expect("cell");
        sheet.write_string(n, 3, "SY215C").expect("cell");
        sheet.write_string(n, 4, &r.pin).expect("cell");
        sheet.write_string(n, 5, &r.env_code).expect("cell");
        sheet.write_string(n, 8, format!("ENG-{i:06}")).expect("cell");
        sheet.write_string(n, 11, r.stage).expect("cell");
        sheet.write_string(n, 12, r.fuel).expect("cell");
        sheet.write_number(n, 13, 118.5).expect("cell");
        let (y, m, d) = r.made;
        sheet.write_date_with_format(n, 14, ExcelDateTime::from_ymd(y, m, d).expect("date"), &date).expect("cell");
        sheet.write_string(n, 15, if i.is_multiple_of(2) { "是" } else { "否" }).expect("cell");
        sheet.write_boolean(n, 19, true).expect("cell");
    }
    book.save_to_buffer().expect("xlsx")
}

/// `(row, column, message_code)` of a report.
fn problems(report: &Value) -> Vec<(u64, String, String)> {
    report["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .map(|e| {
            (
                e["row"].as_u64().expect("row"),
                e["column"].as_str().expect("column").to_owned(),
                e["message_code"].as_str().expect("code").to_owned(),
            )
        })
        .collect()
}

async fn five_thousand_rows_all_or_nothing_then_no_duplicates(app: TestApp) {
    let org_a = app.organization("甲公司").await;
    let org_b = app.organization("乙公司").await;
    app.user("a.admin", Role::ContractorAdmin, None, Some(org_a)).await;
    app.user("b.admin", Role::ContractorAdmin, None, Some(org_b)).await;
    let a = client_for(&app, "a.admin").await;
    let b = client_for(&app, "b.admin").await;
    // B already registered this PIN.
    let mut theirs = serde_json::to_value(app::machines::MachineInput::example()).expect("json");
    theirs["pin"] = json!("BPIN-0001");
    let resp = b.post(app.url("/api/v1/machines")).json(&theirs).send().await.expect("create");
    assert_eq!(resp.status(), 201);

    let today = app::dates::china_date(app.clock.now());
    let future = today + chrono::Days::new(30);
    use chrono::Datelike;
    let mut rows: Vec<Row> = (0..5_000).map(good_row).collect();
    rows[10].env_code = "CN123".into(); // row 12: env code of 5 characters
    rows[20].made = (future.year() as u16, future.month() as u8, future.day() as u8); // row 22
    rows[30].fuel = "电动"; // row 32: electric fuel with stage 国四 (i % 3 == 0)
    rows[40].pin = rows[5].pin.clone(); // row 42 repeats row 7's PIN
    rows[50].pin = "BPIN-0001".into(); // row 52: B's PIN
    assert_eq!(rows[30].stage, "国四");

    let started = std::time::Instant::now();
    let resp = upload(&app, &a, "", xlsx(&rows)).await;
    assert_eq!(resp.status(), 422);
    let report = json(resp).await;
    eprintln!("5,000-row XLSX rejected in {:?}", started.elapsed());
    assert_eq!(report["error"]["code"], "import_rejected");
    assert_eq!(report["mode"], "all_or_nothing");
    assert_eq!(report["rows"], 5_000);
    assert_eq!(report["imported"], 0);
    assert_eq!(report["skipped"], 0);
    assert_eq!(
        problems(&report),
        vec![
            (12, "机械环保代码".into(), "env_code_length".into()),
            (22, "出厂日期".into(), "date_in_future".into()),
            (32, "燃料类型".into(), "electric_mismatch".into()),
            (42, "整机编号(PIN)".into(), "duplicate_in_file".into()),
            (52, "整机编号(PIN)".into(), "already_registered".into()),
        ],
        "{report}"
    );
    assert_eq!(report["errors"][3]["params"]["row"], "7");
    assert_eq!(report["errors"][0]["field"], "env_code");
    assert!(report["errors"][3]["message"].as_str().is_some_and(|m| m.contains('7')));
    assert_eq!(fleet_size(&app, org_a).await, 0, "nothing imported");

    // The fixed file: everything is imported.
    let fixed: Vec<Row> = (0..5_000).map(good_row).collect();
    let file = xlsx(&fixed);
    let started = std::time::Instant::now();
    let resp = upload(&app, &a, "?mode=all_or_nothing", file.clone()).await;
    let status = resp.status();
    let report = json(resp).await;
    eprintln!("5,000-row XLSX imported in {:?}", started.elapsed());
    assert_eq!(status, 200, "{report}");
    assert_eq!(report["imported"], 5_000);
    assert_eq!(report["skipped"], 0);
    assert_eq!(report["errors"], json!([]));
    assert_eq!(fleet_size(&app, org_a).await, 5_000);
    let stored = machine::Entity::find()
        .filter(machine::Column::Pin.eq("PIN000001"))
        .one(&app.state.db)
        .await
        .expect("query")
        .expect("row 3");
    assert_eq!(stored.machine_type, "loader");
    assert_eq!(stored.emission_stage, "stage_3");
    assert_eq!(stored.fuel_type, "diesel");
    assert_eq!(stored.manufactured_on, chrono::NaiveDate::from_ymd_opt(2023, 5, 1));
    assert_eq!(stored.rated_power_kw, 118.5);
    assert!(!stored.dpf_fitted && stored.obd_fitted);
    assert_eq!(stored.organization_id, org_a);

    // The same file again: nothing new, every row skipped.
    let resp = upload(&app, &a, "", file).await;
    assert_eq!(resp.status(), 200);
    let report = json(resp).await;
    assert_eq!((report["imported"].as_u64(), report["skipped"].as_u64()), (Some(0), Some(5_000)), "{report}");
    assert_eq!(report["errors"], json!([]));
    assert_eq!(fleet_size(&app, org_a).await, 5_000);

    // The same machines for another organisation: every identifier is taken.
    let resp = upload(&app, &b, "", xlsx(&fixed[..3])).await;
    assert_eq!(resp.status(), 422);
    let report = json(resp).await;
    assert_eq!(problems(&report).len(), 9, "PIN, env code and engine serial of 3 rows: {report}");
    assert!(problems(&report).iter().all(|(_, _, code)| code == "already_registered"));
}

async fn gbk_csv_and_valid_rows_mode(app: TestApp) {
    let org = app.organization("丙公司").await;
    app.user("c.staff", Role::ContractorStaff, None, Some(org)).await;
    let c = client_for(&app, "c.staff").await;
    let csv = format!(
        "{}\n\
         挖掘机,一号挖掘机,三一,SY215C,GBK-0001,,,,,,,国四,柴油,118,2023/05/01,是,,,,否,否\n\
         \n\
         装载机,二号装载机,柳工,CLG856,GBK-0002,,,,,,,国三,柴油,162,2020-03-15,否,,,,是,否\n\
         叉车,三号叉车,杭叉,CPD30,GBK-0003,,,,,,,电动,电,30.5,2024-01-02,否,,,,否,是\n\
         推土机,坏行,山推,SD16,GBK-0004,,,,,,,国五,柴油,abc,2020-13-01,也许,,,,否,否\n",
        HEADERS.join(",")
    );
    let (gbk, _, unmappable) = encoding_rs::GBK.encode(&csv);
    assert!(!unmappable);
    assert!(std::str::from_utf8(&gbk).is_err(), "really not UTF-8");

    // All or nothing: row 6 (after a blank row 3) is bad, so nothing is stored.
    let resp = upload(&app, &c, "", gbk.to_vec()).await;
    assert_eq!(resp.status(), 422);
    let report = json(resp).await;
    assert_eq!(report["rows"], 4);
    assert_eq!(
        problems(&report),
        vec![
            (6, "排放阶段".into(), "unknown_value".into()),
            (6, "额定净功率(kW)".into(), "bad_number".into()),
            (6, "出厂日期".into(), "bad_date".into()),
            (6, "已加装DPF".into(), "bad_boolean".into()),
        ],
        "{report}"
    );
    assert_eq!(fleet_size(&app, org).await, 0);

    // Valid rows only: three stored, the bad row reported.
    let resp = upload(&app, &c, "?mode=valid_rows", gbk.to_vec()).await;
    assert_eq!(resp.status(), 200);
    let report = json(resp).await;
    assert_eq!((report["imported"].as_u64(), report["errors"].as_array().map(Vec::len)), (Some(3), Some(4)));
    assert_eq!(fleet_size(&app, org).await, 3);
    let page = json(c.get(app.url("/api/v1/machines?q=GBK-0003")).send().await.expect("list")).await;
    let forklift = &page["items"][0];
    assert_eq!(forklift["name"], "三号叉车");
    assert_eq!(forklift["machine_type"], "forklift");
    assert_eq!(forklift["emission_stage"], "electric");
    assert_eq!(forklift["fuel_type"], "electric");
    assert_eq!(forklift["rated_power_kw"], 30.5);
    assert_eq!(forklift["manufactured_on"], "2024-01-02");
    assert_eq!(forklift["remote_terminal"], true);
    // Browser sessions get Chinese messages; API tokens English ones.
    assert!(report["errors"][0]["message"].as_str().is_some_and(|m| m.contains("国五")), "{report}");
    let token =
        json(c.post(app.url("/api/v1/auth/tokens")).json(&json!({"name": "import"})).send().await.expect("t")).await;
    let resp = TestApp::client_builder()
        .build()
        .expect("client")
        .post(app.url("/api/v1/machines/import?mode=valid_rows"))
        .bearer_auth(token["token"].as_str().expect("token"))
        .body(gbk.to_vec())
        .send()
        .await
        .expect("upload");
    let report = json(resp).await;
    assert_eq!(report["skipped"], 3, "{report}");
    assert_eq!(report["imported"], 0);
    assert!(report["errors"][0]["message"].as_str().is_some_and(|m| m.contains("not a recognised")), "{report}");
}

async fn templates_download_and_reimport(app: TestApp) {
    let org = app.organization("丁公司").await;
    app.user("d.admin", Role::ContractorAdmin, None, Some(org)).await;
    let d = client_for(&app, "d.admin").await;

    let resp = d.get(app.url("/api/v1/machines/import/template.csv")).send().await.expect("csv");
    assert_eq!(resp.status(), 200);
    let ct = resp.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
    assert!(ct.starts_with("text/csv"), "{ct}");
    let csv = resp.bytes().await.expect("body").to_vec();
    assert!(csv.starts_with(&[0xEF, 0xBB, 0xBF]), "UTF-8 BOM");
    let text = String::from_utf8(csv[3..].to_vec()).expect("utf-8");
    assert_eq!(text.trim_end(), HEADERS.join(","));
    let resp = upload(&app, &d, "", csv).await;
    assert_eq!(resp.status(), 200);
    let report = json(resp).await;
    assert_eq!((report["rows"].as_u64(), report["imported"].as_u64()), (Some(0), Some(0)), "{report}");

    let resp = d.get(app.url("/api/v1/machines/import/template.xlsx")).send().await.expect("xlsx");
    assert_eq!(resp.status(), 200);
    let disposition = resp.headers().get("content-disposition").and_then(|v| v.to_str().ok()).unwrap_or("");
    assert!(disposition.contains("attachment") && disposition.contains(".xlsx"), "{disposition}");
    let xlsx = resp.bytes().await.expect("body").to_vec();
    assert!(xlsx.starts_with(b"PK"));
    let resp = upload(&app, &d, "", xlsx).await;
    assert_eq!(resp.status(), 200);
    let report = json(resp).await;
    assert_eq!((report["rows"].as_u64(), report["imported"].as_u64()), (Some(0), Some(0)), "{report}");

    // The endpoints are in the OpenAPI document.
    let doc = json(app.get("/api/v1/openapi.json").await).await;
    for path in ["/api/v1/machines/import", "/api/v1/machines/import/template.xlsx", "/api/v1/machines/{id}/label.svg"]
    {
        assert!(doc["paths"].get(path).is_some(), "{path} documented");
    }

    // A header people misspelt, and a file without the required columns.
    let resp = upload(&app, &d, "", format!("{},备注\n", HEADERS.join(",")).into_bytes()).await;
    assert_eq!(resp.status(), 422);
    assert_eq!(problems(&json(resp).await), vec![(1, "备注".into(), "unknown_column".into())]);
    let resp = upload(&app, &d, "", "名称\n一号机\n".as_bytes().to_vec()).await;
    let report = json(resp).await;
    let missing: Vec<String> = problems(&report).into_iter().map(|(_, c, _)| c).collect();
    assert_eq!(missing, vec!["机械类型", "排放阶段", "燃料类型", "额定净功率(kW)"], "{report}");
}

async fn only_contractors_import_and_limits_hold(app: TestApp) {
    let org = app.organization("戊公司").await;
    app.user("e.admin", Role::ContractorAdmin, None, Some(org)).await;
    app.user("inspector", Role::CountyInspector, Some("140105"), None).await;
    let e = client_for(&app, "e.admin").await;
    let inspector = client_for(&app, "inspector").await;
    let one = format!("{}\n挖掘机,一号,,,LIM-0001,,,,,,,国四,柴油,100,,,,,,,\n", HEADERS.join(","));

    assert_error(upload(&app, &inspector, "", one.clone().into_bytes()).await, 403, "forbidden").await;
    let anonymous = TestApp::new_client();
    assert_error(upload(&app, &anonymous, "", one.clone().into_bytes()).await, 401, "unauthorized").await;
    assert_eq!(fleet_size(&app, org).await, 0);

    let mut big = HEADERS.join(",");
    for i in 0..5_001 {
        big.push_str(&format!("\n挖掘机,{i}号,,,LIM-{i:05},,,,,,,国四,柴油,100,,,,,,,"));
    }
    let body = assert_error(upload(&app, &e, "", big.into_bytes()).await, 422, "too_many_rows").await;
    assert_eq!(body["error"]["details"]["max"], "5000");
    // A client of its own: the server may close the connection of a refused upload.
    let once = client_for(&app, "e.admin").await;
    let huge = vec![b'a'; 10 * 1024 * 1024 + 1];
    assert_error(upload(&app, &once, "", huge).await, 413, "payload_too_large").await;
    assert_error(upload(&app, &e, "", b"PK\x03\x04broken".to_vec()).await, 400, "unreadable_file").await;
    assert_error(upload(&app, &e, "", Vec::new()).await, 400, "unreadable_file").await;
    assert_eq!(fleet_size(&app, org).await, 0);

    let resp = upload(&app, &e, "", one.into_bytes()).await;
    assert_eq!(resp.status(), 200);
    assert_eq!(fleet_size(&app, org).await, 1);
}

async fn zip_bombs_are_refused_whatever_sizes_they_declare(app: TestApp) {
    let org = app.organization("己公司").await;
    app.user("f.admin", Role::ContractorAdmin, None, Some(org)).await;
    for forge in [false, true] {
        // 256 MiB of text in a quarter of a megabyte: refused while decompressing, long before
        // memory grows (the limit is 32 MiB).
        let bomb = crate::zip_bomb::zip_bomb(256 << 20, forge);
        assert!(bomb.len() < 1024 * 1024, "{}", bomb.len());
        let client = client_for(&app, "f.admin").await;
        let started = std::time::Instant::now();
        assert_error(upload(&app, &client, "", bomb).await, 413, "payload_too_large").await;
        eprintln!("zip bomb (forged sizes: {forge}) refused in {:?}", started.elapsed());
    }
    assert_eq!(fleet_size(&app, org).await, 0);
}
