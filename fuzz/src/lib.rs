//! Fuzzing policysim's readers and engine (issue 11): `fuzz_targets/scenario.rs` builds
//! scenarios from structured values, `fuzz_targets/loader.rs` feeds the scenario reader
//! raw bytes, `fuzz_targets/actuals.rs` feeds the actuals reader a folder cut from raw
//! bytes (`actuals`). All check the invariants in `outcome`. See README.md beside this
//! file.

pub mod actuals;
pub mod description;
pub mod outcome;
pub mod render;
pub mod value;
