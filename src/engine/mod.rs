//! The event queue, calendar clock, keyed random streams, and one replication.

pub mod events;
pub mod flows;
pub use flows::FlowJournal;
pub mod params;
pub mod queue;
mod record;
pub mod replication;
pub mod stream;
pub(crate) mod world;

pub use replication::{Model, Replication};
