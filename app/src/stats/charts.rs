//! Our own small SVG renderer for the dashboard: horizontal bar lists and a monthly bar chart
//! with an optional rate line, as strings, drawn on the server so they show before the WASM
//! loads. Every chart scales to its container (`viewBox`, `width="100%"`) and carries an
//! accessible title; the numbers are always in a table beside it as well.

use std::fmt::Write as _;

/// The chart's logical width; it scales to any screen width.
const WIDTH: f64 = 360.0;
const BAR: &str = "#0b5d3b";
const HIGHLIGHT: &str = "#c2410c";
const LINE: &str = "#1d4ed8";
const MUTED: &str = "#6b7280";

/// Escapes text for SVG/XML content and attributes.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// One bar of a bar list.
#[derive(Debug, Clone, PartialEq)]
pub struct Bar {
    pub label: String,
    pub value: f64,
    /// What is written after the bar (e.g. `12` or `87.5%`).
    pub text: String,
    /// Drawn in the highlight colour (the county being looked at).
    pub highlight: bool,
}

impl Bar {
    /// A plain bar showing its count.
    pub fn count(label: impl Into<String>, value: i64) -> Self {
        Bar { label: label.into(), value: value as f64, text: value.to_string(), highlight: false }
    }
}

fn open(out: &mut String, id: &str, title: &str, height: f64) {
    let _ = write!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" width="100%" role="img" aria-labelledby="{id}-title" class="chart-svg" preserveAspectRatio="xMinYMin meet"><title id="{id}-title">{}</title>"#,
        escape(title)
    );
}

fn shorten(label: &str, max: usize) -> String {
    if label.chars().count() <= max {
        label.to_owned()
    } else {
        let mut s: String = label.chars().take(max.saturating_sub(1)).collect();
        s.push('…');
        s
    }
}

/// Horizontal bars, one row each, longest bar for the largest value.
pub fn bar_list(id: &str, title: &str, bars: &[Bar]) -> String {
    const ROW: f64 = 26.0;
    const LABEL_W: f64 = 112.0;
    const TEXT_W: f64 = 52.0;
    let height = (bars.len().max(1) as f64) * ROW + 8.0;
    let mut out = String::new();
    open(&mut out, id, title, height);
    let max = bars.iter().map(|b| b.value).fold(0.0_f64, f64::max);
    let span = WIDTH - LABEL_W - TEXT_W;
    if bars.is_empty() {
        let _ = write!(out, r#"<text x="4" y="20" font-size="13" fill="{MUTED}">—</text>"#);
    }
    for (i, b) in bars.iter().enumerate() {
        let y = 4.0 + i as f64 * ROW;
        let w = if max > 0.0 { (b.value / max * span).max(if b.value > 0.0 { 2.0 } else { 0.0 }) } else { 0.0 };
        let fill = if b.highlight { HIGHLIGHT } else { BAR };
        let weight = if b.highlight { r#" font-weight="bold""# } else { "" };
        let _ = write!(
            out,
            r#"<g><text x="{lx}" y="{ty}" font-size="12" text-anchor="end" fill="currentColor"{weight}>{label}</text><rect x="{LABEL_W}" y="{ry}" width="{w:.1}" height="{h}" rx="2" fill="{fill}"><title>{full}: {text}</title></rect><text x="{vx:.1}" y="{ty}" font-size="12" fill="currentColor"{weight}>{text}</text></g>"#,
            lx = LABEL_W - 6.0,
            ty = y + 16.0,
            ry = y + 4.0,
            h = ROW - 8.0,
            label = escape(&shorten(&b.label, 9)),
            full = escape(&b.label),
            text = escape(&b.text),
            vx = LABEL_W + w + 4.0,
        );
    }
    out.push_str("</svg>");
    out
}

/// A monthly bar chart (`values`, left axis) with an optional rate line (0–100 %, right axis);
/// months without a rate break the line.
pub fn monthly(id: &str, title: &str, months: &[String], values: &[i64], rates: Option<&[Option<f64>]>) -> String {
    const HEIGHT: f64 = 200.0;
    const LEFT: f64 = 34.0;
    const RIGHT: f64 = 34.0;
    const TOP: f64 = 12.0;
    const BOTTOM: f64 = 28.0;
    let plot_w = WIDTH - LEFT - RIGHT;
    let plot_h = HEIGHT - TOP - BOTTOM;
    let n = months.len().max(1);
    let slot = plot_w / n as f64;
    let max = values.iter().copied().max().unwrap_or(0).max(1);
    let mut out = String::new();
    open(&mut out, id, title, HEIGHT);
    let base = TOP + plot_h;
    let _ = write!(
        out,
        r#"<line x1="{LEFT}" y1="{base}" x2="{x2}" y2="{base}" stroke="{MUTED}" stroke-width="1"/><text x="{lx}" y="{ty}" font-size="11" text-anchor="end" fill="currentColor">{max}</text><text x="{lx}" y="{base}" font-size="11" text-anchor="end" fill="currentColor">0</text>"#,
        x2 = WIDTH - RIGHT,
        lx = LEFT - 4.0,
        ty = TOP + 8.0,
    );
    // One month label in every `step`, so they never overlap.
    let step = (n as f64 * 30.0 / plot_w).ceil().max(1.0) as usize;
    for (i, month) in months.iter().enumerate() {
        let v = values.get(i).copied().unwrap_or(0);
        let x = LEFT + i as f64 * slot;
        let h = v as f64 / max as f64 * plot_h;
        let _ = write!(
            out,
            r#"<rect x="{x:.1}" y="{y:.1}" width="{w:.1}" height="{h:.1}" fill="{BAR}"><title>{m}: {v}</title></rect>"#,
            x = x + slot * 0.15,
            y = base - h,
            w = slot * 0.7,
            m = escape(month),
        );
        if i % step == 0 {
            let short = month.get(2..).unwrap_or(month);
            let _ = write!(
                out,
                r#"<text x="{cx:.1}" y="{ty}" font-size="10" text-anchor="middle" fill="currentColor">{}</text>"#,
                escape(short),
                cx = x + slot / 2.0,
                ty = base + 16.0,
            );
        }
    }
    if let Some(rates) = rates {
        let _ = write!(
            out,
            r#"<text x="{rx}" y="{ty}" font-size="11" fill="{LINE}">100%</text><text x="{rx}" y="{base}" font-size="11" fill="{LINE}">0%</text>"#,
            rx = WIDTH - RIGHT + 4.0,
            ty = TOP + 8.0,
        );
        let mut segment: Vec<(f64, f64)> = Vec::new();
        let flush = |segment: &mut Vec<(f64, f64)>, out: &mut String| {
            if segment.len() > 1 {
                let points: Vec<String> = segment.iter().map(|(x, y)| format!("{x:.1},{y:.1}")).collect();
                let _ = write!(
                    out,
                    r#"<polyline points="{}" fill="none" stroke="{LINE}" stroke-width="2"/>"#,
                    points.join(" ")
                );
            }
            segment.clear();
        };
        for (i, rate) in rates.iter().enumerate() {
            match rate {
                Some(r) => {
                    let x = LEFT + i as f64 * slot + slot / 2.0;
                    let y = base - r.clamp(0.0, 1.0) * plot_h;
                    let _ = write!(
                        out,
                        r#"<circle cx="{x:.1}" cy="{y:.1}" r="3" fill="{LINE}"><title>{}: {}</title></circle>"#,
                        escape(months.get(i).map(String::as_str).unwrap_or("")),
                        super::percent(Some(*r)),
                    );
                    segment.push((x, y));
                }
                None => flush(&mut segment, &mut out),
            }
        }
        flush(&mut segment, &mut out);
    }
    out.push_str("</svg>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_scale_to_the_largest_and_escape_labels() {
        let svg = bar_list("t", "Machines <by type>", &[Bar::count("挖掘机", 4), Bar::count("A&B", 2)]);
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        assert!(svg.contains(r#"viewBox="0 0 360 60""#) && svg.contains(r#"width="100%""#));
        assert!(svg.contains(r#"<title id="t-title">Machines &lt;by type&gt;</title>"#));
        assert!(svg.contains("A&amp;B"));
        assert!(svg.contains(r#"width="196.0""#), "the largest bar spans the plot");
        assert!(svg.contains(r#"width="98.0""#), "half the value, half the bar");
    }

    #[test]
    fn empty_lists_still_draw() {
        let svg = bar_list("e", "Nothing", &[]);
        assert!(svg.contains("—") && svg.contains("<title"));
    }

    #[test]
    fn monthly_bars_and_a_broken_rate_line() {
        let months: Vec<String> = ["2026-01", "2026-02", "2026-03", "2026-04"].iter().map(|s| s.to_string()).collect();
        let svg = monthly("m", "Inspections", &months, &[2, 0, 4, 1], Some(&[Some(0.5), None, Some(1.0), Some(0.0)]));
        assert_eq!(svg.matches("<rect").count(), 4);
        assert_eq!(svg.matches("<circle").count(), 3);
        assert_eq!(svg.matches("<polyline").count(), 1, "the gap splits the line; a lone point has no line");
        assert!(svg.contains("2026-03: 4") && svg.contains("2026-01: 50%"));
        assert!(svg.contains(">26-01<"));
    }
}
