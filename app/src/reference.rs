//! Short codes people read and type (a certificate's, a report's reference): digits and
//! capitals without look-alikes (no I, L, O, U), drawn at random.

/// The letters of a code.
pub const ALPHABET: &[u8] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// A new random code of `len` letters.
#[cfg(feature = "ssr")]
pub fn new(len: usize) -> String {
    use rand::Rng;
    let mut rng = rand::rng();
    (0..len).map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char).collect()
}

/// `code` trimmed and upper-cased, when it has `len` letters of the alphabet.
pub fn normalize(code: &str, len: usize) -> Option<String> {
    let c = code.trim().to_ascii_uppercase();
    (c.len() == len && c.bytes().all(|b| ALPHABET.contains(&b))).then_some(c)
}
