//! The one typeface the chart draws with: a sans-serif face found among the operating
//! system's fonts (fontdb) and registered with plotters' ab_glyph text once per process.

use std::sync::OnceLock;

use fontdb::{Database, Family, Query, Stretch, Style, Weight};
use plotters::style::{register_font, FontStyle};

/// The family name the chart's text styles ask plotters for.
pub(crate) const FAMILY: &str = "sans-serif";

/// Families tried in order after the system's own `sans-serif` alias (fontconfig's choice on
/// Linux; fontdb's default, Arial, elsewhere): common faces of Linux distributions, macOS and
/// Windows.
const FALLBACK_FAMILIES: [&str; 8] = [
    "DejaVu Sans",
    "Liberation Sans",
    "Noto Sans",
    "Arial",
    "Helvetica",
    "Segoe UI",
    "Cantarell",
    "Ubuntu",
];

/// The registered family's real name, or `None` when no usable face was found. Looked up
/// once: a font installed while the process runs is seen after a restart.
static REGISTERED: OnceLock<Option<String>> = OnceLock::new();

/// Registers the system's sans-serif face with plotters (first call only) and returns its
/// family name, or `None` when the system has none that can be read.
pub(crate) fn ensure() -> Option<&'static str> {
    REGISTERED.get_or_init(register_system_font).as_deref()
}

fn register_system_font() -> Option<String> {
    let mut db = Database::new();
    db.load_system_fonts();

    let mut families = vec![Family::SansSerif];
    families.extend(FALLBACK_FAMILIES.iter().map(|name| Family::Name(name)));
    for family in &families {
        let Some(name) = register_family(&db, family) else {
            continue;
        };
        return Some(name);
    }
    // Last resort: any face whose family says "Sans" and is not monospaced.
    let any = db
        .faces()
        .filter(|face| face.index == 0 && !face.monospaced && face.style == Style::Normal)
        .find(|face| face.families.iter().any(|(name, _)| name.contains("Sans")))?;
    let name = any.families.first()?.0.clone();
    register_face(&db, any.id, FontStyle::Normal).then_some(name)
}

/// Registers the regular face of `family` and, when the family has one, its bold face.
fn register_family(db: &Database, family: &Family<'_>) -> Option<String> {
    let query = |weight| Query {
        families: std::slice::from_ref(family),
        weight,
        stretch: Stretch::Normal,
        style: Style::Normal,
    };
    let regular = db.query(&query(Weight::NORMAL))?;
    let face = db.face(regular)?;
    if face.weight.0 >= Weight::SEMIBOLD.0 || !register_face(db, regular, FontStyle::Normal) {
        return None;
    }
    let name = face.families.first()?.0.clone();
    if let Some(bold) = db.query(&query(Weight::BOLD)) {
        if db
            .face(bold)
            .is_some_and(|f| f.weight.0 >= Weight::SEMIBOLD.0)
        {
            // Without it, bold text falls back to the regular face: still legible.
            register_face(db, bold, FontStyle::Bold);
        }
    }
    Some(name)
}

/// Copies one face's file into memory for the rest of the process (plotters keeps a
/// `&'static` reference to it) and registers it. Only a file's first face can be read by
/// plotters, so a later face of a collection (`.ttc`) is refused.
fn register_face(db: &Database, id: fontdb::ID, style: FontStyle) -> bool {
    let Some(Some(bytes)) =
        db.with_face_data(id, |data, index| (index == 0).then(|| data.to_vec()))
    else {
        return false;
    };
    let bytes: &'static [u8] = Box::leak(bytes.into_boxed_slice());
    register_font(FAMILY, style, bytes).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_a_system_sans_serif_once() {
        let name = ensure().expect("a sans-serif font (fonts-dejavu-core on Debian)");
        println!("chart font: {name}");
        assert!(name.contains("Sans") || name.contains("Arial") || name.contains("Helvetica"));
        assert_eq!(ensure(), Some(name), "looked up once, the same after");
    }
}
