//! A Word document (DOCX: Office Open XML in a ZIP).

use std::io::{self, Cursor, Write};

use zip::write::SimpleFileOptions;
use zip::ZipWriter;

const CONTENT_TYPES: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>"#;

const RELS: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>"#;

fn document(title: &str) -> String {
    let title = title
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;");
    format!(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>{title}</w:t></w:r></w:p><w:p><w:r><w:t>Edit this flyer to add your library's details.</w:t></w:r></w:p></w:body></w:document>"#
    )
}

/// A one-page DOCX titled `title`. Its entries carry the fixed ZIP epoch, so the bytes are
/// the same on every run.
pub(crate) fn docx<W: Write>(out: &mut W, title: &str) -> io::Result<()> {
    let mut zip = ZipWriter::new(Cursor::new(Vec::new()));
    let options = SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .unix_permissions(0o644);
    let parts = [
        ("[Content_Types].xml", CONTENT_TYPES.to_owned()),
        ("_rels/.rels", RELS.to_owned()),
        ("word/document.xml", document(title)),
    ];
    for (name, text) in parts {
        zip.start_file(name, options).map_err(io::Error::other)?;
        zip.write_all(text.as_bytes())?;
    }
    let bytes = zip.finish().map_err(io::Error::other)?.into_inner();
    out.write_all(&bytes)
}

#[cfg(test)]
mod tests {
    #[test]
    fn docx_is_a_zip_with_a_document() {
        let mut v = Vec::new();
        super::docx(&mut v, "Flyer").unwrap();
        let mut z = zip::ZipArchive::new(std::io::Cursor::new(v)).unwrap();
        assert!(z.by_name("word/document.xml").is_ok());
        assert_eq!(
            z.by_index(0).unwrap().name().unwrap(),
            "[Content_Types].xml"
        );
    }
}
