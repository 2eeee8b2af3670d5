//! Printing: errors on stderr with their causes, colours only on a terminal.

use std::io::IsTerminal;

/// Prints an error and its chain of causes to stderr.
pub fn print_error(error: &anyhow::Error) {
    let mut text = format!("error: {}", printable(&error.to_string()));
    for cause in error.chain().skip(1) {
        text.push_str(&format!("\n  caused by: {}", printable(&cause.to_string())));
    }
    crate::io::print_stderr(&text);
}

/// `text` with C0 and C1 control characters and the bidirectional formatting characters escaped
/// visibly (`\u{202e}`), so that text from a license file or key file can neither drive the
/// terminal nor make it show text in another order.
pub fn printable(text: &str) -> String {
    if !text.chars().any(needs_escape) {
        return text.to_owned();
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if c.is_control() {
            out.extend(c.escape_debug());
        } else if needs_escape(c) {
            out.extend(c.escape_unicode());
        } else {
            out.push(c);
        }
    }
    out
}

/// [`printable`] for each line of a multi-line text (pretty JSON): the line breaks stay.
pub fn printable_lines(text: &str) -> String {
    text.split('\n')
        .map(printable)
        .collect::<Vec<_>>()
        .join("\n")
}

/// C0 and C1 controls (DEL included) and the bidirectional formatting characters: marks
/// (U+200E, U+200F, U+061C), embeddings and overrides (U+202A..U+202E), isolates (U+2066..U+2069).
fn needs_escape(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{200E}' | '\u{200F}' | '\u{061C}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// Wraps `text` in an ANSI colour when stdout is a terminal and NO_COLOR is unset.
pub fn paint(text: &str, good: bool) -> String {
    let colour = std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    if colour {
        format!("\x1b[{}m{text}\x1b[0m", if good { "32;1" } else { "31;1" })
    } else {
        text.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::printable;

    #[test]
    fn controls_and_bidirectional_characters_are_escaped_visibly() {
        assert_eq!(printable("ACME"), "ACME");
        assert_eq!(printable("a\u{1b}[31mb"), "a\\u{1b}[31mb");
        assert_eq!(printable("bell\u{7}"), "bell\\u{7}");
        assert_eq!(printable("c1\u{9b}"), "c1\\u{9b}");
        assert_eq!(printable("line\nbreak"), "line\\nbreak");
        for c in [
            '\u{200E}', '\u{200F}', '\u{061C}', '\u{202A}', '\u{202B}', '\u{202C}', '\u{202D}',
            '\u{202E}', '\u{2066}', '\u{2067}', '\u{2068}', '\u{2069}',
        ] {
            let shown = printable(&format!("x{c}y"));
            assert!(!shown.contains(c), "{c:?} printed as is");
            assert_eq!(shown, format!("x\\u{{{:x}}}y", c as u32));
        }
        // Other text, right-to-left scripts included, is printed as it is.
        assert_eq!(
            printable("Müller \u{5e9}\u{5dc}\u{5d5}\u{5dd}"),
            "Müller \u{5e9}\u{5dc}\u{5d5}\u{5dd}"
        );
    }
}
