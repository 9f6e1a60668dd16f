//! Where a script named by its stem is looked for, and under which file names.

/// Directories searched for a script name, relative to the base directory (the crate's manifest
/// directory, or the configuration's), in order.
pub const CONVENTIONAL_SCRIPT_DIRS: [&str; 3] = [
    "src/cursus/steps/scripts",
    "cursus/steps/scripts",
    "scripts",
];

/// The file names tried for the script `name` in each directory, in order: `NAME.py`, `NAME.sh`,
/// `NAME`.
pub fn script_file_names(name: &str) -> [String; 3] {
    [format!("{name}.py"), format!("{name}.sh"), name.to_owned()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_comes_before_shell_before_a_bare_name() {
        assert_eq!(
            script_file_names("convert"),
            ["convert.py", "convert.sh", "convert"]
        );
        assert_eq!(CONVENTIONAL_SCRIPT_DIRS.last(), Some(&"scripts"));
    }
}
