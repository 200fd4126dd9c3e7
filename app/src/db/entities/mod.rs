//! sea-orm entities: the rows as stored. They never reach the browser; each capability maps
//! them to its own DTOs.

pub mod amendment;
pub mod api_token;
pub mod audit_log;
pub mod case;
pub mod case_event;
pub mod case_note;
pub mod division;
pub mod evidence_photo;
pub mod filing;
pub mod filing_machine;
pub mod inspection;
pub mod inspection_note;
pub mod limit_row;
pub mod limit_table;
pub mod login_throttle;
pub mod low_emission_zone;
pub mod machine;
pub mod machine_movement;
pub mod machine_photo;
pub mod machine_transfer;
pub mod machine_type;
pub mod notification;
pub mod organization;
pub mod plan_weight;
pub mod public_report;
pub mod registration_counter;
pub mod report_photo;
pub mod request_id;
pub mod route_stop;
pub mod session;
pub mod site;
pub mod site_certificate;
pub mod transfer_permission;
pub mod user;
pub mod watch_entry;
