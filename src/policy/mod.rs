//! How money is owed and paid: instrument kinds, eligibility, budget lines and overflow.

pub mod budget;
pub mod instrument;
