//! Byte-level target for the actuals reader: any bytes, cut into an actuals folder's four
//! files and an as-of date (`policysim_fuzz::actuals`), are read against the baseline as
//! `run --actuals DIR --as-of DATE` reads them, and refused naming the file or run from;
//! never a panic, a hang or a number that is not finite.
#![no_main]

use libfuzzer_sys::fuzz_target;
use policysim_fuzz::actuals;

fuzz_target!(|bytes: &[u8]| actuals::check(bytes));
