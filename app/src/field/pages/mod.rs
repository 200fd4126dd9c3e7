//! The field pages: the look-up (with the QR scanner) and recording an inspection.

pub mod inspect;
pub mod lookup;
pub mod outbox;
pub mod scanner;
