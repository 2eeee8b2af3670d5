//! The examples in the docs are the files the tests run: every fenced code block in docs/*.md
//! that follows a line `<!-- example: PATH -->` must equal the file PATH (relative to the
//! repository root) byte for byte, so an example that the bindings' tests compile and run cannot
//! drift from the one a reader copies. docs/EMBEDDING.md must have such examples for every
//! language.
#![allow(clippy::unwrap_used, clippy::expect_used)] // Test code: a panic is the failure report.

use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Every `(path, block)` pair in a Markdown text: the block is the fenced code right after the
/// marker line (blank lines between them allowed), without its fences.
fn marked_examples(markdown: &str) -> Result<Vec<(String, String)>, String> {
    let mut examples = Vec::new();
    let mut lines = markdown.lines().enumerate().peekable();
    while let Some((number, line)) = lines.next() {
        let Some(rest) = line.trim().strip_prefix("<!-- example:") else {
            continue;
        };
        let path = rest
            .strip_suffix("-->")
            .ok_or_else(|| format!("line {}: the marker does not end with -->", number + 1))?
            .trim()
            .to_owned();
        while lines.peek().is_some_and(|(_, l)| l.trim().is_empty()) {
            lines.next();
        }
        let fence = match lines.next() {
            Some((_, l)) if l.starts_with("```") => l.chars().take_while(|&c| c == '`').count(),
            _ => {
                return Err(format!(
                    "line {}: no code block after the marker for {path}",
                    number + 1
                ))
            }
        };
        let mut block = String::new();
        loop {
            match lines.next() {
                Some((_, l))
                    if l.starts_with(&"`".repeat(fence)) && l.trim_matches('`').is_empty() =>
                {
                    break
                }
                Some((_, l)) => {
                    block.push_str(l);
                    block.push('\n');
                }
                None => return Err(format!("the code block for {path} is not closed")),
            }
        }
        examples.push((path, block));
    }
    Ok(examples)
}

#[test]
fn every_marked_example_in_the_docs_is_the_file_the_tests_run() {
    let mut checked = 0;
    let mut problems = Vec::new();
    let mut docs: Vec<PathBuf> = std::fs::read_dir(root().join("docs"))
        .expect("docs/")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .collect();
    docs.sort();
    for doc in &docs {
        let text = std::fs::read_to_string(doc).expect("doc");
        let name = doc
            .file_name()
            .expect("name")
            .to_string_lossy()
            .into_owned();
        match marked_examples(&text) {
            Err(e) => problems.push(format!("{name}: {e}")),
            Ok(examples) => {
                for (path, block) in examples {
                    match std::fs::read_to_string(root().join(&path)) {
                        Ok(file) if file == block => checked += 1,
                        Ok(_) => problems.push(format!(
                            "{name}: the block for {path} differs from the file"
                        )),
                        Err(e) => problems.push(format!("{name}: {path}: {e}")),
                    }
                }
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    let embedding =
        std::fs::read_to_string(root().join("docs/EMBEDDING.md")).expect("docs/EMBEDDING.md");
    let examples = marked_examples(&embedding).expect("markers");
    for dir in [
        "bindings/c/",
        "bindings/python/",
        "bindings/node/",
        "bindings/java/",
    ] {
        assert!(
            examples.iter().filter(|(p, _)| p.starts_with(dir)).count() >= 2,
            "docs/EMBEDDING.md shows fewer than two examples from {dir}"
        );
    }
    assert!(checked >= 8, "only {checked} examples checked");
}

#[test]
fn the_marker_parser_finds_blocks_and_refuses_broken_markers() {
    let doc = "text\n<!-- example: a/b.py -->\n\n```python\nprint(1)\n\n```\nmore\n";
    assert_eq!(
        marked_examples(doc).expect("parsed"),
        vec![("a/b.py".to_owned(), "print(1)\n\n".to_owned())]
    );
    assert!(marked_examples("<!-- example: a.c -->\ntext\n").is_err());
    assert!(marked_examples("<!-- example: a.c -->\n```c\nint x;\n").is_err());
    assert!(marked_examples("<!-- example: a.c\n```c\n```\n").is_err());
}
