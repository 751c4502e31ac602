//! Structure-aware target: a scenario built from arbitrary values (extremes included),
//! written as TOML, loaded, and when accepted run for one replication.
#![no_main]

use libfuzzer_sys::fuzz_target;
use policysim_fuzz::description::ScenarioDescription;
use policysim_fuzz::{outcome, render};

fuzz_target!(|description: ScenarioDescription| {
    let text = render::scenario_toml(&description);
    match outcome::load(text.as_bytes()) {
        Err(e) => outcome::check_refusal(&e),
        Ok(loaded) => outcome::run_and_check(&loaded, 1),
    }
});
