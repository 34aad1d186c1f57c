//! CarbonSync's report chart: the last months' emissions as stacked bars by scope, drawn as
//! a small PNG for a Slack upload or a Teams Adaptive Card (where it travels as base64 inside
//! a message of at most 28 KB, so the picture is kept flat and indexed).
//!
//! Text is set in a sans-serif face of the operating system, found at run time with
//! `fontdb`; nothing is bundled. Figures arrive as `f64` because they are only drawn: the
//! exact numbers live in the report beside the chart.

mod encode;
mod font;

use plotters::prelude::*;

/// One bar of the chart: a month's emissions by scope.
#[derive(Debug, Clone, PartialEq)]
pub struct MonthStack {
    /// `YYYY-MM`; drawn under its bar as `Nov 24` (anything else is drawn as given).
    pub month: String,
    /// t CO2e of Scope 1, 2 and 3, in that order. Negative, NaN and infinite values are drawn
    /// as zero.
    pub by_scope_t: [f64; 3],
}

/// Size and title of the picture.
#[derive(Debug, Clone, PartialEq)]
pub struct ChartOptions {
    /// Pixels, [`MIN_SIDE`] to [`MAX_SIDE`].
    pub width: u32,
    /// Pixels, [`MIN_SIDE`] to [`MAX_SIDE`].
    pub height: u32,
    /// Drawn bold at the top; empty for none. See [`default_title`].
    pub title: String,
}

impl Default for ChartOptions {
    /// 720 × 360 pixels (a Slack or Teams message's width at 1×), titled
    /// "Emissions by scope (t CO2e)".
    fn default() -> Self {
        Self {
            width: 720,
            height: 360,
            title: "Emissions by scope (t CO2e)".to_owned(),
        }
    }
}

/// The largest width or height drawn, in pixels (a bound on memory, not a platform's limit).
pub const MAX_SIDE: u32 = 4096;

/// The smallest width or height drawn, in pixels: below it axes and legend cannot fit.
pub const MIN_SIDE: u32 = 64;

/// Scope 1, 2 and 3's colours as RGB: blue, orange and bluish green of the Okabe–Ito
/// palette, told apart with any of the common colour-vision deficiencies.
pub const SCOPE_COLOURS: [[u8; 3]; 3] =
    [[0x00, 0x72, 0xB2], [0xE6, 0x9F, 0x00], [0x00, 0x9E, 0x73]];

/// The legend's words for the three scopes, in order.
pub const SCOPE_NAMES: [&str; 3] = ["Scope 1", "Scope 2", "Scope 3"];

/// Why no chart was drawn.
#[derive(Debug, thiserror::Error)]
pub enum ChartError {
    /// The operating system has no sans-serif font that could be read.
    #[error(
        "no sans-serif font was found on this computer to draw the chart with: install a \
         sans-serif font, e.g. the fonts-dejavu-core package"
    )]
    NoFont,
    /// Width or height outside [`MIN_SIDE`]..=[`MAX_SIDE`].
    #[error("a chart of {width} × {height} pixels cannot be drawn: each side must be {MIN_SIDE} to {MAX_SIDE} pixels")]
    Size {
        /// Requested width, pixels.
        width: u32,
        /// Requested height, pixels.
        height: u32,
    },
    /// Drawing failed (a plotters error, in its words).
    #[error("the chart could not be drawn: {0}")]
    Draw(String),
    /// PNG encoding failed.
    #[error("the chart could not be encoded as PNG: {0}")]
    Encode(String),
}

/// "Emissions by scope, Dec 2023 – Nov 2024 (t CO2e)" for the first and last month of
/// `months` ("Emissions by scope, Nov 2024 (t CO2e)" for one month, "Emissions by scope
/// (t CO2e)" for none).
pub fn default_title(months: &[MonthStack]) -> String {
    match (months.first(), months.last()) {
        (Some(first), Some(last)) if first.month != last.month => format!(
            "Emissions by scope, {} – {} (t CO2e)",
            month_name(&first.month, true),
            month_name(&last.month, true)
        ),
        (Some(only), _) => format!(
            "Emissions by scope, {} (t CO2e)",
            month_name(&only.month, true)
        ),
        _ => "Emissions by scope (t CO2e)".to_owned(),
    }
}

/// `2024-11` as `Nov 24`; anything that is not `YYYY-MM` comes back as given, cut to 8
/// characters.
pub fn month_label(month: &str) -> String {
    month_name(month, false)
}

fn month_name(month: &str, full_year: bool) -> String {
    const NAMES: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let parsed = month.split_once('-').and_then(|(year, m)| {
        let ok = year.len() == 4 && m.len() == 2;
        let year_digits = year.chars().all(|c| c.is_ascii_digit());
        let m: usize = m.parse().ok()?;
        (ok && year_digits && (1..=12).contains(&m)).then_some((year, m))
    });
    match parsed {
        Some((year, m)) if full_year => format!("{} {year}", NAMES[m - 1]),
        Some((year, m)) => format!("{} {}", NAMES[m - 1], &year[2..]),
        None => month.chars().take(8).collect(),
    }
}

/// Draws `months` (oldest first, one bar each; 12 fit the default width) as stacked bars of
/// Scope 1 (bottom), 2 and 3 in [`SCOPE_COLOURS`], with a legend, a y axis in t CO2e and
/// `opts.title`, and returns the PNG file's bytes (an indexed image of a few KB at the
/// default size; RGB past 256 colours).
///
/// No months, or only zeros, still draw the axes (0 to 1 t CO2e). The font is looked up on
/// the first call of the process: [`ChartError::NoFont`] when the system has none.
pub fn monthly_by_scope_png(
    months: &[MonthStack],
    opts: &ChartOptions,
) -> Result<Vec<u8>, ChartError> {
    let rgb = monthly_by_scope_rgb(months, opts)?;
    encode::png(&rgb, opts.width, opts.height)
}

/// The same picture as [`monthly_by_scope_png`], as its raw pixels: `width × height` RGB
/// triples, rows top to bottom, for a document that embeds images itself (the PDF report).
pub fn monthly_by_scope_rgb(
    months: &[MonthStack],
    opts: &ChartOptions,
) -> Result<Vec<u8>, ChartError> {
    let (width, height) = (opts.width, opts.height);
    let side = MIN_SIDE..=MAX_SIDE;
    if !side.contains(&width) || !side.contains(&height) {
        return Err(ChartError::Size { width, height });
    }
    font::ensure().ok_or(ChartError::NoFont)?;
    let mut rgb = vec![0xFF; width as usize * height as usize * 3];
    draw(&mut rgb, months, opts).map_err(|e| ChartError::Draw(e.to_string()))?;
    Ok(rgb)
}

const TEXT: RGBColor = RGBColor(0x33, 0x33, 0x33);
const GRID: RGBColor = RGBColor(0xDD, 0xDD, 0xDD);
const AXIS: RGBColor = RGBColor(0x88, 0x88, 0x88);

type DrawResult = Result<(), Box<dyn std::error::Error>>;

fn draw(rgb: &mut [u8], months: &[MonthStack], opts: &ChartOptions) -> DrawResult {
    let root = BitMapBackend::with_buffer(rgb, (opts.width, opts.height)).into_drawing_area();
    root.fill(&WHITE)?;

    let stacks: Vec<[f64; 3]> = months
        .iter()
        .map(|m| {
            m.by_scope_t
                .map(|t| if t.is_finite() && t > 0.0 { t } else { 0.0 })
        })
        .collect();
    let highest = stacks
        .iter()
        .map(|s| s.iter().sum::<f64>())
        .fold(0.0, f64::max);
    let top = nice_ceiling(highest * 1.05);
    let decimals = tick_decimals(top);

    // Header: the title, then the legend, left-aligned with the plot.
    let left = 12;
    let mut y = 12;
    if !opts.title.is_empty() {
        let style = (font::FAMILY, 16, FontStyle::Bold).into_font().color(&TEXT);
        root.draw(&Text::new(opts.title.clone(), (left, y), style))?;
        y += 24;
    }
    let legend = (font::FAMILY, 12).into_font().color(&TEXT);
    let mut x = left;
    for (name, colour) in SCOPE_NAMES.iter().zip(SCOPE_COLOURS) {
        let colour = RGBColor(colour[0], colour[1], colour[2]);
        root.draw(&Rectangle::new(
            [(x, y + 2), (x + 11, y + 13)],
            colour.filled(),
        ))?;
        root.draw(&Text::new(*name, (x + 16, y + 2), legend.clone()))?;
        let (text_width, _) = root.estimate_text_size(name, &legend)?;
        x += 16 + text_width as i32 + 18;
    }
    let header = (y + 20) as u32;
    let (_, plot_area) = root.split_vertically(header.min(opts.height / 2));

    // Bar i stands centred on x = i; the axis runs half a slot either side.
    let bars = months.len().max(1);
    let tick_style = (font::FAMILY, 12).into_font().color(&TEXT);
    // Room for the widest tick label, the tick, and the rotated "t CO2e" beside them.
    let (tick_width, _) = root.estimate_text_size(&thousands(top, decimals), &tick_style)?;
    let mut chart = ChartBuilder::on(&plot_area)
        .margin_top(8)
        .margin_left(4)
        .margin_right(16)
        .margin_bottom(4)
        .x_label_area_size(24)
        .y_label_area_size(tick_width + 36)
        .build_cartesian_2d(-0.5..bars as f64 - 0.5, 0f64..top)?;

    let x_label = |v: &f64| {
        let i = v.round();
        if (v - i).abs() > 1e-6 || i < 0.0 {
            return String::new();
        }
        months
            .get(i as usize)
            .map(|m| month_label(&m.month))
            .unwrap_or_default()
    };
    let y_label = |v: &f64| thousands(*v, decimals);
    chart
        .configure_mesh()
        .disable_x_mesh()
        .light_line_style(TRANSPARENT)
        .bold_line_style(GRID)
        .axis_style(AXIS)
        // About 50 px a label ("Nov 24" at 12 px); past that, every 2nd or 5th month.
        .x_labels(bars.min(opts.width as usize / 50) + 1)
        .y_labels(6)
        .x_label_formatter(&x_label)
        .y_label_formatter(&y_label)
        .label_style(tick_style)
        .y_desc("t CO2e")
        .axis_desc_style((font::FAMILY, 12).into_font().color(&TEXT))
        .draw()?;

    // Bars at most 56 px wide, with at least a fifth of each slot left as a gap.
    let slot = chart.plotting_area().dim_in_pixel().0 as f64 / bars as f64;
    let half = (slot * 0.8).min(56.0) / slot / 2.0;
    for (i, stack) in stacks.iter().enumerate() {
        let centre = i as f64;
        let mut base = 0.0;
        for (t, colour) in stack.iter().zip(SCOPE_COLOURS) {
            if *t <= 0.0 {
                continue;
            }
            let colour = RGBColor(colour[0], colour[1], colour[2]);
            let corners = [(centre - half, base), (centre + half, base + t)];
            chart
                .plotting_area()
                .draw(&Rectangle::new(corners, colour.filled()))?;
            base += t;
        }
    }
    root.present()?;
    Ok(())
}

/// The smallest of 1, 2, 2.5, 5 × 10ⁿ at or above `value`; 1 for zero or less.
fn nice_ceiling(value: f64) -> f64 {
    if !value.is_finite() || value <= 0.0 {
        return 1.0;
    }
    let magnitude = 10f64.powf(value.log10().floor());
    [1.0, 2.0, 2.5, 5.0, 10.0]
        .iter()
        .map(|step| step * magnitude)
        .find(|candidate| *candidate >= value * (1.0 - 1e-9))
        .unwrap_or(10.0 * magnitude)
}

/// Decimal places the y axis needs for ticks about a fifth of `top` apart.
fn tick_decimals(top: f64) -> usize {
    let step = top / 5.0;
    if step >= 1.0 {
        0
    } else {
        (-step.log10() - 1e-9).ceil() as usize
    }
}

/// `1234.5` as `1,234.5` with `decimals` places (`−` for negatives).
fn thousands(value: f64, decimals: usize) -> String {
    let text = format!("{:.*}", decimals, value.abs());
    let (whole, fraction) = text.split_once('.').unwrap_or((&text, ""));
    let mut grouped = String::new();
    for (i, digit) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(digit);
    }
    let sign = if value < 0.0 && text.chars().any(|c| c.is_ascii_digit() && c != '0') {
        "\u{2212}"
    } else {
        ""
    };
    if fraction.is_empty() {
        format!("{sign}{grouped}")
    } else {
        format!("{sign}{grouped}.{fraction}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_months() {
        assert_eq!(month_label("2024-11"), "Nov 24");
        assert_eq!(month_label("2023-01"), "Jan 23");
        assert_eq!(month_label("2024-13"), "2024-13");
        assert_eq!(month_label("November 2024"), "November");
    }

    #[test]
    fn titles_the_range() {
        let stack = |month: &str| MonthStack {
            month: month.to_owned(),
            by_scope_t: [0.0; 3],
        };
        assert_eq!(
            default_title(&[stack("2023-12"), stack("2024-11")]),
            "Emissions by scope, Dec 2023 – Nov 2024 (t CO2e)"
        );
        assert_eq!(
            default_title(&[stack("2024-11")]),
            "Emissions by scope, Nov 2024 (t CO2e)"
        );
        assert_eq!(default_title(&[]), "Emissions by scope (t CO2e)");
    }

    #[test]
    fn rounds_the_axis_up() {
        assert_eq!(nice_ceiling(0.0), 1.0);
        assert_eq!(nice_ceiling(f64::NAN), 1.0);
        assert_eq!(nice_ceiling(1.0), 1.0);
        assert_eq!(nice_ceiling(1.2), 2.0);
        assert_eq!(nice_ceiling(2.2), 2.5);
        assert_eq!(nice_ceiling(430.0), 500.0);
        assert_eq!(nice_ceiling(0.031), 0.05);
    }

    #[test]
    fn formats_ticks() {
        assert_eq!(tick_decimals(500.0), 0);
        assert_eq!(tick_decimals(5.0), 0);
        assert_eq!(tick_decimals(2.5), 1);
        assert_eq!(tick_decimals(1.0), 1);
        assert_eq!(tick_decimals(0.05), 2);
        assert_eq!(thousands(1234.5, 1), "1,234.5");
        assert_eq!(thousands(1_234_567.0, 0), "1,234,567");
        assert_eq!(thousands(0.0, 2), "0.00");
        assert_eq!(thousands(-12.0, 0), "\u{2212}12");
    }
}
