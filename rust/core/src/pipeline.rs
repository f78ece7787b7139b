//! Fused per-frame pipelines: one call per WebSocket message.
//!
//! [`InboundDecoder`]: message text → parsed event with its payload base64-decoded, G.711/L16
//! decoded and resampled to the app's rate (per-track resampler state kept across frames).
//! [`OutboundEncoder`]: PCM of any chunk size and rate → resampled to the wire rate, cut into
//! exact frames, encoded, base64'd and written as `playAudio` JSON (Twilio: `media`) into one
//! buffer.
//!
//! Both speak a [`Dialect`]; the decoder, when not told one, takes the first one a message
//! shows and refuses messages of the other family from then on.

use crate::alloc;
use crate::error::{Error, ErrorKind, Result};
use crate::format::MediaFormat;
use crate::level::FrameEnergy;
use crate::payload::PayloadCodec;
use crate::pcm;
use crate::resample::{self, Quality, Resampler};
use crate::wire::{self, Batch, Dialect, Message, ParseOptions, Sender, Track};

/// Longest outbound frame, in milliseconds: bounds the one-frame buffers an encoder holds.
pub const MAX_FRAME_MS: u32 = 1000;

/// Counters of an [`InboundDecoder`], for stream statistics.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct InboundCounters {
    /// `media` frames decoded.
    pub frames_decoded: u64,
    /// Wire payload bytes (before base64) decoded.
    pub payload_bytes: u64,
    /// `media` frames refused as malformed.
    pub frames_refused: u64,
}

/// Counters of an [`OutboundEncoder`], for stream statistics.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OutboundCounters {
    /// `playAudio` frames emitted.
    pub frames_emitted: u64,
    /// Wire payload bytes (before base64) encoded.
    pub payload_bytes: u64,
    /// Samples at the wire rate dropped by `clear`.
    pub samples_cleared: u64,
}

/// Decodes inbound `media` messages to PCM at the app's rate.
#[derive(Debug, Clone)]
pub struct InboundDecoder {
    format: MediaFormat,
    out_rate: u32,
    quality: Quality,
    /// One resampler per [`Track`] (indexed by [`Track::index`]): state is bounded by the two
    /// tracks the protocol has.
    resamplers: [Resampler; 2],
    codec: PayloadCodec,
    decoded: Vec<i16>,
    /// Scratch for float output: the decoded frame as f32.
    floats: Vec<f32>,
    /// The track whose frame `decoded` holds and its length at the app's rate, until it is
    /// written.
    unwritten: Option<(Track, usize)>,
    /// The energy of the frame read last (see [`InboundDecoder::frame_energy`]).
    energy: Option<FrameEnergy>,
    options: ParseOptions,
    counters: InboundCounters,
    /// Whether a `start` switches the decoder to the format it announces.
    follow_start: bool,
}

impl InboundDecoder {
    /// The stream's dialect: given, or shown by a message read; `None` until one is known.
    pub fn dialect(&self) -> Option<Dialect> {
        self.options.dialect
    }

    /// Read messages as `dialect` speaks them, refusing those of the other family.
    pub fn set_dialect(&mut self, dialect: Option<Dialect>) {
        self.options.dialect = dialect;
    }
}

impl InboundDecoder {
    /// A decoder for wire `format` producing PCM at `out_rate`.
    pub fn new(format: MediaFormat, out_rate: u32, quality: Quality) -> Result<Self> {
        let resampler = Resampler::new(format.sample_rate, out_rate, quality)?;
        Ok(InboundDecoder {
            format,
            out_rate,
            quality,
            resamplers: [resampler.clone(), resampler],
            codec: PayloadCodec::new(),
            decoded: Vec::new(),
            floats: Vec::new(),
            unwritten: None,
            energy: None,
            options: ParseOptions {
                check_payload: false,
                sender: Sender::Platform,
                ..ParseOptions::default()
            },
            counters: InboundCounters::default(),
            follow_start: true,
        })
    }

    /// Whether a `start` makes the decoder follow the format it announces (the default). A
    /// caller that decides for itself whether a `start` is accepted (a stream session that
    /// refuses a second one) turns this off, so that parsing a `start` changes nothing.
    pub fn set_follow_start(&mut self, follow: bool) {
        self.follow_start = follow;
    }

    /// The wire format this decoder reads.
    pub fn format(&self) -> MediaFormat {
        self.format
    }

    /// The app-side sample rate.
    pub fn out_rate(&self) -> u32 {
        self.out_rate
    }

    /// Limit on one message's size (default 1 MiB).
    pub fn set_max_message_bytes(&mut self, max_bytes: usize) {
        self.options.max_bytes = max_bytes;
    }

    /// Counters so far.
    pub fn counters(&self) -> InboundCounters {
        self.counters
    }

    /// Decode one base64 payload of `track` at the wire rate, ready for [`Self::write_i16`]
    /// or [`Self::write_f32`]; returns how many samples at the app's rate it makes. Reading
    /// again before writing drops the frame read before. The frame's level is measured in
    /// the same pass (see [`Self::frame_energy`]).
    pub fn read_payload(&mut self, payload: &str, track: Track) -> Result<usize> {
        self.unwritten = None;
        self.energy = None;
        self.decoded.clear();
        let format = self.format;
        let sum_squares = self.codec.decode_measured(
            payload.as_bytes(),
            format.encoding,
            format.byte_order,
            &mut self.decoded,
        )?;
        self.energy = Some(FrameEnergy {
            sum_squares,
            samples: self.decoded.len(),
        });
        let len = self.resamplers[track.index()].output_len(self.decoded.len());
        self.counters.frames_decoded += 1;
        self.counters.payload_bytes +=
            (self.decoded.len() * format.encoding.bytes_per_sample()) as u64;
        self.unwritten = Some((track, len));
        Ok(len)
    }

    /// Parse one message; for `media`, also [`Self::read_payload`] it ([`Self::unwritten_len`]
    /// then says how many samples to write). Payload errors become protocol errors naming the
    /// field. A `start` begins a new stream: the decoder follows the format it announces and
    /// forgets resampler history (unless [`Self::set_follow_start`] turned that off).
    pub fn read_message<'a>(&mut self, text: &'a str) -> Result<Message<'a>> {
        self.unwritten = None;
        self.energy = None;
        let (message, shown) = wire::parse_shown(text, &self.options)?;
        if let (None, Some(shown)) = (self.options.dialect, shown) {
            self.options.dialect = Some(shown.dialect());
        }
        match &message {
            Message::Media(media) => {
                if let Err(error) = self.read_payload(&media.payload, media.track) {
                    self.counters.frames_refused += 1;
                    return Err(Error::Protocol(
                        error.kind(),
                        format!("media.payload: {error}"),
                    ));
                }
            }
            Message::Start(start) if self.follow_start => self.follow(start.media_format)?,
            _ => {}
        }
        Ok(message)
    }

    /// Decode `format` from now on, with fresh resampler state.
    fn follow(&mut self, format: MediaFormat) -> Result<()> {
        let resampler =
            Resampler::new(format.sample_rate, self.out_rate, self.quality).map_err(|error| {
                let message = format!("start.mediaFormat.sampleRate: {error}");
                Error::Protocol(error.kind(), message)
            })?;
        self.format = format;
        self.resamplers = [resampler.clone(), resampler];
        self.unwritten = None;
        Ok(())
    }

    /// The energy of the `media` frame the last read decoded, whose
    /// [`FrameEnergy::level_dbfs`] is the frame's level: measured on its samples as decoded
    /// at the wire rate, before resampling (so the same for int16 and float32 output);
    /// `None` when the last read was not of a `media` frame, or failed.
    pub fn frame_energy(&self) -> Option<FrameEnergy> {
        self.energy
    }

    /// Samples at the app's rate of the frame read last, if it has not been written yet.
    pub fn unwritten_len(&self) -> Option<usize> {
        self.unwritten.map(|(_, len)| len)
    }

    /// The track of the frame read last, which must not have been written yet.
    fn take_unwritten(&mut self) -> Result<Track> {
        let (track, _) = self.unwritten.take().ok_or_else(|| {
            let message = "no decoded frame to write: read one first";
            Error::Argument(ErrorKind::WrongState, message.into())
        })?;
        Ok(track)
    }

    /// Write the frame read last as int16 at the app's rate into `out`, which must hold
    /// exactly the count the read returned.
    pub fn write_i16(&mut self, out: &mut [i16]) -> Result<()> {
        let track = self.take_unwritten()?;
        self.resamplers[track.index()].process_i16_into(&self.decoded, out)
    }

    /// Write the frame read last as float32 (full scale ±1) at the app's rate into `out`.
    pub fn write_f32(&mut self, out: &mut [f32]) -> Result<()> {
        let track = self.take_unwritten()?;
        self.floats.clear();
        self.floats.resize(self.decoded.len(), 0.0);
        pcm::i16_to_f32_slice(&self.decoded, &mut self.floats);
        self.resamplers[track.index()].process_f32_into(&self.floats, out)
    }

    /// [`Self::read_message`] and [`Self::write_i16`] in one, appending to `out`.
    pub fn decode_message_i16<'a>(
        &mut self,
        text: &'a str,
        out: &mut Vec<i16>,
    ) -> Result<Message<'a>> {
        let message = self.read_message(text)?;
        if let Some(len) = self.unwritten_len() {
            let start = out.len();
            out.resize(start + len, 0);
            self.write_i16(&mut out[start..])?;
        }
        Ok(message)
    }

    /// Forget resampler history (e.g. after a gap in the stream).
    pub fn reset(&mut self) {
        for resampler in &mut self.resamplers {
            resampler.reset();
        }
        self.unwritten = None;
    }
}

/// Inputs at least this many samples long have room for their output reserved first, so a
/// push too large for memory is an error naming `pcm`, the argument it came in, and the
/// float path's conversion into the queue cannot abort; shorter ones (every per-frame push)
/// cannot exhaust memory and skip the check.
const RESERVE_FROM: usize = 1 << 16;

/// Room in `buffer` for what `resampler` makes of `len` input samples, or an error when the
/// memory cannot be had.
fn reserve_output<T>(resampler: &Resampler, len: usize, buffer: &mut Vec<T>) -> Result<()> {
    if len < RESERVE_FROM {
        return Ok(());
    }
    let more = resampler.checked_output_len(len)?;
    alloc::reserve(buffer, more, "pcm")
}

/// Encodes app PCM into `playAudio` messages of exact frames.
#[derive(Debug, Clone)]
pub struct OutboundEncoder {
    format: MediaFormat,
    dialect: Dialect,
    /// The id written into every message; while `None`, whole frames stay queued (see
    /// [`OutboundEncoder::unaddressed`]).
    stream_id: Option<String>,
    frame_samples: usize,
    quality: Quality,
    /// Resamplers to the wire rate, one per input rate seen.
    resamplers: Vec<Resampler>,
    /// Wire-rate samples not yet cut into a frame.
    pending: Vec<i16>,
    /// Scratch for float input resampled, before conversion.
    floats: Vec<f32>,
    codec: PayloadCodec,
    counters: OutboundCounters,
}

impl OutboundEncoder {
    /// An encoder to wire `format` for `stream_id`, cutting frames of `frame_ms` (1 to
    /// [`MAX_FRAME_MS`]), writing `playAudio` (Vobiz, Plivo) or `media` (Twilio).
    /// `format` must be one those carry ([`wire::check_app_audio_format`]).
    pub fn new(
        format: MediaFormat,
        stream_id: &str,
        frame_ms: u32,
        quality: Quality,
        dialect: Dialect,
    ) -> Result<Self> {
        wire::check_app_audio_format(&format, dialect)?;
        if !(1..=MAX_FRAME_MS).contains(&frame_ms) {
            return Err(Error::Argument(
                ErrorKind::OutOfRange,
                format!("frame_ms must be 1 to {MAX_FRAME_MS}, got {frame_ms}"),
            ));
        }
        let frame_samples = format.samples_per_ms(frame_ms)?;
        Ok(OutboundEncoder {
            format,
            dialect,
            stream_id: Some(stream_id.to_owned()),
            frame_samples,
            quality,
            resamplers: Vec::new(),
            pending: Vec::new(),
            floats: Vec::new(),
            codec: PayloadCodec::new(),
            counters: OutboundCounters::default(),
        })
    }

    /// An encoder for a stream whose id is not known yet (audio played before the stream
    /// started): it queues whole frames without writing them until [`Self::address`].
    pub fn unaddressed(
        format: MediaFormat,
        frame_ms: u32,
        quality: Quality,
        dialect: Dialect,
    ) -> Result<Self> {
        let mut encoder = Self::new(format, "", frame_ms, quality, dialect)?;
        encoder.stream_id = None;
        Ok(encoder)
    }

    /// Write `stream_id` into every message from now on, in `dialect` when given (a stream
    /// whose dialect was detected only with its `start`); the whole frames queued while no
    /// id was known are written into `out` now. A `dialect` that cannot carry the format
    /// changes nothing.
    pub fn address(
        &mut self,
        stream_id: &str,
        dialect: Option<Dialect>,
        out: &mut Batch,
    ) -> Result<()> {
        if let Some(dialect) = dialect {
            wire::check_app_audio_format(&self.format, dialect)?;
            self.dialect = dialect;
        }
        self.stream_id = Some(stream_id.to_owned());
        self.emit_frames(out);
        Ok(())
    }

    /// The dialect of the messages written.
    pub fn dialect(&self) -> Dialect {
        self.dialect
    }

    /// The wire format.
    pub fn format(&self) -> MediaFormat {
        self.format
    }

    /// The stream id written into every message, once known.
    pub fn stream_id(&self) -> Option<&str> {
        self.stream_id.as_deref()
    }

    /// Whole frames queued and not yet written: those of an encoder not yet addressed (an
    /// addressed one writes each frame as soon as it is whole).
    pub fn held_frames(&self) -> usize {
        self.pending.len() / self.frame_samples
    }

    /// Samples in one frame at the wire rate.
    pub fn frame_samples(&self) -> usize {
        self.frame_samples
    }

    /// Counters so far.
    pub fn counters(&self) -> OutboundCounters {
        self.counters
    }

    /// Milliseconds queued but not yet emitted (less than one frame after each push).
    pub fn pending_ms(&self) -> f64 {
        self.pending.len() as f64 * 1000.0 / f64::from(self.format.sample_rate)
    }

    /// Index of the resampler from `rate` to the wire rate (equal rates pass through); an
    /// unsupported `rate` is an [`Error::Format`] naming `sample_rate`, the argument
    /// it came in.
    fn resampler(&mut self, rate: u32) -> Result<usize> {
        if let Some(index) = self.resamplers.iter().position(|r| r.in_rate() == rate) {
            return Ok(index);
        }
        resample::check_rate("sample_rate", i64::from(rate))?;
        let resampler = Resampler::new(rate, self.format.sample_rate, self.quality)?;
        self.resamplers.push(resampler);
        Ok(self.resamplers.len() - 1)
    }

    /// Queue int16 `samples` at `rate`; append each completed message to `out`.
    pub fn push_i16(&mut self, samples: &[i16], rate: u32, out: &mut Batch) -> Result<()> {
        let index = self.resampler(rate)?;
        reserve_output(&self.resamplers[index], samples.len(), &mut self.pending)?;
        self.resamplers[index].process_i16(samples, &mut self.pending)?;
        self.emit_frames(out);
        Ok(())
    }

    /// Queue float32 `samples` in [-1, 1] at `rate` (see [`OutboundEncoder::push_i16`]);
    /// beyond ±1 they clip to full scale. A sample that is not finite is refused
    /// ([`pcm::check_finite`], naming `pcm`) before anything is queued.
    pub fn push_f32(&mut self, samples: &[f32], rate: u32, out: &mut Batch) -> Result<()> {
        let index = self.resampler(rate)?;
        self.floats.clear();
        reserve_output(&self.resamplers[index], samples.len(), &mut self.floats)?;
        reserve_output(&self.resamplers[index], samples.len(), &mut self.pending)?;
        pcm::check_finite(samples, "pcm")?;
        self.resamplers[index].process_f32(samples, &mut self.floats)?;
        let start = self.pending.len();
        self.pending.resize(start + self.floats.len(), 0);
        pcm::f32_to_i16_slice(&self.floats, &mut self.pending[start..]);
        self.emit_frames(out);
        Ok(())
    }

    fn emit_frames(&mut self, out: &mut Batch) {
        let Some(stream_id) = &self.stream_id else {
            return;
        };
        let n = self.frame_samples;
        let (format, dialect) = (self.format, self.dialect);
        let frames = self.pending.len() / n;
        for frame in self.pending.chunks_exact(n) {
            let codec = &mut self.codec;
            out.push_with(|text| {
                wire::write_play_audio(text, dialect, stream_id, &format, |o| {
                    codec.encode(frame, format.encoding, format.byte_order, o)
                })
            });
        }
        self.counters.frames_emitted += frames as u64;
        self.counters.payload_bytes += (frames * n * format.encoding.bytes_per_sample()) as u64;
        self.pending.drain(..frames * n);
    }

    /// Emit what is queued, for the end of an utterance: the resamplers' tails (their delay
    /// of a few ms, after which they start afresh) and the last partial frame, padded with
    /// silence to a whole frame.
    pub fn flush(&mut self, out: &mut Batch) {
        let mut tail = Vec::new();
        for resampler in &mut self.resamplers {
            resampler.flush_i16(&mut tail);
        }
        self.pending.extend_from_slice(&tail);
        self.pad_frame(out);
    }

    /// Emit the partial frame queued, if any, padded with silence to a whole frame; the
    /// resamplers keep their history and tails, so audio pushed next continues the same
    /// stream. After pushes of whole frames' worth of input there is no partial frame and
    /// this emits nothing.
    pub fn pad_frame(&mut self, out: &mut Batch) {
        let partial = self.pending.len() % self.frame_samples;
        if partial != 0 {
            self.pending
                .resize(self.pending.len() + self.frame_samples - partial, 0);
        }
        self.emit_frames(out);
    }

    /// Drop everything not yet emitted (queued samples and resampler history); returns the
    /// milliseconds dropped.
    pub fn clear(&mut self) -> f64 {
        let dropped_ms = self.pending_ms();
        self.counters.samples_cleared += self.pending.len() as u64;
        self.pending.clear();
        for resampler in &mut self.resamplers {
            resampler.reset();
        }
        dropped_ms
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::{ByteOrder, Encoding};
    use crate::wire::MediaFields;

    fn format(encoding: Encoding, rate: u32) -> MediaFormat {
        MediaFormat {
            encoding,
            sample_rate: rate,
            byte_order: ByteOrder::Little,
        }
    }

    fn media_text(payload: &str, track: Track) -> String {
        let mut out = String::new();
        let fields = MediaFields {
            dialect: Dialect::Vobiz,
            sequence_number: 1,
            stream_id: "s",
            track,
            timestamp_ms: 0,
            chunk: 1,
            extra_headers: "{}",
        };
        wire::write_media(&mut out, &fields, |o| o.push_str(payload));
        out
    }

    #[test]
    fn inbound_twenty_ms_in_twenty_ms_out() {
        let ulaw = format(Encoding::Mulaw, 8000);
        let mut decoder = InboundDecoder::new(ulaw, 16000, Quality::Default).unwrap();
        let mut payload = String::new();
        PayloadCodec::new().encode(
            &[1000; 160],
            Encoding::Mulaw,
            ByteOrder::Little,
            &mut payload,
        );
        let text = media_text(&payload, Track::Inbound);
        for _ in 0..5 {
            let mut pcm = Vec::new();
            let message = decoder.decode_message_i16(&text, &mut pcm).unwrap();
            assert!(matches!(message, Message::Media(_)));
            assert_eq!(pcm.len(), 320);
        }
        assert_eq!(decoder.counters().frames_decoded, 5);
        assert_eq!(decoder.counters().payload_bytes, 800);
    }

    #[test]
    fn inbound_measures_each_media_frame_at_the_wire_rate() {
        let mut decoder =
            InboundDecoder::new(format(Encoding::L16, 8000), 16000, Quality::Default).unwrap();
        let mut payload = String::new();
        let frame = [8192i16; 160];
        PayloadCodec::new().encode(&frame, Encoding::L16, ByteOrder::Little, &mut payload);
        let text = media_text(&payload, Track::Inbound);
        assert_eq!(decoder.frame_energy(), None);
        decoder.decode_message_i16(&text, &mut Vec::new()).unwrap();
        let energy = decoder.frame_energy().unwrap();
        // The 160 samples as decoded at 8 kHz, not the 320 resampled to 16 kHz.
        assert_eq!(
            energy,
            FrameEnergy {
                sum_squares: 160 * 8192 * 8192,
                samples: 160
            }
        );
        assert!((energy.level_dbfs() - 20.0 * 0.25f64.log10()).abs() < 1e-9);
        decoder.read_message(r#"{"event":"stop"}"#).unwrap();
        assert_eq!(decoder.frame_energy(), None);
        assert!(decoder.read_payload("AAEC", Track::Inbound).is_err());
        assert_eq!(decoder.frame_energy(), None);
    }

    #[test]
    fn inbound_payload_errors_name_the_field() {
        let mut decoder =
            InboundDecoder::new(format(Encoding::L16, 16000), 16000, Quality::Default).unwrap();
        let mut pcm = Vec::new();
        let error = decoder
            .decode_message_i16(&media_text("AAEC", Track::Inbound), &mut pcm)
            .unwrap_err();
        assert_eq!(
            error.to_string(),
            "media.payload: L16 data must have an even number of bytes, got 3"
        );
        assert_eq!(decoder.counters().frames_refused, 1);
    }

    #[test]
    fn inbound_writes_each_frame_read_once_at_its_length() {
        let ulaw = format(Encoding::Mulaw, 8000);
        let mut decoder = InboundDecoder::new(ulaw, 16000, Quality::Default).unwrap();
        let mut out = [0i16; 324];
        let error = decoder.write_i16(&mut out).unwrap_err();
        assert!(
            matches!(error, Error::Argument(ErrorKind::WrongState, _)),
            "{error}"
        );

        // 216 base64 characters without padding: 162 μ-law bytes, 324 samples at 16 kHz.
        let payload = "/".repeat(216);
        let text = media_text(&payload, Track::Inbound);
        let message = decoder.read_message(&text).unwrap();
        assert!(matches!(message, Message::Media(_)));
        assert_eq!(decoder.unwritten_len(), Some(324));
        assert!(decoder.write_i16(&mut out[..323]).is_err());
        // The failed write used the frame up; a second write has nothing to write.
        assert!(decoder.write_i16(&mut out).is_err());

        assert_eq!(
            decoder.read_payload(&payload, Track::Outbound).unwrap(),
            324
        );
        let mut floats = [0f32; 324];
        decoder.write_f32(&mut floats).unwrap();
        assert!(decoder.write_f32(&mut floats).is_err());
        let message = decoder.read_message(r#"{"event":"stop"}"#).unwrap();
        assert!(matches!(message, Message::Stop(_)));
        assert_eq!(decoder.unwritten_len(), None);
    }

    #[test]
    fn inbound_follows_a_new_start() {
        let mut decoder =
            InboundDecoder::new(format(Encoding::Mulaw, 8000), 16000, Quality::Default).unwrap();
        let start = r#"{"event":"start","start":{"streamId":"s","mediaFormat":{"encoding":"audio/x-l16","sampleRate":16000}}}"#;
        assert!(matches!(decoder.read_message(start), Ok(Message::Start(_))));
        assert_eq!(decoder.format(), format(Encoding::L16, 16000));
        // 20 ms of L16 at 16 kHz, decoded as L16 (as μ-law it would be 640 samples).
        let mut payload = String::new();
        PayloadCodec::new().encode(&[9; 320], Encoding::L16, ByteOrder::Little, &mut payload);
        decoder
            .read_message(&media_text(&payload, Track::Inbound))
            .unwrap();
        assert_eq!(decoder.unwritten_len(), Some(320));
        let again = r#"{"event":"start","start":{"streamId":"s","mediaFormat":{"encoding":"audio/x-l16","sampleRate":24000}}}"#;
        assert!(decoder.read_message(again).is_ok());
        assert_eq!(decoder.format(), format(Encoding::L16, 24000));
    }

    #[test]
    fn inbound_can_leave_a_start_to_its_caller() {
        let ulaw = format(Encoding::Mulaw, 8000);
        let mut decoder = InboundDecoder::new(ulaw, 16000, Quality::Default).unwrap();
        decoder.set_follow_start(false);
        let start = r#"{"event":"start","start":{"streamId":"s","mediaFormat":{"encoding":"audio/x-l16","sampleRate":16000}}}"#;
        assert!(matches!(decoder.read_message(start), Ok(Message::Start(_))));
        assert_eq!(decoder.format(), ulaw);
        // A μ-law frame still decodes as μ-law: 160 bytes at 8 kHz, 320 samples at 16 kHz.
        let mut payload = String::new();
        PayloadCodec::new().encode(&[9; 160], Encoding::Mulaw, ByteOrder::Little, &mut payload);
        decoder
            .read_message(&media_text(&payload, Track::Inbound))
            .unwrap();
        assert_eq!(decoder.unwritten_len(), Some(320));
    }

    #[test]
    fn outbound_refuses_what_play_audio_cannot_carry() {
        let alaw = format(Encoding::Alaw, 8000);
        let error =
            OutboundEncoder::new(alaw, "s", 20, Quality::Default, Dialect::Vobiz).unwrap_err();
        assert!(error.to_string().contains("playAudio carries"), "{error}");
        let odd = format(Encoding::L16, 11025);
        assert!(OutboundEncoder::new(odd, "s", 20, Quality::Default, Dialect::Vobiz).is_err());
        let ulaw = format(Encoding::Mulaw, 8000);
        for frame_ms in [0, MAX_FRAME_MS + 5, u32::MAX] {
            let error = OutboundEncoder::new(ulaw, "s", frame_ms, Quality::Default, Dialect::Vobiz)
                .unwrap_err();
            assert!(
                matches!(error, Error::Argument(ErrorKind::OutOfRange, _)),
                "{error}"
            );
        }
        assert!(
            OutboundEncoder::new(ulaw, "s", MAX_FRAME_MS, Quality::Default, Dialect::Vobiz).is_ok()
        );
    }

    fn encode_all(encoder: &mut OutboundEncoder, chunks: &[&[i16]], rate: u32) -> Vec<String> {
        let mut out = Batch::new();
        for chunk in chunks {
            encoder.push_i16(chunk, rate, &mut out).unwrap();
        }
        encoder.flush(&mut out);
        out.iter().map(str::to_owned).collect()
    }

    #[test]
    fn outbound_frames_are_exact_and_chunking_does_not_matter() {
        let wire_format = format(Encoding::Mulaw, 8000);
        let tts: Vec<i16> = (0..24_000)
            .map(|i| ((i * 37) % 20_000 - 10_000) as i16)
            .collect();
        let mut one =
            OutboundEncoder::new(wire_format, "s", 20, Quality::Default, Dialect::Vobiz).unwrap();
        let whole = encode_all(&mut one, &[&tts], 24_000);
        let mut many =
            OutboundEncoder::new(wire_format, "s", 20, Quality::Default, Dialect::Vobiz).unwrap();
        let pieces: Vec<&[i16]> = tts.chunks(333).collect();
        assert_eq!(encode_all(&mut many, &pieces, 24_000), whole);
        for message in &whole {
            let Message::PlayAudio(play) = wire::parse(message, &ParseOptions::default()).unwrap()
            else {
                panic!("not playAudio: {message}")
            };
            assert_eq!(play.payload.len(), 216); // 160 μ-law bytes
        }
        assert_eq!(one.counters().frames_emitted, whole.len() as u64);
    }

    #[test]
    fn outbound_large_pushes_reserve_their_output_first() {
        let wire_format = format(Encoding::Mulaw, 8000);
        let mut encoder =
            OutboundEncoder::new(wire_format, "s", 20, Quality::Default, Dialect::Vobiz).unwrap();
        let mut out = Batch::new();
        // 3 s at 24 kHz, past RESERVE_FROM, twice: 6 s at 8 kHz, 300 frames of 20 ms.
        encoder
            .push_i16(&vec![100; 3 * 24_000], 24_000, &mut out)
            .unwrap();
        encoder
            .push_f32(&vec![0.1; 3 * 24_000], 24_000, &mut out)
            .unwrap();
        encoder.flush(&mut out);
        assert!(out.len() >= 300, "{}", out.len());
        assert_eq!(encoder.counters().frames_emitted, out.len() as u64);
    }

    #[test]
    fn outbound_refuses_samples_that_are_not_finite_and_queues_nothing() {
        let mut encoder = OutboundEncoder::new(
            format(Encoding::L16, 16000),
            "s",
            20,
            Quality::Default,
            Dialect::Vobiz,
        )
        .unwrap();
        let mut out = Batch::new();
        encoder.push_f32(&[0.25; 100], 16000, &mut out).unwrap();
        let mut bad = [0.5f32; 400];
        bad[399] = f32::INFINITY;
        let error = encoder.push_f32(&bad, 16000, &mut out).unwrap_err();
        assert_eq!(error.kind(), ErrorKind::BadValue);
        assert!(error.to_string().starts_with("pcm[399] is inf"), "{error}");
        assert_eq!((out.len(), encoder.pending_ms()), (0, 6.25));
    }

    /// The payloads of `playAudio` messages, decoded to int16 at the wire rate.
    fn payload_samples(messages: &Batch) -> Vec<i16> {
        let mut samples = Vec::new();
        for message in messages.iter() {
            let Message::PlayAudio(play) = wire::parse(message, &ParseOptions::default()).unwrap()
            else {
                panic!("not playAudio: {message}")
            };
            PayloadCodec::new()
                .decode(
                    play.payload.as_bytes(),
                    Encoding::Mulaw,
                    ByteOrder::Little,
                    &mut samples,
                )
                .unwrap();
        }
        samples
    }

    #[test]
    fn outbound_pad_frame_keeps_resampler_history() {
        let ulaw = format(Encoding::Mulaw, 8000);
        let tts: Vec<i16> = (0..16_000)
            .map(|i| ((i * 53) % 16_000 - 8_000) as i16)
            .collect();
        let mut plain =
            OutboundEncoder::new(ulaw, "s", 20, Quality::Default, Dialect::Vobiz).unwrap();
        let mut padded =
            OutboundEncoder::new(ulaw, "s", 20, Quality::Default, Dialect::Vobiz).unwrap();
        let (mut plain_out, mut padded_out) = (Batch::new(), Batch::new());
        // 50 pushes of 20 ms at 16 kHz, each one frame at 8 kHz, padding after every one.
        for (i, chunk) in tts.chunks_exact(320).enumerate() {
            plain.push_i16(chunk, 16_000, &mut plain_out).unwrap();
            padded.push_i16(chunk, 16_000, &mut padded_out).unwrap();
            padded.pad_frame(&mut padded_out);
            assert_eq!(padded_out.len(), i + 1);
            assert_eq!(padded.pending_ms(), 0.0);
        }
        assert_eq!(padded.counters().frames_emitted, 50);
        assert_eq!(payload_samples(&padded_out), payload_samples(&plain_out));
    }

    #[test]
    fn outbound_pad_frame_pads_only_a_partial_frame() {
        let mut encoder = OutboundEncoder::new(
            format(Encoding::L16, 16000),
            "s",
            20,
            Quality::Default,
            Dialect::Vobiz,
        )
        .unwrap();
        let mut out = Batch::new();
        encoder.pad_frame(&mut out);
        assert_eq!(out.len(), 0);
        encoder.push_i16(&[7; 400], 16000, &mut out).unwrap();
        encoder.pad_frame(&mut out);
        assert_eq!(out.len(), 2);
        assert_eq!(encoder.pending_ms(), 0.0);
    }

    #[test]
    fn outbound_clear_reports_pending() {
        let mut encoder = OutboundEncoder::new(
            format(Encoding::L16, 16000),
            "s",
            20,
            Quality::Default,
            Dialect::Vobiz,
        )
        .unwrap();
        let mut out = Batch::new();
        encoder.push_i16(&[7; 400], 16000, &mut out).unwrap();
        assert_eq!(out.len(), 1);
        assert!((encoder.pending_ms() - 5.0).abs() < 1e-9);
        assert!((encoder.clear() - 5.0).abs() < 1e-9);
        assert_eq!(encoder.counters().samples_cleared, 80);
        encoder.flush(&mut out);
        assert_eq!(out.len(), 1);
    }

    #[test]
    fn outbound_unaddressed_holds_frames_until_addressed() {
        let ulaw = format(Encoding::Mulaw, 8000);
        let tts: Vec<i16> = (0..8_000).map(|i| ((i * 41) % 9_000) as i16).collect();
        let mut addressed =
            OutboundEncoder::new(ulaw, "s", 20, Quality::Default, Dialect::Vobiz).unwrap();
        let mut held =
            OutboundEncoder::unaddressed(ulaw, 20, Quality::Default, Dialect::Vobiz).unwrap();
        let (mut direct, mut later) = (Batch::new(), Batch::new());
        for chunk in tts.chunks(333) {
            addressed.push_i16(chunk, 16_000, &mut direct).unwrap();
            held.push_i16(chunk, 16_000, &mut later).unwrap();
        }
        held.pad_frame(&mut later);
        addressed.pad_frame(&mut direct);
        assert_eq!((later.len(), held.stream_id()), (0, None));
        assert_eq!(held.held_frames(), direct.len());
        assert_eq!(held.pending_ms(), 20.0 * direct.len() as f64);
        held.address("s", None, &mut later).unwrap();
        assert_eq!((held.held_frames(), held.stream_id()), (0, Some("s")));
        assert_eq!(
            later.iter().collect::<Vec<_>>(),
            direct.iter().collect::<Vec<_>>()
        );
        held.push_i16(&tts[..160], 8_000, &mut later).unwrap();
        assert_eq!(later.len(), direct.len() + 1);
    }

    #[test]
    fn inbound_detects_the_dialect_and_holds_to_it() {
        let mut decoder = InboundDecoder::new(MediaFormat::TWILIO, 8000, Quality::Default).unwrap();
        assert_eq!(decoder.dialect(), None);
        // A bare stop shows no dialect.
        decoder.read_message(r#"{"event":"stop"}"#).unwrap();
        assert_eq!(decoder.dialect(), None);
        decoder
            .read_message(r#"{"event":"connected","protocol":"Call","version":"1.0.0"}"#)
            .unwrap();
        assert_eq!(decoder.dialect(), Some(Dialect::Twilio));
        let mut payload = String::new();
        PayloadCodec::new().encode(
            &[900; 160],
            Encoding::Mulaw,
            ByteOrder::Little,
            &mut payload,
        );
        let text = format!(
            r#"{{"event":"media","sequenceNumber":"2","media":{{"track":"inbound","chunk":"1","timestamp":"0","payload":"{payload}"}},"streamSid":"MZ1"}}"#
        );
        let mut pcm = Vec::new();
        decoder.decode_message_i16(&text, &mut pcm).unwrap();
        let mut vobiz = Vec::new();
        let mut plain = InboundDecoder::new(MediaFormat::TWILIO, 8000, Quality::Default).unwrap();
        plain
            .decode_message_i16(&media_text(&payload, Track::Inbound), &mut vobiz)
            .unwrap();
        assert_eq!(pcm, vobiz);
        let error = decoder
            .read_message(&media_text(&payload, Track::Inbound))
            .unwrap_err();
        assert_eq!(error.kind(), ErrorKind::WrongDialect);
    }

    #[test]
    fn outbound_twilio_media_carries_the_same_payloads_as_play_audio() {
        let tts: Vec<i16> = (0..4_800)
            .map(|i| ((i * 29) % 12_000 - 6_000) as i16)
            .collect();
        let mut vobiz = OutboundEncoder::new(
            MediaFormat::TWILIO,
            "s",
            20,
            Quality::Default,
            Dialect::Vobiz,
        )
        .unwrap();
        let mut twilio =
            OutboundEncoder::unaddressed(MediaFormat::TWILIO, 20, Quality::Default, Dialect::Vobiz)
                .unwrap();
        let (mut a, mut b) = (Batch::new(), Batch::new());
        vobiz.push_i16(&tts, 24_000, &mut a).unwrap();
        twilio.push_i16(&tts, 24_000, &mut b).unwrap();
        twilio
            .address("MZ1", Some(Dialect::Twilio), &mut b)
            .unwrap();
        assert_eq!(twilio.dialect(), Dialect::Twilio);
        assert_eq!(a.len(), b.len());
        let options = ParseOptions {
            dialect: Some(Dialect::Twilio),
            sender: Sender::App,
            ..ParseOptions::default()
        };
        for (play, media) in a.iter().zip(b.iter()) {
            let Message::PlayAudio(p) = wire::parse(play, &ParseOptions::default()).unwrap() else {
                panic!("{play}")
            };
            let Message::PlayAudio(m) = wire::parse(media, &options).unwrap() else {
                panic!("{media}")
            };
            assert!(
                media.starts_with(r#"{"event":"media","streamSid":"MZ1""#),
                "{media}"
            );
            assert_eq!((p.payload, p.media_format), (m.payload, m.media_format));
        }
        let l16 = format(Encoding::L16, 16000);
        let error =
            OutboundEncoder::new(l16, "s", 20, Quality::Default, Dialect::Twilio).unwrap_err();
        assert_eq!(error.kind(), ErrorKind::BadEncoding);
        let mut held =
            OutboundEncoder::unaddressed(l16, 20, Quality::Default, Dialect::Vobiz).unwrap();
        assert!(held.address("s", Some(Dialect::Twilio), &mut b).is_err());
        assert_eq!(held.stream_id(), None);
    }
}
