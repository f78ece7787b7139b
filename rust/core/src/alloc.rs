//! Memory sized by caller input, taken with `try_reserve`: a size that cannot be had is an
//! [`Error::Argument`] of kind [`ErrorKind::TooLarge`] naming what it was for, never an abort.

use crate::error::{Error, ErrorKind, Result};

fn too_large(what: &str, more: usize, unit: &str) -> Error {
    Error::Argument(
        ErrorKind::TooLarge,
        format!("{what}: cannot allocate {more} more {unit}: too large for memory"),
    )
}

/// Room in `buffer` for exactly `more` elements, or [`Error::Argument`] naming `what`.
pub fn reserve<T>(buffer: &mut Vec<T>, more: usize, what: &str) -> Result<()> {
    let unit = format!("{}-byte elements", std::mem::size_of::<T>());
    buffer
        .try_reserve_exact(more)
        .map_err(|_| too_large(what, more, &unit))
}

/// Room in `buffer` for `more` elements, growing as `Vec` does (at least doubling), so a
/// buffer appended to again and again is copied a logarithmic number of times; or
/// [`Error::Argument`] naming `what`.
pub fn grow<T>(buffer: &mut Vec<T>, more: usize, what: &str) -> Result<()> {
    buffer.try_reserve(more).map_err(|_| {
        let unit = format!("{}-byte elements", std::mem::size_of::<T>());
        too_large(what, more, &unit)
    })
}

/// An empty string with room for `len` bytes, or [`Error::Argument`] naming `what`.
pub fn text(len: usize, what: &str) -> Result<String> {
    let mut text = String::new();
    text.try_reserve_exact(len)
        .map_err(|_| too_large(what, len, "bytes of text"))?;
    Ok(text)
}

/// A vector of `len` copies of `value`, or [`Error::Argument`] naming `what`.
pub fn filled<T: Clone>(len: usize, value: T, what: &str) -> Result<Vec<T>> {
    let mut buffer = Vec::new();
    reserve(&mut buffer, len, what)?;
    buffer.resize(len, value);
    Ok(buffer)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn impossible_sizes_are_argument_errors_naming_the_purpose() {
        for len in [usize::MAX, usize::MAX / 2, 1 << 62] {
            match filled(len, 0i16, "x") {
                Err(Error::Argument(ErrorKind::TooLarge, m)) => {
                    assert!(m.starts_with("x: cannot allocate"), "{m}")
                }
                other => panic!("{len}: {other:?}"),
            }
        }
        assert!(
            matches!(text(usize::MAX, "y"), Err(Error::Argument(ErrorKind::TooLarge, m)) if m.starts_with("y: "))
        );
        assert_eq!(filled(3, 7u8, "x"), Ok(vec![7, 7, 7]));
        let mut buffer = vec![1u8; 100];
        assert!(matches!(
            grow(&mut buffer, usize::MAX - 10, "z"),
            Err(Error::Argument(ErrorKind::TooLarge, m)) if m.starts_with("z: cannot allocate")
        ));
        assert_eq!(buffer, vec![1u8; 100]);
        assert!(text(10, "y").is_ok_and(|t| t.capacity() >= 10));
    }

    #[test]
    fn growing_is_amortized() {
        let mut buffer: Vec<u32> = Vec::new();
        let mut reallocations = 0;
        for _ in 0..1000 {
            let capacity = buffer.capacity();
            grow(&mut buffer, 10, "x").unwrap();
            reallocations += usize::from(buffer.capacity() != capacity);
            buffer.extend([0; 10]);
        }
        assert!(
            reallocations <= 14,
            "{reallocations} reallocations for 1000 appends"
        );
    }
}
