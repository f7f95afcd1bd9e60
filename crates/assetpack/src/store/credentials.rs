//! The AWS shared files (`~/.aws/credentials`, `~/.aws/config`) for the profile in
//! `AWS_PROFILE` (else `default`), read when the environment names no keys of its own:
//! `object_store` reads the environment and instance roles but not these files.
//!
//! Hand-written: the files are INI with the AWS CLI's profile naming (`[name]` in one file,
//! `[profile name]` in the other); the only crate that reads them as the AWS CLI does is
//! `aws-config`, which brings the whole AWS SDK.

use std::path::{Path, PathBuf};

/// Settings for the S3 builder from the shared files, as `(config key, value)` pairs; empty
/// when the environment already holds credentials or no file names the profile.
pub(super) fn from_shared_files() -> Vec<(&'static str, String)> {
    let env = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
    if env("AWS_ACCESS_KEY_ID").is_some() || env("AWS_WEB_IDENTITY_TOKEN_FILE").is_some() {
        return Vec::new();
    }
    let Some(home) = env("HOME").map(PathBuf::from) else {
        return Vec::new();
    };
    let profile = env("AWS_PROFILE").unwrap_or_else(|| "default".into());
    let credentials = env("AWS_SHARED_CREDENTIALS_FILE")
        .map(PathBuf::from)
        .unwrap_or_else(|| home.join(".aws/credentials"));
    let config = env("AWS_CONFIG_FILE")
        .map(PathBuf::from)
        .unwrap_or_else(|| home.join(".aws/config"));
    let config_section = if profile == "default" {
        profile.clone()
    } else {
        format!("profile {profile}")
    };
    let mut found = Vec::new();
    let keys = section(&credentials, &profile);
    let settings = section(&config, &config_section);
    for (file_key, builder_key) in [
        ("aws_access_key_id", "aws_access_key_id"),
        ("aws_secret_access_key", "aws_secret_access_key"),
        ("aws_session_token", "aws_session_token"),
    ] {
        if let Some(v) = lookup(&keys, file_key).or_else(|| lookup(&settings, file_key)) {
            found.push((builder_key, v));
        }
    }
    if env("AWS_REGION").is_none() && env("AWS_DEFAULT_REGION").is_none() {
        if let Some(v) = lookup(&settings, "region") {
            found.push(("aws_region", v));
        }
    }
    if env("AWS_ENDPOINT_URL").is_none() && env("AWS_ENDPOINT").is_none() {
        if let Some(v) = lookup(&settings, "endpoint_url") {
            found.push(("aws_endpoint", v));
        }
    }
    found
}

fn lookup(pairs: &[(String, String)], key: &str) -> Option<String> {
    pairs.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone())
}

/// The `key = value` lines of `[name]` in the INI file at `path` (none when it is missing).
fn section(path: &Path, name: &str) -> Vec<(String, String)> {
    std::fs::read_to_string(path)
        .map(|text| parse_section(&text, name))
        .unwrap_or_default()
}

fn parse_section(text: &str, name: &str) -> Vec<(String, String)> {
    let mut inside = false;
    let mut pairs = Vec::new();
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        if let Some(header) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            inside = header.trim() == name;
            continue;
        }
        if let (true, Some((k, v))) = (inside, line.split_once('=')) {
            pairs.push((k.trim().to_ascii_lowercase(), v.trim().to_owned()));
        }
    }
    pairs
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_profile_section_is_read_and_others_are_not() {
        let text = "[default]\naws_access_key_id = A\n\n# note\n[profile north]\nregion = eu-west-2\nendpoint_url=http://127.0.0.1:9000\n[other]\nregion = x\n";
        assert_eq!(
            parse_section(text, "default"),
            vec![("aws_access_key_id".into(), "A".into())]
        );
        let north = parse_section(text, "profile north");
        assert_eq!(lookup(&north, "region").as_deref(), Some("eu-west-2"));
        assert_eq!(
            lookup(&north, "endpoint_url").as_deref(),
            Some("http://127.0.0.1:9000")
        );
        assert!(parse_section(text, "missing").is_empty());
    }
}
