//! The report's plots, drawn as SVG by plotters: bars of time and memory per test, a property
//! run's shrink path, a pipeline's graph and timeline, a test's history.

use std::collections::BTreeMap;

use plotters::coord::Shift;
use plotters::coord::ranged1d::SegmentValue;
use plotters::prelude::*;

use super::visible::short;
use crate::pipeline::PipelineResult;
use crate::result::Status;

type Area<'a> = DrawingArea<SVGBackend<'a>, Shift>;
type Drawn = Result<(), DrawingAreaErrorKind<std::io::Error>>;

const PASS: RGBColor = RGBColor(46, 125, 50);
const FAIL: RGBColor = RGBColor(198, 40, 40);
const SKIP: RGBColor = RGBColor(158, 158, 158);
const TIME: RGBColor = RGBColor(21, 101, 192);
const MEMORY: RGBColor = RGBColor(230, 120, 0);
const CRITICAL: RGBColor = RGBColor(255, 179, 0);
const FONT: &str = "sans-serif";

/// The colour of a status.
pub(crate) fn status_color(status: Status) -> RGBColor {
    match status {
        Status::Pass => PASS,
        Status::Fail => FAIL,
        Status::Skip => SKIP,
    }
}

/// Draws into an SVG of `width` × `height`; `None` when plotters reports an error (the
/// report then goes without that plot rather than without the page).
fn svg(width: u32, height: u32, draw: impl FnOnce(&Area<'_>) -> Drawn) -> Option<String> {
    let mut buf = String::new();
    {
        let root = SVGBackend::with_string(&mut buf, (width, height)).into_drawing_area();
        if let Err(err) = root.fill(&WHITE).and_then(|()| draw(&root)) {
            tracing::warn!(%err, "a plot of the HTML report could not be drawn");
            return None;
        }
        root.present().ok()?;
    }
    Some(buf)
}

/// `n` rows of a chart, one segment each (an integer range holds both its ends).
fn rows(
    n: usize,
) -> plotters::coord::ranged1d::SegmentedCoord<plotters::coord::types::RangedCoordusize> {
    (0..n.saturating_sub(1)).into_segmented()
}

/// One bar: a label, a value and the status that colours it.
#[derive(Debug, Clone)]
pub(crate) struct Bar {
    pub(crate) label: String,
    pub(crate) value: f64,
    pub(crate) status: Status,
}

/// Horizontal bars, the first at the top; `unit` labels the value axis.
pub(crate) fn bars(caption: &str, unit: &str, bars: &[Bar]) -> Option<String> {
    if bars.is_empty() {
        return None;
    }
    let n = bars.len();
    let labels: Vec<String> = bars.iter().map(|b| short(&b.label, 38)).collect();
    let label_px = labels.iter().map(|l| l.chars().count()).max().unwrap_or(4) as u32 * 7 + 12;
    let max = bars
        .iter()
        .map(|b| b.value)
        .filter(|v| v.is_finite())
        .fold(0.0, f64::max)
        .max(1e-3)
        * 1.08;
    let height = 80 + 22 * n as u32;
    svg(760, height, |root| {
        let mut chart = ChartBuilder::on(root)
            .caption(caption, (FONT, 15))
            .margin(8)
            .x_label_area_size(32)
            .y_label_area_size(label_px)
            .build_cartesian_2d(0f64..max, rows(n))?;
        // Index 0 is at the bottom: the first bar goes to the top.
        let label_of = |v: &SegmentValue<usize>| match v {
            SegmentValue::CenterOf(i) | SegmentValue::Exact(i) => labels
                .get(n - 1 - (*i).min(n - 1))
                .cloned()
                .unwrap_or_default(),
            SegmentValue::Last => String::new(),
        };
        chart
            .configure_mesh()
            .disable_y_mesh()
            .y_labels(n)
            .y_label_formatter(&label_of)
            .x_desc(unit)
            .label_style((FONT, 11))
            .draw()?;
        chart.draw_series(bars.iter().enumerate().map(|(i, b)| {
            let y = n - 1 - i;
            let mut bar = Rectangle::new(
                [
                    (0.0, SegmentValue::Exact(y)),
                    (b.value.max(0.0), SegmentValue::Exact(y + 1)),
                ],
                status_color(b.status).filled(),
            );
            bar.set_margin(3, 3, 0, 0);
            bar
        }))?;
        Ok(())
    })
}

/// Rows of the failing dataset at the first failure and after each shrink step that still
/// failed.
pub(crate) fn shrink_path(rows: &[usize]) -> Option<String> {
    if rows.is_empty() {
        return None;
    }
    let last = rows.len().saturating_sub(1).max(1);
    let top = (rows.iter().copied().max().unwrap_or(0).max(1) as f64 * 1.1).ceil() as usize;
    svg(560, 240, |root| {
        let mut chart = ChartBuilder::on(root)
            .caption("shrink path: rows of the failing dataset", (FONT, 15))
            .margin(10)
            .x_label_area_size(34)
            .y_label_area_size(48)
            .build_cartesian_2d(0..last, 0..top)?;
        chart
            .configure_mesh()
            .x_labels(rows.len().clamp(2, 12))
            .x_desc("failing case (0: first failure, then each smaller one)")
            .y_desc("rows")
            .label_style((FONT, 11))
            .draw()?;
        let points: Vec<(usize, usize)> = rows.iter().copied().enumerate().collect();
        chart.draw_series(LineSeries::new(points.clone(), FAIL.stroke_width(2)))?;
        chart.draw_series(points.iter().map(|p| Circle::new(*p, 3, FAIL.filled())))?;
        Ok(())
    })
}

/// A step's name from `step.channel`.
fn step_of(end: &str) -> &str {
    end.rsplit_once('.').map_or(end, |(step, _)| step)
}

/// The pipeline as a graph, left to right by depth: each step a box and each edge a line in
/// the colour of its status, the critical path outlined and drawn thick.
pub(crate) fn dag(result: &PipelineResult) -> Option<String> {
    if result.steps.is_empty() {
        return None;
    }
    let index: BTreeMap<&str, usize> = result
        .steps
        .iter()
        .enumerate()
        .map(|(i, s)| (s.name.as_str(), i))
        .collect();
    // Worst status of the edges between two steps (several channels may join them).
    let mut links: BTreeMap<(usize, usize), Status> = BTreeMap::new();
    for e in &result.edges {
        if let (Some(&a), Some(&b)) = (index.get(step_of(&e.from)), index.get(step_of(&e.to))) {
            let worst = links.entry((a, b)).or_insert(e.status);
            if rank(e.status) > rank(*worst) {
                *worst = e.status;
            }
        }
    }
    // Steps are in topological order, so one pass gives each its depth.
    let mut depth = vec![0usize; result.steps.len()];
    for b in 0..result.steps.len() {
        for (&(a, to), _) in links.iter() {
            if to == b && a != b {
                depth[b] = depth[b].max(depth[a] + 1);
            }
        }
    }
    let columns = depth.iter().copied().max().unwrap_or(0) + 1;
    let mut row_of = vec![0usize; result.steps.len()];
    let mut per_column = vec![0usize; columns];
    for (i, d) in depth.iter().enumerate() {
        row_of[i] = per_column[*d];
        per_column[*d] += 1;
    }
    let rows = per_column.iter().copied().max().unwrap_or(1);
    let (w, h, gap_x, gap_y, pad) = (170i32, 40i32, 70i32, 22i32, 20i32);
    let width = (pad * 2 + columns as i32 * (w + gap_x) - gap_x) as u32;
    let height = (pad * 2 + 24 + rows as i32 * (h + gap_y) - gap_y) as u32;
    let at = |i: usize| {
        (
            pad + depth[i] as i32 * (w + gap_x),
            pad + 24 + row_of[i] as i32 * (h + gap_y),
        )
    };
    let critical: Vec<usize> = result
        .critical_path
        .iter()
        .filter_map(|s| index.get(s.as_str()).copied())
        .collect();
    let critical_link = |a: usize, b: usize| critical.windows(2).any(|p| p[0] == a && p[1] == b);
    svg(width.max(320), height, |root| {
        root.draw(&Text::new(
            "steps and edges by status; the critical path outlined",
            (pad, 6),
            (FONT, 13).into_font().color(&BLACK),
        ))?;
        for (&(a, b), status) in &links {
            let ((ax, ay), (bx, by)) = (at(a), at(b));
            let (from, to) = ((ax + w, ay + h / 2), (bx, by + h / 2));
            let color = status_color(*status);
            if critical_link(a, b) {
                root.draw(&PathElement::new(vec![from, to], CRITICAL.stroke_width(7)))?;
            }
            root.draw(&PathElement::new(vec![from, to], color.stroke_width(2)))?;
            root.draw(&Polygon::new(
                vec![to, (to.0 - 9, to.1 - 5), (to.0 - 9, to.1 + 5)],
                color.filled(),
            ))?;
        }
        for (i, step) in result.steps.iter().enumerate() {
            let (x, y) = at(i);
            if critical.contains(&i) {
                root.draw(&Rectangle::new(
                    [(x - 3, y - 3), (x + w + 3, y + h + 3)],
                    CRITICAL.filled(),
                ))?;
            }
            root.draw(&Rectangle::new(
                [(x, y), (x + w, y + h)],
                status_color(step.status).filled(),
            ))?;
            root.draw(&Text::new(
                short(&step.name, 22),
                (x + 7, y + 6),
                (FONT, 13).into_font().color(&WHITE),
            ))?;
            root.draw(&Text::new(
                format!("{} {:.2} s", step.status, step.wall_time()),
                (x + 7, y + 23),
                (FONT, 11).into_font().color(&WHITE),
            ))?;
        }
        Ok(())
    })
}

fn rank(status: Status) -> u8 {
    match status {
        Status::Pass => 0,
        Status::Skip => 1,
        Status::Fail => 2,
    }
}

/// When each step ran, one bar per step from its start to its end, the critical path
/// outlined.
pub(crate) fn timeline(result: &PipelineResult) -> Option<String> {
    if result.steps.is_empty() {
        return None;
    }
    let n = result.steps.len();
    let end = result
        .steps
        .iter()
        .map(|s| s.finished_at)
        .fold(result.wall_time, f64::max)
        .max(1e-3)
        * 1.05;
    let labels: Vec<String> = result.steps.iter().map(|s| short(&s.name, 30)).collect();
    let label_px = labels.iter().map(|l| l.chars().count()).max().unwrap_or(4) as u32 * 7 + 12;
    svg(760, 90 + 26 * n as u32, |root| {
        let mut chart = ChartBuilder::on(root)
            .caption("timeline: when each step ran", (FONT, 15))
            .margin(8)
            .x_label_area_size(32)
            .y_label_area_size(label_px)
            .build_cartesian_2d(0f64..end, rows(n))?;
        let label_of = |v: &SegmentValue<usize>| match v {
            SegmentValue::CenterOf(i) | SegmentValue::Exact(i) => labels
                .get(n - 1 - (*i).min(n - 1))
                .cloned()
                .unwrap_or_default(),
            SegmentValue::Last => String::new(),
        };
        chart
            .configure_mesh()
            .disable_y_mesh()
            .y_labels(n)
            .y_label_formatter(&label_of)
            .x_desc("seconds since the pipeline started")
            .label_style((FONT, 11))
            .draw()?;
        for (i, s) in result.steps.iter().enumerate() {
            let y = n - 1 - i;
            // A skipped step has no duration: a sliver shows where it was decided.
            let finish = s.finished_at.max(s.started_at + end / 200.0);
            let corners = [
                (s.started_at, SegmentValue::Exact(y)),
                (finish, SegmentValue::Exact(y + 1)),
            ];
            if result.critical_path.contains(&s.name) {
                let mut glow = Rectangle::new(corners.clone(), CRITICAL.filled());
                glow.set_margin(1, 1, 0, 0);
                chart.draw_series([glow])?;
            }
            let mut bar = Rectangle::new(corners, status_color(s.status).filled());
            bar.set_margin(5, 5, 0, 0);
            chart.draw_series([bar])?;
        }
        Ok(())
    })
}

/// A test's last runs in a small picture: time (blue) and peak memory (orange), each scaled to
/// its own largest value.
pub(crate) fn sparkline(times: &[f64], memory: &[f64]) -> Option<String> {
    if times.len() < 2 {
        return None;
    }
    let last = (times.len() - 1) as f64;
    let scaled = |values: &[f64]| -> Vec<(f64, f64)> {
        let max = values.iter().copied().fold(0.0, f64::max).max(1e-9);
        values
            .iter()
            .enumerate()
            .map(|(i, v)| (i as f64, v / max))
            .collect()
    };
    svg(160, 34, |root| {
        let mut chart = ChartBuilder::on(root)
            .margin(3)
            .build_cartesian_2d(0f64..last, 0f64..1.05)?;
        chart.draw_series(LineSeries::new(scaled(memory), MEMORY.stroke_width(1)))?;
        chart.draw_series(LineSeries::new(scaled(times), TIME.stroke_width(2)))?;
        Ok(())
    })
}

/// A test's last runs with axes: time and peak memory per run, one panel each.
pub(crate) fn history(times: &[f64], memory: &[f64]) -> Option<String> {
    if times.len() < 2 {
        return None;
    }
    svg(760, 200, |root| {
        let panels = root.split_evenly((1, 2));
        line_panel(&panels[0], "time per run", "s", times, TIME)?;
        line_panel(&panels[1], "peak memory per run", "MB", memory, MEMORY)?;
        Ok(())
    })
}

fn line_panel(
    area: &Area<'_>,
    caption: &str,
    unit: &str,
    values: &[f64],
    color: RGBColor,
) -> Drawn {
    let last = values.len().max(2) - 1;
    let top = values.iter().copied().fold(0.0, f64::max).max(1e-3) * 1.1;
    let mut chart = ChartBuilder::on(area)
        .caption(caption, (FONT, 13))
        .margin(8)
        .x_label_area_size(30)
        .y_label_area_size(46)
        .build_cartesian_2d(0..last, 0f64..top)?;
    chart
        .configure_mesh()
        .x_labels(values.len().clamp(2, 10))
        .x_desc("run (oldest first)")
        .y_desc(unit)
        .label_style((FONT, 10))
        .draw()?;
    let points: Vec<(usize, f64)> = values.iter().copied().enumerate().collect();
    chart.draw_series(LineSeries::new(points.clone(), color.stroke_width(2)))?;
    chart.draw_series(points.iter().map(|p| Circle::new(*p, 2, color.filled())))?;
    Ok(())
}
