//! A typed, span-keeping reader over one TOML table.
//!
//! Serde stops at the first error; a publisher fixing a manifest wants every problem at once,
//! each with its line and column. [`Fields`] reads keys one at a time, records a problem for each
//! missing or ill-typed value, and when done reports every key nobody asked for as an
//! `unknown-field` error with a "did you mean" hint.

use std::borrow::Cow;
use std::ops::Range;

use super::tree::{self, Key, Node, Table};

use crate::problem::{Code, Problem};
use crate::source::Source;

use super::Date;

/// Collects problems for one TOML document.
pub(crate) struct Sink<'s> {
    pub source: &'s Source,
    pub problems: Vec<Problem>,
    pub provider: Option<String>,
}

impl<'s> Sink<'s> {
    /// A sink for problems in `source`.
    pub fn new(source: &'s Source) -> Self {
        Sink {
            source,
            problems: Vec::new(),
            provider: None,
        }
    }

    pub fn push(
        &mut self,
        code: Code,
        span: Range<usize>,
        asset: Option<&str>,
        message: String,
        fix: String,
    ) {
        let mut p = Problem::new(code, message, fix);
        p.provider = self.provider.clone();
        p.asset = asset.map(str::to_owned);
        self.problems.push(self.source.locate(p, Some(span)));
    }
}

/// The version of the manifest and bundle-spec formats this crate reads and writes.
pub const FORMAT: u64 = 1;

/// Parses `text` as TOML; on syntax errors records each as a `toml-syntax` problem at its
/// position and returns `None`.
pub(crate) fn parse_toml<'t>(sink: &mut Sink, text: &'t str) -> Option<Table<'t>> {
    let errors = match tree::parse(text) {
        Ok(root) => return Some(root),
        Err(errors) => errors,
    };
    for e in errors {
        sink.push(
            Code::TomlSyntax,
            e.span().unwrap_or(0..0),
            None,
            format!("TOML syntax: {}", e.message().trim()),
            "fix the TOML at this spot (quote strings, one key per line, close brackets)".into(),
        );
    }
    None
}

/// One key of a table and its value, and whether it was read.
struct Entry<'a, 'i> {
    key: &'a Key<'i>,
    value: &'a Node<'i>,
    read: bool,
}

/// Reads the keys of one table; see the module docs.
pub(crate) struct Fields<'a, 'i> {
    /// The table's keys, in its order, each with whether it was read. A table holds a dozen
    /// keys or so, and is asked for more that it lacks than it holds: a scan finds a key, or
    /// finds it absent, faster than a map would.
    entries: Vec<Entry<'a, 'i>>,
    /// Span of the table (its header, or the whole inline table).
    pub span: Range<usize>,
    /// How the table is named in messages, e.g. `[provider]`; see [`Fields::what`].
    name: &'static str,
    /// Position in its array, for array items.
    index: Option<usize>,
    /// True for an `[[asset]]` table itself (named by its id once known).
    pub asset_root: bool,
    /// Dotted prefix for keys recorded in spans, e.g. `transcript.`.
    prefix: String,
    /// The asset these fields belong to, for problem attribution.
    pub asset: Option<String>,
    /// The keys asked for, present or not (for the hint of an unknown one).
    seen: Vec<&'static str>,
    /// Spans of the values read, keyed by dotted path.
    pub spans: Vec<(Cow<'static, str>, Range<usize>)>,
}

impl<'a, 'i> Fields<'a, 'i> {
    pub fn new(table: &'a Table<'i>, span: Range<usize>, name: &'static str) -> Self {
        let entries = table
            .entries
            .iter()
            .map(|(key, value)| Entry {
                key,
                value,
                read: false,
            })
            .collect();
        Fields {
            entries,
            span,
            name,
            index: None,
            asset_root: false,
            prefix: String::new(),
            asset: None,
            // Sized once: growing these a push at a time was a quarter of turning 20,000
            // assets' tables into the model. A table is asked for a few dozen keys at most.
            seen: Vec::with_capacity(32),
            // Each key present, and the table's own span (`finish`).
            spans: Vec::with_capacity(table.entries.len() + 1),
        }
    }

    /// How the table is named in messages: `[provider]`, ``[[asset]] `logo` ``, `rendition #2`.
    pub fn what(&self) -> String {
        match (&self.asset, self.asset_root, self.index) {
            (Some(id), true, _) => format!("[[asset]] `{id}`"),
            (_, _, Some(i)) => format!("{} #{}", self.name, i + 1),
            _ => self.name.to_owned(),
        }
    }

    fn value(&mut self, key: &'static str) -> Option<&'a Node<'i>> {
        self.seen.push(key);
        let entry = self.entries.iter_mut().find(|e| e.key.name == key)?;
        entry.read = true;
        let v = entry.value;
        let name = if self.prefix.is_empty() {
            Cow::Borrowed(key)
        } else {
            Cow::Owned(format!("{}{key}", self.prefix))
        };
        self.spans.push((name, v.span.clone()));
        Some(v)
    }

    fn missing(&self, sink: &mut Sink, key: &str, hint: &str) {
        sink.push(
            Code::MissingField,
            self.span.clone(),
            self.asset.as_deref(),
            format!("{} has no `{key}`", self.what()),
            format!("add `{key} = {hint}`"),
        );
    }

    pub fn bad(&self, sink: &mut Sink, span: Range<usize>, message: String, fix: String) {
        sink.push(Code::BadValue, span, self.asset.as_deref(), message, fix);
    }

    fn wrong_type(&self, sink: &mut Sink, key: &str, v: &Node, want: &str, example: &str) {
        self.bad(
            sink,
            v.span.clone(),
            format!(
                "`{key}` in {} must be {want}, not {}",
                self.what(),
                v.value.type_str()
            ),
            format!("write it as `{key} = {example}`"),
        );
    }

    /// A string value. `required` reports its absence.
    pub fn string(
        &mut self,
        sink: &mut Sink,
        key: &'static str,
        required: bool,
    ) -> Option<(String, Range<usize>)> {
        let Some(v) = self.value(key) else {
            if required {
                self.missing(sink, key, "\"…\"");
            }
            return None;
        };
        match v.value.as_str() {
            Some(s) => Some((s.to_owned(), v.span.clone())),
            None => {
                self.wrong_type(sink, key, v, "a string", "\"…\"");
                None
            }
        }
    }

    /// A string that must not be empty or only spaces.
    pub fn text(
        &mut self,
        sink: &mut Sink,
        key: &'static str,
        required: bool,
    ) -> Option<(String, Range<usize>)> {
        let (s, span) = self.string(sink, key, required)?;
        if s.trim().is_empty() {
            self.bad(
                sink,
                span,
                format!("`{key}` in {} is empty", self.what()),
                format!("write a {key}, or remove the key"),
            );
            return None;
        }
        Some((s, span))
    }

    pub fn boolean(&mut self, sink: &mut Sink, key: &'static str) -> Option<bool> {
        let v = self.value(key)?;
        let b = match v.value {
            tree::Value::Boolean(b) => Some(b),
            _ => None,
        };
        if b.is_none() {
            self.wrong_type(sink, key, v, "true or false", "true");
        }
        b
    }

    /// A non-negative integer.
    pub fn count(&mut self, sink: &mut Sink, key: &'static str) -> Option<(u64, Range<usize>)> {
        let v = self.value(key)?;
        let parsed = match &v.value {
            tree::Value::Integer(digits, radix) => Some((digits, *radix)),
            _ => None,
        };
        let parsed = parsed.and_then(|(digits, radix)| {
            let digits = digits.replace('_', "");
            let digits = digits.trim_start_matches('+');
            let digits = digits
                .strip_prefix("0x")
                .or_else(|| digits.strip_prefix("0o"))
                .or_else(|| digits.strip_prefix("0b"))
                .unwrap_or(digits);
            u64::from_str_radix(digits, radix).ok()
        });
        if parsed.is_none() {
            self.wrong_type(sink, key, v, "a whole number of 0 or more", "123");
        }
        parsed.map(|n| (n, v.span.clone()))
    }

    /// The optional `format = 1` key of a manifest or bundle spec: the version of the format the
    /// file is written in. Any other version is an error: this assetpack reads version 1.
    pub fn format_version(&mut self, sink: &mut Sink) {
        if let Some((n, span)) = self.count(sink, "format") {
            if n != FORMAT {
                self.bad(
                    sink,
                    span,
                    format!("{} is written in format {n}; this assetpack reads format {FORMAT}", self.what()),
                    format!("use an assetpack that reads format {n}, or write the file in format {FORMAT}"),
                );
            }
        }
    }

    /// A TOML local date (`2027-03-01`, unquoted).
    pub fn date(&mut self, sink: &mut Sink, key: &'static str) -> Option<(Date, Range<usize>)> {
        let v = self.value(key)?;
        let dt = match &v.value {
            tree::Value::Datetime(dt) => Some(dt),
            _ => None,
        };
        let date = match dt {
            Some(dt) if dt.time.is_none() && dt.offset.is_none() => dt.date.and_then(|d| {
                let month = time::Month::try_from(d.month).ok()?;
                time::Date::from_calendar_date(i32::from(d.year), month, d.day)
                    .ok()
                    .map(Date)
            }),
            _ => None,
        };
        if date.is_none() {
            let hint = match v.value.as_str() {
                Some(s) => format!("write the date without quotes, e.g. `{key} = {s}`"),
                None => format!("write a plain date, e.g. `{key} = 2027-03-01`"),
            };
            self.bad(
                sink,
                v.span.clone(),
                format!(
                    "`{key}` in {} must be a TOML date (YYYY-MM-DD)",
                    self.what()
                ),
                hint,
            );
        }
        date.map(|d| (d, v.span.clone()))
    }

    /// An array of strings.
    pub fn strings(&mut self, sink: &mut Sink, key: &'static str) -> Option<Vec<String>> {
        let v = self.value(key)?;
        let Some(items) = v.value.as_array() else {
            self.wrong_type(sink, key, v, "an array of strings", "[\"…\"]");
            return None;
        };
        let mut out = Vec::new();
        for item in items.iter() {
            match item.value.as_str() {
                Some(s) => out.push(s.to_owned()),
                None => self.bad(
                    sink,
                    item.span.clone(),
                    format!("`{key}` in {} must hold only strings", self.what()),
                    "quote each item".into(),
                ),
            }
        }
        Some(out)
    }

    /// A sub-table (inline or standard), read with its own [`Fields`].
    pub fn table(
        &mut self,
        sink: &mut Sink,
        key: &'static str,
        what: &'static str,
    ) -> Option<Fields<'a, 'i>> {
        let v = self.value(key)?;
        match v.value.as_table() {
            Some(t) => {
                let mut f = Fields::new(t, v.span.clone(), what);
                f.prefix = format!("{}{key}.", self.prefix);
                f.asset = self.asset.clone();
                Some(f)
            }
            None => {
                self.wrong_type(sink, key, v, "a table", "{ … }");
                None
            }
        }
    }

    /// An array of tables (`[[asset]]` or an inline array of inline tables), each item's
    /// spans kept under `key.N.` in this table's.
    pub fn tables(
        &mut self,
        sink: &mut Sink,
        key: &'static str,
        what: &'static str,
    ) -> Vec<Fields<'a, 'i>> {
        self.items(sink, key, what, true)
    }

    /// [`Fields::tables`], each item the root of its own span keys (for `[[asset]]`
    /// entries, whose spans are kept per asset).
    pub fn tables_apart(
        &mut self,
        sink: &mut Sink,
        key: &'static str,
        what: &'static str,
    ) -> Vec<Fields<'a, 'i>> {
        self.items(sink, key, what, false)
    }

    fn items(
        &mut self,
        sink: &mut Sink,
        key: &'static str,
        what: &'static str,
        nested: bool,
    ) -> Vec<Fields<'a, 'i>> {
        let Some(v) = self.value(key) else {
            return Vec::new();
        };
        let Some(items) = v.value.as_array() else {
            self.wrong_type(sink, key, v, "an array of tables", "[{ … }]");
            return Vec::new();
        };
        let mut out = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            match item.value.as_table() {
                Some(t) => {
                    let mut f = Fields::new(t, item.span.clone(), what);
                    f.index = Some(i);
                    if nested {
                        f.prefix = format!("{}{key}.{i}.", self.prefix);
                    }
                    f.asset = self.asset.clone();
                    out.push(f)
                }
                None => self.bad(
                    sink,
                    item.span.clone(),
                    format!("`{key}` in {} must hold only tables", self.what()),
                    "write each item as `{ … }`".into(),
                ),
            }
        }
        out
    }

    /// True when the table has `key` (without reading it).
    pub fn has(&self, key: &str) -> bool {
        self.entries.iter().any(|e| e.key.name == key)
    }

    /// Reports every key that was not read as an `unknown-field` error, and hands back the
    /// spans of the values that were.
    pub fn finish(self, sink: &mut Sink) -> Vec<(Cow<'static, str>, Range<usize>)> {
        for Entry { key: k, .. } in self.entries.iter().filter(|e| !e.read) {
            let name: &str = &k.name;
            let nearest = self
                .seen
                .iter()
                .map(|s| (strsim::damerau_levenshtein(s, name), *s))
                .filter(|(d, _)| *d <= 2 || name.len() > 5 && *d <= 3)
                .min();
            let fix = match nearest {
                Some((_, s)) => format!("did you mean `{s}`? Rename it, or remove the key"),
                None => format!(
                    "remove it; {} may hold: {}",
                    self.what(),
                    self.seen.join(", ")
                ),
            };
            sink.push(
                Code::UnknownField,
                k.span.clone(),
                self.asset.as_deref(),
                format!("unknown field `{name}` in {}", self.what()),
                fix,
            );
        }
        let mut spans = self.spans;
        let own = match self.prefix.trim_end_matches('.') {
            "" => Cow::Borrowed(""),
            own => Cow::Owned(own.to_owned()),
        };
        spans.push((own, self.span));
        spans
    }
}
