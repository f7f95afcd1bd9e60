//! The PDF index and printed-materials request form of an assetpack pack.
//!
//! Not written yet: this crate will lay out the catalogue of a selection (cover, contents,
//! one section per provider with thumbnails, QR codes for links, messages in full) and the
//! fillable print-request form, for `assetpack index` and for `build` to embed as
//! `<name>/index.pdf`. Until then `build` leaves the index out and says so in `README.txt`.
