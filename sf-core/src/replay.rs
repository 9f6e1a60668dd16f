//! The `replay` file of a kept workspace and of a failure bundle: a shell script holding the one
//! command that runs the test again on the data beside it.

use std::io;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

/// The name of the replay file at the top of a kept failed workspace and of a failure bundle.
pub const REPLAY_FILE: &str = "replay";

/// The text of a replay file: a `sh` script that runs `command` (with any arguments given to
/// the file passed on to it), after a comment line for each of `notes` (what the command
/// cannot reproduce).
pub(crate) fn replay_script(command: &str, notes: &[String]) -> String {
    let mut text = String::from("#!/bin/sh\n# Runs the test again on the data in this folder.\n");
    for note in notes {
        // A note is one comment line whatever it holds.
        text.push_str(&format!("# note: {}\n", note.replace('\n', " ")));
    }
    text.push_str(&format!("exec {command} \"$@\"\n"));
    text
}

/// Writes `dir/replay` atomically, executable.
pub(crate) fn write_replay_file(dir: &Path, command: &str, notes: &[String]) -> io::Result<()> {
    let path = dir.join(REPLAY_FILE);
    crate::atomic::write_atomic(&path, replay_script(command, notes).as_bytes())?;
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_replay_file_is_an_executable_script_that_runs_the_command() {
        let dir = tempfile::tempdir().unwrap();
        let notes = vec!["the checks of output `x`\nare not part of it".to_owned()];
        write_replay_file(dir.path(), "echo replayed", &notes).unwrap();
        let path = dir.path().join(REPLAY_FILE);
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(
            text.contains("# note: the checks of output `x` are not part of it\n"),
            "{text}"
        );
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o111, 0o111, "{mode:o}");
        let out = std::process::Command::new(&path)
            .arg("again")
            .output()
            .unwrap();
        assert!(out.status.success());
        assert_eq!(String::from_utf8_lossy(&out.stdout), "replayed again\n");
    }
}
