//! A table's rows as a proptest strategy that shrinks by halves.
//!
//! proptest's `vec` shrinks by deleting one element at a time, so a failure caused by one row
//! of fifty costs some fifty runs of the script before its values shrink. Here whole chunks go
//! first: half the rows, then quarters, down to single rows (as delta debugging does), so one
//! bad row among `n` is found in about `2 log2 n` runs. Each remaining row then shrinks its
//! cells in turn, as proptest's `vec` does.

use std::ops::RangeInclusive;

use proptest::strategy::{NewTree, Strategy, ValueTree};
use proptest::test_runner::TestRunner;

/// `lo..=hi` elements, each drawn from `element`.
#[derive(Debug, Clone)]
pub(crate) struct Rows<S> {
    element: S,
    counts: RangeInclusive<usize>,
}

pub(crate) fn rows<S: Strategy>(element: S, counts: RangeInclusive<usize>) -> Rows<S> {
    Rows { element, counts }
}

impl<S: Strategy> Strategy for Rows<S> {
    type Tree = RowsTree<S::Tree>;
    type Value = Vec<S::Value>;

    fn new_tree(&self, runner: &mut TestRunner) -> NewTree<Self> {
        let (lo, hi) = (*self.counts.start(), *self.counts.end());
        let len = (lo..=hi.max(lo)).new_tree(runner)?.current();
        let elements = (0..len)
            .map(|_| self.element.new_tree(runner))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(RowsTree {
            included: vec![true; elements.len()],
            elements,
            min: lo,
            phase: Phase::Delete {
                chunk: (len / 2).max(1),
                at: 0,
            },
            last: None,
        })
    }
}

#[derive(Debug, Clone, Copy)]
enum Phase {
    /// Deleting `chunk` included elements at a time, the next chunk starting at index `at`.
    Delete { chunk: usize, at: usize },
    /// Shrinking the element at this index.
    Shrink(usize),
}

#[derive(Debug, Clone)]
enum Step {
    Deleted(Vec<usize>),
    Shrunk(usize),
}

/// The value tree of [`Rows`].
#[derive(Debug, Clone)]
pub(crate) struct RowsTree<T> {
    elements: Vec<T>,
    included: Vec<bool>,
    min: usize,
    phase: Phase,
    last: Option<Step>,
}

impl<T> RowsTree<T> {
    fn count(&self) -> usize {
        self.included.iter().filter(|i| **i).count()
    }
}

impl<T: ValueTree> ValueTree for RowsTree<T> {
    type Value = Vec<T::Value>;

    fn current(&self) -> Self::Value {
        self.elements
            .iter()
            .zip(&self.included)
            .filter(|(_, included)| **included)
            .map(|(e, _)| e.current())
            .collect()
    }

    fn simplify(&mut self) -> bool {
        while let Phase::Delete { chunk, at } = self.phase {
            let room = self.count().saturating_sub(self.min);
            let take = chunk.min(room);
            let chosen: Vec<usize> = (at..self.elements.len())
                .filter(|&i| self.included[i])
                .take(take)
                .collect();
            if chosen.is_empty() {
                // This pass is over: smaller chunks, or on to the values.
                self.phase = if chunk > 1 && room > 0 {
                    Phase::Delete {
                        chunk: chunk / 2,
                        at: 0,
                    }
                } else {
                    Phase::Shrink(0)
                };
                continue;
            }
            for &i in &chosen {
                self.included[i] = false;
            }
            self.phase = Phase::Delete {
                chunk,
                at: chosen[chosen.len() - 1] + 1,
            };
            self.last = Some(Step::Deleted(chosen));
            return true;
        }
        while let Phase::Shrink(ix) = self.phase {
            if ix >= self.elements.len() {
                return false;
            }
            if self.included[ix] && self.elements[ix].simplify() {
                self.last = Some(Step::Shrunk(ix));
                return true;
            }
            self.phase = Phase::Shrink(ix + 1);
        }
        false
    }

    fn complicate(&mut self) -> bool {
        match self.last.take() {
            None => false,
            Some(Step::Deleted(chosen)) => {
                for i in chosen {
                    self.included[i] = true;
                }
                true
            }
            Some(Step::Shrunk(ix)) if self.elements[ix].complicate() => {
                self.last = Some(Step::Shrunk(ix));
                true
            }
            Some(Step::Shrunk(_)) => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::test_runner::{Config, RngAlgorithm, TestCaseError, TestError, TestRng};

    fn runner() -> TestRunner {
        TestRunner::new_with_rng(
            Config {
                cases: 64,
                failure_persistence: None,
                ..Config::default()
            },
            TestRng::deterministic_rng(RngAlgorithm::ChaCha),
        )
    }

    /// Runs of the test closure until the minimal case, and that case.
    fn shrink(
        strategy: impl Strategy<Value = Vec<u32>>,
        fails: impl Fn(&[u32]) -> bool,
    ) -> (u32, Vec<u32>) {
        let runs = std::cell::Cell::new(0);
        let result = runner().run(&strategy, |v| {
            runs.set(runs.get() + 1);
            if fails(&v) {
                Err(TestCaseError::fail("bad"))
            } else {
                Ok(())
            }
        });
        let Err(TestError::Fail(_, minimal)) = result else {
            panic!("{result:?}")
        };
        (runs.get(), minimal)
    }

    #[test]
    fn one_bad_row_among_many_is_found_in_a_fraction_of_the_runs() {
        let bad = |v: &[u32]| v.contains(&7);
        let (halving, minimal) = shrink(rows(0u32..8, 0..=200), bad);
        assert_eq!(minimal, [7]);
        let (one_by_one, minimal) = shrink(proptest::collection::vec(0u32..8, 0..=200), bad);
        assert_eq!(minimal, [7]);
        assert!(
            halving * 3 < one_by_one,
            "{halving} runs by halves, {one_by_one} one row at a time"
        );
    }

    #[test]
    fn rows_never_go_below_the_minimum_and_values_shrink() {
        let (_, minimal) = shrink(rows(0u32..100, 3..=40), |v| v.iter().sum::<u32>() > 50);
        assert!(minimal.len() >= 3, "{minimal:?}");
        assert!(minimal.iter().sum::<u32>() > 50);
        // Every value as small as it can be while the sum stays above 50.
        assert!(minimal.iter().sum::<u32>() <= 60, "{minimal:?}");
    }

    #[test]
    fn a_failure_needing_two_rows_keeps_both() {
        let (_, minimal) = shrink(rows(0u32..10, 0..=60), |v| v.contains(&3) && v.contains(&5));
        let mut sorted = minimal.clone();
        sorted.sort_unstable();
        assert_eq!(sorted, [3, 5]);
    }
}
