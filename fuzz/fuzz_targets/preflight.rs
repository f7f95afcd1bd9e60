//! Preflight's readers on hostile bytes: a PDF's facts and accessibility (hayro's parser, the
//! content stream's transforms), an MP4's boxes, an HTML signature's tags, a social card of
//! any size. Never a panic, never a hang; what they report stays within what the bytes hold.
#![no_main]

use assetpack::content;
use assetpack::preflight::{pdf, web};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(facts) = pdf::facts(data.to_vec()) {
        assert!(facts.pages >= 1);
        assert!(facts.images.len() <= data.len());
        assert!(facts.unembedded.len() <= data.len());
    }
    let _ = pdf::accessible(data.to_vec());
    if let Some((_, codecs)) = content::mp4_codecs(data) {
        assert!(codecs.len() <= data.len() / 8);
    }
    let _ = content::mp4_duration(data);
    let found = web::signature_markup(&String::from_utf8_lossy(data));
    assert!(found.len() <= data.len());
    if data.len() >= 8 {
        let w = u32::from_le_bytes([data[0], data[1], data[2], data[3]]);
        let h = u32::from_le_bytes([data[4], data[5], data[6], data[7]]);
        let _ = web::social_card((w, h), data.len() as u64, &web::default_shapes());
    }
});
