//! The inventory report as a printable A4 PDF (printpdf): the standard Helvetica fonts, so
//! nothing is embedded and any reader (and `pdftotext`) reads the text; the monthly chart
//! drawn by `carbonsync-charts` and placed as an RGB image. Text is kept to the characters the
//! standard fonts' encoding has (`CO2e`, `-`), so every reader shows it alike.

use printpdf::{
    Color, ColorBits, ColorSpace, Image, ImageTransform, ImageXObject, IndirectFontRef, Line, Mm,
    PdfDocument, PdfDocumentReference, PdfLayerReference, Point, Px, Rgb,
};
use rust_decimal::Decimal;

use super::InventoryReport;
use crate::AppError;

const PAGE_W: f32 = 210.0;
const PAGE_H: f32 = 297.0;
const MARGIN: f32 = 18.0;
const CHART_W: u32 = 1200;
const CHART_H: u32 = 560;

/// kg CO2e as tonnes with three places (`12.345 t`), for headings; tables print kg exactly.
fn tonnes(kg: Decimal) -> String {
    let t = (kg / Decimal::ONE_THOUSAND)
        .round_dp_with_strategy(3, rust_decimal::RoundingStrategy::MidpointAwayFromZero);
    format!("{} t CO2e", grouped(t, 3))
}

/// `v` with `places` decimals and thousands separated by commas, and a hyphen for a minus
/// (the standard fonts' encoding has no U+2212).
fn grouped(v: Decimal, places: u32) -> String {
    carbonsync_providers::notifier::words::grouped(v, places, '-')
}

/// Only what the standard fonts' encoding can show: other characters become `?`, dashes `-`.
fn plain(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '\u{2013}' | '\u{2014}' | '\u{2212}' => '-',
            '\u{2192}' => '>',
            '\u{2018}' | '\u{2019}' => '\'',
            '\u{201C}' | '\u{201D}' => '"',
            '\u{2082}' => '2',
            c if (' '..='~').contains(&c) || ('\u{A0}'..='\u{FF}').contains(&c) => c,
            _ => '?',
        })
        .collect()
}

fn cut(text: &str, max: usize) -> String {
    let t = plain(text);
    if t.chars().count() <= max {
        t
    } else {
        let mut s: String = t.chars().take(max.saturating_sub(3)).collect();
        s.push_str("...");
        s
    }
}

/// A page cursor: writes lines top to bottom and turns the page when it runs out.
struct Writer {
    doc: PdfDocumentReference,
    layer: PdfLayerReference,
    regular: IndirectFontRef,
    bold: IndirectFontRef,
    /// Distance from the bottom of the page, mm.
    y: f32,
    page: usize,
    footer: String,
}

impl Writer {
    fn new(title: &str, footer: String) -> Result<Self, AppError> {
        let (doc, page, layer) = PdfDocument::new(plain(title), Mm(PAGE_W), Mm(PAGE_H), "Report");
        let regular = doc
            .add_builtin_font(printpdf::BuiltinFont::Helvetica)
            .map_err(pdf_error)?;
        let bold = doc
            .add_builtin_font(printpdf::BuiltinFont::HelveticaBold)
            .map_err(pdf_error)?;
        let layer = doc.get_page(page).get_layer(layer);
        let mut w = Writer {
            doc,
            layer,
            regular,
            bold,
            y: PAGE_H - MARGIN,
            page: 1,
            footer,
        };
        w.draw_footer();
        Ok(w)
    }

    fn draw_footer(&mut self) {
        let text = format!("{}  -  page {}", self.footer, self.page);
        self.layer
            .use_text(plain(&text), 7.5, Mm(MARGIN), Mm(10.0), &self.regular);
    }

    fn new_page(&mut self) {
        let (page, layer) = self.doc.add_page(Mm(PAGE_W), Mm(PAGE_H), "Report");
        self.layer = self.doc.get_page(page).get_layer(layer);
        self.page += 1;
        self.y = PAGE_H - MARGIN;
        self.draw_footer();
    }

    /// Makes room for `mm` more, turning the page if needed.
    fn room(&mut self, mm: f32) {
        if self.y - mm < MARGIN + 6.0 {
            self.new_page();
        }
    }

    fn text(&mut self, text: &str, size: f32, bold: bool) {
        let step = size * 0.3528 * 1.45;
        self.room(step);
        self.y -= step;
        let font = if bold { &self.bold } else { &self.regular };
        self.layer
            .use_text(plain(text), size, Mm(MARGIN), Mm(self.y), font);
    }

    /// A paragraph wrapped at about `width` characters.
    fn paragraph(&mut self, text: &str, size: f32) {
        let width = (95.0 * 9.0 / size) as usize;
        let mut line = String::new();
        for word in text.split_whitespace() {
            if !line.is_empty() && line.len() + 1 + word.len() > width {
                self.text(&line, size, false);
                line.clear();
            }
            if !line.is_empty() {
                line.push(' ');
            }
            line.push_str(word);
        }
        if !line.is_empty() {
            self.text(&line, size, false);
        }
    }

    fn gap(&mut self, mm: f32) {
        self.y -= mm;
    }

    fn heading(&mut self, text: &str) {
        self.room(22.0);
        self.gap(4.0);
        self.text(text, 12.0, true);
        self.rule();
        self.gap(1.5);
    }

    fn rule(&mut self) {
        self.y -= 1.2;
        self.layer
            .set_outline_color(Color::Rgb(Rgb::new(0.75, 0.75, 0.75, None)));
        self.layer.set_outline_thickness(0.4);
        self.layer.add_line(Line {
            points: vec![
                (Point::new(Mm(MARGIN), Mm(self.y)), false),
                (Point::new(Mm(PAGE_W - MARGIN), Mm(self.y)), false),
            ],
            is_closed: false,
        });
    }

    /// A row of cells at the given x offsets (mm from the margin); numbers are best given
    /// their own column at the right.
    fn row(&mut self, cells: &[(f32, String)], bold: bool) {
        let size = 8.5;
        let step = size * 0.3528 * 1.5;
        self.room(step);
        self.y -= step;
        let font = if bold { &self.bold } else { &self.regular };
        for (x, cell) in cells {
            self.layer
                .use_text(plain(cell), size, Mm(MARGIN + x), Mm(self.y), font);
        }
    }

    /// The chart, full width, from its RGB pixels.
    fn chart(&mut self, rgb: Vec<u8>) {
        let width_mm = PAGE_W - 2.0 * MARGIN;
        let height_mm = width_mm * CHART_H as f32 / CHART_W as f32;
        self.room(height_mm + 4.0);
        self.y -= height_mm + 2.0;
        let dpi = CHART_W as f32 / (width_mm / 25.4);
        Image::from(ImageXObject {
            width: Px(CHART_W as usize),
            height: Px(CHART_H as usize),
            color_space: ColorSpace::Rgb,
            bits_per_component: ColorBits::Bit8,
            interpolate: true,
            image_data: rgb,
            image_filter: None,
            smask: None,
            clipping_bbox: None,
        })
        .add_to_layer(
            self.layer.clone(),
            ImageTransform {
                translate_x: Some(Mm(MARGIN)),
                translate_y: Some(Mm(self.y)),
                dpi: Some(dpi),
                ..Default::default()
            },
        );
    }

    fn finish(self) -> Result<Vec<u8>, AppError> {
        self.doc.save_to_bytes().map_err(pdf_error)
    }
}

fn pdf_error(e: printpdf::Error) -> AppError {
    AppError {
        code: "export_failed".into(),
        message:
            "The PDF could not be made. Try again; the CSV export (--csv) holds the same tables."
                .into(),
        detail: Some(format!("{e:?}")),
        permanent: false,
    }
}

fn entries(n: i64) -> String {
    if n == 1 {
        "1 entry".into()
    } else {
        format!("{n} entries")
    }
}

fn kg_cell(v: Decimal) -> String {
    grouped(v, 2)
}

fn share(part: Decimal, whole: Decimal) -> String {
    if whole.is_zero() {
        "-".into()
    } else {
        format!("{}%", grouped(part / whole * Decimal::ONE_HUNDRED, 1))
    }
}

impl InventoryReport {
    /// The report as PDF bytes: a title page with the scopes' totals and the monthly chart,
    /// then every table, the sources and the method.
    ///
    /// # Errors
    /// `export_failed` when the PDF cannot be assembled; the chart is left out (and the report
    /// says so) when the system has no font to draw it with.
    pub fn to_pdf(&self) -> Result<Vec<u8>, AppError> {
        let title = format!("Greenhouse gas inventory {}", self.period.label);
        let generated = chrono::DateTime::from_timestamp_millis(self.generated_at_ms)
            .map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string())
            .unwrap_or_default();
        let mut w = Writer::new(
            &title,
            format!("CarbonSync - {title} - generated {generated}"),
        )?;
        w.text(&title, 18.0, true);
        w.gap(1.0);
        w.text(
            &format!("{} to {}", self.period.from, self.period.to),
            10.0,
            false,
        );
        for org in &self.organisations {
            w.text(org, 10.0, false);
        }
        w.text(
            &format!("Generated {generated} by {}", self.generated_by),
            8.0,
            false,
        );
        if !self.warnings.is_empty() {
            w.heading("Before relying on these numbers");
            for warning in &self.warnings {
                w.paragraph(warning, 8.5);
            }
        }

        // The totals.
        let s = &self.scopes;
        w.heading("Totals (kg CO2e)");
        let col = [0.0, 95.0, 140.0];
        w.row(
            &[
                (col[0], "Scope".into()),
                (col[1], "kg CO2e".into()),
                (col[2], "t CO2e".into()),
            ],
            true,
        );
        let scope_row = |w: &mut Writer, name: &str, v: Decimal| {
            w.row(
                &[
                    (col[0], name.to_owned()),
                    (col[1], kg_cell(v)),
                    (col[2], tonnes(v)),
                ],
                false,
            )
        };
        scope_row(&mut w, "Scope 1", s.scope1_kg_co2e);
        scope_row(
            &mut w,
            "Scope 2 (location-based)",
            s.scope2_location_kg_co2e,
        );
        scope_row(&mut w, "Scope 2 (market-based)", s.scope2_market_kg_co2e);
        scope_row(&mut w, "Scope 3", s.scope3_kg_co2e);
        w.row(
            &[
                (col[0], "Total (Scope 2 location-based)".into()),
                (col[1], kg_cell(self.inventory_kg_co2e)),
                (col[2], tonnes(self.inventory_kg_co2e)),
            ],
            true,
        );
        w.paragraph(
            &format!(
                "Exact total: {} kg CO2e. From the books: {} kg CO2e, {} counted entries ({} excluded, {} unmapped, not counted).",
                self.inventory_kg_co2e,
                self.totals.kg_co2e,
                self.totals.counted,
                self.totals.excluded,
                self.totals.unmapped
            ),
            8.5,
        );
        if !self.reported.is_empty() {
            w.paragraph(
                &format!(
                    "Reported by providers and the inventory platform: {} kg CO2e; the books' entries for the slices the inventory platform reports, left out: {} kg CO2e.",
                    self.reported_kg_co2e, self.replaced_kg_co2e
                ),
                8.5,
            );
        }
        if let Some(dq) = self.data_quality_score {
            w.text(
                &format!(
                    "Data quality score: {dq} on a scale of 1 (best) to 5 (weighted by kg CO2e)."
                ),
                8.5,
                false,
            );
        }
        for c in &self.closes {
            w.text(
                &format!(
                    "{} is closed: counted as reported at close{}.",
                    c.label,
                    match c.changes_after_close {
                        0 => String::new(),
                        n => format!(", with {n} change(s) after close not counted"),
                    }
                ),
                8.5,
                false,
            );
        }

        // The chart.
        let months: Vec<carbonsync_charts::MonthStack> = self
            .by_month
            .iter()
            .map(|m| carbonsync_charts::MonthStack {
                month: m.month.clone(),
                by_scope_t: m.by_scope.map(|kg| {
                    (kg / Decimal::ONE_THOUSAND)
                        .to_string()
                        .parse::<f64>()
                        .unwrap_or(0.0)
                }),
            })
            .collect();
        let opts = carbonsync_charts::ChartOptions {
            width: CHART_W,
            height: CHART_H,
            title: "Emissions by month and scope (t CO2e)".into(),
        };
        // The heading goes with its chart: both on the next page when they do not fit.
        w.room((PAGE_W - 2.0 * MARGIN) * CHART_H as f32 / CHART_W as f32 + 30.0);
        w.heading("By month");
        match carbonsync_charts::monthly_by_scope_rgb(&months, &opts) {
            Ok(rgb) => w.chart(rgb),
            Err(e) => w.text(&format!("(The chart could not be drawn: {e}.)"), 8.5, false),
        }
        let mcol = [0.0, 30.0, 65.0, 100.0, 140.0];
        w.row(
            &[
                (mcol[0], "Month".into()),
                (mcol[1], "Scope 1".into()),
                (mcol[2], "Scope 2".into()),
                (mcol[3], "Scope 3".into()),
                (mcol[4], "Total kg CO2e".into()),
            ],
            true,
        );
        for m in &self.by_month {
            w.row(
                &[
                    (mcol[0], m.month.clone()),
                    (mcol[1], kg_cell(m.by_scope[0])),
                    (mcol[2], kg_cell(m.by_scope[1])),
                    (mcol[3], kg_cell(m.by_scope[2])),
                    (mcol[4], kg_cell(m.kg_co2e)),
                ],
                false,
            );
        }

        let lcol = [0.0, 112.0, 135.0, 160.0];
        let lines = |w: &mut Writer, title: &str, lines: &[super::ReportLine], limit: usize| {
            w.heading(title);
            w.row(
                &[
                    (lcol[0], "".into()),
                    (lcol[1], "Entries".into()),
                    (lcol[2], "kg CO2e".into()),
                    (lcol[3], "Share".into()),
                ],
                true,
            );
            let whole: Decimal = lines.iter().map(|l| l.kg_co2e).sum();
            for l in lines.iter().take(limit) {
                w.row(
                    &[
                        (lcol[0], cut(&l.label, 62)),
                        (lcol[1], l.entries.to_string()),
                        (lcol[2], kg_cell(l.kg_co2e)),
                        (lcol[3], share(l.kg_co2e, whole)),
                    ],
                    false,
                );
            }
            if lines.len() > limit {
                let rest = &lines[limit..];
                let kg: Decimal = rest.iter().map(|l| l.kg_co2e).sum();
                w.row(
                    &[
                        (lcol[0], format!("{} more (see the CSV export)", rest.len())),
                        (
                            lcol[1],
                            rest.iter().map(|l| l.entries).sum::<i64>().to_string(),
                        ),
                        (lcol[2], kg_cell(kg)),
                        (lcol[3], share(kg, whole)),
                    ],
                    false,
                );
            }
        };
        lines(
            &mut w,
            "Scope 3 by category (GHG Protocol)",
            &self.scope3_categories,
            15,
        );
        lines(&mut w, "By connection", &self.by_connection, 40);
        lines(&mut w, "By category", &self.by_category, 30);

        w.heading("Method mix and data quality");
        let qcol = [0.0, 95.0, 112.0, 135.0, 160.0];
        w.row(
            &[
                (qcol[0], "Method".into()),
                (qcol[1], "Quality".into()),
                (qcol[2], "Entries".into()),
                (qcol[3], "kg CO2e".into()),
                (qcol[4], "Share".into()),
            ],
            true,
        );
        for m in &self.method_mix {
            w.row(
                &[
                    (qcol[0], cut(&m.label, 55)),
                    (qcol[1], m.data_quality.to_string()),
                    (qcol[2], m.entries.to_string()),
                    (qcol[3], kg_cell(m.kg_co2e)),
                    (qcol[4], share(m.kg_co2e, self.inventory_kg_co2e)),
                ],
                false,
            );
        }

        if !self.reported.is_empty() {
            w.heading("Reported by providers (counted, location-based)");
            let rcol = [0.0, 70.0, 112.0, 135.0];
            w.row(
                &[
                    (rcol[0], "Source".into()),
                    (rcol[1], "Counted in (published as)".into()),
                    (rcol[2], "Months".into()),
                    (rcol[3], "kg CO2e".into()),
                ],
                true,
            );
            for l in &self.reported {
                let counted_in = match l.scope3_category {
                    Some(c) => format!("Scope 3 cat. {c} (Scope {})", l.published_scope),
                    None => format!("Scope {} (Scope {})", l.scope, l.published_scope),
                };
                w.row(
                    &[
                        (rcol[0], cut(&l.source, 38)),
                        (rcol[1], counted_in),
                        (rcol[2], l.months.to_string()),
                        (rcol[3], kg_cell(l.kg_co2e)),
                    ],
                    false,
                );
            }
        }
        if !self.replaced.is_empty() {
            w.heading("Left out of the books (the inventory platform reports these)");
            let xcol = [0.0, 22.0, 62.0, 84.0, 118.0];
            w.row(
                &[
                    (xcol[0], "Month".into()),
                    (xcol[1], "Scope".into()),
                    (xcol[2], "Entries".into()),
                    (xcol[3], "kg CO2e".into()),
                    (xcol[4], "Reported instead by".into()),
                ],
                true,
            );
            for r in &self.replaced {
                w.row(
                    &[
                        (xcol[0], r.month.clone()),
                        (
                            xcol[1],
                            match r.scope3_category {
                                Some(c) => format!("Scope {} cat. {c}", r.scope),
                                None => format!("Scope {}", r.scope),
                            },
                        ),
                        (xcol[2], r.entries.to_string()),
                        (xcol[3], kg_cell(r.kg_co2e)),
                        (xcol[4], cut(&r.replaced_by, 40)),
                    ],
                    false,
                );
            }
            w.row(
                &[
                    (xcol[0], "Total".into()),
                    (
                        xcol[2],
                        self.replaced
                            .iter()
                            .map(|r| r.entries)
                            .sum::<i64>()
                            .to_string(),
                    ),
                    (xcol[3], kg_cell(self.replaced_kg_co2e)),
                ],
                true,
            );
        }

        w.heading("Excluded (not counted)");
        if self.excluded.is_empty() {
            w.text("Nothing was excluded.", 8.5, false);
        }
        for g in self.excluded.iter().take(40) {
            let amounts: Vec<String> = g
                .amounts
                .iter()
                .map(|(c, a)| format!("{} {c}", grouped(*a, 2)))
                .collect();
            w.row(
                &[
                    (0.0, cut(&g.reason, 60)),
                    (112.0, g.entries.to_string()),
                    (135.0, cut(&amounts.join(", "), 40)),
                ],
                false,
            );
        }

        w.heading("Sources");
        for f in &self.factor_sets {
            w.row(
                &[
                    (0.0, cut(&format!("{} {}", f.name, f.version), 80)),
                    (160.0, entries(f.entries)),
                ],
                false,
            );
        }
        for c in &self.conversions {
            w.paragraph(
                &format!(
                    "Exchange rates: {}. Price index: {}. ({})",
                    c.fx_source,
                    c.deflator_source,
                    entries(c.entries)
                ),
                8.5,
            );
        }

        w.heading("Rules in force");
        if self.rules.is_empty() {
            w.text(
                "No rules: every entry is decided by the account mapping or a person.",
                8.5,
                false,
            );
        }
        for rule in &self.rules {
            let c = &rule.classification;
            let what = match c.action {
                carbonsync_store::ReviewAction::Exclude => {
                    format!("exclude ({})", c.reason.as_deref().unwrap_or(""))
                }
                _ => format!(
                    "{} with factor {}",
                    c.category.as_deref().unwrap_or("-"),
                    c.factor_code.as_deref().unwrap_or("-")
                ),
            };
            w.row(
                &[
                    (0.0, format!("{}.", rule.position)),
                    (8.0, cut(&rule.name, 50)),
                    (95.0, cut(&what, 45)),
                    (160.0, entries(rule.entries)),
                ],
                false,
            );
        }

        w.heading("Period close and changes after close");
        if self.closes.is_empty() {
            w.text(
                "No part of the period is closed: the numbers are the ledger's as it is now.",
                8.5,
                false,
            );
        }
        for c in &self.closes {
            let closed = chrono::DateTime::from_timestamp_millis(c.closed_at_ms)
                .map(|t| t.format("%Y-%m-%d").to_string())
                .unwrap_or_default();
            w.text(
                &format!(
                    "{} ({} to {}) closed {closed} by {}: {} kg CO2e as reported.",
                    c.label,
                    c.from,
                    c.to,
                    c.closed_by,
                    kg_cell(c.reported.kg_co2e)
                ),
                8.5,
                false,
            );
        }
        for ch in self.changes_after_close.iter().take(40) {
            w.row(
                &[
                    (0.0, ch.label.clone()),
                    (20.0, format!("entry {}", ch.entry_id)),
                    (45.0, format!("{:?}", ch.kind).to_lowercase()),
                    (65.0, cut(ch.contact.as_deref().unwrap_or("-"), 40)),
                    (135.0, format!("{} kg CO2e", kg_cell(ch.kg_co2e_difference))),
                ],
                false,
            );
        }

        w.heading("Audit trail");
        let a = &self.audit;
        if a.intact {
            w.text(
                &format!(
                    "The audit trail's chain of hashes is intact ({} rows checked).",
                    a.rows
                ),
                8.5,
                false,
            );
        } else {
            w.paragraph(
                &format!(
                    "The audit trail's chain is BROKEN at row {}: {}",
                    a.broken_at.unwrap_or_default(),
                    a.problem.as_deref().unwrap_or("")
                ),
                8.5,
            );
        }

        w.heading("Method");
        for note in &self.method_notes {
            w.paragraph(note, 8.5);
            w.gap(1.0);
        }
        w.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal::dec;

    #[test]
    fn numbers_are_grouped_and_rounded_half_away_from_zero() {
        assert_eq!(grouped(dec!(1234567.125), 2), "1,234,567.13");
        assert_eq!(grouped(dec!(-1234.5), 1), "-1,234.5");
        assert_eq!(grouped(dec!(-0.001), 2), "0.00");
        assert_eq!(grouped(dec!(999), 0), "999");
        assert_eq!(tonnes(dec!(12345.6789)), "12.346 t CO2e");
    }

    #[test]
    fn text_keeps_to_the_standard_fonts() {
        assert_eq!(plain("CO₂e – tonnes → kg"), "CO2e - tonnes > kg");
        assert_eq!(plain("Café 漢"), "Café ?");
        assert_eq!(cut("abcdefghij", 6), "abc...");
    }
}
