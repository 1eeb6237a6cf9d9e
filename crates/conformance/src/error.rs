//! Why a vector could not be run at all (as opposed to running and giving another answer).

use thiserror::Error;

/// A vector or file the runner cannot use.
#[derive(Debug, Error)]
pub enum RunError {
    /// The vector's input does not have the shape FORMAT.md gives for its `fn`.
    #[error("malformed vector: {0}")]
    BadInput(String),
    /// The `fn` is not one the runner knows.
    #[error("unknown fn `{0}`: the runner has no hubcap operation for it")]
    UnknownFn(String),
}

impl RunError {
    /// A malformed-input error with the given explanation.
    pub fn bad_input(message: impl Into<String>) -> RunError {
        RunError::BadInput(message.into())
    }
}
