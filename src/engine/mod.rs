//! The event queue, calendar clock, keyed random streams, and one replication.

pub mod events;
pub mod params;
pub mod queue;
pub mod replication;
pub mod stream;

pub use replication::{Model, Replication};
