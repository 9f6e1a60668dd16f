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
        out.push(expand_arg(arg, script, workspace, context)?.into());
    }
    let mut parts = out.into_iter();
    let program = parts
        .next()
        .ok_or_else(|| AdapterError::BadArgv("the command line is empty".to_owned()))?;
    Ok((PathBuf::from(program), parts.collect()))
}

/// Expands the placeholders of one argument in a single pass from left to right: what a
/// placeholder expands to (a path that itself holds `{input:x}`, say) is never expanded again.
/// Braces that are not a placeholder stay as they are.
fn expand_arg(
    arg: &str,
    script: &Script,
    workspace: &Workspace,
    context: &ExecutionContext,
) -> Result<String, AdapterError> {
    let mut out = String::with_capacity(arg.len());
    let mut rest = arg;
    while let Some(start) = rest.find('{') {
        out.push_str(&rest[..start]);
        let after = &rest[start + 1..];
        let channel = ["input:", "output:"]
            .into_iter()
            .find(|prefix| after.starts_with(prefix));
        // A placeholder is `{name}` with no brace inside; any other `{` is text.
        let name = after
            .find(['{', '}'])
            .filter(|&end| after.as_bytes()[end] == b'}')
            .map(|end| &after[..end]);
        let expanded = match (name, channel) {
            (None, Some(_)) => {
                return Err(AdapterError::BadArgv(format!(
                    "unclosed placeholder in `{arg}`"
                )));
            }
            (Some("script"), _) => Some(script.path.to_string_lossy().into_owned()),
            (Some("workspace"), _) => Some(workspace.path().to_string_lossy().into_owned()),
            (Some(name), Some(prefix)) => {
                let (kind, paths) = if prefix == "input:" {
                    ("input", &context.input_paths)
                } else {
                    ("output", &context.output_paths)
                };
                let channel = &name[prefix.len()..];
                let path = paths.get(channel).ok_or_else(|| {
                    AdapterError::BadArgv(format!(
                        "`{arg}` names {kind} channel `{channel}`, which the test does not have"
                    ))
                })?;
                Some(path.to_string_lossy().into_owned())
            }
            _ => None,
        };
        match (expanded, name) {
            (Some(text), Some(name)) => {
                out.push_str(&text);
                rest = &after[name.len() + 1..];
            }
            _ => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    Ok(out)
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

    #[test]
    fn placeholders_expand_once_even_when_a_path_holds_a_placeholder() {
        let script = Script {
            name: "s".into(),
            path: "/repo/{workspace}/s.sh".into(),
            adapter: crate::script::AdapterKind::Command,
        };
        let workspace = Workspace::at(std::path::Path::new("/runs/{input:input}/ws"));
        let mut ctx = ExecutionContext::default();
        ctx.input_paths
            .insert("input".into(), "/runs/{input:input}/ws/inputs/input".into());
        ctx.output_paths
            .insert("out".into(), "/o/{output:out}".into());
        let argv: Vec<String> = [
            "{script}",
            "--in={input:input}",
            "{output:out}/x",
            "{workspace}",
            "{literal} {",
            "--cfg={\"in\":\"{input:input}\"}",
            "{{input:input}}",
        ]
        .map(String::from)
        .into();
        let (program, args) = expand_argv(&argv, &script, &workspace, &ctx).unwrap();
        assert_eq!(program, std::path::PathBuf::from("/repo/{workspace}/s.sh"));
        let args: Vec<String> = args.into_iter().map(|a| a.into_string().unwrap()).collect();
        assert_eq!(
            args,
            [
                "--in=/runs/{input:input}/ws/inputs/input",
                "/o/{output:out}/x",
                "/runs/{input:input}/ws",
                "{literal} {",
                "--cfg={\"in\":\"/runs/{input:input}/ws/inputs/input\"}",
                "{/runs/{input:input}/ws/inputs/input}",
            ]
        );
        let unknown = ["x", "{input:nope}"].map(String::from);
        let err = expand_argv(&unknown, &script, &workspace, &ctx).unwrap_err();
        assert!(err.to_string().contains("input channel `nope`"), "{err}");
        let unclosed = ["x", "{ {output:out"].map(String::from);
        let err = expand_argv(&unclosed, &script, &workspace, &ctx).unwrap_err();
        assert!(err.to_string().contains("unclosed placeholder"), "{err}");
    }
}
