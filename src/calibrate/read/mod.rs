//! Readers of measurement files (filled in by the readers work).
