//! Files: CSV tables, Parquet row files, the manifest, the HTML report, and the run folder they go in.

pub mod manifest;
pub mod parquet;
pub mod report;
pub mod rowfile;
pub mod rundir;
pub mod tables;
pub mod terminal;
pub mod workbook;
