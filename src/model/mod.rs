//! How the world moves: firms and their tiers, the listing pipeline, NEV districts.

pub mod district;
pub mod firm;
pub mod listing;
