//! What the per-run container costs: the same tiny program run with the sandbox off, with the
//! sandbox on (its own namespaces, read-only host, private /tmp, Landlock), and with the network
//! off as well, interleaved round by round so that the machine's noise falls on every mode alike.
//! Run: `cargo bench -p sf-core --bench sandbox`.

use std::time::{Duration, Instant};

use sf_core::{Invocation, LogFiles, Runner, SandboxOptions};

const ROUNDS: usize = 200;

fn main() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    std::fs::create_dir(&out).unwrap();
    let logs = LogFiles {
        stdout: out.join("stdout.log"),
        stderr: out.join("stderr.log"),
    };
    let modes = [
        ("sandbox off (--no-sandbox)", false, true),
        ("sandbox on: container + Landlock", true, true),
        ("sandbox on, network off (--no-network)", true, false),
    ];
    // The interpreter itself, not a launcher script in front of it (pyenv's shims take 100 ms).
    let python = std::process::Command::new("python3")
        .args(["-c", "import sys; print(sys.executable)"])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_else(|_| "python3".to_owned());
    let programs: [(&str, &str, &[&str]); 2] = [
        ("/bin/true", "/bin/true", &[]),
        ("python3 -c pass", &python, &["-c", "pass"]),
    ];
    println!("| program | mode | median | mean | added (median) |");
    println!("|---|---|---:|---:|---:|");
    for (label, program, args) in programs {
        let mut times: Vec<Vec<Duration>> = vec![Vec::with_capacity(ROUNDS); modes.len()];
        let mut reports = vec![String::new(); modes.len()];
        for _ in 0..ROUNDS {
            for (i, (_, filesystem, network)) in modes.iter().enumerate() {
                let invocation = Invocation {
                    program: program.into(),
                    args: args.iter().map(Into::into).collect(),
                    env: vec![],
                    cwd: dir.path().to_owned(),
                    run_id: String::new(),
                    sandbox: SandboxOptions {
                        filesystem: *filesystem,
                        network: *network,
                    },
                    writable: vec![out.clone()],
                    mounts: None,
                    report_pipe: false,
                };
                let start = Instant::now();
                let result = Runner::default().run(&invocation, &logs);
                times[i].push(start.elapsed());
                assert_eq!(
                    result.outcome,
                    sf_core::Outcome::Exited { code: 0 },
                    "{result:?}"
                );
                reports[i] = format!(
                    "{}; {}",
                    result.sandbox.processes.describe(),
                    result.sandbox.mounts.describe()
                );
            }
        }
        let baseline = median(&mut times[0].clone());
        for (i, (mode, _, _)) in modes.iter().enumerate() {
            let med = median(&mut times[i]);
            let mean = times[i].iter().sum::<Duration>() / ROUNDS as u32;
            let added = med.as_secs_f64() - baseline.as_secs_f64();
            println!(
                "| {label} | {mode} | {:.2} ms | {:.2} ms | {:+.2} ms |",
                ms(med),
                ms(mean),
                added * 1000.0
            );
        }
        eprintln!("container as reported: {}", reports[1]);
    }
}

fn median(times: &mut [Duration]) -> Duration {
    times.sort();
    times[times.len() / 2]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}
