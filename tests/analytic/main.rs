//! Analytic cases: small scenarios (tests/scenarios/) whose outlays, budget settlements and
//! district outcomes have closed forms, checked within Monte Carlo error (4σ) or exactly
//! where the model is deterministic.
//!
//! One test binary, a module per part of the model.

#[path = "../common/mod.rs"]
mod common;

mod budget;
mod districts;
mod firms;
mod instruments;
mod outputs;
