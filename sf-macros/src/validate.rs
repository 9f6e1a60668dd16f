//! Checks the parsed attribute against the function and the repository, collecting every error
//! with the span of the tokens at fault.

use std::path::{Path, PathBuf};

use proc_macro2::Span;
use sf_vocab::{Expectation, Format, Profile, RuntimeInstalls, Size, Vocabulary};
use syn::spanned::Spanned;
use syn::{FnArg, ItemFn, LitStr, ReturnType, Type};

use crate::parse::{ArgValue, Args};

use sf_vocab::{CONVENTIONAL_SCRIPT_DIRS as SCRIPT_DIRS, script_file_names};

/// Property mode settings.
pub(crate) struct Prop {
    pub(crate) cases: u32,
    pub(crate) max_shrink_iters: u32,
    pub(crate) min_rows: usize,
    pub(crate) max_rows: usize,
    pub(crate) edge_values: bool,
    pub(crate) warm: bool,
}

/// A checked script test, ready to expand.
pub(crate) struct Test {
    pub(crate) script: String,
    pub(crate) data: Option<Profile>,
    pub(crate) size: Option<Size>,
    pub(crate) rows: Option<usize>,
    pub(crate) seed: Option<u64>,
    pub(crate) format: Option<Format>,
    pub(crate) timeout_ms: Option<u64>,
    pub(crate) expect_fail: bool,
    pub(crate) import_root: Option<String>,
    pub(crate) requirements: Vec<String>,
    pub(crate) requirements_file: Option<String>,
    pub(crate) runtime_installs: Option<&'static str>,
    pub(crate) ignore: Option<Option<LitStr>>,
    pub(crate) env: Vec<(String, String)>,
    pub(crate) job_args: Vec<(String, ArgValue)>,
    pub(crate) inputs: Vec<String>,
    pub(crate) outputs: Vec<String>,
    pub(crate) proptest: Option<Prop>,
    pub(crate) takes_run: bool,
    pub(crate) golden: bool,
}

/// The value of a vocabulary argument, parsed by sf's own parser; its error goes on the literal.
fn word<V: Vocabulary>(lit: &Option<LitStr>, errors: &mut Vec<syn::Error>) -> Option<V> {
    let lit = lit.as_ref()?;
    lit.value()
        .parse()
        .map_err(|err| errors.push(syn::Error::new_spanned(lit, err)))
        .ok()
}

fn number<T: std::str::FromStr>(
    lit: &Option<syn::LitInt>,
    errors: &mut Vec<syn::Error>,
) -> Option<T>
where
    T::Err: std::fmt::Display,
{
    let lit = lit.as_ref()?;
    lit.base10_parse::<T>().map_err(|e| errors.push(e)).ok()
}

pub(crate) fn validate(
    args: Args,
    function: &ItemFn,
    errors: &mut Vec<syn::Error>,
) -> Option<Test> {
    let takes_run = check_signature(function, errors);
    let data = word::<Profile>(&args.data, errors);
    let size = word::<Size>(&args.size, errors);
    let format = word::<Format>(&args.format, errors);
    let expect = word::<Expectation>(&args.expect, errors);
    let runtime_installs = word::<RuntimeInstalls>(&args.runtime_installs, errors);
    if let (Some(rows), Some(_)) = (&args.rows, &args.size) {
        errors.push(syn::Error::new_spanned(
            rows,
            "`rows` and `size` both set the row count; keep one",
        ));
    }
    let timeout_ms =
        args.timeout
            .as_ref()
            .and_then(|t| match humantime::parse_duration(&t.value()) {
                Ok(d) if d > sf_vocab::MAX_TIMEOUT => {
                    errors.push(syn::Error::new_spanned(
                        t,
                        format!(
                            "`{}` is longer than {} days, the longest timeout sf takes",
                            t.value(),
                            sf_vocab::MAX_TIMEOUT.as_secs() / 86_400
                        ),
                    ));
                    None
                }
                Ok(d) if !d.is_zero() => u64::try_from(d.as_millis()).ok(),
                Ok(_) => {
                    errors.push(syn::Error::new_spanned(
                        t,
                        "the timeout must be longer than zero",
                    ));
                    None
                }
                Err(e) => {
                    errors.push(syn::Error::new_spanned(
                        t,
                        format!(
                            "`{}` is not a duration ({e}); write for example \"60s\" or \"2m\"",
                            t.value()
                        ),
                    ));
                    None
                }
            });
    let proptest = args.proptest.as_ref().map(|p| {
        let prop = Prop {
            cases: number(&p.cases, errors).unwrap_or(64),
            max_shrink_iters: number(&p.max_shrink_iters, errors).unwrap_or(u32::MAX),
            min_rows: number(&p.min_rows, errors).unwrap_or(0),
            max_rows: number(&p.max_rows, errors).unwrap_or(50),
            edge_values: p.edge_values.as_ref().is_none_or(syn::LitBool::value),
            warm: p.warm.as_ref().is_none_or(syn::LitBool::value),
        };
        if let Some(min) = &p.min_rows
            && prop.min_rows > prop.max_rows
        {
            errors.push(syn::Error::new_spanned(
                min,
                format!(
                    "`min_rows` {} is more than `max_rows` {}",
                    prop.min_rows, prop.max_rows
                ),
            ));
        }
        prop
    });
    if let Some(p) = &args.proptest {
        let span = p.span.unwrap_or_else(Span::call_site);
        if takes_run == Some(true) {
            errors.push(syn::Error::new(
                function.sig.inputs.span(),
                "a proptest(...) test runs many datasets, so the function takes no ScriptRun",
            ));
        }
        if expect == Some(Expectation::Fail) {
            errors.push(syn::Error::new(
                span,
                "`expect = \"fail\"` does not combine with proptest(...)",
            ));
        }
        if let Some(golden) = args.golden.as_ref().filter(|g| g.value) {
            errors.push(syn::Error::new_spanned(
                golden,
                "`golden = true` compares the outputs of one seeded run; it does not combine with proptest(...)",
            ));
        }
        if args.rows.is_some() || args.size.is_some() {
            errors.push(syn::Error::new(span, "proptest(...) generates datasets of every size: use min_rows and max_rows instead of rows or size"));
        }
    }
    let script = resolve_script(args.script.as_ref(), &function.sig.ident, errors);
    Some(Test {
        script: script?,
        data,
        size,
        rows: number(&args.rows, errors),
        seed: number(&args.seed, errors),
        format,
        timeout_ms,
        expect_fail: expect == Some(Expectation::Fail),
        import_root: args.import_root.as_ref().map(LitStr::value),
        requirements: args.requirements.iter().map(LitStr::value).collect(),
        requirements_file: args.requirements_file.as_ref().map(LitStr::value),
        runtime_installs: runtime_installs.map(|r| r.name()),
        golden: args.golden.as_ref().is_some_and(|g| g.value),
        ignore: args.ignore.map(|(_, reason)| reason),
        env: args
            .env
            .iter()
            .map(|(k, v)| (k.to_string(), v.value()))
            .collect(),
        job_args: args
            .job_args
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect(),
        inputs: channel_names(&args.inputs, errors),
        outputs: channel_names(&args.outputs, errors),
        proptest,
        takes_run: takes_run?,
    })
}

/// `Some(true)` for `fn f(run: ScriptRun)`, `Some(false)` for `fn f()`, `None` (with errors) for
/// anything the test cannot call.
fn check_signature(function: &ItemFn, errors: &mut Vec<syn::Error>) -> Option<bool> {
    let sig = &function.sig;
    let before = errors.len();
    if let Some(a) = &sig.asyncness {
        errors.push(syn::Error::new_spanned(a, "a script test cannot be async"));
    }
    if !sig.generics.params.is_empty() {
        errors.push(syn::Error::new_spanned(
            &sig.generics,
            "a script test cannot be generic",
        ));
    }
    if let ReturnType::Type(_, ty) = &sig.output {
        errors.push(syn::Error::new_spanned(
            ty,
            "a script test returns nothing; assert inside the body instead",
        ));
    }
    let takes_run = match sig.inputs.len() {
        0 => false,
        1 => {
            let arg = sig.inputs.first().expect("one input");
            let is_run = match arg {
                FnArg::Typed(t) => {
                    matches!(&*t.ty, Type::Path(p) if p.path.segments.last().is_some_and(|s| s.ident == "ScriptRun"))
                }
                FnArg::Receiver(_) => false,
            };
            if !is_run {
                errors.push(syn::Error::new_spanned(
                    arg,
                    "the only parameter a script test takes is `run: sf::ScriptRun`",
                ));
            }
            true
        }
        _ => {
            errors.push(syn::Error::new_spanned(
                &sig.inputs,
                "a script test takes nothing, or one `run: sf::ScriptRun`",
            ));
            false
        }
    };
    (errors.len() == before).then_some(takes_run)
}

/// The channel names, each checked to be one folder of a workspace.
fn channel_names(names: &[LitStr], errors: &mut Vec<syn::Error>) -> Vec<String> {
    for name in names {
        if let Err(e) = sf_vocab::check_channel_name(&name.value()) {
            errors.push(syn::Error::new_spanned(name, e.to_string()));
        }
    }
    names.iter().map(LitStr::value).collect()
}

fn manifest_dir() -> PathBuf {
    std::env::var_os("CARGO_MANIFEST_DIR").map_or_else(|| PathBuf::from("."), PathBuf::from)
}

/// Script stems in the conventional directories, with their paths relative to `root`.
fn known_scripts(root: &Path) -> Vec<(String, String)> {
    let mut found = Vec::new();
    for dir in SCRIPT_DIRS {
        let Ok(entries) = std::fs::read_dir(root.join(dir)) else {
            continue;
        };
        for e in entries.flatten().filter(|e| e.path().is_file()) {
            let name = e.file_name().to_string_lossy().into_owned();
            let stem = name.split('.').next().unwrap_or(&name).to_owned();
            found.push((stem, format!("{dir}/{name}")));
        }
    }
    found
}

fn find_name(root: &Path, name: &str) -> Result<String, Vec<String>> {
    let mut looked = Vec::new();
    for dir in SCRIPT_DIRS {
        for file in script_file_names(name) {
            let rel = format!("{dir}/{file}");
            if root.join(&rel).is_file() {
                return Ok(rel);
            }
            looked.push(rel);
        }
    }
    Err(looked)
}

fn resolve_script(
    script: Option<&LitStr>,
    function: &syn::Ident,
    errors: &mut Vec<syn::Error>,
) -> Option<String> {
    let root = manifest_dir();
    match script {
        Some(lit) => {
            let text = lit.value();
            if root.join(&text).is_dir() {
                errors.push(syn::Error::new_spanned(
                    lit,
                    format!("`{text}` is a directory; `script` names one script: a file (`{}/NAME.py`) or a name looked up in {}", text.trim_end_matches('/'), SCRIPT_DIRS.join(", ")),
                ));
                return None;
            }
            if text.contains('/') || Path::new(&text).extension().is_some() {
                if root.join(&text).is_file() {
                    Some(text)
                } else {
                    errors.push(syn::Error::new_spanned(lit, format!("`{text}` does not exist (paths are relative to the crate's manifest directory)")));
                    None
                }
            } else {
                find_name(&root, &text)
                    .map_err(|looked| {
                        errors.push(syn::Error::new_spanned(
                            lit,
                            format!("script `{text}` not found; looked in {}", looked.join(", ")),
                        ));
                    })
                    .ok()
            }
        }
        None => {
            let name = function.to_string();
            if let Ok(rel) = find_name(&root, &name) {
                return Some(rel);
            }
            // `tabular_preprocessing_never_crashes` tests `tabular_preprocessing`.
            let best = known_scripts(&root)
                .into_iter()
                .filter(|(stem, _)| name.starts_with(&format!("{stem}_")))
                .max_by_key(|(stem, _)| stem.len());
            match best {
                Some((_, rel)) => Some(rel),
                None => {
                    errors.push(syn::Error::new_spanned(
                        function,
                        format!(
                            "no script called `{name}` (or a prefix of it) in {}; name one with script = \"...\"",
                            SCRIPT_DIRS.join(", ")
                        ),
                    ));
                    None
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(attr: &str) -> (Option<Test>, Vec<String>) {
        let (args, mut errors) = crate::parse::parse(attr.parse().unwrap());
        let function: ItemFn = syn::parse_str("fn t() {}").unwrap();
        let test = validate(args, &function, &mut errors);
        // A combined error (every mistake inside `proptest(...)`) counts as each of its parts.
        let messages = errors.iter().flatten().map(|e| e.to_string()).collect();
        (test, messages)
    }

    #[test]
    fn the_attribute_accepts_the_names_sf_toml_accepts() {
        let (test, errors) = check(
            r#"script = "/bin/sh", data = "tabular", size = "large", format = "ndjson", expect = "fail""#,
        );
        assert_eq!(errors, Vec::<String>::new());
        let test = test.unwrap();
        assert_eq!(test.data, Some(Profile::Tabular));
        assert_eq!(test.size, Some(Size::Large));
        assert_eq!(test.format, Some(Format::Jsonl));
        assert!(test.expect_fail);
    }

    #[test]
    fn proptest_takes_a_row_range_and_edge_values() {
        let (test, errors) = check(
            r#"script = "/bin/sh", proptest(cases = 4, min_rows = 1, max_rows = 9, edge_values = false)"#,
        );
        assert_eq!(errors, Vec::<String>::new());
        let p = test.unwrap().proptest.unwrap();
        assert_eq!(
            (p.cases, p.min_rows, p.max_rows, p.edge_values),
            (4, 1, 9, false)
        );
        let (test, _) = check(r#"script = "/bin/sh", proptest"#);
        let p = test.unwrap().proptest.unwrap();
        assert_eq!((p.min_rows, p.max_rows, p.edge_values), (0, 50, true));

        let (_, errors) =
            check(r#"script = "/bin/sh", proptest(min_rows = 60, edge_values = "no", rows = 1)"#);
        assert_eq!(
            errors,
            [
                "`edge_values` takes true or false, like edge_values = false",
                "unknown proptest argument; expected cases, max_shrink_iters, min_rows, max_rows, edge_values or warm",
                "`min_rows` 60 is more than `max_rows` 50",
            ]
        );
    }

    #[test]
    fn every_unknown_name_is_an_error_that_lists_the_accepted_ones() {
        let (_, errors) = check(
            r#"script = "/bin/sh", data = "images", size = "huge", format = "xlsx", expect = "maybe""#,
        );
        assert_eq!(
            errors,
            [
                "unknown profile `images`; expected one of currency, tabular, training, generic",
                "unknown size `huge`; expected one of small, medium, large",
                "unknown format `xlsx`; expected one of csv, tsv, jsonl, npy, npz, parquet",
                "unknown expectation `maybe`; expected one of pass, fail",
            ]
        );
    }
}
