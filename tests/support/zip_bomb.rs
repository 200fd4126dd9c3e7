//! A zip bomb shaped like an XLSX file, for the import's tests and benchmark (shared by path:
//! `#[path = "…/tests/support/zip_bomb.rs"] mod zip_bomb;`).

/// An XLSX-shaped zip whose `xl/sharedStrings.xml` expands to `expanded` bytes; with `forge`,
/// the sizes in its headers claim 1,000 bytes instead.
pub fn zip_bomb(expanded: usize, forge: bool) -> Vec<u8> {
    use std::io::Write;
    let mut out = std::io::Cursor::new(Vec::new());
    let mut zip = zip::ZipWriter::new(&mut out);
    let deflated = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    zip.start_file("[Content_Types].xml", deflated).expect("entry");
    zip.write_all(b"<?xml version=\"1.0\"?><Types/>").expect("write");
    zip.start_file("xl/sharedStrings.xml", deflated.large_file(expanded > u32::MAX as usize)).expect("entry");
    let chunk = vec![b'A'; 1 << 20];
    let mut left = expanded;
    while left > 0 {
        let n = left.min(chunk.len());
        zip.write_all(&chunk[..n]).expect("write");
        left -= n;
    }
    zip.finish().expect("finish");
    let mut bytes = out.into_inner();
    if forge {
        // Local headers (PK\x03\x04): uncompressed size at +22; central directory entries
        // (PK\x01\x02): at +24. Both claim 1,000 bytes.
        let forged = 1_000u32.to_le_bytes();
        let mut i = 0;
        while i + 30 < bytes.len() {
            match &bytes[i..i + 4] {
                [0x50, 0x4b, 0x03, 0x04] => bytes[i + 22..i + 26].copy_from_slice(&forged),
                [0x50, 0x4b, 0x01, 0x02] => bytes[i + 24..i + 28].copy_from_slice(&forged),
                _ => {}
            }
            i += 1;
        }
    }
    bytes
}
