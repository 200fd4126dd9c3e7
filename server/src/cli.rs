//! The command line: `serve` (default), `migrate`, `create-user`, `seed-demo`, `sweep-deadlines`,
//! `backup`.

use crate::Config;
use anyhow::{Context, Result, bail};
use app::auth::Role;
use app::auth::service::{NewUser, create_user};
use clap::{Parser, Subcommand};
use secrecy::ExposeSecret;
use std::io::BufRead;
use std::path::PathBuf;
use uuid::Uuid;

/// NRMM Registry (非道路移动机械登记备案平台) server.
#[derive(Debug, Parser)]
#[command(name = "nrmm", version, about)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// What to do.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Apply pending migrations and serve (the default).
    Serve,
    /// Apply pending migrations and exit.
    Migrate,
    /// Create a user; the password is read from the first line of standard input.
    CreateUser {
        #[arg(long)]
        username: String,
        /// One of: contractor_admin, contractor_staff, county_inspector, city_officer,
        /// province_officer, partner_viewer, sysadmin.
        #[arg(long)]
        role: String,
        /// The division code (officials).
        #[arg(long)]
        division: Option<String>,
        /// The organisation id (contractor staff).
        #[arg(long)]
        organization: Option<Uuid>,
        /// The name shown in the interface (default: the user name).
        #[arg(long)]
        display_name: Option<String>,
        /// Read the password from standard input (required: passwords never go on the command line).
        #[arg(long)]
        password_stdin: bool,
    },
    /// Load the demo data (idempotent) and print the demo accounts.
    SeedDemo,
    /// Send the case-deadline notifications due now (the server also does this periodically).
    SweepDeadlines,
    /// Generate a synthetic fleet for load tests: UNITS construction units, each with a site
    /// (in the given counties, in turn), N machines shared out among them and their filings
    /// (submitted to the counties): with COPY on PostgreSQL, batched multi-row inserts on SQLite.
    Generate {
        #[arg(long)]
        machines: usize,
        /// How many construction units (each with its own site and share of the machines).
        #[arg(long, default_value_t = 1)]
        units: usize,
        /// The counties the sites lie in (county codes, comma-separated; taken in turn).
        #[arg(long, default_value = "140105", value_delimiter = ',')]
        county: Vec<String>,
        /// Accept the filings and give every machine a registration code (for look-up benchmarks).
        #[arg(long)]
        registered: bool,
    },
    /// Write a consistent copy of the SQLite database to PATH while the server may be running.
    Backup {
        #[arg(long = "to")]
        to: PathBuf,
    },
}

/// Parses the command line and runs it.
pub async fn run() -> Result<()> {
    let cli = Cli::parse();
    let config = Config::from_env()?;
    init_tracing(&config.log);
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve(config).await,
        Command::Migrate => {
            crate::connect_and_migrate(&config).await?;
            println!("migrations applied");
            Ok(())
        }
        Command::CreateUser { username, role, division, organization, display_name, password_stdin } => {
            if !password_stdin {
                bail!("pass --password-stdin and give the password on standard input");
            }
            let role = Role::parse(&role).with_context(|| format!("unknown role {role}"))?;
            let mut password = String::new();
            std::io::stdin().lock().read_line(&mut password).context("reading the password")?;
            let password = password.trim_end_matches(['\r', '\n']).to_owned();
            let application = crate::build_app(&config).await?;
            let new = NewUser {
                username,
                password,
                role,
                display_name,
                organization_id: organization,
                division_code: division,
                phone: None,
            };
            let after = serde_json::json!({
                "username": new.username, "role": new.role, "division_code": new.division_code,
                "organization_id": new.organization_id, "source": "command_line",
            });
            let county = new.division_code.clone();
            match create_user(&application.state, new).await {
                Ok(id) => {
                    let state = &application.state;
                    let e = app::audit::entry(app::audit::Action::Create, app::audit::EntityKind::Account)
                        .id(id)
                        .county(county.as_deref())
                        .after(&after);
                    app::audit::record(&state.db, state.clock.now(), e).await.map_err(|e| anyhow::anyhow!("{e}"))?;
                    println!("created user {id}");
                    Ok(())
                }
                Err(app::service_error::ServiceError::Client(app::error::AppError::Validation { fields })) => {
                    for (field, errs) in &fields.0 {
                        for e in errs {
                            eprintln!("{field}: {}", app::ui::messages::field_message(app::i18n::Locale::en, e));
                        }
                    }
                    bail!("the user was not created")
                }
                Err(e) => Err(anyhow::anyhow!("{e}")),
            }
        }
        Command::SeedDemo => {
            // Thousands of small transactions: none waits for a disk flush of its own. Demo data
            // is nobody's record; the database stays consistent even if the machine stops.
            let db = crate::connect_for_load(&config).await?;
            let application = crate::build_app_with(&config, db, app::state::Clock::system());
            let started = std::time::Instant::now();
            let accounts = crate::seed::demo(&application.state).await?;
            crate::seed::taiyuan(&application.state).await?;
            println!("demo data loaded in {:.1} s", started.elapsed().as_secs_f64());
            print_accounts(&config, &accounts);
            Ok(())
        }
        Command::SweepDeadlines => {
            let application = crate::build_app(&config).await?;
            let state = &application.state;
            let report = app::notifications::service::sweep_deadlines(state, state.clock.now())
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            println!(
                "deadline sweep: {} near, {} overdue, {} notifications created",
                report.near, report.overdue, report.created
            );
            Ok(())
        }
        Command::Backup { to } => backup(&config, &to).await,
        Command::Generate { machines, units, county, registered } => {
            let application = crate::build_app(&config).await?;
            let started = std::time::Instant::now();
            let units =
                crate::generate::generate_units(&application.state, units, machines, &county, registered).await?;
            println!(
                "generated {} machines in {} filings for {} construction units and sites in {:.1} s",
                units.iter().map(|g| g.machines).sum::<usize>(),
                units.iter().map(|g| g.filings).sum::<usize>(),
                units.len(),
                started.elapsed().as_secs_f64()
            );
            Ok(())
        }
    }
}

fn init_tracing(level: &str) {
    let filter =
        tracing_subscriber::EnvFilter::try_new(level).unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt().with_env_filter(filter).with_target(false).try_init();
}

async fn serve(config: Config) -> Result<()> {
    let started = std::time::Instant::now();
    let application = crate::build_app(&config).await?;
    let listener =
        tokio::net::TcpListener::bind(config.listen).await.with_context(|| format!("binding {}", config.listen))?;
    tracing::info!(url = %config.public_url, listen = %config.listen, ready_ms = started.elapsed().as_millis() as u64, "NRMM Registry is ready");
    crate::serve(listener, application, crate::shutdown_signal()).await
}

fn print_accounts(config: &Config, accounts: &[crate::seed::DemoAccount]) {
    println!();
    println!("NRMM Registry demo data is loaded. Open {}", config.public_url);
    println!("Demo accounts (password for all: {}):", crate::seed::DEMO_PASSWORD);
    for a in accounts {
        println!("  {:<22} {:<18} {}", a.username, a.role.as_str(), a.note);
    }
    println!();
}

/// Writes a consistent copy of the SQLite database to `to` (refuses PostgreSQL and existing files).
pub async fn backup(config: &Config, to: &std::path::Path) -> Result<()> {
    if !config.is_sqlite() {
        bail!(
            "the database is PostgreSQL: back it up with pg_dump, e.g. `pg_dump --format=custom --file=nrmm.dump \"$DATABASE_URL\"`"
        );
    }
    if to.exists() {
        bail!("{} already exists; choose a new file", to.display());
    }
    let target = to.to_str().context("the backup path must be valid UTF-8")?;
    if target.contains('\'') {
        bail!("the backup path may not contain a quote");
    }
    let db = app::db::connect(config.database_url.expose_secret(), 1).await?;
    // VACUUM INTO writes a consistent snapshot while other connections keep reading and writing.
    use sea_orm::ConnectionTrait;
    db.execute_unprepared(&format!("VACUUM INTO '{target}'")).await.context("writing the backup")?;
    println!("backup written to {}", to.display());
    Ok(())
}
