//! The leaves of a fuzzed scenario: numbers and dates, mostly of a sensible size so that
//! many scenarios are accepted and run, and otherwise one of the extremes issue 11 lists
//! (0, negative, huge, 2^32, NaN and infinities, years 0 and 9999, ...).

use libfuzzer_sys::arbitrary::{self, Arbitrary};

/// Values written as they are, to cross every range a key may have. Some are not valid
/// for every key (a float where an integer is expected, a TOML integer past i64): the
/// reader must refuse those cleanly too.
const EXTREME_NUMBERS: &[&str] = &[
    "0",
    "-1",
    "-0.0",
    "0.5",
    "1e308",
    "-1e308",
    "1.7976931348623157e308",
    "5e-324",
    "4294967295",
    "4294967296",
    "-4294967296",
    "9007199254740993",
    "9223372036854775807",
    "-9223372036854775808",
    "18446744073709551616",
    "1e12",
    "1e15",
    "65536",
    "nan",
    "+nan",
    "-nan",
    "inf",
    "+inf",
    "-inf",
];

/// Dates at and past the edges of any span a scenario can mean, and text that only looks
/// like a date.
const EXTREME_DATES: &[&str] = &[
    "0000-01-01",
    "0001-01-01",
    "1899-12-31",
    "1900-01-01",
    "2200-12-31",
    "2201-01-01",
    "9999-12-31",
    "2023-02-29",
    "2024-02-29",
    "2024-06-30T12:00:00",
    "\"-0001-01-01\"",
    "\"+10000-01-01\"",
    "\"2024-13-01\"",
    "\"02024-01-01\"",
    "\"\"",
];

/// A leaf is extreme when its `pick` is at least this (4 in 256): a scenario has some
/// sixty leaves, so about a third of the scenarios have none and are mostly accepted,
/// and the fuzzer's mutations reach the extremes by changing one byte.
const SENSIBLE: u8 = 252;

/// A number: sensible (0 to twice a key's typical size) or one of the extremes.
#[derive(Arbitrary, Debug, Clone, Copy)]
pub struct Scalar {
    pick: u8,
    raw: u16,
}

impl Scalar {
    /// The sensible value, if this leaf is one: `typical × [0, 2)`, or for a negative
    /// `typical` (a key that may be negative) `|typical| × [-1, 1)`.
    pub fn sensible(self, typical: f64) -> Option<f64> {
        let x = f64::from(self.raw) / 32768.0;
        (self.pick < SENSIBLE).then(|| {
            if typical < 0.0 {
                -typical * (x - 1.0)
            } else {
                typical * x
            }
        })
    }

    /// A rare choice (1 in 16) the renderer may make without another input byte.
    pub fn is_rare(self) -> bool {
        self.raw.is_multiple_of(16)
    }

    /// As [`Scalar::sensible`], but a fraction in [0, 1].
    pub fn fraction(self) -> Option<f64> {
        (self.pick < SENSIBLE).then(|| f64::from(self.raw) / f64::from(u16::MAX))
    }

    fn extreme(self) -> &'static str {
        EXTREME_NUMBERS[usize::from(self.raw) % EXTREME_NUMBERS.len()]
    }

    /// TOML text of a float key whose sensible values are near `typical`.
    pub fn float(self, typical: f64) -> String {
        self.sensible(typical)
            .map_or_else(|| self.extreme().to_string(), float)
    }

    /// TOML text of a probability.
    pub fn probability(self) -> String {
        self.fraction()
            .map_or_else(|| self.extreme().to_string(), float)
    }

    /// TOML text of an integer key whose sensible values are near `typical`.
    pub fn integer(self, typical: f64) -> String {
        self.sensible(typical).map_or_else(
            || self.extreme().to_string(),
            |x| format!("{}", x.round() as i64),
        )
    }
}

/// Shortest TOML float text of a finite value (Rust's `{:?}` always has a `.` or `e`).
pub fn float(x: f64) -> String {
    format!("{x:?}")
}

/// A date: sensible (a day of one of the scenario's years) or one of the extremes.
#[derive(Arbitrary, Debug, Clone, Copy)]
pub struct Date {
    pick: u8,
    year: u8,
    month: u8,
    day: u8,
}

impl Date {
    pub fn is_sensible(self) -> bool {
        self.pick < SENSIBLE
    }

    /// The raw year index a sensible date picks its year with.
    pub fn year_index(self) -> u8 {
        self.year
    }

    /// TOML text of a date within the years `first..=last`, or an extreme.
    pub fn within(self, first: i32, last: i32) -> String {
        if self.pick >= SENSIBLE {
            return EXTREME_DATES[usize::from(self.day) % EXTREME_DATES.len()].to_string();
        }
        let span = (last - first + 1).max(1);
        format!(
            "{:04}-{:02}-{:02}",
            first + i32::from(self.year) % span,
            1 + self.month % 12,
            1 + self.day % 28
        )
    }

    /// A sensible year of `first..=last` or, as often as [`Date::within`] is extreme, a
    /// year no scenario can mean.
    pub fn year(self, first: i32, last: i32) -> String {
        if self.pick >= SENSIBLE {
            let odd = [0, -1, 1899, 2201, 9999, 4_294_967_296, i64::MAX];
            return odd[usize::from(self.day) % odd.len()].to_string();
        }
        let span = (last - first + 1).max(1);
        (first + i32::from(self.year) % span).to_string()
    }
}
