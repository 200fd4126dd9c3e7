//! County inspections: the versioned smoke-limit tables (seeded with GB 36886-2018 as DOMAIN.md
//! quotes it), recorded inspections, non-compliance cases with their history, and the joint
//! notes of partner departments. Indexes serve the field look-up (a machine's latest inspection
//! and unresolved cases) and the scoped lists.

use crate::m20261128_000001_create_divisions::Divisions;
use crate::m20261128_000002_create_accounts::Users;
use crate::m20261128_000003_create_registry::{Machines, Sites};
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum LimitTables {
    Table,
    Id,
    Version,
    EffectiveFrom,
    Notes,
    CreatedBy,
    CreatedAt,
}

#[derive(DeriveIden)]
enum LimitRows {
    Table,
    Id,
    TableId,
    Position,
    Class,
    PowerMinKw,
    PowerMaxKw,
    KLimit,
    RingelmannMax,
}

#[derive(DeriveIden)]
enum Inspections {
    Table,
    Id,
    CountyCode,
    SiteId,
    SiteOrganizationId,
    MachineId,
    OrganizationId,
    UnregisteredDescription,
    EmissionStage,
    FuelType,
    RatedPowerKw,
    InspectorId,
    InspectedAt,
    Lat,
    Lng,
    /// JSON array of numbers.
    OpacityReadings,
    RingelmannLevel,
    MeanK,
    LimitClass,
    LimitK,
    LimitTableVersion,
    Verdict,
    /// JSON array of reason codes.
    Reasons,
    LowEmissionZone,
    LabelPresent,
    Notes,
    /// The case this inspection re-inspected (no foreign key: cases also point here).
    CaseId,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Cases {
    Table,
    Id,
    CountyCode,
    Kind,
    State,
    MachineId,
    OrganizationId,
    SiteOrganizationId,
    SiteId,
    InspectionId,
    DeadlineOn,
    PenaltyYuan,
    LegalBasis,
    OpenedAt,
    ClosedAt,
    Version,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum CaseEvents {
    Table,
    Id,
    CaseId,
    FromState,
    ToState,
    Action,
    Note,
    ActorId,
    At,
    DeadlineOn,
    PenaltyYuan,
    LegalBasis,
    InspectionId,
}

#[derive(DeriveIden)]
enum InspectionNotes {
    Table,
    Id,
    InspectionId,
    AuthorId,
    Body,
    CreatedAt,
}

#[derive(DeriveIden)]
enum CaseNotes {
    Table,
    Id,
    CaseId,
    AuthorId,
    Body,
    CreatedAt,
}

fn index(name: &str, table: impl IntoIden, cols: Vec<DynIden>) -> IndexCreateStatement {
    let mut idx = Index::create();
    idx.if_not_exists().name(name).table(table);
    for c in cols {
        idx.col(c);
    }
    idx.to_owned()
}

fn fk(from: (impl IntoTableRef, impl IntoIden), to: (impl IntoTableRef, impl IntoIden)) -> ForeignKeyCreateStatement {
    ForeignKey::create().from(from.0, from.1).to(to.0, to.1).to_owned()
}

/// The seed table: (class, min kW, max kW, k limit). Ringelmann ≤ 1 everywhere.
const GB36886_2018: [(&str, Option<f64>, Option<f64>, f64); 7] = [
    ("I", None, Some(19.0), 3.00),
    ("I", Some(19.0), Some(37.0), 2.00),
    ("I", Some(37.0), None, 1.61),
    ("II", None, Some(19.0), 2.00),
    ("II", Some(19.0), Some(37.0), 1.00),
    ("II", Some(37.0), None, 0.80),
    ("III", Some(37.0), None, 0.50),
];
const SEED_TABLE_ID: &str = "00000000-0000-7000-8000-000036886018";

fn uuid_of(s: &str) -> Result<uuid::Uuid, DbErr> {
    uuid::Uuid::parse_str(s).map_err(|e| DbErr::Custom(e.to_string()))
}

async fn create_limit_tables(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    manager
        .create_table(
            Table::create()
                .table(LimitTables::Table)
                .if_not_exists()
                .col(pk_uuid(LimitTables::Id))
                .col(string_len_uniq(LimitTables::Version, 40))
                .col(date_uniq(LimitTables::EffectiveFrom))
                .col(text_null(LimitTables::Notes))
                .col(uuid_null(LimitTables::CreatedBy))
                .col(timestamp_with_time_zone(LimitTables::CreatedAt))
                .to_owned(),
        )
        .await?;
    manager
        .create_table(
            Table::create()
                .table(LimitRows::Table)
                .if_not_exists()
                .col(pk_uuid(LimitRows::Id))
                .col(uuid(LimitRows::TableId))
                .col(integer(LimitRows::Position))
                .col(string_len(LimitRows::Class, 4))
                .col(double_null(LimitRows::PowerMinKw))
                .col(double_null(LimitRows::PowerMaxKw))
                .col(double(LimitRows::KLimit))
                .col(integer(LimitRows::RingelmannMax))
                .foreign_key(&mut fk((LimitRows::Table, LimitRows::TableId), (LimitTables::Table, LimitTables::Id)))
                .to_owned(),
        )
        .await?;
    manager
        .create_index(index(
            "idx_limit_rows_table",
            LimitRows::Table,
            vec![LimitRows::TableId.into_iden(), LimitRows::Position.into_iden()],
        ))
        .await?;

    let seeded_at = chrono::DateTime::<chrono::Utc>::from_timestamp(1_543_593_600, 0).unwrap_or_default();
    let effective = chrono::NaiveDate::from_ymd_opt(2018, 12, 1).ok_or_else(|| DbErr::Custom("seed date".into()))?;
    let table_id = uuid_of(SEED_TABLE_ID)?;
    let insert = Query::insert()
        .into_table(LimitTables::Table)
        .columns([
            LimitTables::Id,
            LimitTables::Version,
            LimitTables::EffectiveFrom,
            LimitTables::Notes,
            LimitTables::CreatedAt,
        ])
        .values([
            table_id.into(),
            "GB36886-2018".into(),
            effective.into(),
            Some("GB 36886-2018《非道路柴油移动机械排气烟度限值及测量方法》，按常见引用整理（待与正式文本核对）")
                .into(),
            seeded_at.into(),
        ])
        .map_err(|e| DbErr::Custom(e.to_string()))?
        .on_conflict(OnConflict::column(LimitTables::Id).do_nothing().to_owned())
        .to_owned();
    manager.exec_stmt(insert).await?;
    for (i, (class, min, max, k)) in GB36886_2018.iter().enumerate() {
        // Fixed ids keep the seed idempotent.
        let id = uuid_of(&format!("00000000-0000-7000-8000-0000368860{i:02}"))?;
        let insert = Query::insert()
            .into_table(LimitRows::Table)
            .columns([
                LimitRows::Id,
                LimitRows::TableId,
                LimitRows::Position,
                LimitRows::Class,
                LimitRows::PowerMinKw,
                LimitRows::PowerMaxKw,
                LimitRows::KLimit,
                LimitRows::RingelmannMax,
            ])
            .values([
                id.into(),
                table_id.into(),
                (i as i32 + 1).into(),
                (*class).into(),
                (*min).into(),
                (*max).into(),
                (*k).into(),
                1i32.into(),
            ])
            .map_err(|e| DbErr::Custom(e.to_string()))?
            .on_conflict(OnConflict::column(LimitRows::Id).do_nothing().to_owned())
            .to_owned();
        manager.exec_stmt(insert).await?;
    }
    Ok(())
}

async fn create_inspections(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    manager
        .create_table(
            Table::create()
                .table(Inspections::Table)
                .if_not_exists()
                .col(pk_uuid(Inspections::Id))
                .col(string_len(Inspections::CountyCode, 6))
                .col(uuid(Inspections::SiteId))
                .col(uuid(Inspections::SiteOrganizationId))
                .col(uuid_null(Inspections::MachineId))
                .col(uuid_null(Inspections::OrganizationId))
                .col(text_null(Inspections::UnregisteredDescription))
                .col(string_len(Inspections::EmissionStage, 16))
                .col(string_len(Inspections::FuelType, 16))
                .col(double(Inspections::RatedPowerKw))
                .col(uuid(Inspections::InspectorId))
                .col(timestamp_with_time_zone(Inspections::InspectedAt))
                .col(double_null(Inspections::Lat))
                .col(double_null(Inspections::Lng))
                .col(text(Inspections::OpacityReadings))
                .col(integer_null(Inspections::RingelmannLevel))
                .col(double_null(Inspections::MeanK))
                .col(string_len_null(Inspections::LimitClass, 4))
                .col(double_null(Inspections::LimitK))
                .col(string_len(Inspections::LimitTableVersion, 40))
                .col(string_len(Inspections::Verdict, 8))
                .col(text(Inspections::Reasons))
                .col(boolean(Inspections::LowEmissionZone).default(false))
                .col(boolean_null(Inspections::LabelPresent))
                .col(text_null(Inspections::Notes))
                .col(uuid_null(Inspections::CaseId))
                .col(timestamp_with_time_zone(Inspections::CreatedAt))
                .foreign_key(&mut fk(
                    (Inspections::Table, Inspections::CountyCode),
                    (Divisions::Table, Divisions::Code),
                ))
                .foreign_key(&mut fk((Inspections::Table, Inspections::SiteId), (Sites::Table, Sites::Id)))
                .foreign_key(&mut fk((Inspections::Table, Inspections::MachineId), (Machines::Table, Machines::Id)))
                .foreign_key(&mut fk((Inspections::Table, Inspections::InspectorId), (Users::Table, Users::Id)))
                .to_owned(),
        )
        .await?;
    let i = |c: Inspections| c.into_iden();
    for (name, cols) in [
        ("idx_inspections_county", vec![i(Inspections::CountyCode), i(Inspections::Id)]),
        ("idx_inspections_machine", vec![i(Inspections::MachineId), i(Inspections::InspectedAt)]),
        ("idx_inspections_site", vec![i(Inspections::SiteId), i(Inspections::Id)]),
        ("idx_inspections_org", vec![i(Inspections::OrganizationId), i(Inspections::Id)]),
        ("idx_inspections_site_org", vec![i(Inspections::SiteOrganizationId), i(Inspections::Id)]),
        ("idx_inspections_case", vec![i(Inspections::CaseId)]),
    ] {
        manager.create_index(index(name, Inspections::Table, cols)).await?;
    }
    manager
        .create_table(
            Table::create()
                .table(InspectionNotes::Table)
                .if_not_exists()
                .col(pk_uuid(InspectionNotes::Id))
                .col(uuid(InspectionNotes::InspectionId))
                .col(uuid(InspectionNotes::AuthorId))
                .col(text(InspectionNotes::Body))
                .col(timestamp_with_time_zone(InspectionNotes::CreatedAt))
                .foreign_key(&mut fk(
                    (InspectionNotes::Table, InspectionNotes::InspectionId),
                    (Inspections::Table, Inspections::Id),
                ))
                .foreign_key(&mut fk((InspectionNotes::Table, InspectionNotes::AuthorId), (Users::Table, Users::Id)))
                .to_owned(),
        )
        .await?;
    manager
        .create_index(index(
            "idx_inspection_notes",
            InspectionNotes::Table,
            vec![InspectionNotes::InspectionId.into_iden(), InspectionNotes::CreatedAt.into_iden()],
        ))
        .await?;
    Ok(())
}

async fn create_cases(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    manager
        .create_table(
            Table::create()
                .table(Cases::Table)
                .if_not_exists()
                .col(pk_uuid(Cases::Id))
                .col(string_len(Cases::CountyCode, 6))
                .col(string_len(Cases::Kind, 32))
                .col(string_len(Cases::State, 32))
                .col(uuid_null(Cases::MachineId))
                .col(uuid_null(Cases::OrganizationId))
                .col(uuid(Cases::SiteOrganizationId))
                .col(uuid(Cases::SiteId))
                .col(uuid(Cases::InspectionId))
                .col(date_null(Cases::DeadlineOn))
                .col(big_integer_null(Cases::PenaltyYuan))
                .col(string_len_null(Cases::LegalBasis, 200))
                .col(timestamp_with_time_zone(Cases::OpenedAt))
                .col(timestamp_with_time_zone_null(Cases::ClosedAt))
                .col(integer(Cases::Version).default(1))
                .col(timestamp_with_time_zone(Cases::UpdatedAt))
                .foreign_key(&mut fk((Cases::Table, Cases::CountyCode), (Divisions::Table, Divisions::Code)))
                .foreign_key(&mut fk((Cases::Table, Cases::MachineId), (Machines::Table, Machines::Id)))
                .foreign_key(&mut fk((Cases::Table, Cases::SiteId), (Sites::Table, Sites::Id)))
                .foreign_key(&mut fk((Cases::Table, Cases::InspectionId), (Inspections::Table, Inspections::Id)))
                .to_owned(),
        )
        .await?;
    let c = |c: Cases| c.into_iden();
    for (name, cols) in [
        ("idx_cases_county_state", vec![c(Cases::CountyCode), c(Cases::State), c(Cases::Id)]),
        ("idx_cases_machine_state", vec![c(Cases::MachineId), c(Cases::State)]),
        ("idx_cases_org", vec![c(Cases::OrganizationId), c(Cases::Id)]),
        ("idx_cases_site_org", vec![c(Cases::SiteOrganizationId), c(Cases::Id)]),
        ("idx_cases_inspection", vec![c(Cases::InspectionId)]),
        ("idx_cases_state_deadline", vec![c(Cases::State), c(Cases::DeadlineOn)]),
    ] {
        manager.create_index(index(name, Cases::Table, cols)).await?;
    }
    manager
        .create_table(
            Table::create()
                .table(CaseEvents::Table)
                .if_not_exists()
                .col(pk_uuid(CaseEvents::Id))
                .col(uuid(CaseEvents::CaseId))
                .col(string_len_null(CaseEvents::FromState, 32))
                .col(string_len(CaseEvents::ToState, 32))
                .col(string_len(CaseEvents::Action, 32))
                .col(text_null(CaseEvents::Note))
                .col(uuid(CaseEvents::ActorId))
                .col(timestamp_with_time_zone(CaseEvents::At))
                .col(date_null(CaseEvents::DeadlineOn))
                .col(big_integer_null(CaseEvents::PenaltyYuan))
                .col(string_len_null(CaseEvents::LegalBasis, 200))
                .col(uuid_null(CaseEvents::InspectionId))
                .foreign_key(&mut fk((CaseEvents::Table, CaseEvents::CaseId), (Cases::Table, Cases::Id)))
                .foreign_key(&mut fk((CaseEvents::Table, CaseEvents::ActorId), (Users::Table, Users::Id)))
                .to_owned(),
        )
        .await?;
    manager
        .create_index(index(
            "idx_case_events_case",
            CaseEvents::Table,
            vec![CaseEvents::CaseId.into_iden(), CaseEvents::At.into_iden()],
        ))
        .await?;
    manager
        .create_table(
            Table::create()
                .table(CaseNotes::Table)
                .if_not_exists()
                .col(pk_uuid(CaseNotes::Id))
                .col(uuid(CaseNotes::CaseId))
                .col(uuid(CaseNotes::AuthorId))
                .col(text(CaseNotes::Body))
                .col(timestamp_with_time_zone(CaseNotes::CreatedAt))
                .foreign_key(&mut fk((CaseNotes::Table, CaseNotes::CaseId), (Cases::Table, Cases::Id)))
                .foreign_key(&mut fk((CaseNotes::Table, CaseNotes::AuthorId), (Users::Table, Users::Id)))
                .to_owned(),
        )
        .await?;
    manager
        .create_index(index(
            "idx_case_notes",
            CaseNotes::Table,
            vec![CaseNotes::CaseId.into_iden(), CaseNotes::CreatedAt.into_iden()],
        ))
        .await?;
    Ok(())
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        create_limit_tables(manager).await?;
        create_inspections(manager).await?;
        create_cases(manager).await
    }
}
