//! How often the structured target's scenarios are accepted, and the commonest reasons
//! for refusal: `cargo run --release --example acceptance [N]`. The fuzzer only exercises
//! the engine with accepted scenarios, so a generator that mostly writes refused files
//! fuzzes little but the reader. With `SHOW=k`, prints the k-th scenario; with `RUN=1`,
//! also runs the accepted ones as the target does (under `ulimit -v`: the extremes the
//! target is for can ask for gigabytes).

use std::collections::BTreeMap;

use libfuzzer_sys::arbitrary::{Arbitrary, Unstructured};
use policysim_fuzz::description::ScenarioDescription;
use policysim_fuzz::{outcome, render};

fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(2000);
    let show: Option<usize> = std::env::var("SHOW").ok().and_then(|s| s.parse().ok());
    let run = std::env::var("RUN").is_ok_and(|v| v == "1");
    // SplitMix64: the inputs only need to differ, not to be good random numbers.
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = || {
        state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    };
    std::panic::set_hook(Box::new(|_| {}));
    let (mut accepted, mut reasons) = (0, BTreeMap::<String, usize>::new());
    for k in 0..n {
        let bytes: Vec<u8> = (0..4096).map(|_| next() as u8).collect();
        let Ok(d) = ScenarioDescription::arbitrary(&mut Unstructured::new(&bytes)) else {
            continue;
        };
        let text = render::scenario_toml(&d);
        if show == Some(k) {
            println!("{text}");
        }
        let outcome = std::panic::catch_unwind(|| match outcome::load(text.as_bytes()) {
            Ok(loaded) => {
                if run {
                    eprintln!("running input {k}");
                    outcome::run_and_check(&loaded, 1);
                }
                None
            }
            Err(e) => Some(format!("{}: {}", e.key_path, e.message)),
        });
        let reason = match outcome {
            Ok(None) => {
                accepted += 1;
                continue;
            }
            Ok(Some(reason)) => reason,
            Err(panic) => {
                let message = panic
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_default();
                format!("PANIC (input {k}): {message}")
            }
        };
        let short: String = reason.chars().take(100).collect();
        *reasons.entry(short).or_default() += 1;
    }
    println!("{accepted} of {n} accepted");
    let mut by_count: Vec<_> = reasons.into_iter().collect();
    by_count.sort_by_key(|r| std::cmp::Reverse(r.1));
    for (reason, count) in by_count.iter().take(25) {
        println!("{count:6}  {reason}");
    }
}
