//! Construction units (施工单位): sign-up, the credit-code rule, staff.

mod uscc;

pub use uscc::{ALPHABET as USCC_ALPHABET, Uscc, UsccError};
