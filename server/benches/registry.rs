#![expect(clippy::expect_used, reason = "a benchmark stops loudly on any setup error")]
//! Registry benchmarks on SQLite (a file database in a temporary folder, as the server runs it):
//!
//! - `import`: validating and storing 5,000 machines from an XLSX and from a CSV file through
//!   `machines::import::service::import` (the work behind `POST /api/v1/machines/import`),
//!   each run on a fresh database;
//! - `list`: one page of 50 of a 10,000-machine fleet through `machines::service::list`
//!   (keyset pagination, a construction unit's scope), walking every page several times;
//! - `writes`: machines created per second by 8 concurrent writers through
//!   `machines::service::create` (one transaction each, as `POST /api/v1/machines`), with
//!   SQLite's `synchronous=FULL` (the default: an acknowledged write survives a power cut) and
//!   `synchronous=NORMAL`, alternating, on a fresh database each run;
//! - `memory-import` / `memory-bomb` (run one per process, they report the process's peak
//!   resident memory): a 5,000-row XLSX imported, against a 256 MiB zip bomb with forged sizes
//!   refused by the same import.
//!
//! Run in release: `cargo bench -p server --bench registry` (optionally followed by `-- import`
//! or `-- list` to run one group). Prints the median, minimum, 95th percentile and maximum.

#[path = "../../tests/support/zip_bomb.rs"]
mod zip_bomb;

use app::auth::Role;
use app::auth::service::{Credential, NewUser, Principal, create_user};
use app::machines::MachineFilter;
use app::machines::import::ImportMode;
use app::machines::import::service::import;
use app::paging::PageQuery;
use app::state::{AppState, Clock};
use std::time::{Duration, Instant};
use uuid::Uuid;

/// A server state on a fresh SQLite database, and a construction unit's administrator.
struct Env {
    state: AppState,
    principal: Principal,
    _dir: tempfile::TempDir,
}

async fn env() -> Env {
    env_with("full").await
}

async fn env_with(sync: &str) -> Env {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("bench.sqlite").display());
    let data = dir.path().display().to_string();
    let config = server::Config::from_lookup(|k| match k {
        "DATABASE_URL" => Some(url.clone()),
        "NRMM_DATA_DIR" => Some(data.clone()),
        "NRMM_SQLITE_SYNCHRONOUS" => Some(sync.to_owned()),
        _ => None,
    })
    .expect("config");
    let db = server::connect_and_migrate(&config).await.expect("migrate");
    let app = server::build_app_with(&config, db, Clock::system());
    let state = app.state;
    let org = Uuid::now_v7();
    let now = state.clock.now();
    let uscc = app::orgs::Uscc::with_check_char("91140100MA0BENCH0").expect("uscc");
    use sea_orm::{ActiveModelTrait, ActiveValue::Set};
    app::db::entities::organization::ActiveModel {
        id: Set(org),
        name: Set("基准测试建设有限公司".into()),
        uscc: Set(uscc.to_string()),
        contact_name: Set("测试".into()),
        contact_phone: Set("13800000000".into()),
        is_active: Set(true),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&state.db)
    .await
    .expect("organization");
    let user_id = create_user(
        &state,
        NewUser {
            username: "bench.admin".into(),
            password: "correct horse battery".into(),
            role: Role::ContractorAdmin,
            display_name: None,
            organization_id: Some(org),
            division_code: None,
            phone: None,
        },
    )
    .await
    .expect("user");
    let principal = Principal {
        user_id,
        username: "bench.admin".into(),
        display_name: "bench.admin".into(),
        role: Role::ContractorAdmin,
        organization_id: Some(org),
        division_code: None,
        division_level: None,
        division_name: None,
        via: Credential::Session,
        session_epoch: 0,
    };
    Env { state, principal, _dir: dir }
}

const HEADERS: [&str; 15] = [
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
];

/// The cells of machine `i` (identifiers unique per `i`), in [`HEADERS`] order.
fn cells(i: usize) -> [String; 15] {
    [
        ["挖掘机", "装载机", "压路机", "叉车"][i % 4].to_owned(),
        format!("{}号机", i + 1),
        "三一".into(),
        "SY215C".into(),
        format!("PIN{i:07}"),
        format!("CN{i:015}"),
        format!("INFO{i:08}"),
        "4BG1".into(),
        format!("ENG-{i:07}"),
        "五十铃".into(),
        format!("CN-TA-{i:06}"),
        ["国四", "国三", "stage_4"][i % 3].to_owned(),
        "柴油".into(),
        format!("{}", 50 + i % 200),
        "2023-05-01".into(),
    ]
}

fn xlsx(range: std::ops::Range<usize>) -> Vec<u8> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    for (c, h) in HEADERS.iter().enumerate() {
        sheet.write_string(0, c as u16, *h).expect("header");
    }
    for (n, i) in range.enumerate() {
        for (c, v) in cells(i).iter().enumerate() {
            sheet.write_string(n as u32 + 1, c as u16, v).expect("cell");
        }
    }
    book.save_to_buffer().expect("xlsx")
}

fn csv(range: std::ops::Range<usize>) -> Vec<u8> {
    let mut out = HEADERS.join(",");
    for i in range {
        out.push('\n');
        out.push_str(&cells(i).join(","));
    }
    out.into_bytes()
}

/// Median, minimum, 95th percentile and maximum of `samples`, in milliseconds.
fn report(name: &str, mut samples: Vec<Duration>) {
    samples.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let at = |q: f64| samples[((samples.len() - 1) as f64 * q).round() as usize];
    println!(
        "{name:<34} n={:<5} median {:>9.2} ms   min {:>9.2} ms   p95 {:>9.2} ms   max {:>9.2} ms",
        samples.len(),
        ms(at(0.5)),
        ms(samples[0]),
        ms(at(0.95)),
        ms(samples[samples.len() - 1])
    );
}

async fn bench_import(runs: usize) {
    for (name, file) in [("import 5,000 rows (XLSX)", xlsx(0..5_000)), ("import 5,000 rows (CSV)", csv(0..5_000))] {
        let mut samples = Vec::new();
        for _ in 0..runs {
            let env = env().await;
            let started = Instant::now();
            let report =
                import(&env.state, &env.principal, file.clone(), ImportMode::AllOrNothing, app::i18n::Locale::en)
                    .await
                    .map_err(|e| format!("{e:?}"))
                    .expect("import");
            samples.push(started.elapsed());
            assert_eq!((report.imported, report.errors.len()), (5_000, 0), "{:?}", report.errors.first());
        }
        report(name, samples);
    }
}

async fn bench_list(walks: usize) {
    let env = env().await;
    for part in [0..5_000, 5_000..10_000] {
        let r = import(&env.state, &env.principal, xlsx(part), ImportMode::AllOrNothing, app::i18n::Locale::en)
            .await
            .map_err(|e| format!("{e:?}"))
            .expect("import");
        assert_eq!(r.imported, 5_000);
    }
    let filter = MachineFilter::default();
    let mut all = Vec::new();
    let mut first = Vec::new();
    let mut last = Vec::new();
    for _ in 0..walks {
        let mut cursor: Option<String> = None;
        let mut seen = 0;
        let mut pages = 0;
        loop {
            let q = PageQuery { limit: Some(50), cursor: cursor.clone() };
            let started = Instant::now();
            let page = app::machines::service::list(&env.state, &env.principal, &filter, &q).await.expect("list");
            let took = started.elapsed();
            all.push(took);
            if pages == 0 {
                first.push(took);
            }
            seen += page.items.len();
            pages += 1;
            cursor = page.next_cursor;
            if cursor.is_none() {
                last.push(took);
                break;
            }
        }
        assert_eq!((seen, pages), (10_000, 200));
    }
    report("list: any page of 50 (of 10,000)", all);
    report("list: first page", first);
    report("list: last page", last);
}

/// Machines per second created by `writers` concurrent writers, `each` machines apiece.
async fn writes_per_second(sync: &str, writers: usize, each: usize) -> f64 {
    let env = env_with(sync).await;
    let started = Instant::now();
    let mut tasks = Vec::new();
    for w in 0..writers {
        let (state, principal) = (env.state.clone(), env.principal.clone());
        tasks.push(tokio::spawn(async move {
            for n in 0..each {
                let i = w * each + n;
                let mut input = app::machines::MachineInput::example();
                input.name = format!("{i}号机");
                input.pin = Some(format!("PIN{i:08}"));
                input.env_code = Some(format!("CN{i:015}"));
                input.engine_serial = Some(format!("ENG-{i:08}"));
                app::machines::service::create(&state, &principal, input.into())
                    .await
                    .map_err(|e| format!("{e:?}"))
                    .expect("create");
            }
        }));
    }
    for t in tasks {
        t.await.expect("writer");
    }
    (writers * each) as f64 / started.elapsed().as_secs_f64()
}

async fn bench_writes(runs: usize) {
    let (writers, each) = (8, 250);
    let mut full = Vec::new();
    let mut normal = Vec::new();
    // Alternating, so a busy moment of the machine falls on both.
    for _ in 0..runs {
        full.push(writes_per_second("full", writers, each).await);
        normal.push(writes_per_second("normal", writers, each).await);
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let (f, n) = (median(&mut full), median(&mut normal));
    println!("writes: {writers} writers x {each} machines, {runs} runs each (machines created per second)");
    println!("  synchronous=FULL   median {f:>8.1}/s   runs {full:.1?}");
    println!("  synchronous=NORMAL median {n:>8.1}/s   runs {normal:.1?}");
    println!("  FULL / NORMAL = {:.2}", f / n);
}

/// The peak resident memory of this process so far (`VmHWM`), in MiB.
fn peak_rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let kib: f64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0.0);
    kib / 1024.0
}

/// One upload through the import service in a process of its own: the peak memory it took.
async fn bench_memory(file: Vec<u8>, label: &str) {
    let env = env().await;
    let before = peak_rss_mib();
    let started = Instant::now();
    let outcome = import(&env.state, &env.principal, file, ImportMode::AllOrNothing, app::i18n::Locale::en).await;
    let took = started.elapsed();
    let outcome = match outcome {
        Ok(r) => format!("imported {}", r.imported),
        Err(e) => format!("refused ({e:?})"),
    };
    println!(
        "{label:<34} {outcome}, {:.0} ms; peak resident memory {:.1} MiB (before the upload {before:.1} MiB)",
        took.as_secs_f64() * 1000.0,
        peak_rss_mib()
    );
}

fn main() {
    let filter: Vec<String> = std::env::args().skip(1).filter(|a| !a.starts_with("--")).collect();
    let wanted = |group: &str| filter.is_empty() || filter.iter().any(|f| group.contains(f.as_str()));
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("runtime");
    println!(
        "NRMM registry benchmarks (SQLite, {} cores)",
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );
    if wanted("import") {
        rt.block_on(bench_import(7));
    }
    if wanted("list") {
        rt.block_on(bench_list(5));
    }
    if wanted("writes") {
        rt.block_on(bench_writes(5));
    }
    // Memory groups only when asked by name: a process's peak is only its own figure alone.
    if filter.iter().any(|f| f == "memory-import") {
        rt.block_on(bench_memory(xlsx(0..5_000), "memory: import 5,000 rows (XLSX)"));
    }
    if filter.iter().any(|f| f == "memory-bomb") {
        rt.block_on(bench_memory(zip_bomb::zip_bomb(256 << 20, true), "memory: 256 MiB zip bomb (forged)"));
    }
}
