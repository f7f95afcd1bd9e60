#!/usr/bin/env python3
"""Write the small sample assets that packs/providers/*.toml describe.

Every file is a real file of its format, made here from scratch so the project owns it:
PDFs with text at A3, A4, A5, A6, DL and bookmark page sizes (valid cross-reference tables,
`qpdf --check` clean), PNGs encoded with zlib at 1200x630, 1080x1080 and logo sizes, SVG
logos, HTML email signatures, WebVTT captions, plain-text transcripts and a Word document.
The two MP4 videos were encoded once with ffmpeg (libx264, see VIDEO_COMMAND) and are kept
as they are; the script only re-encodes them when run with --videos and ffmpeg is present.

    python3 assets/make-samples.py [--videos]

Run from the repository root. Output is deterministic: the same script gives the same bytes.
"""
import os
import struct
import subprocess
import sys
import zipfile
import zlib

ROOT = os.path.dirname(os.path.abspath(__file__))

PT = {
    "A3": (841.89, 1190.55),
    "A4": (595.28, 841.89),
    "A5": (419.53, 595.28),
    "A6": (297.64, 419.53),
    "DL": (283.46, 595.28),
    "bookmark": (141.73, 595.28),
}

PROVIDERS = {
    "knowledge-hub": ("NHS Knowledge and Library Hub", (0, 94, 184)),
    "bmj-best-practice": ("BMJ Best Practice", (33, 64, 154)),
    "openathens": ("NHS OpenAthens", (0, 114, 206)),
    "oup": ("Oxford University Press", (0, 33, 71)),
    "royal-marsden": ("The Royal Marsden Manual", (122, 40, 138)),
    "maudsley": ("Maudsley Prescribing Guidelines", (0, 122, 90)),
    "kortext": ("Kortext", (230, 0, 126)),
    "core-content": ("National Core Content", (65, 64, 66)),
    "amilliondecisions": ("#AMillionDecisions", (218, 41, 28)),
}

VIDEO_COMMAND = [
    "ffmpeg", "-y", "-loglevel", "error", "-f", "lavfi", "-i",
    "testsrc2=size=320x180:rate=12:duration=6", "-f", "lavfi", "-i",
    "sine=frequency=440:duration=6", "-c:v", "libx264", "-preset", "veryslow", "-crf", "34",
    "-pix_fmt", "yuv420p", "-c:a", "aac", "-b:a", "32k", "-movflags", "+faststart",
    "-fflags", "+bitexact", "-map_metadata", "-1",
]


def write(rel, data):
    path = os.path.join(ROOT, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)


def pdf_escape(s):
    return s.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def pdf(size, lines, colour, pages=1):
    """A PDF of `pages` pages at `size` (points) with a coloured band and lines of text."""
    w, h = size
    r, g, b = (c / 255 for c in colour)
    objects = []
    kids = []
    n_fixed = 3  # catalog, pages, font
    for p in range(pages):
        page_no = n_fixed + 1 + 2 * p
        kids.append(page_no)
    for p in range(pages):
        band = h * 0.18
        fs = max(9, min(36, w / 16))
        ops = [f"{r:.3f} {g:.3f} {b:.3f} rg 0 {h - band:.2f} {w:.2f} {band:.2f} re f"]
        ops.append("BT 1 1 1 rg /F1 %.1f Tf %.2f %.2f Td (%s) Tj ET"
                   % (fs, w * 0.06, h - band * 0.6, pdf_escape(lines[0])))
        y = h - band - fs * 1.8
        for line in lines[1:]:
            ops.append("BT 0 0 0 rg /F1 %.1f Tf %.2f %.2f Td (%s) Tj ET"
                       % (fs * 0.55, w * 0.06, y, pdf_escape(line)))
            y -= fs * 0.9
        if pages > 1:
            ops.append("BT 0 0 0 rg /F1 9 Tf %.2f 20 Td (Page %d of %d) Tj ET" % (w / 2 - 25, p + 1, pages))
        stream = "\n".join(ops).encode("latin-1")
        objects.append((kids[p], b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %.2f %.2f] "
                        b"/Resources << /Font << /F1 3 0 R >> >> /Contents %d 0 R >>"
                        % (w, h, kids[p] + 1)))
        objects.append((kids[p] + 1, b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream"))
    objects.append((1, b"<< /Type /Catalog /Pages 2 0 R >>"))
    objects.append((2, b"<< /Type /Pages /Kids [%s] /Count %d >>"
                    % (b" ".join(b"%d 0 R" % k for k in kids), pages)))
    objects.append((3, b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>"))
    objects.sort()
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = {}
    for num, body in objects:
        offsets[num] = len(out)
        out += b"%d 0 obj\n" % num + body + b"\nendobj\n"
    xref = len(out)
    count = len(objects) + 1
    out += b"xref\n0 %d\n0000000000 65535 f \n" % count
    for num in range(1, count):
        out += b"%010d 00000 n \n" % offsets[num]
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (count, xref)
    return bytes(out)


def png(width, height, colour, stripe=(255, 255, 255)):
    """An RGB PNG: brand colour with a white band, compressed with zlib."""
    r, g, b = colour
    rows = []
    band_top, band_bottom = int(height * 0.62), int(height * 0.78)
    for y in range(height):
        px = bytes(stripe) if band_top <= y < band_bottom else bytes((r, g, b))
        rows.append(b"\0" + px * width)
    raw = b"".join(rows)

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))


def svg_logo(name, colour):
    r, g, b = colour
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<svg xmlns="http://www.w3.org/2000/svg" width="600" height="200" viewBox="0 0 600 200" role="img" aria-labelledby="t">
  <title id="t">{name} logo</title>
  <rect width="600" height="200" rx="16" fill="rgb({r},{g},{b})"/>
  <text x="300" y="115" font-family="Arial, Helvetica, sans-serif" font-size="34" fill="#fff" text-anchor="middle">{name}</text>
</svg>
""".encode()


def signature(name, colour, link):
    r, g, b = colour
    return f"""<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>{name} email signature</title></head>
<body>
<table role="presentation" cellpadding="0" cellspacing="0" style="font-family:Arial,sans-serif;font-size:13px">
  <tr><td style="border-left:4px solid rgb({r},{g},{b});padding-left:8px">
    <strong>Your name</strong><br>Clinical librarian, your library service<br>
    Search smarter with <a href="{link}" style="color:rgb({r},{g},{b})">{name}</a>, free to NHS staff.
  </td></tr>
</table>
</body>
</html>
""".encode()


def docx(title, lines):
    """A minimal Word document (Office Open XML), deterministic timestamps."""
    import io
    body = "".join(f"<w:p><w:r><w:t xml:space=\"preserve\">{l}</w:t></w:r></w:p>" for l in [title] + lines)
    parts = {
        "[Content_Types].xml": '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>'
        '</Types>',
        "_rels/.rels": '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/>'
        '</Relationships>',
        "word/document.xml": '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
        f"<w:body>{body}</w:body></w:document>",
    }
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, text in parts.items():
            info = zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(info, text)
    return buf.getvalue()


TRANSCRIPT_WHY = """Why work with librarians and knowledge specialists?

[Narrator] Every day, people across health and care in England make a great many decisions
that shape patients' lives and the cost of services.

[Narrator] Information is everywhere now, which makes it harder, not easier, to find what
matters. Library and knowledge specialists search the research, reports and journals, and
also help teams capture what colleagues already know.

[Narrator] Working with them saves time and money, and above all it improves care.

[On screen] Health librarians and knowledge specialists: evidence for every decision.
"""

CAPTIONS_WHY = """WEBVTT

00:00.000 --> 00:02.000
Every day, people across health and care
make a great many decisions.

00:02.000 --> 00:04.000
Library and knowledge specialists
find the evidence behind them.

00:04.000 --> 00:06.000
Evidence for every decision.
"""

TRANSCRIPT_BMJ = """Getting started with BMJ Best Practice

[Presenter] Sign in with your NHS OpenAthens account, or download the app and activate it
with your work email address.

[Presenter] Search by condition or symptom, then use the topic's summary, diagnosis and
management sections at the point of care.

[Presenter] Your library team can show you more, including CME/CPD tracking.
"""

CAPTIONS_BMJ = """WEBVTT

00:00.000 --> 00:02.000
Sign in with NHS OpenAthens,
or activate the app.

00:02.000 --> 00:04.000
Search by condition or symptom.

00:04.000 --> 00:06.000
Ask your library team for a tour.
"""


def main():
    for pid, (name, colour) in PROVIDERS.items():
        write(f"{pid}/logos/{pid}-logo.svg", svg_logo(name, colour))
        write(f"{pid}/logos/{pid}-logo.png", png(600, 200, colour))
        write(f"{pid}/social/{pid}-social-card-landscape.png", png(1200, 630, colour))

    def poster(pid, rel, size, lines, pages=1):
        write(f"{pid}/{rel}", pdf(PT[size], lines, PROVIDERS[pid][1], pages))

    poster("knowledge-hub", "posters/knowledge-hub-a3-poster.pdf", "A3",
           ["NHS Knowledge and Library Hub", "One search box for journals, ebooks and databases.",
            "Sign in with NHS OpenAthens. Ask your library team."])
    poster("knowledge-hub", "postcards/knowledge-hub-postcard.pdf", "A6",
           ["Find it on the Hub", "Search once, read everywhere."])
    poster("knowledge-hub", "guides/knowledge-hub-quick-guide.pdf", "A4",
           ["Quick guide to the Hub", "1. Sign in.", "2. Search.", "3. Save and share."], pages=2)
    write("knowledge-hub/email-signatures/knowledge-hub-signature.html",
          signature("the NHS Knowledge and Library Hub", PROVIDERS["knowledge-hub"][1], "https://library.nhs.uk/knowledgehub/"))

    poster("bmj-best-practice", "posters/bmj-best-practice-a3-poster.pdf", "A3",
           ["BMJ Best Practice", "Point-of-care decision support.", "Free to NHS staff in England."])
    poster("bmj-best-practice", "postcards/bmj-best-practice-app-postcard.pdf", "A6",
           ["Get the app", "Activate with your work email."])
    poster("bmj-best-practice", "flyers/bmj-best-practice-dl-flyer.pdf", "DL",
           ["BMJ Best Practice", "For junior doctors:", "evidence at the bedside."])
    poster("bmj-best-practice", "guides/bmj-best-practice-clinical-scenarios.pdf", "A4",
           ["Clinical scenarios", "Training exercises for teaching sessions."], pages=3)
    write("bmj-best-practice/social/bmj-best-practice-social-card-square.png",
          png(1080, 1080, PROVIDERS["bmj-best-practice"][1]))
    write("bmj-best-practice/email-signatures/bmj-best-practice-signature.html",
          signature("BMJ Best Practice", PROVIDERS["bmj-best-practice"][1], "https://bestpractice.bmj.com/"))
    write("bmj-best-practice/videos/getting-started.txt", TRANSCRIPT_BMJ.encode())
    write("bmj-best-practice/videos/getting-started.vtt", CAPTIONS_BMJ.encode())

    poster("openathens", "posters/openathens-a4-poster.pdf", "A4",
           ["NHS OpenAthens", "One account for NHS knowledge resources.", "Register today."])
    poster("openathens", "bookmarks/openathens-bookmark.pdf", "bookmark",
           ["OpenAthens", "Register.", "Sign in.", "Read."])

    poster("oup", "posters/oup-a3-poster-oxford-handbooks.pdf", "A3",
           ["Oxford Handbooks", "The national collection of Oxford Handbooks,",
            "Emergencies in... and Oxford Textbooks."])
    poster("oup", "flyers/oup-interactive-flyer.pdf", "A4",
           ["Oxford Medicine Online", "Interactive flyer: click through to each collection."])
    write("oup/flyers/oup-interactive-flyer-editable.docx",
          docx("Oxford Medicine Online", ["Add your library's details here."]))
    write("oup/flyers/oup-interactive-flyer-web.png", png(1200, 630, PROVIDERS["oup"][1]))
    poster("oup", "table-talkers/oup-table-talker.pdf", "A5",
           ["Oxford Handbooks", "Pocket-sized knowledge, now online."])
    poster("oup", "bookmarks/oup-bookmark.pdf", "bookmark",
           ["Oxford", "Handbooks", "online"])
    write("oup/email-signatures/oup-signature.html",
          signature("Oxford Medicine Online", PROVIDERS["oup"][1], "https://oxfordmedicine.com/"))

    poster("royal-marsden", "posters/royal-marsden-a4-poster.pdf", "A4",
           ["The Royal Marsden Manual", "Clinical nursing procedures, online.", "Training sessions every month."])
    poster("royal-marsden", "guides/royal-marsden-training-guide.pdf", "A4",
           ["Training guide", "Basic: searching the platform.", "Advanced: adding local Trust guidelines."], pages=2)

    poster("maudsley", "posters/maudsley-a4-poster.pdf", "A4",
           ["The Maudsley Prescribing Guidelines", "in Psychiatry, online for NHS staff."])
    poster("maudsley", "postcards/maudsley-postcard.pdf", "A6",
           ["Maudsley Prescribing Guidelines", "Now on your library's platform."])

    poster("kortext", "guides/kortext-getting-started.pdf", "A4",
           ["Kortext for the NHS", "Getting started: sign in, search, read offline."], pages=2)
    write("kortext/email-signatures/kortext-email-banner.png", png(600, 120, PROVIDERS["kortext"][1]))

    poster("core-content", "posters/core-content-a3-poster.pdf", "A3",
           ["National Core Content", "Databases and journal collections", "for everyone working in the NHS."])
    poster("core-content", "flyers/core-content-dl-flyer.pdf", "DL",
           ["Core Content", "Journals, databases,", "point-of-care tools."])

    poster("amilliondecisions", "posters/amilliondecisions-a3-poster.pdf", "A3",
           ["#AMillionDecisions", "Evidence for every decision.", "Talk to your health librarian."])
    poster("amilliondecisions", "bookmarks/amilliondecisions-bookmark.pdf", "bookmark",
           ["#AMillion", "Decisions"])
    poster("amilliondecisions", "table-talkers/amilliondecisions-table-talker.pdf", "A5",
           ["#AMillionDecisions", "Ask us for the evidence."])
    write("amilliondecisions/social/amilliondecisions-endorsement-card-square.png",
          png(1080, 1080, PROVIDERS["amilliondecisions"][1]))
    write("amilliondecisions/videos/why-librarians.txt", TRANSCRIPT_WHY.encode())
    write("amilliondecisions/videos/why-librarians.vtt", CAPTIONS_WHY.encode())

    if "--videos" in sys.argv:
        for rel in ["amilliondecisions/videos/why-librarians.mp4", "bmj-best-practice/videos/getting-started.mp4"]:
            subprocess.run(VIDEO_COMMAND + [os.path.join(ROOT, rel)], check=True)


if __name__ == "__main__":
    main()
