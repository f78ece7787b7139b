//! Sample encodings, byte orders and wire content types (`audio/x-l16;rate=16000`).

use crate::error::{Error, Result};
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
            _ => Err(Error::Format(format!(
                "unknown encoding {trimmed:?}; allowed: {ENCODING_NAMES}"
            ))),
        }
    }
}

impl ByteOrder {
    /// `"little"` or `"big"`, as Python's `int.to_bytes` spells them.
    pub fn parse(name: &str) -> Result<ByteOrder> {
        match name {
            "little" => Ok(ByteOrder::Little),
            "big" => Ok(ByteOrder::Big),
            _ => Err(Error::Format(format!(
                "byteorder must be \"little\" or \"big\", not {name:?}"
            ))),
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
    /// Parse `audio/x-l16;rate=16000`, `audio/x-mulaw`, `mulaw` and the like.
    /// Parameters other than `rate` are ignored; a malformed `rate` is an error.
    pub fn parse(text: &str) -> Result<ContentType> {
        let mut parts = text.split(';');
        let encoding = Encoding::parse(parts.next().unwrap_or_default())?;
        let mut rate = None;
        for parameter in parts {
            let Some((key, value)) = parameter.split_once('=') else {
                continue;
            };
            if key.trim().eq_ignore_ascii_case("rate") {
                let value = value.trim();
                match value.parse::<u32>() {
                    Ok(r) if r > 0 => rate = Some(r),
                    _ => {
                        return Err(Error::Format(format!(
                        "rate in content type {text:?} must be a positive integer, not {value:?}"
                    )))
                    }
                }
            }
        }
        Ok(ContentType { encoding, rate })
    }
}

/// Sample rates an encoding allows on a telephony stream (μ-law and A-law at 8 kHz as G.711
/// defines them; L16 at 8, 16 and 24 kHz as Vobiz accepts it).
pub fn allowed_rates(encoding: Encoding) -> &'static [u32] {
    match encoding {
        Encoding::Mulaw | Encoding::Alaw => &[8000],
        Encoding::L16 => &[8000, 16000, 24000],
    }
}

/// Check `rate` against [`allowed_rates`]; the error reads "44100 is not allowed for
/// audio/x-mulaw (allowed: 8000)" for callers to prefix with the field name.
pub fn check_rate(encoding: Encoding, rate: u32) -> std::result::Result<(), String> {
    let allowed = allowed_rates(encoding);
    if allowed.contains(&rate) {
        return Ok(());
    }
    let list: Vec<String> = allowed.iter().map(u32::to_string).collect();
    Err(format!(
        "{rate} is not allowed for {} (allowed: {})",
        encoding.mime(),
        list.join(", ")
    ))
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

impl MediaFormat {
    /// A validated format. With `strict`, only the rates of [`allowed_rates`] are accepted;
    /// otherwise any positive rate.
    pub fn new(
        encoding: Encoding,
        sample_rate: u32,
        byte_order: ByteOrder,
        strict: bool,
    ) -> Result<MediaFormat> {
        if sample_rate == 0 {
            return Err(Error::Format("sample_rate must be positive, got 0".into()));
        }
        if strict {
            check_rate(encoding, sample_rate).map_err(|reason| {
                Error::Format(format!(
                    "sample_rate {reason}; pass strict=False for other rates"
                ))
            })?;
        }
        Ok(MediaFormat {
            encoding,
            sample_rate,
            byte_order,
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
            return Err(Error::Format(format!(
                "{ms} ms is not a whole, positive number of samples at {} Hz",
                self.sample_rate
            )));
        }
        Ok((total / 1000) as usize)
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
    }

    #[test]
    fn media_format_validates_rates() {
        let f = MediaFormat::new(Encoding::L16, 16000, ByteOrder::Little, true).unwrap();
        assert_eq!(f.content_type(), "audio/x-l16;rate=16000");
        assert_eq!(f.samples_per_ms(20).unwrap(), 320);
        let err = MediaFormat::new(Encoding::Mulaw, 44100, ByteOrder::Little, true).unwrap_err();
        assert!(err
            .to_string()
            .contains("44100 is not allowed for audio/x-mulaw"));
        assert!(MediaFormat::new(Encoding::Mulaw, 44100, ByteOrder::Little, false).is_ok());
        assert!(MediaFormat::new(Encoding::L16, 0, ByteOrder::Little, false).is_err());
        let odd = MediaFormat::new(Encoding::L16, 11025, ByteOrder::Little, false).unwrap();
        assert!(odd.samples_per_ms(1).is_err());
    }

    #[test]
    fn displays_canonical_form() {
        let ct = ContentType::parse("l16;rate=24000").unwrap();
        assert_eq!(ct.to_string(), "audio/x-l16;rate=24000");
    }
}
