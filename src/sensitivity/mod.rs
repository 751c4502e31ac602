//! Which uncertain parameters drive a metric (docs/model.md, Sensitivity): variance-based
//! indices from a Saltelli design (`design`, `indices`), first-order indices and tornado
//! swings from any run's `parameters.csv` (`given_data`), and their files (`table`,
//! `report`).

pub mod design;
pub mod given_data;
pub mod indices;
pub mod report;
pub mod run;
pub mod table;

/// A tornado bar: a metric's conditional mean when `parameter` sits in its lowest and in
/// its highest decile, and the given-data first-order index.
#[derive(Debug, Clone, PartialEq)]
pub struct Swing {
    pub parameter: String,
    pub low: f64,
    pub high: f64,
    pub first_order: f64,
}

impl Swing {
    pub fn width(&self) -> f64 {
        (self.high - self.low).abs()
    }
}

/// The name of the intrinsic randomness as an input (each firm's own path).
pub const INTRINSIC: &str = "intrinsic";
