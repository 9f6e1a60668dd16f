//! Named generator profiles with their seeded generators.

use chrono::{Days, NaiveDate};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal, Uniform};
use serde::{Deserialize, Serialize};

use super::table::{Column, Table};

pub use sf_vocab::{Profile, Size};

/// Dates of the `currency` profile fall in the 365 days before this date. A fixed anchor (not
/// "today") keeps the promise that the same seed gives the same bytes on any day.
pub const REFERENCE_DATE: (i32, u32, u32) = (2025, 1, 1);

pub(crate) const CURRENCIES: [&str; 10] = [
    "USD", "EUR", "GBP", "JPY", "CAD", "AUD", "CHF", "CNY", "INR", "SGD",
];

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

/// Generates `rows` rows of `profile`. The same `(rows, seed)` always gives the same table.
pub(crate) fn generate(profile: Profile, rows: usize, seed: u64) -> Table {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    match profile {
        Profile::Currency => currency(rows, &mut rng),
        Profile::Tabular => tabular(rows, &mut rng),
        Profile::Training => training(rows, &mut rng),
        Profile::Generic => generic(rows, &mut rng),
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

/// Rounds to six decimals so files stay readable and compact; the shortest round-trip text of the
/// rounded value is what gets written.
fn round6(x: f64) -> f64 {
    (x * 1e6).round() / 1e6
}

fn normal_column(rows: usize, rng: &mut ChaCha8Rng) -> Vec<f64> {
    (0..rows)
        .map(|_| round6(StandardNormal.sample(rng)))
        .collect()
}

fn ids(rows: usize) -> Column {
    Column::Int((1..=rows as i64).map(Some).collect())
}

fn pick(values: &'static [&'static str], rows: usize, rng: &mut ChaCha8Rng) -> Column {
    Column::Text(
        (0..rows)
            .map(|_| Some(values[rng.random_range(0..values.len())].to_owned()))
            .collect(),
    )
}

fn currency(rows: usize, rng: &mut ChaCha8Rng) -> Table {
    let (y, m, d) = REFERENCE_DATE;
    let anchor = NaiveDate::from_ymd_opt(y, m, d).expect("valid reference date");
    let amount = Uniform::new_inclusive(1.0, 10_000.0).expect("valid range");
    let mut from = Vec::with_capacity(rows);
    let mut to = Vec::with_capacity(rows);
    let mut amounts = Vec::with_capacity(rows);
    let mut dates = Vec::with_capacity(rows);
    for _ in 0..rows {
        let f = rng.random_range(0..CURRENCIES.len());
        let mut t = rng.random_range(0..CURRENCIES.len() - 1);
        if t >= f {
            t += 1;
        }
        from.push(Some(CURRENCIES[f].to_owned()));
        to.push(Some(CURRENCIES[t].to_owned()));
        let a: f64 = amount.sample(rng);
        amounts.push(Some((a * 100.0).round() / 100.0));
        let back = rng.random_range(1..=365u64);
        let date = anchor - Days::new(back);
        dates.push(Some(date.format("%Y-%m-%d").to_string()));
    }
    Table::new()
        .with("from_currency", Column::Text(from))
        .with("to_currency", Column::Text(to))
        .with("amount", Column::Float(amounts))
        .with("date", Column::Text(dates))
}

fn tabular(rows: usize, rng: &mut ChaCha8Rng) -> Table {
    let feature_1 = normal_column(rows, rng)
        .into_iter()
        .map(|x| (rng.random::<f64>() >= 0.05).then_some(x))
        .collect();
    let uniform = Uniform::new(-10.0, 10.0).expect("valid range");
    let feature_2 = (0..rows)
        .map(|_| Some(round6(uniform.sample(rng))))
        .collect();
    let feature_3 = pick(&["A", "B", "C"], rows, rng);
    let target = (0..rows)
        .map(|_| Some(i64::from(rng.random_bool(0.5))))
        .collect();
    Table::new()
        .with("id", ids(rows))
        .with("feature_1", Column::Float(feature_1))
        .with("feature_2", Column::Float(feature_2))
        .with("feature_3", feature_3)
        .with("target", Column::Int(target))
}

fn training(rows: usize, rng: &mut ChaCha8Rng) -> Table {
    let features: Vec<Vec<f64>> = (0..10).map(|_| normal_column(rows, rng)).collect();
    let target = (0..rows)
        .map(|i| {
            let noise: f64 = StandardNormal.sample(rng);
            let score = features[0][i] + 0.5 * features[1][i] + 0.5 * noise;
            Some(i64::from(score > 0.0))
        })
        .collect();
    let mut table = Table::new();
    for (i, f) in features.into_iter().enumerate() {
        table.push(
            format!("feature_{i}"),
            Column::Float(f.into_iter().map(Some).collect()),
        );
    }
    table.with("target", Column::Int(target))
}

fn generic(rows: usize, rng: &mut ChaCha8Rng) -> Table {
    let value = normal_column(rows, rng).into_iter().map(Some).collect();
    let category = pick(&["X", "Y", "Z"], rows, rng);
    Table::new()
        .with("id", ids(rows))
        .with("value", Column::Float(value))
        .with("category", category)
}

#[cfg(test)]
mod tests {
    use super::*;

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
            let a = amount[i].unwrap();
            assert!((1.0..=10_000.0).contains(&a), "{a}");
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
