//! Paper sizes: the names printers use (ISO 216 A0–A6, DL, the bookmark), custom sizes written
//! `210x99mm`, and how a page is judged against one (ISO 216: A-series sides are in the ratio
//! 1:√2, each size half the one before; DL is ISO 269's 110 × 220 mm envelope's insert,
//! 99 × 210 mm; the bookmark is 50 × 210 mm, the common UK bookmark; US Letter is
//! 8.5 × 11 in). The PDF index names page sizes with [`nearest`] too.

/// Millimetres per PostScript point.
pub const MM_PER_PT: f64 = 25.4 / 72.0;

/// Bleed printers ask for on every side, in millimetres.
pub const BLEED_MM: f64 = 3.0;

/// Named sizes, short side then long side, in millimetres.
pub const NAMED: [(&str, f64, f64); 10] = [
    ("A0", 841.0, 1189.0),
    ("A1", 594.0, 841.0),
    ("A2", 420.0, 594.0),
    ("A3", 297.0, 420.0),
    ("A4", 210.0, 297.0),
    ("A5", 148.0, 210.0),
    ("A6", 105.0, 148.0),
    ("DL", 99.0, 210.0),
    ("bookmark", 50.0, 210.0),
    ("Letter", 215.9, 279.4),
];

/// A size in millimetres, short side first.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Size {
    /// The short side.
    pub short: f64,
    /// The long side.
    pub long: f64,
}

impl Size {
    /// A size from two sides in either order.
    pub fn new(a: f64, b: f64) -> Size {
        Size {
            short: a.min(b),
            long: a.max(b),
        }
    }

    /// The size as people write it: `297 × 420 mm`.
    pub fn describe(self) -> String {
        format!("{:.0} × {:.0} mm", self.short, self.long)
    }

    fn ratio(self) -> f64 {
        self.long / self.short.max(0.01)
    }
}

/// A declared size: a name (any case) or `<w>x<h>mm` (also `×`, spaces, decimals); `None`
/// when it is neither.
pub fn parse(declared: &str) -> Option<Size> {
    let d = declared.trim();
    if let Some(&(_, s, l)) = NAMED.iter().find(|(n, ..)| n.eq_ignore_ascii_case(d)) {
        return Some(Size::new(s, l));
    }
    let lower = d.to_ascii_lowercase();
    let body = lower.strip_suffix("mm")?.trim();
    let (w, h) = body.split_once(['x', '×'])?;
    let (w, h): (f64, f64) = (w.trim().parse().ok()?, h.trim().parse().ok()?);
    (w > 0.0 && h > 0.0 && w.is_finite() && h.is_finite()).then(|| Size::new(w, h))
}

/// How a page fits a declared size.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fit {
    /// The same size within 1 mm, trimmed or with 3 mm bleed.
    Exact,
    /// The same proportions within 1%: printed scaled (A3 artwork offered at A4).
    Scaled,
    /// Other proportions.
    Other,
}

/// How `page` fits `declared`.
pub fn fit(page: Size, declared: Size) -> Fit {
    let near =
        |a: Size, b: Size| (a.short - b.short).abs() <= 1.0 && (a.long - b.long).abs() <= 1.0;
    let bled = Size::new(
        declared.short + 2.0 * BLEED_MM,
        declared.long + 2.0 * BLEED_MM,
    );
    if near(page, declared) || near(page, bled) {
        Fit::Exact
    } else if (page.ratio() / declared.ratio() - 1.0).abs() <= 0.01 {
        Fit::Scaled
    } else {
        Fit::Other
    }
}

/// The named size nearest to `page` (by the sum of the sides' differences), and whether it is
/// the page's size within 1 mm.
pub fn nearest(page: Size) -> (&'static str, bool) {
    let distance = |&&(_, s, l): &&(&str, f64, f64)| (page.short - s).abs() + (page.long - l).abs();
    let best = NAMED
        .iter()
        .min_by(|a, b| distance(a).total_cmp(&distance(b)))
        .unwrap_or(&NAMED[4]);
    let exact = fit(page, Size::new(best.1, best.2)) == Fit::Exact;
    (best.0, exact)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_custom_sizes_parse() {
        assert_eq!(parse("a3"), Some(Size::new(297.0, 420.0)));
        assert_eq!(parse("Bookmark"), Some(Size::new(50.0, 210.0)));
        assert_eq!(parse("210x99mm"), Some(Size::new(99.0, 210.0)));
        assert_eq!(parse(" 85.5 × 54 mm "), Some(Size::new(54.0, 85.5)));
        assert_eq!(parse("A9"), None);
        assert_eq!(parse("210x99"), None);
        assert_eq!(parse("0x99mm"), None);
    }

    #[test]
    fn a_page_fits_exactly_with_or_without_bleed_or_scaled_or_not() {
        let a3 = Size::new(297.0, 420.0);
        assert_eq!(fit(Size::new(297.4, 419.6), a3), Fit::Exact);
        assert_eq!(fit(Size::new(303.0, 426.0), a3), Fit::Exact);
        assert_eq!(fit(Size::new(210.0, 297.0), a3), Fit::Scaled);
        assert_eq!(
            fit(Size::new(216.0, 279.0), a3),
            Fit::Other,
            "US Letter is not A-shaped"
        );
        assert_eq!(
            fit(Size::new(99.0, 210.0), Size::new(50.0, 210.0)),
            Fit::Other
        );
    }

    #[test]
    fn the_nearest_name_is_found() {
        assert_eq!(nearest(Size::new(297.0, 420.0)), ("A3", true));
        assert_eq!(nearest(Size::new(216.0, 279.0)), ("Letter", true));
        assert_eq!(nearest(Size::new(200.0, 290.0)), ("A4", false));
        assert_eq!(nearest(Size::new(52.0, 212.0)), ("bookmark", false));
    }
}
