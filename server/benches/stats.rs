#![expect(clippy::expect_used, reason = "a benchmark stops loudly on any setup error")]
//! Statistics benchmark on SQLite (a file database, as the server runs it): a province-sized
//! dataset — 100,000 machines, each in an accepted or pending filing in one of Shanxi's 117
//! counties, 200,000 inspections and 20,000 cases spread over two years — and the figures of
//! `GET /api/v1/stats` and `/stats/ranking` for the province, a city and a county, through
//! `stats::service` (the work behind the endpoints, minus HTTP).
//!
//! Run in release: `cargo bench -p server --bench stats`. Prints the median, minimum, 95th
//! percentile and maximum of each query.

use app::auth::Role;
use app::auth::service::{Credential, NewUser, Principal, create_user};
use app::db::entities::{case, filing, filing_machine, inspection, machine, organization, site};
use app::state::{AppState, Clock};
use app::stats::StatsQuery;
use chrono::Duration as Days;
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter};
use std::time::{Duration, Instant};
use uuid::Uuid;

const MACHINES: usize = 100_000;
const INSPECTIONS: usize = 200_000;
const CASES: usize = 20_000;
const CHUNK: usize = 500;

async fn state(dir: &tempfile::TempDir) -> AppState {
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("bench.sqlite").display());
    let data = dir.path().display().to_string();
    let config = server::Config::from_lookup(|k| match k {
        "DATABASE_URL" => Some(url.clone()),
        "NRMM_DATA_DIR" => Some(data.clone()),
        _ => None,
    })
    .expect("config");
    let db = server::connect_and_migrate(&config).await.expect("migrate");
    server::build_app_with(&config, db, Clock::system()).state
}

async fn insert_chunks<A, E>(state: &AppState, rows: Vec<A>)
where
    A: sea_orm::ActiveModelTrait<Entity = E> + Send,
    E: EntityTrait,
{
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let chunk: Vec<A> = rows.by_ref().take(CHUNK).collect();
        E::insert_many(chunk).exec(&state.db).await.expect("insert");
    }
}

/// Seeds the dataset; returns the user who inspected everything.
async fn seed(state: &AppState) -> Uuid {
    let now = state.clock.now();
    let today = app::dates::china_date(now);
    let counties: Vec<String> = app::db::entities::division::Entity::find()
        .filter(app::db::entities::division::Column::Level.eq("county"))
        .all(&state.db)
        .await
        .expect("counties")
        .into_iter()
        .map(|d| d.code)
        .collect();
    assert_eq!(counties.len(), 117);
    let officer = create_user(
        state,
        NewUser {
            username: "bench.officer".into(),
            password: "correct horse battery".into(),
            role: Role::Sysadmin,
            display_name: None,
            organization_id: None,
            division_code: None,
            phone: None,
        },
    )
    .await
    .expect("user");
    let org = Uuid::now_v7();
    let uscc = app::orgs::Uscc::with_check_char("91140100MA0BENCH0").expect("uscc");
    organization::Entity::insert(organization::ActiveModel {
        id: Set(org),
        name: Set("基准测试建设有限公司".into()),
        uscc: Set(uscc.to_string()),
        contact_name: Set("测试".into()),
        contact_phone: Set("13800000000".into()),
        is_active: Set(true),
        created_at: Set(now),
        updated_at: Set(now),
    })
    .exec(&state.db)
    .await
    .expect("organization");
    let sites: Vec<Uuid> = counties.iter().map(|_| Uuid::now_v7()).collect();
    insert_chunks(
        state,
        counties
            .iter()
            .zip(&sites)
            .map(|(county, id)| site::ActiveModel {
                id: Set(*id),
                organization_id: Set(org),
                name: Set(format!("{county}工地")),
                county_code: Set(county.clone()),
                address: Set("示范路1号".into()),
                permit_no: Set(None),
                starts_on: Set(today - Days::days(800)),
                ends_on: Set(today + Days::days(400)),
                lat: Set(None),
                lng: Set(None),
                zone_decision: Set(None),
                zone_decided_by: Set(None),
                zone_decided_at: Set(None),
                zone_reason: Set(None),
                version: Set(1),
                created_at: Set(now),
                updated_at: Set(now),
            })
            .collect(),
    )
    .await;

    const TYPES: [&str; 5] = ["excavator", "loader", "crane", "forklift", "roller"];
    const STAGES: [&str; 6] = ["pre_standard", "stage_1", "stage_2", "stage_3", "stage_4", "electric"];
    let machines: Vec<Uuid> = (0..MACHINES).map(|_| Uuid::now_v7()).collect();
    insert_chunks(
        state,
        machines
            .iter()
            .enumerate()
            .map(|(i, id)| {
                let stage = STAGES[i % STAGES.len()];
                machine::ActiveModel {
                    id: Set(*id),
                    organization_id: Set(org),
                    machine_type: Set(TYPES[i % TYPES.len()].into()),
                    name: Set(format!("{i}号机械")),
                    brand: Set(None),
                    model: Set(None),
                    pin: Set(None),
                    env_code: Set(None),
                    info_disclosure_no: Set(None),
                    engine_model: Set(None),
                    engine_serial: Set(None),
                    engine_maker: Set(None),
                    engine_approval_no: Set(None),
                    emission_stage: Set(stage.into()),
                    fuel_type: Set((if stage == "electric" { "electric" } else { "diesel" }).into()),
                    rated_power_kw: Set(90.0),
                    manufactured_on: Set(None),
                    dpf_fitted: Set(false),
                    dpf_model: Set(None),
                    dpf_maker: Set(None),
                    dpf_fitted_on: Set(None),
                    obd_fitted: Set(false),
                    remote_terminal: Set(false),
                    registration_code: Set(None),
                    registered_at: Set(None),
                    version: Set(1),
                    created_at: Set(now),
                    updated_at: Set(now),
                }
            })
            .collect(),
    )
    .await;

    // One filing per machine, in county i mod 117, created over the last two years.
    const STATUSES: [&str; 5] = ["accepted", "accepted", "accepted", "submitted", "returned"];
    let filings: Vec<(Uuid, usize)> = (0..MACHINES).map(|i| (Uuid::now_v7(), i % counties.len())).collect();
    insert_chunks(
        state,
        filings
            .iter()
            .enumerate()
            .map(|(i, (id, c))| {
                let created = now - Days::minutes((i as i64 * 7_919) % (730 * 24 * 60));
                let entry = app::dates::china_date(created);
                filing::ActiveModel {
                    id: Set(*id),
                    organization_id: Set(org),
                    site_id: Set(sites[*c]),
                    county_code: Set(counties[*c].clone()),
                    status: Set(app::filings::FilingStatus::parse(STATUSES[i % STATUSES.len()]).expect("a status")),
                    planned_entry_on: Set(entry),
                    planned_exit_on: Set(entry + Days::days(90)),
                    return_reason: Set(None),
                    submitted_at: Set(Some(created)),
                    reviewed_at: Set(None),
                    reviewed_by: Set(None),
                    created_by: Set(officer),
                    version: Set(1),
                    created_at: Set(created),
                    updated_at: Set(created),
                }
            })
            .collect(),
    )
    .await;
    insert_chunks(
        state,
        filings
            .iter()
            .zip(&machines)
            .map(|((f, _), m)| filing_machine::ActiveModel {
                filing_id: Set(*f),
                machine_id: Set(*m),
                left_on: Set(None),
                left_at: Set(None),
            })
            .collect(),
    )
    .await;

    const VERDICTS: [&str; 5] = ["pass", "pass", "pass", "fail", "exempt"];
    let inspections: Vec<Uuid> = (0..INSPECTIONS).map(|_| Uuid::now_v7()).collect();
    insert_chunks(
        state,
        inspections
            .iter()
            .enumerate()
            .map(|(i, id)| {
                let m = i % MACHINES;
                let c = m % counties.len();
                let at = now - Days::minutes((i as i64 * 5_003) % (730 * 24 * 60));
                inspection::ActiveModel {
                    id: Set(*id),
                    county_code: Set(counties[c].clone()),
                    site_id: Set(sites[c]),
                    site_organization_id: Set(org),
                    machine_id: Set(Some(machines[m])),
                    organization_id: Set(Some(org)),
                    unregistered_description: Set(None),
                    emission_stage: Set("stage_3".into()),
                    fuel_type: Set("diesel".into()),
                    rated_power_kw: Set(90.0),
                    inspector_id: Set(officer),
                    inspected_at: Set(at),
                    lat: Set(None),
                    lng: Set(None),
                    opacity_readings: Set("[0.2,0.2,0.2]".into()),
                    ringelmann_level: Set(None),
                    mean_k: Set(Some(0.2)),
                    limit_class: Set(Some("II".into())),
                    limit_k: Set(Some(0.8)),
                    limit_table_version: Set("GB36886-2018".into()),
                    limit_table_id: Set(None),
                    verdict: Set(
                        app::inspections::compliance::Verdict::parse(VERDICTS[i % VERDICTS.len()]).expect("a verdict")
                    ),
                    reasons: Set("[]".into()),
                    low_emission_zone: Set(false),
                    zone_exemption: Set(None),
                    label_present: Set(Some(true)),
                    notes: Set(None),
                    case_id: Set(None),
                    created_at: Set(at),
                }
            })
            .collect(),
    )
    .await;
    const STATES: [&str; 5] = ["open", "rectification_ordered", "penalized", "reinspection_passed", "closed"];
    insert_chunks(
        state,
        (0..CASES)
            .map(|i| {
                let n = i * 10 + 3; // a failing inspection
                let m = n % MACHINES;
                let c = m % counties.len();
                let at = now - Days::minutes((n as i64 * 5_003) % (730 * 24 * 60));
                case::ActiveModel {
                    id: Set(Uuid::now_v7()),
                    county_code: Set(counties[c].clone()),
                    kind: Set(app::cases::CaseKind::FailedInspection),
                    state: Set(app::cases::CaseState::parse(STATES[i % STATES.len()]).expect("a state")),
                    machine_id: Set(Some(machines[m])),
                    organization_id: Set(Some(org)),
                    site_organization_id: Set(org),
                    site_id: Set(sites[c]),
                    inspection_id: Set(inspections[n]),
                    deadline_on: Set(Some(today - Days::days((i % 60) as i64 - 30))),
                    penalty_yuan: Set(None),
                    legal_basis: Set(None),
                    opened_at: Set(at),
                    closed_at: Set(None),
                    version: Set(1),
                    updated_at: Set(at),
                }
            })
            .collect(),
    )
    .await;
    officer
}

fn report(name: &str, mut samples: Vec<Duration>) {
    samples.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let at = |q: f64| samples[((samples.len() - 1) as f64 * q).round() as usize];
    println!(
        "{name:<40} n={:<4} median {:>9.2} ms   min {:>9.2} ms   p95 {:>9.2} ms   max {:>9.2} ms",
        samples.len(),
        ms(at(0.5)),
        ms(samples[0]),
        ms(at(0.95)),
        ms(samples[samples.len() - 1])
    );
}

async fn run(runs: usize) {
    let dir = tempfile::tempdir().expect("temp dir");
    let state = state(&dir).await;
    let started = Instant::now();
    let officer = seed(&state).await;
    println!(
        "seeded {MACHINES} machines and filings, {INSPECTIONS} inspections, {CASES} cases in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let principal = Principal {
        user_id: officer,
        username: "bench.officer".into(),
        display_name: "bench.officer".into(),
        role: Role::Sysadmin,
        organization_id: None,
        division_code: None,
        division_level: None,
        division_name: None,
        via: Credential::Session,
        session_epoch: 0,
    };
    let q = |code: &str| StatsQuery { division_code: Some(code.into()), ..Default::default() };
    for (name, code) in [("province", "140000"), ("city (Taiyuan)", "140100"), ("county (小店区)", "140105")] {
        let mut samples = Vec::new();
        let mut machines = 0;
        for _ in 0..runs {
            let t = Instant::now();
            let s = app::stats::service::stats(&state, &principal, &q(code)).await.expect("stats");
            samples.push(t.elapsed());
            machines = s.totals.machines;
        }
        assert!(machines > 0);
        report(&format!("stats, {name}"), samples);
        let mut samples = Vec::new();
        for _ in 0..runs {
            let t = Instant::now();
            let r = app::stats::service::ranking(&state, &principal, &q(code)).await.expect("ranking");
            samples.push(t.elapsed());
            assert!(!r.rows.is_empty());
        }
        report(&format!("ranking, {name}"), samples);
    }
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("runtime");
    println!(
        "NRMM statistics benchmark (SQLite, {} cores)",
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );
    rt.block_on(run(15));
}
