//! Deterministic corpora of real-format marketing assets, for assetpack's tests and benchmarks.
//!
//! A corpus is a folder with one sub-folder per provider (the nine providers of the shipped
//! example) holding the kinds of files publishers offer: PDFs at ISO paper sizes (and one US
//! Letter guide) with text and an image, PNG and JPEG social cards and photos, SVG logos, HTML
//! email signatures, MP4 videos with real `ftyp`/`moov`/`mdat` boxes, WebVTT captions and
//! transcripts, campaign messages and an editable DOCX flyer. Media bodies are seeded
//! pseudo-random bytes, so they do not compress, like the real artwork they stand for.
//!
//! The same [`Options`] give the same bytes on every machine, whatever the number of threads:
//! every file is made from its own generator, seeded from the corpus seed and its path.
//!
//! ```no_run
//! use assetpack_corpus::{write, Options, Profile};
//!
//! let summary = write("/tmp/corpus".as_ref(), &Options::new(Profile::Tiny)).unwrap();
//! println!("{} files, {} bytes", summary.files, summary.bytes);
//! ```

mod damaged;
mod media;
mod noise;
mod office;
mod pdf;
mod text;

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use rayon::prelude::*;

pub use pdf::PdfStyle;

/// Which corpus to make.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Profile {
    /// About 400 files and 20 MB: the national layout at 2% of the sizes (tests, CI).
    Tiny,
    /// About 400 files and 1 GiB: one national download bundle (benchmarks).
    National,
    /// 20,000 small files (SVG, HTML, PNG), by default: per-file overhead (benchmarks).
    Many,
    /// National plus one video of [`Options::huge_video_bytes`] (ZIP64, streaming memory).
    Huge,
}

/// What [`write()`] makes.
#[derive(Clone, Debug)]
pub struct Options {
    /// The profile.
    pub profile: Profile,
    /// Seed of every generator: another seed, other bytes.
    pub seed: u64,
    /// Files per provider in the [`Profile::Many`] corpus (default 2,222: 19,998 files).
    pub per_provider: usize,
    /// Size of the extra video of the [`Profile::Huge`] corpus (default 4.8 GB).
    pub huge_video_bytes: u64,
    /// Also write a `damaged/` folder of broken files (truncated PDF, PNG and MP4, a JPEG
    /// without its end, a text file named `.png`, a DOCX that is not a ZIP...).
    pub damaged: bool,
}

impl Options {
    /// The default options of `profile`.
    pub fn new(profile: Profile) -> Options {
        Options {
            profile,
            seed: 2026,
            per_provider: 2222,
            huge_video_bytes: 4_800_000_000,
            damaged: false,
        }
    }
}

/// What [`write()`] wrote.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Summary {
    /// Files written.
    pub files: usize,
    /// Their total size.
    pub bytes: u64,
}

/// A provider of the corpus: folder name, display name, brand colour.
#[derive(Clone, Copy, Debug)]
pub struct Provider {
    /// Its id and folder name.
    pub slug: &'static str,
    /// Its display name.
    pub name: &'static str,
    /// Its brand colour (RGB).
    pub colour: [u8; 3],
}

/// The nine providers, as in the shipped example.
pub const PROVIDERS: [Provider; 9] = [
    provider(
        "knowledge-hub",
        "NHS Knowledge and Library Hub",
        [0, 94, 184],
    ),
    provider("bmj-best-practice", "BMJ Best Practice", [33, 64, 154]),
    provider("openathens", "NHS OpenAthens", [0, 114, 206]),
    provider("oup", "Oxford University Press", [0, 33, 71]),
    provider("royal-marsden", "Royal Marsden Manual", [122, 40, 138]),
    provider("maudsley", "Maudsley Prescribing Guidelines", [0, 122, 90]),
    provider("kortext", "Kortext", [230, 0, 126]),
    provider("core-content", "National Core Content", [65, 64, 66]),
    provider("amilliondecisions", "#AMillionDecisions", [218, 41, 28]),
];

const fn provider(slug: &'static str, name: &'static str, colour: [u8; 3]) -> Provider {
    Provider { slug, name, colour }
}

/// One file to make: its path in the corpus and what it holds.
#[derive(Clone, Debug)]
pub(crate) struct Item {
    pub(crate) path: PathBuf,
    pub(crate) what: What,
}

/// The content of one file.
#[derive(Clone, Debug)]
pub(crate) enum What {
    Pdf(pdf::PdfSpec),
    Png {
        width: u32,
        height: u32,
        colour: [u8; 3],
    },
    Jpeg {
        bytes: u64,
        colour: [u8; 3],
    },
    Mp4 {
        bytes: u64,
        seconds: u32,
    },
    Svg {
        title: String,
        colour: [u8; 3],
    },
    Signature {
        name: String,
    },
    Captions {
        title: String,
        seconds: u32,
    },
    Transcript {
        title: String,
    },
    Message {
        name: String,
    },
    Docx {
        title: String,
    },
    Damaged(damaged::Damage),
}

/// Writes the corpus `options` describe into `out` (created when missing). Existing files of
/// the same names are replaced; nothing else in `out` is touched.
pub fn write(out: &Path, options: &Options) -> io::Result<Summary> {
    let items = plan(options);
    fs::create_dir_all(out)?;
    let bytes = items
        .par_iter()
        .map(|item| make(out, item, options.seed))
        .collect::<io::Result<Vec<u64>>>()?;
    Ok(Summary {
        files: items.len(),
        bytes: bytes.iter().sum(),
    })
}

/// Every file of the corpus, in a fixed order.
fn plan(options: &Options) -> Vec<Item> {
    let mut items = match options.profile {
        Profile::Tiny => national(0.02),
        Profile::National => national(1.0),
        Profile::Many => many(options.per_provider),
        Profile::Huge => {
            let mut items = national(1.0);
            items.push(Item {
                path: "knowledge-hub/videos/knowledge-hub-launch-film-4k.mp4".into(),
                what: What::Mp4 {
                    bytes: options.huge_video_bytes,
                    seconds: 5400,
                },
            });
            items
        }
    };
    if options.damaged {
        items.extend(damaged::items());
    }
    items
}

fn make(out: &Path, item: &Item, seed: u64) -> io::Result<u64> {
    let path = out.join(&item.path);
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent)?;
    }
    let mut rng = noise::Noise::for_file(seed, &item.path);
    let file = io::BufWriter::with_capacity(1 << 20, fs::File::create(&path)?);
    let mut counted = noise::Counted::new(file);
    write_item(&mut counted, &item.what, &mut rng)?;
    counted.finish()
}

fn write_item<W: io::Write>(out: &mut W, what: &What, rng: &mut noise::Noise) -> io::Result<()> {
    match what {
        What::Pdf(spec) => pdf::write(out, spec, rng),
        What::Png {
            width,
            height,
            colour,
        } => media::png(out, *width, *height, *colour, rng),
        What::Jpeg { bytes, colour } => media::jpeg(out, *bytes, *colour, rng),
        What::Mp4 { bytes, seconds } => media::mp4(out, *bytes, *seconds, rng),
        What::Svg { title, colour } => out.write_all(text::svg(title, *colour).as_bytes()),
        What::Signature { name } => out.write_all(text::signature(name).as_bytes()),
        What::Captions { title, seconds } => {
            out.write_all(text::captions(title, *seconds).as_bytes())
        }
        What::Transcript { title } => out.write_all(text::transcript(title).as_bytes()),
        What::Message { name } => out.write_all(text::message(name).as_bytes()),
        What::Docx { title } => office::docx(out, title),
        What::Damaged(d) => damaged::write(out, d, rng),
    }
}

/// Paper sizes in PostScript points.
pub mod paper {
    /// ISO 216 A3.
    pub const A3: (f32, f32) = (841.89, 1190.55);
    /// ISO 216 A4.
    pub const A4: (f32, f32) = (595.28, 841.89);
    /// ISO 216 A5.
    pub const A5: (f32, f32) = (419.53, 595.28);
    /// ISO 216 A6.
    pub const A6: (f32, f32) = (297.64, 419.53);
    /// DL (99 × 210 mm).
    pub const DL: (f32, f32) = (280.63, 595.28);
    /// A bookmark (50 × 210 mm).
    pub const BOOKMARK: (f32, f32) = (141.73, 595.28);
    /// US Letter (8.5 × 11 in).
    pub const LETTER: (f32, f32) = (612.0, 792.0);
}

/// A kind of file the national layout offers: folder, file stem, what, how many.
struct NationalKind {
    folder: &'static str,
    stem: &'static str,
    count: usize,
    shape: Shape,
}

enum Shape {
    Pdf { page: (f32, f32), bytes: (u64, u64) },
    Png(u32, u32),
    Jpeg(u64, u64),
    Mp4(u64, u64),
    Svg,
    Signature,
    Message,
}

const fn pdf_kind(
    folder: &'static str,
    stem: &'static str,
    page: (f32, f32),
    bytes: (u64, u64),
    count: usize,
) -> NationalKind {
    NationalKind {
        folder,
        stem,
        count,
        shape: Shape::Pdf { page, bytes },
    }
}

const fn kind(
    folder: &'static str,
    stem: &'static str,
    shape: Shape,
    count: usize,
) -> NationalKind {
    NationalKind {
        folder,
        stem,
        count,
        shape,
    }
}

const NATIONAL: [NationalKind; 19] = [
    pdf_kind("posters", "a3-poster", paper::A3, (3_000_000, 9_000_000), 4),
    pdf_kind("posters", "a4-poster", paper::A4, (1_500_000, 5_000_000), 3),
    pdf_kind("postcards", "postcard", paper::A6, (400_000, 1_500_000), 3),
    pdf_kind("flyers", "dl-flyer", paper::DL, (500_000, 2_000_000), 3),
    pdf_kind(
        "flyers",
        "interactive-flyer",
        paper::A4,
        (800_000, 3_000_000),
        1,
    ),
    pdf_kind(
        "bookmarks",
        "bookmark",
        paper::BOOKMARK,
        (200_000, 800_000),
        2,
    ),
    pdf_kind(
        "table-talkers",
        "table-talker",
        paper::A5,
        (400_000, 1_200_000),
        1,
    ),
    pdf_kind(
        "guides",
        "getting-started-guide",
        paper::A4,
        (1_000_000, 6_000_000),
        2,
    ),
    pdf_kind(
        "guides",
        "us-letter-guide",
        paper::LETTER,
        (300_000, 900_000),
        1,
    ),
    kind("social", "social-card-landscape", Shape::Png(1200, 630), 4),
    kind("social", "social-card-square", Shape::Png(1080, 1080), 3),
    kind("social", "social-photo", Shape::Jpeg(150_000, 900_000), 3),
    kind("logos", "logo", Shape::Svg, 2),
    kind("logos", "logo", Shape::Png(600, 200), 2),
    kind("email-signatures", "email-signature", Shape::Signature, 2),
    kind("email-signatures", "email-banner", Shape::Png(600, 120), 2),
    kind(
        "videos",
        "getting-started-video",
        Shape::Mp4(20_000_000, 60_000_000),
        1,
    ),
    kind(
        "videos",
        "clinical-scenario",
        Shape::Mp4(8_000_000, 25_000_000),
        1,
    ),
    kind("messages", "campaign-message", Shape::Message, 1),
];

/// Names people really give files: spaces, capitals, an en dash, an accent.
const ODD_STEMS: [&str; 4] = [
    "Quick guide – v2",
    "Café poster (final)",
    "README for printers",
    "Logo FINAL copy",
];

/// The national layout, with media sizes scaled by `scale` (tiny: 0.02).
fn national(scale: f64) -> Vec<Item> {
    let mut items = Vec::new();
    for (p, provider) in PROVIDERS.iter().enumerate() {
        for kind in &NATIONAL {
            for i in 1..=kind.count {
                items.push(national_item(provider, kind, i, scale));
            }
        }
        items.extend(video_companions(provider));
        items.push(Item {
            path: format!(
                "{}/flyers/{}-flyer-editable.docx",
                provider.slug, provider.slug
            )
            .into(),
            what: What::Docx {
                title: format!("{} flyer", provider.name),
            },
        });
        let odd = ODD_STEMS[p % ODD_STEMS.len()];
        items.push(Item {
            path: format!("{}/guides/{odd}.pdf", provider.slug).into(),
            what: What::Pdf(pdf::PdfSpec {
                page: paper::A4,
                title: format!("{} {odd}", provider.name),
                colour: provider.colour,
                bytes: scaled((200_000, 600_000), scale, p as u64),
                style: PdfStyle::Classic,
            }),
        });
    }
    items
}

fn national_item(provider: &Provider, kind: &NationalKind, i: usize, scale: f64) -> Item {
    let ext = match kind.shape {
        Shape::Pdf { .. } => "pdf",
        Shape::Png(..) => "png",
        Shape::Jpeg(..) => "jpg",
        Shape::Mp4(..) => "mp4",
        Shape::Svg => "svg",
        Shape::Signature => "html",
        Shape::Message => "txt",
    };
    let path: PathBuf = format!(
        "{}/{}/{}-{}-{i:02}.{ext}",
        provider.slug, kind.folder, provider.slug, kind.stem
    )
    .into();
    let title = format!("{} {} {i}", provider.name, kind.stem.replace('-', " "));
    let pick = position(&path);
    let colour = provider.colour;
    let what = match kind.shape {
        Shape::Pdf { page, bytes } => What::Pdf(pdf::PdfSpec {
            page,
            title,
            colour,
            bytes: scaled(bytes, scale, pick),
            style: PdfStyle::ALL[i % PdfStyle::ALL.len()],
        }),
        Shape::Png(w, h) => {
            let (width, height) = scaled_pixels(w, h, scale);
            What::Png {
                width,
                height,
                colour,
            }
        }
        Shape::Jpeg(lo, hi) => What::Jpeg {
            bytes: scaled((lo, hi), scale, pick),
            colour,
        },
        Shape::Mp4(lo, hi) => What::Mp4 {
            bytes: scaled((lo, hi), scale, pick),
            seconds: 30 + (pick % 150) as u32,
        },
        Shape::Svg => What::Svg { title, colour },
        Shape::Signature => What::Signature {
            name: provider.name.into(),
        },
        Shape::Message => What::Message {
            name: provider.name.into(),
        },
    };
    Item { path, what }
}

/// The first video of each provider has WebVTT captions and a transcript beside it.
fn video_companions(provider: &Provider) -> [Item; 2] {
    let stem = format!(
        "{}/videos/{}-getting-started-video-01",
        provider.slug, provider.slug
    );
    let title = format!("{} getting started", provider.name);
    [
        Item {
            path: format!("{stem}.vtt").into(),
            what: What::Captions {
                title: title.clone(),
                seconds: 30,
            },
        },
        Item {
            path: format!("{stem}.txt").into(),
            what: What::Transcript { title },
        },
    ]
}

/// Many small files per provider, 200 to a folder: SVG logos, HTML signatures, PNG icons.
fn many(per_provider: usize) -> Vec<Item> {
    let mut items = Vec::with_capacity(per_provider * PROVIDERS.len());
    for provider in &PROVIDERS {
        for j in 0..per_provider {
            let dir = format!("{}/set-{:02}", provider.slug, j / 200);
            let title = format!("{} {j}", provider.name);
            let (path, what) = match j % 3 {
                0 => (
                    format!("{dir}/logo-{j:05}.svg"),
                    What::Svg {
                        title,
                        colour: provider.colour,
                    },
                ),
                1 => (
                    format!("{dir}/signature-{j:05}.html"),
                    What::Signature { name: title },
                ),
                _ => (
                    format!("{dir}/icon-{j:05}.png"),
                    What::Png {
                        width: 48,
                        height: 48,
                        colour: provider.colour,
                    },
                ),
            };
            items.push(Item {
                path: path.into(),
                what,
            });
        }
    }
    items
}

/// A number from the path, to spread sizes over a range the same way on every run.
fn position(path: &Path) -> u64 {
    noise::path_hash(path)
}

/// A size in `range` scaled by `scale`, picked by `pick`.
fn scaled(range: (u64, u64), scale: f64, pick: u64) -> u64 {
    let lo = (range.0 as f64 * scale) as u64;
    let hi = ((range.1 as f64 * scale) as u64).max(lo + 1);
    lo + pick % (hi - lo)
}

fn scaled_pixels(w: u32, h: u32, scale: f64) -> (u32, u32) {
    if scale >= 1.0 {
        return (w, h);
    }
    let f = |n: u32| ((n as f64 * scale * 4.0) as u32).max(32);
    (f(w), f(h))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_all(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
        let mut out = Vec::new();
        let mut stack = vec![dir.to_path_buf()];
        while let Some(d) = stack.pop() {
            for e in fs::read_dir(&d).unwrap() {
                let p = e.unwrap().path();
                if p.is_dir() {
                    stack.push(p);
                } else {
                    out.push((
                        p.strip_prefix(dir).unwrap().to_path_buf(),
                        fs::read(&p).unwrap(),
                    ));
                }
            }
        }
        out.sort();
        out
    }

    #[test]
    fn same_options_same_bytes_other_seed_other_bytes() {
        let (a, b, c) = (
            tempfile::tempdir().unwrap(),
            tempfile::tempdir().unwrap(),
            tempfile::tempdir().unwrap(),
        );
        let options = Options::new(Profile::Tiny);
        let sa = write(a.path(), &options).unwrap();
        let sb = rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .build()
            .unwrap()
            .install(|| write(b.path(), &options).unwrap());
        assert_eq!(sa, sb);
        assert_eq!(read_all(a.path()), read_all(b.path()));
        write(
            c.path(),
            &Options {
                seed: 7,
                ..options.clone()
            },
        )
        .unwrap();
        assert_ne!(read_all(a.path()), read_all(c.path()));
    }

    #[test]
    fn tiny_is_a_few_hundred_files_of_about_twenty_megabytes() {
        let dir = tempfile::tempdir().unwrap();
        let s = write(dir.path(), &Options::new(Profile::Tiny)).unwrap();
        assert!((300..600).contains(&s.files), "{s:?}");
        assert!((10_000_000..40_000_000).contains(&s.bytes), "{s:?}");
        assert_eq!(read_all(dir.path()).len(), s.files);
    }

    #[test]
    fn national_sizes_add_up_to_about_a_gibibyte() {
        let total: u64 = plan(&Options::new(Profile::National))
            .iter()
            .map(|i| match &i.what {
                What::Pdf(p) => p.bytes,
                What::Jpeg { bytes, .. } | What::Mp4 { bytes, .. } => *bytes,
                _ => 0,
            })
            .sum();
        assert!((900 << 20..1300 << 20).contains(&total), "{total}");
    }

    #[test]
    fn many_counts_files_per_provider() {
        let items = plan(&Options {
            per_provider: 10,
            ..Options::new(Profile::Many)
        });
        assert_eq!(items.len(), 90);
        assert_eq!(plan(&Options::new(Profile::Many)).len(), 19_998);
    }
}
