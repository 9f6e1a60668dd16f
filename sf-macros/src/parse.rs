//! The attribute's grammar into a typed model. Every problem is collected, not just the first.

use proc_macro2::{Span, TokenStream};
use syn::meta::ParseNestedMeta;
use syn::spanned::Spanned;
use syn::{Ident, Lit, LitInt, LitStr, Token};

/// A job-argument value as written.
pub(crate) enum ArgValue {
    Str(LitStr),
    Int(LitInt),
    Float(syn::LitFloat),
    Bool(syn::LitBool),
}

/// `proptest(cases = N, max_shrink_iters = M, min_rows = A, max_rows = B, edge_values = false,
/// warm = false)`.
#[derive(Default)]
pub(crate) struct PropArgs {
    pub(crate) span: Option<Span>,
    pub(crate) cases: Option<LitInt>,
    pub(crate) max_shrink_iters: Option<LitInt>,
    pub(crate) min_rows: Option<LitInt>,
    pub(crate) max_rows: Option<LitInt>,
    pub(crate) edge_values: Option<syn::LitBool>,
    pub(crate) warm: Option<syn::LitBool>,
}

/// The attribute's arguments as written.
#[derive(Default)]
pub(crate) struct Args {
    pub(crate) script: Option<LitStr>,
    pub(crate) data: Option<LitStr>,
    pub(crate) size: Option<LitStr>,
    pub(crate) rows: Option<LitInt>,
    pub(crate) seed: Option<LitInt>,
    pub(crate) format: Option<LitStr>,
    pub(crate) timeout: Option<LitStr>,
    pub(crate) expect: Option<LitStr>,
    pub(crate) import_root: Option<LitStr>,
    pub(crate) requirements: Vec<LitStr>,
    pub(crate) requirements_file: Option<LitStr>,
    pub(crate) runtime_installs: Option<LitStr>,
    pub(crate) ignore: Option<(Span, Option<LitStr>)>,
    pub(crate) env: Vec<(Ident, LitStr)>,
    pub(crate) job_args: Vec<(Ident, ArgValue)>,
    pub(crate) inputs: Vec<LitStr>,
    pub(crate) outputs: Vec<LitStr>,
    pub(crate) proptest: Option<PropArgs>,
    pub(crate) golden: Option<syn::LitBool>,
}

const KEYS: &str = "script, data, size, rows, seed, format, env(...), job_args(...), inputs(...), outputs(...), timeout, expect, import_root, requirements(...), requirements_file, runtime_installs, golden, proptest(...), ignore";

pub(crate) fn parse(attr: TokenStream) -> (Args, Vec<syn::Error>) {
    let mut args = Args::default();
    let mut errors = Vec::new();
    let parser = syn::meta::parser(|meta| {
        if let Err(e) = one(&mut args, &meta) {
            errors.push(e);
            skip_value(&meta);
        }
        Ok(())
    });
    if let Err(e) = syn::parse::Parser::parse2(parser, attr) {
        errors.push(e);
    }
    (args, errors)
}

/// Consumes whatever follows a key the parser rejected, so parsing goes on to the next key.
fn skip_value(meta: &ParseNestedMeta<'_>) {
    if meta.input.peek(Token![=]) {
        let _ = meta.input.parse::<Token![=]>();
        let _ = meta.input.parse::<syn::Expr>();
    } else if meta.input.peek(syn::token::Paren) {
        let _ = meta.input.parse::<proc_macro2::Group>();
    }
}

fn set<T>(slot: &mut Option<T>, value: T, meta: &ParseNestedMeta<'_>) -> syn::Result<()> {
    if slot.is_some() {
        return Err(meta.error("this argument is given twice"));
    }
    *slot = Some(value);
    Ok(())
}

/// The literal after `=`. The whole value expression is consumed even when it is not a literal,
/// so one mistake gives one error.
fn lit(meta: &ParseNestedMeta<'_>) -> syn::Result<Lit> {
    let key = meta
        .path
        .get_ident()
        .map(Ident::to_string)
        .unwrap_or_default();
    match meta.value()?.parse::<syn::Expr>()? {
        syn::Expr::Lit(l) => Ok(l.lit),
        other => Err(syn::Error::new_spanned(
            other,
            format!("`{key}` takes a literal value (a string, number or boolean)"),
        )),
    }
}

fn string(meta: &ParseNestedMeta<'_>, what: &str) -> syn::Result<LitStr> {
    match lit(meta)? {
        Lit::Str(s) => Ok(s),
        other => Err(syn::Error::new_spanned(
            other,
            format!("`{what}` takes a string, like {what} = \"...\""),
        )),
    }
}

fn integer(meta: &ParseNestedMeta<'_>, what: &str) -> syn::Result<LitInt> {
    match lit(meta)? {
        Lit::Int(i) => Ok(i),
        other => Err(syn::Error::new_spanned(
            other,
            format!("`{what}` takes a whole number, like {what} = 7"),
        )),
    }
}

fn boolean(meta: &ParseNestedMeta<'_>, what: &str) -> syn::Result<syn::LitBool> {
    match lit(meta)? {
        Lit::Bool(b) => Ok(b),
        other => Err(syn::Error::new_spanned(
            other,
            format!("`{what}` takes true or false, like {what} = false"),
        )),
    }
}

fn one(args: &mut Args, meta: &ParseNestedMeta<'_>) -> syn::Result<()> {
    let Some(key) = meta.path.get_ident().map(Ident::to_string) else {
        return Err(meta.error(format!("unknown argument; expected one of {KEYS}")));
    };
    match key.as_str() {
        "script" => set(&mut args.script, string(meta, "script")?, meta),
        "data" => set(&mut args.data, string(meta, "data")?, meta),
        "size" => set(&mut args.size, string(meta, "size")?, meta),
        "format" => set(&mut args.format, string(meta, "format")?, meta),
        "timeout" => set(&mut args.timeout, string(meta, "timeout")?, meta),
        "expect" => set(&mut args.expect, string(meta, "expect")?, meta),
        "import_root" => set(&mut args.import_root, string(meta, "import_root")?, meta),
        "runtime_installs" => set(
            &mut args.runtime_installs,
            string(meta, "runtime_installs")?,
            meta,
        ),
        "requirements_file" => set(
            &mut args.requirements_file,
            string(meta, "requirements_file")?,
            meta,
        ),

        "golden" => set(&mut args.golden, boolean(meta, "golden")?, meta),
        "rows" => set(&mut args.rows, integer(meta, "rows")?, meta),
        "seed" => set(&mut args.seed, integer(meta, "seed")?, meta),
        "ignore" => {
            let reason = if meta.input.peek(Token![=]) {
                Some(string(meta, "ignore")?)
            } else {
                None
            };
            set(&mut args.ignore, (meta.path.span(), reason), meta)
        }
        "env" => meta.parse_nested_meta(|inner| {
            let name = inner.path.require_ident()?.clone();
            let value = string(&inner, &name.to_string())?;
            args.env.push((name, value));
            Ok(())
        }),
        "job_args" => meta.parse_nested_meta(|inner| {
            let name = inner.path.require_ident()?.clone();
            let value = match lit(&inner)? {
                Lit::Str(s) => ArgValue::Str(s),
                Lit::Int(i) => ArgValue::Int(i),
                Lit::Float(f) => ArgValue::Float(f),
                Lit::Bool(b) => ArgValue::Bool(b),
                other => {
                    return Err(syn::Error::new_spanned(
                        other,
                        "a job argument is a string, a number or a boolean",
                    ));
                }
            };
            args.job_args.push((name, value));
            Ok(())
        }),
        "inputs" | "outputs" | "requirements" => {
            let content;
            syn::parenthesized!(content in meta.input);
            let names = content.parse_terminated(|p| p.parse::<LitStr>(), Token![,])?;
            let list = match key.as_str() {
                "inputs" => &mut args.inputs,
                "outputs" => &mut args.outputs,
                _ => &mut args.requirements,
            };
            list.extend(names);
            Ok(())
        }
        "proptest" => {
            let mut p = PropArgs {
                span: Some(meta.path.span()),
                ..PropArgs::default()
            };
            let mut inner_errors = Vec::new();
            if meta.input.peek(syn::token::Paren) {
                meta.parse_nested_meta(|inner| {
                    let name = inner.path.get_ident().map(Ident::to_string).unwrap_or_default();
                    let outcome = match name.as_str() {
                        "cases" => integer(&inner, "cases").and_then(|v| set(&mut p.cases, v, &inner)),
                        "max_shrink_iters" => {
                            integer(&inner, "max_shrink_iters").and_then(|v| set(&mut p.max_shrink_iters, v, &inner))
                        }
                        "min_rows" => integer(&inner, "min_rows").and_then(|v| set(&mut p.min_rows, v, &inner)),
                        "max_rows" => integer(&inner, "max_rows").and_then(|v| set(&mut p.max_rows, v, &inner)),
                        "edge_values" => {
                            boolean(&inner, "edge_values").and_then(|v| set(&mut p.edge_values, v, &inner))
                        }
                        "warm" => boolean(&inner, "warm").and_then(|v| set(&mut p.warm, v, &inner)),
                        _ => Err(inner.error("unknown proptest argument; expected cases, max_shrink_iters, min_rows, max_rows, edge_values or warm")),
                    };
                    if let Err(e) = outcome {
                        inner_errors.push(e);
                        skip_value(&inner);
                    }
                    Ok(())
                })?;
            }
            set(&mut args.proptest, p, meta)?;
            match inner_errors.into_iter().reduce(|mut a, b| {
                a.combine(b);
                a
            }) {
                Some(e) => Err(e),
                None => Ok(()),
            }
        }
        _ => Err(meta.error(format!("unknown argument `{key}`; expected one of {KEYS}"))),
    }
}
