//! JSON string escaping straight into an output buffer.

/// Append `value` as a JSON string literal (quotes included) to `out`.
///
/// Written here rather than through serde_json so builders can write every message into one
/// reused `String` with no intermediate allocation; it escapes exactly what RFC 8259 requires
/// (`"`, `\` and control characters) and leaves other UTF-8 as is.
pub fn push_str_literal(out: &mut String, value: &str) {
    out.push('"');
    push_escaped(out, value);
    out.push('"');
}

/// Append the contents of a JSON string literal for `value` (no quotes) to `out`.
pub fn push_escaped(out: &mut String, value: &str) {
    let mut plain_from = 0;
    for (i, byte) in value.bytes().enumerate() {
        let escaped = match byte {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            b'\n' => "\\n",
            b'\r' => "\\r",
            b'\t' => "\\t",
            0x00..=0x1F => "",
            _ => continue,
        };
        out.push_str(&value[plain_from..i]);
        if escaped.is_empty() {
            out.push_str(&format!("\\u{byte:04x}"));
        } else {
            out.push_str(escaped);
        }
        plain_from = i + 1;
    }
    out.push_str(&value[plain_from..]);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_what_json_requires() {
        let mut out = String::new();
        push_str_literal(&mut out, "a\"b\\c\nd\u{1}é😀");
        assert_eq!(out, "\"a\\\"b\\\\c\\nd\\u0001é😀\"");
        let back: String = serde_json::from_str(&out).unwrap();
        assert_eq!(back, "a\"b\\c\nd\u{1}é😀");
    }
}
