//! Integration tests: the `sf` binary run as users run it.
