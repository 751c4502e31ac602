//! Byte-level target for the scenario reader: any bytes as a scenario file are read,
//! merged and validated, or refused with a located message; never a panic or a hang.
#![no_main]

use libfuzzer_sys::fuzz_target;
use policysim::engine::Model;
use policysim_fuzz::outcome;

fuzz_target!(|bytes: &[u8]| {
    match outcome::load(bytes) {
        Err(e) => outcome::check_refusal(&e),
        // The engine's per-run tables (metric layout, target sources) are built from
        // what the reader accepted, and assume it is consistent.
        Ok(loaded) => drop(Model::new(&loaded.scenario)),
    }
});
