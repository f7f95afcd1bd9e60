//! A TOML document as the manifest and bundle-spec readers read it: each table a list of its
//! keys in the order written, each key and value with its span in the text.
//!
//! Built straight from `toml_parser`'s events, without the `toml` crate's document model:
//! that model files every table in a sorted map and first lists every event of the text, and
//! a manifest of 2,000 `[[asset]]` tables spent more time there than in all the rest of its
//! reading. The builder here reads what manifests are made of (keys of one part, table
//! headers naming a new table or the next of an array of tables, values of every kind); for
//! anything else (a dotted key, a header naming a table met before, a table of more than 256
//! keys, any error) it gives up, and the text is read by `toml`'s own [`DeTable`] instead,
//! whose tree is converted, so that every error is `toml`'s, with its message and place, and
//! every valid document is read as TOML reads it. No `toml` crate builds from events without
//! its model, hence this.

use std::borrow::Cow;
use std::ops::Range;

use toml::de::{DeTable, DeValue};
use toml::value::Datetime;
use toml_parser::decoder::{Encoding, ScalarKind};
use toml_parser::parser::{EventReceiver, RecursionGuard, ValidateWhitespace};
use toml_parser::{ErrorSink, ParseError, Raw, Source, Span};

/// How deep arrays and tables may nest; deeper documents are read by `toml`, which says no
/// at this depth too.
const DEPTH: u32 = 80;

/// A key as written, decoded, and where it is.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Key<'i> {
    pub name: Cow<'i, str>,
    pub span: Range<usize>,
}

/// A value and where it is: a scalar's own text, an array's or inline table's brackets, a
/// table header's brackets.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Node<'i> {
    pub value: Value<'i>,
    pub span: Range<usize>,
}

/// A TOML value.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Value<'i> {
    String(Cow<'i, str>),
    /// Its digits as TOML decodes them, and their radix.
    Integer(Cow<'i, str>, u32),
    Float(Cow<'i, str>),
    Boolean(bool),
    Datetime(Datetime),
    Array(Array<'i>),
    Table(Table<'i>),
}

/// An array, and whether `[[…]]` headers made it (only those may have more added).
#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct Array<'i> {
    pub items: Vec<Node<'i>>,
    of_tables: bool,
}

/// A table: its keys and values, in the order written.
#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct Table<'i> {
    pub entries: Vec<(Key<'i>, Node<'i>)>,
    /// Made by a header (`[a]`, `[[a]]`) or as the way to one (`a` of `[a.b]`): more may be
    /// added below it by later headers. Inline tables are closed.
    open: bool,
}

impl<'i> Value<'i> {
    /// The name TOML gives the value's type, for messages.
    pub fn type_str(&self) -> &'static str {
        match self {
            Value::String(_) => "string",
            Value::Integer(..) => "integer",
            Value::Float(_) => "float",
            Value::Boolean(_) => "boolean",
            Value::Datetime(_) => "datetime",
            Value::Array(_) => "array",
            Value::Table(_) => "table",
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_table(&self) -> Option<&Table<'i>> {
        match self {
            Value::Table(t) => Some(t),
            _ => None,
        }
    }

    pub fn as_array(&self) -> Option<&[Node<'i>]> {
        match self {
            Value::Array(a) => Some(&a.items),
            _ => None,
        }
    }
}

impl<'i> Table<'i> {
    /// The value of `key`, if the table has it.
    pub fn get(&self, key: &str) -> Option<&Node<'i>> {
        self.entries
            .iter()
            .find(|(k, _)| k.name == key)
            .map(|(_, v)| v)
    }

    fn get_mut(&mut self, key: &str) -> Option<&mut Node<'i>> {
        self.entries
            .iter_mut()
            .find(|(k, _)| k.name == key)
            .map(|(_, v)| v)
    }
}

/// Reads `text` as TOML: its root table, or every error `toml` finds in it (each with its
/// place), as the `toml` crate reports them.
pub(crate) fn parse(text: &str) -> Result<Table<'_>, Vec<toml::de::Error>> {
    if let Some(root) = read_simply(text) {
        return Ok(root);
    }
    let (root, errors) = DeTable::parse_recoverable(text);
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(from_table(root.into_inner(), true))
}

/// The tree of `text` when the builder reads it whole without meeting an error or a shape it
/// leaves to `toml`.
fn read_simply(text: &str) -> Option<Table<'_>> {
    let source = Source::new(text);
    let tokens = source.lex().into_vec();
    let mut builder = Builder::new(source);
    let mut first_error: Option<ParseError> = None;
    {
        let mut guard = RecursionGuard::new(&mut builder, DEPTH);
        let mut receiver = ValidateWhitespace::new(&mut guard, source);
        toml_parser::parser::parse_document(&tokens, &mut receiver, &mut first_error);
    }
    if first_error.is_some() {
        return None;
    }
    builder.finish()
}

/// What a `[…]` or `[[…]]` header names, and where it is (its opening bracket until it is
/// read whole).
struct Header<'i> {
    path: Vec<Key<'i>>,
    span: Range<usize>,
    of_tables: bool,
}

/// An array or inline table being read, with the key its next value goes under.
enum Frame<'i> {
    Array(usize, Array<'i>),
    Inline(usize, Table<'i>, Option<Key<'i>>),
}

/// Builds the tree from the parser's events; see the module docs.
struct Builder<'i> {
    source: Source<'i>,
    root: Table<'i>,
    /// The table of the last header, filled until the next one, then filed under the root.
    current: Table<'i>,
    /// The last header read, naming `current`; none for the root's own keys.
    current_header: Option<Header<'i>>,
    /// A header being read.
    header: Option<Header<'i>>,
    /// The key of the key/value pair being read at the table's level.
    key: Option<Key<'i>>,
    /// Arrays and inline tables being read, innermost last.
    frames: Vec<Frame<'i>>,
    /// Set when the document holds something this builder leaves to `toml`.
    given_up: bool,
}

impl<'i> Builder<'i> {
    fn new(source: Source<'i>) -> Self {
        Builder {
            source,
            root: Table {
                entries: Vec::new(),
                open: true,
            },
            current: Table::default(),
            current_header: None,
            header: None,
            key: None,
            frames: Vec::new(),
            given_up: false,
        }
    }

    /// The text of a key or scalar (the lexer's spans always lie in the text).
    fn raw(&self, span: Span, encoding: Option<Encoding>) -> Option<Raw<'i>> {
        let text = self.source.input().get(span.start()..span.end())?;
        Some(Raw::new_unchecked(text, encoding, span))
    }

    fn decode_key(
        &self,
        span: Span,
        encoding: Option<Encoding>,
        errors: &mut dyn ErrorSink,
    ) -> Option<Key<'i>> {
        let raw = self.raw(span, encoding)?;
        let mut name = Cow::Borrowed("");
        match encoding.is_none() && bare_key(raw.as_str()) {
            true => name = Cow::Borrowed(raw.as_str()),
            false => raw.decode_key(&mut name, errors),
        }
        Some(Key {
            name,
            span: span.start()..span.end(),
        })
    }

    fn decode_scalar(
        &self,
        span: Span,
        encoding: Option<Encoding>,
        errors: &mut dyn ErrorSink,
    ) -> Option<Node<'i>> {
        let raw = self.raw(span, encoding)?;
        let value = match plain_basic_string(raw.as_str()) {
            Some(s) => Value::String(Cow::Borrowed(s)),
            None => scalar_value(&raw, span, errors),
        };
        Some(Node {
            value,
            span: span.start()..span.end(),
        })
    }

    /// Files a finished value under its key: in the array or inline table being read, or in
    /// the current table.
    fn put(&mut self, node: Node<'i>) {
        match self.frames.last_mut() {
            Some(Frame::Array(_, array)) => array.items.push(node),
            Some(Frame::Inline(_, table, key)) => match key.take() {
                Some(key) => self.given_up |= !insert(table, key, node),
                None => self.given_up = true,
            },
            None => match self.key.take() {
                Some(key) => self.given_up |= !insert(&mut self.current, key, node),
                None => self.given_up = true,
            },
        }
    }

    /// Files the table of the last header where the header names it.
    fn file_current(&mut self) {
        let table = std::mem::take(&mut self.current);
        let Some(Header {
            mut path,
            span,
            of_tables,
        }) = self.current_header.take()
        else {
            self.root.entries = table.entries;
            return;
        };
        let Some(last) = path.pop() else {
            self.given_up = true;
            return;
        };
        let node = Node {
            value: Value::Table(Table {
                entries: table.entries,
                open: true,
            }),
            span,
        };
        let filed = match descend(&mut self.root, &path) {
            Some(parent) if of_tables => push_table(parent, last, node),
            Some(parent) => insert(parent, last, node),
            None => false,
        };
        self.given_up |= !filed;
    }

    fn finish(mut self) -> Option<Table<'i>> {
        self.file_current();
        let unfinished = self.header.is_some() || self.key.is_some() || !self.frames.is_empty();
        (!self.given_up && !unfinished).then_some(self.root)
    }

    fn open_header(&mut self, span: Span, of_tables: bool) {
        self.file_current();
        self.header = Some(Header {
            path: Vec::new(),
            span: span.start()..span.end(),
            of_tables,
        });
    }

    fn close_header(&mut self, span: Span) {
        match self.header.take() {
            // `toml` refuses paths this long or longer; its message says why.
            Some(mut h) if !h.path.is_empty() && h.path.len() < DEPTH as usize / 2 => {
                h.span.end = span.end();
                self.current_header = Some(h);
            }
            _ => self.given_up = true,
        }
    }
}

/// Keys a table may hold here. A key is looked for in a table by a scan, which is quicker
/// than a map for the dozen keys of a manifest's table, but would take quadratic time over a
/// hostile table of a hundred thousand: past this many, the document is left to `toml`.
const KEYS: usize = 256;

/// Adds `key` to `table`; false when the table has it already (an error `toml` will name) or
/// is full ([`KEYS`]).
fn insert<'i>(table: &mut Table<'i>, key: Key<'i>, node: Node<'i>) -> bool {
    if table.entries.len() >= KEYS || table.get(&key.name).is_some() {
        return false;
    }
    table.entries.push((key, node));
    true
}

/// Adds a table to the array of tables under `key`, making the array at its first table.
fn push_table<'i>(parent: &mut Table<'i>, key: Key<'i>, node: Node<'i>) -> bool {
    match parent.get_mut(&key.name) {
        Some(Node {
            value: Value::Array(array),
            ..
        }) if array.of_tables => {
            array.items.push(node);
            true
        }
        Some(_) => false,
        None => {
            let span = node.span.clone();
            let array = Array {
                items: vec![node],
                of_tables: true,
            };
            parent.entries.push((
                key,
                Node {
                    value: Value::Array(array),
                    span,
                },
            ));
            true
        }
    }
}

/// The table a header's `path` leads to from the root: through tables headers made (or
/// made on the way, each spanning its key) and the last table of arrays of tables. `None`
/// when the way crosses anything else.
fn descend<'t, 'i>(mut table: &'t mut Table<'i>, path: &[Key<'i>]) -> Option<&'t mut Table<'i>> {
    for key in path {
        if table.get(&key.name).is_none() {
            let way = Node {
                value: Value::Table(Table {
                    entries: Vec::new(),
                    open: true,
                }),
                span: key.span.clone(),
            };
            table.entries.push((key.clone(), way));
        }
        let node = table.get_mut(&key.name)?;
        table = match &mut node.value {
            Value::Table(t) if t.open => t,
            Value::Array(a) if a.of_tables => match a.items.last_mut()? {
                Node {
                    value: Value::Table(t),
                    ..
                } => t,
                _ => return None,
            },
            _ => return None,
        };
    }
    Some(table)
}

/// The text of a basic string (`"…"`) that holds no escape and no character TOML forbids in
/// one: the string as it is, borrowed, without the decoder's walk through it.
fn plain_basic_string(raw: &str) -> Option<&str> {
    let inner = raw.strip_prefix('"')?.strip_suffix('"')?;
    let odd = |b: u8| (b < 0x20 && b != b'\t') || b == b'\\' || b == b'"' || b == 0x7f;
    none_is(inner, odd).then_some(inner)
}

/// A bare key (`A-Z a-z 0-9 _ -`), which decodes to itself.
fn bare_key(raw: &str) -> bool {
    let odd = |b: u8| !(b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    !raw.is_empty() && none_is(raw, odd)
}

/// True when no byte of `text` is `odd`; every byte is looked at (no early stop), which
/// lets the compiler test many at once.
fn none_is(text: &str, odd: impl Fn(u8) -> bool) -> bool {
    !text.bytes().fold(false, |seen, b| seen | odd(b))
}

/// A scalar as TOML decodes it; its errors go to `errors`.
fn scalar_value<'i>(raw: &Raw<'i>, span: Span, errors: &mut dyn ErrorSink) -> Value<'i> {
    let mut decoded = Cow::Borrowed("");
    match raw.decode_scalar(&mut decoded, errors) {
        ScalarKind::String => Value::String(decoded),
        ScalarKind::Boolean(b) => Value::Boolean(b),
        ScalarKind::Float => Value::Float(decoded),
        ScalarKind::Integer(radix) => Value::Integer(decoded, radix.value()),
        ScalarKind::DateTime => match decoded.parse::<Datetime>() {
            Ok(dt) => Value::Datetime(dt),
            Err(e) => {
                errors.report_error(ParseError::new(e.to_string()).with_unexpected(span));
                Value::Boolean(false)
            }
        },
    }
}

impl<'i> EventReceiver for Builder<'i> {
    fn std_table_open(&mut self, span: Span, _: &mut dyn ErrorSink) {
        self.open_header(span, false);
    }

    fn std_table_close(&mut self, span: Span, _: &mut dyn ErrorSink) {
        self.close_header(span);
    }

    fn array_table_open(&mut self, span: Span, _: &mut dyn ErrorSink) {
        self.open_header(span, true);
    }

    fn array_table_close(&mut self, span: Span, _: &mut dyn ErrorSink) {
        self.close_header(span);
    }

    fn inline_table_open(&mut self, span: Span, _: &mut dyn ErrorSink) -> bool {
        let table = Table::default();
        self.frames.push(Frame::Inline(span.start(), table, None));
        true
    }

    fn inline_table_close(&mut self, span: Span, _: &mut dyn ErrorSink) {
        match self.frames.pop() {
            Some(Frame::Inline(open, table, None)) => self.put(Node {
                value: Value::Table(table),
                span: open..span.end(),
            }),
            _ => self.given_up = true,
        }
    }

    fn array_open(&mut self, span: Span, _: &mut dyn ErrorSink) -> bool {
        self.frames
            .push(Frame::Array(span.start(), Array::default()));
        true
    }

    fn array_close(&mut self, span: Span, _: &mut dyn ErrorSink) {
        match self.frames.pop() {
            Some(Frame::Array(open, array)) => self.put(Node {
                value: Value::Array(array),
                span: open..span.end(),
            }),
            _ => self.given_up = true,
        }
    }

    fn simple_key(&mut self, span: Span, encoding: Option<Encoding>, errors: &mut dyn ErrorSink) {
        let Some(key) = self.decode_key(span, encoding, errors) else {
            self.given_up = true;
            return;
        };
        let slot = match (&mut self.header, self.frames.last_mut()) {
            (Some(header), _) => {
                header.path.push(key);
                return;
            }
            (None, Some(Frame::Inline(_, _, slot))) => slot,
            (None, Some(Frame::Array(..))) => {
                self.given_up = true;
                return;
            }
            (None, None) => &mut self.key,
        };
        // A second key before a value: a dotted key (`a.b = 1`), left to `toml`.
        self.given_up |= slot.replace(key).is_some();
    }

    fn scalar(&mut self, span: Span, encoding: Option<Encoding>, errors: &mut dyn ErrorSink) {
        match self.decode_scalar(span, encoding, errors) {
            Some(node) => self.put(node),
            None => self.given_up = true,
        }
    }

    fn error(&mut self, _: Span, _: &mut dyn ErrorSink) {
        self.given_up = true;
    }
}

/// The tree of a table `toml` read (for documents the builder leaves to it).
fn from_table(table: DeTable<'_>, open: bool) -> Table<'_> {
    let entries = table
        .into_iter()
        .map(|(key, value)| {
            let key = Key {
                span: key.span(),
                name: key.into_inner(),
            };
            (key, from_value(value))
        })
        .collect();
    Table { entries, open }
}

fn from_value(value: toml::Spanned<DeValue<'_>>) -> Node<'_> {
    let span = value.span();
    let value = match value.into_inner() {
        DeValue::String(s) => Value::String(s),
        DeValue::Integer(i) => Value::Integer(Cow::Owned(i.as_str().to_owned()), i.radix()),
        DeValue::Float(f) => Value::Float(Cow::Owned(f.as_str().to_owned())),
        DeValue::Boolean(b) => Value::Boolean(b),
        DeValue::Datetime(d) => Value::Datetime(d),
        DeValue::Array(mut a) => {
            let items = a.iter_mut().map(|v| from_value(taken(v))).collect();
            Value::Array(Array {
                items,
                of_tables: false,
            })
        }
        DeValue::Table(t) => Value::Table(from_table(t, false)),
    };
    Node { value, span }
}

/// The value in `slot`, leaving a placeholder (the array it was in is dropped next).
fn taken<'i>(slot: &mut toml::Spanned<DeValue<'i>>) -> toml::Spanned<DeValue<'i>> {
    std::mem::replace(slot, toml::Spanned::new(0..0, DeValue::Boolean(false)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// A tree written out with each table's keys sorted (`toml`'s maps sort them), every
    /// span, type and value, so that two reads of a text compare whole.
    fn dump(table: &Table, out: &mut String) {
        let mut entries: Vec<_> = table.entries.iter().collect();
        entries.sort_by(|a, b| a.0.name.cmp(&b.0.name));
        out.push('{');
        for (key, node) in entries {
            out.push_str(&format!("{:?}@{:?}=", key.name, key.span));
            dump_node(node, out);
            out.push(',');
        }
        out.push('}');
    }

    fn dump_node(node: &Node, out: &mut String) {
        out.push_str(&format!("@{:?}:", node.span));
        match &node.value {
            Value::Array(a) => {
                out.push('[');
                for item in &a.items {
                    dump_node(item, out);
                    out.push(',');
                }
                out.push(']');
            }
            Value::Table(t) => dump(t, out),
            scalar => out.push_str(&format!("{scalar:?}")),
        }
    }

    /// `toml`'s tree of `text`, when it reads it without an error.
    fn by_toml(text: &str) -> Option<String> {
        let (root, errors) = DeTable::parse_recoverable(text);
        let mut out = String::new();
        errors.is_empty().then(|| {
            dump(&from_table(root.into_inner(), true), &mut out);
            out
        })
    }

    /// The builder's tree of `text`, when it reads it itself.
    fn by_builder(text: &str) -> Option<String> {
        let mut out = String::new();
        read_simply(text).map(|t| {
            dump(&t, &mut out);
            out
        })
    }

    /// Whatever the builder reads, `toml` reads too, to the same tree.
    fn agrees(text: &str) -> Result<(), String> {
        match (by_builder(text), by_toml(text)) {
            (Some(ours), Some(theirs)) if ours == theirs => Ok(()),
            (Some(ours), theirs) => Err(format!("{text:?}\nbuilder {ours}\ntoml    {theirs:?}")),
            (None, _) => Ok(()),
        }
    }

    const MANIFEST: &str = r#"format = 1
[provider]
id = "oup"
name = "OUP \"Press\"\u00e9"
base = '../assets'
[provider.print]
contact = "x@example.org"

[[asset]]
id = "a"
title = "Café – ŵ	tab"
bytes = 1_024
hex = 0xff
ratio = 1.5e3
on = true
when = 2027-01-01
at = 2027-01-01T10:00:00Z
print = { available = true, sizes = ["A3", "A2"], max_quantity = 5 }
renditions = [{ role = "web", file = "a.png" }, { role = "print", file = "b.pdf" }]
nested = [[1, 2], ["x"], []]
"quoted key" = """multi
line"""

[[asset]]
id = "b" # a comment
[asset.print]
available = false
[[asset.rendition]]
file = "c.png"
[[asset.rendition]]
file = "d.png"
"#;

    #[test]
    fn a_manifest_is_read_by_the_builder_as_toml_reads_it() {
        assert!(
            by_builder(MANIFEST).is_some(),
            "the builder reads a manifest itself"
        );
        agrees(MANIFEST).unwrap();
    }

    #[test]
    fn the_shipped_manifests_and_specs_are_read_by_the_builder_as_toml_reads_them() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../packs");
        let mut read = 0;
        for entry in walkdir::WalkDir::new(root) {
            let entry = entry.unwrap();
            if entry.path().extension().is_some_and(|e| e == "toml") {
                let text = std::fs::read_to_string(entry.path()).unwrap();
                assert!(by_builder(&text).is_some(), "{}", entry.path().display());
                agrees(&text).unwrap();
                read += 1;
            }
        }
        assert!(read > 5);
    }

    use std::path::Path;

    #[test]
    fn shapes_the_builder_leaves_to_toml_are_read_by_toml() {
        let left: [&str; 19] = [
            "a.b = 1",
            "[x]\ny = { a.b = 1 }",
            "[a.b]\n[a]",
            "[a]\n[a]",
            "[a]\nb = 1\n[a.b]",
            "a = 1\n[a]",
            "a = [{ x = 1 }]\n[[a]]",
            "a = { x = 1 }\n[a.y]",
            "[[a]]\n[a]",
            "a = 1\na = 2",
            "x = { a = 1, a = 2 }",
            "a = 1979-05-27T07:32:00.999999-07:00\nb = 1979-13-27",
            "a = \"\\q\"",
            "a = \"unterminated",
            "[a",
            "a = [1, 2",
            &format!("[{}]", ["k"; 90].join(".")),
            "t = \"\u{7}\"",
            "x = \"\u{7f}\"",
        ];
        for text in left {
            assert!(by_builder(text).is_none(), "{text:?}");
            agrees(text).unwrap();
        }
        // Valid documents among them read the same through `parse`.
        for text in ["a.b = 1", "[a.b]\n[a]\nc = 1"] {
            let mut ours = String::new();
            dump(&parse(text).unwrap(), &mut ours);
            assert_eq!(Some(ours), by_toml(text));
        }
        // Invalid ones give `toml`'s errors, each with its place.
        let errors = parse("a = 1\na = 2").unwrap_err();
        assert!(errors[0].message().contains("duplicate key"));
        assert_eq!(errors[0].span(), Some(6..7));
    }

    #[test]
    fn valid_shapes_the_builder_reads_match_toml() {
        let read = [
            "",
            "# only a comment\n",
            "[[a]]\n[a.b]\nx = 1\n[[a]]\n[a.b]\nx = 2",
            "[a]\n[[a.b]]\n[a.b.c]\nd = 1",
            "[a.b]\n[a.b.c]\nx = 1",
            "[a.b.c]\n[a.b.d]",
            "'literal key' = 'literal \\ value'\n\"\" = \"\"",
            "s = \"\\u00e9\\n\\t\"",
            "n = -0\nm = +1_000\nf = -inf\ng = nan\nh = 0o17\ni = 0b101",
            "d = 1979-05-27\nt = 07:32:00\nl = 1979-05-27T07:32:00",
            "arr = [ 1, 'two', [ { x = 1 } ], ]",
            "key_with-dash_0 = 1\n'x y' = 2\n\"a\\u0062\" = 3",
        ];
        for text in read {
            assert!(by_builder(text).is_some(), "{text:?}");
            agrees(text).unwrap();
        }
    }

    #[test]
    fn a_table_of_many_keys_is_left_to_toml_and_read_whole() {
        let text: String = (0..50_000).map(|i| format!("k{i} = {i}\n")).collect();
        assert!(by_builder(&text).is_none());
        let root = parse(&text).unwrap();
        assert_eq!(root.entries.len(), 50_000);
        let small: String = (0..KEYS).map(|i| format!("k{i} = {i}\n")).collect();
        assert!(by_builder(&small).is_some());
        agrees(&small).unwrap();
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(3000))]

        #[test]
        fn a_mutated_manifest_is_read_by_the_builder_as_toml_reads_it_or_left_to_toml(
            cut in 0usize..MANIFEST.len(),
            insert in "[\\[\\]{}=\",'\\n\\\\ a-z0-9.#_:+-]{0,12}",
        ) {
            let cut = (0..=cut).rev().find(|i| MANIFEST.is_char_boundary(*i)).unwrap_or(0);
            let text = format!("{}{insert}{}", &MANIFEST[..cut], &MANIFEST[cut..]);
            prop_assert!(agrees(&text).is_ok(), "{}", agrees(&text).unwrap_err());
        }

        #[test]
        fn any_text_is_read_by_the_builder_as_toml_reads_it_or_left_to_toml(
            text in "[\\[\\]{}=\",'\\n\\\\ a-c0-2.#]{0,40}",
        ) {
            prop_assert!(agrees(&text).is_ok(), "{}", agrees(&text).unwrap_err());
        }
    }
}
