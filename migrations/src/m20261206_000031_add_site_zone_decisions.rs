//! A site's low-emission-zone membership belongs to the zone data and the officials, not to the
//! construction unit: the unit-set `sites.low_emission_zone` goes, and an official's decision
//! takes its place (`zone_decision`: NULL follows the zone data, true in, false out; who decided,
//! when and why). Every existing site follows the zone data from now on: the old flag was the
//! unit's own choice, so it is not carried over as anyone's decision.

use crate::m20261128_000003_create_registry::Sites;
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
#[expect(clippy::enum_variant_names, reason = "the columns' own names")]
enum ZoneDecision {
    ZoneDecision,
    ZoneDecidedBy,
    ZoneDecidedAt,
    ZoneReason,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let columns = [
            (ZoneDecision::ZoneDecision.to_string(), boolean_null(ZoneDecision::ZoneDecision)),
            (ZoneDecision::ZoneDecidedBy.to_string(), uuid_null(ZoneDecision::ZoneDecidedBy)),
            (ZoneDecision::ZoneDecidedAt.to_string(), timestamp_with_time_zone_null(ZoneDecision::ZoneDecidedAt)),
            (ZoneDecision::ZoneReason.to_string(), text_null(ZoneDecision::ZoneReason)),
        ];
        // One change per statement: SQLite alters one thing at a time.
        for (name, mut def) in columns {
            if !manager.has_column("sites", &name).await? {
                manager.alter_table(Table::alter().table(Sites::Table).add_column(&mut def).to_owned()).await?;
            }
        }
        if manager.has_column("sites", Sites::LowEmissionZone.to_string()).await? {
            manager
                .alter_table(Table::alter().table(Sites::Table).drop_column(Sites::LowEmissionZone).to_owned())
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Sites::Table)
                    .add_column(boolean(Sites::LowEmissionZone).default(false))
                    .to_owned(),
            )
            .await?;
        for column in [
            ZoneDecision::ZoneDecision,
            ZoneDecision::ZoneDecidedBy,
            ZoneDecision::ZoneDecidedAt,
            ZoneDecision::ZoneReason,
        ] {
            manager.alter_table(Table::alter().table(Sites::Table).drop_column(column).to_owned()).await?;
        }
        Ok(())
    }
}
