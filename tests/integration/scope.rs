//! The scoping helper for every role, with the divisions the migration seeded, and the rules
//! about which division an account may be attached to.

use crate::db_tests;
use crate::helpers::TestApp;
use app::auth::service::{NewUser, create_user};
use app::auth::{Role, Scope};
use app::db::entities::division;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};

db_tests!(
    seeded_divisions_are_shanxi,
    counties_under_each_level,
    scope_of_every_role,
    scope_condition_filters_rows_in_the_database,
    accounts_must_sit_at_the_right_level,
);

async fn seeded_divisions_are_shanxi(app: TestApp) {
    let db = &app.state.db;
    let count = |level: &'static str| division::Entity::find().filter(division::Column::Level.eq(level)).count(db);
    assert_eq!(count("province").await.expect("count"), 1);
    assert_eq!(count("city").await.expect("count"), 11);
    assert_eq!(count("county").await.expect("count"), 117);
    let xiaodian = division::Entity::find_by_id("140105".to_owned()).one(db).await.expect("q").expect("小店区");
    assert_eq!(xiaodian.name, "小店区");
    assert_eq!(xiaodian.parent_code.as_deref(), Some("140100"));
    // Running the migrations again changes nothing.
    use migrations::MigratorTrait;
    migrations::Migrator::up(db, None).await.expect("re-run");
    assert_eq!(division::Entity::find().count(db).await.expect("count"), 129);
}

async fn counties_under_each_level(app: TestApp) {
    use app::divisions::service::counties_under;
    let db = &app.state.db;
    assert_eq!(counties_under(db, "140105").await.expect("q"), vec!["140105"]);
    let taiyuan = counties_under(db, "140100").await.expect("q");
    assert_eq!(taiyuan.len(), 10, "{taiyuan:?}");
    assert!(taiyuan.iter().all(|c| c.starts_with("1401")));
    assert!(taiyuan.contains(&"140121".to_owned()) && taiyuan.contains(&"140181".to_owned()));
    let shanxi = counties_under(db, "140000").await.expect("q");
    assert_eq!(shanxi.len(), 117);
    assert!(counties_under(db, "999999").await.expect("q").is_empty());
}

async fn scope_of_every_role(app: TestApp) {
    let db = &app.state.db;
    let org = app.organization("甲公司").await;
    let cases: Vec<(&str, Role, Option<&str>, Option<uuid::Uuid>)> = vec![
        ("inspector", Role::CountyInspector, Some("140105"), None),
        ("city", Role::CityOfficer, Some("140100"), None),
        ("province", Role::ProvinceOfficer, Some("140000"), None),
        ("partner.county", Role::PartnerViewer, Some("140121"), None),
        ("partner.city", Role::PartnerViewer, Some("140200"), None),
        ("builder.admin", Role::ContractorAdmin, None, Some(org)),
        ("builder.staff", Role::ContractorStaff, None, Some(org)),
        ("root", Role::Sysadmin, None, None),
    ];
    let mut scopes = std::collections::HashMap::new();
    for (name, role, division, o) in cases {
        let id = app.user(name, role, division, o).await;
        let p = crate::helpers::principal_of(&app, id).await;
        scopes.insert(name, Scope::resolve(db, &p).await.expect("scope"));
    }
    assert_eq!(scopes["inspector"], Scope::Counties(vec!["140105".into()]));
    let Scope::Counties(city) = &scopes["city"] else { panic!("city scope") };
    assert_eq!(city.len(), 10);
    assert!(scopes["city"].allows_county("140121") && !scopes["city"].allows_county("140202"));
    let Scope::Counties(province) = &scopes["province"] else { panic!("province scope") };
    assert_eq!(province.len(), 117);
    assert!(scopes["province"].allows_county("141181"));
    assert_eq!(scopes["partner.county"], Scope::Counties(vec!["140121".into()]));
    assert!(scopes["partner.city"].allows_county("140213") && !scopes["partner.city"].allows_county("140105"));
    assert_eq!(scopes["builder.admin"], Scope::Organization(org));
    assert_eq!(scopes["builder.staff"], Scope::Organization(org));
    assert!(!scopes["builder.admin"].allows_county("140105"));
    assert!(!scopes["builder.admin"].allows(Some("140105"), Some(uuid::Uuid::new_v4())));
    assert_eq!(scopes["root"], Scope::All);
    // An inspector never sees another county's record; a contractor never another's.
    assert!(!scopes["inspector"].allows(Some("140121"), Some(org)));
    assert!(scopes["builder.staff"].allows(Some("140121"), Some(org)));
}

async fn scope_condition_filters_rows_in_the_database(app: TestApp) {
    let db = &app.state.db;
    let count_for = |scope: Scope| async move {
        division::Entity::find()
            .filter(division::Column::Level.eq("county"))
            .filter(scope.condition(Some(division::Column::Code), None))
            .count(db)
            .await
            .expect("count")
    };
    assert_eq!(count_for(Scope::Counties(vec!["140105".into(), "140121".into()])).await, 2);
    assert_eq!(count_for(Scope::All).await, 117);
    assert_eq!(count_for(Scope::Nothing).await, 0);
    // An organisation scope on a table without an owner column sees nothing.
    assert_eq!(count_for(Scope::Organization(uuid::Uuid::new_v4())).await, 0);
}

async fn accounts_must_sit_at_the_right_level(app: TestApp) {
    let try_create = |username: &'static str, role: Role, division: Option<&'static str>, org: Option<uuid::Uuid>| {
        let state = app.state.clone();
        async move {
            create_user(
                &state,
                NewUser {
                    username: username.into(),
                    password: crate::helpers::PASSWORD.into(),
                    role,
                    display_name: None,
                    organization_id: org,
                    division_code: division.map(str::to_owned),
                    phone: None,
                },
            )
            .await
        }
    };
    let field_code = |r: Result<uuid::Uuid, app::service_error::ServiceError>, field: &str| -> String {
        match r {
            Err(app::service_error::ServiceError::Client(app::error::AppError::Validation { fields })) => {
                fields.first(field).map(|e| e.code.as_str().to_owned()).unwrap_or_default()
            }
            other => panic!("expected a validation error, got {other:?}"),
        }
    };
    assert_eq!(
        field_code(try_create("a.inspector", Role::CountyInspector, Some("140100"), None).await, "division_code"),
        "wrong_division_level"
    );
    assert_eq!(
        field_code(try_create("a.city", Role::CityOfficer, Some("140105"), None).await, "division_code"),
        "wrong_division_level"
    );
    assert_eq!(field_code(try_create("a.prov", Role::ProvinceOfficer, None, None).await, "division_code"), "required");
    assert_eq!(
        field_code(try_create("a.partner", Role::PartnerViewer, Some("000000"), None).await, "division_code"),
        "unknown_division"
    );
    assert_eq!(
        field_code(try_create("a.builder", Role::ContractorStaff, None, None).await, "organization_id"),
        "required"
    );
    assert_eq!(
        field_code(
            try_create("a.builder2", Role::ContractorAdmin, None, Some(uuid::Uuid::new_v4())).await,
            "organization_id"
        ),
        "unknown_organization"
    );
    assert_eq!(field_code(try_create("x", Role::Sysadmin, None, None).await, "username"), "username_length");
    try_create("dup.name", Role::Sysadmin, None, None).await.expect("first");
    assert_eq!(field_code(try_create("DUP.name", Role::Sysadmin, None, None).await, "username"), "username_taken");
}
