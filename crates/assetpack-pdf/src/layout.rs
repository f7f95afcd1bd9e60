//! A small flowing layout engine over printpdf: measured, wrapped text in an embedded font,
//! boxes, QR codes and links, broken into pages. Coordinates are points from the bottom left.

use std::collections::BTreeMap;

use printpdf::{
    Actions, BorderArray, Color, Destination, FontId, LinkAnnotation, Op, PaintMode, ParsedFont,
    PdfFontHandle, Point, Pt, Rect, Rgb, TextItem,
};

/// Paper sizes, in points.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Paper {
    /// 210 × 297 mm.
    A4,
    /// 8.5 × 11 in.
    Letter,
}

impl Paper {
    /// Width and height in points.
    pub fn size(self) -> (f32, f32) {
        match self {
            Paper::A4 => (595.28, 841.89),
            Paper::Letter => (612.0, 792.0),
        }
    }
}

/// A font with the metrics needed to measure text, and the characters drawn with it (so the
/// embedded font can be cut down to them).
pub struct Face {
    pub id: FontId,
    pub font: ParsedFont,
    pub used: std::cell::RefCell<std::collections::BTreeSet<char>>,
}

impl Face {
    /// Width of `text` at `size` points.
    pub fn width(&self, text: &str, size: f32) -> f32 {
        let upem = f32::from(self.font.units_per_em.max(1));
        let units: u32 = text
            .chars()
            .map(|c| {
                self.font
                    .codepoint_to_glyph
                    .get(&(c as u32))
                    .and_then(|g| self.font.glyph_widths.get(g))
                    .copied()
                    .map_or(u32::from(self.font.units_per_em) / 2, u32::from)
            })
            .sum();
        units as f32 * size / upem
    }

    /// Splits `text` into lines no wider than `width`, breaking at spaces (and inside words
    /// longer than a line).
    pub fn wrap(&self, text: &str, size: f32, width: f32) -> Vec<String> {
        let mut lines = Vec::new();
        for para in text.split('\n') {
            let mut line = String::new();
            for word in para.split(' ') {
                let candidate = if line.is_empty() {
                    word.to_owned()
                } else {
                    format!("{line} {word}")
                };
                if self.width(&candidate, size) <= width {
                    line = candidate;
                    continue;
                }
                if !line.is_empty() {
                    lines.push(std::mem::take(&mut line));
                }
                // A word wider than the line is cut where it must be.
                let mut piece = String::new();
                for c in word.chars() {
                    piece.push(c);
                    if self.width(&piece, size) > width && piece.chars().count() > 1 {
                        piece.pop();
                        lines.push(std::mem::take(&mut piece));
                        piece.push(c);
                    }
                }
                line = piece;
            }
            lines.push(line);
        }
        lines
    }
}

/// Colours used across the index.
pub fn rgb(r: u8, g: u8, b: u8) -> Color {
    Color::Rgb(Rgb {
        r: f32::from(r) / 255.0,
        g: f32::from(g) / 255.0,
        b: f32::from(b) / 255.0,
        icc_profile: None,
    })
}

/// A fillable text box to add after layout.
#[derive(Clone, Debug, PartialEq)]
pub struct FieldSpec {
    /// 0-based page.
    pub page: usize,
    /// Lower-left x, y, width, height in points.
    pub rect: (f32, f32, f32, f32),
    /// Field name, e.g. `qty.oup.a3-poster.A3`.
    pub name: String,
    /// Tooltip.
    pub tooltip: String,
}

/// Lower-left x, y, width and height, in points.
pub type Area = (f32, f32, f32, f32);

/// A link to an anchor, placed on `page` over `area`.
pub type GotoLink = (usize, Area, String);

/// Pages being laid out.
pub struct Layout<'f> {
    pub regular: &'f Face,
    pub bold: &'f Face,
    pub width: f32,
    pub height: f32,
    pub margin: f32,
    pub pages: Vec<Vec<Op>>,
    /// Current baseline position from the bottom.
    pub y: f32,
    pub fields: Vec<FieldSpec>,
    /// Internal links to resolve once page numbers are known.
    pub goto: Vec<GotoLink>,
    /// Anchor name → page.
    pub anchors: BTreeMap<String, usize>,
}

impl<'f> Layout<'f> {
    pub fn new(paper: Paper, regular: &'f Face, bold: &'f Face) -> Self {
        let (width, height) = paper.size();
        let margin = 50.0;
        Layout {
            regular,
            bold,
            width,
            height,
            margin,
            pages: vec![Vec::new()],
            y: height - margin,
            fields: Vec::new(),
            goto: Vec::new(),
            anchors: BTreeMap::new(),
        }
    }

    /// Usable width between the margins.
    pub fn text_width(&self) -> f32 {
        self.width - 2.0 * self.margin
    }

    /// The page being filled (0-based).
    pub fn page(&self) -> usize {
        self.pages.len() - 1
    }

    fn ops(&mut self) -> &mut Vec<Op> {
        let last = self.pages.len() - 1;
        &mut self.pages[last]
    }

    /// Starts a new page.
    pub fn new_page(&mut self) {
        self.pages.push(Vec::new());
        self.y = self.height - self.margin;
    }

    /// Makes room for `needed` points, starting a new page when the rest of this one is short.
    /// The footer keeps 30 points.
    pub fn need(&mut self, needed: f32) {
        if self.y - needed < self.margin + 10.0 && self.y < self.height - self.margin {
            self.new_page();
        }
    }

    /// Records that `name` is on the current page.
    pub fn anchor(&mut self, name: &str) {
        let page = self.page();
        self.anchors.insert(name.to_owned(), page);
    }

    /// Writes one line of text at `x` on the current baseline, without moving down.
    pub fn text_at(&mut self, x: f32, y: f32, text: &str, size: f32, bold: bool, color: Color) {
        let face = if bold { self.bold } else { self.regular };
        face.used.borrow_mut().extend(text.chars());
        let font = PdfFontHandle::External(face.id.clone());
        let ops = self.ops();
        ops.push(Op::StartTextSection);
        ops.push(Op::SetFillColor { col: color });
        ops.push(Op::SetFont {
            font,
            size: Pt(size),
        });
        ops.push(Op::SetTextCursor {
            pos: Point { x: Pt(x), y: Pt(y) },
        });
        ops.push(Op::ShowText {
            items: vec![TextItem::Text(text.to_owned())],
        });
        ops.push(Op::EndTextSection);
    }

    /// A wrapped paragraph at indent `x` (from the left margin) and width `w`. Returns the
    /// lines' count.
    pub fn paragraph(
        &mut self,
        x: f32,
        w: f32,
        text: &str,
        size: f32,
        bold: bool,
        color: Color,
    ) -> usize {
        let face = if bold { self.bold } else { self.regular };
        let lines = face.wrap(text, size, w);
        let lead = size * 1.3;
        for line in &lines {
            self.need(lead);
            self.y -= lead;
            let (mx, y) = (self.margin + x, self.y);
            self.text_at(mx, y, line, size, bold, color.clone());
        }
        lines.len()
    }

    /// Vertical space.
    pub fn gap(&mut self, pts: f32) {
        self.y -= pts;
    }

    /// A filled or stroked rectangle.
    pub fn rect(
        &mut self,
        x: f32,
        y: f32,
        w: f32,
        h: f32,
        fill: Option<Color>,
        stroke: Option<Color>,
    ) {
        let ops = self.ops();
        let mut r = Rect::from_xywh(Pt(x), Pt(y), Pt(w), Pt(h));
        match (fill, stroke) {
            (Some(f), Some(s)) => {
                ops.push(Op::SetFillColor { col: f });
                ops.push(Op::SetOutlineColor { col: s });
                ops.push(Op::SetOutlineThickness { pt: Pt(0.8) });
                r.mode = Some(PaintMode::FillStroke);
            }
            (Some(f), None) => {
                ops.push(Op::SetFillColor { col: f });
                r.mode = Some(PaintMode::Fill);
            }
            (None, Some(s)) => {
                ops.push(Op::SetOutlineColor { col: s });
                ops.push(Op::SetOutlineThickness { pt: Pt(0.8) });
                r.mode = Some(PaintMode::Stroke);
            }
            (None, None) => return,
        }
        ops.push(Op::DrawRectangle { rectangle: r });
    }

    /// Draws image `id` (added to the document's resources) with its lower-left corner at
    /// (x, y), one pixel = `scale` points.
    pub fn image(&mut self, id: &printpdf::XObjectId, x: f32, y: f32, scale: f32) {
        self.ops().push(Op::UseXobject {
            id: id.clone(),
            transform: printpdf::XObjectTransform {
                translate_x: Some(Pt(x)),
                translate_y: Some(Pt(y)),
                rotate: None,
                scale_x: Some(scale),
                scale_y: Some(scale),
                dpi: Some(72.0),
                no_auto_scale: false,
            },
        });
    }

    /// A small coloured label; returns its width.
    pub fn badge(&mut self, x: f32, y: f32, text: &str, background: Color) -> f32 {
        let size = 7.5;
        let w = self.bold.width(text, size) + 8.0;
        self.rect(x, y - 3.0, w, size + 5.0, Some(background), None);
        self.text_at(x + 4.0, y, text, size, true, rgb(255, 255, 255));
        w
    }

    /// A clickable web link over a rectangle.
    pub fn uri(&mut self, rect: (f32, f32, f32, f32), url: &str) {
        let (x, y, w, h) = rect;
        let link = LinkAnnotation::new(
            Rect::from_xywh(Pt(x), Pt(y), Pt(w), Pt(h)),
            Actions::uri(url.to_owned()),
            Some(BorderArray::Solid([0.0, 0.0, 0.0])),
            None,
            None,
        );
        self.ops().push(Op::LinkAnnotation { link });
    }

    /// A QR code for `data`, `size` points square, lower-left at (x, y).
    pub fn qr(&mut self, x: f32, y: f32, size: f32, data: &str) {
        let Ok(code) = qrcode::QrCode::new(data.as_bytes()) else {
            return;
        };
        let n = code.width();
        let quiet = 2;
        let module = size / (n + 2 * quiet) as f32;
        let colors = code.to_colors();
        self.rect(x, y, size, size, Some(rgb(255, 255, 255)), None);
        let ops = self.ops();
        ops.push(Op::SetFillColor { col: rgb(0, 0, 0) });
        for row in 0..n {
            // Runs of dark modules in a row become one rectangle.
            let mut col = 0;
            while col < n {
                if colors[row * n + col] == qrcode::Color::Dark {
                    let start = col;
                    while col < n && colors[row * n + col] == qrcode::Color::Dark {
                        col += 1;
                    }
                    let mut r = Rect::from_xywh(
                        Pt(x + (start + quiet) as f32 * module),
                        Pt(y + size - (row + quiet + 1) as f32 * module),
                        Pt((col - start) as f32 * module),
                        Pt(module),
                    );
                    r.mode = Some(PaintMode::Fill);
                    ops.push(Op::DrawRectangle { rectangle: r });
                } else {
                    col += 1;
                }
            }
        }
    }

    /// Adds the deferred internal links.
    pub fn resolve_links(&mut self) {
        for (page, (x, y, w, h), anchor) in std::mem::take(&mut self.goto) {
            let Some(&target) = self.anchors.get(&anchor) else {
                continue;
            };
            let link = LinkAnnotation::new(
                Rect::from_xywh(Pt(x), Pt(y), Pt(w), Pt(h)),
                Actions::go_to(Destination::Xyz {
                    page: target + 1,
                    left: None,
                    top: None,
                    zoom: None,
                }),
                Some(BorderArray::Solid([0.0, 0.0, 0.0])),
                None,
                None,
            );
            if let Some(ops) = self.pages.get_mut(page) {
                ops.push(Op::LinkAnnotation { link });
            }
        }
    }
}
