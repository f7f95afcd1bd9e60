//! Preflight of digital assets: social card shapes and sizes, HTML email signatures, videos.

use crate::content::{self, ReadAt};
use crate::problem::Code;

/// A shape a social channel shows an image in, with the smallest size it wants.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Shape {
    /// What people call it (`1.91:1 link card`, `story`).
    pub name: String,
    /// Smallest width, in pixels.
    pub width: u32,
    /// Smallest height, in pixels.
    pub height: u32,
}

impl Shape {
    /// A shape called `name`, at least `width × height` pixels.
    pub fn new(name: &str, width: u32, height: u32) -> Shape {
        Shape {
            name: name.to_owned(),
            width,
            height,
        }
    }

    /// `name=WIDTHxHEIGHT`, as `check --social-shape` takes it.
    pub fn parse(s: &str) -> Option<Shape> {
        let (name, size) = s.split_once('=')?;
        let (w, h) = size.trim().split_once(['x', '×'])?;
        let (w, h) = (w.trim().parse().ok()?, h.trim().parse().ok()?);
        (!name.trim().is_empty() && w > 0 && h > 0).then(|| Shape::new(name.trim(), w, h))
    }
}

/// The shapes social channels show whole, with the smallest size each wants (Meta's and
/// LinkedIn's link previews 1.91:1 at 1200×630; Instagram's square 1080×1080 and portrait 4:5
/// at 1080×1350).
pub fn default_shapes() -> Vec<Shape> {
    vec![
        Shape::new("1.91:1 link card", 1200, 630),
        Shape::new("1:1 square", 1080, 1080),
        Shape::new("4:5 portrait", 1080, 1350),
    ]
}

/// The largest image file most channels take (X, LinkedIn: 5 MB).
pub const MAX_CARD_BYTES: u64 = 5_000_000;

/// What is wrong with a social card of `pixels` in a file of `bytes`, if anything, against
/// the channels' `shapes`.
pub fn social_card((w, h): (u32, u32), bytes: u64, shapes: &[Shape]) -> Option<(String, String)> {
    let ratio = f64::from(w) / f64::from(h.max(1));
    let shape = shapes.iter().find(|s| {
        let want = f64::from(s.width) / f64::from(s.height.max(1));
        (ratio / want - 1.0).abs() <= 0.03
    });
    let sizes: Vec<String> = shapes
        .iter()
        .map(|s| format!("{}×{} ({})", s.width, s.height, s.name))
        .collect();
    let fix = format!("export it at one of {}", sizes.join(", "));
    match shape {
        None => Some((
            format!("the card is {w}×{h} px, a shape none of the channels shows whole"),
            fix,
        )),
        Some(s) if w < s.width || h < s.height => Some((
            format!(
                "the card is {w}×{h} px: a {} wants at least {}×{} px, or it shows blurred",
                s.name, s.width, s.height
            ),
            fix,
        )),
        _ if bytes > MAX_CARD_BYTES => Some((
            format!(
                "the card's file is {}: over the 5 MB most channels take",
                content::human_size(bytes)
            ),
            "export it smaller (JPEG, or PNG with fewer colours)".into(),
        )),
        _ => None,
    }
}

/// Largest HTML signature mail programs keep whole (Gmail cuts at about 10 KB of signature
/// text; Outlook and others slow past 100 KB).
pub const MAX_SIGNATURE_BYTES: u64 = 100_000;

/// Widest a signature should be, in pixels (mail clients' reading panes).
pub const MAX_SIGNATURE_WIDTH: u32 = 600;

/// What mail programs would block or mangle in an HTML email signature.
///
/// Tags are scanned by hand: only tag names and attributes are needed, and a signature is a
/// few kilobytes; a parser crate would build a document tree for nothing.
pub fn signature(at: &impl ReadAt) -> Vec<(Code, String, String)> {
    let mut out = Vec::new();
    if at.len() > MAX_SIGNATURE_BYTES {
        out.push((
            Code::SignatureHtml,
            format!(
                "the signature is {}: mail programs cut or slow down signatures over 100 KB",
                content::human_size(at.len())
            ),
            "link images by https address instead of embedding them; remove unused markup".into(),
        ));
    }
    let mut bytes = vec![0; at.len().min(4 * MAX_SIGNATURE_BYTES) as usize];
    let got = at.read_at(&mut bytes, 0).unwrap_or(0);
    out.extend(signature_markup(&String::from_utf8_lossy(&bytes[..got])));
    out
}

/// What mail programs would block or mangle in a signature's markup (see [`signature`]).
pub fn signature_markup(html: &str) -> Vec<(Code, String, String)> {
    let mut out = Vec::new();
    for tag in tags(&html.to_ascii_lowercase()) {
        judge_tag(&tag, &mut out);
    }
    out
}

/// One HTML tag: its name and attributes (names lowercase, values as written).
struct Tag {
    name: String,
    attrs: Vec<(String, String)>,
}

impl Tag {
    fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

fn judge_tag(tag: &Tag, out: &mut Vec<(Code, String, String)>) {
    let scripted = tag.name == "script"
        || tag
            .attrs
            .iter()
            .any(|(n, v)| n.starts_with("on") || v.trim_start().starts_with("javascript:"));
    if scripted {
        let what = if tag.name == "script" {
            "a <script>".to_owned()
        } else {
            format!("a script in a <{}> attribute", tag.name)
        };
        out.push((
            Code::SignatureScript,
            format!(
                "the signature has {what}: mail programs strip it or flag the message as unsafe"
            ),
            "remove every script and event handler".into(),
        ));
        return;
    }
    let width = tag
        .attr("width")
        .and_then(|w| w.trim_end_matches("px").trim().parse::<u32>().ok());
    if matches!(tag.name.as_str(), "img" | "table")
        && width.is_some_and(|w| w > MAX_SIGNATURE_WIDTH)
    {
        out.push((
            Code::SignatureHtml,
            format!(
                "a <{}> is {} px wide: wider than the 600 px a reading pane shows",
                tag.name,
                width.unwrap_or(0)
            ),
            "keep the signature within 600 px".into(),
        ));
    }
    if tag.name != "img" {
        return;
    }
    let missing: Vec<&str> = ["alt", "width", "height"]
        .into_iter()
        .filter(|a| tag.attr(a).is_none())
        .collect();
    if !missing.is_empty() {
        out.push((
            Code::SignatureHtml,
            format!("an <img> has no {}: without them screen readers say nothing and blocked images collapse the layout", missing.join(", ")),
            "give every image alt text, a width and a height".into(),
        ));
    }
    let src = tag.attr("src").unwrap_or_default().trim();
    if !(src.starts_with("https://") || src.starts_with("data:") || src.starts_with("cid:")) {
        out.push((
            Code::SignatureHtml,
            format!("an <img> loads `{src}`: mail programs show only images at https addresses or embedded ones"),
            "host the image at an https address, or embed it".into(),
        ));
    }
}

/// The tags of an HTML text (lowercased), attributes unquoted; comments skipped.
fn tags(html: &str) -> Vec<Tag> {
    let mut out = Vec::new();
    let mut rest = html;
    while let Some(open) = rest.find('<') {
        rest = &rest[open + 1..];
        if let Some(after) = rest.strip_prefix("!--") {
            rest = after.find("-->").map_or("", |e| &after[e + 3..]);
            continue;
        }
        let end = rest.find('>').unwrap_or(rest.len());
        let inside = &rest[..end];
        rest = &rest[end.min(rest.len())..];
        let name: String = inside
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .collect();
        if !name.is_empty() {
            out.push(Tag {
                attrs: attributes(&inside[name.len()..]),
                name,
            });
        }
    }
    out
}

fn attributes(s: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut rest = s.trim_start_matches(|c: char| c.is_whitespace() || c == '/');
    while !rest.is_empty() {
        let name_end = rest
            .find(|c: char| c.is_whitespace() || c == '=' || c == '/')
            .unwrap_or(rest.len());
        let name = rest[..name_end].to_owned();
        rest = rest[name_end..].trim_start();
        let mut value = String::new();
        if let Some(after) = rest.strip_prefix('=') {
            let after = after.trim_start();
            let (v, tail) = match after.chars().next() {
                Some(q @ ('"' | '\'')) => {
                    let body = &after[1..];
                    let close = body.find(q).unwrap_or(body.len());
                    (&body[..close], body.get(close + 1..).unwrap_or(""))
                }
                _ => {
                    let e = after.find(char::is_whitespace).unwrap_or(after.len());
                    (&after[..e], &after[e..])
                }
            };
            value = v.to_owned();
            rest = tail;
        }
        if !name.is_empty() {
            out.push((name, value));
        }
        rest = rest.trim_start_matches(|c: char| c.is_whitespace() || c == '/');
    }
    out
}

/// Video codecs and containers every common player takes.
const PLAYABLE: [&str; 9] = [
    "avc1", "avc3", "hvc1", "hev1", "av01", "vp09", "mp4a", "Opus", "ac-3",
];

/// What a player might refuse in an MP4 or QuickTime file, if anything.
pub fn video(at: &impl ReadAt) -> Option<(String, String)> {
    let Some((brand, codecs)) = content::mp4_codecs(at) else {
        return Some((
            "the video's boxes (ftyp, moov, trak, stsd) cannot be read: players may refuse it"
                .into(),
            "export it again as MP4 (H.264 video, AAC audio)".into(),
        ));
    };
    let odd: Vec<&String> = codecs
        .iter()
        .filter(|c| !PLAYABLE.contains(&c.as_str()))
        .collect();
    let duration = content::mp4_duration(at)
        .map(|s| format!(", {}:{:02}", s as u64 / 60, s as u64 % 60))
        .unwrap_or_default();
    if brand.trim() == "qt" || !odd.is_empty() || codecs.is_empty() {
        let container = if brand.trim() == "qt" {
            "QuickTime"
        } else {
            "MP4"
        };
        let list = if codecs.is_empty() {
            "no tracks".to_owned()
        } else {
            codecs.join(", ")
        };
        return Some((
            format!(
                "the video is {container} ({list}{duration}): browsers and phones may not play it"
            ),
            "export it as MP4 with H.264 (avc1) video and AAC (mp4a) audio".into(),
        ));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn social_cards_are_judged_by_shape_size_and_bytes() {
        let shapes = default_shapes();
        assert_eq!(social_card((1200, 630), 300_000, &shapes), None);
        assert_eq!(social_card((1080, 1350), 300_000, &shapes), None);
        let small = social_card((800, 800), 1, &shapes).expect("small").0;
        assert!(small.contains("at least 1080×1080"), "{small}");
        let odd = social_card((1080, 1920), 1, &shapes).expect("odd").0;
        assert!(odd.contains("none of the channels"), "{odd}");
        let big = social_card((1080, 1080), 6_000_000, &shapes)
            .expect("big")
            .0;
        assert!(big.contains("5 MB"), "{big}");
        let story = Shape::parse("story=1080x1920").expect("parses");
        assert_eq!(social_card((1080, 1920), 1, &[story]), None);
        assert_eq!(Shape::parse("story=1080"), None);
    }

    #[test]
    fn tags_and_attributes_are_read_as_mail_programs_read_them() {
        let t = tags(
            "<!-- <script> --><img src='https://x/a.png' alt=\"Logo\" width=120 HEIGHT=\"40\"/><p>",
        );
        assert_eq!(t.len(), 2);
        assert_eq!(t[0].name, "img");
        assert_eq!(t[0].attr("src"), Some("https://x/a.png"));
        assert_eq!(t[0].attr("width"), Some("120"));
    }

    #[test]
    fn signature_rules() {
        let judge = |html: &str| {
            let mut out = Vec::new();
            for t in tags(&html.to_ascii_lowercase()) {
                judge_tag(&t, &mut out);
            }
            out.into_iter().map(|(c, m, _)| (c, m)).collect::<Vec<_>>()
        };
        assert!(
            judge("<img src=\"https://a/b.png\" alt=\"B\" width=\"100\" height=\"40\">").is_empty()
        );
        let bad = judge("<img src=\"logo.png\"><table width=\"700\"><a onclick=\"x()\">");
        let codes: Vec<Code> = bad.iter().map(|(c, _)| *c).collect();
        assert_eq!(
            codes,
            [
                Code::SignatureHtml,
                Code::SignatureHtml,
                Code::SignatureHtml,
                Code::SignatureScript
            ]
        );
        assert!(bad[0].1.contains("no alt, width, height"), "{bad:?}");
        assert!(judge("<script>alert(1)</script>")
            .iter()
            .any(|(c, _)| *c == Code::SignatureScript));
    }
}
