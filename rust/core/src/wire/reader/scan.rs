//! The string scanner of the JSON reader: where the plain run of a string ends (a quote, a
//! backslash or a control character), a block at a time. Sixteen bytes per step with SSE2
//! (part of every x86-64 CPU, so no runtime detection), eight with a portable bit trick
//! elsewhere, then byte by byte over the rest. Most strings in a message are short keys and
//! ids, so the scan is inlined into the reader rather than a library call per string.

/// Whether `byte` ends the plain run of a JSON string: a quote, a backslash or a control
/// character (which JSON does not allow unescaped).
#[inline]
fn ends_plain_run(byte: u8) -> bool {
    byte == b'"' || byte == b'\\' || byte < 0x20
}

/// Index of the first byte of `bytes` that [`ends_plain_run`], if any.
#[inline(always)]
pub(super) fn plain_run(bytes: &[u8]) -> Option<usize> {
    #[cfg(target_arch = "x86_64")]
    return plain_run_using(bytes, plain_run_sse2);
    #[cfg(not(target_arch = "x86_64"))]
    return plain_run_using(bytes, plain_run_words);
}

/// [`plain_run`] with the block scanner `blocks`, then byte by byte over the rest.
#[inline(always)]
fn plain_run_using(bytes: &[u8], blocks: fn(&[u8]) -> (usize, Option<usize>)) -> Option<usize> {
    let (done, found) = blocks(bytes);
    found.or_else(|| {
        let tail = bytes.get(done..)?;
        tail.iter()
            .position(|&b| ends_plain_run(b))
            .map(|at| done + at)
    })
}

/// The first stopper among whole 16-byte blocks, or how many bytes were cleared.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn plain_run_sse2(bytes: &[u8]) -> (usize, Option<usize>) {
    use std::arch::x86_64::*;
    let blocks = bytes.chunks_exact(16);
    let cleared = bytes.len() - blocks.remainder().len();
    for (index, block) in blocks.enumerate() {
        // SAFETY: SSE2 is part of the x86-64 baseline; the load reads the 16 bytes of
        // `block` (unaligned load).
        let mask = unsafe {
            let x = _mm_loadu_si128(block.as_ptr().cast());
            let quote = _mm_cmpeq_epi8(x, _mm_set1_epi8(b'"' as i8));
            let backslash = _mm_cmpeq_epi8(x, _mm_set1_epi8(b'\\' as i8));
            // x <= 0x1F exactly when subtracting 0x1F saturates to zero.
            let control =
                _mm_cmpeq_epi8(_mm_subs_epu8(x, _mm_set1_epi8(0x1F)), _mm_setzero_si128());
            _mm_movemask_epi8(_mm_or_si128(_mm_or_si128(quote, backslash), control))
        };
        if mask != 0 {
            return (0, Some(index * 16 + mask.trailing_zeros() as usize));
        }
    }
    (cleared, None)
}

/// The first stopper among whole 8-byte words, or how many bytes were cleared. The "has a
/// zero byte" and "has a byte less than n" tricks each flag their first hit exactly (a
/// borrow can only flag bytes above a true hit), so the lowest flag of the three is the answer.
#[cfg_attr(target_arch = "x86_64", allow(dead_code))]
#[inline]
fn plain_run_words(bytes: &[u8]) -> (usize, Option<usize>) {
    const ONES: u64 = u64::MAX / 255;
    const HIGHS: u64 = ONES * 0x80;
    let words = bytes.chunks_exact(8);
    let cleared = bytes.len() - words.remainder().len();
    for (index, word) in words.enumerate() {
        let mut chunk = [0u8; 8];
        chunk.copy_from_slice(word);
        let x = u64::from_le_bytes(chunk);
        let quote = x ^ (ONES * u64::from(b'"'));
        let backslash = x ^ (ONES * u64::from(b'\\'));
        let flags = (quote.wrapping_sub(ONES) & !quote)
            | (backslash.wrapping_sub(ONES) & !backslash)
            | (x.wrapping_sub(ONES * 0x20) & !x);
        let flags = flags & HIGHS;
        if flags != 0 {
            return (0, Some(index * 8 + flags.trailing_zeros() as usize / 8));
        }
    }
    (cleared, None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_run_stops_at_the_first_quote_backslash_or_control() {
        let stoppers = [b'"', b'\\', 0u8, 0x1F];
        let passers = [b'a', 0x20, 0x21, 0x5B, 0x5D, 0x7F, 0x80, 0xA2, 0xDC, 0xFF];
        for len in 0..40 {
            for &fill in &passers {
                let clean = vec![fill; len];
                assert_eq!(plain_run(&clean), None, "len {len} fill {fill:#x}");
                assert_eq!(plain_run_using(&clean, plain_run_words), None);
                for at in 0..len {
                    for &bad in &stoppers {
                        let mut dirty = clean.clone();
                        dirty[at] = bad;
                        // A later stopper (or a borrow it causes) must not hide this one.
                        for later in at + 1..len {
                            dirty[later] = stoppers[later % stoppers.len()];
                        }
                        assert_eq!(plain_run(&dirty), Some(at), "len {len} at {at} {bad:#x}");
                        assert_eq!(plain_run_using(&dirty, plain_run_words), Some(at));
                    }
                }
            }
        }
    }
}
