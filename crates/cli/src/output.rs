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

/// `text` with control characters escaped, so that text from a license file or key file cannot
/// drive the terminal.
pub fn printable(text: &str) -> String {
    if text.chars().any(char::is_control) {
        text.chars().flat_map(char::escape_debug).collect()
    } else {
        text.to_owned()
    }
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
