//! Phone-first pages for inspectors on a site: reading the QR label, looking a machine up, and
//! recording an inspection with the verdict computed as they type.

pub mod inspect;
pub mod lookup;
pub mod scanner;
