//! The `command` adapter: any executable, its context in the environment and `--key value`
//! arguments.

use std::ffi::OsString;
use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;

use super::AdapterError;
use crate::run::context::ExecutionContext;
use crate::script::Script;
use crate::workspace::Workspace;

pub(super) fn prepare(
    script: &Script,
    context: &ExecutionContext,
) -> Result<(PathBuf, Vec<OsString>), AdapterError> {
    let args = job_args_as_flags(context);
    let executable = std::fs::metadata(&script.path)
        .map(|m| m.permissions().mode() & 0o111 != 0)
        .unwrap_or(false);
    if executable {
        return Ok((script.path.clone(), args));
    }
    if script.path.extension().is_some_and(|e| e == "sh") {
        let mut with_script = vec![script.path.clone().into_os_string()];
        with_script.extend(args);
        return Ok((PathBuf::from("sh"), with_script));
    }
    Err(AdapterError::NotExecutable {
        path: script.path.clone(),
    })
}

/// Expands a configured command line: `{script}`, `{workspace}`, `{input:NAME}`,
/// `{output:NAME}` inside any argument, and `{job_args}` as an argument of its own.
pub(super) fn expand_argv(
    argv: &[String],
    script: &Script,
    workspace: &Workspace,
    context: &ExecutionContext,
) -> Result<(PathBuf, Vec<OsString>), AdapterError> {
    let mut out: Vec<OsString> = Vec::new();
    for arg in argv {
        if arg == "{job_args}" {
            out.extend(job_args_as_flags(context));
            continue;
        }
        let mut text = arg
            .replace("{script}", &script.path.to_string_lossy())
            .replace("{workspace}", &workspace.path().to_string_lossy());
        for (prefix, paths) in [
            ("input", &context.input_paths),
            ("output", &context.output_paths),
        ] {
            while let Some(start) = text.find(&format!("{{{prefix}:")) {
                let rest = &text[start + prefix.len() + 2..];
                let end = rest.find('}').ok_or_else(|| {
                    AdapterError::BadArgv(format!("unclosed placeholder in `{arg}`"))
                })?;
                let name = &rest[..end];
                let path = paths.get(name).ok_or_else(|| {
                    AdapterError::BadArgv(format!(
                        "`{arg}` names {prefix} channel `{name}`, which the test does not have"
                    ))
                })?;
                text = format!("{}{}{}", &text[..start], path.display(), &rest[end + 1..]);
            }
        }
        out.push(text.into());
    }
    let mut parts = out.into_iter();
    let program = parts
        .next()
        .ok_or_else(|| AdapterError::BadArgv("the command line is empty".to_owned()))?;
    Ok((PathBuf::from(program), parts.collect()))
}

/// Job arguments as command-line flags: `--key value`; strings as they are, numbers and
/// booleans in their JSON spelling, lists and objects as JSON text.
pub(crate) fn job_args_as_flags(context: &ExecutionContext) -> Vec<OsString> {
    let mut args = Vec::new();
    for (key, value) in &context.job_args {
        args.push(format!("--{key}").into());
        let text = match value {
            serde_json::Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        args.push(text.into());
    }
    args
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn job_args_become_flags_in_key_order() {
        let mut ctx = ExecutionContext::default();
        ctx.job_args.insert("job_type".into(), "training".into());
        ctx.job_args.insert("epochs".into(), 3.into());
        ctx.job_args
            .insert("cols".into(), serde_json::json!(["a", "b"]));
        let flags: Vec<String> = job_args_as_flags(&ctx)
            .into_iter()
            .map(|a| a.into_string().unwrap())
            .collect();
        assert_eq!(
            flags,
            [
                "--cols",
                "[\"a\",\"b\"]",
                "--epochs",
                "3",
                "--job_type",
                "training"
            ]
        );
    }
}
