//! The parts of the index, laid out in order: the cover, the contents (reserved first, written
//! once the sections are placed), a section per provider with a card per asset, and the
//! footers.

use std::collections::BTreeMap;

use assetpack::catalog::Selected;
use assetpack::manifest::{Content, Date, Manifest};
use printpdf::Color;

use crate::facts::{Card, Tone};
use crate::layout::{rgb, Layout, Paper};
use crate::Input;

const QR: f32 = 56.0;

fn dark() -> Color {
    rgb(20, 20, 20)
}

fn grey() -> Color {
    rgb(90, 90, 90)
}

fn accent() -> Color {
    rgb(0, 94, 184)
}

/// A thumbnail ready to draw.
pub(crate) enum Drawn {
    Image(printpdf::XObjectId, f32, f32),
    Page(f32, String),
    Icon(String),
    Broken,
}

/// Size of the thumbnail column, in points.
const THUMB: f32 = 58.0;

/// The cover: the title on a band of colour, then the pack's facts.
pub(crate) fn cover(l: &mut Layout, input: &Input, providers: usize) {
    let tw = l.text_width();
    l.rect(0.0, l.height - 120.0, l.width, 120.0, Some(accent()), None);
    l.y = l.height - 70.0;
    for line in l.bold.wrap(&input.title(), 22.0, tw) {
        let y = l.y;
        l.text_at(l.margin, y, &line, 22.0, true, rgb(255, 255, 255));
        l.y -= 28.0;
    }
    l.y = l.height - 160.0;
    let facts = crate::facts::cover(input, providers);
    for (k, v) in &facts {
        l.paragraph(0.0, tw, k, 9.0, true, grey());
        l.paragraph(0.0, tw, v, 12.0, false, dark());
        l.gap(6.0);
    }
    l.gap(10.0);
    l.paragraph(
        0.0,
        tw,
        "This index lists every item in the pack. Items marked “Printed copies available” can be ordered with the request form at the end: fill it in on screen or on paper and send it to the provider's print contact.",
        9.5,
        false,
        grey(),
    );
}

/// Pages kept for the contents: where they start and how many.
#[derive(Clone, Copy)]
pub(crate) struct Reserved {
    first: usize,
    pages: usize,
}

/// Keeps pages for a contents list of `providers` lines and the form's.
pub(crate) fn reserve_contents(l: &mut Layout, providers: usize) -> Reserved {
    let lines = providers + 2;
    let per_page = ((l.height - 2.0 * l.margin - 60.0) / 18.0).max(1.0) as usize;
    let reserved = Reserved {
        first: l.pages.len(),
        pages: lines.div_ceil(per_page).max(1),
    };
    for _ in 0..reserved.pages {
        l.new_page();
    }
    reserved
}

/// Writes the contents into the reserved pages: each provider and the form, with its page
/// number and a link to it.
pub(crate) fn contents(
    l: &mut Layout,
    input: &Input,
    by_manifest: &BTreeMap<usize, Vec<&Selected>>,
    reserved: Reserved,
    form_first: usize,
    paper: Paper,
) {
    let tw = l.text_width();
    let mut c = Layout::new(paper, l.regular, l.bold);
    c.paragraph(0.0, tw, "Contents", 18.0, true, accent());
    c.gap(10.0);
    let mut entries: Vec<(String, usize, String)> = by_manifest
        .keys()
        .map(|&mi| {
            let p = &input.manifests[mi].provider;
            let anchor = format!("provider:{}", p.id);
            let page = l.anchors.get(&anchor).copied().unwrap_or(0);
            (p.name.clone(), page, anchor)
        })
        .collect();
    entries.push((
        "Printed-materials request form".into(),
        form_first,
        "form".into(),
    ));
    for (name, page, anchor) in entries {
        c.need(18.0);
        c.y -= 18.0;
        let y = c.y;
        c.text_at(c.margin, y, &name, 11.0, false, dark());
        let num = (page + 1).to_string();
        let nw = c.regular.width(&num, 11.0);
        c.text_at(c.width - c.margin - nw, y, &num, 11.0, false, dark());
        let rect = (c.margin, y - 4.0, tw, 16.0);
        l.goto.push((reserved.first + c.page(), rect, anchor));
    }
    for (i, ops) in c.pages.into_iter().enumerate().take(reserved.pages) {
        l.pages[reserved.first + i] = ops;
    }
}

/// "Page N of M" and the title at the foot of every page.
pub(crate) fn footers(l: &mut Layout, title: &str, paper: Paper) {
    let total = l.pages.len();
    let short: String = title.chars().take(70).collect();
    for i in 0..total {
        let label = format!("Page {} of {}", i + 1, total);
        let x = l.width - l.margin - l.regular.width(&label, 8.0);
        let mut tmp = Layout::new(paper, l.regular, l.bold);
        tmp.pages[0] = std::mem::take(&mut l.pages[i]);
        tmp.text_at(x, 25.0, &label, 8.0, false, grey());
        tmp.text_at(l.margin, 25.0, &short, 8.0, false, grey());
        l.pages[i] = std::mem::take(&mut tmp.pages[0]);
    }
}

/// A provider's section: its name (an anchor for the contents), website with a QR code,
/// contact, terms and print contact, then a card per chosen asset.
pub(crate) fn provider(
    l: &mut Layout,
    input: &Input,
    m: &Manifest,
    chosen: &[&Selected],
    today: Date,
    drawn: &BTreeMap<(usize, usize), (Drawn, Option<String>)>,
) {
    provider_header(l, m);
    for s in chosen {
        let (thumb, format) = match drawn.get(&(s.manifest, s.asset)) {
            Some((d, f)) => (Some(d), f.as_deref()),
            None => (None, None),
        };
        let card = Card {
            input,
            m,
            a: &m.assets[s.asset],
            s,
            today,
            format,
        };
        card.draw(l, thumb);
    }
}

fn provider_header(l: &mut Layout, m: &Manifest) {
    let p = &m.provider;
    let tw = l.text_width();
    l.new_page();
    l.anchor(&format!("provider:{}", p.id));
    l.paragraph(0.0, tw, &p.name, 18.0, true, accent());
    l.gap(4.0);
    if let Some(w) = &p.website {
        let top = l.y;
        l.paragraph(0.0, tw - QR - 10.0, w, 9.5, false, accent());
        let bottom = l.y;
        l.uri(
            (l.margin, bottom - 3.0, tw - QR - 10.0, top - bottom + 3.0),
            w,
        );
        let (qx, qy) = (l.width - l.margin - QR, top - QR + 8.0);
        l.qr(qx, qy, QR, w);
    }
    let lines = crate::facts::provider(m)
        .into_iter()
        .map(|(label, text)| match label {
            "Print notes" => (text, grey()),
            _ => (format!("{label}: {text}"), dark()),
        });
    for (text, colour) in lines {
        l.paragraph(0.0, tw - 70.0, &text, 9.5, false, colour);
    }
    l.y = l.y.min(l.height - l.margin - 110.0);
    l.gap(8.0);
}

/// Drawing a card of [`crate::facts::Card`].
trait Draw {
    fn draw(&self, l: &mut Layout, thumb: Option<&Drawn>);
    fn draw_content(&self, l: &mut Layout, x0: f32, text_w: f32, top: f32, first_page: usize);
    fn draw_badges(&self, l: &mut Layout, x0: f32);
}

impl Draw for Card<'_> {
    /// The thumbnail on the left; title, details, content, badges on the right; a rule below.
    fn draw(&self, l: &mut Layout, thumb: Option<&Drawn>) {
        let is_link = matches!(self.a.content, Content::Url(_));
        // Text sits right of the thumbnail (and left of a link's QR code).
        let x0 = THUMB + 12.0;
        let text_w = if is_link {
            l.text_width() - QR - 12.0
        } else {
            l.text_width()
        } - x0;
        // Keep a card's first lines together.
        l.need(THUMB + 8.0);
        let top = l.y;
        let first_page = l.page();
        let mx = l.margin;
        draw_thumb(l, mx, top - 2.0, thumb);
        l.paragraph(x0, text_w, &self.a.title, 11.0, true, dark());
        l.paragraph(x0, text_w, &self.details().join(" · "), 8.5, false, grey());
        if let Some(d) = &self.a.description {
            l.paragraph(x0, text_w, d, 9.0, false, dark());
        }
        self.draw_content(l, x0, text_w, top, first_page);
        for line in self.also_as().into_iter().chain(self.notes()) {
            l.paragraph(x0, text_w, &line, 8.5, false, grey());
        }
        self.draw_badges(l, x0);
        // Below the thumbnail, unless the card ran onto another page.
        if l.page() == first_page {
            l.y = l.y.min(top - THUMB - 4.0);
        }
        l.gap(10.0);
        let (left, right, y) = (l.margin, l.width - l.margin, l.y + 4.0);
        l.rect(left, y, right - left, 0.4, Some(rgb(210, 210, 210)), None);
    }

    /// A link with its QR code, or a message in full with its length.
    fn draw_content(&self, l: &mut Layout, x0: f32, text_w: f32, top: f32, first_page: usize) {
        match &self.a.content {
            Content::Url(u) => {
                let t = l.y;
                l.paragraph(x0, text_w, u, 9.0, false, accent());
                let b = l.y;
                let m = l.margin + x0;
                l.uri((m, b - 3.0, text_w, t - b + 3.0), u);
                let (qx, qy) = (l.width - l.margin - QR, top - QR);
                l.qr(qx, qy, QR, u);
                if l.page() == first_page {
                    l.y = l.y.min(top - QR - 4.0);
                }
            }
            Content::Text { text, channel } => {
                l.paragraph(x0 + 8.0, text_w - 8.0, text, 9.5, false, dark());
                let note = crate::facts::message_length(text, channel.as_deref());
                l.paragraph(x0 + 8.0, text_w, &note, 8.0, false, grey());
            }
            // A file is shown by its thumbnail.
            _ => {}
        }
    }

    /// Review badges (overdue, due within 30 days) and print availability.
    fn draw_badges(&self, l: &mut Layout, x0: f32) {
        let badges = self.badges();
        if badges.is_empty() {
            return;
        }
        l.need(16.0);
        l.y -= 14.0;
        let mut x = l.margin + x0;
        let y = l.y;
        for (text, tone) in badges {
            x += l.badge(x, y, &text, tone_colour(tone)) + 6.0;
        }
    }
}

fn tone_colour(tone: Tone) -> Color {
    match tone {
        Tone::Overdue => rgb(190, 30, 45),
        Tone::Due => rgb(200, 110, 0),
        Tone::Print => rgb(0, 122, 90),
    }
}

fn draw_thumb(l: &mut Layout, x: f32, top: f32, thumb: Option<&Drawn>) {
    let grey = rgb(120, 120, 120);
    match thumb {
        Some(Drawn::Image(id, w, h)) => {
            let scale = THUMB / w.max(*h);
            let (dw, dh) = (w * scale, h * scale);
            let y = top - dh;
            l.image(id, x + (THUMB - dw) / 2.0, y, scale);
            l.rect(
                x + (THUMB - dw) / 2.0,
                y,
                dw,
                dh,
                None,
                Some(rgb(200, 200, 200)),
            );
        }
        Some(Drawn::Page(ratio, label)) => {
            let (w, h) = if *ratio <= 1.0 {
                (THUMB * ratio, THUMB)
            } else {
                (THUMB, THUMB / ratio)
            };
            let px = x + (THUMB - w) / 2.0;
            l.rect(
                px,
                top - h,
                w,
                h,
                Some(rgb(245, 245, 245)),
                Some(grey.clone()),
            );
            // The label fits the page outline, however narrow.
            let size = (7.0 * (w - 4.0) / l.regular.width(label, 7.0).max(1.0)).clamp(3.0, 7.0);
            let lw = l.regular.width(label, size);
            l.text_at(
                px + (w - lw) / 2.0,
                top - h / 2.0 - 2.0,
                label,
                size,
                false,
                grey,
            );
        }
        Some(Drawn::Icon(label)) => {
            l.rect(
                x + 6.0,
                top - THUMB + 6.0,
                THUMB - 12.0,
                THUMB - 12.0,
                Some(rgb(230, 236, 244)),
                None,
            );
            let lw = l.bold.width(label, 8.0);
            l.text_at(
                x + (THUMB - lw) / 2.0,
                top - THUMB / 2.0 - 3.0,
                label,
                8.0,
                true,
                rgb(0, 94, 184),
            );
        }
        Some(Drawn::Broken) | None => {
            l.rect(
                x + 6.0,
                top - THUMB + 6.0,
                THUMB - 12.0,
                THUMB - 12.0,
                Some(rgb(252, 235, 235)),
                Some(rgb(190, 30, 45)),
            );
            let lw = l.bold.width("?", 14.0);
            l.text_at(
                x + (THUMB - lw) / 2.0,
                top - THUMB / 2.0 - 5.0,
                "?",
                14.0,
                true,
                rgb(190, 30, 45),
            );
        }
    }
}
