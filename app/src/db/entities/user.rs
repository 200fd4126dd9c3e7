//! `users`: every account, contractor or official.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "users")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    #[sea_orm(unique)]
    pub username: String,
    pub password_hash: String,
    pub role: crate::auth::Role,
    pub organization_id: Option<Uuid>,
    pub division_code: Option<String>,
    pub display_name: String,
    pub phone: Option<String>,
    pub is_active: bool,
    /// Bumped when a password is reset or the account disabled: older sessions stop working.
    pub session_epoch: i32,
    /// The account that disabled this one (while disabled).
    pub disabled_by: Option<Uuid>,
    /// That account's role when it disabled this one: the authority a re-enabling must match
    /// (`crate::auth::Role::may_undo_disabling`). Empty on a disabled account: unknown, the highest.
    pub disabled_by_role: Option<String>,
    /// When it was disabled (while disabled).
    pub disabled_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    /// The division an official works for (the account join reads its level and name).
    #[sea_orm(
        belongs_to = "super::division::Entity",
        from = "Column::DivisionCode",
        to = "super::division::Column::Code"
    )]
    Division,
}

impl ActiveModelBehavior for ActiveModel {}
