//! Turning manifest TOML into the model, collecting every problem on the way.

use std::ops::Range;
use std::path::Path;
use std::sync::Arc;

use super::{
    parse_toml, valid_id, Asset, Content, Fields, FileRef, Kind, Loaded, Manifest, Print,
    PrintContact, Provider, Rendition, Sink, Spans,
};
use crate::problem::Code;
use crate::safe_path;
use crate::source::Source;
use crate::store::{self, Place};

pub(super) fn parse(path: &Path, text: String) -> Loaded {
    let source = Arc::new(Source::new(path, text));
    let mut sink = Sink::new(&source);
    let Some(root) = parse_toml(&mut sink, source.text()) else {
        return Loaded {
            manifest: None,
            problems: sink.problems,
            bundle_spec: false,
        };
    };

    if super::is_bundle_table(&root) {
        return Loaded {
            manifest: None,
            problems: Vec::new(),
            bundle_spec: true,
        };
    }
    let mut top = Fields::new(&root, 0..0, "the manifest");
    top.format_version(&mut sink);
    let provider = match top.table(&mut sink, "provider", "[provider]") {
        Some(f) => provider(&mut sink, f),
        None => {
            if !top.has("provider") {
                sink.push(
                    Code::MissingField,
                    0..0,
                    None,
                    "the manifest has no [provider] table".into(),
                    "add a [provider] table with `id` and `name`".into(),
                );
            }
            None
        }
    };
    if let Some(p) = &provider {
        sink.provider = Some(p.id.clone());
    }
    let tables = top.tables_apart(&mut sink, "asset", "[[asset]]");
    let mut assets = Vec::with_capacity(tables.len());
    let mut ids: foldhash::HashMap<String, Range<usize>> =
        foldhash::HashMap::with_capacity_and_hasher(tables.len(), Default::default());
    for fields in tables {
        if let Some(a) = asset(&mut sink, fields, &mut ids) {
            assets.push(a);
        }
    }
    top.finish(&mut sink);
    assets.shrink_to_fit();

    let mut problems = sink.problems;
    let manifest = provider.map(|provider| {
        // A manifest named without a folder (`p.toml`) sits in the current one.
        let dir = path
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        let base = match provider.base.as_deref().map(store::place) {
            Some(Ok(Place::Remote(url))) => Place::Remote(store::as_folder(url)),
            Some(Ok(Place::Local(b))) => Place::Local(dir.join(b)),
            // Reported where `base` was read.
            Some(Err(_)) | None => Place::Local(dir.to_path_buf()),
        };
        Manifest {
            path: path.to_owned(),
            base,
            provider,
            assets,
            source: Arc::clone(&source),
        }
    });
    problems.sort_by_key(|p| (p.line, p.column));
    Loaded {
        manifest,
        problems,
        bundle_spec: false,
    }
}

fn provider(sink: &mut Sink, mut f: Fields) -> Option<Provider> {
    let id = f.string(sink, "id", true);
    let id = id.and_then(|(id, span)| {
        if valid_id(&id, false) {
            Some(id)
        } else {
            f.bad(
                sink,
                span,
                format!("provider id `{id}` may hold only lowercase letters, digits and `-`"),
                format!("use an id such as `{}`", suggest_id(&id)),
            );
            None
        }
    });
    let name = f.text(sink, "name", true).map(|(s, _)| s);
    let website = f.text(sink, "website", false).map(|(s, _)| s);
    let contact = f.text(sink, "contact", false).map(|(s, _)| s);
    let base = f.string(sink, "base", false).and_then(|(b, span)| {
        // `base` may climb (`../../assets/oup`) but must not smuggle in odd characters.
        match b.chars().find(|c| c.is_control()) {
            Some(c) => {
                f.bad(
                    sink,
                    span,
                    format!(
                        "`base` contains a control character (U+{:04X})",
                        u32::from(c)
                    ),
                    "write the folder path in plain characters".into(),
                );
                None
            }
            None => match store::place(&b) {
                Ok(_) => Some(b),
                Err(e) => {
                    f.bad(
                        sink,
                        span,
                        e.to_string(),
                        "give a folder relative to the manifest, or a bucket folder such as `s3://bucket/prefix`"
                            .into(),
                    );
                    None
                }
            },
        }
    });
    let terms = f.text(sink, "terms", false).map(|(s, _)| s);
    let print = f
        .table(sink, "print", "[provider.print]")
        .and_then(|mut p| {
            let contact = p.text(sink, "contact", true);
            let notes = p.text(sink, "notes", false).map(|(s, _)| s);
            let spans = p.finish(sink);
            f.spans.extend(spans);
            contact.map(|(contact, _)| PrintContact { contact, notes })
        });
    let last_reviewed = f.date(sink, "last_reviewed").map(|(d, _)| d);
    let next_review_due = f.date(sink, "next_review_due").map(|(d, _)| d);
    let spans = Spans::from(f.finish(sink));
    Some(Provider {
        id: id?,
        name: name?,
        website,
        contact,
        base,
        terms,
        print,
        last_reviewed,
        next_review_due,
        spans,
    })
}

/// A valid id close to `s`: lowercase, accents dropped, runs of other characters as `-`.
pub fn suggest_id(s: &str) -> String {
    super::slug(s)
}

fn sha256(sink: &mut Sink, f: &mut Fields) -> Option<String> {
    let (mut s, span) = f.string(sink, "sha256", false)?;
    if s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit()) {
        s.make_ascii_lowercase();
        Some(s)
    } else {
        f.bad(
            sink,
            span,
            format!(
                "`sha256` in {} must be 64 hexadecimal digits (it has {} characters)",
                f.what(),
                s.chars().count()
            ),
            "run `assetpack scan` to record the right value".into(),
        );
        None
    }
}

fn media_type(sink: &mut Sink, f: &mut Fields) -> Option<String> {
    let (s, span) = f.string(sink, "media_type", false)?;
    // `text/html; charset=utf-8` is fine: the essence before `;` is what is compared.
    let essence = s.split(';').next().unwrap_or("").trim();
    let ok = essence.split_once('/').is_some_and(|(a, b)| {
        !a.is_empty() && !b.is_empty() && !essence.contains(char::is_whitespace)
    });
    if ok {
        // Most are written as they are kept: the string read is then kept as it is.
        let mut essence = match essence.len() == s.len() {
            true => s,
            false => essence.to_owned(),
        };
        essence.make_ascii_lowercase();
        Some(essence)
    } else {
        f.bad(
            sink,
            span,
            format!("`media_type` `{s}` is not a media type like `application/pdf`"),
            "write a type/subtype such as `image/png`, or remove the key".into(),
        );
        None
    }
}

fn path_value(sink: &mut Sink, f: &mut Fields, key: &'static str) -> Option<String> {
    let (path, span) = f.string(sink, key, true)?;
    match safe_path::check(&path) {
        Ok(()) => Some(path),
        Err(why) => {
            sink.push(
                Code::UnsafePath,
                span,
                f.asset.as_deref(),
                format!("unsafe path {path:?} in {}: {why}", f.what()),
                "use a relative path under `base` with `/` between folders and plain names".into(),
            );
            None
        }
    }
}

/// Reads `file`, `sha256`, `bytes` (and `media_type` when `with_media_type`) from `f`.
fn file_ref(sink: &mut Sink, f: &mut Fields, with_media_type: bool) -> Option<FileRef> {
    let file = path_value(sink, f, "file");
    let sha256 = sha256(sink, f);
    let bytes = f.count(sink, "bytes").map(|(n, _)| n);
    let media_type = if with_media_type {
        media_type(sink, f)
    } else {
        None
    };
    Some(FileRef {
        file: file?,
        sha256,
        bytes,
        media_type,
    })
}

/// A sub-table such as `transcript = { file = …, sha256 = …, bytes = … }`.
fn attachment(
    sink: &mut Sink,
    parent: &mut Fields,
    key: &'static str,
    what: &'static str,
) -> Option<FileRef> {
    let mut t = parent.table(sink, key, what)?;
    let r = file_ref(sink, &mut t, true);
    let spans = t.finish(sink);
    parent.spans.extend(spans);
    r
}

fn asset(
    sink: &mut Sink,
    mut f: Fields,
    ids: &mut foldhash::HashMap<String, Range<usize>>,
) -> Option<Asset> {
    let id = asset_id(sink, &mut f, ids);
    if let Some(id) = &id {
        f.asset_root = true;
        f.asset = Some(id.clone());
    }
    let title = f.text(sink, "title", true).map(|(s, _)| s);
    let kind = asset_kind(sink, &mut f);
    let content = asset_content(sink, &mut f, kind);
    let description = f.text(sink, "description", false).map(|(s, _)| s);
    let alt = f.text(sink, "alt", false).map(|(s, _)| s);
    let tags = f.strings(sink, "tags").unwrap_or_default();
    let last_reviewed = f.date(sink, "last_reviewed").map(|(d, _)| d);
    let next_review_due = f.date(sink, "next_review_due").map(|(d, _)| d);
    let print = print_table(sink, &mut f);
    let usage = f.text(sink, "usage", false).map(|(s, _)| s);
    let renditions = renditions(sink, &mut f);
    let transcript = attachment(sink, &mut f, "transcript", "`transcript`");
    let captions = attachment(sink, &mut f, "captions", "`captions`");
    let spans = Spans::from(f.finish(sink));
    Some(Asset {
        id: id?,
        title: title?,
        kind: kind?,
        content: content?,
        description,
        alt,
        tags,
        last_reviewed,
        next_review_due,
        print,
        usage,
        renditions,
        // Boxed: most assets have neither, and 20,000 assets are held at once.
        transcript: transcript.map(Box::new),
        captions: captions.map(Box::new),
        spans,
    })
}

/// The asset's id: valid, and not used before in this manifest (`ids`).
fn asset_id(
    sink: &mut Sink,
    f: &mut Fields,
    ids: &mut foldhash::HashMap<String, Range<usize>>,
) -> Option<String> {
    let (id, span) = f.string(sink, "id", true)?;
    if !valid_id(&id, true) {
        f.bad(
            sink,
            span,
            format!("asset id `{id}` may hold only lowercase letters, digits, `-` and `_`"),
            format!("use an id such as `{}`", suggest_id(&id)),
        );
        return None;
    }
    if let Some(first) = ids.get(&id) {
        let (line, _) = sink.source.line_column(first.start);
        sink.push(
            Code::DuplicateId,
            span,
            Some(&id),
            format!("asset id `{id}` is already used on line {line}"),
            "give each asset of a provider its own id".into(),
        );
        return None;
    }
    ids.insert(id.clone(), span);
    Some(id)
}

/// The asset's kind, with the nearest known kind suggested for an unknown one.
fn asset_kind(sink: &mut Sink, f: &mut Fields) -> Option<Kind> {
    let (k, span) = f.string(sink, "kind", true)?;
    if let Ok(kind) = k.parse::<Kind>() {
        return Some(kind);
    }
    let all: Vec<&str> = Kind::ALL.iter().map(|k| k.as_str()).collect();
    let near = all
        .iter()
        .min_by_key(|s| strsim::damerau_levenshtein(s, &k))
        .copied()
        .unwrap_or("other");
    f.bad(
        sink,
        span,
        format!("unknown kind `{k}`"),
        format!("did you mean `{near}`? Kinds: {}", all.join(", ")),
    );
    None
}

/// Exactly one of `file`, `url` and `text` (with `channel` only beside `text`), and the one
/// the kind needs.
fn asset_content(sink: &mut Sink, f: &mut Fields, kind: Option<Kind>) -> Option<Content> {
    let present: Vec<&str> = ["file", "url", "text"]
        .into_iter()
        .filter(|k| f.has(k))
        .collect();
    let file = if f.has("file") {
        file_ref(sink, f, true)
    } else {
        // Read the checksum keys anyway so they are not reported as unknown.
        let _ = sha256(sink, f);
        let _ = f.count(sink, "bytes");
        let _ = media_type(sink, f);
        None
    };
    let url = f.text(sink, "url", false).map(|(s, _)| s);
    let text = f.text(sink, "text", false).map(|(s, _)| s);
    let channel = f.text(sink, "channel", false);
    let content_ok = one_content(sink, f, &present);
    let content = match (file, url, text) {
        (Some(file), None, None) => Some(Content::File(file)),
        (None, Some(url), None) => Some(Content::Url(url)),
        (None, None, Some(text)) => Some(Content::Text {
            text,
            channel: channel.as_ref().map(|(c, _)| c.to_ascii_lowercase()),
        }),
        _ => None,
    };
    if let Some((_, span)) = &channel {
        if !matches!(content, Some(Content::Text { .. })) && content_ok {
            f.bad(
                sink,
                span.clone(),
                format!("`channel` in {} applies only to a `text` message", f.what()),
                "remove `channel`, or make the asset a message with `text`".into(),
            );
        }
    }
    if let (Some(kind), Some(content)) = (kind, &content) {
        content_fits_kind(sink, f, kind, content);
    }
    content.filter(|_| content_ok)
}

/// True when exactly one of `file`, `url` and `text` is `present`; a problem otherwise.
fn one_content(sink: &mut Sink, f: &Fields, present: &[&str]) -> bool {
    let (message, fix) = match present.len() {
        1 => return true,
        0 => (
            format!("{} has none of `file`, `url` or `text`", f.what()),
            "add `file = \"…\"` for a download, `url = \"…\"` for a link, or `text = \"…\"` for a message",
        ),
        _ => (
            format!(
                "{} has {}: an asset is exactly one of them",
                f.what(),
                present.join(" and ")
            ),
            "split it into separate assets, one per file, link or message",
        ),
    };
    sink.push(
        Code::ContentChoice,
        f.span.clone(),
        f.asset.as_deref(),
        message,
        fix.into(),
    );
    false
}

/// A link needs `url`, a message `text`, and only a message carries `text`.
fn content_fits_kind(sink: &mut Sink, f: &Fields, kind: Kind, content: &Content) {
    let mismatch = match (kind, content) {
        (Kind::Link, c) if !matches!(c, Content::Url(_)) => Some("a link needs `url`"),
        (Kind::Message, c) if !matches!(c, Content::Text { .. }) => Some("a message needs `text`"),
        (k, Content::Text { .. }) if k != Kind::Message => {
            Some("only a `message` asset carries `text`")
        }
        _ => None,
    };
    if let Some(why) = mismatch {
        sink.push(
            Code::ContentChoice,
            f.span.clone(),
            f.asset.as_deref(),
            format!("{} is of kind `{kind}`, but {why}", f.what()),
            "change `kind`, or give the asset the right content".into(),
        );
    }
}

/// `print = { available, sizes, max_quantity }`.
fn print_table(sink: &mut Sink, f: &mut Fields) -> Option<Print> {
    let mut p = f.table(sink, "print", "`print`")?;
    let available = p.boolean(sink, "available");
    if available.is_none() && !p.has("available") {
        sink.push(
            Code::MissingField,
            p.span.clone(),
            p.asset.as_deref(),
            "`print` has no `available`".into(),
            "add `available = true` (or false)".into(),
        );
    }
    let sizes = p.strings(sink, "sizes").unwrap_or_default();
    let max_quantity = p.count(sink, "max_quantity").and_then(|(n, span)| {
        if n > 0 {
            return Some(n);
        }
        p.bad(
            sink,
            span,
            "`max_quantity` is 0".into(),
            "give the most copies one library may ask for, or set `available = false`".into(),
        );
        None
    });
    let spans = p.finish(sink);
    f.spans.extend(spans);
    available.map(|available| Print {
        available,
        sizes,
        max_quantity,
    })
}

/// `renditions = [{ role, file, … }, …]`.
fn renditions(sink: &mut Sink, f: &mut Fields) -> Vec<Rendition> {
    let mut out = Vec::new();
    for mut r in f.tables(sink, "renditions", "rendition") {
        let role = r.text(sink, "role", true).map(|(s, _)| s);
        let file = file_ref(sink, &mut r, true);
        let spans = r.finish(sink);
        f.spans.extend(spans);
        if let (Some(role), Some(file)) = (role, file) {
            out.push(Rendition { role, file });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn codes(text: &str) -> Vec<(String, usize, usize)> {
        parse(Path::new("m.toml"), text.to_string())
            .problems
            .into_iter()
            .map(|p| {
                (
                    p.code.to_string(),
                    p.line.unwrap_or(0),
                    p.column.unwrap_or(0),
                )
            })
            .collect()
    }

    const HEAD: &str = "[provider]\nid = \"oup\"\nname = \"OUP\"\n";

    #[test]
    fn misspelt_key_is_an_error_with_its_position_and_a_suggestion() {
        let text = format!(
            "{HEAD}\n[[asset]]\nid = \"a\"\ntitel = \"A\"\nkind = \"poster\"\nfile = \"a.pdf\"\n"
        );
        let loaded = parse(Path::new("m.toml"), text);
        let p: Vec<_> = loaded.problems.iter().collect();
        assert_eq!(p.len(), 2, "{p:#?}");
        let unknown = p.iter().find(|p| p.code == Code::UnknownField).unwrap();
        assert_eq!((unknown.line, unknown.column), (Some(7), Some(1)));
        assert!(unknown.fix.contains("`title`"), "{}", unknown.fix);
        assert_eq!(unknown.asset.as_deref(), Some("a"));
        assert!(p.iter().any(|p| p.code == Code::MissingField));
    }

    #[test]
    fn reports_every_problem_at_once() {
        let text = format!(
            "{HEAD}\n[[asset]]\nid = \"Bad Id\"\ntitle = \"\"\nkind = \"poser\"\nfile = \"../x.pdf\"\n\
             last_reviewed = \"2026-01-01\"\nbytes = -3\nsha256 = \"abc\"\n"
        );
        let got = codes(&text);
        let names: Vec<&str> = got.iter().map(|(c, _, _)| c.as_str()).collect();
        assert_eq!(
            names,
            [
                "bad-value",
                "bad-value",
                "bad-value",
                "unsafe-path",
                "bad-value",
                "bad-value",
                "bad-value"
            ],
            "{got:?}"
        );
    }

    #[test]
    fn syntax_error_points_at_line() {
        let got = codes("[provider]\nid = \"oup\nname = \"x\"\n");
        assert_eq!(got[0].0, "toml-syntax");
        assert_eq!(got[0].1, 2);
    }

    #[test]
    fn duplicate_ids_and_content_choice() {
        let text = format!(
            "{HEAD}[[asset]]\nid = \"a\"\ntitle = \"A\"\nkind = \"link\"\nurl = \"https://x.org\"\n\
             [[asset]]\nid = \"a\"\ntitle = \"B\"\nkind = \"other\"\nurl = \"https://y.org\"\ntext = \"hi\"\n\
             [[asset]]\nid = \"c\"\ntitle = \"C\"\nkind = \"logo\"\n"
        );
        let got = codes(&text);
        let names: Vec<&str> = got.iter().map(|(c, _, _)| c.as_str()).collect();
        assert_eq!(
            names,
            ["content-choice", "duplicate-id", "content-choice"],
            "{got:?}"
        );
    }

    #[test]
    fn a_base_may_name_a_bucket_folder_or_a_file_url_but_no_other_scheme() {
        let with_base = |b: &str| parse(Path::new("p/m.toml"), format!("{HEAD}base = \"{b}\"\n"));
        let m = with_base("s3://art/oup").manifest.unwrap();
        assert_eq!(m.base, Place::Remote("s3://art/oup/".parse().unwrap()));
        assert_eq!(m.resolve("a/b c.pdf"), Path::new("s3://art/oup/a/b c.pdf"));
        let m = with_base("file:///srv/art").manifest.unwrap();
        assert_eq!(m.base, Place::Local("/srv/art".into()));
        let bad = with_base("ftp://art/oup");
        assert_eq!(bad.problems.len(), 1, "{:?}", bad.problems);
        assert_eq!(bad.problems[0].line, Some(4));
        assert!(
            bad.problems[0].message.contains("ftp://"),
            "{:?}",
            bad.problems
        );
    }

    #[test]
    fn full_asset_round_trips_into_the_model() {
        let text = format!(
            "{HEAD}base = \"../assets/oup\"\n[provider.print]\ncontact = \"p@example.org\"\n\
             [[asset]]\nid = \"v\"\ntitle = \"Video – ŵ\"\nkind = \"video\"\nfile = \"videos/v.mp4\"\n\
             bytes = 1_000\nsha256 = \"{}\"\nalt = \"A film\"\ntags = [\"x\"]\nnext_review_due = 2027-01-31\n\
             print = {{ available = true, sizes = [\"A3\"], max_quantity = 5 }}\n\
             renditions = [{{ role = \"web\", file = \"videos/v-web.mp4\" }}]\n\
             transcript = {{ file = \"videos/v.txt\" }}\ncaptions = {{ file = \"videos/v.vtt\", bytes = 7 }}\n",
            "AB".repeat(32)
        );
        let loaded = parse(Path::new("packs/providers/oup.toml"), text);
        assert!(loaded.problems.is_empty(), "{:#?}", loaded.problems);
        let m = loaded.manifest.unwrap();
        assert_eq!(m.base, Place::Local("packs/providers/../assets/oup".into()));
        let a = &m.assets[0];
        assert_eq!(a.title, "Video – ŵ");
        assert_eq!(a.files().len(), 4);
        let Content::File(f) = &a.content else {
            panic!()
        };
        assert_eq!(f.bytes, Some(1000));
        assert_eq!(f.sha256.as_deref(), Some(&*"ab".repeat(32)));
        assert_eq!(a.captions.as_ref().unwrap().bytes, Some(7));
        assert_eq!(a.next_review_due.unwrap().to_string(), "2027-01-31");
        assert_eq!(a.print.as_ref().unwrap().max_quantity, Some(5));
        // Spans lead to the line of the value.
        let span = a
            .spans
            .get("captions.bytes")
            .unwrap_or_else(|| panic!("{:?}", a.spans));
        assert_eq!(m.source.line_column(span.start).0, 20);
        let span = a.spans.get("renditions.0.sha256").unwrap();
        assert_eq!(m.source.line_column(span.start).0, 18);
        // A key never read falls back to its table, then to the asset's own table.
        let table = a.spans.get("renditions.0").unwrap();
        assert_eq!(a.spans.get("renditions.0.colour"), Some(table));
        assert_eq!(a.spans.get("nowhere.at.all"), a.spans.get(""));
        assert_eq!(
            m.line_of(a),
            Some(m.source.line_column(a.spans.get("").unwrap().start).0)
        );
    }
}
