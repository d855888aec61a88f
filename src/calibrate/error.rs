//! The one error type of calibrate and validate: each variant says whether the user can fix
//! it (bad data or model files, a bad output path: exit code 2) or the machine failed (a
//! full disk, an I/O error: exit code 1). Messages are those of the inner error, with the
//! context the caller adds in front (`context: inner`), as the CLI prints them.

use crate::error::InputError;
use crate::output::OutputError;
use crate::runner::RunError;

/// Why a calibrate or validate run failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CalibrateError {
    /// Bad input (a data file, a recipe, a model): the user's to fix.
    #[error(transparent)]
    Input(#[from] InputError),
    /// An output could not be written: the user's when the path is bad, else the machine's.
    #[error(transparent)]
    Output(#[from] OutputError),
    /// An I/O error (possibly wrapping an [`OutputError`]): the machine's unless it wraps a
    /// user's [`OutputError`].
    #[error(transparent)]
    Io(#[from] std::io::Error),
    /// A simulated protocol run failed.
    #[error(transparent)]
    Run(#[from] RunError),
    /// A JSON report could not be serialised: the machine's (a bug).
    #[error(transparent)]
    Json(#[from] serde_json::Error),
    /// A TOML model could not be serialised: the machine's (a bug).
    #[error(transparent)]
    TomlSer(#[from] toml::ser::Error),
    /// Formatting into a string failed: the machine's (a bug).
    #[error(transparent)]
    Fmt(#[from] std::fmt::Error),
    /// An internal failure (a chart that does not render, a model without data): the
    /// machine's, exit code 1.
    #[error("{0}")]
    Other(String),
    /// `source`, with what was being done when it happened in front.
    #[error("{message}")]
    Context {
        /// What was being done.
        message: String,
        /// What went wrong.
        #[source]
        source: Box<CalibrateError>,
    },
}

impl CalibrateError {
    /// Whether the user can fix it (`Some(true)`, exit 2) or the machine failed
    /// (`Some(false)`, exit 1); `None` when the error itself does not say (exit 1).
    pub fn user_fault(&self) -> Option<bool> {
        match self {
            CalibrateError::Input(_) => Some(true),
            CalibrateError::Output(o) => Some(o.is_user_error()),
            CalibrateError::Io(io) => io
                .get_ref()
                .and_then(|inner| inner.downcast_ref::<OutputError>())
                .map(OutputError::is_user_error),
            CalibrateError::Run(r) => Some(r.is_user_error()),
            CalibrateError::Other(_)
            | CalibrateError::Json(_)
            | CalibrateError::TomlSer(_)
            | CalibrateError::Fmt(_) => Some(false),
            CalibrateError::Context { source, .. } => source.user_fault(),
        }
    }

    /// The [`OutputError`] inside, for the CLI to name its flag.
    pub fn output_error_mut(&mut self) -> Option<&mut OutputError> {
        match self {
            CalibrateError::Output(o) => Some(o),
            CalibrateError::Io(io) => io
                .get_mut()
                .and_then(|inner| inner.downcast_mut::<OutputError>()),
            CalibrateError::Run(r) => r.output_error_mut(),
            CalibrateError::Context { source, .. } => source.output_error_mut(),
            _ => None,
        }
    }
}

/// Result with a [`CalibrateError`].
pub type CalibrateResult<T> = Result<T, CalibrateError>;

/// Adds what was being done in front of an error, as `context: error`.
pub trait Context<T> {
    /// Wraps the error with `message`.
    fn context(self, message: impl Into<String>) -> CalibrateResult<T>;
    /// Wraps the error with the message `f` builds (only on error).
    fn with_context<S: Into<String>>(self, f: impl FnOnce() -> S) -> CalibrateResult<T>;
}

impl<T, E: Into<CalibrateError>> Context<T> for Result<T, E> {
    fn context(self, message: impl Into<String>) -> CalibrateResult<T> {
        self.with_context(|| message)
    }

    fn with_context<S: Into<String>>(self, f: impl FnOnce() -> S) -> CalibrateResult<T> {
        self.map_err(|e| CalibrateError::Context {
            message: f().into(),
            source: Box::new(e.into()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Tolerance: exact text and codes. Context reads `context: inner` through the chain
    /// (as anyhow's `{:#}` prints it) and keeps the inner error's fault.
    #[test]
    #[allow(clippy::disallowed_types)] // prints through anyhow as the CLI does
    fn context_prints_in_front_and_keeps_the_fault() {
        let inner: Result<(), InputError> = Err(InputError::Usage("bad flag".into()));
        let e = inner.context("model out.toml").unwrap_err();
        let chained = anyhow::Error::from(e);
        assert_eq!(format!("{chained:#}"), "model out.toml: bad flag");
        let e = chained.downcast_ref::<CalibrateError>().unwrap();
        assert_eq!(e.user_fault(), Some(true));
        let io: Result<(), std::io::Error> = Err(std::io::Error::other("disk full"));
        assert_eq!(io.context("x").unwrap_err().user_fault(), None);
        assert_eq!(CalibrateError::Other("o".into()).user_fault(), Some(false));
    }
}
