//! Sample encodings, byte orders and wire content types (`audio/x-l16;rate=16000`).

use crate::error::{Error, ErrorKind, Result};
use crate::g711::Law;

/// How samples are laid out on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Encoding {
    /// G.711 μ-law, one byte a sample (`audio/x-mulaw`).
    Mulaw,
    /// G.711 A-law, one byte a sample (`audio/x-alaw`).
    Alaw,
    /// Signed 16-bit linear PCM, two bytes a sample (`audio/x-l16`).
    L16,
}

/// Byte order of L16 samples. G.711 is one byte a sample and ignores it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum ByteOrder {
    /// Little-endian: what Vobiz documents and sends.
    #[default]
    Little,
    /// Big-endian: RFC 3551's L16.
    Big,
}

/// The spellings [`Encoding::parse`] accepts, for error messages.
pub const ENCODING_NAMES: &str =
    "audio/x-mulaw, audio/x-alaw, audio/x-l16 (optionally with ;rate=N), mulaw, ulaw, alaw, l16";

impl Encoding {
    /// The wire content type without parameters.
    pub fn mime(self) -> &'static str {
        match self {
            Encoding::Mulaw => "audio/x-mulaw",
            Encoding::Alaw => "audio/x-alaw",
            Encoding::L16 => "audio/x-l16",
        }
    }

    /// Bytes one sample takes on the wire.
    pub fn bytes_per_sample(self) -> usize {
        match self {
            Encoding::Mulaw | Encoding::Alaw => 1,
            Encoding::L16 => 2,
        }
    }

    /// The G.711 law, for the companded encodings.
    pub fn law(self) -> Option<Law> {
        match self {
            Encoding::Mulaw => Some(Law::Mu),
            Encoding::Alaw => Some(Law::A),
            Encoding::L16 => None,
        }
    }

    /// An encoding name without parameters: a content type or an alias, any case.
    pub fn parse(name: &str) -> Result<Encoding> {
        const NAMES: [(&str, Encoding); 12] = [
            ("audio/x-mulaw", Encoding::Mulaw),
            ("mulaw", Encoding::Mulaw),
            ("ulaw", Encoding::Mulaw),
            ("audio/pcmu", Encoding::Mulaw),
            ("pcmu", Encoding::Mulaw),
            ("audio/x-alaw", Encoding::Alaw),
            ("alaw", Encoding::Alaw),
            ("audio/pcma", Encoding::Alaw),
            ("pcma", Encoding::Alaw),
            ("audio/x-l16", Encoding::L16),
            ("audio/l16", Encoding::L16),
            ("l16", Encoding::L16),
        ];
        let trimmed = name.trim();
        let known = NAMES
            .iter()
            .find(|(spelling, _)| spelling.eq_ignore_ascii_case(trimmed));
        match known {
            Some(&(_, encoding)) => Ok(encoding),
            _ => Err(Error::Format(
                ErrorKind::BadEncoding,
                format!("unknown encoding {trimmed:?}; allowed: {ENCODING_NAMES}"),
            )),
        }
    }
}

impl ByteOrder {
    /// `"little"` or `"big"`, as Python's `int.to_bytes` spells them.
    pub fn parse(name: &str) -> Result<ByteOrder> {
        match name {
            "little" => Ok(ByteOrder::Little),
            "big" => Ok(ByteOrder::Big),
            _ => Err(Error::Format(
                ErrorKind::BadValue,
                format!("{name:?} is not a byte order; expected \"little\" or \"big\""),
            )),
        }
    }

    /// The name [`ByteOrder::parse`] reads.
    pub fn name(self) -> &'static str {
        match self {
            ByteOrder::Little => "little",
            ByteOrder::Big => "big",
        }
    }
}

/// A parsed content type: the encoding and the `rate` parameter if one was given.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ContentType {
    /// The sample encoding.
    pub encoding: Encoding,
    /// The `;rate=` parameter, if present.
    pub rate: Option<u32>,
}

impl ContentType {
    /// Parse `audio/x-l16;rate=16000`, `audio/x-mulaw`, `mulaw` and the like. `rate` is the
    /// only parameter: any other, a repeated `rate` or one that is not a positive integer is
    /// an error.
    pub fn parse(text: &str) -> Result<ContentType> {
        let mut parts = text.split(';');
        let encoding = Encoding::parse(parts.next().unwrap_or_default())?;
        let mut rate = None;
        for parameter in parts {
            let (key, value) = parameter.split_once('=').unwrap_or((parameter, ""));
            if !key.trim().eq_ignore_ascii_case("rate") {
                return Err(Error::Format(
                    ErrorKind::BadEncoding,
                    format!(
                        "unknown parameter {:?} in {text:?} (the only parameter is rate)",
                        parameter.trim()
                    ),
                ));
            }
            if rate.is_some() {
                return Err(Error::Format(
                    ErrorKind::BadRate,
                    format!("rate is given twice in {text:?}"),
                ));
            }
            let value = value.trim();
            match value.parse::<u32>() {
                Ok(r) if r > 0 => rate = Some(r),
                _ => {
                    return Err(Error::Format(
                        ErrorKind::BadRate,
                        format!("rate in {text:?} must be a positive integer, not {value:?}"),
                    ))
                }
            }
        }
        Ok(ContentType { encoding, rate })
    }
}

/// Highest sample rate any format may have (with or without strict checking): it bounds
/// every buffer sized from a rate.
pub const MAX_SAMPLE_RATE: u32 = 384_000;

/// Sample rates an encoding allows on a telephony stream (μ-law and A-law at 8 kHz as G.711
/// defines them; L16 at 8, 16 and 24 kHz as Vobiz accepts it).
pub fn allowed_rates(encoding: Encoding) -> &'static [u32] {
    match encoding {
        Encoding::Mulaw | Encoding::Alaw => &[8000],
        Encoding::L16 => &[8000, 16000, 24000],
    }
}

/// What is wrong with the inputs of [`resolve_format`]. [`FormatProblem::message`] names the
/// caller's fields, so the wire parser and the Python constructor word errors alike.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FormatProblem {
    /// The content type is not understood: unknown encoding or parameter, bad or repeated
    /// `rate` (the error [`ContentType::parse`] gave).
    ContentType(Error),
    /// The content type's `;rate=` and the rate field disagree.
    Conflict { in_content_type: u32, rate: u64 },
    /// No rate anywhere, for an encoding without a default (L16).
    MissingRate(Encoding),
    /// A rate outside 1..=[`MAX_SAMPLE_RATE`].
    RateOutOfRange(u64),
    /// A rate strict checking does not allow for the encoding.
    RateNotAllowed { encoding: Encoding, rate: u32 },
}

impl FormatProblem {
    /// What was wrong: a missing rate is [`ErrorKind::FieldMissing`], one outside
    /// 1..=[`MAX_SAMPLE_RATE`] [`ErrorKind::OutOfRange`], other rate problems
    /// [`ErrorKind::BadRate`]; a content type's problem keeps its own kind.
    pub fn kind(&self) -> ErrorKind {
        match self {
            FormatProblem::ContentType(error) => error.kind(),
            FormatProblem::Conflict { .. } | FormatProblem::RateNotAllowed { .. } => {
                ErrorKind::BadRate
            }
            FormatProblem::MissingRate(_) => ErrorKind::FieldMissing,
            FormatProblem::RateOutOfRange(_) => ErrorKind::OutOfRange,
        }
    }

    /// `field: reason`, with the caller's names for the content type and the rate fields.
    pub fn message(&self, content_type_field: &str, rate_field: &str) -> String {
        match self {
            FormatProblem::ContentType(error) => format!("{content_type_field}: {error}"),
            FormatProblem::Conflict {
                in_content_type,
                rate,
            } => format!(
                "{rate_field}: {rate} conflicts with rate={in_content_type} in {content_type_field}"
            ),
            FormatProblem::MissingRate(encoding) => format!(
                "{rate_field}: missing; {0} needs a rate, e.g. {0};rate=8000",
                encoding.mime()
            ),
            FormatProblem::RateOutOfRange(rate) => {
                format!("{rate_field}: {rate} is not a sample rate (1 to {MAX_SAMPLE_RATE})")
            }
            FormatProblem::RateNotAllowed { encoding, rate } => {
                let allowed: Vec<String> = allowed_rates(*encoding)
                    .iter()
                    .map(u32::to_string)
                    .collect();
                format!(
                    "{rate_field}: {rate} is not allowed for {} (allowed: {})",
                    encoding.mime(),
                    allowed.join(", ")
                )
            }
        }
    }
}

/// The inputs a [`MediaFormat`] is resolved from.
#[derive(Debug, Clone, Copy)]
pub struct FormatSpec<'a> {
    /// A content type or alias, optionally with `;rate=`.
    pub content_type: &'a str,
    /// The separate rate field, if given (any integer a caller or message may hold).
    pub rate: Option<u64>,
    /// The rate when neither the field nor the content type gives one.
    pub default_rate: Option<u32>,
    /// Byte order of L16 samples.
    pub byte_order: ByteOrder,
    /// Accept only the rates of [`allowed_rates`].
    pub strict: bool,
}

/// The one place content types and rates are reconciled, for the wire and for callers:
/// the rate field and `;rate=` must agree when both are given; else whichever is given, else
/// `default_rate`, else 8000 Hz for G.711 (L16 has no default); the rate must lie in
/// 1..=[`MAX_SAMPLE_RATE`] and, with `strict`, be one of [`allowed_rates`].
pub fn resolve_format(spec: &FormatSpec<'_>) -> std::result::Result<MediaFormat, FormatProblem> {
    let content_type = ContentType::parse(spec.content_type).map_err(FormatProblem::ContentType)?;
    let rate = match (spec.rate, content_type.rate) {
        (Some(rate), Some(stated)) if rate != u64::from(stated) => {
            return Err(FormatProblem::Conflict {
                in_content_type: stated,
                rate,
            })
        }
        (Some(rate), _) => rate,
        (None, Some(stated)) => u64::from(stated),
        (None, None) => match (spec.default_rate, content_type.encoding) {
            (Some(rate), _) => u64::from(rate),
            (None, Encoding::Mulaw | Encoding::Alaw) => 8000,
            (None, Encoding::L16) => return Err(FormatProblem::MissingRate(content_type.encoding)),
        },
    };
    let rate = u32::try_from(rate)
        .ok()
        .filter(|rate| (1..=MAX_SAMPLE_RATE).contains(rate))
        .ok_or(FormatProblem::RateOutOfRange(rate))?;
    if spec.strict && !allowed_rates(content_type.encoding).contains(&rate) {
        return Err(FormatProblem::RateNotAllowed {
            encoding: content_type.encoding,
            rate,
        });
    }
    Ok(MediaFormat {
        encoding: content_type.encoding,
        sample_rate: rate,
        byte_order: spec.byte_order,
    })
}

/// A stream's audio format: encoding, sample rate and (for L16) byte order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct MediaFormat {
    /// The sample encoding.
    pub encoding: Encoding,
    /// Samples per second.
    pub sample_rate: u32,
    /// Byte order of L16 samples.
    pub byte_order: ByteOrder,
}

impl Default for MediaFormat {
    /// L16 at 8000 Hz, little-endian: what a flat `start` without `contentType` means.
    fn default() -> Self {
        MediaFormat {
            encoding: Encoding::L16,
            sample_rate: 8000,
            byte_order: ByteOrder::Little,
        }
    }
}

impl MediaFormat {
    /// μ-law at 8000 Hz: the one format Twilio carries, both ways.
    pub const TWILIO: MediaFormat = MediaFormat {
        encoding: Encoding::Mulaw,
        sample_rate: 8000,
        byte_order: ByteOrder::Little,
    };

    /// A validated format (see [`resolve_format`]); errors name `sample_rate`.
    pub fn new(
        encoding: Encoding,
        sample_rate: u32,
        byte_order: ByteOrder,
        strict: bool,
    ) -> Result<MediaFormat> {
        resolve_format(&FormatSpec {
            content_type: encoding.mime(),
            rate: Some(u64::from(sample_rate)),
            default_rate: None,
            byte_order,
            strict,
        })
        .map_err(|problem| {
            Error::Format(problem.kind(), problem.message("encoding", "sample_rate"))
        })
    }

    /// The wire content type with its rate: `audio/x-l16;rate=16000`.
    pub fn content_type(&self) -> String {
        format!("{};rate={}", self.encoding.mime(), self.sample_rate)
    }

    /// Samples in `ms` milliseconds, if that is a whole, positive number.
    pub fn samples_per_ms(&self, ms: u32) -> Result<usize> {
        let total = u64::from(self.sample_rate) * u64::from(ms);
        if ms == 0 || total % 1000 != 0 {
            let kind = if ms == 0 {
                ErrorKind::OutOfRange
            } else {
                ErrorKind::BadValue
            };
            return Err(Error::Argument(
                kind,
                format!(
                    "{ms} ms is not a whole, positive number of samples at {} Hz",
                    self.sample_rate
                ),
            ));
        }
        usize::try_from(total / 1000).map_err(|_| {
            let message = format!("{ms} ms at {} Hz is too long", self.sample_rate);
            Error::Argument(ErrorKind::TooLarge, message)
        })
    }
}

impl std::fmt::Display for ContentType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.rate {
            Some(rate) => write!(f, "{};rate={rate}", self.encoding.mime()),
            None => f.write_str(self.encoding.mime()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_wire_types_and_aliases() {
        let l16 = ContentType::parse("audio/x-l16;rate=16000").unwrap();
        assert_eq!(l16.encoding, Encoding::L16);
        assert_eq!(l16.rate, Some(16000));
        assert_eq!(
            ContentType::parse(" Audio/X-MULAW ; rate = 8000").unwrap(),
            ContentType {
                encoding: Encoding::Mulaw,
                rate: Some(8000)
            }
        );
        for (alias, expected) in [
            ("ulaw", Encoding::Mulaw),
            ("mulaw", Encoding::Mulaw),
            ("alaw", Encoding::Alaw),
            ("l16", Encoding::L16),
        ] {
            assert_eq!(ContentType::parse(alias).unwrap().encoding, expected);
        }
        assert_eq!(ContentType::parse("audio/x-alaw").unwrap().rate, None);
    }

    #[test]
    fn rejects_unknown_and_bad_rates() {
        let err = ContentType::parse("audio/opus").unwrap_err().to_string();
        assert!(
            err.contains("audio/opus") && err.contains("audio/x-l16"),
            "{err}"
        );
        let err = ContentType::parse("audio/x-l16;rate=fast")
            .unwrap_err()
            .to_string();
        assert!(err.contains("fast"), "{err}");
        assert!(ContentType::parse("audio/x-l16;rate=0").is_err());
        let err = ContentType::parse("audio/x-l16;byteorder=big")
            .unwrap_err()
            .to_string();
        assert!(err.contains("unknown parameter \"byteorder=big\""), "{err}");
        let err = ContentType::parse("audio/x-l16;rate=8000;rate=8000")
            .unwrap_err()
            .to_string();
        assert!(err.contains("rate is given twice"), "{err}");
    }

    fn spec(content_type: &str, rate: Option<u64>, default_rate: Option<u32>) -> FormatSpec<'_> {
        FormatSpec {
            content_type,
            rate,
            default_rate,
            byte_order: ByteOrder::Little,
            strict: true,
        }
    }

    #[test]
    fn one_rule_reconciles_content_type_and_rate() {
        let rate = |s: FormatSpec<'_>| resolve_format(&s).map(|f| f.sample_rate);
        assert_eq!(rate(spec("audio/x-mulaw", None, None)), Ok(8000));
        assert_eq!(rate(spec("audio/x-l16;rate=16000", None, None)), Ok(16000));
        assert_eq!(rate(spec("audio/x-l16", Some(24000), None)), Ok(24000));
        assert_eq!(rate(spec("audio/x-l16", None, Some(8000))), Ok(8000));
        assert_eq!(
            rate(spec("audio/x-l16;rate=16000", Some(16000), None)),
            Ok(16000)
        );
        let conflict = resolve_format(&spec("audio/x-l16;rate=16000", Some(8000), None));
        assert_eq!(
            conflict.unwrap_err().message("enc", "rate"),
            "rate: 8000 conflicts with rate=16000 in enc"
        );
        let missing = resolve_format(&spec("l16", None, None)).unwrap_err();
        assert_eq!(missing, FormatProblem::MissingRate(Encoding::L16));
        let huge = resolve_format(&spec("l16", Some(1 << 40), None)).unwrap_err();
        assert_eq!(huge, FormatProblem::RateOutOfRange(1 << 40));
        let not_allowed = resolve_format(&spec("mulaw", Some(16000), None)).unwrap_err();
        assert_eq!(
            not_allowed.message("e", "r"),
            "r: 16000 is not allowed for audio/x-mulaw (allowed: 8000)"
        );
        let lenient = FormatSpec {
            strict: false,
            ..spec("mulaw", Some(16000), None)
        };
        assert_eq!(rate(lenient), Ok(16000));
    }

    #[test]
    fn media_format_validates_rates() {
        let f = MediaFormat::new(Encoding::L16, 16000, ByteOrder::Little, true).unwrap();
        assert_eq!(f.content_type(), "audio/x-l16;rate=16000");
        assert_eq!(f.samples_per_ms(20).unwrap(), 320);
        let err = MediaFormat::new(Encoding::Mulaw, 44100, ByteOrder::Little, true).unwrap_err();
        assert_eq!(
            err.to_string(),
            "sample_rate: 44100 is not allowed for audio/x-mulaw (allowed: 8000)"
        );
        assert!(MediaFormat::new(Encoding::Mulaw, 44100, ByteOrder::Little, false).is_ok());
        assert!(MediaFormat::new(Encoding::L16, 0, ByteOrder::Little, false).is_err());
        let odd = MediaFormat::new(Encoding::L16, 11025, ByteOrder::Little, false).unwrap();
        assert!(matches!(
            odd.samples_per_ms(1),
            Err(Error::Argument(ErrorKind::BadValue, _))
        ));
        assert!(matches!(
            odd.samples_per_ms(0),
            Err(Error::Argument(ErrorKind::OutOfRange, _))
        ));
    }

    #[test]
    fn displays_canonical_form() {
        let ct = ContentType::parse("l16;rate=24000").unwrap();
        assert_eq!(ct.to_string(), "audio/x-l16;rate=24000");
    }
}
