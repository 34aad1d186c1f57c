//! PNG encoding of the drawn RGB buffer, as small as the picture allows: an indexed image
//! (1, 2, 4 or 8 bits a pixel) when it has at most 256 colours, plain RGB otherwise.

use std::collections::HashMap;

use png::{BitDepth, ColorType, Compression, Encoder, Filter};

use crate::ChartError;

/// Encodes `rgb` (`width × height` pixels, 3 bytes each, rows top to bottom) as PNG.
pub(crate) fn png(rgb: &[u8], width: u32, height: u32) -> Result<Vec<u8>, ChartError> {
    debug_assert_eq!(rgb.len(), width as usize * height as usize * 3);
    let mut out = Vec::new();
    match palette_of(rgb) {
        Some((palette, indices)) => {
            let depth = match palette.len() / 3 {
                0..=2 => BitDepth::One,
                3..=4 => BitDepth::Two,
                5..=16 => BitDepth::Four,
                _ => BitDepth::Eight,
            };
            let packed = pack(&indices, width as usize, depth);
            let mut encoder = Encoder::new(&mut out, width, height);
            encoder.set_color(ColorType::Indexed);
            encoder.set_depth(depth);
            encoder.set_palette(palette);
            // Flat colours compress best unfiltered.
            encoder.set_filter(Filter::NoFilter);
            encoder.set_compression(Compression::High);
            write(encoder, &packed)?;
        }
        None => {
            let mut encoder = Encoder::new(&mut out, width, height);
            encoder.set_color(ColorType::Rgb);
            encoder.set_depth(BitDepth::Eight);
            encoder.set_filter(Filter::Adaptive);
            encoder.set_compression(Compression::High);
            write(encoder, rgb)?;
        }
    }
    Ok(out)
}

fn write<W: std::io::Write>(encoder: Encoder<'_, W>, data: &[u8]) -> Result<(), ChartError> {
    let encode = |e: png::EncodingError| ChartError::Encode(e.to_string());
    let mut writer = encoder.write_header().map_err(encode)?;
    writer.write_image_data(data).map_err(encode)?;
    writer.finish().map_err(encode)
}

/// The image's colours (as a PNG `PLTE`: 3 bytes each, in order of first use) and each
/// pixel's index into them, or `None` past 256 colours.
fn palette_of(rgb: &[u8]) -> Option<(Vec<u8>, Vec<u8>)> {
    let mut index_of: HashMap<[u8; 3], u8> = HashMap::new();
    let mut palette = Vec::new();
    let mut indices = Vec::with_capacity(rgb.len() / 3);
    for pixel in rgb.chunks_exact(3) {
        let colour = [pixel[0], pixel[1], pixel[2]];
        let index = match index_of.get(&colour) {
            Some(&index) => index,
            None => {
                let index = u8::try_from(index_of.len()).ok()?;
                index_of.insert(colour, index);
                palette.extend_from_slice(&colour);
                index
            }
        };
        indices.push(index);
    }
    Some((palette, indices))
}

/// Packs one index a byte into PNG scanlines of `depth` bits a pixel (each row starting on
/// a byte boundary, most significant bits first).
fn pack(indices: &[u8], width: usize, depth: BitDepth) -> Vec<u8> {
    let bits = match depth {
        BitDepth::One => 1,
        BitDepth::Two => 2,
        BitDepth::Four => 4,
        _ => return indices.to_vec(),
    };
    let per_byte = 8 / bits;
    let row_bytes = width.div_ceil(per_byte);
    let mut out = Vec::with_capacity(row_bytes * indices.len() / width.max(1));
    for row in indices.chunks(width.max(1)) {
        for group in row.chunks(per_byte) {
            let mut byte = 0u8;
            for (i, &index) in group.iter().enumerate() {
                byte |= index << (8 - bits * (i + 1));
            }
            out.push(byte);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packs_rows_on_byte_boundaries() {
        // 3 pixels a row at 2 bits: one byte a row, padded with zero bits.
        let packed = pack(&[1, 2, 3, 3, 2, 1], 3, BitDepth::Two);
        assert_eq!(packed, vec![0b0110_1100, 0b1110_0100]);
    }

    #[test]
    fn more_than_256_colours_is_rgb() {
        let rgb: Vec<u8> = (0..300u32)
            .flat_map(|i| [(i % 256) as u8, (i / 256) as u8, 0])
            .collect();
        assert!(palette_of(&rgb).is_none());
        let png = png(&rgb, 300, 1).unwrap();
        assert_eq!(&png[1..4], b"PNG");
    }
}
