//! Pipeline reports: text for a terminal, Mermaid and Graphviz DOT graphs, JUnit XML.

use std::fmt::Write as _;

use anstyle::Style;

use crate::pipeline::PipelineResult;
use crate::report::{paint, status_style};
use crate::result::Status;
use crate::suite::PIPELINE_PREFIX;

/// Fill colors by status, shared by the Mermaid and DOT renderings (green, red, yellow).
fn fill(status: Status) -> &'static str {
    match status {
        Status::Pass => "#c8e6c9",
        Status::Fail => "#ffcdd2",
        Status::Skip => "#fff9c4",
    }
}

/// The run for a terminal: per step its status, time, memory, bound inputs and skip reason or
/// error; per edge its checks; the totals and the critical path; then the Mermaid graph.
pub fn render_text(r: &PipelineResult, color: bool) -> String {
    let bold = Style::new().bold();
    let dim = Style::new().dimmed();
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} {}  {:.2} s",
        paint(r.status.as_str(), status_style(r.status), color),
        paint(&format!("{PIPELINE_PREFIX}{}", r.name), bold, color),
        r.wall_time
    );
    if let Some(error) = &r.error {
        let _ = writeln!(out, "  error: {error}");
    }
    let _ = writeln!(out, "{}", paint("steps:", bold, color));
    for s in &r.steps {
        let memory = s.result.as_ref().map_or(0.0, |x| x.memory_usage);
        let _ = writeln!(
            out,
            "  {} {}  {:.2} s  {:.1} MB  {}",
            paint(s.status.as_str(), status_style(s.status), color),
            paint(&s.name, bold, color),
            s.wall_time(),
            memory,
            paint(
                &format!("[{:.2} s – {:.2} s]", s.started_at, s.finished_at),
                dim,
                color
            )
        );
        for (input, source) in &s.bound_inputs {
            let _ = writeln!(out, "      {input} ← {source}");
        }
        if let Some(reason) = &s.skipped_because {
            let _ = writeln!(out, "      skipped: {reason}");
        }
        if let Some(error) = s.result.as_ref().and_then(|x| x.error_message.as_ref()) {
            let _ = writeln!(out, "      error: {}", error.replace('\n', "\n        "));
        }
    }
    if !r.edges.is_empty() {
        let _ = writeln!(out, "{}", paint("edges:", bold, color));
        for e in &r.edges {
            let _ = writeln!(
                out,
                "  {} {} → {}",
                paint(e.status.as_str(), status_style(e.status), color),
                e.from,
                e.to
            );
            for c in &e.checks {
                let mark = if c.passed { "ok" } else { "FAILED" };
                match &c.message {
                    Some(m) => {
                        let _ = writeln!(out, "      {} {mark}: {m}", c.check);
                    }
                    None => {
                        let _ = writeln!(out, "      {} {mark}", c.check);
                    }
                }
            }
        }
    }
    let count = |st: Status| r.steps.iter().filter(|s| s.status == st).count();
    let _ = writeln!(
        out,
        "{} {} passed, {} failed, {} skipped; wall {:.2} s",
        paint("total:", bold, color),
        count(Status::Pass),
        count(Status::Fail),
        count(Status::Skip),
        r.wall_time
    );
    let _ = writeln!(
        out,
        "{} {} ({:.2} s)",
        paint("critical path:", bold, color),
        r.critical_path.join(" → "),
        r.critical_path_time
    );
    let _ = writeln!(out, "workspace: {}", r.workspace.display());
    out.push('\n');
    out.push_str(&render_mermaid(r));
    out
}

/// Mermaid's entity codes for the characters that would end or break a quoted label.
fn mermaid_text(text: &str) -> String {
    let mut out = String::new();
    for c in text.chars() {
        match c {
            '"' => out.push_str("#quot;"),
            '<' => out.push_str("#lt;"),
            '>' => out.push_str("#gt;"),
            '#' => out.push_str("#35;"),
            '|' => out.push_str("#124;"),
            '\n' | '\r' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// The step of an `step.channel` end, and the channel.
fn split_end(end: &str) -> (&str, &str) {
    end.rsplit_once('.').unwrap_or((end, ""))
}

/// A ```` ```mermaid ```` block: `graph LR`, one node per step colored by status
/// (`classDef pass/fail/skip`), one edge per binding labeled `out → in`. Nodes get generated ids
/// (`s0`, `s1`, …) so that any step name is safe; names appear only in quoted, escaped labels.
pub fn render_mermaid(r: &PipelineResult) -> String {
    let mut out = String::from("```mermaid\ngraph LR\n");
    let id = |name: &str| r.steps.iter().position(|s| s.name == name);
    for (i, s) in r.steps.iter().enumerate() {
        let _ = writeln!(
            out,
            "    s{i}[\"{}<br/>{} {:.2} s\"]:::{}",
            mermaid_text(&s.name),
            s.status,
            s.wall_time(),
            s.status.as_str().to_ascii_lowercase()
        );
    }
    for e in &r.edges {
        let (from, out_ch) = split_end(&e.from);
        let (to, in_ch) = split_end(&e.to);
        let (Some(a), Some(b)) = (id(from), id(to)) else {
            continue;
        };
        let arrow = if e.status == Status::Fail {
            "-.->"
        } else {
            "-->"
        };
        let _ = writeln!(
            out,
            "    s{a} {arrow}|\"{} → {}\"| s{b}",
            mermaid_text(out_ch),
            mermaid_text(in_ch)
        );
    }
    for st in [Status::Pass, Status::Fail, Status::Skip] {
        let _ = writeln!(
            out,
            "    classDef {} fill:{}",
            st.as_str().to_ascii_lowercase(),
            fill(st)
        );
    }
    out.push_str("```\n");
    out
}

/// A DOT double-quoted string's content.
fn dot_text(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
        .replace('\r', "")
}

/// A Graphviz digraph: one filled node per step (green, red or yellow fill by status), one edge
/// per binding labeled `out → in` (dashed when its checks failed).
pub fn render_dot(r: &PipelineResult) -> String {
    let mut out = format!(
        "digraph \"{}\" {{\n    rankdir=LR;\n    node [shape=box];\n",
        dot_text(&format!("{PIPELINE_PREFIX}{}", r.name))
    );
    for s in &r.steps {
        let _ = writeln!(
            out,
            "    \"{}\" [label=\"{}\\n{} {:.2} s\" style=filled fillcolor=\"{}\"];",
            dot_text(&s.name),
            dot_text(&s.name),
            s.status,
            s.wall_time(),
            fill(s.status)
        );
    }
    for e in &r.edges {
        let (from, out_ch) = split_end(&e.from);
        let (to, in_ch) = split_end(&e.to);
        let style = if e.status == Status::Fail {
            " style=dashed color=red"
        } else {
            ""
        };
        let _ = writeln!(
            out,
            "    \"{}\" -> \"{}\" [label=\"{} → {}\"{style}];",
            dot_text(from),
            dot_text(to),
            dot_text(out_ch),
            dot_text(in_ch)
        );
    }
    out.push_str("}\n");
    out
}

/// JUnit XML with one test case per step, named `pipeline::NAME::STEP` (a skipped step carries
/// its reason), and one per failed edge, named `pipeline::NAME::edge FROM -> TO`, so that a CI
/// reading only the XML sees an edge check that stopped a step.
pub fn render_junit(r: &PipelineResult) -> String {
    let suite = format!("{PIPELINE_PREFIX}{}", r.name);
    let steps = r.steps.iter().map(|s| {
        let name = format!("{suite}::{}", s.name);
        match &s.result {
            Some(result) => super::junit::result_case(&name, result),
            None => super::junit::bare_case(
                &name,
                Some(&s.name),
                s.status,
                s.skipped_because.as_deref(),
            ),
        }
    });
    let edges = r
        .edges
        .iter()
        .filter(|e| e.status == Status::Fail)
        .map(|e| {
            let message = e
                .checks
                .iter()
                .find(|c| !c.passed)
                .and_then(|c| c.message.as_deref());
            super::junit::bare_case(
                &format!("{suite}::edge {} -> {}", e.from, e.to),
                Some(&e.to),
                Status::Fail,
                message,
            )
        });
    super::junit::document(&suite, steps.chain(edges))
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::pipeline::{EdgeCheck, EdgeResult, StepResult};

    fn result() -> PipelineResult {
        let step = |name: &str, status, skipped: Option<&str>| StepResult {
            name: name.to_owned(),
            status,
            result: None,
            skipped_because: skipped.map(str::to_owned),
            bound_inputs: BTreeMap::from([("in".to_owned(), "generated tabular small".to_owned())]),
            started_at: 0.0,
            finished_at: 0.25,
        };
        PipelineResult {
            name: "demo".into(),
            status: Status::Fail,
            steps: vec![
                step("prep", Status::Pass, None),
                step("say \"hi\"", Status::Fail, None),
                step("train", Status::Skip, Some("upstream say \"hi\" failed")),
            ],
            edges: vec![
                EdgeResult {
                    from: "prep.processed_data".into(),
                    to: "say \"hi\".input_data".into(),
                    status: Status::Pass,
                    checks: vec![EdgeCheck {
                        check: crate::checks::Check::NonEmpty,
                        passed: true,
                        message: None,
                        columns: None,
                    }],
                },
                EdgeResult {
                    from: "say \"hi\".out".into(),
                    to: "train.in".into(),
                    status: Status::Skip,
                    checks: Vec::new(),
                },
            ],
            wall_time: 0.75,
            critical_path: vec!["prep".into(), "say \"hi\"".into()],
            critical_path_time: 0.5,
            workspace: "/tmp/run".into(),
            timestamp: chrono::Utc::now(),
            error: None,
        }
    }

    #[test]
    fn mermaid_colors_nodes_by_status_and_escapes_names() {
        let m = render_mermaid(&result());
        assert!(m.starts_with("```mermaid\ngraph LR\n"), "{m}");
        assert!(m.contains("s0[\"prep<br/>PASS 0.25 s\"]:::pass"), "{m}");
        assert!(
            m.contains("s1[\"say #quot;hi#quot;<br/>FAIL 0.25 s\"]:::fail"),
            "{m}"
        );
        assert!(m.contains(":::skip"), "{m}");
        assert!(
            m.contains("s0 -->|\"processed_data → input_data\"| s1"),
            "{m}"
        );
        assert!(m.contains("classDef pass fill:#c8e6c9"), "{m}");
        assert!(m.contains("classDef fail fill:#ffcdd2"), "{m}");
        assert!(m.contains("classDef skip fill:#fff9c4"), "{m}");
        assert!(m.ends_with("```\n"));
    }

    #[test]
    fn dot_fills_nodes_by_status_and_escapes_names() {
        let d = render_dot(&result());
        assert!(d.starts_with("digraph \"pipeline::demo\" {"), "{d}");
        assert!(
            d.contains(
                "\"prep\" [label=\"prep\\nPASS 0.25 s\" style=filled fillcolor=\"#c8e6c9\"]"
            ),
            "{d}"
        );
        assert!(d.contains("\"say \\\"hi\\\"\" [label="), "{d}");
        assert!(d.contains("fillcolor=\"#ffcdd2\""), "{d}");
        assert!(d.contains("fillcolor=\"#fff9c4\""), "{d}");
        assert!(
            d.contains("\"prep\" -> \"say \\\"hi\\\"\" [label=\"processed_data → input_data\"]"),
            "{d}"
        );
        assert!(d.trim_end().ends_with('}'));
    }

    #[test]
    fn text_shows_steps_edges_the_critical_path_and_the_graph() {
        let t = render_text(&result(), false);
        assert!(t.starts_with("FAIL pipeline::demo  0.75 s"), "{t}");
        assert!(t.contains("skipped: upstream say \"hi\" failed"), "{t}");
        assert!(t.contains("in ← generated tabular small"), "{t}");
        assert!(
            t.contains("PASS prep.processed_data → say \"hi\".input_data"),
            "{t}"
        );
        assert!(
            t.contains("critical path: prep → say \"hi\" (0.50 s)"),
            "{t}"
        );
        assert!(t.contains("1 passed, 1 failed, 1 skipped"), "{t}");
        assert!(t.contains("```mermaid"), "{t}");
        assert!(!t.contains('\u{1b}'));
        assert!(render_text(&result(), true).contains('\u{1b}'));
    }

    #[test]
    fn a_failed_edge_is_a_junit_failure_even_when_no_step_failed() {
        let mut r = result();
        for step in &mut r.steps {
            if step.status == Status::Fail {
                step.status = Status::Pass;
            }
        }
        r.edges[0].status = Status::Fail;
        r.edges[0].checks = vec![EdgeCheck {
            check: crate::checks::Check::Columns,
            passed: false,
            message: Some("edge prep.processed_data -> x: a.csv has no column `id`".into()),
            columns: None,
        }];
        let x = render_junit(&r);
        assert!(
            x.contains("name=\"pipeline::demo::edge prep.processed_data -&gt; say &quot;hi&quot;.input_data\""),
            "{x}"
        );
        assert!(
            x.contains(
                "<failure message=\"edge prep.processed_data -&gt; x: a.csv has no column `id`\""
            ),
            "{x}"
        );
    }

    #[test]
    fn junit_has_one_case_per_step() {
        let x = render_junit(&result());
        assert!(x.contains("name=\"pipeline::demo::prep\""), "{x}");
        assert!(x.contains("name=\"pipeline::demo::train\""), "{x}");
        assert!(x.contains("<skipped"), "{x}");
        assert!(x.contains("<failure"), "{x}");
    }
}
