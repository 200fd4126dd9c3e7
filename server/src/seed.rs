//! Demo data for two Taiyuan counties (小店区 and 清徐县): officials of every level, two
//! construction units with staff. Loading it twice changes nothing.

use anyhow::{Result, anyhow};
use app::auth::Role;
use app::auth::service::{NewUser, create_user};
use app::db::entities::{organization, user};
use app::state::AppState;
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter};
use uuid::Uuid;

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
    Ok(out)
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
