//! TOML source text with a line index, so byte spans become `line:column` in messages.

use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::problem::Problem;

/// The text of one TOML file and where its lines start.
#[derive(Clone, Debug)]
pub struct Source {
    /// Shared with every problem found in the file.
    path: Arc<Path>,
    text: String,
    /// Where each line starts, as 32-bit offsets (half the memory of a 20,000-asset
    /// manifest's index; spans are 32-bit too): lines starting past 4 GiB are not indexed, and
    /// count as the last line indexed.
    line_starts: Vec<u32>,
}

impl Source {
    /// Wraps `text` read from `path`.
    pub fn new(path: impl Into<PathBuf>, text: String) -> Self {
        let mut line_starts = vec![0];
        let starts = memchr::memchr_iter(b'\n', text.as_bytes()).map(|i| u32::try_from(i + 1));
        line_starts.extend(starts.map_while(Result::ok));
        Source {
            path: path.into().into(),
            text,
            line_starts,
        }
    }

    /// The whole text.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// 1-based line and column (counted in characters) of byte `offset`.
    pub fn line_column(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.text.len());
        let line = self
            .line_starts
            .partition_point(|&s| s as usize <= offset)
            .saturating_sub(1);
        let start = self.line_starts.get(line).map_or(0, |&s| s as usize);
        let mut end = offset;
        while !self.text.is_char_boundary(end) {
            end -= 1;
        }
        let column = self.text[start..end].chars().count() + 1;
        (line + 1, column)
    }

    /// The text of 1-based `line`, without its line ending.
    pub fn line_text(&self, line: usize) -> Option<&str> {
        let start = *self.line_starts.get(line.checked_sub(1)?)? as usize;
        let end = self
            .line_starts
            .get(line)
            .map_or(self.text.len(), |&s| s as usize);
        Some(self.text[start..end].trim_end_matches(['\n', '\r']))
    }

    /// Fills in `problem`'s manifest path, line, column and source line from `span`.
    pub fn locate(&self, mut problem: Problem, span: Option<Range<usize>>) -> Problem {
        problem.manifest = Some(self.path.clone());
        if let Some(span) = span {
            let (line, column) = self.line_column(span.start);
            problem.line = Some(line);
            problem.column = Some(column);
            problem.source_line = self.line_text(line).map(str::to_owned);
        }
        problem
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_count_characters_not_bytes() {
        let s = Source::new("m.toml", "a = 1\ntitle = \"Café\" x\n".into());
        assert_eq!(s.line_column(0), (1, 1));
        assert_eq!(s.line_column(6), (2, 1));
        let x = s.text().find(" x").unwrap() + 1;
        assert_eq!(s.line_column(x), (2, 16));
        assert_eq!(s.line_text(2), Some("title = \"Café\" x"));
        assert_eq!(s.line_column(10_000), (3, 1));
    }
}
