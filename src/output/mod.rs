//! Files: CSV tables, the manifest, the HTML report, and the run folder they go in.

pub mod manifest;
pub mod report;
pub mod rundir;
pub mod tables;
pub mod terminal;
pub mod workbook;
