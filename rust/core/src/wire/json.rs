//! Small JSON pieces: string escaping straight into an output buffer, and a number that may
//! arrive as a JSON number or a numeric string.

use std::borrow::Cow;

use serde::de::{self, Deserializer, Visitor};
use serde::Deserialize;

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

/// A JSON string, borrowed from the input unless it has escapes. (serde's own `Cow<str>`
/// borrows only as a direct field, not inside `Option`.)
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonStr<'a>(pub Cow<'a, str>);

struct JsonStrVisitor<'a>(std::marker::PhantomData<&'a ()>);

impl<'de: 'a, 'a> Visitor<'de> for JsonStrVisitor<'a> {
    type Value = JsonStr<'a>;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a string")
    }

    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<JsonStr<'a>, E> {
        Ok(JsonStr(Cow::Borrowed(v)))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<JsonStr<'a>, E> {
        Ok(JsonStr(Cow::Owned(v.to_owned())))
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for JsonStr<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_str(JsonStrVisitor(std::marker::PhantomData))
    }
}

/// A non-negative integer sent as a number (`1778597597091`) or a string (`"1778597597091"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FlexibleU64(pub u64);

struct FlexibleU64Visitor;

impl Visitor<'_> for FlexibleU64Visitor {
    type Value = FlexibleU64;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a non-negative integer or a string of digits")
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<FlexibleU64, E> {
        Ok(FlexibleU64(v))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<FlexibleU64, E> {
        u64::try_from(v)
            .map(FlexibleU64)
            .map_err(|_| E::custom(format!("{v} is negative")))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<FlexibleU64, E> {
        if v >= 0.0 && v.fract() == 0.0 && v < u64::MAX as f64 {
            Ok(FlexibleU64(v as u64))
        } else {
            Err(E::custom(format!("{v} is not a non-negative integer")))
        }
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<FlexibleU64, E> {
        v.trim()
            .parse()
            .map(FlexibleU64)
            .map_err(|_| E::custom(format!("{v:?} is not a non-negative integer")))
    }
}

impl<'de> Deserialize<'de> for FlexibleU64 {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(FlexibleU64Visitor)
    }
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

    #[test]
    fn flexible_numbers() {
        let parse = |s: &str| serde_json::from_str::<FlexibleU64>(s).map(|n| n.0);
        assert_eq!(parse("12").unwrap(), 12);
        assert_eq!(parse("\"1778597597091\"").unwrap(), 1778597597091);
        assert_eq!(parse("16000.0").unwrap(), 16000);
        assert!(parse("-1").is_err());
        assert!(parse("\"abc\"").is_err());
        assert!(parse("1.5").is_err());
        assert!(parse("null").is_err());
    }
}
