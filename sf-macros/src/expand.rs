//! The generated test: an ordinary `#[test]` that builds a spec through `::sf::__private` and runs
//! it, then calls the user's body.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use syn::ItemFn;

use crate::parse::ArgValue;
use crate::validate::Test;

pub(crate) fn expand(t: &Test, function: &ItemFn) -> TokenStream {
    let name = &function.sig.ident;
    let vis = &function.vis;
    let attrs = &function.attrs;
    let mut body = function.clone();
    body.attrs.clear();
    body.vis = syn::Visibility::Inherited;
    body.sig.ident = format_ident!("__sf_body");

    let script = &t.script;
    let mut spec = quote! { ::sf::__private::spec(::core::env!("CARGO_MANIFEST_DIR"), ::core::option_env!("CARGO_TARGET_TMPDIR"), #script, ::core::stringify!(#name)) };
    if !t.inputs.is_empty() {
        let names = &t.inputs;
        spec = quote! { ::sf::__private::inputs(#spec, &[#(#names),*]) };
    }
    if !t.outputs.is_empty() {
        let names = &t.outputs;
        spec = quote! { ::sf::__private::outputs(#spec, &[#(#names),*]) };
    }
    if let Some(p) = t.data.map(|p| p.name()) {
        spec = quote! { ::sf::__private::profile(#spec, #p) };
    }
    if let Some(s) = t.size.map(|s| s.name()) {
        spec = quote! { ::sf::__private::size(#spec, #s) };
    }
    if let Some(r) = t.rows {
        spec = quote! { ::sf::__private::rows(#spec, #r) };
    }
    if let Some(f) = t.format.map(|f| f.name()) {
        spec = quote! { ::sf::__private::format(#spec, #f) };
    }
    if let Some(s) = t.seed {
        spec = quote! { ::sf::__private::seed(#spec, #s) };
    }
    for (k, v) in &t.env {
        spec = quote! { ::sf::__private::env(#spec, #k, #v) };
    }
    for (k, v) in &t.job_args {
        let value = match v {
            ArgValue::Str(s) => quote! { ::sf::__private::json_str(#s) },
            ArgValue::Int(i) => quote! { ::sf::__private::json_i64(#i) },
            ArgValue::Float(f) => quote! { ::sf::__private::json_f64(#f) },
            ArgValue::Bool(b) => quote! { ::sf::__private::json_bool(#b) },
        };
        spec = quote! { ::sf::__private::job_arg(#spec, #k, #value) };
    }
    if let Some(ms) = t.timeout_ms {
        spec = quote! { ::sf::__private::timeout_ms(#spec, #ms) };
    }
    if t.expect_fail {
        spec = quote! { ::sf::__private::expect_fail(#spec) };
    }
    if let Some(root) = &t.import_root {
        spec = quote! { ::sf::__private::import_root(#spec, #root) };
    }
    if !t.requirements.is_empty() {
        let reqs = &t.requirements;
        spec = quote! { ::sf::__private::requirements(#spec, &[#(#reqs),*]) };
    }
    if let Some(mode) = t.runtime_installs {
        spec = quote! { ::sf::__private::runtime_installs(#spec, #mode) };
    }
    if let Some(file) = &t.requirements_file {
        spec = quote! { ::sf::__private::requirements_file(#spec, #file) };
    }
    // Last: every output channel is known by now.
    if t.golden {
        spec = quote! { ::sf::__private::golden(#spec, ::core::module_path!()) };
    }
    let ignore = match &t.ignore {
        Some(Some(reason)) => quote! { #[ignore = #reason] },
        Some(None) => quote! { #[ignore] },
        None => quote! {},
    };
    let run = match (&t.proptest, t.takes_run) {
        (Some(p), _) => {
            let (cases, shrink) = (p.cases, p.max_shrink_iters);
            let (min_rows, max_rows, edges) = (p.min_rows, p.max_rows, p.edge_values);
            let warm = p.warm;
            quote! {
                ::sf::__private::run_property_test(
                    __sf_spec,
                    ::sf::__private::PropertySettings {
                        cases: #cases,
                        max_shrink_iters: #shrink,
                        min_rows: #min_rows,
                        max_rows: #max_rows,
                        edge_values: #edges,
                        warm: #warm,
                    },
                    ::core::module_path!(),
                    ::core::stringify!(#name),
                );
                __sf_body();
            }
        }
        (None, true) => quote! {
            let __sf_run = ::sf::__private::run_script_test(__sf_spec);
            __sf_body(__sf_run);
        },
        (None, false) => quote! {
            let __sf_run = ::sf::__private::run_script_test(__sf_spec);
            __sf_body();
            ::core::mem::drop(__sf_run);
        },
    };
    quote! {
        #(#attrs)*
        #[test]
        #ignore
        #vis fn #name() {
            #[allow(clippy::needless_pass_by_value)]
            #body
            let __sf_spec = #spec;
            #run
        }
    }
}

/// The errors, plus the user's function as written (so no follow-on errors appear).
pub(crate) fn fallback(err: syn::Error, function: &ItemFn) -> TokenStream {
    let err = err.to_compile_error();
    quote! {
        #err
        #[allow(dead_code)]
        #function
    }
}
