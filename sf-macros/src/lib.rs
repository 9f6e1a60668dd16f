//! `#[script_test]`: turns a function into a test that runs a data-pipeline script.
//!
//! The crate only parses the attribute into a typed model ([`parse`]), checks it ([`validate`],
//! reading profiles, sizes, formats and expectations with sf-vocab's parsers), and emits calls
//! into `::sf::__private` ([`expand`]); the behaviour lives in sf-core.

use proc_macro::TokenStream;

mod expand;
mod parse;
mod validate;

/// Turns a function into a script test. See the `sf` crate's documentation for the arguments.
#[proc_macro_attribute]
pub fn script_test(attr: TokenStream, item: TokenStream) -> TokenStream {
    let item: proc_macro2::TokenStream = item.into();
    let function = match syn::parse2::<syn::ItemFn>(item.clone()) {
        Ok(f) => f,
        Err(err) => {
            let mut out = err.to_compile_error();
            out.extend(item);
            return out.into();
        }
    };
    let (args, mut errors) = parse::parse(attr.into());
    let checked = validate::validate(args, &function, &mut errors);
    match (
        checked,
        errors.into_iter().reduce(|mut a, b| {
            a.combine(b);
            a
        }),
    ) {
        (Some(test), None) => expand::expand(&test, &function).into(),
        (_, Some(err)) => expand::fallback(err, &function).into(),
        (None, None) => expand::fallback(
            syn::Error::new(proc_macro2::Span::call_site(), "invalid #[script_test]"),
            &function,
        )
        .into(),
    }
}
