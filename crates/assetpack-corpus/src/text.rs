//! Text formats: SVG logos, HTML email signatures, WebVTT captions, transcripts, messages.

/// Escapes `&`, `<`, `>` and `"` for XML and HTML.
fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A 600 × 200 logo: forty strokes in the brand colour and the name.
pub(crate) fn svg(title: &str, [r, g, b]: [u8; 3]) -> String {
    let strokes: String = (0..40)
        .map(|i| {
            let x = 10 + i * 7;
            format!(
                "<path d=\"M{x} 20 L{} 80 L{} 20 Z\" fill=\"#{r:02x}{g:02x}{b:02x}\"/>\n",
                x + 4,
                x + 8
            )
        })
        .collect();
    let title = escape(title);
    format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"600\" height=\"200\" viewBox=\"0 0 600 200\" role=\"img\">\n\
         <title>{title}</title>\n{strokes}\
         <text x=\"320\" y=\"110\" font-family=\"Arial\" font-size=\"36\">{title}</text>\n</svg>\n"
    )
}

/// An HTML email signature with a banner image that has alt text, width and height.
pub(crate) fn signature(name: &str) -> String {
    let name = escape(name);
    format!(
        "<table role=\"presentation\" width=\"600\"><tr><td>\
         <img src=\"https://example.org/email-banner.png\" alt=\"{name}: evidence at your fingertips\" width=\"600\" height=\"120\">\
         </td></tr>\n<tr><td style=\"font-family:Arial\">Find out more about {name} from your library and knowledge service.</td></tr></table>\n"
    )
}

/// WebVTT captions: one cue every five seconds for `seconds`.
pub(crate) fn captions(title: &str, seconds: u32) -> String {
    let mut out = String::from("WEBVTT\n\n");
    for (n, start) in (0..seconds).step_by(5).enumerate() {
        let end = (start + 5).min(seconds);
        out.push_str(&format!(
            "{}\n00:{:02}:{:02}.000 --> 00:{:02}:{:02}.000\n{title}, part {}.\n\n",
            n + 1,
            start / 60,
            start % 60,
            end / 60,
            end % 60,
            n + 1
        ));
    }
    out
}

/// A video's transcript.
pub(crate) fn transcript(title: &str) -> String {
    format!(
        "Transcript: {title}\n\nNarrator: Your library and knowledge service can find the evidence \
         you need, when you need it. Ask a librarian today.\n"
    )
}

/// A ready-to-post campaign message.
pub(crate) fn message(name: &str) -> String {
    format!(
        "Health librarians bring the evidence for #amilliondecisions with {name}. \
         Ask your library and knowledge service. #NHS\n"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn captions_start_with_the_webvtt_line_and_cover_the_video() {
        let c = captions("Intro", 12);
        assert!(c.starts_with("WEBVTT\n\n"));
        assert!(c.contains("00:00:10.000 --> 00:00:12.000"));
    }

    #[test]
    fn names_are_escaped() {
        assert!(svg("A & B", [0, 0, 0]).contains("<title>A &amp; B</title>"));
        assert!(signature("<x>").contains("&lt;x&gt;"));
    }
}
