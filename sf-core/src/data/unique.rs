//! `unique = true`: how many distinct values a column can hold, and a column's duplicates
//! replaced by the next unused value in the column's own order.
//!
//! Each kind that can be unique has an ordered domain (the integers of its range, the six-decimal
//! (or `decimals`) grid of its float range, its categories, its dates, the strings of its pattern
//! in odometer order). A value seen before is replaced by the next value of the domain after it
//! that no earlier row holds, wrapping around at the end; a value outside the domain starts the
//! search at the domain's start. Missing values (and NaN) never count as duplicates. Rows are
//! visited in order, so the same column always comes out the same.

use std::collections::HashSet;
use std::hash::Hash;

use chrono::{Days, NaiveDate};

use super::schema::{
    ALPHANUMERIC, ColumnKind, PatternPart, UPPER, checked_date_format, decimal, parse_pattern,
};
use super::table::Column;

/// Floats beyond this magnitude are no longer a millionth apart, so a float grid stops here.
const GRID_LIMIT: f64 = 1e15;

/// The distinct values `kind` can hold, counted up to `need` where counting is costly (dates
/// whose format leaves out the day); `u128::MAX` for as many as any table needs. Kinds that
/// cannot be unique (`bool`, `derived`, `other_than`) count their values as they stand.
pub(crate) fn distinct_values(kind: &ColumnKind, need: usize) -> u128 {
    match kind {
        ColumnKind::Bool { .. } => 2,
        ColumnKind::Id { start, step, .. } => id_values(*start, *step),
        ColumnKind::Date { start, end, format } => {
            let days = days_between(*start, *end);
            let Ok(items) = checked_date_format(format) else {
                return 1;
            };
            let mut texts = HashSet::new();
            for n in 0..days {
                let date = *start + Days::new(n);
                texts.insert(date.format_with_items(items.iter()).to_string());
                if texts.len() >= need {
                    break;
                }
            }
            texts.len() as u128
        }
        ColumnKind::Derived { .. } | ColumnKind::OtherThan { .. } => u128::MAX,
        kind => Domain::of(kind).map_or(u128::MAX, |d| d.size()),
    }
}

/// How many ids `start, start + step, …` stay apart before they saturate at the ends of `i64`.
fn id_values(start: i64, step: i64) -> u128 {
    let start = i128::from(start);
    let step = i128::from(step);
    let room = match step {
        0 => return 1,
        s if s > 0 => i128::from(i64::MAX) - start,
        _ => start - i128::from(i64::MIN),
    };
    (room / step.abs()) as u128 + 1
}

fn days_between(start: NaiveDate, end: NaiveDate) -> u64 {
    (end - start).num_days().max(0) as u64 + 1
}

/// Replaces every value of `column` that an earlier row already holds by the next unused value
/// of `kind`'s domain. Leaves a duplicate as it is when no value is left (a table longer than
/// the column has values, which [`Schema::check_rows`](super::Schema::check_rows) refuses).
pub(crate) fn make_unique(kind: &ColumnKind, column: &mut Column) {
    let Some(domain) = Domain::of(kind) else {
        return;
    };
    match (column, &domain) {
        (Column::Int(values), Domain::Ints { min, size }) => dedupe(
            values,
            *size,
            0,
            |v| Some(*v),
            |v| {
                let i = i128::from(*v) - i128::from(*min);
                (0..*size as i128).contains(&i).then_some(i as u128)
            },
            |i| i64::try_from(i128::from(*min) + i as i128).ok(),
        ),
        (Column::Float(values), Domain::Grid(grid)) => dedupe(
            values,
            grid.size(),
            grid.start,
            float_key,
            |v| grid.index_of(*v),
            |i| Some(grid.nth(i)),
        ),
        (Column::Text(values), Domain::Texts(texts)) => dedupe(
            values,
            texts.len() as u128,
            0,
            |v| Some(v.clone()),
            |v| texts.iter().position(|t| t == v).map(|i| i as u128),
            |i| texts.get(i as usize).cloned(),
        ),
        (Column::Text(values), Domain::Pattern(parts)) => dedupe(
            values,
            pattern_size(parts),
            0,
            |v| Some(v.clone()),
            |v| pattern_index(parts, v),
            |i| Some(pattern_nth(parts, i)),
        ),
        (
            Column::Text(values),
            Domain::Dates {
                start,
                days,
                format,
            },
        ) => {
            let Ok(items) = checked_date_format(format) else {
                return;
            };
            dedupe(
                values,
                u128::from(*days),
                0,
                |v| Some(v.clone()),
                |v| {
                    let date = NaiveDate::parse_from_str(v, format).ok()?;
                    let n = (date - *start).num_days();
                    (0..*days as i64).contains(&n).then_some(n as u128)
                },
                |i| {
                    let date = *start + Days::new(i as u64);
                    Some(date.format_with_items(items.iter()).to_string())
                },
            );
        }
        _ => {}
    }
}

/// NaN is a missing value, not a duplicate; `-0` and `0` are the same number.
fn float_key(x: &f64) -> Option<u64> {
    if x.is_nan() {
        None
    } else if *x == 0.0 {
        Some(0)
    } else {
        Some(x.to_bits())
    }
}

/// The walk described in the module docs over a domain of `size` values, `nth` of which spells
/// the i-th and `index_of` finds a value's place.
fn dedupe<T, K: Eq + Hash>(
    values: &mut [Option<T>],
    size: u128,
    start: u128,
    key: impl Fn(&T) -> Option<K>,
    index_of: impl Fn(&T) -> Option<u128>,
    nth: impl Fn(u128) -> Option<T>,
) {
    if size == 0 {
        return;
    }
    let mut seen = HashSet::new();
    for slot in values.iter_mut() {
        let Some(value) = slot else {
            continue;
        };
        let Some(k) = key(value) else {
            continue;
        };
        if seen.insert(k) {
            continue;
        }
        let first = index_of(value).map_or(start % size, |i| (i % size + 1) % size);
        for step in 0..size {
            // `first + step` wrapped at `size`, without overflowing near u128::MAX.
            let i = if step < size - first {
                first + step
            } else {
                step - (size - first)
            };
            if let Some(candidate) = nth(i)
                && let Some(k) = key(&candidate)
                && seen.insert(k)
            {
                *value = candidate;
                break;
            }
        }
    }
}

/// The ordered values of a kind that can be unique.
enum Domain {
    /// `min, min + 1, …`, `size` of them.
    Ints { min: i64, size: u128 },
    /// Floats on a grid of `1 / scale`.
    Grid(Grid),
    /// These texts, in this order.
    Texts(Vec<String>),
    /// The strings of a pattern, the last variable position turning fastest.
    Pattern(Vec<PatternPart>),
    /// `days` dates from `start`, written with `format`.
    Dates {
        start: NaiveDate,
        days: u64,
        format: String,
    },
}

impl Domain {
    fn of(kind: &ColumnKind) -> Option<Domain> {
        Some(match kind {
            ColumnKind::Int { min, max } => Domain::Ints {
                min: *min,
                size: if min <= max {
                    (i128::from(*max) - i128::from(*min) + 1) as u128
                } else {
                    1
                },
            },
            ColumnKind::Decimal { min, max, decimals } => {
                let scale = 10_f64.powi((*decimals).min(6) as i32);
                Domain::Grid(Grid::new(
                    scale,
                    *min,
                    *max,
                    false,
                    (*min).max(0.0),
                    *decimals,
                ))
            }
            ColumnKind::Uniform { min, max } => {
                Domain::Grid(Grid::new(1e6, *min, *max, true, *min, 6))
            }
            ColumnKind::Normal { mean, min, max, .. } => {
                let lo = min.unwrap_or(-GRID_LIMIT / 1e6);
                let hi = max.unwrap_or(GRID_LIMIT / 1e6);
                Domain::Grid(Grid::new(1e6, lo, hi, false, *mean, 6))
            }
            ColumnKind::Category { values, weights } => {
                let mut texts: Vec<String> = Vec::new();
                for (i, v) in values.iter().enumerate() {
                    let drawn = weights
                        .as_ref()
                        .and_then(|w| w.get(i))
                        .is_none_or(|w| *w > 0.0);
                    if drawn && !texts.contains(v) {
                        texts.push(v.clone());
                    }
                }
                Domain::Texts(texts)
            }
            ColumnKind::Pattern { pattern } => Domain::Pattern(parse_pattern(pattern).ok()?),
            ColumnKind::Date { start, end, format } => Domain::Dates {
                start: *start,
                days: days_between(*start, *end),
                format: format.clone(),
            },
            ColumnKind::Bool { .. }
            | ColumnKind::Derived { .. }
            | ColumnKind::OtherThan { .. }
            | ColumnKind::Id { .. } => return None,
        })
    }

    fn size(&self) -> u128 {
        match self {
            Domain::Ints { size, .. } => *size,
            Domain::Grid(grid) => grid.size(),
            Domain::Texts(texts) => texts.len() as u128,
            Domain::Pattern(parts) => pattern_size(parts),
            Domain::Dates { days, .. } => u128::from(*days),
        }
    }
}

/// The multiples of `1 / scale` in `[min, max]` (or `[min, max)`), as whole units `lo..=hi`.
struct Grid {
    scale: f64,
    decimals: u32,
    min: f64,
    max: f64,
    open_max: bool,
    lo: i64,
    hi: i64,
    /// Where the search starts for a value off the grid: the unit nearest the column's centre.
    start: u128,
}

impl Grid {
    fn new(scale: f64, min: f64, max: f64, open_max: bool, centre: f64, decimals: u32) -> Grid {
        let limit = GRID_LIMIT;
        let units = |x: f64| (x * scale).clamp(-limit, limit);
        // `1.1 * 100` is 110.00000000000001: a bound a hair off a unit is that unit.
        let near = |u: f64| (u - u.round()).abs() < 1e-6;
        let lo_u = units(min);
        let lo = if near(lo_u) {
            lo_u.round()
        } else {
            lo_u.ceil()
        };
        let hi_u = units(max);
        let hi = match (near(hi_u), open_max) {
            (true, true) => hi_u.round() - 1.0,
            (true, false) => hi_u.round(),
            (false, _) => hi_u.floor(),
        };
        let (lo, hi) = (lo as i64, (hi as i64).max(lo as i64));
        let centre = (units(centre).round() as i64).clamp(lo, hi);
        Grid {
            scale,
            decimals,
            min,
            max,
            open_max,
            lo,
            hi,
            start: (i128::from(centre) - i128::from(lo)) as u128,
        }
    }

    fn size(&self) -> u128 {
        (i128::from(self.hi) - i128::from(self.lo) + 1) as u128
    }

    fn index_of(&self, x: f64) -> Option<u128> {
        let u = (x * self.scale).round();
        if !u.is_finite() || u < self.lo as f64 || u > self.hi as f64 {
            return None;
        }
        Some((u as i64 - self.lo) as u128)
    }

    fn nth(&self, i: u128) -> f64 {
        let u = i128::from(self.lo) + i as i128;
        let x = decimal(u as f64 / self.scale, self.min, self.max, self.decimals);
        if self.open_max && x >= self.max {
            self.min
        } else {
            x
        }
    }
}

fn class(part: &PatternPart) -> &'static [u8] {
    match part {
        PatternPart::Digit => b"0123456789",
        PatternPart::Upper => UPPER,
        PatternPart::Alphanumeric => ALPHANUMERIC,
        PatternPart::Literal(_) => b"",
    }
}

fn pattern_size(parts: &[PatternPart]) -> u128 {
    parts
        .iter()
        .map(|p| class(p).len().max(1) as u128)
        .fold(1, u128::saturating_mul)
}

/// The place of `text` among the pattern's strings; `None` when it does not match.
fn pattern_index(parts: &[PatternPart], text: &str) -> Option<u128> {
    let chars: Vec<char> = text.chars().collect();
    if chars.len() != parts.len() {
        return None;
    }
    let mut index: u128 = 0;
    for (part, c) in parts.iter().zip(chars) {
        match part {
            PatternPart::Literal(l) if *l == c => {}
            PatternPart::Literal(_) => return None,
            _ => {
                let members = class(part);
                let k = members.iter().position(|m| char::from(*m) == c)?;
                index = index
                    .checked_mul(members.len() as u128)?
                    .checked_add(k as u128)?;
            }
        }
    }
    Some(index)
}

/// The `i`-th string of the pattern.
fn pattern_nth(parts: &[PatternPart], mut i: u128) -> String {
    let mut chars: Vec<char> = Vec::with_capacity(parts.len());
    for part in parts.iter().rev() {
        chars.push(match part {
            PatternPart::Literal(c) => *c,
            _ => {
                let members = class(part);
                let n = members.len() as u128;
                let c = char::from(members[(i % n) as usize]);
                i /= n;
                c
            }
        });
    }
    chars.into_iter().rev().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn a_duplicate_becomes_the_next_unused_value_and_missing_values_stay() {
        let kind = ColumnKind::Int { min: 1, max: 5 };
        let mut c = Column::Int(vec![
            Some(2),
            Some(2),
            None,
            None,
            Some(5),
            Some(5),
            Some(3),
        ]);
        make_unique(&kind, &mut c);
        assert_eq!(
            c,
            Column::Int(vec![
                Some(2),
                Some(3),
                None,
                None,
                Some(5),
                Some(1),
                Some(4)
            ])
        );
    }

    #[test]
    fn every_kind_that_can_be_unique_ends_unique_while_it_has_values() {
        let kinds = [
            ColumnKind::Decimal {
                min: -0.02,
                max: 0.02,
                decimals: 2,
            },
            ColumnKind::Uniform {
                min: 0.0,
                max: 1e-5,
            },
            ColumnKind::Normal {
                mean: 0.0,
                std: 1.0,
                min: None,
                max: None,
            },
        ];
        for kind in kinds {
            let mut c = Column::Float(vec![Some(0.0), Some(-0.0), Some(0.0), Some(f64::NAN)]);
            make_unique(&kind, &mut c);
            let Column::Float(v) = &c else { panic!() };
            let keys: HashSet<u64> = v.iter().flatten().filter_map(float_key).collect();
            assert_eq!(keys.len(), 3, "{kind:?}: {v:?}");
            assert!(v[3].unwrap().is_nan());
        }
        let kind = ColumnKind::Category {
            values: vec!["a".into(), "never".into(), "b".into()],
            weights: Some(vec![1.0, 0.0, 1.0]),
        };
        let mut c = Column::Text(vec![Some("b".into()), Some("b".into())]);
        make_unique(&kind, &mut c);
        assert_eq!(c, Column::Text(vec![Some("b".into()), Some("a".into())]));
        assert_eq!(distinct_values(&kind, 10), 2);

        let kind = ColumnKind::Pattern {
            pattern: "X#?".into(),
        };
        let mut c = Column::Text(vec![Some("X9A".into()); 3]);
        make_unique(&kind, &mut c);
        let texts = ["X9A", "X9B", "X9C"].map(|t| Some(t.to_owned())).to_vec();
        assert_eq!(c, Column::Text(texts));
        assert_eq!(distinct_values(&kind, 10), 260);

        let kind = ColumnKind::Date {
            start: date(2024, 2, 28),
            end: date(2024, 3, 1),
            format: "%d/%m/%Y".into(),
        };
        let mut c = Column::Text(vec![Some("01/03/2024".into()); 3]);
        make_unique(&kind, &mut c);
        let texts = ["01/03/2024", "28/02/2024", "29/02/2024"].map(|t| Some(t.to_owned()));
        assert_eq!(c, Column::Text(texts.to_vec()));
    }

    #[test]
    fn distinct_values_count_what_a_column_can_hold() {
        assert_eq!(distinct_values(&ColumnKind::Int { min: -2, max: 2 }, 0), 5);
        let money = ColumnKind::Decimal {
            min: 1.1,
            max: 2.2,
            decimals: 2,
        };
        assert_eq!(distinct_values(&money, 0), 111);
        let uniform = ColumnKind::Uniform { min: 0.0, max: 1.0 };
        assert_eq!(distinct_values(&uniform, 0), 1_000_000);
        let month = ColumnKind::Date {
            start: date(2024, 1, 1),
            end: date(2024, 12, 31),
            format: "%Y-%m".into(),
        };
        assert_eq!(distinct_values(&month, 100), 12);
        let id = |step| ColumnKind::Id {
            start: 1,
            step,
            prefix: None,
        };
        assert_eq!(distinct_values(&id(0), 5), 1);
        assert!(distinct_values(&id(1), 5) > 1_000_000);
        assert_eq!(distinct_values(&ColumnKind::Bool { p_true: 0.5 }, 5), 2);
    }
}
