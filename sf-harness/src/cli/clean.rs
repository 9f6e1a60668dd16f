//! `sf clean-workspace`.

use std::io::{BufRead, IsTerminal, Write};

use anyhow::{Context, bail};

use super::args::CleanWorkspaceArgs;
use crate::exit_code;

pub(crate) fn run(args: CleanWorkspaceArgs) -> anyhow::Result<u8> {
    let root = &super::workspace_root(args.workspace_dir, args.config.as_deref())?;
    if !root.exists() {
        println!("nothing to clean: {} does not exist", root.display());
        return Ok(exit_code::PASS);
    }
    if std::fs::symlink_metadata(root)?.file_type().is_symlink() {
        bail!(
            "{} is a symbolic link; sf does not follow links when deleting",
            root.display()
        );
    }
    let (ours, other) =
        sf_core::scan_root(root).with_context(|| format!("cannot read {}", root.display()))?;
    if ours.is_empty() && !sf_core::is_sf_root(root) {
        bail!(
            "{} was not created by sf and holds no sf workspaces; refusing to touch it",
            root.display()
        );
    }
    if ours.is_empty() {
        println!(
            "nothing to clean: no sf workspaces under {}",
            root.display()
        );
        return Ok(exit_code::PASS);
    }
    println!(
        "{} sf workspace(s) under {} will be deleted",
        ours.len(),
        root.display()
    );
    if !other.is_empty() {
        println!(
            "{} other entr(ies) sf did not create will be left alone",
            other.len()
        );
    }
    if !args.yes {
        let stdin = std::io::stdin();
        if !stdin.is_terminal() {
            bail!("stdin is not a terminal, so sf cannot ask: pass --yes to delete");
        }
        print!("Delete them? [y/N] ");
        std::io::stdout().flush()?;
        let mut answer = String::new();
        stdin.lock().read_line(&mut answer)?;
        if !matches!(answer.trim(), "y" | "Y" | "yes" | "YES" | "Yes") {
            println!("nothing deleted");
            return Ok(exit_code::PASS);
        }
    }
    let report = sf_core::clean_root(root)?;
    println!("deleted {} workspace(s)", report.removed.len());
    for left in &report.left {
        println!("left {} (not created by sf)", left.display());
    }
    for busy in &report.in_use {
        println!("left {} (a run is using it)", busy.display());
    }
    for (path, reason) in &report.failed {
        eprintln!("error: cannot delete {}: {reason}", path.display());
    }
    if report.root_removed {
        println!("removed {}", root.display());
    }
    Ok(if report.failed.is_empty() {
        exit_code::PASS
    } else {
        exit_code::FAIL
    })
}
