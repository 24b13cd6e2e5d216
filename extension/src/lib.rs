//! The extension (built in its own issue).
