//! What every vocabulary has: the [`Vocabulary`] trait, the [`UnknownName`] error, and the
//! `vocabulary!` macro that writes an enum with its names, parsing, display and serde.

use std::fmt;
use std::str::FromStr;

/// A name that is not in a vocabulary.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {kind} `{value}`; expected one of {}", .accepted.join(", "))]
pub struct UnknownName {
    /// What the vocabulary names (`profile`, `format`, ...).
    pub kind: &'static str,
    /// The name as it was written.
    pub value: String,
    /// The accepted names, as listed in messages and help.
    pub accepted: &'static [&'static str],
}

/// A closed set of names users write, parsed by [`FromStr`] and displayed by its canonical name.
pub trait Vocabulary: Copy + Eq + FromStr<Err = UnknownName> + fmt::Display + 'static {
    /// What the names name, in messages: `profile`, `size`, `format`, ...
    const KIND: &'static str;

    /// Every value, in documentation order.
    fn all() -> &'static [Self];

    /// The canonical names, in the order of [`Vocabulary::all`]. Some vocabularies accept
    /// aliases as well; messages and help list these.
    fn names() -> &'static [&'static str];

    /// The canonical name.
    fn name(self) -> &'static str;
}

/// `text`, lower-cased when the vocabulary ignores case.
pub(crate) fn fold(text: &str, ignore_case: bool) -> std::borrow::Cow<'_, str> {
    if ignore_case {
        text.to_ascii_lowercase().into()
    } else {
        text.into()
    }
}

/// Writes a vocabulary enum: `pub enum Name("kind") { Variant = "name" | "alias", ... }`, or
/// `pub enum Name("kind", ignore_case) { ... }` for one that accepts any ASCII case. The first
/// name of a variant is its canonical name; the rest are aliases [`FromStr`] also accepts.
macro_rules! vocabulary {
    (@ignore_case ignore_case) => {
        true
    };
    (@ignore_case) => {
        false
    };
    (
        $(#[$meta:meta])*
        pub enum $name:ident($kind:literal $(, $case:ident)?) {
            $(
                $(#[$vmeta:meta])*
                $variant:ident = $text:literal $(| $alias:literal)*
            ),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name {
            $(
                $(#[$vmeta])*
                $variant,
            )+
        }

        impl $name {
            /// Every value, in documentation order.
            pub const ALL: [$name; <[&str]>::len(&[$($text),+])] = [$($name::$variant),+];

            /// The canonical names, in the order of [`Self::ALL`].
            pub const NAMES: [&'static str; <[&str]>::len(&[$($text),+])] = [$($text),+];

            /// The name used in attributes, configuration and on the command line.
            pub const fn name(self) -> &'static str {
                match self {
                    $($name::$variant => $text,)+
                }
            }

            /// Parses a name; `None` when [`FromStr`](std::str::FromStr) rejects it.
            pub fn parse(text: &str) -> Option<$name> {
                text.parse().ok()
            }
        }

        impl $crate::vocabulary::Vocabulary for $name {
            const KIND: &'static str = $kind;

            fn all() -> &'static [Self] {
                &Self::ALL
            }

            fn names() -> &'static [&'static str] {
                &Self::NAMES
            }

            fn name(self) -> &'static str {
                $name::name(self)
            }
        }

        impl ::std::str::FromStr for $name {
            type Err = $crate::vocabulary::UnknownName;

            fn from_str(text: &str) -> ::std::result::Result<Self, Self::Err> {
                match &*$crate::vocabulary::fold(text, vocabulary!(@ignore_case $($case)?)) {
                    $($text $(| $alias)* => Ok($name::$variant),)+
                    _ => Err($crate::vocabulary::UnknownName {
                        kind: $kind,
                        value: text.to_owned(),
                        accepted: &Self::NAMES,
                    }),
                }
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.name())
            }
        }

        impl ::serde::Serialize for $name {
            fn serialize<S: ::serde::Serializer>(
                &self,
                serializer: S,
            ) -> ::std::result::Result<S::Ok, S::Error> {
                serializer.serialize_str(self.name())
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $name {
            fn deserialize<D: ::serde::Deserializer<'de>>(
                deserializer: D,
            ) -> ::std::result::Result<Self, D::Error> {
                let text = <::std::string::String as ::serde::Deserialize>::deserialize(deserializer)?;
                text.parse().map_err(::serde::de::Error::custom)
            }
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{AdapterKind, Expectation, Format, LayoutKind, Profile, RunLayout, Size};

    fn round_trips<V: Vocabulary + fmt::Debug + serde::Serialize + serde::de::DeserializeOwned>() {
        assert_eq!(V::all().len(), V::names().len(), "{}", V::KIND);
        for (&value, &name) in V::all().iter().zip(V::names()) {
            assert_eq!(value.name(), name);
            assert_eq!(value.to_string(), name);
            assert_eq!(name.parse::<V>(), Ok(value), "{}", V::KIND);
            let json = serde_json::to_string(&value).unwrap();
            assert_eq!(json, format!("\"{name}\""));
            assert_eq!(serde_json::from_str::<V>(&json).unwrap(), value);
        }
    }

    fn rejects<V: Vocabulary + fmt::Debug + serde::de::DeserializeOwned>(bad: &str) {
        let err = bad.parse::<V>().unwrap_err();
        assert_eq!(err.kind, V::KIND);
        assert_eq!(err.value, bad);
        assert_eq!(err.accepted, V::names());
        assert_eq!(
            err.to_string(),
            format!(
                "unknown {} `{bad}`; expected one of {}",
                V::KIND,
                V::names().join(", ")
            )
        );
        // serde parses through the same `FromStr`.
        let serde_err = serde_json::from_str::<V>(&format!("\"{bad}\"")).unwrap_err();
        assert!(
            serde_err.to_string().contains(&err.to_string()),
            "{serde_err}"
        );
    }

    #[test]
    fn every_name_round_trips_through_display_from_str_and_serde() {
        round_trips::<Profile>();
        round_trips::<Size>();
        round_trips::<Format>();
        round_trips::<LayoutKind>();
        round_trips::<RunLayout>();
        round_trips::<Expectation>();
        round_trips::<AdapterKind>();
    }

    #[test]
    fn a_bad_name_is_named_in_an_error_that_lists_the_accepted_ones() {
        rejects::<Profile>("images");
        rejects::<Size>("huge");
        rejects::<Format>("xlsx");
        rejects::<LayoutKind>("folders");
        rejects::<RunLayout>("docker");
        rejects::<Expectation>("maybe");
        rejects::<AdapterKind>("java");
        // Case matters except where a vocabulary says otherwise.
        rejects::<Profile>("Currency");
        rejects::<Size>("");
    }

    #[test]
    fn messages_read_as_before() {
        assert_eq!(
            "huge".parse::<Size>().unwrap_err().to_string(),
            "unknown size `huge`; expected one of small, medium, large"
        );
        assert_eq!(
            "sometimes".parse::<Expectation>().unwrap_err().to_string(),
            "unknown expectation `sometimes`; expected one of pass, fail"
        );
    }

    #[test]
    fn formats_accept_their_aliases_in_any_case() {
        for alias in [
            "jsonl",
            "json-lines",
            "jsonlines",
            "ndjson",
            "NDJSON",
            "JsonL",
        ] {
            assert_eq!(alias.parse::<Format>(), Ok(Format::Jsonl), "{alias}");
        }
        assert_eq!("CSV".parse::<Format>(), Ok(Format::Csv));
        assert_eq!(
            serde_json::from_str::<Format>("\"ndjson\"").unwrap(),
            Format::Jsonl
        );
        // Aliases parse but are never what a format is called.
        assert_eq!(Format::Jsonl.to_string(), "jsonl");
        assert_eq!(Format::parse("PARQUET"), Some(Format::Parquet));
        assert_eq!(Format::parse("xlsx"), None);
    }
}
