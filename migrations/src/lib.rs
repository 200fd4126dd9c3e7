//! The schema of NRMM Registry, written once with sea-orm's backend-neutral builders so the same
//! migrations run on SQLite and PostgreSQL. Every migration is idempotent (`IF NOT EXISTS`, and
//! reference data inserted only when absent) and the server applies pending ones at start.

pub use sea_orm_migration::prelude::*;

mod m20261128_000001_create_divisions;
mod m20261128_000002_create_accounts;
mod m20261128_000003_create_registry;
mod m20261128_000004_create_zones;
mod m20261129_000001_create_limits_inspections_cases;
mod m20261201_000001_evidence_photos;
mod m20261201_000010_exports_filing_machine_index;
mod m20261201_000021_audit_log;
mod m20261201_000031_public_notifications;
mod m20261201_000041_stats_add_indexes;
mod m20261206_000010_create_amendments;
mod m20261206_000020_create_machine_transfers;
mod m20261206_000030_add_division_bounds;
mod m20261206_000031_add_site_zone_decisions;
mod m20261206_000032_limit_tables_by_division;
mod m20261206_000040_accounts_disabled_by;
mod m20261206_000050_login_throttle;
mod m20261206_000051_token_expiry;
mod m20261206_000060_decider_references;
mod m20261206_000070_request_ids;
mod m20261207_000080_create_watch_entries;
mod m20261207_000090_create_inspection_plan;
mod m20261207_000100_create_site_certificates;
mod m20261207_000110_create_public_reports;
mod m20261207_000120_drop_duplicate_filing_machine_index;

/// All migrations, oldest first.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261128_000001_create_divisions::Migration),
            Box::new(m20261128_000002_create_accounts::Migration),
            Box::new(m20261128_000003_create_registry::Migration),
            Box::new(m20261128_000004_create_zones::Migration),
            Box::new(m20261129_000001_create_limits_inspections_cases::Migration),
            Box::new(m20261201_000001_evidence_photos::Migration),
            Box::new(m20261201_000031_public_notifications::Migration),
            Box::new(m20261201_000021_audit_log::Migration),
            Box::new(m20261201_000010_exports_filing_machine_index::Migration),
            Box::new(m20261201_000041_stats_add_indexes::Migration),
            Box::new(m20261206_000020_create_machine_transfers::Migration),
            Box::new(m20261206_000030_add_division_bounds::Migration),
            Box::new(m20261206_000031_add_site_zone_decisions::Migration),
            Box::new(m20261206_000032_limit_tables_by_division::Migration),
            Box::new(m20261206_000050_login_throttle::Migration),
            Box::new(m20261206_000051_token_expiry::Migration),
            Box::new(m20261206_000010_create_amendments::Migration),
            Box::new(m20261206_000040_accounts_disabled_by::Migration),
            Box::new(m20261206_000060_decider_references::Migration),
            Box::new(m20261206_000070_request_ids::Migration),
            Box::new(m20261207_000080_create_watch_entries::Migration),
            Box::new(m20261207_000090_create_inspection_plan::Migration),
            Box::new(m20261207_000100_create_site_certificates::Migration),
            Box::new(m20261207_000110_create_public_reports::Migration),
            Box::new(m20261207_000120_drop_duplicate_filing_machine_index::Migration),
        ]
    }
}

/// Reference data: Shanxi's province, cities and counties (public statistical codes).
pub const SHANXI_DIVISIONS_CSV: &str = include_str!("../data/shanxi-divisions.csv");

/// One row of a divisions CSV (`code,name,level,parent_code`).
#[derive(Debug, Clone, serde::Deserialize)]
pub struct DivisionRow {
    pub code: String,
    pub name: String,
    pub level: String,
    pub parent_code: Option<String>,
}

/// Parses a divisions CSV with the header `code,name,level,parent_code`.
pub fn parse_divisions_csv(text: &str) -> Result<Vec<DivisionRow>, DbErr> {
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let mut rows = Vec::new();
    for row in reader.deserialize::<DivisionRow>() {
        let mut row = row.map_err(|e| DbErr::Custom(format!("divisions CSV: {e}")))?;
        row.parent_code = row.parent_code.filter(|p| !p.trim().is_empty());
        rows.push(row);
    }
    Ok(rows)
}
