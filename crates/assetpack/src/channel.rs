//! Message channels of the model: how long a ready-to-post message may be on each channel,
//! and how each channel counts it (X counts every link as 23 characters). `check` judges
//! messages with it and the PDF index prints each message's length against it.
//!
//! ```
//! use assetpack::channel::{channel_length, default_channel_limits};
//!
//! let text = "Ask your library: https://example.org/a/very/long/address/indeed";
//! assert_eq!(channel_length(text, Some("x")), 18 + 23, "X counts a link as 23");
//! assert!(default_channel_limits()["x"] >= 280);
//! ```

use std::collections::BTreeMap;

use unicode_normalization::UnicodeNormalization;

/// Message length limits of the common channels.
pub fn default_channel_limits() -> BTreeMap<String, usize> {
    [
        ("x", 280),
        ("twitter", 280),
        ("bluesky", 300),
        ("mastodon", 500),
        ("threads", 500),
        ("instagram", 2_200),
        ("linkedin", 3_000),
        ("facebook", 63_206),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect()
}

/// Length of `text` as X counts it: characters after NFC, each link counted as 23.
pub fn weighted_length(text: &str, link_weight: usize) -> usize {
    let text: String = text.nfc().collect();
    let mut n = 0;
    let mut first = true;
    for word in text.split(' ') {
        if !first {
            n += 1;
        }
        first = false;
        let core = word.trim_end_matches(['.', ',', ';', ':', '!', '?', ')', '"', '\'']);
        if is_link(core) {
            n += link_weight + (word.chars().count() - core.chars().count());
        } else {
            n += word.chars().count();
        }
    }
    n
}

/// Length of a message as `channel` counts it: X counts each link as 23 characters, the others
/// count characters (after NFC normalisation).
pub fn channel_length(text: &str, channel: Option<&str>) -> usize {
    match channel {
        Some("x" | "twitter") => weighted_length(text, 23),
        _ => text.nfc().count(),
    }
}

fn is_link(word: &str) -> bool {
    let lower = word.to_ascii_lowercase();
    if lower.starts_with("http://") || lower.starts_with("https://") || lower.starts_with("www.") {
        return lower.len() > 8;
    }
    let host = lower.split('/').next().unwrap_or("");
    let labels: Vec<&str> = host.split('.').collect();
    labels.len() >= 2
        && labels
            .iter()
            .all(|l| !l.is_empty() && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'))
        && labels
            .last()
            .is_some_and(|tld| tld.len() >= 2 && tld.bytes().all(|b| b.is_ascii_alphabetic()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn x_counts_links_as_23() {
        let msg = "Health librarians bring the evidence for #amilliondecisions in #healthcare #NHS www.cilip.org.uk/amilliondecisions.";
        // 80 characters of words and spaces, a 23-character link, and the full stop.
        assert_eq!(weighted_length(msg, 23), 80 + 23 + 1);
        assert_eq!(
            weighted_length("see https://example.org/a/very/long/path/indeed", 23),
            4 + 23
        );
        assert_eq!(weighted_length("e.g. this", 23), 9);
        assert_eq!(weighted_length("Caf\u{65}\u{301}", 23), 4);
    }
}
