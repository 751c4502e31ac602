//! How the world moves: the initial pool, firms and their lifecycle, certification, the
//! listing pipeline, occurrences, NEV districts.

pub mod certification;
pub mod district;
pub mod firm;
pub mod lifecycle;
pub mod listing;
pub mod observed;
pub mod occurrence;
pub mod pool;
