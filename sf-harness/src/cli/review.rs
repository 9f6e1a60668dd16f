//! `sf review`: the outputs that differ from their golden copies, shown and accepted or
//! discarded, as `cargo insta review` does for snapshots.

use std::io::{BufRead, IsTerminal, Write};
use std::path::Path;

use sf_core::{GoldenDiff, accept_pending, compare_pending, find_pending, pending_diff};

use super::args::ReviewArgs;
use crate::exit_code;

pub(crate) fn run(args: ReviewArgs) -> anyhow::Result<u8> {
    let base = args
        .config
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let root = base.join("sf-golden");
    let pending: Vec<_> = find_pending(&root)
        .into_iter()
        .filter(|p| {
            let shown = p.strip_prefix(&root).unwrap_or(p).display().to_string();
            args.filters.is_empty() || args.filters.iter().any(|f| shown.contains(f.as_str()))
        })
        .collect();
    if pending.is_empty() {
        println!("no new outputs to review under {}", root.display());
        return Ok(exit_code::PASS);
    }
    if (args.accept || !args.reject) && sf_core::in_ci() {
        for p in &pending {
            println!("{}", p.display());
        }
        eprintln!("error: CI is set: sf accepts no golden outputs in CI");
        return Ok(exit_code::FAIL);
    }
    let interactive = !args.accept && !args.reject && std::io::stdin().is_terminal();
    let mut stdin = std::io::stdin().lock();
    let (mut accepted, mut rejected, mut left) = (0, 0, 0);
    for p in &pending {
        print!("{}", describe(&root, p));
        let choice = if args.accept {
            'a'
        } else if args.reject {
            'r'
        } else if interactive {
            print!("  [a]ccept, [r]eject, [s]kip, [q]uit? ");
            std::io::stdout().flush()?;
            let mut line = String::new();
            stdin.read_line(&mut line)?;
            line.trim().chars().next().unwrap_or('s')
        } else {
            's'
        };
        match choice {
            'a' => {
                let golden = accept_pending(p)?;
                println!("  accepted: {}", golden.display());
                accepted += 1;
            }
            'r' => {
                sf_core::reject_pending(p)?;
                println!("  discarded");
                rejected += 1;
            }
            'q' => {
                left += 1;
                break;
            }
            _ => left += 1,
        }
    }
    println!("\n{accepted} accepted, {rejected} discarded, {left} left for review");
    if left > 0 && !interactive {
        println!(
            "accept them with `sf review --accept`, or discard them with `sf review --reject`"
        );
    }
    Ok(exit_code::PASS)
}

/// The new outputs at `pending` against their golden copy, as the run that left them saw it.
fn describe(root: &Path, pending: &Path) -> String {
    let shown = pending.strip_prefix(root).unwrap_or(pending).display();
    let mut out = format!("{shown}\n");
    let diff: Option<GoldenDiff> = pending_diff(pending);
    let files = match &diff {
        Some(d) => {
            if let Some(reason) = &d.reason {
                out.push_str(&format!("  {reason}\n"));
            }
            d.files.clone()
        }
        None => compare_pending(pending, &sf_core::Golden::default()),
    };
    for file in files {
        out.push_str(&format!("  {}: {}\n", file.file, file.summary));
        if !file.columns.is_empty() {
            let per: Vec<String> = file
                .columns
                .iter()
                .map(|(c, n)| format!("{c}: {n}"))
                .collect();
            out.push_str(&format!("    per column: {}\n", per.join(", ")));
        }
        for line in &file.first {
            out.push_str(&format!("    {line}\n"));
        }
    }
    out
}
