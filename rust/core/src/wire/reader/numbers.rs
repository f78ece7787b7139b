//! Numbers in the JSON reader: the grammar of a JSON number, and the non-negative integers
//! the protocol gives as numbers or as strings of digits (`16000`, `16000.0`,
//! `"1778597597091"`), with a direct path for the common compact forms that must read
//! exactly as the general one.

use super::{Kind, ReadError, ReadResult, Reader};

impl<'a> Reader<'a> {
    /// The text of the number at the cursor, checked against the JSON grammar.
    pub(super) fn number_text(&mut self) -> ReadResult<&'a str> {
        let bytes = self.bytes();
        let start = self.pos;
        let mut i = start;
        let digits = |i: &mut usize| {
            let from = *i;
            while bytes.get(*i).is_some_and(u8::is_ascii_digit) {
                *i += 1;
            }
            *i > from
        };
        if bytes.get(i) == Some(&b'-') {
            i += 1;
        }
        if bytes.get(i) == Some(&b'0') {
            i += 1;
        } else if !digits(&mut i) {
            self.pos = i;
            return self.syntax("invalid number");
        }
        if bytes.get(i) == Some(&b'.') {
            i += 1;
            if !digits(&mut i) {
                self.pos = i;
                return self.syntax("invalid number");
            }
        }
        if let Some(b'e' | b'E') = bytes.get(i) {
            i += 1;
            if let Some(b'+' | b'-') = bytes.get(i) {
                i += 1;
            }
            if !digits(&mut i) {
                self.pos = i;
                return self.syntax("invalid number");
            }
        }
        self.pos = i;
        Ok(&self.text[start..i])
    }

    /// A non-negative integer given as a number (`16000`, `16000.0`) or a string of digits
    /// (`"1778597597091"`).
    pub fn flexible_u64(&mut self) -> ReadResult<u64> {
        match self.plain_u64() {
            Some(value) => Ok(value),
            None => self.any_u64(),
        }
    }

    /// [`Reader::flexible_u64`] for every form, with a type error for what is not one.
    fn any_u64(&mut self) -> ReadResult<u64> {
        match self.kind()? {
            Kind::String => {
                let text = self.string()?;
                text.trim()
                    .parse()
                    .map_err(|_| ReadError::Type(format!("{text:?} is not a non-negative integer")))
            }
            Kind::Number => {
                let text = self.number_text()?;
                if let Ok(n) = text.parse::<u64>() {
                    return Ok(n);
                }
                match text.parse::<f64>() {
                    Ok(v) if v >= 0.0 && v.fract() == 0.0 && v < u64::MAX as f64 => Ok(v as u64),
                    _ => Err(ReadError::Type(format!(
                        "{text} is not a non-negative integer"
                    ))),
                }
            }
            other => {
                self.skip_value()?;
                Err(ReadError::Type(format!(
                    "expected a non-negative integer or a string of digits, found {}",
                    other.article()
                )))
            }
        }
    }

    /// The common forms of [`Reader::flexible_u64`], read directly: up to 19 digits as a
    /// JSON integer (no leading zero, no fraction or exponent) or alone in a string. `None`
    /// leaves the position alone for the general path.
    #[inline]
    fn plain_u64(&mut self) -> Option<u64> {
        let bytes = self.bytes();
        let quoted = bytes.get(self.pos) == Some(&b'"');
        let from = self.pos + usize::from(quoted);
        let mut value = 0u64;
        let mut end = from;
        while let Some(&digit) = bytes.get(end).filter(|b| b.is_ascii_digit()) {
            if end - from == 19 {
                return None;
            }
            value = value * 10 + u64::from(digit - b'0');
            end += 1;
        }
        let next = bytes.get(end).copied();
        let plain = if quoted {
            end > from && next == Some(b'"')
        } else {
            end > from
                && (bytes[from] != b'0' || end == from + 1)
                && !matches!(next, Some(b'.' | b'e' | b'E'))
        };
        if !plain {
            return None;
        }
        self.pos = end + usize::from(quoted);
        Some(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_follow_the_grammar() {
        let read = |t: &str| Reader::new(t).flexible_u64();
        assert_eq!(read("16000").unwrap(), 16000);
        assert_eq!(read("16000.0").unwrap(), 16000);
        assert_eq!(read("1.6e4").unwrap(), 16000);
        assert_eq!(read("\"42\"").unwrap(), 42);
        assert!(matches!(read("-1"), Err(ReadError::Type(_))));
        assert!(matches!(read("1.5"), Err(ReadError::Type(_))));
        assert!(matches!(read("01"), Ok(0))); // the reader stops after "0"; finish() refuses the rest
        assert!(matches!(read("-"), Err(ReadError::Syntax { .. })));
        assert!(matches!(read("1."), Err(ReadError::Syntax { .. })));
        assert!(matches!(read("null"), Err(ReadError::Type(_))));
    }

    #[test]
    fn plain_integers_are_what_the_general_path_reads() {
        let mut texts = Vec::new();
        for digits in ["0", "7", "00", "007", "10", "1778597597091"] {
            texts.push(digits.to_owned());
        }
        for len in 17..=21 {
            texts.push("9".repeat(len));
            texts.push(format!("1{}", "0".repeat(len - 1)));
        }
        texts.push(u64::MAX.to_string());
        let mut cases = Vec::new();
        for digits in &texts {
            for form in [
                "{}", "\"{}\"", "-{}", "{}.", "{}.0", "{}.5", "{}e2", "{}E-1", "{},", "{}}",
                "\"{}", "\" {}\"", "\"{}x\"",
            ] {
                cases.push(form.replace("{}", digits));
            }
        }
        let mut compared = 0;
        for text in &cases {
            let mut plain = Reader::new(text);
            let Some(value) = plain.plain_u64() else {
                continue;
            };
            let mut general = Reader::new(text);
            assert_eq!(general.any_u64(), Ok(value), "{text}");
            assert_eq!(plain.pos, general.pos, "{text}");
            compared += 1;
        }
        assert!(compared >= 40, "only {compared} plain cases");
    }

    #[test]
    fn plain_integers_read_like_the_general_path() {
        let read = |t: &str| {
            let mut reader = Reader::new(t);
            let value = reader.flexible_u64();
            (value, reader.finish().is_ok())
        };
        assert_eq!(read("0"), (Ok(0), true));
        assert_eq!(
            read("9999999999999999999"),
            (Ok(9_999_999_999_999_999_999), true)
        );
        assert_eq!(read("18446744073709551615"), (Ok(u64::MAX), true));
        assert!(read("18446744073709551616").0.is_err());
        assert_eq!(read("12e1"), (Ok(120), true));
        assert_eq!(read("\"007\""), (Ok(7), true));
        assert_eq!(read("\" 42 \""), (Ok(42), true));
        assert_eq!(read("\"18446744073709551615\""), (Ok(u64::MAX), true));
        assert!(read("\"18446744073709551616\"").0.is_err());
        assert!(read("\"\"").0.is_err());
        assert!(read("\"12a\"").0.is_err());
        assert!(read("\"12").0.is_err());
        assert_eq!(read("007"), (Ok(0), false));
    }
}
