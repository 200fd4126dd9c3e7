//! Rough bounds of divisions (`lat_min`, `lat_max`, `lng_min`, `lng_max`, all nullable): a
//! site's position must lie in its county's bounds, or in those of the nearest division above
//! it that has bounds. Seeded for Shanxi, Taiyuan and the demo data's two counties, each box
//! widened a little (about 0.05°) beyond the quoted extent, since they are rough.

use crate::m20261128_000001_create_divisions::Divisions;
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Bounds {
    LatMin,
    LatMax,
    LngMin,
    LngMax,
}

/// (code, lat_min, lat_max, lng_min, lng_max), widened from the quoted extents:
/// Shanxi 34.57–40.74 / 110.23–114.56, 太原市 37.45–38.42 / 111.50–113.15,
/// 小店区 37.62–37.86 / 112.48–112.76, 清徐县 37.38–37.75 / 112.05–112.58.
const SEEDED: [(&str, f64, f64, f64, f64); 4] = [
    ("140000", 34.50, 40.80, 110.15, 114.65),
    ("140100", 37.40, 38.47, 111.45, 113.20),
    ("140105", 37.57, 37.91, 112.43, 112.81),
    ("140121", 37.33, 37.80, 112.00, 112.63),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite alters one thing at a time.
        for column in [Bounds::LatMin, Bounds::LatMax, Bounds::LngMin, Bounds::LngMax] {
            let name = column.to_string();
            if !manager.has_column("divisions", &name).await? {
                manager
                    .alter_table(Table::alter().table(Divisions::Table).add_column(double_null(column)).to_owned())
                    .await?;
            }
        }
        for (code, lat_min, lat_max, lng_min, lng_max) in SEEDED {
            let update = Query::update()
                .table(Divisions::Table)
                .values([
                    (Bounds::LatMin, lat_min.into()),
                    (Bounds::LatMax, lat_max.into()),
                    (Bounds::LngMin, lng_min.into()),
                    (Bounds::LngMax, lng_max.into()),
                ])
                .and_where(Expr::col(Divisions::Code).eq(code))
                .and_where(Expr::col(Bounds::LatMin).is_null())
                .to_owned();
            manager.exec_stmt(update).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [Bounds::LatMin, Bounds::LatMax, Bounds::LngMin, Bounds::LngMax] {
            manager.alter_table(Table::alter().table(Divisions::Table).drop_column(column).to_owned()).await?;
        }
        Ok(())
    }
}
