//! The `command` adapter: any executable, its context in the environment and `--key value`
//! arguments.

use std::ffi::OsString;
use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;

use super::AdapterError;
use crate::context::ExecutionContext;
use crate::script::Script;

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
