//! `evidence_photos`: photos added to an inspection or a case (original and web copy in storage).
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "evidence_photos")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub subject_kind: crate::evidence::SubjectKind,
    pub subject_id: Uuid,
    pub note: Option<String>,
    pub content_type: String,
    pub original_key: String,
    pub web_key: String,
    pub size_bytes: i64,
    pub width: i32,
    pub height: i32,
    pub uploaded_by: Uuid,
    pub uploader_role: crate::auth::Role,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
