//! The one error a command ends with when the cause is the user's input or a signal: it
//! carries its own exit code, so `main` never has to guess from the error's type. Any
//! other error (an I/O failure, a full disk) ends with exit code 1.

use crate::scenario::ScenarioError;

/// How a command ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// Something failed that the input did not cause (I/O, a full disk): 1.
    Failed,
    /// The input (command line, environment, scenario, run folders) cannot be used: 2.
    BadInput,
    /// Stopped by SIGINT or SIGTERM: 130, as a shell reports a Ctrl-C.
    Interrupted,
}

impl Exit {
    pub fn code(self) -> u8 {
        match self {
            Exit::Failed => 1,
            Exit::BadInput => 2,
            Exit::Interrupted => 130,
        }
    }
}

/// An error that knows its exit code (see [`Exit`]).
#[derive(Debug, Clone, thiserror::Error)]
#[error("{message}")]
pub struct Error {
    pub exit: Exit,
    pub message: String,
}

impl Error {
    pub fn bad_input(message: impl Into<String>) -> Error {
        Error {
            exit: Exit::BadInput,
            message: message.into(),
        }
    }

    pub fn interrupted(message: impl Into<String>) -> Error {
        Error {
            exit: Exit::Interrupted,
            message: message.into(),
        }
    }
}

impl From<ScenarioError> for Error {
    fn from(e: ScenarioError) -> Error {
        Error::bad_input(e.to_string())
    }
}

/// The exit code of whatever error a command returned: the first [`Error`] in its chain
/// decides; a [`ScenarioError`] that reached here without becoming one is bad input all
/// the same; anything else is a failure (1).
pub fn exit_code(err: &anyhow::Error) -> u8 {
    err.chain()
        .find_map(|e| {
            e.downcast_ref::<Error>()
                .map(|e| e.exit)
                .or_else(|| e.downcast_ref::<ScenarioError>().map(|_| Exit::BadInput))
        })
        .unwrap_or(Exit::Failed)
        .code()
}
