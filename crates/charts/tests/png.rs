//! The chart as a person (or a Teams card) gets it: a PNG of the asked size, with the three
//! scope colours, small enough to travel as base64 in a 28 KB message.

use std::collections::HashMap;
use std::path::Path;

use carbonsync_charts::{
    default_title, monthly_by_scope_png, ChartError, ChartOptions, MonthStack, SCOPE_COLOURS,
};

/// Bytes the PNG may take at the default size: base64 makes 18 KB about 24 KB, which leaves
/// room for the rest of a Teams card under Microsoft's 28 KB message limit.
const BUDGET_BYTES: usize = 18 * 1024;

/// Pixels of each scope's colour in the legend alone (an 11 × 11 square); more means a bar.
const LEGEND_PIXELS: usize = 121;

/// A year like the sandbox's: Dec 2023 to Nov 2024, every scope present, Scope 3 largest.
fn year() -> Vec<MonthStack> {
    (0..12)
        .map(|i| {
            let (year, month) = if i == 0 { (2023, 12) } else { (2024, i) };
            let f = i as f64;
            MonthStack {
                month: format!("{year}-{month:02}"),
                by_scope_t: [12.5 + f, 30.0 + 2.0 * (f % 4.0), 180.0 + 15.0 * f],
            }
        })
        .collect()
}

struct Decoded {
    width: u32,
    height: u32,
    /// Pixels of each colour.
    colours: HashMap<[u8; 3], usize>,
}

fn decode(bytes: &[u8]) -> Decoded {
    let mut decoder = png::Decoder::new(std::io::Cursor::new(bytes));
    // Palette and low bit depths become 8-bit RGB(A), so every pixel reads the same way.
    decoder.set_transformations(png::Transformations::EXPAND);
    let mut reader = decoder.read_info().expect("a PNG header");
    let mut buf = vec![0; reader.output_buffer_size().expect("a buffer size")];
    let frame = reader.next_frame(&mut buf).expect("one frame");
    let channels = frame.color_type.samples();
    assert_eq!(frame.bit_depth, png::BitDepth::Eight);
    assert!(channels >= 3, "colour, not grey: {:?}", frame.color_type);
    let mut colours = HashMap::new();
    for p in buf[..frame.buffer_size()].chunks_exact(channels) {
        *colours.entry([p[0], p[1], p[2]]).or_insert(0) += 1;
    }
    Decoded {
        width: frame.width,
        height: frame.height,
        colours,
    }
}

fn options(months: &[MonthStack]) -> ChartOptions {
    ChartOptions {
        title: default_title(months),
        ..ChartOptions::default()
    }
}

#[test]
fn a_year_draws_every_scope_small_enough_for_teams() {
    let months = year();
    let png = monthly_by_scope_png(&months, &options(&months)).expect("a chart");
    let decoded = decode(&png);
    assert_eq!((decoded.width, decoded.height), (720, 360));
    for colour in SCOPE_COLOURS {
        let pixels = decoded.colours.get(&colour).copied().unwrap_or(0);
        assert!(
            pixels > LEGEND_PIXELS,
            "{colour:?}: {pixels} pixels, no bar"
        );
    }
    println!("a year's chart at 720 × 360: {} bytes", png.len());
    assert!(
        png.len() <= BUDGET_BYTES,
        "{} bytes, over {BUDGET_BYTES}",
        png.len()
    );
    // Kept for a person to look at.
    let path = Path::new(env!("CARGO_TARGET_TMPDIR")).join("chart-year.png");
    std::fs::write(&path, &png).unwrap();
    println!("written to {}", path.display());
}

#[test]
fn a_scope_colour_fills_bars_only_when_that_scope_has_a_value() {
    let months = vec![MonthStack {
        month: "2024-11".to_owned(),
        by_scope_t: [0.0, 4.2, 0.0],
    }];
    let png = monthly_by_scope_png(&months, &options(&months)).unwrap();
    std::fs::write(
        Path::new(env!("CARGO_TARGET_TMPDIR")).join("chart-one.png"),
        &png,
    )
    .unwrap();
    let decoded = decode(&png);
    let pixels = |colour: [u8; 3]| decoded.colours.get(&colour).copied().unwrap_or(0);
    // The legend shows every colour; only Scope 2 has a bar.
    assert_eq!(pixels(SCOPE_COLOURS[0]), LEGEND_PIXELS);
    assert!(pixels(SCOPE_COLOURS[1]) > LEGEND_PIXELS + 1000);
    assert_eq!(pixels(SCOPE_COLOURS[2]), LEGEND_PIXELS);
}

#[test]
fn all_zero_and_empty_series_still_draw_axes() {
    let zeros: Vec<MonthStack> = year()
        .into_iter()
        .map(|m| MonthStack {
            by_scope_t: [0.0; 3],
            ..m
        })
        .collect();
    for months in [zeros, Vec::new()] {
        let png = monthly_by_scope_png(&months, &options(&months)).expect("a chart");
        let decoded = decode(&png);
        assert_eq!((decoded.width, decoded.height), (720, 360));
        // More than a blank canvas: axes, ticks and text.
        assert!(
            decoded.colours.len() > 3,
            "{} colours",
            decoded.colours.len()
        );
        println!("{} months of zeros: {} bytes", months.len(), png.len());
        let name = format!("chart-zeros-{}.png", months.len());
        std::fs::write(Path::new(env!("CARGO_TARGET_TMPDIR")).join(name), &png).unwrap();
    }
}

#[test]
fn odd_values_and_sizes() {
    let months = vec![
        MonthStack {
            month: "not a month".to_owned(),
            by_scope_t: [f64::NAN, -3.0, f64::INFINITY],
        },
        MonthStack {
            month: "2024-02".to_owned(),
            by_scope_t: [0.004, 0.002, 0.001],
        },
    ]
    .into_iter()
    .cycle()
    .take(40)
    .collect::<Vec<_>>();
    let opts = ChartOptions {
        width: 300,
        height: 200,
        title: String::new(),
    };
    let png = monthly_by_scope_png(&months, &opts).unwrap();
    std::fs::write(
        Path::new(env!("CARGO_TARGET_TMPDIR")).join("chart-odd.png"),
        &png,
    )
    .unwrap();
    let decoded = decode(&png);
    assert_eq!((decoded.width, decoded.height), (300, 200));

    let too_small = ChartOptions {
        width: 0,
        ..ChartOptions::default()
    };
    assert!(matches!(
        monthly_by_scope_png(&months, &too_small),
        Err(ChartError::Size {
            width: 0,
            height: 360
        })
    ));
}

#[test]
fn no_font_says_what_to_install() {
    let words = ChartError::NoFont.to_string();
    assert!(words.contains("fonts-dejavu-core"), "{words}");
}

#[test]
fn large_values_and_a_wide_picture() {
    let months: Vec<MonthStack> = year()
        .into_iter()
        .map(|m| MonthStack {
            by_scope_t: m.by_scope_t.map(|t| t * 3_000.0),
            ..m
        })
        .collect();
    let opts = ChartOptions {
        width: 1200,
        height: 500,
        ..options(&months)
    };
    let png = monthly_by_scope_png(&months, &opts).unwrap();
    std::fs::write(
        Path::new(env!("CARGO_TARGET_TMPDIR")).join("chart-large.png"),
        &png,
    )
    .unwrap();
    let decoded = decode(&png);
    assert_eq!((decoded.width, decoded.height), (1200, 500));
    println!("1200 × 500, up to 1.2 million t: {} bytes", png.len());
}
