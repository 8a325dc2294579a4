//! Text made safe for where it goes: HTML (pages and mail bodies) and single header lines
//! (mail headers, file names). Every adapter uses these, so each rule is written once.

/// Escapes text for HTML element content and quoted attribute values.
///
/// ```
/// use sharelink_core::text::escape_html;
/// assert_eq!(escape_html(r#"<a href="x">&'"#), "&lt;a href=&quot;x&quot;&gt;&amp;&#39;");
/// ```
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 8);
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// Makes text safe for one header line: every control character (CR, LF, tab, NUL…) and
/// Unicode line or paragraph separator becomes a space, runs of spaces collapse, and the
/// ends are trimmed.
///
/// ```
/// use sharelink_core::text::single_line;
/// assert_eq!(single_line("Hi\r\nBcc: eve@example.com "), "Hi Bcc: eve@example.com");
/// ```
pub fn single_line(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut pending_space = false;
    for c in text.chars() {
        if c.is_control() || c.is_whitespace() {
            pending_space = true;
        } else {
            if pending_space && !out.is_empty() {
                out.push(' ');
            }
            pending_space = false;
            out.push(c);
        }
    }
    out
}
