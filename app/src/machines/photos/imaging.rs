//! What an uploaded photo is, decided from its bytes alone: the format (JPEG, PNG or WebP, by
//! signature, never by file name or header), proof that it is whole (the container runs to its
//! end marker — decoders tolerate some truncation — and a full decode), and the web copy shown in pages
//! (upright, longest side at most [`WEB_MAX_SIDE`] pixels, JPEG). CPU-bound: call it off the
//! async runtime.

use crate::error::{FieldCode, FieldError};
use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader, Limits, imageops::FilterType};
use std::io::Cursor;

/// The largest upload accepted, in bytes.
pub const MAX_UPLOAD_BYTES: usize = 10 * 1024 * 1024;
/// The longest side of the web copy, in pixels.
pub const WEB_MAX_SIDE: u32 = 1280;
/// JPEG quality of the web copy.
const WEB_QUALITY: u8 = 82;
/// The longest side accepted (a decompression-bomb guard; phone cameras stay well below).
pub const MAX_SIDE: u32 = 16_384;
/// The largest decoded bitmap accepted, in bytes (a 48-megapixel RGB photo needs 144 MiB).
const MAX_DECODED_BYTES: u64 = 256 * 1024 * 1024;

/// An accepted image format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PhotoFormat {
    Jpeg,
    Png,
    WebP,
}

impl PhotoFormat {
    /// The media type served with the original.
    pub fn content_type(self) -> &'static str {
        match self {
            PhotoFormat::Jpeg => "image/jpeg",
            PhotoFormat::Png => "image/png",
            PhotoFormat::WebP => "image/webp",
        }
    }

    /// The file extension of the stored original.
    pub fn extension(self) -> &'static str {
        match self {
            PhotoFormat::Jpeg => "jpg",
            PhotoFormat::Png => "png",
            PhotoFormat::WebP => "webp",
        }
    }

    /// The format of a stored original, from its media type.
    pub fn from_content_type(value: &str) -> Option<Self> {
        [PhotoFormat::Jpeg, PhotoFormat::Png, PhotoFormat::WebP].into_iter().find(|f| f.content_type() == value)
    }

    /// The format the bytes are in, judged by their signature; `None` for anything else.
    pub fn sniff(bytes: &[u8]) -> Option<Self> {
        match image::guess_format(bytes).ok()? {
            ImageFormat::Jpeg => Some(PhotoFormat::Jpeg),
            ImageFormat::Png => Some(PhotoFormat::Png),
            ImageFormat::WebP => Some(PhotoFormat::WebP),
            _ => None,
        }
    }

    fn image_format(self) -> ImageFormat {
        match self {
            PhotoFormat::Jpeg => ImageFormat::Jpeg,
            PhotoFormat::Png => ImageFormat::Png,
            PhotoFormat::WebP => ImageFormat::WebP,
        }
    }
}

/// A checked upload and its web copy.
#[derive(Debug, Clone)]
pub struct ProcessedPhoto {
    pub format: PhotoFormat,
    /// Size of the original as displayed (after its EXIF orientation), in pixels.
    pub width: u32,
    pub height: u32,
    /// The web copy: JPEG, upright, longest side at most [`WEB_MAX_SIDE`].
    pub web_jpeg: Vec<u8>,
    pub web_width: u32,
    pub web_height: u32,
}

/// Why an upload is not a usable photo (a field error on `file`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PhotoRejection {
    /// Not a JPEG, PNG or WebP image (whatever its name or declared type).
    #[error("unsupported image")]
    Unsupported,
    /// The format is right but the image is truncated or damaged.
    #[error("corrupt image")]
    Corrupt,
    /// Too many pixels to process.
    #[error("image dimensions too large")]
    TooManyPixels,
}

impl PhotoRejection {
    /// The field error reported on `file`.
    pub fn field_error(&self) -> FieldError {
        match self {
            PhotoRejection::Unsupported => FieldError::new(FieldCode::UnsupportedImage),
            PhotoRejection::Corrupt => FieldError::new(FieldCode::CorruptImage),
            PhotoRejection::TooManyPixels => FieldError::new(FieldCode::ImageTooLarge).with("max", MAX_SIDE),
        }
    }
}

/// Checks an upload completely and makes its web copy. Blocking and CPU-bound.
pub fn process(bytes: &[u8]) -> Result<ProcessedPhoto, PhotoRejection> {
    let format = PhotoFormat::sniff(bytes).ok_or(PhotoRejection::Unsupported)?;
    let complete = match format {
        PhotoFormat::Jpeg => jpeg_is_complete(bytes),
        PhotoFormat::Png => png_is_complete(bytes),
        PhotoFormat::WebP => webp_is_complete(bytes),
    };
    if !complete {
        return Err(PhotoRejection::Corrupt);
    }
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format.image_format());
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    limits.max_alloc = Some(MAX_DECODED_BYTES);
    reader.limits(limits);
    let mut decoder = reader.into_decoder().map_err(rejection)?;
    if decoder.total_bytes() > MAX_DECODED_BYTES {
        return Err(PhotoRejection::TooManyPixels);
    }
    let orientation = decoder.orientation().map_err(rejection)?;
    let mut img = DynamicImage::from_decoder(decoder).map_err(rejection)?;
    img.apply_orientation(orientation);
    let (width, height) = (img.width(), img.height());
    let web = web_copy(img);
    let (web_width, web_height) = (web.width(), web.height());
    let mut web_jpeg = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut web_jpeg, WEB_QUALITY)
        .encode_image(&web)
        .map_err(|_| PhotoRejection::Corrupt)?;
    Ok(ProcessedPhoto { format, width, height, web_jpeg, web_width, web_height })
}

fn rejection(e: image::ImageError) -> PhotoRejection {
    match e {
        image::ImageError::Limits(_) => PhotoRejection::TooManyPixels,
        image::ImageError::Unsupported(_) => PhotoRejection::Unsupported,
        _ => PhotoRejection::Corrupt,
    }
}

/// Scales down (never up) to fit [`WEB_MAX_SIDE`] and flattens transparency onto white.
fn web_copy(img: DynamicImage) -> image::RgbImage {
    let (w, h) = (img.width(), img.height());
    let longest = w.max(h);
    let img = if longest <= WEB_MAX_SIDE {
        img
    } else if longest >= 2 * WEB_MAX_SIDE {
        // Area averaging: fast, no large intermediate buffer, no aliasing at these factors.
        img.thumbnail(WEB_MAX_SIDE, WEB_MAX_SIDE)
    } else {
        img.resize(WEB_MAX_SIDE, WEB_MAX_SIDE, FilterType::Triangle)
    };
    if !img.color().has_alpha() {
        return img.into_rgb8();
    }
    let rgba = img.into_rgba8();
    let mut out = image::RgbImage::new(rgba.width(), rgba.height());
    for (dst, src) in out.pixels_mut().zip(rgba.pixels()) {
        let a = u16::from(src[3]);
        for (d, s) in dst.0.iter_mut().zip(src.0) {
            *d = ((u16::from(s) * a + 255 * (255 - a) + 127) / 255) as u8;
        }
    }
    out
}

/// Whether a JPEG stream runs from its start marker to its end marker: the segments are walked
/// by their lengths and the entropy-coded data scanned for the next marker. The decoder fills a
/// truncated image with grey instead of failing, so this is what catches a cut-off upload.
pub fn jpeg_is_complete(bytes: &[u8]) -> bool {
    if !bytes.starts_with(&[0xFF, 0xD8]) {
        return false;
    }
    let mut i = 2;
    let mut seen_scan = false;
    loop {
        // At a marker: 0xFF (possibly repeated as fill), then its code.
        if bytes.get(i) != Some(&0xFF) {
            return false;
        }
        while bytes.get(i) == Some(&0xFF) {
            i += 1;
        }
        let Some(&code) = bytes.get(i) else { return false };
        i += 1;
        match code {
            0xD9 => return seen_scan,
            0x01 | 0xD0..=0xD7 => continue,
            0x00 | 0xD8 => return false,
            _ => {}
        }
        let Some(len) = bytes.get(i..i + 2).map(|b| usize::from(u16::from_be_bytes([b[0], b[1]]))) else {
            return false;
        };
        if len < 2 || i + len > bytes.len() {
            return false;
        }
        i += len;
        if code == 0xDA {
            seen_scan = true;
            // Entropy-coded data: 0xFF 0x00 is a data byte, 0xFF 0xD0–D7 a restart marker;
            // any other 0xFF xx is the next marker.
            loop {
                let Some(at) = bytes.get(i..).and_then(|rest| rest.iter().position(|&b| b == 0xFF)) else {
                    return false;
                };
                i += at;
                match bytes.get(i + 1) {
                    None => return false,
                    Some(0x00 | 0xD0..=0xD7) => i += 2,
                    Some(_) => break,
                }
            }
        }
    }
}

/// Whether a PNG stream's chunks run, by their lengths, up to its `IEND` chunk.
pub fn png_is_complete(bytes: &[u8]) -> bool {
    const SIGNATURE: [u8; 8] = [0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A];
    if !bytes.starts_with(&SIGNATURE) {
        return false;
    }
    let mut i = SIGNATURE.len();
    while let Some(head) = bytes.get(i..i + 8) {
        let len = u32::from_be_bytes([head[0], head[1], head[2], head[3]]) as usize;
        let end = i.saturating_add(12).saturating_add(len);
        if end > bytes.len() {
            return false;
        }
        if &head[4..8] == b"IEND" {
            return true;
        }
        i = end;
    }
    false
}

/// Whether a WebP file holds all the bytes its RIFF header announces.
pub fn webp_is_complete(bytes: &[u8]) -> bool {
    match (bytes.get(0..4), bytes.get(4..8), bytes.get(8..12)) {
        (Some(b"RIFF"), Some(size), Some(b"WEBP")) => {
            let size = u32::from_le_bytes([size[0], size[1], size[2], size[3]]) as usize;
            bytes.len() >= size.saturating_add(8)
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::{ImageEncoder, Rgb, RgbImage, Rgba, RgbaImage};

    fn sample(w: u32, h: u32) -> RgbImage {
        RgbImage::from_fn(w, h, |x, y| Rgb([(x % 256) as u8, (y % 256) as u8, ((x * y) % 251) as u8]))
    }

    fn jpeg(w: u32, h: u32) -> Vec<u8> {
        let mut out = Vec::new();
        image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 90).encode_image(&sample(w, h)).expect("jpeg");
        out
    }

    fn png_rgba(w: u32, h: u32) -> Vec<u8> {
        let img = RgbaImage::from_fn(w, h, |x, _| Rgba([0, 0, 0, if x < w / 2 { 0 } else { 255 }]));
        let mut out = Vec::new();
        image::codecs::png::PngEncoder::new(&mut out)
            .write_image(img.as_raw(), w, h, image::ExtendedColorType::Rgba8)
            .expect("png");
        out
    }

    fn webp(w: u32, h: u32) -> Vec<u8> {
        let img = sample(w, h);
        let mut out = Vec::new();
        image::codecs::webp::WebPEncoder::new_lossless(&mut out)
            .write_image(img.as_raw(), w, h, image::ExtendedColorType::Rgb8)
            .expect("webp");
        out
    }

    #[test]
    fn accepts_the_three_formats_and_sizes_the_web_copy() {
        let p = process(&jpeg(3000, 2000)).expect("jpeg");
        assert_eq!((p.format, p.width, p.height), (PhotoFormat::Jpeg, 3000, 2000));
        assert_eq!((p.web_width, p.web_height), (1280, 853));
        let p = process(&webp(1500, 1400)).expect("webp");
        assert_eq!((p.format, p.web_width), (PhotoFormat::WebP, 1280));
        let small = process(&png_rgba(40, 30)).expect("png");
        assert_eq!((small.format, small.web_width, small.web_height), (PhotoFormat::Png, 40, 30), "never upscaled");
        let web = image::load_from_memory_with_format(&small.web_jpeg, ImageFormat::Jpeg).expect("web copy").to_rgb8();
        assert!(web.get_pixel(2, 2)[0] > 240, "transparent becomes white");
        assert!(web.get_pixel(38, 2)[0] < 15, "opaque black stays black");
    }

    #[test]
    fn refuses_what_is_not_a_whole_image() {
        assert_eq!(process(b"hello, I am a .jpg").unwrap_err(), PhotoRejection::Unsupported);
        assert_eq!(process(b"GIF89a\x01\x00\x01\x00").unwrap_err(), PhotoRejection::Unsupported);
        assert_eq!(process(&[]).unwrap_err(), PhotoRejection::Unsupported);
        for bytes in [jpeg(300, 200), png_rgba(300, 200), webp(300, 200)] {
            for cut in [bytes.len() / 2, bytes.len() - 3, 40] {
                assert!(process(&bytes[..cut]).is_err(), "truncated at {cut} of {}", bytes.len());
            }
        }
        let mut damaged = png_rgba(64, 64);
        let mid = damaged.len() / 2;
        damaged[mid] ^= 0x5A; // the CRC of the chunk no longer matches
        assert_eq!(process(&damaged).unwrap_err(), PhotoRejection::Corrupt);
    }

    #[test]
    fn exif_orientation_is_applied() {
        // An APP1 Exif segment saying "rotate 90° clockwise" (orientation 6), after SOI.
        let mut tiff = b"Exif\0\0MM\0\x2a\0\0\0\x08\0\x01".to_vec();
        tiff.extend_from_slice(&[0x01, 0x12, 0x00, 0x03, 0, 0, 0, 1, 0x00, 0x06, 0, 0, 0, 0, 0, 0]);
        let mut app1 = vec![0xFF, 0xE1];
        app1.extend_from_slice(&u16::try_from(tiff.len() + 2).expect("len").to_be_bytes());
        app1.extend_from_slice(&tiff);
        let plain = jpeg(64, 32);
        let rotated: Vec<u8> = plain[..2].iter().chain(&app1).chain(&plain[2..]).copied().collect();
        let p = process(&rotated).expect("jpeg");
        assert_eq!((p.width, p.height, p.web_width, p.web_height), (32, 64, 32, 64));
        assert_eq!(process(&plain).expect("jpeg").width, 64, "no orientation: as stored");
    }

    #[test]
    fn png_and_webp_must_be_complete() {
        for (bytes, complete) in [
            (png_rgba(32, 16), png_is_complete as fn(&[u8]) -> bool),
            (webp(32, 16), webp_is_complete as fn(&[u8]) -> bool),
        ] {
            assert!(complete(&bytes));
            for cut in 0..bytes.len() {
                assert!(!complete(&bytes[..cut]), "cut at {cut}");
            }
        }
    }

    #[test]
    fn jpeg_end_marker_is_required_but_trailing_bytes_are_fine() {
        let whole = jpeg(64, 48);
        assert!(jpeg_is_complete(&whole));
        let mut trailing = whole.clone();
        trailing.extend_from_slice(b"camera maker notes");
        assert!(jpeg_is_complete(&trailing));
        for cut in 0..whole.len() {
            assert!(!jpeg_is_complete(&whole[..cut]), "cut at {cut}");
        }
    }

    #[test]
    fn refuses_decompression_bombs() {
        // A valid PNG header claiming 20000 × 20000 pixels.
        let img = image::GrayImage::new(1, 1);
        let mut out = Vec::new();
        image::codecs::png::PngEncoder::new(&mut out)
            .write_image(img.as_raw(), 1, 1, image::ExtendedColorType::L8)
            .expect("png");
        // IHDR: width and height are bytes 16..24, its CRC (over type and data) bytes 29..33.
        out[16..20].copy_from_slice(&20_000u32.to_be_bytes());
        out[20..24].copy_from_slice(&20_000u32.to_be_bytes());
        let crc = crc32(&out[12..29]);
        out[29..33].copy_from_slice(&crc.to_be_bytes());
        assert_eq!(process(&out).unwrap_err(), PhotoRejection::TooManyPixels);
    }

    fn crc32(data: &[u8]) -> u32 {
        let mut crc = !0u32;
        for &b in data {
            crc ^= u32::from(b);
            for _ in 0..8 {
                crc = if crc & 1 == 1 { (crc >> 1) ^ 0xEDB8_8320 } else { crc >> 1 };
            }
        }
        !crc
    }
}
