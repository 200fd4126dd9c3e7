//! Low-emission zones (禁止使用高排放非道路移动机械区域) per division, with their rules, and the
//! Taiyuan 2023 zone (并政发〔2023〕7号, effective 2023-06-11 for five years) as seed data.

use crate::m20261128_000001_create_divisions::Divisions;
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
pub enum LowEmissionZones {
    Table,
    Id,
    DivisionCode,
    Name,
    /// The lowest emission stage allowed for diesel machines (e.g. `stage_3`).
    MinDieselStage,
    /// The smoke class required inside (`III`).
    RequiredClass,
    /// JSON array of exemption codes (e.g. `["emergency_rescue","agriculture_season"]`).
    Exemptions,
    EffectiveFrom,
    EffectiveTo,
    Notes,
    Version,
    CreatedAt,
    UpdatedAt,
}

/// Taiyuan's urban districts and the four counties whose built-up areas are in the zone.
const TAIYUAN_ZONE: [&str; 10] =
    ["140105", "140106", "140107", "140108", "140109", "140110", "140121", "140122", "140123", "140181"];

fn ymd(y: i32, m: u32, d: u32) -> Result<chrono::NaiveDate, DbErr> {
    chrono::NaiveDate::from_ymd_opt(y, m, d).ok_or_else(|| DbErr::Custom("bad seed date".into()))
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(LowEmissionZones::Table)
                    .if_not_exists()
                    .col(pk_uuid(LowEmissionZones::Id))
                    .col(string_len(LowEmissionZones::DivisionCode, 6))
                    .col(string_len(LowEmissionZones::Name, 200))
                    .col(string_len(LowEmissionZones::MinDieselStage, 16))
                    .col(string_len(LowEmissionZones::RequiredClass, 4))
                    .col(text(LowEmissionZones::Exemptions))
                    .col(date(LowEmissionZones::EffectiveFrom))
                    .col(date_null(LowEmissionZones::EffectiveTo))
                    .col(text_null(LowEmissionZones::Notes))
                    .col(integer(LowEmissionZones::Version).default(1))
                    .col(timestamp_with_time_zone(LowEmissionZones::CreatedAt))
                    .col(timestamp_with_time_zone(LowEmissionZones::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(LowEmissionZones::Table, LowEmissionZones::DivisionCode)
                            .to(Divisions::Table, Divisions::Code),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .if_not_exists()
                    .name("idx_zones_division")
                    .table(LowEmissionZones::Table)
                    .col(LowEmissionZones::DivisionCode)
                    .col(LowEmissionZones::EffectiveFrom)
                    .to_owned(),
            )
            .await?;
        let seeded_at = chrono::DateTime::<chrono::Utc>::from_timestamp(1_686_441_600, 0).unwrap_or_default();
        for (i, code) in TAIYUAN_ZONE.iter().enumerate() {
            // Fixed ids keep the seed idempotent.
            let id = format!("00000000-0000-7000-8000-0000000140{i:02}");
            let insert = Query::insert()
                .into_table(LowEmissionZones::Table)
                .columns([
                    LowEmissionZones::Id,
                    LowEmissionZones::DivisionCode,
                    LowEmissionZones::Name,
                    LowEmissionZones::MinDieselStage,
                    LowEmissionZones::RequiredClass,
                    LowEmissionZones::Exemptions,
                    LowEmissionZones::EffectiveFrom,
                    LowEmissionZones::EffectiveTo,
                    LowEmissionZones::Notes,
                    LowEmissionZones::CreatedAt,
                    LowEmissionZones::UpdatedAt,
                ])
                .values([
                    uuid::Uuid::parse_str(&id).map_err(|e| DbErr::Custom(e.to_string()))?.into(),
                    (*code).into(),
                    "太原市禁止使用高排放非道路移动机械区域（并政发〔2023〕7号）".into(),
                    "stage_3".into(),
                    "III".into(),
                    r#"["emergency_rescue","agriculture_season"]"#.into(),
                    ymd(2023, 6, 11)?.into(),
                    Some(ymd(2028, 6, 10)?).into(),
                    (if i < 6 { "全部市辖区" } else { "建成区" }).into(),
                    seeded_at.into(),
                    seeded_at.into(),
                ])
                .map_err(|e| DbErr::Custom(e.to_string()))?
                .on_conflict(OnConflict::column(LowEmissionZones::Id).do_nothing().to_owned())
                .to_owned();
            manager.exec_stmt(insert).await?;
        }
        Ok(())
    }
}
