//! The inspection plan's data: `plan_weights`, the weights of the plan's risk score that a city
//! or province officer set for their division (a county's plan takes the nearest division's row
//! above it, else the built-in defaults), and `route_stops`, the sites an inspector picked for
//! a day, in order. The score itself is computed from filings, inspections, cases and the watch
//! list; nothing of it is stored.

use crate::m20261128_000002_create_accounts::Users;
use crate::m20261128_000003_create_registry::Sites;
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum PlanWeights {
    Table,
    DivisionCode,
    OldOrNoDpf,
    Watched,
    SiteFailures,
    UnitFailures,
    NeverInspected,
    DaysSince,
    OpenCases,
    UpdatedBy,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum RouteStops {
    Table,
    InspectorId,
    RouteDate,
    Position,
    SiteId,
    CountyCode,
    SavedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(PlanWeights::Table)
                    .if_not_exists()
                    .col(string_len(PlanWeights::DivisionCode, 12).primary_key())
                    .col(integer(PlanWeights::OldOrNoDpf))
                    .col(integer(PlanWeights::Watched))
                    .col(integer(PlanWeights::SiteFailures))
                    .col(integer(PlanWeights::UnitFailures))
                    .col(integer(PlanWeights::NeverInspected))
                    .col(integer(PlanWeights::DaysSince))
                    .col(integer(PlanWeights::OpenCases))
                    .col(uuid(PlanWeights::UpdatedBy))
                    .col(timestamp_with_time_zone(PlanWeights::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_plan_weights_updated_by")
                            .from(PlanWeights::Table, PlanWeights::UpdatedBy)
                            .to(Users::Table, Users::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(RouteStops::Table)
                    .if_not_exists()
                    .col(uuid(RouteStops::InspectorId))
                    .col(date(RouteStops::RouteDate))
                    .col(integer(RouteStops::Position))
                    .col(uuid(RouteStops::SiteId))
                    .col(string_len(RouteStops::CountyCode, 12))
                    .col(timestamp_with_time_zone(RouteStops::SavedAt))
                    .primary_key(
                        Index::create()
                            .col(RouteStops::InspectorId)
                            .col(RouteStops::RouteDate)
                            .col(RouteStops::Position),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_route_stops_inspector")
                            .from(RouteStops::Table, RouteStops::InspectorId)
                            .to(Users::Table, Users::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_route_stops_site")
                            .from(RouteStops::Table, RouteStops::SiteId)
                            .to(Sites::Table, Sites::Id),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(RouteStops::Table).if_exists().to_owned()).await?;
        manager.drop_table(Table::drop().table(PlanWeights::Table).if_exists().to_owned()).await
    }
}
