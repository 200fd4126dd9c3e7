//! One machine per identifier across every organisation: the identifiers that must be unique,
//! what the registry holds of them for a batch about to be stored ([`RegistryView`], the one
//! rule), and the conflict answered when a concurrent write took one first.

use super::MachineInput;
use crate::db::entities::{machine, machine_type};
use crate::error::{AppError, ConflictCode, FieldCode, FieldError, FieldErrors};
use crate::service_error::{ServiceError, ServiceResult};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use std::collections::{BTreeMap, HashMap};
use uuid::Uuid;

/// The identifiers that are unique across every organisation: field and value.
pub fn identifiers(input: &MachineInput) -> [(&'static str, Option<&String>); 3] {
    [
        ("pin", input.pin.as_ref()),
        ("env_code", input.env_code.as_ref()),
        ("engine_serial", input.engine_serial.as_ref()),
    ]
}

/// The columns of [`identifiers`], in the same order.
const IDENTIFIER_COLUMNS: [machine::Column; 3] =
    [machine::Column::Pin, machine::Column::EnvCode, machine::Column::EngineSerial];

/// Values per `IN (...)` query: far below SQLite's and PostgreSQL's parameter limits.
const IN_CHUNK: usize = 1_000;

/// What the registry holds for a set of machines about to be stored: whether their types are
/// active, and every stored machine carrying one of their identifiers. Loaded with one query
/// per kind of value (per chunk of [`IN_CHUNK`] values), so checking one machine or five
/// thousand costs a handful of round trips; [`RegistryView::check`] is the one rule.
#[derive(Debug, Default)]
pub struct RegistryView {
    active_types: HashMap<String, bool>,
    /// For pin, env_code, engine_serial (the order of [`identifiers`]): value → machine id.
    by_value: [HashMap<String, Uuid>; 3],
    machines: HashMap<Uuid, machine::Model>,
}

impl RegistryView {
    /// Loads what the registry knows about `inputs`.
    pub async fn load<'a>(
        db: &impl ConnectionTrait,
        inputs: impl IntoIterator<Item = &'a MachineInput>,
    ) -> ServiceResult<Self> {
        let mut types = std::collections::BTreeSet::new();
        let mut values: [std::collections::BTreeSet<String>; 3] = Default::default();
        for input in inputs {
            if !input.machine_type.is_empty() {
                types.insert(input.machine_type.clone());
            }
            for (i, (_, value)) in identifiers(input).into_iter().enumerate() {
                if let Some(v) = value {
                    values[i].insert(v.clone());
                }
            }
        }
        let mut view = RegistryView::default();
        let types: Vec<String> = types.into_iter().collect();
        for chunk in types.chunks(IN_CHUNK) {
            let rows = machine_type::Entity::find()
                .filter(machine_type::Column::Code.is_in(chunk.iter().cloned()))
                .all(db)
                .await?;
            view.active_types.extend(rows.into_iter().map(|t| (t.code, t.is_active)));
        }
        for (i, col) in IDENTIFIER_COLUMNS.into_iter().enumerate() {
            let wanted: Vec<String> = std::mem::take(&mut values[i]).into_iter().collect();
            for chunk in wanted.chunks(IN_CHUNK) {
                let rows = machine::Entity::find().filter(col.is_in(chunk.iter().cloned())).all(db).await?;
                for m in rows {
                    view.remember(m);
                }
            }
        }
        Ok(view)
    }

    fn remember(&mut self, m: machine::Model) {
        let values = [m.pin.clone(), m.env_code.clone(), m.engine_serial.clone()];
        for (i, v) in values.into_iter().enumerate() {
            if let Some(v) = v {
                self.by_value[i].insert(v, m.id);
            }
        }
        self.machines.insert(m.id, m);
    }

    /// The registry rules for one machine: an active type (or, for `except`, the machine being
    /// edited, the type it already has, even if deactivated since), and identifiers no other
    /// machine (other than `except`) carries.
    pub fn check(&self, input: &MachineInput, except: Option<Uuid>, errors: &mut FieldErrors) {
        let kept = except.and_then(|id| self.machines.get(&id)).is_some_and(|m| m.machine_type == input.machine_type);
        if !input.machine_type.is_empty()
            && !kept
            && !self.active_types.get(&input.machine_type).copied().unwrap_or(false)
        {
            errors.add("machine_type", FieldError::new(FieldCode::UnknownMachineType));
        }
        for (field, holder) in self.holders(input) {
            if Some(holder.id) != except {
                errors.add(field, FieldError::new(FieldCode::AlreadyRegistered));
            }
        }
    }

    /// The stored machines that carry an identifier of `input`, by field.
    pub fn holders(&self, input: &MachineInput) -> Vec<(&'static str, &machine::Model)> {
        identifiers(input)
            .into_iter()
            .enumerate()
            .filter_map(|(i, (field, value))| {
                let id = self.by_value[i].get(value?)?;
                Some((field, self.machines.get(id)?))
            })
            .collect()
    }
}

/// Checks a machine against every rule that needs the database: the type list and the
/// uniqueness of its identifiers (other than `except`, the machine being edited).
pub async fn check_against_registry(
    db: &impl ConnectionTrait,
    input: &MachineInput,
    except: Option<Uuid>,
    errors: &mut FieldErrors,
) -> ServiceResult<()> {
    RegistryView::load(db, [input]).await?.check(input, except, errors);
    Ok(())
}

/// The error for identifiers that are taken: 409 naming the fields.
fn duplicate(errors: FieldErrors) -> ServiceError {
    AppError::Conflict { code: ConflictCode::DuplicateIdentifier, fields: errors, params: BTreeMap::new() }.into()
}

/// Splits field errors into "taken identifiers" (409) and the rest (422).
pub fn raise(errors: FieldErrors) -> ServiceResult<()> {
    if errors.is_empty() {
        return Ok(());
    }
    let only_duplicates = errors.0.values().flatten().all(|e| e.code == FieldCode::AlreadyRegistered);
    if only_duplicates { Err(duplicate(errors)) } else { Err(AppError::Validation { fields: errors }.into()) }
}

/// After a unique-constraint violation (a concurrent insert won): say which field.
pub async fn duplicate_after_violation(
    db: &impl ConnectionTrait,
    input: &MachineInput,
    except: Option<Uuid>,
) -> ServiceError {
    let mut errors = FieldErrors::new();
    match check_against_registry(db, input, except, &mut errors).await {
        Ok(()) if !errors.is_empty() => duplicate(errors),
        Ok(()) => ServiceError::internal("unique violation without a duplicate"),
        Err(e) => e,
    }
}
