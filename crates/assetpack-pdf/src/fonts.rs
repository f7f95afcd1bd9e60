//! The embedded fonts: DejaVu Sans for the text (cut down to the characters used) and a
//! Windows-1252 field font for values typed into the form.

use printpdf::{FontId, ParsedFont};

use crate::layout::Face;
use crate::IndexError;

pub(crate) const REGULAR: &[u8] = include_bytes!("../fonts/DejaVuSans.ttf");
pub(crate) const BOLD: &[u8] = include_bytes!("../fonts/DejaVuSans-Bold.ttf");

pub(crate) fn face(bytes: &[u8], id: &str) -> Result<Face, IndexError> {
    let mut warnings = Vec::new();
    let font = ParsedFont::from_bytes(bytes, 0, &mut warnings).ok_or(IndexError::Font)?;
    Ok(Face {
        id: FontId(id.to_owned()),
        font,
        used: Default::default(),
    })
}

/// The font cut down to the characters used (glyph 0 first, as PDF needs), or the whole font
/// when subsetting fails.
pub(crate) fn subset(bytes: &[u8], face: &Face) -> ParsedFont {
    let used = face.used.borrow();
    subset_bytes(bytes, &face.font, &used)
        .and_then(|out| ParsedFont::from_bytes(&out, 0, &mut Vec::new()))
        .unwrap_or_else(|| face.font.clone())
}

/// `bytes` (a TrueType font) cut down to the glyphs of `chars`, with a Unicode cmap.
fn subset_bytes(
    bytes: &[u8],
    font: &ParsedFont,
    chars: &std::collections::BTreeSet<char>,
) -> Option<Vec<u8>> {
    use allsorts::binary::read::ReadScope;
    use allsorts::font_data::FontData;
    use allsorts::subset::{CmapTarget, SubsetProfile};
    let mut ids: Vec<u16> = chars
        .iter()
        .filter_map(|c| font.codepoint_to_glyph.get(&(*c as u32)).copied())
        .filter(|g| *g != 0)
        .collect();
    ids.sort_unstable();
    ids.dedup();
    ids.insert(0, 0);
    let scope = ReadScope::new(bytes);
    let data = scope.read::<FontData<'_>>().ok()?;
    let provider = data.table_provider(0).ok()?;
    allsorts::subset::subset(
        &provider,
        &ids,
        &SubsetProfile::Minimal,
        CmapTarget::Unicode,
    )
    .ok()
}

/// The font typed form values are drawn in: DejaVu Sans as a simple TrueType font with
/// Windows-1252 codes plus the Welsh letters ŵ ŷ Ŵ Ŷ in four unused slots, so a requester
/// named Siân or Llŷr can fill the form on screen.
pub(crate) struct FieldFont {
    /// The embedded font program (cut down to the characters the encoding reaches).
    pub program: Vec<u8>,
    /// Widths of codes 32..=255 in 1/1000 em.
    pub widths: Vec<i64>,
    /// Extra codes and their glyph names.
    pub differences: Vec<(u8, &'static str)>,
}

/// Unicode of each Windows-1252 code 0x80..=0x9F (None where undefined).
const CP1252_HIGH: [Option<char>; 32] = [
    Some('€'),
    None,
    Some('‚'),
    Some('ƒ'),
    Some('„'),
    Some('…'),
    Some('†'),
    Some('‡'),
    Some('ˆ'),
    Some('‰'),
    Some('Š'),
    Some('‹'),
    Some('Œ'),
    None,
    Some('Ž'),
    None,
    None,
    Some('‘'),
    Some('’'),
    Some('“'),
    Some('”'),
    Some('•'),
    Some('–'),
    Some('—'),
    Some('˜'),
    Some('™'),
    Some('š'),
    Some('›'),
    Some('œ'),
    None,
    Some('ž'),
    Some('Ÿ'),
];

/// Welsh letters outside Windows-1252, placed in its unused slots.
const EXTRA: [(u8, char, &str); 4] = [
    (0x81, 'Ŵ', "Wcircumflex"),
    (0x8D, 'ŵ', "wcircumflex"),
    (0x8F, 'Ŷ', "Ycircumflex"),
    (0x90, 'ŷ', "ycircumflex"),
];

pub(crate) fn field_font(regular: &Face) -> FieldFont {
    let char_of = |code: u8| -> Option<char> {
        if let Some((_, c, _)) = EXTRA.iter().find(|(k, _, _)| *k == code) {
            return Some(*c);
        }
        match code {
            0x80..=0x9F => CP1252_HIGH[usize::from(code - 0x80)],
            _ => Some(char::from(code)),
        }
    };
    let upem = f32::from(regular.font.units_per_em.max(1));
    let mut chars = std::collections::BTreeSet::new();
    let widths = (32u8..=255)
        .map(|code| {
            let Some(c) = char_of(code) else { return 0 };
            chars.insert(c);
            regular
                .font
                .codepoint_to_glyph
                .get(&(c as u32))
                .and_then(|g| regular.font.glyph_widths.get(g))
                .map_or(0, |w| (f32::from(*w) * 1000.0 / upem).round() as i64)
        })
        .collect();
    FieldFont {
        program: subset_bytes(REGULAR, &regular.font, &chars).unwrap_or_else(|| REGULAR.to_vec()),
        widths,
        differences: EXTRA.iter().map(|(k, _, n)| (*k, *n)).collect(),
    }
}
