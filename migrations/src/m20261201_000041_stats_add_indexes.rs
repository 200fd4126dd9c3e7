//! Indexes for the statistics (stats): every figure is a `GROUP BY` over one county list and a
//! time range, so each table is indexed on (county, the instant it is counted by).

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Filings {
    Table,
    CountyCode,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Inspections {
    Table,
    CountyCode,
    InspectedAt,
}

#[derive(DeriveIden)]
enum Cases {
    Table,
    CountyCode,
    OpenedAt,
}

fn index(name: &str, table: impl IntoIden, cols: [DynIden; 2]) -> IndexCreateStatement {
    let mut idx = Index::create();
    idx.if_not_exists().name(name).table(table);
    for c in cols {
        idx.col(c);
    }
    idx.to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(index(
                "idx_filings_county_created",
                Filings::Table,
                [Filings::CountyCode.into_iden(), Filings::CreatedAt.into_iden()],
            ))
            .await?;
        manager
            .create_index(index(
                "idx_inspections_county_at",
                Inspections::Table,
                [Inspections::CountyCode.into_iden(), Inspections::InspectedAt.into_iden()],
            ))
            .await?;
        manager
            .create_index(index(
                "idx_cases_county_opened",
                Cases::Table,
                [Cases::CountyCode.into_iden(), Cases::OpenedAt.into_iden()],
            ))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (name, table) in [
            ("idx_filings_county_created", Filings::Table.into_iden()),
            ("idx_inspections_county_at", Inspections::Table.into_iden()),
            ("idx_cases_county_opened", Cases::Table.into_iden()),
        ] {
            manager.drop_index(Index::drop().if_exists().name(name).table(table).to_owned()).await?;
        }
        Ok(())
    }
}
