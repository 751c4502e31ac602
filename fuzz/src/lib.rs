//! Fuzzing policysim's scenario reader and engine (issue 11): `fuzz_targets/scenario.rs`
//! builds scenarios from structured values, `fuzz_targets/loader.rs` feeds the reader raw
//! bytes. Both check the invariants in `outcome`. See README.md beside this file.

pub mod description;
pub mod outcome;
pub mod render;
pub mod value;
