//! policysim: a Monte Carlo discrete-event simulator of policy outcomes.
//!
//! Data flows one way: scenario → resolved scenario → replications → rows → statistics →
//! files.

pub mod actuals;
pub mod backtest;
pub mod calendar;
pub mod cli;
pub mod compare;
pub mod engine;
pub mod error;
pub mod footprint;
pub mod interrupt;
pub mod job;
pub mod merge;
pub mod metric_window;
pub mod metrics;
pub mod model;
pub mod montecarlo;
pub mod output;
pub mod policy;
pub mod precision;
pub mod recorded;
pub mod rows;
pub mod scenario;
pub mod sensitivity;
pub mod shard;
pub mod stats;
pub mod verify;
