//! The reader looks a struct's fields up by the names serde's derived code lists, one per field
//! (the crate's docs): no type it reads may use `alias` or adjacent tagging. This checks the
//! sources of every crate whose types the browser reads.

#![cfg(not(target_arch = "wasm32"))]

use std::fs;
use std::path::{Path, PathBuf};

/// The crates whose types the widget and the desk read with browser-json.
const READ_IN_THE_BROWSER: &[&str] = &[
    "crates/refund-core/src",
    "crates/refund-api/src",
    "web/src",
    "web/console/src",
];

fn rust_files(dir: &Path, found: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, found);
        } else if path.extension().is_some_and(|e| e == "rs") {
            found.push(path);
        }
    }
}

/// Each `serde(...)` attribute in `source`, with its line number.
fn serde_attributes(source: &str) -> Vec<(usize, String)> {
    let mut found = Vec::new();
    for (start, _) in source.match_indices("serde(") {
        let rest = &source[start..];
        let mut depth = 0;
        let end = rest
            .char_indices()
            .find_map(|(i, c)| {
                match c {
                    '(' => depth += 1,
                    ')' => depth -= 1,
                    _ => return None,
                }
                (depth == 0).then_some(i)
            })
            .unwrap_or(rest.len() - 1);
        let line = source[..start].lines().count().max(1);
        found.push((line, rest[..=end].to_owned()));
    }
    found
}

#[test]
fn no_type_read_in_the_browser_uses_an_alias_or_adjacent_tagging() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut files = Vec::new();
    for dir in READ_IN_THE_BROWSER {
        rust_files(&root.join(dir), &mut files);
    }
    assert!(
        files.len() > 20,
        "the sources were not found under {}",
        root.display()
    );
    let mut unsupported = Vec::new();
    for file in &files {
        let source = fs::read_to_string(file).unwrap();
        for (line, attribute) in serde_attributes(&source) {
            let squeezed: String = attribute.split_whitespace().collect();
            if squeezed.contains("alias=") || squeezed.contains("content=") {
                unsupported.push(format!("{}:{line}: {attribute}", file.display()));
            }
        }
    }
    assert!(
        unsupported.is_empty(),
        "browser-json cannot read these: {unsupported:#?}"
    );
}

#[test]
fn the_check_finds_what_it_looks_for() {
    let attributes = serde_attributes(
        "#[serde(rename = \"a\")]\nstruct A;\n#[serde(tag = \"t\", content = \"c\")]\n#[serde(alias(x))]",
    );
    assert_eq!(
        attributes,
        vec![
            (1, "serde(rename = \"a\")".to_owned()),
            (3, "serde(tag = \"t\", content = \"c\")".to_owned()),
            (4, "serde(alias(x))".to_owned()),
        ]
    );
}
