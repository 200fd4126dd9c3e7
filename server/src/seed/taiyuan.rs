//! The Taiyuan layer of the demo: ten more construction units, forty sites across Taiyuan's ten
//! counties, two thousand machines with the real mix of types, stages and fuels, and twelve
//! months of history replayed through the services with the clock set to each event (so every
//! rule applies and every record is what the portal itself would have written): filings each
//! quarter (most accepted, some returned, some of the current quarter still waiting), field
//! inspections with passes and failures, the cases they opened in every state, watch-list
//! entries and reports from the public. Choices come from a fixed-seed generator, so the demo
//! is the same on every machine.
//! Skipped when its first unit exists, so loading it twice changes nothing.

use super::{DEMO_PASSWORD, demo_machine, ensure_org, principal_of};
use anyhow::{Result, anyhow};
use app::auth::Role;
use app::auth::service::{NewUser, Principal};
use app::cases::{CaseState, TransitionInput};
use app::db::entities::{machine, organization, user};
use app::filings::{Decision, FilingInput, ReviewInput};
use app::inspections::InspectionInput;
use app::machines::{EmissionStage, FuelType, MachineInput};
use app::sites::SiteInput;
use app::state::{AppState, Clock, Shared};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use uuid::Uuid;

/// The units: name, USCC without its check character, contact, phone, administrator's account.
const UNITS: [(&str, &str, &str, &str, &str); 10] = [
    ("太原晋阳示范土石方工程有限公司", "91140100MA0D3M003", "高峰", "0351-5550303", "jinyang.admin"),
    ("山西汾河示范建筑安装有限公司", "91140100MA0D3M004", "郭丽", "0351-5550404", "fenhe.admin"),
    ("太原龙城示范市政工程有限公司", "91140100MA0D3M005", "韩冰", "0351-5550505", "longcheng.admin"),
    ("山西三晋示范路桥建设有限公司", "91140100MA0D3M006", "冯涛", "0351-5550606", "sanjin.admin"),
    ("太原并州示范建设集团有限公司", "91140100MA0D3M007", "曹宇", "0351-5550707", "bingzhou.admin"),
    ("山西太行示范基础工程有限公司", "91140100MA0D3M008", "魏敏", "0351-5550808", "taihang.admin"),
    ("太原迎泽示范装饰工程有限公司", "91140100MA0D3M009", "许强", "0351-5550909", "yingzeco.admin"),
    ("山西吕梁示范水利工程有限公司", "91140100MA0D3M010", "邓红", "0351-5551010", "lvliang.admin"),
    ("太原晋祠示范园林绿化有限公司", "91140100MA0D3M011", "彭亮", "0351-5551111", "jinci.admin"),
    ("山西恒泰示范物流工程有限公司", "91140100MA0D3M012", "苏静", "0351-5551212", "hengtai.admin"),
];

/// Taiyuan's counties: code, short name, the inspector's account and display name (小店区 and
/// 清徐县 have theirs in the base demo).
const COUNTIES: [(&str, &str, &str, &str); 10] = [
    ("140105", "小店", "xiaodian.inspector", ""),
    ("140106", "迎泽", "yingze.inspector", "迎泽分局 杨帆"),
    ("140107", "杏花岭", "xinghualing.inspector", "杏花岭分局 吴迪"),
    ("140108", "尖草坪", "jiancaoping.inspector", "尖草坪分局 郑凯"),
    ("140109", "万柏林", "wanbailin.inspector", "万柏林分局 黄蕾"),
    ("140110", "晋源", "jinyuan.inspector", "晋源分局 何鹏"),
    ("140121", "清徐", "qingxu.inspector", ""),
    ("140122", "阳曲", "yangqu.inspector", "阳曲分局 罗斌"),
    ("140123", "娄烦", "loufan.inspector", "娄烦分局 宋佳"),
    ("140181", "古交", "gujiao.inspector", "古交分局 唐伟"),
];

const PROJECTS: [&str; 8] =
    ["地铁站", "安置房", "道路改造", "物流园", "学校扩建", "污水处理厂", "商业综合体", "跨河桥梁"];

/// Sites per county, machines per site, and the quarters of history.
const SITES_PER_COUNTY: usize = 4;
const MACHINES_PER_SITE: usize = 50;
const QUARTERS: i64 = 4;

/// The generators' seed.
const SEED: u64 = 0x5EED_2026_1401_0000;

/// A small fixed-seed generator (xorshift64*): the same demo everywhere, no dependency.
struct Dice(u64);

impl Dice {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A whole number in `[0, n)`.
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }

    /// True with probability `percent` / 100.
    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    /// One of `items` by weight.
    fn pick<'a, T>(&mut self, items: &'a [(T, u64)]) -> &'a T {
        let total: u64 = items.iter().map(|(_, w)| w).sum();
        let mut at = self.below(total);
        for (item, w) in items {
            if at < *w {
                return item;
            }
            at -= w;
        }
        &items[0].0
    }
}

/// The state with the clock at `t` (the services read "now" from it).
fn at(state: &AppState, t: DateTime<Utc>) -> AppState {
    let clock = Clock::system();
    clock.advance(t - clock.now());
    let mut shared = Shared::clone(&**state);
    shared.clock = clock;
    AppState::new(shared)
}

/// 10:00 China time on `day`, plus `minutes`.
fn morning(day: NaiveDate, minutes: i64) -> DateTime<Utc> {
    app::dates::midnight(day) + Duration::hours(10) + Duration::minutes(minutes)
}

/// A machine type of the fleet: code, name, least and most rated power (kW).
type Kind = (&'static str, &'static str, f64, f64);

/// A machine of the demo fleet: type, stage, fuel, power and year by the mix seen on sites.
/// A site in a low-emission zone gets no machine below stage III (its unit would not file one).
fn fleet_machine(dice: &mut Dice, n: u32, in_zone: bool) -> MachineInput {
    let kinds: [(Kind, u64); 13] = [
        (("excavator", "挖掘机", 60.0, 260.0), 30),
        (("loader", "装载机", 90.0, 180.0), 18),
        (("forklift", "叉车", 15.0, 60.0), 12),
        (("roller", "压路机", 30.0, 140.0), 7),
        (("crane", "起重机", 150.0, 300.0), 7),
        (("bulldozer", "推土机", 100.0, 240.0), 5),
        (("rotary_drilling_rig", "旋挖钻机", 150.0, 400.0), 4),
        (("concrete_pump", "混凝土输送泵", 90.0, 200.0), 4),
        (("paver", "摊铺机", 100.0, 200.0), 3),
        (("grader", "平地机", 100.0, 180.0), 3),
        (("piling_rig", "桩工机械", 100.0, 300.0), 3),
        (("generator_set", "发电机组", 30.0, 200.0), 2),
        (("air_compressor", "空气压缩机", 40.0, 150.0), 2),
    ];
    let (kind, label, lo, hi) = *dice.pick(&kinds);
    use EmissionStage::*;
    let electric = (kind == "forklift" && dice.chance(60)) || (kind == "excavator" && dice.chance(3));
    let stage = if electric {
        Electric
    } else {
        match *dice.pick(&[(Stage4, 40), (Stage3, 42), (Stage2, 12), (Stage1, 4), (PreStandard, 2)]) {
            Stage2 | Stage1 | PreStandard if in_zone => Stage3,
            stage => stage,
        }
    };
    let year = match stage {
        Stage4 => 2023 + dice.below(3) as i32,
        Stage3 => 2016 + dice.below(6) as i32,
        Stage2 => 2011 + dice.below(4) as i32,
        Stage1 => 2008 + dice.below(2) as i32,
        PreStandard => 2005 + dice.below(2) as i32,
        Electric => 2020 + dice.below(5) as i32,
    };
    let kw = (lo + (hi - lo) * dice.below(100) as f64 / 100.0).round();
    let fuel = if electric { FuelType::Electric } else { FuelType::Diesel };
    demo_machine(n, kind, &format!("{label}{n}"), stage, fuel, kw, year)
}

/// Imports `machines` into `unit`'s fleet through the spreadsheet import (a CSV of the
/// template's columns, every row or none); their ids and stages in the same order.
async fn import_fleet(
    state: &AppState,
    unit: &Principal,
    machines: &[MachineInput],
) -> Result<Vec<(Uuid, EmissionStage)>> {
    use app::machines::import::{COLUMNS, ImportMode};
    let mut csv = csv::Writer::from_writer(Vec::new());
    csv.write_record(COLUMNS.iter().map(|c| c.header))?;
    for m in machines {
        let fields = serde_json::to_value(m)?;
        csv.write_record(COLUMNS.iter().map(|c| match &fields[c.field] {
            serde_json::Value::Null => String::new(),
            serde_json::Value::String(text) => text.clone(),
            other => other.to_string(),
        }))?;
    }
    let bytes = csv.into_inner().map_err(|e| anyhow!("demo fleet CSV: {e}"))?;
    let report =
        app::machines::import::service::import(state, unit, bytes, ImportMode::AllOrNothing, app::i18n::Locale::en)
            .await
            .map_err(|e| anyhow!("demo fleet import: {e:?}"))?;
    if report.imported as usize != machines.len() {
        return Err(anyhow!("demo fleet import: {} of {} rows: {:?}", report.imported, machines.len(), report.errors));
    }
    let org = unit.contractor_org().map_err(|e| anyhow!("demo fleet: {e}"))?;
    let stored: std::collections::HashMap<String, Uuid> = machine::Entity::find()
        .filter(machine::Column::OrganizationId.eq(org))
        .filter(machine::Column::Pin.is_in(machines.iter().filter_map(|m| m.pin.clone())))
        .all(&state.db)
        .await?
        .into_iter()
        .filter_map(|m| Some((m.pin?, m.id)))
        .collect();
    machines
        .iter()
        .map(|m| {
            let id = m
                .pin
                .as_ref()
                .and_then(|pin| stored.get(pin))
                .ok_or_else(|| anyhow!("demo fleet: a machine missing"))?;
            Ok((*id, m.emission_stage))
        })
        .collect()
}

/// Creates a demo account with the base demo's password hash (so every demo account signs in
/// with the same password and none is hashed again) unless it exists.
async fn account(
    state: &AppState,
    hash: &str,
    username: &str,
    role: Role,
    division: Option<&str>,
    org: Option<Uuid>,
    display: &str,
) -> Result<()> {
    if user::Entity::find().filter(user::Column::Username.eq(username)).one(&state.db).await?.is_some() {
        return Ok(());
    }
    let new = NewUser {
        username: username.to_owned(),
        password: String::new(),
        role,
        display_name: Some(display.to_owned()),
        organization_id: org,
        division_code: division.map(str::to_owned),
        phone: None,
    };
    app::auth::service::create_user_with_hash(&state.db, state.clock.now(), new, hash.to_owned())
        .await
        .map_err(|e| anyhow!("demo account {username}: {e}"))?;
    Ok(())
}

/// What becomes of a case a failure at `opened` opened: by its age today, ordered to correct
/// (then re-inspected and closed, or overdue), penalised (and closed), closed as unfounded, or
/// still open.
async fn follow_case(
    state: &AppState,
    dice: &mut Dice,
    inspector: &Principal,
    opened: DateTime<Utc>,
    case_id: Uuid,
    reinspect: InspectionInput,
) -> Result<()> {
    let err = |e: app::service_error::ServiceError| anyhow!("demo case: {e}");
    let now = state.clock.now();
    let age = (now - opened).num_days();
    if age < 20 {
        return Ok(());
    }
    let step = |days: i64| opened + Duration::days(days);
    let move_to = |to: CaseState, deadline_on: Option<NaiveDate>, penalty_yuan: Option<i64>, note: Option<&str>| {
        TransitionInput {
            to,
            note: note.map(str::to_owned),
            deadline_on,
            penalty_yuan,
            legal_basis: None,
            version: None,
        }
    };
    let roll = dice.below(100);
    if roll < 50 {
        // Ordered to correct within 15 days; re-inspected and passed 10 days later when there
        // was time, and then (mostly) closed.
        let t = step(2);
        let deadline = app::dates::china_date(t) + Duration::days(15);
        let input = move_to(CaseState::RectificationOrdered, Some(deadline), None, Some("责令十五日内完成整改并复检"));
        app::cases::service::transition(&at(state, t), inspector, case_id, input).await.map_err(err)?;
        if age >= 45 && dice.chance(80) {
            let t = step(12);
            let mut again = reinspect;
            again.inspected_at = t;
            again.case_id = Some(case_id);
            let done = app::inspections::service::create(&at(state, t + Duration::minutes(1)), inspector, again)
                .await
                .map_err(err)?;
            if done.verdict == app::inspections::compliance::Verdict::Pass && dice.chance(60) {
                let t = step(14);
                let input = move_to(CaseState::Closed, None, None, Some("复检合格，结案"));
                app::cases::service::transition(&at(state, t), inspector, case_id, input).await.map_err(err)?;
            }
        }
    } else if roll < 80 {
        // Penalised, and closed once the fine was paid.
        let t = step(5);
        let yuan = 5_000 + 1_000 * dice.below(16) as i64;
        let input = move_to(CaseState::Penalized, None, Some(yuan), Some("超标排放，依法处罚"));
        app::cases::service::transition(&at(state, t), inspector, case_id, input).await.map_err(err)?;
        if age >= 40 {
            let input = move_to(CaseState::Closed, None, None, Some("罚款已缴纳，结案"));
            app::cases::service::transition(&at(state, step(30)), inspector, case_id, input).await.map_err(err)?;
        }
    } else if roll < 90 {
        let input = move_to(CaseState::Closed, None, None, Some("经复核，检测时发动机未充分预热，撤销"));
        app::cases::service::transition(&at(state, step(3)), inspector, case_id, input).await.map_err(err)?;
    }
    Ok(())
}

/// A site, its unit and its fleet (each machine's id and stage).
type SiteFleet = (Uuid, Principal, Vec<(Uuid, EmissionStage)>);

/// One county's year at its sites: a filing each quarter (the current quarter's runs on into
/// the future), most accepted and some returned, two field visits to each accepted filing and
/// what became of the cases they opened.
async fn replay_county(
    state: &AppState,
    inspector: &Principal,
    sites: &[SiteFleet],
    mut dice: Dice,
    today: NaiveDate,
) -> Result<()> {
    let err = |e: app::service_error::ServiceError| anyhow!("Taiyuan demo: {e}");
    for (site_id, unit, fleet) in sites {
        for q in 0..QUARTERS {
            let current = q == QUARTERS - 1;
            let entry = today - Duration::days(310 - 90 * q);
            let exit = if current { today + Duration::days(80) } else { entry + Duration::days(84) };
            let size = 10 + dice.below(16) as usize;
            let start = dice.below((fleet.len() - size) as u64) as usize;
            let chosen: Vec<(Uuid, EmissionStage)> = fleet[start..start + size].to_vec();
            let input = FilingInput {
                site_id: *site_id,
                machine_ids: chosen.iter().map(|(id, _)| *id).collect(),
                planned_entry_on: entry,
                planned_exit_on: exit,
                request_id: None,
            };
            let filed = app::filings::service::create(&at(state, morning(entry - Duration::days(3), 0)), unit, input)
                .await
                .map_err(err)?;
            if current && dice.chance(10) {
                continue; // still waiting for the county
            }
            let review = if dice.chance(8) {
                let reason = "请补充机械铭牌照片和环保信息公开编号后重新报备。".to_owned();
                ReviewInput { decision: Decision::Return, reason: Some(reason) }
            } else {
                ReviewInput { decision: Decision::Accept, reason: None }
            };
            let accepted = review.decision == Decision::Accept;
            let when = at(state, morning(entry - Duration::days(2), 30));
            app::filings::review::review(&when, inspector, filed.id, review).await.map_err(err)?;
            if !accepted {
                continue;
            }
            // Field checks: two visits, a few machines each (electric machines make no smoke).
            let last_day = exit.min(today - Duration::days(1));
            let days = (last_day - entry).num_days();
            if days < 1 {
                continue;
            }
            for visit in 0..2 {
                let day = entry + Duration::days(dice.below(days as u64) as i64);
                let smoky: Vec<&(Uuid, EmissionStage)> =
                    chosen.iter().filter(|(_, s)| *s != EmissionStage::Electric).collect();
                for i in 0..(1 + dice.below(3)) {
                    let Some((machine_id, stage)) = smoky.get(dice.below(smoky.len() as u64) as usize) else { break };
                    let fails = match stage {
                        EmissionStage::PreStandard | EmissionStage::Stage1 => dice.chance(45),
                        EmissionStage::Stage2 => dice.chance(30),
                        EmissionStage::Stage3 => dice.chance(12),
                        _ => dice.chance(4),
                    };
                    let t = morning(day, 20 * (visit * 5 + i as i64));
                    let readings = if fails { vec![2.4, 2.6, 2.5] } else { vec![0.2, 0.3, 0.25] };
                    let input = InspectionInput {
                        machine_id: Some(*machine_id),
                        registration_code: None,
                        site_id: *site_id,
                        inspected_at: t,
                        lat: None,
                        lng: None,
                        opacity_readings: Some(readings),
                        ringelmann_level: Some(if fails { 2 } else { 0 }),
                        label_present: Some(!dice.chance(3)),
                        unregistered_description: None,
                        emission_stage: None,
                        fuel_type: None,
                        rated_power_kw: None,
                        notes: None,
                        case_id: None,
                        zone_exemption: None,
                        request_id: None,
                    };
                    let pass_again = InspectionInput {
                        opacity_readings: Some(vec![0.2, 0.3, 0.25]),
                        ringelmann_level: Some(0),
                        label_present: Some(true),
                        ..input.clone()
                    };
                    let done =
                        app::inspections::service::create(&at(state, t + Duration::minutes(1)), inspector, input)
                            .await
                            .map_err(err)?;
                    for c in done.opened_cases.iter().filter(|c| c.kind == app::cases::CaseKind::FailedInspection) {
                        follow_case(state, &mut dice, inspector, t, c.id, pass_again.clone()).await?;
                    }
                }
            }
        }
    }
    Ok(())
}

/// Loads the Taiyuan layer (see the module's documentation).
pub async fn load(state: &AppState) -> Result<()> {
    let err = |e: app::service_error::ServiceError| anyhow!("Taiyuan demo: {e}");
    let first = app::orgs::Uscc::with_check_char(UNITS[0].1).map_err(|e| anyhow!("demo USCC: {e:?}"))?;
    if organization::Entity::find()
        .filter(organization::Column::Uscc.eq(first.as_str()))
        .one(&state.db)
        .await?
        .is_some()
    {
        return Ok(());
    }
    let hash = user::Entity::find()
        .filter(user::Column::Username.eq("admin"))
        .one(&state.db)
        .await?
        .map(|u| u.password_hash)
        .ok_or_else(|| anyhow!("the base demo comes first"))?;
    debug_assert!(!DEMO_PASSWORD.is_empty());
    let mut dice = Dice(SEED);
    let now = state.clock.now();
    let today = app::dates::china_date(now);

    let mut inspectors = Vec::new();
    for (code, _, username, display) in COUNTIES {
        account(state, &hash, username, Role::CountyInspector, Some(code), None, display).await?;
        inspectors.push(principal_of(state, username).await?);
    }
    let mut units = Vec::new();
    for (name, uscc, contact, phone, username) in UNITS {
        let uscc = app::orgs::Uscc::with_check_char(uscc).map_err(|e| anyhow!("demo USCC: {e:?}"))?;
        let org = ensure_org(state, &super::DemoOrg { name, uscc: "", contact, phone }, uscc.as_str()).await?;
        account(state, &hash, username, Role::ContractorAdmin, None, Some(org), contact).await?;
        units.push(principal_of(state, username).await?);
    }

    // Sites and their fleets, a little over a year ago.
    let opened = at(state, morning(today - Duration::days(340), 0));
    let mut sites = Vec::new();
    let mut n = 100u32;
    for (k, (code, short, ..)) in COUNTIES.iter().enumerate() {
        for j in 0..SITES_PER_COUNTY {
            let unit = &units[(k * SITES_PER_COUNTY + j) % units.len()];
            let project = PROJECTS[(k + 3 * j) % PROJECTS.len()];
            let input = SiteInput {
                name: format!("{short}{project}示范工地"),
                county_code: (*code).to_owned(),
                address: format!("太原市{short}示范路{}号", 10 + 7 * j),
                permit_no: Some(format!("1401{}2025{:04}", &code[4..], 100 + j)),
                starts_on: today - Duration::days(335),
                ends_on: today + Duration::days(240),
                lat: None,
                lng: None,
                low_emission_zone: None,
            };
            let mut site = app::sites::service::create(&opened, unit, input).await.map_err(err)?;
            // Half the sites lie outside the built-up area: the county marks them out of the zone.
            if j >= SITES_PER_COUNTY / 2 && site.low_emission_zone {
                let decision = app::sites::zone::ZoneDecisionInput {
                    in_zone: false,
                    reason: "位于城市建成区以外的城郊工地，不在高排放非道路移动机械禁用区内。".to_owned(),
                    version: None,
                };
                site =
                    app::sites::zone_decision::decide(&opened, &inspectors[k], site.id, decision).await.map_err(err)?;
            }
            // The unit imports the site's fleet from a spreadsheet, as units do.
            let machines: Vec<MachineInput> = (0..MACHINES_PER_SITE)
                .map(|i| fleet_machine(&mut dice, n + i as u32, site.low_emission_zone))
                .collect();
            n += MACHINES_PER_SITE as u32;
            let fleet = import_fleet(&opened, unit, &machines).await?;
            sites.push((site.id, k, unit.clone(), fleet));
        }
    }

    // The year, county by county: each county's filings, reviews, field checks and cases in
    // the order they happened, the ten counties at once (no record of one touches another's:
    // fleets, sites, registration codes and cases are each county's). Each county has its own
    // fixed-seed generator, so the demo stays the same on every machine.
    let mut by_county: Vec<Vec<SiteFleet>> = vec![Vec::new(); COUNTIES.len()];
    for (site_id, k, unit, fleet) in &sites {
        by_county[*k].push((*site_id, unit.clone(), fleet.clone()));
    }
    let replays: Vec<_> = by_county
        .into_iter()
        .enumerate()
        .map(|(k, county_sites)| {
            let (state, inspector) = (state.clone(), inspectors[k].clone());
            let dice = Dice(SEED ^ (k as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15));
            tokio::spawn(async move { replay_county(&state, &inspector, &county_sites, dice, today).await })
        })
        .collect();
    for replay in replays {
        replay.await.map_err(|e| anyhow!("Taiyuan demo: a county's year stopped: {e}"))??;
    }

    // Machines the counties watch by hand: old diesel machines their neighbours reported, one
    // per site that has a registered one, eight in all.
    let mut watched = 0;
    'sites: for (_, k, _, fleet) in &sites {
        for (id, stage) in fleet {
            if !matches!(stage, EmissionStage::Stage2 | EmissionStage::Stage1 | EmissionStage::PreStandard) {
                continue;
            }
            let m = machine::Entity::find_by_id(*id).one(&state.db).await?;
            let Some(registration_code) = m.and_then(|m| m.registration_code) else { continue };
            let entry = app::watchlist::WatchEntryInput {
                registration_code,
                reason: "群众反映该机械在夜间施工时冒黑烟，请各县查验时留意。".to_owned(),
                ends_on: today + Duration::days(20 + 10 * (watched % 4)),
            };
            app::watchlist::service::add(state, &inspectors[(*k + 1) % inspectors.len()], entry).await.map_err(err)?;
            watched += 1;
            if watched == 8 {
                break 'sites;
            }
            continue 'sites;
        }
    }
    // Reports from the public this week: about machines by the code on their label (routed to
    // the county of their filing), and a few by county alone; some already closed.
    let texts = [
        ("black_smoke", "工地北门的挖掘机早上启动时冒黑烟，持续十几分钟。"),
        ("no_label", "一台黄色装载机没有挂登记标牌，在路边作业。"),
        ("black_smoke", "夜间施工的压路机排气很黑，气味很大。"),
        ("in_zone", "城区工地里有一台老旧的推土机在作业。"),
    ];
    for (reported, (i, (_, k, _, fleet))) in sites.iter().enumerate().step_by(3).enumerate() {
        let (kind, text) = texts[i % texts.len()];
        let code = match fleet.get(i % fleet.len()) {
            Some((id, _)) => machine::Entity::find_by_id(*id).one(&state.db).await?.and_then(|m| m.registration_code),
            None => None,
        };
        let input = app::reports::ReportInput {
            registration_code: if i % 2 == 0 { code } else { None },
            county_code: Some(COUNTIES[*k].0.to_owned()),
            kind: Some(kind.to_owned()),
            description: text.to_owned(),
            lat: None,
            lng: None,
            phone: (i % 3 == 0).then(|| format!("1390351{:04}", 1000 + i)),
        };
        let when = at(state, now - Duration::hours(6 * (reported as i64 + 1)));
        app::reports::service::submit(&when, input, Vec::new()).await.map_err(err)?;
    }
    let waiting =
        app::reports::service::list(state, &inspectors[0], &app::reports::ReportQuery::default()).await.map_err(err)?;
    if let Some(r) = waiting.iter().find(|r| r.status == app::reports::ReportStatus::New) {
        let close = app::reports::ReportClosing {
            reason: "现场核查时该机械已离场，已提醒施工单位。".to_owned()
        };
        app::reports::service::close(state, &inspectors[0], r.id, close).await.map_err(err)?;
    }
    Ok(())
}
