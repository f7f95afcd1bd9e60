//! Real files made in the tests, for preflight: PDFs at a chosen page size with boxes, fonts
//! (a standard-14 reference or an embedded font file) and placed images; PNGs of a chosen size;
//! MP4s with real `ftyp`/`moov`/`mvhd`/`trak`/`stsd` boxes.

/// What a made PDF holds.
#[derive(Clone, Debug)]
pub struct PdfSpec {
    /// Page size in millimetres (MediaBox), and how many pages.
    pub page_mm: (f64, f64),
    pub pages: usize,
    /// A TrimBox this many millimetres inside the MediaBox on every side (bleed).
    pub trim_inset_mm: Option<f64>,
    /// The font embeds a font file (else a bare `/Helvetica` reference).
    pub embed_font: bool,
    /// An image of these pixels placed over the whole first page, in this colour space.
    pub image: Option<(u32, u32, &'static str)>,
    /// An `/Encrypt` dictionary in the trailer.
    pub encrypted: bool,
    /// Tagged (a structure tree), with a title and a language.
    pub accessible: bool,
}

impl PdfSpec {
    /// One page of `w × h` mm, Helvetica not embedded, no image.
    pub fn page(w: f64, h: f64) -> PdfSpec {
        PdfSpec {
            page_mm: (w, h),
            pages: 1,
            trim_inset_mm: None,
            embed_font: false,
            image: None,
            encrypted: false,
            accessible: false,
        }
    }
}

fn pt(mm: f64) -> f64 {
    mm / 25.4 * 72.0
}

/// The PDF, with a correct cross-reference table.
pub fn pdf(spec: &PdfSpec) -> Vec<u8> {
    let (w, h) = (pt(spec.page_mm.0), pt(spec.page_mm.1));
    let first_page = 7;
    let kids: Vec<String> = (0..spec.pages)
        .map(|i| format!("{} 0 R", first_page + 2 * i))
        .collect();
    let catalog = if spec.accessible {
        "<< /Type /Catalog /Pages 2 0 R /Lang (en-GB) /MarkInfo << /Marked true >> /StructTreeRoot << /Type /StructTreeRoot >> >>"
    } else {
        "<< /Type /Catalog /Pages 2 0 R >>"
    };
    let mut objects: Vec<String> = vec![
        catalog.into(),
        format!(
            "<< /Type /Pages /Kids [{}] /Count {} >>",
            kids.join(" "),
            spec.pages
        ),
    ];
    // 3: the font, 4: its descriptor, 5: the font file, 6: the image (placed when asked).
    if spec.embed_font {
        objects.push(
            "<< /Type /Font /Subtype /TrueType /BaseFont /DejaVuSans /FontDescriptor 4 0 R >>"
                .into(),
        );
        objects.push("<< /Type /FontDescriptor /FontName /DejaVuSans /FontFile2 5 0 R >>".into());
    } else {
        objects.push("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>".into());
        objects.push("<< >>".into());
    }
    objects.push("<< /Length 4 >>\nstream\nfont\nendstream".into());
    let (iw, ih, space) = spec.image.unwrap_or((1, 1, "DeviceGray"));
    objects.push(format!("<< /Type /XObject /Subtype /Image /Width {iw} /Height {ih} /ColorSpace /{space} /BitsPerComponent 8 /Length 1 >>\nstream\n\u{0}\nendstream"));
    for i in 0..spec.pages {
        let mut boxes = format!("/MediaBox [0 0 {w:.2} {h:.2}]");
        if let Some(inset) = spec.trim_inset_mm {
            let i = pt(inset);
            boxes.push_str(&format!(
                " /TrimBox [{i:.2} {i:.2} {:.2} {:.2}] /BleedBox [0 0 {w:.2} {h:.2}]",
                w - i,
                h - i
            ));
        }
        let xobject = if spec.image.is_some() && i == 0 {
            "/XObject << /Im1 6 0 R >>"
        } else {
            ""
        };
        objects.push(format!(
            "<< /Type /Page /Parent 2 0 R {boxes} /Resources << /Font << /F1 3 0 R >> {xobject} >> /Contents {} 0 R >>",
            first_page + 2 * i + 1
        ));
        let draw = if spec.image.is_some() && i == 0 {
            format!("q {w:.2} 0 0 {h:.2} 0 0 cm /Im1 Do Q ")
        } else {
            String::new()
        };
        let content = format!("{draw}BT /F1 24 Tf 40 40 Td (Page {}) Tj ET", i + 1);
        objects.push(format!(
            "<< /Length {} >>\nstream\n{content}\nendstream",
            content.len()
        ));
    }
    if spec.encrypted {
        objects.push("<< /Filter /Standard /V 1 /R 2 /O (x) /U (x) /P -4 >>".into());
    }
    if spec.accessible {
        objects.push("<< /Title (Evidence for every decision) >>".into());
    }
    let mut out = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n".to_vec();
    let mut offsets = Vec::new();
    for (i, o) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n{o}\nendobj\n", i + 1).as_bytes());
    }
    let xref = out.len();
    out.extend_from_slice(
        format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes(),
    );
    for off in offsets {
        out.extend_from_slice(format!("{off:010} 00000 n \n").as_bytes());
    }
    let encrypt = if spec.encrypted {
        format!(" /Encrypt {} 0 R /ID [(a) (a)]", objects.len())
    } else if spec.accessible {
        format!(" /Info {} 0 R", objects.len())
    } else {
        String::new()
    };
    out.extend_from_slice(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R{encrypt} >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .as_bytes(),
    );
    out
}

/// A real PNG of `w × h` pixels (one grey, which compresses to almost nothing).
pub fn png(w: u32, h: u32) -> Vec<u8> {
    let mut out = Vec::new();
    let mut e = png::Encoder::new(&mut out, w, h);
    e.set_color(png::ColorType::Grayscale);
    e.set_depth(png::BitDepth::Eight);
    let mut writer = e.write_header().expect("header");
    writer
        .write_image_data(&vec![200u8; (w * h) as usize])
        .expect("pixels");
    writer.finish().expect("finish");
    out
}

fn mp4_box(kind: &[u8; 4], body: &[u8]) -> Vec<u8> {
    let mut b = ((body.len() + 8) as u32).to_be_bytes().to_vec();
    b.extend_from_slice(kind);
    b.extend_from_slice(body);
    b
}

/// An MP4 of `brand` whose tracks have the sample entries `codecs` (`avc1`, `mp4a`…), 42
/// seconds long.
pub fn mp4(brand: &[u8; 4], codecs: &[&[u8; 4]]) -> Vec<u8> {
    let mut ftyp = brand.to_vec();
    ftyp.extend_from_slice(&[0, 0, 2, 0]);
    ftyp.extend_from_slice(b"isommp41");
    let mut mvhd = vec![0u8; 100];
    mvhd[12..16].copy_from_slice(&1000u32.to_be_bytes());
    mvhd[16..20].copy_from_slice(&42_000u32.to_be_bytes());
    let mut moov = mp4_box(b"mvhd", &mvhd);
    for codec in codecs {
        let mut stsd = vec![0, 0, 0, 0, 0, 0, 0, 1];
        stsd.extend(mp4_box(codec, &[0u8; 78]));
        let stbl = mp4_box(b"stbl", &mp4_box(b"stsd", &stsd));
        let minf = mp4_box(b"minf", &stbl);
        let mdia = mp4_box(b"mdia", &minf);
        moov.extend(mp4_box(b"trak", &mdia));
    }
    let mut out = mp4_box(b"ftyp", &ftyp);
    out.extend(mp4_box(b"moov", &moov));
    out.extend(mp4_box(b"mdat", &[0u8; 64]));
    out
}
