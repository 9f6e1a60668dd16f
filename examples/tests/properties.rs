//! Property mode: many generated datasets per test, each in a fresh workspace; a failure is shrunk
//! to the smallest dataset that still fails and saved as real files under `sf-regressions/`.
//!
//! `cargo test -p sf-examples --test properties -- --ignored` shows property mode finding the
//! planted bug of scripts/amount_summary.py (sf's own integration tests assert what it finds).

use sf::script_test;

// row_counter.sh copes with every generated dataset: empty files, NaN, huge numbers, unicode.
#[script_test(
    script = "row_counter",
    data = "generic",
    proptest(cases = 16, max_rows = 20)
)]
fn row_counter_never_crashes() {}

#[script_test(
    data = "currency",
    proptest(cases = 32),
    ignore = "finds the planted bug of amount_summary.py"
)]
fn amount_summary_handles_any_amount() {}
