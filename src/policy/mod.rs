//! How money is owed and paid: instrument kinds, eligibility, claims, budget lines and
//! overflow, settlement.

pub mod budget;
pub mod claims;
pub mod due_order;
pub mod instrument;
pub mod settlement;
