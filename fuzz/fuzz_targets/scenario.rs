//! Structure-aware target: a scenario built from arbitrary values (extremes included),
//! written as TOML, loaded, and when accepted run for one replication.
//! `FUZZ_SHOW_SCENARIO=1` prints the scenario file of each input (to triage a crash).
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use policysim_fuzz::description::ScenarioDescription;
use policysim_fuzz::{outcome, render};

fn show() -> bool {
    static SHOW: OnceLock<bool> = OnceLock::new();
    *SHOW.get_or_init(|| std::env::var_os("FUZZ_SHOW_SCENARIO").is_some())
}

fuzz_target!(|description: ScenarioDescription| {
    let text = render::scenario_toml(&description);
    if show() {
        eprintln!("{text}");
    }
    match outcome::load(text.as_bytes()) {
        Err(e) => outcome::check_refusal(&e),
        Ok(loaded) => outcome::run_and_check(&loaded, 1),
    }
});
