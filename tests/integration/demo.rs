//! The Taiyuan demo (issue 15): `nrmm seed-demo` fills a realistic Taiyuan through the services
//! (a dozen units, forty-odd sites in all ten counties, two thousand machines, a year of
//! filings, inspections and cases in every state, watch-list entries), so the dashboards, the
//! plan and the lists show something; loading it twice changes nothing.

use crate::db_tests;
use crate::helpers::{TestApp, expect_status};
use app::db::entities::{case, filing, inspection, machine, organization, site, watch_entry};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QuerySelect};
use std::collections::BTreeSet;

db_tests!(the_taiyuan_demo_shows_the_product_and_loads_twice, the_demo_load_does_not_wait_for_each_commit);

async fn the_taiyuan_demo_shows_the_product_and_loads_twice(app: TestApp) {
    server::seed::demo(&app.state).await.expect("demo");
    let started = std::time::Instant::now();
    server::seed::taiyuan(&app.state).await.expect("Taiyuan");
    eprintln!("Taiyuan demo loaded in {:.1} s ({:?}, debug build)", started.elapsed().as_secs_f64(), app.backend);
    let db = &app.state.db;
    let counts = || async {
        (
            organization::Entity::find().count(db).await.expect("orgs"),
            site::Entity::find().count(db).await.expect("sites"),
            machine::Entity::find().count(db).await.expect("machines"),
            filing::Entity::find().count(db).await.expect("filings"),
            inspection::Entity::find().count(db).await.expect("inspections"),
            case::Entity::find().count(db).await.expect("cases"),
        )
    };
    let first = counts().await;
    let (orgs, sites, machines, filings, inspections, cases) = first;
    assert_eq!((orgs, sites, machines), (12, 43, 2008));
    assert!(filings >= 164, "{first:?}");
    assert!(inspections >= 300 && cases >= 20, "{first:?}");
    // Every county of Taiyuan has sites; every filing state and case state is there.
    let counties: BTreeSet<String> = site::Entity::find()
        .select_only()
        .column(site::Column::CountyCode)
        .into_tuple()
        .all(db)
        .await
        .expect("c")
        .into_iter()
        .collect();
    assert_eq!(counties.len(), 10, "{counties:?}");
    let statuses: BTreeSet<String> =
        filing::Entity::find().all(db).await.expect("f").into_iter().map(|f| f.status.as_str().to_owned()).collect();
    assert!(["accepted", "returned", "submitted"].iter().all(|s| statuses.contains(*s)), "{statuses:?}");
    let states: BTreeSet<String> =
        case::Entity::find().all(db).await.expect("c").into_iter().map(|c| c.state.as_str().to_owned()).collect();
    assert_eq!(states.len(), 5, "every case state: {states:?}");
    let failed =
        inspection::Entity::find().filter(inspection::Column::Verdict.eq("fail")).count(db).await.expect("fails");
    assert!(failed * 20 < inspections * 5 && failed >= 10, "failures are a minority: {failed} of {inspections}");
    assert!(watch_entry::Entity::find().count(db).await.expect("entries") >= 5);
    assert!(app::db::entities::public_report::Entity::find().count(db).await.expect("reports") >= 10);

    // What an inspector and the city see.
    let yingze = app.signed_in_with("yingze.inspector", server::seed::DEMO_PASSWORD).await;
    let plan = expect_status(app.get_as(&yingze, "/api/v1/inspection-plan").await, 200).await;
    let ranked = plan["sites"].as_array().expect("sites");
    assert!(ranked.len() >= 3, "迎泽区's plan: {plan}");
    assert!(ranked[0]["score"].as_f64() > ranked[ranked.len() - 1]["score"].as_f64(), "a ranking, not a tie");
    let city = app.signed_in_with("taiyuan.officer", server::seed::DEMO_PASSWORD).await;
    let stats = expect_status(app.get_as(&city, "/api/v1/stats").await, 200).await;
    assert!(stats["totals"]["registered_machines"].as_u64() > Some(1000), "{}", stats["totals"]);
    let watched = expect_status(app.get_as(&city, "/api/v1/watchlist").await, 200).await;
    assert!(watched.as_array().map(Vec::len) > Some(10));

    server::seed::demo(&app.state).await.expect("demo again");
    server::seed::taiyuan(&app.state).await.expect("Taiyuan again");
    assert_eq!(counts().await, first, "loading twice changes nothing");
}

/// `nrmm seed-demo` opens its pool without a disk flush per commit (SQLite `synchronous=NORMAL`
/// in WAL mode, PostgreSQL `synchronous_commit = off`) on every pooled connection; the server's
/// own pool still waits for each (SQLite `FULL`, PostgreSQL `on`).
async fn the_demo_load_does_not_wait_for_each_commit(app: TestApp) {
    use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};
    let sqlite = matches!(app.backend, crate::helpers::Backend::Sqlite);
    let settings = |db: DatabaseConnection| async move {
        // More queries than connections, at once, so every pooled connection answers.
        let all = (0..12).map(|_| {
            let db = db.clone();
            async move {
                let sql = if sqlite { "PRAGMA synchronous" } else { "SHOW synchronous_commit" };
                let row = db
                    .query_one_raw(Statement::from_string(db.get_database_backend(), sql))
                    .await
                    .expect("setting")
                    .expect("a row");
                if sqlite {
                    row.try_get_by_index::<i32>(0).expect("number").to_string()
                } else {
                    row.try_get_by_index::<String>(0).expect("text")
                }
            }
        });
        futures::future::join_all(all).await.into_iter().collect::<BTreeSet<String>>()
    };
    let load = server::connect_for_load(&app.config).await.expect("the load's pool");
    let (lazy, durable) = if sqlite { ("1", "2") } else { ("off", "on") };
    assert_eq!(settings(load).await, BTreeSet::from([lazy.to_owned()]), "the demo load's pool");
    assert_eq!(settings(app.state.db.clone()).await, BTreeSet::from([durable.to_owned()]), "the server's pool");
}
