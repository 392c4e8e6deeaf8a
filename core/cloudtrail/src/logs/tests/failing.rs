//! A reader that hands out its bytes seven at a time, then fails: what was read before the
//! failure must still be read. Shared by the reader's tests and the `sifted_reader` fuzz target
//! (which includes this file by its path: a test helper is no API of the crate).

/// Hands out its bytes seven at a time, then fails.
pub(crate) struct Failing<'a>(pub(crate) &'a [u8]);

impl std::io::Read for Failing<'_> {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        let n = self.0.len().min(out.len()).min(7);
        if n == 0 {
            return Err(std::io::Error::other("disk failed"));
        }
        let (now, rest) = self.0.split_at(n);
        out.get_mut(..n).unwrap_or_default().copy_from_slice(now);
        self.0 = rest;
        Ok(n)
    }
}
