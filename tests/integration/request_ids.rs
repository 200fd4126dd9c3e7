//! One tap, one record (issue 10, part 2): a creating request carrying a request id it already
//! sent — one after the other or both at once — gets the first record back and creates nothing;
//! an id is the caller's own, and reusing one for another operation is refused.

use crate::db_tests;
use crate::helpers::{TestApp, assert_error, create_machine, create_site, expect_status, id_of, machine_input};
use crate::inspections::{inspection, registered, world};
use app::db::entities::{evidence_photo, filing, inspection as inspection_row, machine};
use app::error::{ConflictCode, FieldCode};
use chrono::Duration;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::{Value, json};

db_tests!(
    an_inspection_sent_twice_is_recorded_once,
    a_filing_sent_twice_is_submitted_once,
    a_note_sent_twice_is_added_once,
    a_machine_sent_twice_is_registered_once,
    a_twin_refused_by_what_its_first_created_gets_the_first,
    an_evidence_photo_sent_twice_is_added_once
);

async fn inspections_of(app: &TestApp, machine: &Value) -> u64 {
    let id: uuid::Uuid = id_of(machine).parse().expect("uuid");
    inspection_row::Entity::find()
        .filter(inspection_row::Column::MachineId.eq(id))
        .count(&app.state.db)
        .await
        .expect("count")
}

async fn an_inspection_sent_twice_is_recorded_once(app: TestApp) {
    let w = world(&app).await;
    let m = registered(&app, &w, &w.plain_site, 1, json!({})).await;
    let mut body = inspection(&app, &w.plain_site, &m, &[1.2, 1.2, 1.2]);
    body["request_id"] = json!(uuid::Uuid::new_v4());

    // One after the other: the second answer is the first inspection, with the case it opened.
    let first = expect_status(app.post_as(&w.xiaodian, "/api/v1/inspections", &body).await, 201).await;
    let again = expect_status(app.post_as(&w.xiaodian, "/api/v1/inspections", &body).await, 201).await;
    assert_eq!(again["id"], first["id"]);
    assert_eq!(again["opened_cases"], first["opened_cases"]);
    assert_eq!(inspections_of(&app, &m).await, 1);

    // Both at once (a double tap): one inspection, both answers name it.
    body["request_id"] = json!(uuid::Uuid::new_v4());
    let send = || app.post_as(&w.xiaodian, "/api/v1/inspections", &body);
    let (a, b) = tokio::join!(send(), send());
    let (a, b) = (expect_status(a, 201).await, expect_status(b, 201).await);
    assert_eq!(a["id"], b["id"]);
    assert_eq!(inspections_of(&app, &m).await, 2);

    // Without an id every request records (the id is what says "the same submission").
    let mut plain = body.clone();
    plain.as_object_mut().expect("object").remove("request_id");
    expect_status(app.post_as(&w.xiaodian, "/api/v1/inspections", &plain).await, 201).await;
    assert_eq!(inspections_of(&app, &m).await, 3);

    // An id is its sender's: another inspector using the same id records their own inspection.
    let other = crate::helpers::inspector(&app, "xiaodian.other", "140105").await;
    let theirs = expect_status(app.post_as(&other, "/api/v1/inspections", &body).await, 201).await;
    assert_ne!(theirs["id"], a["id"]);
    assert_eq!(inspections_of(&app, &m).await, 4);
}

async fn a_filing_sent_twice_is_submitted_once(app: TestApp) {
    let (org, unit) = crate::helpers::contractor(&app, "twice.unit").await;
    let site = create_site(&app, &unit, "两次工地", "140105").await;
    let machine = create_machine(&app, &unit, 1).await;
    let today = app.today();
    let mut body = json!({"site_id": site["id"], "machine_ids": [machine["id"]],
        "planned_entry_on": today, "planned_exit_on": today + Duration::days(30),
        "request_id": uuid::Uuid::new_v4()});
    let count = || filing::Entity::find().filter(filing::Column::OrganizationId.eq(org)).count(&app.state.db);

    let first = expect_status(app.post_as(&unit, "/api/v1/filings", &body).await, 201).await;
    let again = expect_status(app.post_as(&unit, "/api/v1/filings", &body).await, 201).await;
    assert_eq!(again["id"], first["id"]);
    assert_eq!(count().await.expect("count"), 1);

    body["request_id"] = json!(uuid::Uuid::new_v4());
    let send = || app.post_as(&unit, "/api/v1/filings", &body);
    let (a, b) = tokio::join!(send(), send());
    let (a, b) = (expect_status(a, 201).await, expect_status(b, 201).await);
    assert_eq!(a["id"], b["id"]);
    assert_eq!(count().await.expect("count"), 2);

    // An id is no record id, and one used for a filing cannot name another operation's record.
    let mut unit_reuse = body.clone();
    unit_reuse["request_id"] = json!(first["id"]);
    let fresh = expect_status(app.post_as(&unit, "/api/v1/filings", &unit_reuse).await, 201).await;
    assert_ne!(fresh["id"], first["id"], "a request id is not a record id");
    let used: uuid::Uuid = body["request_id"].as_str().and_then(|s| s.parse().ok()).expect("id");
    let me = expect_status(app.get_as(&unit, "/api/v1/auth/me").await, 200).await;
    let me: uuid::Uuid = me["id"].as_str().and_then(|s| s.parse().ok()).expect("my id");
    let principal = crate::helpers::principal_of(&app, me).await;
    let err = app::request_ids::replayed(&app.state.db, &principal, Some(used), "create_inspection")
        .await
        .map_err(app::error::AppError::from)
        .expect_err("another operation");
    assert_eq!(err.code(), "request_id_reused");
    let found = app::request_ids::replayed(&app.state.db, &principal, Some(used), "create_filing").await;
    assert_eq!(found.ok().flatten().map(|id| id.to_string()).as_deref(), a["id"].as_str());
    assert_eq!(count().await.expect("count"), 3);
}

async fn a_note_sent_twice_is_added_once(app: TestApp) {
    let w = world(&app).await;
    let m = registered(&app, &w, &w.plain_site, 1, json!({})).await;
    let ins = expect_status(
        app.post_as(&w.xiaodian, "/api/v1/inspections", &inspection(&app, &w.plain_site, &m, &[1.5, 1.5, 1.5])).await,
        201,
    )
    .await;
    let case = ins["opened_cases"][0]["id"].as_str().expect("case").to_owned();
    for (path, notes_of) in [
        (format!("/api/v1/inspections/{}/notes", id_of(&ins)), format!("/api/v1/inspections/{}", id_of(&ins))),
        (format!("/api/v1/cases/{case}/notes"), format!("/api/v1/cases/{case}")),
    ] {
        let body = json!({"body": "联合执法：已通知交通部门", "request_id": uuid::Uuid::new_v4()});
        let first = expect_status(app.post_as(&w.xiaodian, &path, &body).await, 201).await;
        let send = || app.post_as(&w.xiaodian, &path, &body);
        let (a, b) = tokio::join!(send(), send());
        for again in [expect_status(a, 201).await, expect_status(b, 201).await] {
            assert_eq!(again["id"], first["id"], "{path}");
        }
        let read = expect_status(app.get_as(&w.xiaodian, &notes_of).await, 200).await;
        let notes = read.get("joint_notes").or_else(|| read.get("notes")).and_then(Value::as_array).expect("notes");
        assert_eq!(notes.len(), 1, "{path}: {notes:?}");
    }
}

async fn a_machine_sent_twice_is_registered_once(app: TestApp) {
    let (org, unit) = crate::helpers::contractor(&app, "twice.fleet").await;
    let count = || machine::Entity::find().filter(machine::Column::OrganizationId.eq(org)).count(&app.state.db);
    let mut body = machine_input(1);
    body["request_id"] = json!(uuid::Uuid::new_v4());

    // One after the other: the repeat is answered with the first machine (not "PIN taken").
    let first = expect_status(app.post_as(&unit, "/api/v1/machines", &body).await, 201).await;
    let again = expect_status(app.post_as(&unit, "/api/v1/machines", &body).await, 201).await;
    assert_eq!(again["id"], first["id"]);
    assert!(again.get("request_id").is_none(), "the id is not part of the machine: {again}");
    assert_eq!(count().await.expect("count"), 1);

    // Both at once: one machine, both answers name it.
    let mut body = machine_input(2);
    body["request_id"] = json!(uuid::Uuid::new_v4());
    let send = || app.post_as(&unit, "/api/v1/machines", &body);
    let (a, b) = tokio::join!(send(), send());
    let (a, b) = (expect_status(a, 201).await, expect_status(b, 201).await);
    assert_eq!(a["id"], b["id"]);
    assert_eq!(count().await.expect("count"), 2);

    // The page's server function carries the id beside the machine.
    let fn_body = json!({"input": machine_input(3), "request_id": uuid::Uuid::new_v4()});
    let mut answers = Vec::new();
    for _ in 0..2 {
        let resp = unit.post(app.url("/api/machines/create")).json(&fn_body).send().await.expect("server fn");
        answers.push(expect_status(resp, 200).await["id"].clone());
    }
    assert_eq!(answers[0], answers[1]);
    assert_eq!(count().await.expect("count"), 3);

    // An id used for another operation is refused, and creates nothing.
    let mut reused = machine_input(5);
    reused["request_id"] = first_request_of_a_filing(&app, &unit).await;
    assert_error(app.post_as(&unit, "/api/v1/machines", &reused).await, 409, "request_id_reused").await;
    assert_eq!(count().await.expect("count"), 4, "the filing's machine, and no other");
}

/// A request id the unit used to submit a filing (with a machine of its own).
async fn first_request_of_a_filing(app: &TestApp, unit: &reqwest::Client) -> Value {
    let site = create_site(app, unit, "复用工地", "140105").await;
    let m = create_machine(app, unit, 9).await;
    let request = json!(uuid::Uuid::new_v4());
    let today = app.today();
    let body = json!({"site_id": site["id"], "machine_ids": [m["id"]], "planned_entry_on": today,
        "planned_exit_on": today + Duration::days(3), "request_id": request});
    expect_status(app.post_as(unit, "/api/v1/filings", &body).await, 201).await;
    request
}

async fn an_evidence_photo_sent_twice_is_added_once(app: TestApp) {
    let w = world(&app).await;
    let m = registered(&app, &w, &w.plain_site, 1, json!({})).await;
    let body = inspection(&app, &w.plain_site, &m, &[0.5, 0.5, 0.5]);
    let ins = expect_status(app.post_as(&w.xiaodian, "/api/v1/inspections", &body).await, 201).await;
    let path = format!("/api/v1/inspections/{}/photos", id_of(&ins));
    let photos = || evidence_photo::Entity::find().count(&app.state.db);
    let post = |request: String, seed: u8| {
        let part = reqwest::multipart::Part::bytes(crate::evidence::jpeg(seed)).file_name("p.jpg");
        let form = reqwest::multipart::Form::new().text("request_id", request).part("file", part);
        w.xiaodian.post(app.url(&path)).header("accept", "application/json").multipart(form).send()
    };

    let request = uuid::Uuid::new_v4().to_string();
    let first = expect_status(post(request.clone(), 1).await.expect("post"), 201).await;
    let again = expect_status(post(request.clone(), 2).await.expect("post"), 201).await;
    assert_eq!(again["id"], first["id"]);
    assert_eq!(photos().await.expect("count"), 1);

    let request = uuid::Uuid::new_v4().to_string();
    let (a, b) = tokio::join!(post(request.clone(), 3), post(request, 3));
    let (a, b) = (expect_status(a.expect("post"), 201).await, expect_status(b.expect("post"), 201).await);
    assert_eq!(a["id"], b["id"]);
    assert_eq!(photos().await.expect("count"), 2);
    // The repeats' files were removed: two photos, two files each.
    let stored: Vec<String> =
        crate::photos::stored_files(&app).into_iter().filter(|f| f.contains("/evidence/")).collect();
    assert_eq!(stored.len(), 4, "files of the two photos only: {stored:?}");

    let bad = assert_error(post("not-an-id".into(), 4).await.expect("post"), 422, "validation_failed").await;
    crate::helpers::assert_field(&bad, "request_id", &app::error::FieldError::new(FieldCode::Invalid));
    assert_eq!(photos().await.expect("count"), 2);
}

/// Two copies of one request at once: both pass the first look for their id, the first commits,
/// and the second's checks then fail on what the first created (its PIN is taken). The second
/// gets the first record, not the failure; a failure of a request nobody sent before stands.
async fn a_twin_refused_by_what_its_first_created_gets_the_first(app: TestApp) {
    let (_org, unit) = crate::helpers::contractor(&app, "twin.fleet").await;
    let request = uuid::Uuid::new_v4();
    let mut body = machine_input(1);
    body["request_id"] = json!(request);
    let first = expect_status(app.post_as(&unit, "/api/v1/machines", &body).await, 201).await;
    let me = expect_status(app.get_as(&unit, "/api/v1/auth/me").await, 200).await;
    let principal = crate::helpers::principal_of(&app, me["id"].as_str().expect("id").parse().expect("uuid")).await;
    let refused = || -> app::service_error::ServiceResult<()> {
        Err(app::error::AppError::conflict(ConflictCode::DuplicateIdentifier).into())
    };
    let db = &app.state.db;
    let twin = app::request_ids::unless_replayed(db, &principal, Some(request), "create_machine", refused()).await;
    assert_eq!(twin.expect("answered").err().map(|id| id.to_string()), Some(id_of(&first)));
    let stranger =
        app::request_ids::unless_replayed(db, &principal, Some(uuid::Uuid::new_v4()), "create_machine", refused())
            .await;
    assert!(stranger.is_err(), "a new id's failure stands");
    let plain = app::request_ids::unless_replayed(db, &principal, None, "create_machine", refused()).await;
    assert!(plain.is_err(), "no id: the failure stands");
}
