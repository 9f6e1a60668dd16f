//! Generator profiles and dataset sizes.

vocabulary! {
    /// A named data generator.
    pub enum Profile("profile") {
        /// `from_currency`, `to_currency` (distinct ISO codes), `amount` (1–10,000, two
        /// decimals), `date` (within the year before the reference date, 2025-01-01).
        Currency = "currency",
        /// `id`, `feature_1` (normal, 5% missing), `feature_2` (uniform −10..10), `feature_3`
        /// (A/B/C), `target` (0/1).
        Tabular = "tabular",
        /// `feature_0` … `feature_9` (normal), `target` = 1 when `feature_0 + 0.5·feature_1 +
        /// 0.5·noise > 0`.
        Training = "training",
        /// `id`, `value` (normal), `category` (X/Y/Z).
        Generic = "generic",
    }
}

impl Profile {
    /// The profile a script most likely wants, from its name: `currency` → currency, `tabular`
    /// or `preprocess` → tabular, `xgboost` or `train` → training, anything else → generic.
    pub fn guess(script_name: &str) -> Profile {
        let name = script_name.to_ascii_lowercase();
        if name.contains("currency") {
            Profile::Currency
        } else if name.contains("tabular") || name.contains("preprocess") {
            Profile::Tabular
        } else if name.contains("xgboost") || name.contains("train") {
            Profile::Training
        } else {
            Profile::Generic
        }
    }
}

vocabulary! {
    /// A named dataset size.
    #[derive(Default)]
    pub enum Size("size") {
        /// The default: hundreds to a thousand rows.
        #[default]
        Small = "small",
        /// Ten times small.
        Medium = "medium",
        /// A hundred times small.
        Large = "large",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_guess_the_profile_like_the_documentation_says() {
        assert_eq!(Profile::guess("currency_conversion"), Profile::Currency);
        assert_eq!(Profile::guess("tabular_preprocessing"), Profile::Tabular);
        assert_eq!(Profile::guess("risk_preprocess"), Profile::Tabular);
        assert_eq!(Profile::guess("xgboost_model_eval"), Profile::Training);
        assert_eq!(Profile::guess("model_training"), Profile::Training);
        assert_eq!(Profile::guess("payload"), Profile::Generic);
    }
}
