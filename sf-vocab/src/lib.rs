//! The names sf's users write — in `#[script_test(...)]`, in `sf.toml` and on the command line —
//! as enums that parse in one place.
//!
//! Every vocabulary implements [`FromStr`](std::str::FromStr) with an [`UnknownName`] error that
//! names the bad value and lists the accepted ones, [`Display`](std::fmt::Display) and serde
//! through the same names, and [`Vocabulary`] for code that handles any of them (error messages,
//! command-line parsers). The attribute macro, the configuration and the command line all parse
//! through these impls, so they accept exactly the same words.
//!
//! ```
//! use sf_vocab::{Format, Profile};
//!
//! assert_eq!("ndjson".parse::<Format>(), Ok(Format::Jsonl));
//! let err = "images".parse::<Profile>().unwrap_err();
//! assert_eq!(
//!     err.to_string(),
//!     "unknown profile `images`; expected one of currency, tabular, training, generic"
//! );
//! ```
#![warn(missing_docs)]

#[macro_use]
mod vocabulary;

mod adapter;
mod channel;
mod expectation;
mod format;
mod installs;
mod layout;
mod limits;
mod profile;
mod script;

pub use adapter::AdapterKind;
pub use channel::{InvalidChannelName, check_channel_name};
pub use expectation::Expectation;
pub use format::Format;
pub use installs::RuntimeInstalls;
pub use layout::{LayoutKind, RunLayout};
pub use limits::MAX_TIMEOUT;
pub use profile::{Profile, Size};
pub use script::{CONVENTIONAL_SCRIPT_DIRS, script_file_names};
pub use vocabulary::{UnknownName, Vocabulary};
