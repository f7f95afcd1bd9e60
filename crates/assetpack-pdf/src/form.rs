//! The printed-materials request form: drawn with the rest of the index, then made fillable
//! (AcroForm text fields) in a post-pass over the finished document with lopdf, which also
//! makes the file deterministic (document ID from its own content, no XMP instance ID).

use std::collections::BTreeMap;

use assetpack::catalog::Selected;
use assetpack::manifest::{Asset, Print, Provider};
use flate2::write::ZlibEncoder;
use flate2::Compression;
use lopdf::{dictionary, Dictionary, Document, Object, Stream, StringFormat};
use rayon::prelude::*;
use sha2::{Digest, Sha256};

use crate::fonts::FieldFont;
use crate::layout::{rgb, FieldSpec, Layout};
use crate::{IndexError, Input};

fn field(l: &mut Layout, x: f32, y: f32, w: f32, h: f32, name: String, tooltip: String) {
    l.rect(x, y, w, h, Some(rgb(255, 255, 255)), Some(rgb(60, 60, 60)));
    let page = l.page();
    l.fields.push(FieldSpec {
        page,
        rect: (x, y, w, h),
        name,
        tooltip,
    });
}

/// Draws the form and records its fields.
pub fn request_form(l: &mut Layout, input: &Input, by_manifest: &BTreeMap<usize, Vec<&Selected>>) {
    let tw = l.text_width();
    l.paragraph(
        0.0,
        tw,
        "Printed-materials request form",
        18.0,
        true,
        rgb(0, 94, 184),
    );
    l.paragraph(
        0.0,
        tw,
        "Enter how many copies you would like of each item and size, complete your details, and send the form to the provider's print contact shown above its items. You can fill it in on screen and email it, or print it and fill it in by hand.",
        9.0,
        false,
        rgb(90, 90, 90),
    );
    l.gap(8.0);
    requester_boxes(l);
    l.gap(12.0);
    let mut any = false;
    for (&mi, chosen) in by_manifest {
        let m = &input.manifests[mi];
        let printable: Vec<&Asset> = chosen
            .iter()
            .map(|s| &m.assets[s.asset])
            .filter(|a| a.print.as_ref().is_some_and(|p| p.available))
            .collect();
        if !printable.is_empty() {
            any = true;
            provider_rows(l, &m.provider, &printable);
        }
    }
    if !any {
        let grey = rgb(90, 90, 90);
        l.paragraph(
            0.0,
            tw,
            "No item in this pack is offered in print.",
            10.0,
            false,
            grey,
        );
    }
}

/// The requester's details: a labelled box each (`requester.*`).
fn requester_boxes(l: &mut Layout) {
    let tw = l.text_width();
    for (label, name, lines) in [
        ("Name", "requester.name", 1.0),
        ("Organisation", "requester.organisation", 1.0),
        ("Delivery address", "requester.address", 3.0),
        ("Email or phone", "requester.contact", 1.0),
        ("Date needed by", "requester.date_needed", 1.0),
    ] {
        let h = 16.0 * lines;
        l.need(h + 8.0);
        l.y -= h + 6.0;
        let y = l.y;
        let m = l.margin;
        l.text_at(m, y + h - 11.0, label, 9.5, true, rgb(20, 20, 20));
        field(l, m + 110.0, y, tw - 110.0, h, name.into(), label.into());
    }
}

/// A provider's heading with its print contact, then a row per printable asset.
fn provider_rows(l: &mut Layout, p: &Provider, printable: &[&Asset]) {
    let tw = l.text_width();
    let (dark, grey) = (rgb(20, 20, 20), rgb(90, 90, 90));
    // A provider's heading never stands alone at a page foot: keep its first item with it.
    l.need(120.0);
    l.gap(6.0);
    l.paragraph(0.0, tw, &p.name, 13.0, true, rgb(0, 94, 184));
    match &p.print {
        Some(pc) => {
            l.paragraph(
                0.0,
                tw,
                &format!("Send to: {}", pc.contact),
                9.5,
                false,
                dark,
            );
            if let Some(n) = &pc.notes {
                l.paragraph(0.0, tw, n, 9.0, false, grey);
            }
        }
        None => {
            l.paragraph(0.0, tw, "Send to: the provider's contact", 9.5, false, dark);
        }
    }
    for a in printable {
        if let Some(print) = &a.print {
            asset_row(l, p, a, print);
        }
    }
}

/// One asset's row: its title (and the most one library may ask for) on the left, a box per
/// size (`qty.<provider>.<asset>.<size>`) on the right, four to a line.
fn asset_row(l: &mut Layout, p: &Provider, a: &Asset, print: &Print) {
    let tw = l.text_width();
    let sizes: Vec<String> = if print.sizes.is_empty() {
        vec!["copies".into()]
    } else {
        print.sizes.clone()
    };
    // Measure the row first, so a page break never falls inside it.
    let per_row = sizes.len().clamp(1, 4);
    let label_w = (tw - 70.0 * per_row as f32 - 10.0).max(120.0);
    let mut lines = l.regular.wrap(&a.title, 9.5, label_w);
    if let Some(max) = print.max_quantity {
        lines.push(format!("at most {max}"));
    }
    let box_rows = sizes.len().div_ceil(4);
    let height = (lines.len() as f32 * 12.5).max(box_rows as f32 * 26.0) + 8.0;
    l.need(height);
    let top = l.y;
    let m = l.margin;
    for (i, line) in lines.iter().enumerate() {
        let small = print.max_quantity.is_some() && i + 1 == lines.len();
        let (size, color) = if small {
            (7.5, rgb(90, 90, 90))
        } else {
            (9.5, rgb(20, 20, 20))
        };
        l.text_at(m, top - 12.0 - i as f32 * 12.5, line, size, false, color);
    }
    for (i, size) in sizes.iter().enumerate() {
        let x = m + tw - 70.0 * (per_row - i % 4) as f32;
        let row_y = top - 24.0 - (i / 4) as f32 * 26.0;
        l.text_at(x, row_y + 18.0, size, 7.5, false, rgb(90, 90, 90));
        let name = format!("qty.{}.{}.{}", p.id, a.id, size);
        let tooltip = match print.max_quantity {
            Some(max) => format!("{} – {} ({size}; at most {max})", p.name, a.title),
            None => format!("{} – {} ({size})", p.name, a.title),
        };
        field(l, x, row_y, 60.0, 15.0, name, tooltip);
    }
    l.y = top - height;
}

/// A PDF text string: plain when ASCII, UTF-16BE with a byte-order mark otherwise.
fn text(s: &str) -> Object {
    if s.is_ascii() {
        Object::String(s.as_bytes().to_vec(), StringFormat::Literal)
    } else {
        let mut bytes = vec![0xFE, 0xFF];
        for u in s.encode_utf16() {
            bytes.extend(u.to_be_bytes());
        }
        Object::String(bytes, StringFormat::Hexadecimal)
    }
}

/// Adds the form fields, fixes what printpdf writes loosely, sets a content-derived document
/// ID and serialises.
pub(crate) fn finish(
    mut doc: Document,
    fields: &[FieldSpec],
    title: &str,
    font: &FieldFont,
) -> Result<Vec<u8>, IndexError> {
    let font_id = add_field_font(&mut doc, font);
    let field_refs = add_widgets(&mut doc, fields, font_id)?;
    fix_catalog(&mut doc, field_refs, font_id)?;
    fix_info(&mut doc, title);
    doc.prune_objects();
    compress_streams(&mut doc);
    doc.renumber_objects();
    save_with_id(&mut doc)
}

fn pdf_error(e: lopdf::Error) -> IndexError {
    IndexError::Pdf(e.to_string())
}

/// The field font: embedded DejaVu Sans, Windows-1252 plus ŵ ŷ Ŵ Ŷ.
fn add_field_font(doc: &mut Document, font: &FieldFont) -> lopdf::ObjectId {
    let program = doc.add_object(Stream::new(
        dictionary! { "Length1" => font.program.len() as i64 },
        font.program.clone(),
    ));
    let descriptor = doc.add_object(dictionary! {
        "Type" => "FontDescriptor",
        "FontName" => "DejaVuSans",
        "Flags" => 32,
        "FontBBox" => vec![(-1021).into(), (-463).into(), 1793.into(), 1232.into()],
        "ItalicAngle" => 0,
        "Ascent" => 928,
        "Descent" => -236,
        "CapHeight" => 729,
        "StemV" => 80,
        "FontFile2" => program,
    });
    let mut differences: Vec<Object> = Vec::new();
    for (code, name) in &font.differences {
        differences.push(i64::from(*code).into());
        differences.push(Object::Name(name.as_bytes().to_vec()));
    }
    doc.add_object(dictionary! {
        "Type" => "Font",
        "Subtype" => "TrueType",
        "BaseFont" => "DejaVuSans",
        "FirstChar" => 32,
        "LastChar" => 255,
        "Widths" => font.widths.iter().map(|w| Object::Integer(*w)).collect::<Vec<_>>(),
        "Encoding" => dictionary! {
            "Type" => "Encoding",
            "BaseEncoding" => "WinAnsiEncoding",
            "Differences" => differences,
        },
        "FontDescriptor" => descriptor,
    })
}

/// A text-field widget for each field, on its page: the references to put in `/AcroForm`.
fn add_widgets(
    doc: &mut Document,
    fields: &[FieldSpec],
    font: lopdf::ObjectId,
) -> Result<Vec<Object>, IndexError> {
    let pages: Vec<lopdf::ObjectId> = doc.get_pages().into_values().collect();
    let mut field_refs = Vec::new();
    for f in fields {
        let Some(&page) = pages.get(f.page) else {
            continue;
        };
        let (x, y, w, h) = f.rect;
        let ap = doc.add_object(Stream::new(
            dictionary! {
                "Type" => "XObject",
                "Subtype" => "Form",
                "BBox" => vec![0.into(), 0.into(), Object::Real(w), Object::Real(h)],
                "Resources" => dictionary! { "Font" => dictionary! { "DejaVu" => font } },
            },
            b"/Tx BMC EMC".to_vec(),
        ));
        let widget = doc.add_object(dictionary! {
            "Type" => "Annot",
            "Subtype" => "Widget",
            "FT" => "Tx",
            "T" => text(&f.name),
            "TU" => text(&f.tooltip),
            "Rect" => vec![Object::Real(x), Object::Real(y), Object::Real(x + w), Object::Real(y + h)],
            "F" => 4,
            "P" => page,
            "DA" => Object::string_literal("/DejaVu 10 Tf 0 g"),
            "MK" => dictionary! { "BC" => vec![Object::Real(0.2), Object::Real(0.2), Object::Real(0.2)], "BG" => vec![1.into(), 1.into(), 1.into()] },
            "AP" => dictionary! { "N" => ap },
        });
        field_refs.push(Object::Reference(widget));
        let page_dict = doc
            .get_object_mut(page)
            .and_then(Object::as_dict_mut)
            .map_err(pdf_error)?;
        let mut annots = match page_dict.get(b"Annots") {
            Ok(Object::Array(a)) => a.clone(),
            _ => Vec::new(),
        };
        annots.push(Object::Reference(widget));
        page_dict.set("Annots", annots);
    }
    Ok(field_refs)
}

/// The form's fields and default font, the document's language, no XMP packet, and
/// `/PageMode` as the name it must be.
fn fix_catalog(
    doc: &mut Document,
    field_refs: Vec<Object>,
    font: lopdf::ObjectId,
) -> Result<(), IndexError> {
    let root = doc
        .trailer
        .get(b"Root")
        .and_then(Object::as_reference)
        .map_err(pdf_error)?;
    let catalog: &mut Dictionary = doc
        .get_object_mut(root)
        .and_then(Object::as_dict_mut)
        .map_err(pdf_error)?;
    if !field_refs.is_empty() {
        catalog.set(
            "AcroForm",
            dictionary! {
                "Fields" => field_refs,
                "DA" => Object::string_literal("/DejaVu 10 Tf 0 g"),
                "DR" => dictionary! { "Font" => dictionary! { "DejaVu" => font } },
            },
        );
    }
    catalog.set("Lang", Object::string_literal("en-GB"));
    catalog.remove(b"Metadata");
    if let Ok(Object::String(s, _)) = catalog.get(b"PageMode") {
        let name = s.clone();
        catalog.set("PageMode", Object::Name(name));
    }
    Ok(())
}

/// The title in Unicode, and no empty `/GTS_PDFXVersion`.
fn fix_info(doc: &mut Document, title: &str) {
    let Ok(info) = doc.trailer.get(b"Info").and_then(Object::as_reference) else {
        return;
    };
    if let Ok(d) = doc.get_object_mut(info).and_then(Object::as_dict_mut) {
        if matches!(d.get(b"GTS_PDFXVersion"), Ok(Object::String(s, _)) if s.is_empty()) {
            d.remove(b"GTS_PDFXVersion");
        }
        d.set("Title", text(title));
    }
}

/// The document's bytes, with a `/ID` made from its content (not from a counter or a clock):
/// saved once with an ID of zeros, which is then replaced by the first 16 bytes of the
/// SHA-256 of those bytes (the same length, so no offset moves).
fn save_with_id(doc: &mut Document) -> Result<Vec<u8>, IndexError> {
    let zeros = Object::String(vec![0; 16], StringFormat::Hexadecimal);
    doc.trailer.set("ID", vec![zeros.clone(), zeros]);
    let mut out = Vec::new();
    doc.save_to(&mut out)
        .map_err(|e| IndexError::Pdf(e.to_string()))?;
    let id: String = Sha256::digest(&out)[..16]
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect();
    let placeholder = format!("<{}>", "0".repeat(32));
    // The trailer is the last thing written: its two IDs are the last two placeholders.
    let mut end = out.len();
    for _ in 0..2 {
        let at = out[..end]
            .windows(placeholder.len())
            .rposition(|w| w == placeholder.as_bytes())
            .ok_or_else(|| IndexError::Pdf("the trailer's /ID was not written".into()))?;
        out[at + 1..at + 33].copy_from_slice(id.as_bytes());
        end = at;
    }
    Ok(out)
}

fn is_image(s: &Stream) -> bool {
    matches!(s.dict.get(b"Subtype"), Ok(Object::Name(n)) if n == b"Image")
}

/// Compresses every stream that has no filter yet: printpdf leaves page contents and fonts
/// raw, which made the index of a pack of 20,000 assets 40 MB instead of about 27 MB, and
/// left the ZIP writer to deflate it. The thumbnails come raw too, and are deflated here.
fn compress_streams(doc: &mut Document) {
    let mut raw: Vec<&mut Stream> = doc
        .objects
        .values_mut()
        .filter_map(|o| match o {
            // printpdf marks the raw thumbnails it writes as not to be compressed.
            Object::Stream(s)
                if (s.allows_compression || is_image(s)) && s.dict.get(b"Filter").is_err() =>
            {
                Some(s)
            }
            _ => None,
        })
        .collect();
    raw.par_iter_mut().for_each(|s| {
        let mut z = ZlibEncoder::new(
            Vec::with_capacity(s.content.len() / 2),
            Compression::default(),
        );
        let packed = std::io::Write::write_all(&mut z, &s.content).and_then(|()| z.finish());
        if let Ok(packed) = packed {
            if packed.len() < s.content.len() {
                s.dict.set("Filter", "FlateDecode");
                s.set_content(packed);
            }
        }
    });
}
