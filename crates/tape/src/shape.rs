//! Sizes of shapes read from outside (file headers), computed without overflow.

/// The number of elements of an array of `shape`, or `None` if no array of that shape can
/// exist: ndarray requires the product of the non-zero axis lengths to fit in `isize`
/// (so `[0, 2⁴⁰, 2⁴⁰]` is refused although it holds no element). Loaders call it on every
/// shape a file declares before they size anything by it.
///
/// ```
/// use tapegrad_tape::checked_size;
/// assert_eq!(checked_size(&[60_000, 28, 28]), Some(47_040_000));
/// assert_eq!(checked_size(&[]), Some(1)); // a scalar
/// assert_eq!(checked_size(&[0, 5]), Some(0));
/// assert_eq!(checked_size(&[1 << 40, 1 << 40]), None); // overflows
/// assert_eq!(checked_size(&[0, 1 << 40, 1 << 40]), None); // empty, but no such array
/// ```
pub fn checked_size(shape: &[usize]) -> Option<usize> {
    let mut nonzero: usize = 1;
    for &len in shape {
        nonzero = nonzero.checked_mul(len.max(1))?;
    }
    if nonzero > isize::MAX as usize {
        return None;
    }
    Some(if shape.contains(&0) { 0 } else { nonzero })
}
