//! Demo data for two Taiyuan counties (小店区 and 清徐县): officials of every level, two
//! construction units with staff, sites, machines and filings (accepted with registration codes,
//! returned, submitted). Loading it twice changes nothing.

use anyhow::{Result, anyhow};
use app::auth::Role;
use app::auth::service::{Credential, NewUser, Principal, create_user};
use app::db::entities::{machine, organization, user};
use app::filings::service as filings;
use app::filings::{Decision, FilingInput, ReviewInput};
use app::machines::service as machines;
use app::machines::{EmissionStage, FuelType, MachineInput};
use app::sites::SiteInput;
use app::sites::service as sites;
use app::state::AppState;
use chrono::NaiveDate;
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter};
use uuid::Uuid;

mod taiyuan;

/// The Taiyuan layer on top of [`demo`] (which must be loaded first): a dozen units, forty
/// sites across Taiyuan's ten counties, two thousand machines and a year of history. `nrmm
/// seed-demo` loads both; the tests' flows use [`demo`] alone.
pub async fn taiyuan(state: &AppState) -> Result<()> {
    taiyuan::load(state).await
}

/// The password of every demo account (demo data only; never use it for a real account).
pub const DEMO_PASSWORD: &str = "nrmm-demo-2026";

/// Xiaodian District, Taiyuan.
pub const XIAODIAN: &str = "140105";
/// Qingxu County, Taiyuan.
pub const QINGXU: &str = "140121";

/// A demo account to print.
#[derive(Debug, Clone)]
pub struct DemoAccount {
    pub username: &'static str,
    pub role: Role,
    pub note: &'static str,
}

struct DemoOrg {
    name: &'static str,
    uscc: &'static str,
    contact: &'static str,
    phone: &'static str,
}

const ORGS: [DemoOrg; 2] = [
    DemoOrg {
        name: "山西示范建设工程有限公司", uscc: "91140100MA0D3M001", contact: "王建国", phone: "0351-5550101"
    },
    DemoOrg {
        name: "太原示范路桥工程有限公司", uscc: "91140100MA0D3M002", contact: "李红梅", phone: "0351-5550202"
    },
];

/// Loads the demo data and returns the accounts.
pub async fn demo(state: &AppState) -> Result<Vec<DemoAccount>> {
    let mut org_ids = Vec::new();
    for o in &ORGS {
        let uscc = app::orgs::Uscc::with_check_char(o.uscc).map_err(|e| anyhow!("demo USCC: {e:?}"))?;
        org_ids.push(ensure_org(state, o, uscc.as_str()).await?);
    }
    let accounts: Vec<(DemoAccount, Option<&str>, Option<Uuid>, &str)> = vec![
        (
            DemoAccount { username: "admin", role: Role::Sysadmin, note: "system administrator" },
            None,
            None,
            "系统管理员",
        ),
        (
            DemoAccount { username: "shanxi.officer", role: Role::ProvinceOfficer, note: "Shanxi province" },
            Some("140000"),
            None,
            "省厅 张敏",
        ),
        (
            DemoAccount { username: "taiyuan.officer", role: Role::CityOfficer, note: "Taiyuan city" },
            Some("140100"),
            None,
            "市局 赵磊",
        ),
        (
            DemoAccount { username: "xiaodian.inspector", role: Role::CountyInspector, note: "Xiaodian district" },
            Some(XIAODIAN),
            None,
            "小店分局 刘洋",
        ),
        (
            DemoAccount { username: "qingxu.inspector", role: Role::CountyInspector, note: "Qingxu county" },
            Some(QINGXU),
            None,
            "清徐分局 陈静",
        ),
        (
            DemoAccount {
                username: "xiaodian.transport",
                role: Role::PartnerViewer,
                note: "Xiaodian transport bureau",
            },
            Some(XIAODIAN),
            None,
            "小店交通局 孙涛",
        ),
        (
            DemoAccount { username: "builder.admin", role: Role::ContractorAdmin, note: ORGS[0].name },
            None,
            org_ids.first().copied(),
            "王建国",
        ),
        (
            DemoAccount { username: "builder.staff", role: Role::ContractorStaff, note: ORGS[0].name },
            None,
            org_ids.first().copied(),
            "周文",
        ),
        (
            DemoAccount { username: "roads.admin", role: Role::ContractorAdmin, note: ORGS[1].name },
            None,
            org_ids.get(1).copied(),
            "李红梅",
        ),
    ];
    let mut out = Vec::new();
    for (account, division, org, display) in accounts {
        let exists =
            user::Entity::find().filter(user::Column::Username.eq(account.username)).one(&state.db).await?.is_some();
        if !exists {
            let new = NewUser {
                username: account.username.to_owned(),
                password: DEMO_PASSWORD.to_owned(),
                role: account.role,
                display_name: Some(display.to_owned()),
                organization_id: org,
                division_code: division.map(str::to_owned),
                phone: None,
            };
            create_user(state, new).await.map_err(|e| anyhow!("creating {}: {e}", account.username))?;
        }
        out.push(account);
    }
    registry(state, &org_ids).await?;
    Ok(out)
}

/// The signed-in view of a demo user, to act through the services.
async fn principal_of(state: &AppState, username: &str) -> Result<Principal> {
    let u = user::Entity::find()
        .filter(user::Column::Username.eq(username))
        .one(&state.db)
        .await?
        .ok_or_else(|| anyhow!("demo user {username} is missing"))?;
    Principal::from_user(&u, (None, None), Credential::Session)
        .ok_or_else(|| anyhow!("demo user {username}: unknown role"))
}

fn demo_machine(
    n: u32,
    kind: &str,
    name: &str,
    stage: EmissionStage,
    fuel: FuelType,
    kw: f64,
    year: i32,
) -> MachineInput {
    MachineInput {
        machine_type: kind.into(),
        name: name.into(),
        brand: Some(["三一", "徐工", "柳工", "山推", "中联"][n as usize % 5].into()),
        model: Some(format!("DM{:03}", n * 7)),
        pin: Some(format!("DEMO{:02}PIN{:06}", n, n * 104_729)),
        env_code: (stage == EmissionStage::Stage4).then(|| format!("CNDEMO{:011}", u64::from(n) * 7_919)),
        info_disclosure_no: None,
        engine_model: (fuel != FuelType::Electric).then(|| "4BG1".into()),
        engine_serial: (fuel != FuelType::Electric).then(|| format!("ENG-DEMO-{n:04}")),
        engine_maker: (fuel != FuelType::Electric).then(|| "潍柴".into()),
        engine_approval_no: None,
        emission_stage: stage,
        fuel_type: fuel,
        rated_power_kw: kw,
        manufactured_on: NaiveDate::from_ymd_opt(year, 5, 1),
        dpf_fitted: stage == EmissionStage::Stage4,
        dpf_model: None,
        dpf_maker: None,
        dpf_fitted_on: None,
        obd_fitted: stage == EmissionStage::Stage4,
        remote_terminal: false,
    }
}

/// Sites, machines and filings in several states, created through the services (so every rule
/// applies); skipped when the first construction unit already has machines.
async fn registry(state: &AppState, org_ids: &[Uuid]) -> Result<()> {
    let Some(first) = org_ids.first() else { return Ok(()) };
    if machine::Entity::find().filter(machine::Column::OrganizationId.eq(*first)).one(&state.db).await?.is_some() {
        return Ok(());
    }
    let err = |e: app::service_error::ServiceError| anyhow!("demo data: {e}");
    let builder = principal_of(state, "builder.admin").await?;
    let roads = principal_of(state, "roads.admin").await?;
    let xiaodian = principal_of(state, "xiaodian.inspector").await?;
    let today = app::dates::china_date(state.clock.now());
    let day = |d: i64| today + chrono::Duration::days(d);
    let site = |name: &str, county: &str, address: &str| SiteInput {
        name: name.into(),
        county_code: county.into(),
        address: address.into(),
        permit_no: Some(format!("1401{}2026{:04}", &county[4..], name.chars().count())),
        starts_on: day(-30),
        ends_on: day(365),
        lat: None,
        lng: None,
        low_emission_zone: None,
    };
    let s1 = sites::create(state, &builder, site("龙城大街改造示范工地", XIAODIAN, "小店区龙城大街示范段"))
        .await
        .map_err(err)?;
    let s2 =
        sites::create(state, &builder, site("清徐示范物流园工地", QINGXU, "清徐县示范物流园区")).await.map_err(err)?;
    let s3 = sites::create(state, &roads, site("晋源示范道路工程", "140110", "晋源区示范路")).await.map_err(err)?;

    use EmissionStage::*;
    let plan = [
        (&builder, demo_machine(1, "excavator", "1号挖掘机", Stage4, FuelType::Diesel, 118.0, 2023)),
        (&builder, demo_machine(2, "loader", "2号装载机", Stage3, FuelType::Diesel, 162.0, 2019)),
        (&builder, demo_machine(3, "crane", "3号汽车起重机", Stage4, FuelType::Diesel, 247.0, 2024)),
        (&builder, demo_machine(4, "roller", "4号压路机", Stage3, FuelType::Diesel, 30.0, 2018)),
        (&builder, demo_machine(5, "forklift", "5号电动叉车", Electric, FuelType::Electric, 18.5, 2022)),
        (&builder, demo_machine(6, "excavator", "6号旧挖掘机", Stage2, FuelType::Diesel, 85.0, 2012)),
        (&roads, demo_machine(7, "paver", "摊铺机A", Stage4, FuelType::Diesel, 150.0, 2023)),
        (&roads, demo_machine(8, "grader", "平地机B", Stage3, FuelType::Diesel, 140.0, 2017)),
    ];
    let mut ids = Vec::new();
    for (who, input) in plan {
        ids.push(machines::create(state, who, input.into()).await.map_err(err)?.id);
    }
    let filing = |site: Uuid, machine_ids: Vec<Uuid>| FilingInput {
        site_id: site,
        machine_ids,
        planned_entry_on: day(-3),
        planned_exit_on: day(120),
        request_id: None,
    };
    let accepted = filings::create(state, &builder, filing(s1.id, vec![ids[0], ids[1], ids[2]])).await.map_err(err)?;
    app::filings::review::review(
        state,
        &xiaodian,
        accepted.id,
        ReviewInput { decision: Decision::Accept, reason: None },
    )
    .await
    .map_err(err)?;
    let returned = filings::create(state, &builder, filing(s1.id, vec![ids[5]])).await.map_err(err)?;
    let reason = "国二柴油机械不得在禁止使用高排放非道路移动机械区域内使用，请更换机械后重新报备。".to_owned();
    app::filings::review::review(
        state,
        &xiaodian,
        returned.id,
        ReviewInput { decision: Decision::Return, reason: Some(reason) },
    )
    .await
    .map_err(err)?;
    filings::create(state, &builder, filing(s2.id, vec![ids[3], ids[4]])).await.map_err(err)?;
    filings::create(state, &roads, filing(s3.id, vec![ids[6], ids[7]])).await.map_err(err)?;
    // 小店区 watches the stage III loader (a neighbour's report), so the watch list has an entry.
    let loader = machine::Entity::find_by_id(ids[1]).one(&state.db).await?.and_then(|m| m.registration_code);
    if let Some(registration_code) = loader {
        let reason = "附近居民反映该装载机怠速时冒黑烟，请各县查验时留意。".to_owned();
        let entry = app::watchlist::WatchEntryInput { registration_code, reason, ends_on: day(30) };
        app::watchlist::service::add(state, &xiaodian, entry).await.map_err(err)?;
    }
    Ok(())
}

async fn ensure_org(state: &AppState, o: &DemoOrg, uscc: &str) -> Result<Uuid> {
    if let Some(found) = organization::Entity::find().filter(organization::Column::Uscc.eq(uscc)).one(&state.db).await?
    {
        return Ok(found.id);
    }
    let now = state.clock.now();
    let id = Uuid::now_v7();
    organization::ActiveModel {
        id: Set(id),
        name: Set(o.name.to_owned()),
        uscc: Set(uscc.to_owned()),
        contact_name: Set(o.contact.to_owned()),
        contact_phone: Set(o.phone.to_owned()),
        is_active: Set(true),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&state.db)
    .await?;
    Ok(id)
}
