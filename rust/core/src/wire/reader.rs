//! A small pull reader for JSON text, for the message parser.
//!
//! Written here rather than deriving serde structs because the parser needs, in one pass,
//! the path of any wrongly typed field (so errors read `media.payload: expected a string,
//! found a number`, naming the event even when `event` comes last) and must ignore field
//! types entirely for events it does not know. Strings are scanned a block at a time (module
//! `scan`) and borrowed from the input; numbers and integers are read in module `numbers`.
//! Compact strings and plain integers skip the general path (its speed against jiter and
//! serde_json: `docs/performance.md`). It accepts exactly RFC 8259 JSON — the `wire_parse`
//! fuzz target checks it against serde_json — with a nesting limit, whatever its callers do
//! with type errors: an object or array whose callback reports one is still read and checked
//! to its end.

mod numbers;
mod scan;

use std::borrow::Cow;

use scan::plain_run;

/// Deeper nesting than this is refused rather than recursed into.
pub const MAX_DEPTH: usize = 128;

/// What went wrong and where (byte offset into the text).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReadError {
    /// The text is not JSON.
    Syntax { message: String, offset: usize },
    /// Nesting deeper than [`MAX_DEPTH`], at the value that opens one level too many.
    TooDeep { offset: usize },
    /// A value of the wrong kind, e.g. "expected a string, found a number".
    Type(String),
}

pub type ReadResult<T> = Result<T, ReadError>;

/// The kind of a JSON value, for error messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Object,
    Array,
    String,
    Number,
    Bool,
    Null,
}

impl Kind {
    fn article(self) -> &'static str {
        match self {
            Kind::Object => "an object",
            Kind::Array => "an array",
            Kind::String => "a string",
            Kind::Number => "a number",
            Kind::Bool => "a boolean",
            Kind::Null => "null",
        }
    }
}

/// Reads JSON values from `text` in order.
pub struct Reader<'a> {
    text: &'a str,
    pos: usize,
    depth: usize,
}

impl<'a> Reader<'a> {
    pub fn new(text: &'a str) -> Self {
        Reader {
            text,
            pos: 0,
            depth: 0,
        }
    }

    fn bytes(&self) -> &'a [u8] {
        self.text.as_bytes()
    }

    fn syntax<T>(&self, message: impl Into<String>) -> ReadResult<T> {
        Err(ReadError::Syntax {
            message: message.into(),
            offset: self.pos,
        })
    }

    #[inline]
    fn skip_whitespace(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.bytes().get(self.pos) {
            self.pos += 1;
        }
    }

    /// The next non-whitespace byte, not consumed.
    #[inline]
    fn peek_byte(&mut self) -> ReadResult<u8> {
        self.skip_whitespace();
        match self.bytes().get(self.pos) {
            Some(&b) => Ok(b),
            None => self.syntax("unexpected end of text"),
        }
    }

    #[inline]
    fn expect(&mut self, byte: u8) -> ReadResult<()> {
        if self.peek_byte()? != byte {
            return self.syntax(format!("expected '{}'", byte as char));
        }
        self.pos += 1;
        Ok(())
    }

    /// The kind of the next value.
    #[inline]
    pub fn kind(&mut self) -> ReadResult<Kind> {
        Ok(match self.peek_byte()? {
            b'{' => Kind::Object,
            b'[' => Kind::Array,
            b'"' => Kind::String,
            b'-' | b'0'..=b'9' => Kind::Number,
            b't' | b'f' => Kind::Bool,
            b'n' => Kind::Null,
            other => return self.syntax(format!("unexpected character {:?}", other as char)),
        })
    }

    #[inline]
    fn expect_kind(&mut self, wanted: Kind) -> ReadResult<()> {
        let found = self.kind()?;
        if found == wanted {
            return Ok(());
        }
        // Skip the value so the text is still checked to be JSON before reporting.
        self.skip_value()?;
        Err(ReadError::Type(format!(
            "expected {}, found {}",
            wanted.article(),
            found.article()
        )))
    }

    /// Enter a nested value, refusing nesting deeper than [`MAX_DEPTH`].
    #[inline]
    fn enter(&mut self) -> ReadResult<()> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(ReadError::TooDeep { offset: self.pos });
        }
        Ok(())
    }

    /// Read an object, calling `entry` with each key; `entry` reads the value. A type error
    /// from `entry` is returned once the rest of the object is read and checked (see
    /// [`Reader::rest_after_type_error`]), so a container is never left half-read.
    pub fn object(
        &mut self,
        mut entry: impl FnMut(&mut Self, Cow<'a, str>) -> ReadResult<()>,
    ) -> ReadResult<()> {
        self.expect_kind(Kind::Object)?;
        self.enter()?;
        self.pos += 1;
        if self.peek_byte()? == b'}' {
            self.pos += 1;
            self.depth -= 1;
            return Ok(());
        }
        loop {
            if self.peek_byte()? != b'"' {
                return self.syntax("expected a string key");
            }
            let key = self.string_contents()?;
            self.expect(b':')?;
            let value_start = self.pos;
            if let Err(error) = entry(self, key) {
                return self.rest_after_type_error(error, value_start, b'}');
            }
            match self.peek_byte()? {
                b',' => self.pos += 1,
                b'}' => {
                    self.pos += 1;
                    self.depth -= 1;
                    return Ok(());
                }
                _ => return self.syntax("expected ',' or '}'"),
            }
        }
    }

    /// Read an array, calling `item` for each element; `item` reads the element. Type errors
    /// are returned as in [`Reader::object`].
    pub fn array(&mut self, mut item: impl FnMut(&mut Self) -> ReadResult<()>) -> ReadResult<()> {
        self.expect_kind(Kind::Array)?;
        self.enter()?;
        self.pos += 1;
        if self.peek_byte()? == b']' {
            self.pos += 1;
            self.depth -= 1;
            return Ok(());
        }
        loop {
            let value_start = self.pos;
            if let Err(error) = item(self) {
                return self.rest_after_type_error(error, value_start, b']');
            }
            match self.peek_byte()? {
                b',' => self.pos += 1,
                b']' => {
                    self.pos += 1;
                    self.depth -= 1;
                    return Ok(());
                }
                _ => return self.syntax("expected ',' or ']'"),
            }
        }
    }

    /// After a callback of [`Reader::object`] or [`Reader::array`] failed with `error` on the
    /// value that starts at `value_start`: a syntax error stands; a type error is returned
    /// only after that value (if the callback left it unread) and the rest of the container,
    /// up to its `close` byte, are read and checked. The reader's own reads leave a wrongly
    /// typed value read whole, so a value is either read or untouched: the reader validates
    /// everything it accepts whatever a caller does with type errors, and a caller that goes
    /// on after one finds the cursor after the container.
    #[cold]
    #[inline(never)]
    fn rest_after_type_error(
        &mut self,
        error: ReadError,
        value_start: usize,
        close: u8,
    ) -> ReadResult<()> {
        if !matches!(error, ReadError::Type(_)) {
            return Err(error);
        }
        let untouched = self.text.as_bytes()[value_start..self.pos]
            .iter()
            .all(|b| matches!(b, b' ' | b'\t' | b'\n' | b'\r'));
        if untouched {
            self.skip_value()?;
        }
        loop {
            match self.peek_byte()? {
                b',' => {
                    self.pos += 1;
                    if close == b'}' {
                        if self.peek_byte()? != b'"' {
                            return self.syntax("expected a string key");
                        }
                        self.string_contents()?;
                        self.expect(b':')?;
                    }
                    self.skip_value()?;
                }
                byte if byte == close => {
                    self.pos += 1;
                    self.depth -= 1;
                    return Err(error);
                }
                _ => return self.syntax(format!("expected ',' or '{}'", close as char)),
            }
        }
    }

    /// Read a string, borrowed from the text unless it has escapes.
    #[inline]
    pub fn string(&mut self) -> ReadResult<Cow<'a, str>> {
        // Compact JSON puts the quote right here; whitespace and type errors take the
        // general path.
        if self.bytes().get(self.pos) != Some(&b'"') {
            self.expect_kind(Kind::String)?;
        }
        self.string_contents()
    }

    /// At an opening quote: the string's contents.
    #[inline(always)]
    fn string_contents(&mut self) -> ReadResult<Cow<'a, str>> {
        let start = self.pos + 1;
        let rest = self.bytes().get(start..).unwrap_or_default();
        match plain_run(rest) {
            Some(stop) if rest[stop] == b'"' => {
                self.pos = start + stop + 1;
                // `start` and the quote are ASCII, so both ends are char boundaries.
                Ok(Cow::Borrowed(&self.text[start..start + stop]))
            }
            stop => self.escaped_string(start, stop),
        }
    }

    /// The rest of [`Reader::string_contents`], out of line so the common case stays small:
    /// `stop` is where the plain run from `start` ended (a backslash or a control character),
    /// `None` if the text ended first.
    #[cold]
    #[inline(never)]
    fn escaped_string(&mut self, start: usize, stop: Option<usize>) -> ReadResult<Cow<'a, str>> {
        let Some(stop) = stop else {
            self.pos = self.text.len();
            return self.syntax("unterminated string");
        };
        self.pos = start + stop;
        if self.bytes()[self.pos] != b'\\' {
            return self.syntax("control character in string");
        }
        let mut owned = String::from(&self.text[start..start + stop]);
        self.unescape_into(&mut owned)?;
        Ok(Cow::Owned(owned))
    }

    /// After a string's plain prefix: decode escapes and plain runs up to the closing quote.
    fn unescape_into(&mut self, out: &mut String) -> ReadResult<()> {
        loop {
            let rest = &self.bytes()[self.pos..];
            let Some(stop) = plain_run(rest) else {
                self.pos = self.text.len();
                return self.syntax("unterminated string");
            };
            out.push_str(&self.text[self.pos..self.pos + stop]);
            self.pos += stop;
            match rest[stop] {
                b'"' => {
                    self.pos += 1;
                    return Ok(());
                }
                b'\\' => {}
                _ => return self.syntax("control character in string"),
            }
            let escape = self.bytes().get(self.pos + 1).copied();
            self.pos += 2;
            let decoded = match escape {
                Some(b'"') => '"',
                Some(b'\\') => '\\',
                Some(b'/') => '/',
                Some(b'b') => '\u{8}',
                Some(b'f') => '\u{c}',
                Some(b'n') => '\n',
                Some(b'r') => '\r',
                Some(b't') => '\t',
                Some(b'u') => self.unicode_escape()?,
                _ => {
                    self.pos -= 1;
                    return self.syntax("invalid escape");
                }
            };
            out.push(decoded);
        }
    }

    fn hex4(&mut self) -> ReadResult<u32> {
        let digits = self.bytes().get(self.pos..self.pos + 4);
        let value = digits
            .and_then(|d| std::str::from_utf8(d).ok())
            .filter(|d| d.bytes().all(|b| b.is_ascii_hexdigit()))
            .and_then(|d| u32::from_str_radix(d, 16).ok());
        match value {
            Some(v) => {
                self.pos += 4;
                Ok(v)
            }
            None => self.syntax("invalid \\u escape"),
        }
    }

    /// After `\u`: one code point, joining a UTF-16 surrogate pair.
    fn unicode_escape(&mut self) -> ReadResult<char> {
        let first = self.hex4()?;
        let code = if (0xD800..0xDC00).contains(&first) {
            if self.bytes().get(self.pos..self.pos + 2) != Some(b"\\u") {
                return self.syntax("unpaired surrogate in \\u escape");
            }
            self.pos += 2;
            let second = self.hex4()?;
            if !(0xDC00..0xE000).contains(&second) {
                return self.syntax("unpaired surrogate in \\u escape");
            }
            0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00)
        } else {
            first
        };
        match char::from_u32(code) {
            Some(c) => Ok(c),
            None => self.syntax("unpaired surrogate in \\u escape"),
        }
    }

    /// Skip one value of any kind, checking that it is JSON.
    pub fn skip_value(&mut self) -> ReadResult<()> {
        match self.kind()? {
            Kind::Object => self.object(|reader, _| reader.skip_value()),
            Kind::Array => self.array(Self::skip_value),
            Kind::String => self.string_contents().map(drop),
            Kind::Number => self.number_text().map(drop),
            Kind::Bool | Kind::Null => {
                for literal in ["true", "false", "null"] {
                    if self.text[self.pos..].starts_with(literal) {
                        self.pos += literal.len();
                        return Ok(());
                    }
                }
                self.syntax("invalid literal")
            }
        }
    }

    /// Skip one value and return its text.
    pub fn raw_value(&mut self) -> ReadResult<&'a str> {
        self.skip_whitespace();
        let start = self.pos;
        self.skip_value()?;
        Ok(&self.text[start..self.pos])
    }

    /// Check that only whitespace follows.
    pub fn finish(&mut self) -> ReadResult<()> {
        self.skip_whitespace();
        if self.pos != self.text.len() {
            return self.syntax("trailing characters");
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(text: &str) -> ReadResult<Cow<'_, str>> {
        Reader::new(text).string()
    }

    #[test]
    fn strings_borrow_unless_escaped() {
        assert!(matches!(strings("\"abc\""), Ok(Cow::Borrowed("abc"))));
        assert_eq!(
            strings(r#""a\"b\\c\/d\n\u00e9\ud83d\ude00""#).unwrap(),
            "a\"b\\c/d\né😀"
        );
        assert!(strings("\"abc").is_err());
        assert!(strings("\"a\u{1}b\"").is_err());
        assert!(strings(r#""\x""#).is_err());
        assert!(strings(r#""\ud83d""#).is_err());
        assert!(strings(r#""\u12""#).is_err());
    }

    #[test]
    fn skipping_checks_everything_and_limits_depth() {
        let skip = |t: &str| {
            let mut r = Reader::new(t);
            r.skip_value().and_then(|()| r.finish())
        };
        assert!(skip(r#"{"a": [1, -2.5e3, true, false, null, {"b": "c"}], "d": {}}"#).is_ok());
        assert!(skip("[1, 2,]").is_err());
        assert!(skip("{\"a\" 1}").is_err());
        assert!(skip("tru").is_err());
        assert!(skip("01").is_err());
        assert!(skip(&format!("{}{}", "[".repeat(128), "]".repeat(128))).is_ok());
        assert_eq!(
            skip(&format!("{}{}", "[".repeat(129), "]".repeat(129))),
            Err(ReadError::TooDeep { offset: 128 })
        );
    }

    /// Reads `text` as an object of strings (or an array of them), as a caller would that
    /// reports only the first wrong type; the error, and whether the text was read to its end.
    fn strings_only(text: &str) -> (ReadResult<()>, bool) {
        let mut reader = Reader::new(text);
        let result = match reader.kind() {
            Ok(Kind::Array) => reader.array(|r| r.string().map(drop)),
            _ => reader.object(|r, _| r.string().map(drop)),
        };
        let whole = result.is_err() && reader.finish().is_ok();
        (result, whole)
    }

    #[test]
    fn a_wrong_type_still_reads_and_checks_the_rest_of_its_container() {
        let invalid = [
            r#"{"a": 5, "b": [1}"#,
            r#"{"a": 5, "b": "x""#,
            r#"{"a": 5 "b": "x"}"#,
            r#"{"a": 5,}"#,
            r#"{"a": 5, "b": tru}"#,
            r#"{"a": 5, 7: "x"}"#,
            r#"{"a": {"x": 1, "y": [}, "b": "c"}"#,
            r#"{"a": {"x": 1}"#,
            r#"["x", 1, [}]"#,
            r#"["x", 1, "y""#,
            r#"[1, "x",]"#,
            r#"[[1], "x" "y"]"#,
        ];
        for text in invalid {
            let (result, _) = strings_only(text);
            assert!(
                matches!(result, Err(ReadError::Syntax { .. })),
                "{text}: {result:?}"
            );
        }
        let valid = [
            r#"{"a": 5, "b": "x"}"#,
            r#"{"a": 5, "b": {"c": [1, {"d": null}]}, "e": "f"}"#,
            r#"{"a": {"x": 1, "y": [2]}, "b": "c"}"#,
            r#"["x", 1, [2, {"y": 3}], "z"]"#,
            r#"[[1], "x"]"#,
        ];
        for text in valid {
            let (result, whole) = strings_only(text);
            assert!(
                matches!(result, Err(ReadError::Type(_))),
                "{text}: {result:?}"
            );
            assert!(whole, "{text}: not read to its end");
        }
    }

    #[test]
    fn a_type_error_before_reading_the_value_skips_it() {
        let refuse = |text: &str| {
            let mut reader = Reader::new(text);
            let result = reader.object(|_, _| Err(ReadError::Type("no".into())));
            (result, reader.finish())
        };
        let (result, end) = refuse(r#"{"a": [1, {"b": 2}], "c": 3}"#);
        assert_eq!((result, end), (Err(ReadError::Type("no".into())), Ok(())));
        let (result, _) = refuse(r#"{"a": [1, {"b": 2], "c": 3}"#);
        assert!(
            matches!(result, Err(ReadError::Syntax { .. })),
            "{result:?}"
        );
    }

    #[test]
    fn type_errors_name_both_kinds() {
        let error = Reader::new("5").string().unwrap_err();
        assert_eq!(
            error,
            ReadError::Type("expected a string, found a number".into())
        );
    }
}
