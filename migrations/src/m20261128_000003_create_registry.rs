//! The registry: machine types, sites, machines, photos, filings, movements and the per-county
//! counters behind registration codes.

use crate::m20261128_000001_create_divisions::Divisions;
use crate::m20261128_000002_create_accounts::{Organizations, Users};
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
pub enum MachineTypes {
    Table,
    Code,
    NameZh,
    NameEn,
    SortOrder,
    IsActive,
}

#[derive(DeriveIden)]
pub enum Sites {
    Table,
    Id,
    OrganizationId,
    Name,
    CountyCode,
    Address,
    PermitNo,
    StartsOn,
    EndsOn,
    Lat,
    Lng,
    LowEmissionZone,
    Version,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
pub enum Machines {
    Table,
    Id,
    OrganizationId,
    MachineType,
    Name,
    Brand,
    Model,
    Pin,
    EnvCode,
    InfoDisclosureNo,
    EngineModel,
    EngineSerial,
    EngineMaker,
    EngineApprovalNo,
    EmissionStage,
    FuelType,
    RatedPowerKw,
    ManufacturedOn,
    DpfFitted,
    DpfModel,
    DpfMaker,
    DpfFittedOn,
    ObdFitted,
    RemoteTerminal,
    RegistrationCode,
    RegisteredAt,
    Version,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum MachinePhotos {
    Table,
    Id,
    MachineId,
    Kind,
    ContentType,
    OriginalKey,
    WebKey,
    SizeBytes,
    Width,
    Height,
    CreatedAt,
}

#[derive(DeriveIden)]
pub enum Filings {
    Table,
    Id,
    OrganizationId,
    SiteId,
    CountyCode,
    Status,
    PlannedEntryOn,
    PlannedExitOn,
    ReturnReason,
    SubmittedAt,
    ReviewedAt,
    ReviewedBy,
    CreatedBy,
    Version,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum FilingMachines {
    Table,
    FilingId,
    MachineId,
}

#[derive(DeriveIden)]
enum RegistrationCounters {
    Table,
    CountyCode,
    LastSeq,
}

#[derive(DeriveIden)]
enum MachineMovements {
    Table,
    Id,
    FilingId,
    MachineId,
    Kind,
    At,
    OutsideWindow,
    RecordedBy,
    CreatedAt,
}

/// The seeded machine types: wire code, Chinese name, English name.
const MACHINE_TYPES: [(&str, &str, &str); 19] = [
    ("excavator", "挖掘机", "Excavator"),
    ("loader", "装载机", "Loader"),
    ("bulldozer", "推土机", "Bulldozer"),
    ("roller", "压路机", "Roller"),
    ("paver", "摊铺机", "Paver"),
    ("grader", "平地机", "Grader"),
    ("forklift", "叉车", "Forklift"),
    ("crane", "起重机", "Crane"),
    ("piling_rig", "桩工机械", "Piling rig"),
    ("rotary_drilling_rig", "旋挖钻机", "Rotary drilling rig"),
    ("dynamic_compactor", "强夯机", "Dynamic compactor"),
    ("concrete_pump", "混凝土输送泵", "Concrete pump"),
    ("stacker", "堆高机", "Stacker"),
    ("tractor_unit", "牵引车", "Tractor unit"),
    ("shuttle", "摆渡车", "Shuttle"),
    ("in_plant_vehicle", "场内车辆", "In-plant vehicle"),
    ("generator_set", "发电机组", "Generator set"),
    ("air_compressor", "空气压缩机", "Air compressor"),
    ("other", "其他", "Other"),
];

fn index(name: &str, table: impl IntoIden, cols: Vec<DynIden>, unique: bool) -> IndexCreateStatement {
    let mut idx = Index::create();
    idx.if_not_exists().name(name).table(table);
    for c in cols {
        idx.col(c);
    }
    if unique {
        idx.unique();
    }
    idx.to_owned()
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
                    .table(MachineTypes::Table)
                    .if_not_exists()
                    .col(string_len(MachineTypes::Code, 40).primary_key())
                    .col(string_len(MachineTypes::NameZh, 60))
                    .col(string_len(MachineTypes::NameEn, 60))
                    .col(integer(MachineTypes::SortOrder))
                    .col(boolean(MachineTypes::IsActive).default(true))
                    .to_owned(),
            )
            .await?;
        for (i, (code, zh, en)) in MACHINE_TYPES.iter().enumerate() {
            let insert = Query::insert()
                .into_table(MachineTypes::Table)
                .columns([MachineTypes::Code, MachineTypes::NameZh, MachineTypes::NameEn, MachineTypes::SortOrder])
                .values([(*code).into(), (*zh).into(), (*en).into(), ((i as i32 + 1) * 10).into()])
                .map_err(|e| DbErr::Custom(e.to_string()))?
                .on_conflict(OnConflict::column(MachineTypes::Code).do_nothing().to_owned())
                .to_owned();
            manager.exec_stmt(insert).await?;
        }

        manager
            .create_table(
                Table::create()
                    .table(Sites::Table)
                    .if_not_exists()
                    .col(pk_uuid(Sites::Id))
                    .col(uuid(Sites::OrganizationId))
                    .col(string_len(Sites::Name, 200))
                    .col(string_len(Sites::CountyCode, 6))
                    .col(string_len(Sites::Address, 300))
                    .col(string_len_null(Sites::PermitNo, 64))
                    .col(date(Sites::StartsOn))
                    .col(date(Sites::EndsOn))
                    .col(double_null(Sites::Lat))
                    .col(double_null(Sites::Lng))
                    .col(boolean(Sites::LowEmissionZone).default(false))
                    .col(integer(Sites::Version).default(1))
                    .col(timestamp_with_time_zone(Sites::CreatedAt))
                    .col(timestamp_with_time_zone(Sites::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Sites::Table, Sites::OrganizationId)
                            .to(Organizations::Table, Organizations::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Sites::Table, Sites::CountyCode)
                            .to(Divisions::Table, Divisions::Code),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "idx_sites_org",
                Sites::Table,
                vec![Sites::OrganizationId.into_iden(), Sites::Id.into_iden()],
                false,
            ))
            .await?;
        manager
            .create_index(index(
                "idx_sites_county",
                Sites::Table,
                vec![Sites::CountyCode.into_iden(), Sites::Id.into_iden()],
                false,
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Machines::Table)
                    .if_not_exists()
                    .col(pk_uuid(Machines::Id))
                    .col(uuid(Machines::OrganizationId))
                    .col(string_len(Machines::MachineType, 40))
                    .col(string_len(Machines::Name, 100))
                    .col(string_len_null(Machines::Brand, 100))
                    .col(string_len_null(Machines::Model, 100))
                    .col(string_len_null(Machines::Pin, 40))
                    .col(string_len_null(Machines::EnvCode, 17))
                    .col(string_len_null(Machines::InfoDisclosureNo, 64))
                    .col(string_len_null(Machines::EngineModel, 100))
                    .col(string_len_null(Machines::EngineSerial, 64))
                    .col(string_len_null(Machines::EngineMaker, 100))
                    .col(string_len_null(Machines::EngineApprovalNo, 64))
                    .col(string_len(Machines::EmissionStage, 16))
                    .col(string_len(Machines::FuelType, 16))
                    .col(double(Machines::RatedPowerKw))
                    .col(date_null(Machines::ManufacturedOn))
                    .col(boolean(Machines::DpfFitted).default(false))
                    .col(string_len_null(Machines::DpfModel, 100))
                    .col(string_len_null(Machines::DpfMaker, 100))
                    .col(date_null(Machines::DpfFittedOn))
                    .col(boolean(Machines::ObdFitted).default(false))
                    .col(boolean(Machines::RemoteTerminal).default(false))
                    .col(string_len_null(Machines::RegistrationCode, 16))
                    .col(timestamp_with_time_zone_null(Machines::RegisteredAt))
                    .col(integer(Machines::Version).default(1))
                    .col(timestamp_with_time_zone(Machines::CreatedAt))
                    .col(timestamp_with_time_zone(Machines::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Machines::Table, Machines::OrganizationId)
                            .to(Organizations::Table, Organizations::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Machines::Table, Machines::MachineType)
                            .to(MachineTypes::Table, MachineTypes::Code),
                    )
                    .to_owned(),
            )
            .await?;
        // Identifiers are unique across every organisation; NULLs do not collide on either backend.
        manager.create_index(index("uq_machines_pin", Machines::Table, vec![Machines::Pin.into_iden()], true)).await?;
        manager
            .create_index(index("uq_machines_env_code", Machines::Table, vec![Machines::EnvCode.into_iden()], true))
            .await?;
        manager
            .create_index(index(
                "uq_machines_engine_serial",
                Machines::Table,
                vec![Machines::EngineSerial.into_iden()],
                true,
            ))
            .await?;
        manager
            .create_index(index(
                "uq_machines_registration_code",
                Machines::Table,
                vec![Machines::RegistrationCode.into_iden()],
                true,
            ))
            .await?;
        manager
            .create_index(index(
                "idx_machines_org",
                Machines::Table,
                vec![Machines::OrganizationId.into_iden(), Machines::Id.into_iden()],
                false,
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(MachinePhotos::Table)
                    .if_not_exists()
                    .col(pk_uuid(MachinePhotos::Id))
                    .col(uuid(MachinePhotos::MachineId))
                    .col(string_len(MachinePhotos::Kind, 32))
                    .col(string_len(MachinePhotos::ContentType, 32))
                    .col(string_len(MachinePhotos::OriginalKey, 200))
                    .col(string_len(MachinePhotos::WebKey, 200))
                    .col(big_integer(MachinePhotos::SizeBytes))
                    .col(integer(MachinePhotos::Width))
                    .col(integer(MachinePhotos::Height))
                    .col(timestamp_with_time_zone(MachinePhotos::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(MachinePhotos::Table, MachinePhotos::MachineId)
                            .to(Machines::Table, Machines::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "uq_machine_photos_kind",
                MachinePhotos::Table,
                vec![MachinePhotos::MachineId.into_iden(), MachinePhotos::Kind.into_iden()],
                true,
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Filings::Table)
                    .if_not_exists()
                    .col(pk_uuid(Filings::Id))
                    .col(uuid(Filings::OrganizationId))
                    .col(uuid(Filings::SiteId))
                    .col(string_len(Filings::CountyCode, 6))
                    .col(string_len(Filings::Status, 16))
                    .col(date(Filings::PlannedEntryOn))
                    .col(date(Filings::PlannedExitOn))
                    .col(text_null(Filings::ReturnReason))
                    .col(timestamp_with_time_zone_null(Filings::SubmittedAt))
                    .col(timestamp_with_time_zone_null(Filings::ReviewedAt))
                    .col(uuid_null(Filings::ReviewedBy))
                    .col(uuid(Filings::CreatedBy))
                    .col(integer(Filings::Version).default(1))
                    .col(timestamp_with_time_zone(Filings::CreatedAt))
                    .col(timestamp_with_time_zone(Filings::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Filings::Table, Filings::OrganizationId)
                            .to(Organizations::Table, Organizations::Id),
                    )
                    .foreign_key(ForeignKey::create().from(Filings::Table, Filings::SiteId).to(Sites::Table, Sites::Id))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Filings::Table, Filings::CountyCode)
                            .to(Divisions::Table, Divisions::Code),
                    )
                    .foreign_key(
                        ForeignKey::create().from(Filings::Table, Filings::CreatedBy).to(Users::Table, Users::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "idx_filings_county_status",
                Filings::Table,
                vec![Filings::CountyCode.into_iden(), Filings::Status.into_iden(), Filings::SubmittedAt.into_iden()],
                false,
            ))
            .await?;
        manager
            .create_index(index(
                "idx_filings_org",
                Filings::Table,
                vec![Filings::OrganizationId.into_iden(), Filings::Id.into_iden()],
                false,
            ))
            .await?;
        manager
            .create_index(index("idx_filings_site", Filings::Table, vec![Filings::SiteId.into_iden()], false))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(FilingMachines::Table)
                    .if_not_exists()
                    .col(uuid(FilingMachines::FilingId))
                    .col(uuid(FilingMachines::MachineId))
                    .primary_key(Index::create().col(FilingMachines::FilingId).col(FilingMachines::MachineId))
                    .foreign_key(
                        ForeignKey::create()
                            .from(FilingMachines::Table, FilingMachines::FilingId)
                            .to(Filings::Table, Filings::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(FilingMachines::Table, FilingMachines::MachineId)
                            .to(Machines::Table, Machines::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "idx_filing_machines_machine",
                FilingMachines::Table,
                vec![FilingMachines::MachineId.into_iden()],
                false,
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(RegistrationCounters::Table)
                    .if_not_exists()
                    .col(string_len(RegistrationCounters::CountyCode, 6).primary_key())
                    .col(big_integer(RegistrationCounters::LastSeq))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(MachineMovements::Table)
                    .if_not_exists()
                    .col(pk_uuid(MachineMovements::Id))
                    .col(uuid(MachineMovements::FilingId))
                    .col(uuid(MachineMovements::MachineId))
                    .col(string_len(MachineMovements::Kind, 8))
                    .col(timestamp_with_time_zone(MachineMovements::At))
                    .col(boolean(MachineMovements::OutsideWindow))
                    .col(uuid(MachineMovements::RecordedBy))
                    .col(timestamp_with_time_zone(MachineMovements::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(MachineMovements::Table, MachineMovements::FilingId)
                            .to(Filings::Table, Filings::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(MachineMovements::Table, MachineMovements::MachineId)
                            .to(Machines::Table, Machines::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "idx_movements_filing",
                MachineMovements::Table,
                vec![
                    MachineMovements::FilingId.into_iden(),
                    MachineMovements::MachineId.into_iden(),
                    MachineMovements::At.into_iden(),
                ],
                false,
            ))
            .await?;
        Ok(())
    }
}
