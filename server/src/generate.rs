//! `nrmm generate --machines N [--units K] [--county C,…]`: a large synthetic fleet for load
//! tests, benchmarks and demos. K construction units, each with a site in one of the given
//! counties, N machines shared out among them (every identifier unique, types, stages and fuels
//! varied) and filings of up to 500 of them each, submitted to the site's county (so its
//! officials see them). Rows go in a transaction per 20,000 machines: with `COPY` on PostgreSQL,
//! with multi-row inserts on SQLite.

use anyhow::{Context, Result, anyhow};
use app::auth::Role;
use app::auth::service::{NewUser, create_user};
use app::db::entities::{filing, filing_machine, machine, organization, registration_counter, site};
use app::machines::regcode::RegistrationCode;
use app::state::AppState;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, DatabaseConnection, DbBackend, EntityName, EntityTrait, IdenStatic, Iterable,
    TransactionTrait, Value,
};
use uuid::Uuid;

/// Machines per multi-row insert (28 columns: well under SQLite's and PostgreSQL's limits on
/// bound parameters).
const INSERT_ROWS: usize = 1_000;
/// Machines per transaction.
const TRANSACTION_ROWS: usize = 20_000;
/// Machines per filing (the service's own maximum).
const FILING_ROWS: usize = app::filings::service::MAX_MACHINES;

const TYPES: [&str; 4] = ["excavator", "loader", "forklift", "crane"];
const STAGES: [&str; 3] = ["stage_3", "stage_4", "stage_2"];

/// What was generated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Generated {
    pub organization_id: Uuid,
    pub site_id: Uuid,
    pub machines: usize,
    pub filings: usize,
}

/// Generates `units` construction units, each with a site in one of `counties` (taken in turn),
/// and `machines` machines shared out among them as evenly as they go (the first units take
/// the remainder); see [`generate_with`] for `registered`.
pub async fn generate_units(
    state: &AppState,
    units: usize,
    machines: usize,
    counties: &[String],
    registered: bool,
) -> Result<Vec<Generated>> {
    if units == 0 || counties.is_empty() {
        return Err(anyhow!("at least one construction unit and one county are needed"));
    }
    let mut generated = Vec::with_capacity(units);
    for unit in 0..units {
        let share = machines / units + usize::from(unit < machines % units);
        generated.push(generate_with(state, share, &counties[unit % counties.len()], registered).await?);
    }
    analyze(state).await?;
    Ok(generated)
}

/// Refreshes the query planner's statistics after a bulk load: until autovacuum gets to it,
/// PostgreSQL would plan with the empty tables' figures (a look-up then walked every filing:
/// 233 requests/s instead of thousands in `scripts/bench-lookup.sh`). See `app::db::analyze`
/// for SQLite's.
async fn analyze(state: &AppState) -> Result<()> {
    app::db::analyze(&state.db).await.context("refreshing the planner's statistics")?;
    Ok(())
}

/// Generates `machines` machines filed for a site in `county` (a county code), as of `now`.
pub async fn generate(state: &AppState, machines: usize, county: &str) -> Result<Generated> {
    generate_with(state, machines, county, false).await
}

/// As [`generate`]; with `registered` the filings are accepted and every machine carries a
/// registration code of the county (issued after the county's last one, the counter moved on),
/// as the field look-up benchmark needs.
pub async fn generate_with(state: &AppState, machines: usize, county: &str, registered: bool) -> Result<Generated> {
    let db = &state.db;
    let now = state.clock.now();
    let run = Uuid::new_v4().simple().to_string()[..8].to_uppercase();
    let org_id = Uuid::now_v7();
    let today = app::dates::china_date(now);
    // A random credit code: thousands of units can draw the same one (a birthday collision in
    // a billion codes), so a code already taken is drawn again.
    for attempt in 1.. {
        let digits = Uuid::new_v4().as_u128() % 1_000_000_000;
        let uscc = app::orgs::Uscc::with_check_char(&format!("91140100{digits:0>9}"))
            .map_err(|e| anyhow!("credit code: {e:?}"))?;
        let inserted = organization::Entity::insert(organization::ActiveModel {
            id: Set(org_id),
            name: Set(format!("压测施工单位 {run}")),
            uscc: Set(uscc.to_string()),
            contact_name: Set("压测".into()),
            contact_phone: Set("13800000000".into()),
            is_active: Set(true),
            created_at: Set(now),
            updated_at: Set(now),
        })
        .exec(db)
        .await;
        match inserted {
            Ok(_) => break,
            Err(e) if app::db::is_unique_violation(&e) && attempt < 5 => continue,
            Err(e) => return Err(e).context("inserting the organisation"),
        }
    }
    // The unit's administrator files the filings; nobody knows the password.
    let created_by = create_user(
        state,
        NewUser {
            username: format!("loadtest-{}", run.to_lowercase()),
            password: Uuid::new_v4().simple().to_string(),
            role: Role::ContractorAdmin,
            display_name: None,
            organization_id: Some(org_id),
            division_code: None,
            phone: None,
        },
    )
    .await
    .map_err(|e| anyhow!("creating the unit's administrator: {e}"))?;
    let site_id = Uuid::now_v7();
    site::Entity::insert(site::ActiveModel {
        id: Set(site_id),
        organization_id: Set(org_id),
        name: Set(format!("压测工地 {run}")),
        county_code: Set(county.to_owned()),
        address: Set("压测路1号".into()),
        permit_no: Set(None),
        starts_on: Set(today - Duration::days(30)),
        ends_on: Set(today + Duration::days(365)),
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
    .exec(db)
    .await
    .context("inserting the site (is the county code known?)")?;

    // The county's next registration numbers, taken at once for the whole run.
    let first_seq = if registered {
        let last = registration_counter::Entity::find_by_id(county.to_owned()).one(db).await?.map_or(0, |c| c.last_seq);
        let new_last = last + i64::try_from(machines)?;
        registration_counter::Entity::insert(registration_counter::ActiveModel {
            county_code: Set(county.to_owned()),
            last_seq: Set(new_last),
        })
        .on_conflict(
            OnConflict::column(registration_counter::Column::CountyCode)
                .update_column(registration_counter::Column::LastSeq)
                .to_owned(),
        )
        .exec(db)
        .await
        .context("moving the county's registration counter")?;
        Some(u64::try_from(last)? + 1)
    } else {
        None
    };
    let mut filings = 0;
    let mut done = 0;
    while done < machines {
        let chunk = (machines - done).min(TRANSACTION_ROWS);
        let ids: Vec<Uuid> = (0..chunk).map(|_| Uuid::now_v7()).collect();
        let mut machine_rows = Vec::with_capacity(chunk);
        for (i, id) in ids.iter().enumerate() {
            let mut row = machine_row(*id, org_id, &run, done + i, now);
            if let Some(seq) = first_seq {
                let code = RegistrationCode::issue(county, seq + (done + i) as u64)
                    .ok_or_else(|| anyhow!("the county's registration numbers are used up"))?;
                row.registration_code = Set(Some(code.as_str().to_owned()));
                row.registered_at = Set(Some(now));
            }
            machine_rows.push(row);
        }
        let mut filing_rows = Vec::new();
        let mut links = Vec::with_capacity(chunk);
        for part in ids.chunks(FILING_ROWS) {
            let filing_id = Uuid::now_v7();
            let mut row = filing_row(filing_id, org_id, site_id, created_by, county, today, now);
            if registered {
                row.status = Set(app::filings::FilingStatus::Accepted);
                row.reviewed_at = Set(Some(now));
            }
            filing_rows.push(row);
            links.extend(part.iter().map(|m| filing_machine::ActiveModel {
                filing_id: Set(filing_id),
                machine_id: Set(*m),
                left_on: Set(None),
                left_at: Set(None),
            }));
        }
        filings += filing_rows.len();
        store(db, machine_rows, filing_rows, links).await?;
        done += chunk;
    }
    Ok(Generated { organization_id: org_id, site_id, machines, filings })
}

/// Stores one transaction's machines, filings and their links: on PostgreSQL with `COPY`, on
/// SQLite with multi-row inserts.
async fn store(
    db: &DatabaseConnection,
    machines: Vec<machine::ActiveModel>,
    filings: Vec<filing::ActiveModel>,
    links: Vec<filing_machine::ActiveModel>,
) -> Result<()> {
    if db.get_database_backend() == DbBackend::Postgres {
        let mut tx = db.get_postgres_connection_pool().begin().await?;
        copy_in(&mut tx, &machines).await.context("copying machines")?;
        copy_in(&mut tx, &filings).await.context("copying filings")?;
        copy_in(&mut tx, &links).await.context("copying the filings' machines")?;
        tx.commit().await?;
        return Ok(());
    }
    let txn = db.begin().await?;
    let mut machines = machines.into_iter().peekable();
    while machines.peek().is_some() {
        let rows: Vec<_> = machines.by_ref().take(INSERT_ROWS).collect();
        machine::Entity::insert_many(rows).exec(&txn).await.context("inserting machines")?;
    }
    for row in filings {
        filing::Entity::insert(row).exec(&txn).await.context("inserting a filing")?;
    }
    let mut links = links.into_iter().peekable();
    while links.peek().is_some() {
        let rows: Vec<_> = links.by_ref().take(INSERT_ROWS).collect();
        filing_machine::Entity::insert_many(rows).exec(&txn).await.context("linking machines")?;
    }
    txn.commit().await?;
    Ok(())
}

/// Sends `rows` (every column set) to PostgreSQL in one `COPY … FROM STDIN` in CSV: the fastest
/// way in (10,000,000 machines take minutes instead of most of an hour). NULL is `\N`, so an
/// empty string stays one.
async fn copy_in<A: ActiveModelTrait>(conn: &mut sea_orm::sqlx::PgConnection, rows: &[A]) -> Result<()> {
    let columns: Vec<<A::Entity as EntityTrait>::Column> = <A::Entity as EntityTrait>::Column::iter().collect();
    let mut csv = csv::WriterBuilder::new().has_headers(false).from_writer(Vec::with_capacity(rows.len() * 256));
    for row in rows {
        for c in &columns {
            let value = row.get(*c).into_value().ok_or_else(|| anyhow!("column {} not set", c.as_str()))?;
            csv.write_field(csv_field(&value)?.as_deref().unwrap_or("\\N"))?;
        }
        csv.write_record(None::<&[u8]>)?;
    }
    let data = csv.into_inner().map_err(|e| anyhow!("writing CSV: {e}"))?;
    let names: Vec<String> = columns.iter().map(|c| format!("\"{}\"", c.as_str())).collect();
    let table = A::Entity::default().table_name().to_owned();
    let statement = format!("COPY \"{table}\" ({}) FROM STDIN (FORMAT csv, NULL '\\N')", names.join(", "));
    let mut copy = conn.copy_in_raw(&statement).await?;
    copy.send(data).await?;
    copy.finish().await?;
    Ok(())
}

/// A value as PostgreSQL reads it from CSV (`None`: NULL).
fn csv_field(value: &Value) -> Result<Option<String>> {
    Ok(match value {
        Value::String(v) => v.clone(),
        Value::Uuid(v) => v.map(|v| v.to_string()),
        Value::Bool(v) => v.map(|v| v.to_string()),
        Value::Int(v) => v.map(|v| v.to_string()),
        Value::BigInt(v) => v.map(|v| v.to_string()),
        Value::Double(v) => v.map(|v| v.to_string()),
        Value::ChronoDate(v) => v.map(|v| v.to_string()),
        // Microseconds: what both databases keep.
        Value::ChronoDateTimeUtc(v) => v.map(|v| v.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)),
        other => return Err(anyhow!("the generator does not copy values like {other:?}")),
    })
}

fn machine_row(id: Uuid, org: Uuid, run: &str, n: usize, now: DateTime<Utc>) -> machine::ActiveModel {
    let diesel = n % 10 != 9;
    machine::ActiveModel {
        id: Set(id),
        organization_id: Set(org),
        machine_type: Set(TYPES[n % TYPES.len()].into()),
        name: Set(format!("压测机械 {n}")),
        brand: Set(Some("三一".into())),
        model: Set(Some("SY215C".into())),
        pin: Set(Some(format!("P{run}{n:010}"))),
        // 17 characters, as the column holds.
        env_code: Set(Some(format!("{}{n:011}", &run[..6]))),
        info_disclosure_no: Set(None),
        engine_model: Set(Some("4BG1".into())),
        engine_serial: Set(Some(format!("S{run}{n:010}"))),
        engine_maker: Set(Some("五十铃".into())),
        engine_approval_no: Set(None),
        emission_stage: Set(if diesel { STAGES[n % STAGES.len()] } else { "electric" }.into()),
        fuel_type: Set(if diesel { "diesel" } else { "electric" }.into()),
        rated_power_kw: Set(37.0 + (n % 200) as f64),
        manufactured_on: Set(NaiveDate::from_ymd_opt(2015 + (n % 10) as i32, 1 + (n % 12) as u32, 1)),
        dpf_fitted: Set(n.is_multiple_of(2)),
        dpf_model: Set(None),
        dpf_maker: Set(None),
        dpf_fitted_on: Set(None),
        obd_fitted: Set(n.is_multiple_of(3)),
        remote_terminal: Set(false),
        registration_code: Set(None),
        registered_at: Set(None),
        version: Set(1),
        created_at: Set(now),
        updated_at: Set(now),
    }
}

fn filing_row(
    id: Uuid,
    org: Uuid,
    site: Uuid,
    created_by: Uuid,
    county: &str,
    today: NaiveDate,
    now: DateTime<Utc>,
) -> filing::ActiveModel {
    filing::ActiveModel {
        id: Set(id),
        organization_id: Set(org),
        site_id: Set(site),
        county_code: Set(county.to_owned()),
        status: Set(app::filings::FilingStatus::Submitted),
        planned_entry_on: Set(today),
        planned_exit_on: Set(today + Duration::days(90)),
        return_reason: Set(None),
        submitted_at: Set(Some(now)),
        reviewed_at: Set(None),
        reviewed_by: Set(None),
        created_by: Set(created_by),
        version: Set(1),
        created_at: Set(now),
        updated_at: Set(now),
    }
}
