//! Errors in an actuals folder: every one names the file, line and column (1-based, the
//! header is line 1) and what was expected, because the files are exported from a
//! bureau's records and fixed by hand.

use std::fmt;
use std::path::PathBuf;

/// An actuals folder that cannot be used: bad input, exit code 2 on the command line.
#[derive(Debug, Clone, PartialEq)]
pub struct ActualsError {
    pub file: PathBuf,
    /// 0 when the error has no position (a folder that cannot be read).
    pub line: u64,
    pub column: usize,
    /// The column's header name, empty when the error is about a whole row or file.
    pub column_name: String,
    pub message: String,
}

impl ActualsError {
    pub fn file(file: PathBuf, message: impl Into<String>) -> ActualsError {
        ActualsError {
            file,
            line: 0,
            column: 0,
            column_name: String::new(),
            message: message.into(),
        }
    }
}

impl fmt::Display for ActualsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if self.line > 0 {
            write!(f, ":{}", self.line)?;
            if self.column > 0 {
                write!(f, ":{}", self.column)?;
            }
        }
        if !self.column_name.is_empty() {
            write!(f, ": column `{}`", self.column_name)?;
        }
        write!(f, ": {}", self.message)
    }
}

impl std::error::Error for ActualsError {}

pub type Result<T> = std::result::Result<T, ActualsError>;
