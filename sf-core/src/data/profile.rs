//! The four named profiles, each a preset [`Schema`]: the seeded generator and the property
//! strategy of a profile both derive from its schema.

use std::collections::BTreeMap;

use chrono::{Days, NaiveDate};
use serde::{Deserialize, Serialize};

use super::schema::{ColumnKind, ColumnSpec, Contract, LabelSpec, Schema};

pub use sf_vocab::{Profile, Size};

/// Dates of the `currency` profile fall in the 365 days before this date. A fixed anchor (not
/// "today") keeps the promise that the same seed gives the same bytes on any day.
pub const REFERENCE_DATE: (i32, u32, u32) = (2025, 1, 1);

/// The currencies of the reference data scripts are written against: exactly these five (a
/// wider set is a `columns` schema away).
const CURRENCIES: [&str; 5] = ["USD", "EUR", "GBP", "JPY", "CAD"];

impl Schema {
    /// The columns of a named profile; see [`Profile`] for what each holds. A profile promises
    /// names and types only, so its columns are [`Contract::Loose`]: property cases send them
    /// what any upstream might (NaN, ±inf, unicode, unseen categories, missing values).
    pub fn preset(profile: Profile) -> Schema {
        match profile {
            Profile::Currency => currency(),
            Profile::Tabular => tabular(),
            Profile::Training => training(),
            Profile::Generic => generic(),
        }
    }
}

/// Rows of a named size for `profile`: small is 100 (currency, generic), 500 (tabular) or
/// 1,000 (training); medium ten times and large a hundred times that.
fn rows(profile: Profile, size: Size) -> usize {
    let small = match profile {
        Profile::Currency | Profile::Generic => 100,
        Profile::Tabular => 500,
        Profile::Training => 1_000,
    };
    match size {
        Size::Small => small,
        Size::Medium => small * 10,
        Size::Large => small * 100,
    }
}

/// How many rows to generate: a named size (resolved per profile) or an exact count.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RowCount {
    /// A named size.
    Size(Size),
    /// Exactly this many rows.
    Rows(usize),
}

impl Default for RowCount {
    fn default() -> Self {
        RowCount::Size(Size::Small)
    }
}

impl RowCount {
    /// The row count for `profile`.
    pub fn resolve(self, profile: Profile) -> usize {
        match self {
            RowCount::Size(size) => rows(profile, size),
            RowCount::Rows(n) => n,
        }
    }
}

/// A preset column: a profile promises its name and type, not its settings, so property cases
/// go beyond them (see [`Contract::Loose`]).
fn column(name: impl Into<String>, kind: ColumnKind, null_rate: f64) -> ColumnSpec {
    ColumnSpec {
        null_rate,
        contract: Contract::Loose,
        ..ColumnSpec::new(name, kind)
    }
}

fn id() -> ColumnSpec {
    column(
        "id",
        ColumnKind::Id {
            start: 1,
            step: 1,
            prefix: None,
        },
        0.0,
    )
}

fn standard_normal(name: impl Into<String>, null_rate: f64) -> ColumnSpec {
    let kind = ColumnKind::Normal {
        mean: 0.0,
        std: 1.0,
        min: None,
        max: None,
    };
    column(name, kind, null_rate)
}

fn category(name: &str, values: &[&str]) -> ColumnSpec {
    let kind = ColumnKind::Category {
        values: values.iter().map(|v| (*v).to_owned()).collect(),
        weights: None,
    };
    column(name, kind, 0.0)
}

/// A 0/1 `target`: 1 when `Σ weight·feature + noise·N(0,1) > 0`.
fn target(weights: &[(&str, f64)], noise: f64) -> LabelSpec {
    LabelSpec {
        name: "target".to_owned(),
        weights: weights
            .iter()
            .map(|(feature, w)| ((*feature).to_owned(), *w))
            .collect::<BTreeMap<_, _>>(),
        noise,
        threshold: 0.0,
    }
}

fn currency() -> Schema {
    let (y, m, d) = REFERENCE_DATE;
    let anchor = NaiveDate::from_ymd_opt(y, m, d).expect("valid reference date");
    Schema {
        columns: vec![
            category("from_currency", &CURRENCIES),
            column(
                "to_currency",
                ColumnKind::OtherThan {
                    column: "from_currency".to_owned(),
                },
                0.0,
            ),
            column(
                "amount",
                ColumnKind::Decimal {
                    min: 1.0,
                    max: 10_000.0,
                    decimals: 2,
                },
                0.0,
            ),
            column(
                "date",
                ColumnKind::Date {
                    start: anchor - Days::new(365),
                    end: anchor - Days::new(1),
                    format: "%Y-%m-%d".to_owned(),
                },
                0.0,
            ),
        ],
        label: None,
    }
}

fn tabular() -> Schema {
    Schema {
        columns: vec![
            id(),
            standard_normal("feature_1", 0.05),
            column(
                "feature_2",
                ColumnKind::Uniform {
                    min: -10.0,
                    max: 10.0,
                },
                0.0,
            ),
            category("feature_3", &["A", "B", "C"]),
        ],
        // Tied to no feature: a fair coin.
        label: Some(target(&[], 1.0)),
    }
}

fn training() -> Schema {
    Schema {
        columns: (0..10)
            .map(|i| standard_normal(format!("feature_{i}"), 0.0))
            .collect(),
        label: Some(target(&[("feature_0", 1.0), ("feature_1", 0.5)], 0.5)),
    }
}

fn generic() -> Schema {
    Schema {
        columns: vec![
            id(),
            standard_normal("value", 0.0),
            category("category", &["X", "Y", "Z"]),
        ],
        label: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::{Column, Table};

    fn generate(profile: Profile, rows: usize, seed: u64) -> Table {
        Schema::preset(profile).generate(rows, seed)
    }

    #[test]
    fn every_preset_is_a_valid_schema() {
        for profile in Profile::ALL {
            assert_eq!(Schema::preset(profile).validate(), Ok(()), "{profile}");
        }
    }

    #[test]
    fn every_profile_has_the_documented_columns() {
        let training: Vec<String> = (0..10)
            .map(|i| format!("feature_{i}"))
            .chain(["target".to_owned()])
            .collect();
        let expected: [(Profile, Vec<&str>); 4] = [
            (
                Profile::Currency,
                vec!["from_currency", "to_currency", "amount", "date"],
            ),
            (
                Profile::Tabular,
                vec!["id", "feature_1", "feature_2", "feature_3", "target"],
            ),
            (
                Profile::Training,
                training.iter().map(String::as_str).collect(),
            ),
            (Profile::Generic, vec!["id", "value", "category"]),
        ];
        for (profile, names) in expected {
            assert_eq!(generate(profile, 3, 1).names(), names, "{profile}");
        }
    }

    #[test]
    fn every_profile_and_size_has_the_documented_row_count() {
        let expected = [
            (Profile::Currency, [100, 1_000, 10_000]),
            (Profile::Tabular, [500, 5_000, 50_000]),
            (Profile::Training, [1_000, 10_000, 100_000]),
            (Profile::Generic, [100, 1_000, 10_000]),
        ];
        for (profile, counts) in expected {
            for (size, rows) in Size::ALL.into_iter().zip(counts) {
                assert_eq!(
                    RowCount::Size(size).resolve(profile),
                    rows,
                    "{profile} {size}"
                );
                assert_eq!(generate(profile, rows, 1).rows(), rows, "{profile} {size}");
            }
        }
    }

    #[test]
    fn the_same_seed_gives_the_same_table_and_another_seed_does_not() {
        for profile in Profile::ALL {
            assert_eq!(generate(profile, 200, 9), generate(profile, 200, 9));
            assert_ne!(generate(profile, 200, 9), generate(profile, 200, 10));
        }
    }

    #[test]
    fn currency_pairs_are_distinct_and_amounts_in_range() {
        let t = generate(Profile::Currency, 2_000, 3);
        let (Some(Column::Text(from)), Some(Column::Text(to)), Some(Column::Float(amount))) = (
            t.column("from_currency"),
            t.column("to_currency"),
            t.column("amount"),
        ) else {
            panic!("unexpected columns {:?}", t.names());
        };
        for i in 0..t.rows() {
            assert_ne!(from[i], to[i]);
            for code in [&from[i], &to[i]] {
                let code = code.as_deref().unwrap();
                assert!(
                    CURRENCIES.contains(&code),
                    "{code} is not a reference currency"
                );
            }
            let a = amount[i].unwrap();
            assert!((1.0..=10_000.0).contains(&a), "{a}");
            assert_eq!((a * 100.0).round() / 100.0, a, "two decimals");
        }
        let Some(Column::Text(dates)) = t.column("date") else {
            panic!()
        };
        assert!(
            dates
                .iter()
                .all(|d| d.as_deref().unwrap() >= "2024-01-01"
                    && d.as_deref().unwrap() < "2025-01-01")
        );
    }

    #[test]
    fn tabular_misses_about_five_percent_of_feature_1() {
        let t = generate(Profile::Tabular, 50_000, 42);
        let Some(Column::Float(f1)) = t.column("feature_1") else {
            panic!()
        };
        let missing = f1.iter().filter(|v| v.is_none()).count() as f64 / f1.len() as f64;
        assert!((0.04..0.06).contains(&missing), "{missing}");
        let Some(Column::Int(target)) = t.column("target") else {
            panic!()
        };
        let ones = target.iter().filter(|v| **v == Some(1)).count() as f64 / t.rows() as f64;
        assert!(target.iter().all(|v| matches!(v, Some(0 | 1))));
        assert!((0.48..0.52).contains(&ones), "{ones}");
        let Some(Column::Float(f2)) = t.column("feature_2") else {
            panic!()
        };
        assert!(f2.iter().all(|v| (-10.0..10.0).contains(&v.unwrap())));
    }

    #[test]
    fn training_target_follows_the_first_two_features() {
        let t = generate(Profile::Training, 20_000, 5);
        assert_eq!(t.names().len(), 11);
        let (Some(Column::Float(f0)), Some(Column::Float(f1)), Some(Column::Int(y))) = (
            t.column("feature_0"),
            t.column("feature_1"),
            t.column("target"),
        ) else {
            panic!()
        };
        let agree = (0..t.rows())
            .filter(|&i| (f0[i].unwrap() + 0.5 * f1[i].unwrap() > 0.0) == (y[i] == Some(1)))
            .count() as f64
            / t.rows() as f64;
        assert!(agree > 0.8, "target agrees with the signal only {agree}");
    }
}
