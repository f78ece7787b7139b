//! A fixed-capacity sample ring with named markers at absolute sample positions.
//!
//! Positions count every sample ever written (`u64`, so they never wrap in practice): a
//! marker set by [`Ring::mark`] sits at the current write position and is reported by the
//! read that moves the read position to or past it. This is what playback tracking needs:
//! the platform side fires `playedStream` when playout passes a checkpoint; the app side
//! knows how much of an utterance was heard.

use std::collections::VecDeque;

use crate::error::{Error, ErrorKind, Result};

/// What a write that does not fit does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Overflow {
    /// Drop the oldest queued samples (and markers inside them) to make room.
    DropOldest,
    /// Refuse the whole write with [`Error::Overflow`]; nothing is written.
    Reject,
}

impl Overflow {
    /// `"drop_oldest"` or `"reject"`.
    pub fn parse(name: &str) -> Result<Overflow> {
        match name {
            "drop_oldest" => Ok(Overflow::DropOldest),
            "reject" => Ok(Overflow::Reject),
            _ => Err(Error::Format(
                ErrorKind::BadValue,
                format!(
                    "{name:?} is not an overflow policy; expected \"drop_oldest\" or \"reject\""
                ),
            )),
        }
    }
}

/// What a write or clear dropped.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Dropped {
    /// Samples dropped.
    pub samples: usize,
    /// Markers dropped with them, in order.
    pub markers: Vec<String>,
}

/// Largest ring capacity, in samples (2**27: 256 MiB, 46 minutes at 48 kHz).
pub const MAX_CAPACITY: usize = 1 << 27;

/// A bounded FIFO of int16 samples with markers. Memory grows with what is queued, up to the
/// capacity, not all at construction.
#[derive(Debug, Clone)]
pub struct Ring {
    samples: VecDeque<i16>,
    capacity: usize,
    overflow: Overflow,
    /// Absolute position of the next sample to read.
    read_position: u64,
    /// Markers at absolute positions, in order.
    markers: VecDeque<(u64, String)>,
}

impl Ring {
    /// A ring holding at most `capacity` samples (1 to [`MAX_CAPACITY`]).
    pub fn new(capacity: usize, overflow: Overflow) -> Result<Ring> {
        if !(1..=MAX_CAPACITY).contains(&capacity) {
            return Err(Error::Argument(
                ErrorKind::OutOfRange,
                format!("capacity must be 1 to {MAX_CAPACITY} samples, got {capacity}"),
            ));
        }
        Ok(Ring {
            samples: VecDeque::new(),
            capacity,
            overflow,
            read_position: 0,
            markers: VecDeque::new(),
        })
    }

    /// Maximum number of queued samples.
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// Samples queued and not yet read.
    pub fn available(&self) -> usize {
        self.samples.len()
    }

    /// Absolute position of the next sample to read (samples read or dropped so far).
    pub fn read_position(&self) -> u64 {
        self.read_position
    }

    /// Absolute position of the next sample to write (samples ever written).
    pub fn write_position(&self) -> u64 {
        self.read_position + self.samples.len() as u64
    }

    /// Markers not yet passed, as `(position, name)`.
    pub fn pending_markers(&self) -> impl Iterator<Item = (u64, &str)> {
        self.markers.iter().map(|(p, n)| (*p, n.as_str()))
    }

    /// Queue `input`. With [`Overflow::Reject`] a write that does not fit fails whole; with
    /// [`Overflow::DropOldest`] the oldest samples (and their markers) make room, and if the
    /// input alone exceeds the capacity only its newest `capacity` samples are kept.
    pub fn write(&mut self, input: &[i16]) -> Result<Dropped> {
        let free = self.capacity - self.samples.len();
        if input.len() <= free {
            self.reserve(input.len())?;
            self.samples.extend(input);
            return Ok(Dropped::default());
        }
        match self.overflow {
            Overflow::Reject => Err(Error::Overflow(
                ErrorKind::Overflow,
                format!(
                    "ring full: {} of {} samples do not fit (capacity {}, {} queued)",
                    input.len() - free,
                    input.len(),
                    self.capacity,
                    self.samples.len()
                ),
            )),
            Overflow::DropOldest => {
                let excess = self.samples.len() + input.len() - self.capacity;
                let from_queue = excess.min(self.samples.len());
                let from_input = excess - from_queue;
                self.samples.drain(..from_queue);
                self.reserve(input.len() - from_input)?;
                self.read_position += from_queue as u64;
                // Input samples that never fit count as written and dropped at once.
                self.read_position += from_input as u64;
                self.samples.extend(&input[from_input..]);
                // Markers at or before the new read position lost the audio before them.
                Ok(Dropped {
                    samples: excess,
                    markers: self.take_passed_markers(),
                })
            }
        }
    }

    /// Room for `more` samples, or [`Error::Overflow`] if memory for them cannot be had.
    fn reserve(&mut self, more: usize) -> Result<()> {
        self.samples.try_reserve(more).map_err(|_| {
            Error::Overflow(
                ErrorKind::TooLarge,
                format!(
                    "ring cannot allocate room for {more} more samples ({} queued)",
                    self.samples.len()
                ),
            )
        })
    }

    /// Set marker `name` at the current write position.
    pub fn mark(&mut self, name: &str) {
        let position = self.write_position();
        self.markers.push_back((position, name.to_owned()));
    }

    /// Markers strictly before `position`, removed.
    fn take_markers_before(&mut self, position: u64) -> Vec<String> {
        let mut taken = Vec::new();
        while self.markers.front().is_some_and(|(p, _)| *p < position) {
            if let Some((_, name)) = self.markers.pop_front() {
                taken.push(name);
            }
        }
        taken
    }

    /// Markers at or before the read position: everything queued before them has been read.
    /// Reads report these too; this is for markers set when nothing was queued.
    pub fn take_passed_markers(&mut self) -> Vec<String> {
        self.take_markers_before(self.read_position + 1)
    }

    /// Read exactly `n` samples into `out` (appended) and return the markers the read
    /// position reached or passed, in order; `None` (and nothing read) if fewer are queued.
    pub fn read(&mut self, n: usize, out: &mut Vec<i16>) -> Option<Vec<String>> {
        if n > self.samples.len() {
            return None;
        }
        out.extend(self.samples.drain(..n));
        self.read_position += n as u64;
        Some(self.take_passed_markers())
    }

    /// Copy the next `n` samples into `out` without consuming them; `false` if fewer queued.
    pub fn peek(&self, n: usize, out: &mut Vec<i16>) -> bool {
        if n > self.samples.len() {
            return false;
        }
        out.extend(self.samples.range(..n));
        true
    }

    /// Drop everything queued and every pending marker; report what was dropped.
    pub fn clear(&mut self) -> Dropped {
        let samples = self.samples.len();
        self.samples.clear();
        self.read_position += samples as u64;
        Dropped {
            samples,
            markers: self.markers.drain(..).map(|(_, name)| name).collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ring(capacity: usize, overflow: Overflow) -> Ring {
        Ring::new(capacity, overflow).unwrap()
    }

    #[test]
    fn exact_reads_and_markers_in_order() {
        let mut r = ring(10, Overflow::Reject);
        r.write(&[1, 2, 3]).unwrap();
        r.mark("a");
        r.write(&[4, 5]).unwrap();
        r.mark("b");
        let mut out = Vec::new();
        assert_eq!(r.read(2, &mut out), Some(vec![]));
        assert_eq!(r.read(4, &mut out), None);
        assert_eq!(r.read(1, &mut out), Some(vec!["a".to_owned()]));
        assert_eq!(r.read(2, &mut out), Some(vec!["b".to_owned()]));
        assert_eq!(out, [1, 2, 3, 4, 5]);
        assert_eq!(r.read_position(), 5);
    }

    #[test]
    fn marker_on_an_empty_ring_is_passed_at_once() {
        let mut r = ring(4, Overflow::Reject);
        r.mark("now");
        assert_eq!(r.take_passed_markers(), ["now"]);
        assert!(r.take_passed_markers().is_empty());
    }

    #[test]
    fn reject_writes_nothing_and_says_how_much_did_not_fit() {
        let mut r = ring(4, Overflow::Reject);
        r.write(&[1, 2, 3]).unwrap();
        let err = r.write(&[4, 5, 6]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "ring full: 2 of 3 samples do not fit (capacity 4, 3 queued)"
        );
        assert_eq!(r.available(), 3);
    }

    #[test]
    fn drop_oldest_keeps_the_newest_and_reports_markers() {
        let mut r = ring(4, Overflow::DropOldest);
        r.write(&[1, 2]).unwrap();
        r.mark("old");
        r.write(&[3]).unwrap();
        r.mark("new");
        let dropped = r.write(&[4, 5, 6]).unwrap();
        assert_eq!(dropped.samples, 2);
        assert_eq!(dropped.markers, ["old"]); // the audio before it was dropped, not read
        let mut out = Vec::new();
        assert!(r.peek(4, &mut out));
        assert_eq!(out, [3, 4, 5, 6]);
        let dropped = r.write(&[7, 8, 9, 10, 11, 12]).unwrap();
        assert_eq!(dropped.samples, 6);
        assert_eq!(dropped.markers, ["new"]);
        out.clear();
        r.read(4, &mut out).unwrap();
        assert_eq!(out, [9, 10, 11, 12]);
        assert_eq!(r.read_position(), 12);
    }

    #[test]
    fn clear_reports_samples_and_markers() {
        let mut r = ring(8, Overflow::Reject);
        r.write(&[1, 2, 3]).unwrap();
        r.mark("m");
        let dropped = r.clear();
        assert_eq!(
            dropped,
            Dropped {
                samples: 3,
                markers: vec!["m".into()]
            }
        );
        assert_eq!(r.available(), 0);
        assert_eq!(r.write_position(), 3);
    }

    #[test]
    fn bad_arguments() {
        assert!(Ring::new(0, Overflow::Reject).is_err());
        assert!(Ring::new(MAX_CAPACITY + 1, Overflow::Reject).is_err());
        assert!(Ring::new(usize::MAX, Overflow::Reject).is_err());
        // The largest ring costs nothing until written to.
        let mut big = Ring::new(MAX_CAPACITY, Overflow::Reject).unwrap();
        big.write(&[1, 2, 3]).unwrap();
        assert_eq!(big.available(), 3);
        assert!(Overflow::parse("newest").is_err());
    }
}
