//! The `extra_headers` field: `"{}"`, a JSON object (as text or inline), `k=v;k=v` (Plivo) or
//! `k=v,k=v` (Vobiz XML attribute style).

use super::reader::{Kind, Reader};

/// Parse `extra_headers` text into key/value pairs, in order. Malformed pieces (no `=`) are
/// kept with an empty value rather than dropped; an object's non-string values keep their
/// JSON text.
pub fn parse_extra_headers(raw: &str) -> Vec<(String, String)> {
    let text = raw.trim();
    if text.starts_with('{') {
        let mut pairs = Vec::new();
        let read = Reader::new(text).object(|r, key| {
            let value = match r.kind()? {
                Kind::String => r.string()?.into_owned(),
                _ => r.raw_value()?.to_owned(),
            };
            pairs.push((key.into_owned(), value));
            Ok(())
        });
        return if read.is_ok() { pairs } else { vec![] };
    }
    let separator = if text.contains(';') { ';' } else { ',' };
    text.split(separator)
        .map(str::trim)
        .filter(|piece| !piece.is_empty())
        .map(|piece| match piece.split_once('=') {
            Some((k, v)) => (k.trim().to_owned(), v.trim().to_owned()),
            None => (piece.to_owned(), String::new()),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
        items
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn every_documented_shape() {
        assert!(parse_extra_headers("{}").is_empty());
        assert!(parse_extra_headers("").is_empty());
        assert_eq!(
            parse_extra_headers("{\"a\": \"1\", \"n\": 2}"),
            pairs(&[("a", "1"), ("n", "2")])
        );
        assert_eq!(
            parse_extra_headers("k=v;k2=v2"),
            pairs(&[("k", "v"), ("k2", "v2")])
        );
        assert_eq!(
            parse_extra_headers("user_id=42, tier=gold"),
            pairs(&[("user_id", "42"), ("tier", "gold")])
        );
        assert_eq!(parse_extra_headers("flag"), pairs(&[("flag", "")]));
    }
}
