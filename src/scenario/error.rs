//! Errors in scenario files: every one names the file, line, column, key path and what
//! was expected, because analysts fix scenario files by hand.

use std::fmt;
use std::path::PathBuf;

use super::node::Origin;

/// A scenario that cannot be used. The command line maps it to exit code 2.
#[derive(Debug, Clone)]
pub struct ScenarioError {
    pub file: PathBuf,
    /// 1-based line and column; 0 when the error has no position (a missing file).
    pub line: usize,
    pub column: usize,
    /// Dotted key path, e.g. `instrument[first_cert_unicorn].take_up`.
    pub key_path: String,
    pub message: String,
}

impl ScenarioError {
    pub fn at(origin: &Origin, key_path: &str, message: impl Into<String>) -> Self {
        let (line, column) = origin.line_column();
        ScenarioError {
            file: origin.file.path.clone(),
            line,
            column,
            key_path: key_path.to_string(),
            message: message.into(),
        }
    }

    pub fn file(file: PathBuf, message: impl Into<String>) -> Self {
        ScenarioError {
            file,
            line: 0,
            column: 0,
            key_path: String::new(),
            message: message.into(),
        }
    }
}

impl fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if self.line > 0 {
            write!(f, ":{}:{}", self.line, self.column)?;
        }
        if !self.key_path.is_empty() {
            write!(f, ": {}", self.key_path)?;
        }
        write!(f, ": {}", self.message)
    }
}

impl std::error::Error for ScenarioError {}

pub type Result<T> = std::result::Result<T, ScenarioError>;
