//! Perceptual hashes and salient crops of raster images.
//!
//! - [`phash`]: the DCT perceptual hash. Luminance (straight alpha composited on white) is
//!   box-downsampled to 32×32, transformed with a 2-D DCT-II, and the 63 low-frequency
//!   coefficients of the top-left 8×8 block other than DC are compared with their median: bit
//!   `v * 8 + u` is set when coefficient `(u, v)` is above it (bit 0, the DC position, is
//!   always clear). Near-duplicates (rescaled, recompressed) differ in a few bits.
//! - [`dhash`]: the 9×8 gradient hash: bit `y * 8 + x` is set when cell `(x, y)` is brighter
//!   than its right neighbour.
//! - [`hamming`]: the number of differing bits.
//! - [`saliency`]: where the eye goes. On a downsample of at most 64 px per side, each cell
//!   scores its colour distance from the image's mean colour (frequency-tuned saliency),
//!   plus its local contrast against a blurred surround, plus a colourfulness term, in an
//!   opponent colour space; the image-wide mean score is subtracted (flat backgrounds score
//!   zero) and a mild centre bias is applied. The region is grown greedily from the
//!   centroid's cell until it holds [`SALIENT_MASS`] of the total.
//! - [`salient_crop`]: the largest crop of a given aspect ratio, placed to keep the salient
//!   region (or, when it cannot fit, as much of it as possible centred on the centroid).
//!
//! None of these panic, whatever the image: 1×1, 1×4000, fully transparent, or a
//! hand-built [`RasterImage`] whose pixel buffer is too short (treated as blank white).

use std::sync::OnceLock;

use editor_core::Crop;
use render::scene::RasterImage;

/// Side of the grid [`phash`] transforms.
const DCT_SIDE: usize = 32;
/// Side of the low-frequency block [`phash`] keeps.
const HASH_SIDE: usize = 8;
/// Longest side of the map [`saliency`] works on.
const SALIENCY_SIDE: usize = 64;
/// Share of the saliency mass [`Saliency::region`] holds.
pub const SALIENT_MASS: f64 = 0.6;

/// A downsampled image: row-major cells of composited RGB (0..=255, alpha on white).
struct Grid {
    rgb: Vec<[f64; 3]>,
}

impl Grid {
    fn luma(&self) -> Vec<f64> {
        self.rgb.iter().map(|&[r, g, b]| 0.299 * r + 0.587 * g + 0.114 * b).collect()
    }
}

/// Source index ranges for `out` box-filter cells over `n` pixels (each non-empty; they
/// repeat pixels when `n < out`).
fn ranges(n: usize, out: usize) -> Vec<(usize, usize)> {
    (0..out)
        .map(|i| {
            let s = (i * n / out).min(n.saturating_sub(1));
            let e = ((i + 1) * n / out).max(s + 1).min(n);
            (s, e)
        })
        .collect()
}

/// The image's pixel buffer and size when they are consistent.
fn pixels(image: &RasterImage) -> Option<(&[u8], usize, usize)> {
    let w = usize::try_from(image.width).ok()?;
    let h = usize::try_from(image.height).ok()?;
    let len = w.checked_mul(h)?.checked_mul(4)?;
    if w == 0 || h == 0 {
        return None;
    }
    Some((image.pixels.get(..len)?, w, h))
}

/// Box-downsamples to `ow × oh` composited-on-white RGB. An unusable image reads as white.
fn downsample(image: &RasterImage, ow: usize, oh: usize) -> Grid {
    let (ow, oh) = (ow.max(1), oh.max(1));
    let mut rgb = vec![[255.0; 3]; ow * oh];
    let Some((px, w, h)) = pixels(image) else { return Grid { rgb } };
    let cols = ranges(w, ow);
    let rows = ranges(h, oh);
    let mut bins = vec![[0.0f64; 3]; ow];
    for (j, &(y0, y1)) in rows.iter().enumerate() {
        bins.iter_mut().for_each(|b| *b = [0.0; 3]);
        for y in y0..y1 {
            let row = &px[y * w * 4..(y + 1) * w * 4];
            for (bin, &(x0, x1)) in bins.iter_mut().zip(&cols) {
                for p in row[x0 * 4..x1 * 4].chunks_exact(4) {
                    let a = f64::from(p[3]) / 255.0;
                    let white = 255.0 * (1.0 - a);
                    bin[0] += f64::from(p[0]) * a + white;
                    bin[1] += f64::from(p[1]) * a + white;
                    bin[2] += f64::from(p[2]) * a + white;
                }
            }
        }
        for (i, (bin, &(x0, x1))) in bins.iter().zip(&cols).enumerate() {
            let n = ((x1 - x0) * (y1 - y0)) as f64;
            rgb[j * ow + i] = [bin[0] / n, bin[1] / n, bin[2] / n];
        }
    }
    Grid { rgb }
}

/// `cos((2x + 1) u π / 64)` for `u < 8`, `x < 32`: the DCT-II basis [`phash`] needs.
fn dct_table() -> &'static [[f64; DCT_SIDE]; HASH_SIDE] {
    static TABLE: OnceLock<[[f64; DCT_SIDE]; HASH_SIDE]> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut t = [[0.0; DCT_SIDE]; HASH_SIDE];
        for (u, row) in t.iter_mut().enumerate() {
            for (x, c) in row.iter_mut().enumerate() {
                *c = ((2 * x + 1) as f64 * u as f64 * std::f64::consts::PI / (2 * DCT_SIDE) as f64).cos();
            }
        }
        t
    })
}

/// The 64-bit DCT perceptual hash (see the module docs). Compare with [`hamming`]: ≤ 6 or so
/// is the same picture.
pub fn phash(image: &RasterImage) -> u64 {
    let luma = downsample(image, DCT_SIDE, DCT_SIDE).luma();
    let table = dct_table();
    // Rows first: tmp[y][u] = Σx f(x, y) C(u, x).
    let mut tmp = [[0.0f64; HASH_SIDE]; DCT_SIDE];
    for (y, out) in tmp.iter_mut().enumerate() {
        let row = &luma[y * DCT_SIDE..(y + 1) * DCT_SIDE];
        for (u, o) in out.iter_mut().enumerate() {
            *o = row.iter().zip(&table[u]).map(|(f, c)| f * c).sum();
        }
    }
    // Then columns: coef[v][u] = Σy tmp[y][u] C(v, y).
    let mut coef = [0.0f64; HASH_SIDE * HASH_SIDE];
    for v in 0..HASH_SIDE {
        for u in 0..HASH_SIDE {
            coef[v * HASH_SIDE + u] = tmp.iter().zip(&table[v]).map(|(t, c)| t[u] * c).sum();
        }
    }
    // Snap rounding noise to zero so flat or symmetric images hash the same everywhere.
    let peak = coef[1..].iter().fold(0.0f64, |m, c| m.max(c.abs()));
    let eps = (peak * 1e-9).max(1e-9);
    for c in &mut coef {
        if c.abs() < eps {
            *c = 0.0;
        }
    }
    let mut ac: Vec<f64> = coef[1..].to_vec();
    ac.sort_by(f64::total_cmp);
    let median = ac[ac.len() / 2];
    coef.iter().enumerate().skip(1).filter(|(_, c)| **c > median).fold(0u64, |h, (i, _)| h | (1u64 << i))
}

/// The 64-bit difference hash: 9×8 luminance cells, bit `y * 8 + x` set when cell `(x, y)` is
/// brighter than cell `(x + 1, y)`.
pub fn dhash(image: &RasterImage) -> u64 {
    let luma = downsample(image, HASH_SIDE + 1, HASH_SIDE).luma();
    let mut hash = 0u64;
    for y in 0..HASH_SIDE {
        for x in 0..HASH_SIDE {
            let i = y * (HASH_SIDE + 1) + x;
            if luma[i] > luma[i + 1] + 1e-9 {
                hash |= 1u64 << (y * HASH_SIDE + x);
            }
        }
    }
    hash
}

/// Number of bits in which two hashes differ (0..=64).
pub fn hamming(a: u64, b: u64) -> u32 {
    (a ^ b).count_ones()
}

/// Where the eye goes in an image, in fractions of its width and height.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Saliency {
    /// Saliency-weighted centroid, x (0..1).
    pub cx: f64,
    /// Saliency-weighted centroid, y (0..1).
    pub cy: f64,
    /// `(x, y, w, h)`: the box around the centroid holding about [`SALIENT_MASS`] of the
    /// saliency; inside 0..1.
    pub region: (f64, f64, f64, f64),
}

/// Size of the saliency map for a `w × h` image: the longest side at most 64, the aspect kept.
fn map_size(image: &RasterImage) -> (usize, usize) {
    let (w, h) = (f64::from(image.width.max(1)), f64::from(image.height.max(1)));
    let scale = (SALIENCY_SIDE as f64 / w.max(h)).min(1.0);
    let side = |v: f64| ((v * scale).round() as usize).clamp(1, SALIENCY_SIDE);
    (side(w), side(h))
}

/// Box blur of a `w × h` map with radius `r` (edges clamped), separable.
fn box_blur(map: &[[f64; 3]], w: usize, h: usize, r: usize) -> Vec<[f64; 3]> {
    let pass = |src: &[[f64; 3]], horizontal: bool| -> Vec<[f64; 3]> {
        let mut out = vec![[0.0; 3]; w * h];
        for y in 0..h {
            for x in 0..w {
                let (pos, len) = if horizontal { (x, w) } else { (y, h) };
                let (lo, hi) = (pos.saturating_sub(r), (pos + r).min(len - 1));
                let mut acc = [0.0; 3];
                for k in lo..=hi {
                    let p = if horizontal { src[y * w + k] } else { src[k * w + x] };
                    acc.iter_mut().zip(p).for_each(|(a, v)| *a += v);
                }
                let n = (hi - lo + 1) as f64;
                out[y * w + x] = acc.map(|a| a / n);
            }
        }
        out
    };
    let tmp = pass(map, true);
    pass(&tmp, false)
}

fn distance(a: [f64; 3], b: [f64; 3]) -> f64 {
    a.iter().zip(b).map(|(x, y)| (x - y) * (x - y)).sum::<f64>().sqrt()
}

/// The saliency map (non-negative, row-major `w × h`).
fn saliency_map(image: &RasterImage) -> (Vec<f64>, usize, usize) {
    let (w, h) = map_size(image);
    let grid = downsample(image, w, h);
    // Opponent colour space: luminance, red–green, yellow–blue.
    let opp: Vec<[f64; 3]> =
        grid.rgb.iter().map(|&[r, g, b]| [0.299 * r + 0.587 * g + 0.114 * b, r - g, 0.5 * (r + g) - b]).collect();
    let n = opp.len() as f64;
    let mut mean = [0.0; 3];
    for p in &opp {
        mean.iter_mut().zip(p).for_each(|(m, v)| *m += v / n);
    }
    let fine = box_blur(&opp, w, h, 1);
    let surround = box_blur(&opp, w, h, (w.max(h) / 8).max(2));
    let mut map: Vec<f64> = (0..w * h)
        .map(|i| {
            let global = distance(fine[i], mean);
            let local = distance(fine[i], surround[i]);
            let colourful = (fine[i][1] * fine[i][1] + fine[i][2] * fine[i][2]).sqrt();
            global + 0.5 * local + 0.25 * colourful
        })
        .collect();
    let avg = map.iter().sum::<f64>() / n;
    for (i, s) in map.iter_mut().enumerate() {
        let (x, y) = (i % w, i / w);
        let dx = (x as f64 + 0.5) / w as f64 - 0.5;
        let dy = (y as f64 + 0.5) / h as f64 - 0.5;
        let bias = 0.75 + 0.25 * (-(dx * dx + dy * dy) / (2.0 * 0.3 * 0.3)).exp();
        *s = if s.is_finite() { (*s - avg).max(0.0) * bias } else { 0.0 };
    }
    let total: f64 = map.iter().sum();
    if total <= 1e-9 * n {
        // Nothing stands out: the centre-bias alone.
        for (i, s) in map.iter_mut().enumerate() {
            let (x, y) = (i % w, i / w);
            let dx = (x as f64 + 0.5) / w as f64 - 0.5;
            let dy = (y as f64 + 0.5) / h as f64 - 0.5;
            *s = (-(dx * dx + dy * dy) / (2.0 * 0.3 * 0.3)).exp();
        }
    }
    (map, w, h)
}

/// Where the eye goes: the saliency-weighted centroid and the box around it holding about
/// [`SALIENT_MASS`] of the saliency (see the module docs).
pub fn saliency(image: &RasterImage) -> Saliency {
    let (map, w, h) = saliency_map(image);
    let total: f64 = map.iter().sum();
    let (mut sx, mut sy) = (0.0, 0.0);
    for (i, s) in map.iter().enumerate() {
        sx += s * ((i % w) as f64 + 0.5);
        sy += s * ((i / w) as f64 + 0.5);
    }
    let (cx, cy) = if total > 0.0 { (sx / total / w as f64, sy / total / h as f64) } else { (0.5, 0.5) };

    // Summed-area table for box masses.
    let mut sat = vec![0.0f64; (w + 1) * (h + 1)];
    for y in 0..h {
        for x in 0..w {
            sat[(y + 1) * (w + 1) + x + 1] =
                map[y * w + x] + sat[y * (w + 1) + x + 1] + sat[(y + 1) * (w + 1) + x] - sat[y * (w + 1) + x];
        }
    }
    let mass = |x0: usize, y0: usize, x1: usize, y1: usize| {
        sat[y1 * (w + 1) + x1] - sat[y0 * (w + 1) + x1] - sat[y1 * (w + 1) + x0] + sat[y0 * (w + 1) + x0]
    };
    let px = ((cx * w as f64) as usize).min(w - 1);
    let py = ((cy * h as f64) as usize).min(h - 1);
    let (mut x0, mut y0, mut x1, mut y1) = (px, py, px + 1, py + 1);
    let goal = SALIENT_MASS * total;
    while mass(x0, y0, x1, y1) < goal && (x0 > 0 || y0 > 0 || x1 < w || y1 < h) {
        // Candidate growths: (gain per cell, how far the centroid would sit off-centre, side).
        let mut best: Option<(f64, f64, u8)> = None;
        let mut consider = |gain: f64, cells: usize, nx0: usize, ny0: usize, nx1: usize, ny1: usize, side: u8| {
            let density = gain / cells.max(1) as f64;
            let off =
                ((nx0 + nx1) as f64 / 2.0 / w as f64 - cx).abs() + ((ny0 + ny1) as f64 / 2.0 / h as f64 - cy).abs();
            let better = match best {
                None => true,
                Some((d, o, _)) => density > d + 1e-12 || ((density - d).abs() <= 1e-12 && off < o - 1e-12),
            };
            if better {
                best = Some((density, off, side));
            }
        };
        if x0 > 0 {
            consider(mass(x0 - 1, y0, x0, y1), y1 - y0, x0 - 1, y0, x1, y1, 0);
        }
        if x1 < w {
            consider(mass(x1, y0, x1 + 1, y1), y1 - y0, x0, y0, x1 + 1, y1, 1);
        }
        if y0 > 0 {
            consider(mass(x0, y0 - 1, x1, y0), x1 - x0, x0, y0 - 1, x1, y1, 2);
        }
        if y1 < h {
            consider(mass(x0, y1, x1, y1 + 1), x1 - x0, x0, y0, x1, y1 + 1, 3);
        }
        match best.map(|b| b.2) {
            Some(0) => x0 -= 1,
            Some(1) => x1 += 1,
            Some(2) => y0 -= 1,
            Some(3) => y1 += 1,
            _ => break,
        }
    }
    let (wf, hf) = (w as f64, h as f64);
    Saliency {
        cx: cx.clamp(0.0, 1.0),
        cy: cy.clamp(0.0, 1.0),
        region: (x0 as f64 / wf, y0 as f64 / hf, (x1 - x0) as f64 / wf, (y1 - y0) as f64 / hf),
    }
}

/// Start of a window of length `len` (fractions) on 0..1 that keeps `[r0, r0 + rlen]` when it
/// fits, and is otherwise centred on `c` inside it.
fn place(len: f64, r0: f64, rlen: f64, c: f64) -> f64 {
    let max_start = (1.0 - len).max(0.0);
    let centred = c - len / 2.0;
    let start = if rlen <= len {
        // Any start in [r0 + rlen − len, r0] keeps the region; the one nearest the centred one.
        centred.clamp((r0 + rlen - len).min(r0), r0)
    } else {
        centred.clamp(r0, (r0 + rlen - len).max(r0))
    };
    if start.is_finite() { start.clamp(0.0, max_start) } else { max_start / 2.0 }
}

/// The largest crop of `box_aspect` (width / height in pixels of the layer box; NaN, infinite
/// or non-positive reads as 1, and it is clamped to 1e-6..=1e6) that keeps the image's
/// salient region, or as much of it as fits centred on the saliency centroid. Fractions
/// of the image, inside 0..1.
pub fn salient_crop(image: &RasterImage, box_aspect: f64) -> Crop {
    let aspect = if box_aspect.is_finite() && box_aspect > 0.0 { box_aspect.clamp(1e-6, 1e6) } else { 1.0 };
    let (iw, ih) = (f64::from(image.width.max(1)), f64::from(image.height.max(1)));
    let (w, h) = if iw / ih > aspect { (aspect * ih / iw, 1.0) } else { (1.0, iw / aspect / ih) };
    let (w, h) = (w.clamp(f64::MIN_POSITIVE, 1.0), h.clamp(f64::MIN_POSITIVE, 1.0));
    if w >= 1.0 && h >= 1.0 {
        return Crop { x: 0.0, y: 0.0, w: 1.0, h: 1.0 };
    }
    let s = saliency(image);
    let (rx, ry, rw, rh) = s.region;
    let x = if w < 1.0 { place(w, rx, rw, s.cx) } else { 0.0 };
    let y = if h < 1.0 { place(h, ry, rh, s.cy) } else { 0.0 };
    Crop { x, y, w, h }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn image(w: u32, h: u32, f: impl Fn(u32, u32) -> [u8; 4]) -> RasterImage {
        let mut px = Vec::with_capacity((w * h * 4) as usize);
        for y in 0..h {
            for x in 0..w {
                px.extend_from_slice(&f(x, y));
            }
        }
        RasterImage::new(w, h, px).unwrap()
    }

    /// A busy, photo-like picture: smooth waves, two discs, a bar.
    fn scene(w: u32, h: u32) -> RasterImage {
        image(w, h, |x, y| {
            let (u, v) = (f64::from(x) / f64::from(w), f64::from(y) / f64::from(h));
            let mut r = 120.0 + 80.0 * (u * 7.0).sin() * (v * 3.0).cos();
            let mut g = 100.0 + 90.0 * (u * 2.0 + v * 5.0).sin();
            let mut b = 140.0 + 70.0 * (v * 9.0 - u * 4.0).cos();
            if (u - 0.3).powi(2) + (v - 0.4).powi(2) < 0.02 {
                (r, g, b) = (240.0, 220.0, 30.0);
            }
            if (u - 0.75).powi(2) + (v - 0.7).powi(2) < 0.01 {
                (r, g, b) = (20.0, 30.0, 60.0);
            }
            if v > 0.85 && u < 0.6 {
                (r, g, b) = (250.0, 250.0, 250.0);
            }
            [r.clamp(0.0, 255.0) as u8, g.clamp(0.0, 255.0) as u8, b.clamp(0.0, 255.0) as u8, 255]
        })
    }

    /// Nearest-neighbour resize.
    fn resize(src: &RasterImage, w: u32, h: u32) -> RasterImage {
        image(w, h, |x, y| {
            let sx = (u64::from(x) * u64::from(src.width) / u64::from(w)) as usize;
            let sy = (u64::from(y) * u64::from(src.height) / u64::from(h)) as usize;
            let i = (sy * src.width as usize + sx) * 4;
            [src.pixels[i], src.pixels[i + 1], src.pixels[i + 2], src.pixels[i + 3]]
        })
    }

    fn noise(w: u32, h: u32, seed: u64) -> RasterImage {
        let mut state = seed;
        let mut cells = Vec::new();
        for _ in 0..64 {
            state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            cells.push((state >> 56) as u8);
        }
        // 8×8 random blocks: structure at the scale the hash sees.
        image(w, h, |x, y| {
            let v = cells[((y * 8 / h) * 8 + x * 8 / w) as usize];
            [v, v, v, 255]
        })
    }

    #[test]
    fn hashes_are_stable_for_the_same_and_a_rescaled_image() {
        let a = scene(400, 300);
        assert_eq!(phash(&a), phash(&scene(400, 300)));
        assert_eq!(dhash(&a), dhash(&scene(400, 300)));
        for (w, h) in [(380, 285), (200, 150), (640, 480), (397, 301)] {
            let b = resize(&a, w, h);
            assert!(hamming(phash(&a), phash(&b)) <= 6, "phash {w}x{h}: {}", hamming(phash(&a), phash(&b)));
            assert!(hamming(dhash(&a), dhash(&b)) <= 6, "dhash {w}x{h}: {}", hamming(dhash(&a), dhash(&b)));
        }
    }

    #[test]
    fn hashes_differ_for_different_images() {
        let a = scene(400, 300);
        let inverted = image(400, 300, |x, y| {
            let i = ((y * 400 + x) * 4) as usize;
            [255 - a.pixels[i], 255 - a.pixels[i + 1], 255 - a.pixels[i + 2], 255]
        });
        assert!(hamming(phash(&a), phash(&inverted)) >= 40, "{}", hamming(phash(&a), phash(&inverted)));
        for seed in 1..6u64 {
            let (p, q) = (noise(256, 256, seed), noise(256, 256, seed + 100));
            assert!(hamming(phash(&p), phash(&q)) >= 20, "seed {seed}: {}", hamming(phash(&p), phash(&q)));
            assert!(hamming(phash(&a), phash(&p)) >= 20, "seed {seed}: {}", hamming(phash(&a), phash(&p)));
        }
        // Half-black pictures differ only in the few pure horizontal / vertical frequencies,
        // so fewer bits flip, but they must not collide.
        let left = image(256, 256, |x, _| if x < 128 { [0, 0, 0, 255] } else { [255; 4] });
        let top = image(256, 256, |_, y| if y < 128 { [0, 0, 0, 255] } else { [255; 4] });
        assert!(hamming(phash(&left), phash(&top)) >= 4, "{}", hamming(phash(&left), phash(&top)));
        // dhash only sees left-to-right falls in brightness.
        let right = image(256, 256, |x, _| if x >= 128 { [0, 0, 0, 255] } else { [255; 4] });
        assert!(hamming(dhash(&right), dhash(&top)) >= 8, "{}", hamming(dhash(&right), dhash(&top)));
    }

    #[test]
    fn transparent_pixels_hash_as_white() {
        let clear = image(50, 50, |_, _| [0, 0, 0, 0]);
        let white = image(50, 50, |_, _| [255; 4]);
        assert_eq!(phash(&clear), phash(&white));
        assert_eq!(dhash(&clear), dhash(&white));
        assert_eq!(hamming(0, u64::MAX), 64);
        assert_eq!(hamming(0b1011, 0b0001), 2);
    }

    /// Grey 1200×600 with a red disc (radius 100) centred at (1000, 300).
    fn red_disc() -> RasterImage {
        image(1200, 600, |x, y| {
            let (dx, dy) = (f64::from(x) - 1000.0, f64::from(y) - 300.0);
            if dx * dx + dy * dy < 100.0 * 100.0 { [220, 20, 30, 255] } else { [128, 128, 128, 255] }
        })
    }

    #[test]
    fn saliency_finds_the_red_disc() {
        let s = saliency(&red_disc());
        assert!((s.cx - 1000.0 / 1200.0).abs() < 0.08, "{s:?}");
        assert!((s.cy - 0.5).abs() < 0.1, "{s:?}");
        let (x, y, w, h) = s.region;
        assert!(x <= s.cx && s.cx <= x + w && y <= s.cy && s.cy <= y + h, "{s:?}");
        assert!(w < 0.4 && h < 0.6, "region too loose: {s:?}");
    }

    fn assert_valid(c: &Crop, img: &RasterImage, aspect: f64) {
        for v in [c.x, c.y, c.w, c.h] {
            assert!(v.is_finite() && (0.0..=1.0).contains(&v), "{c:?}");
        }
        assert!(c.w > 0.0 && c.h > 0.0, "{c:?}");
        assert!(c.x + c.w <= 1.0 + 1e-9 && c.y + c.h <= 1.0 + 1e-9, "{c:?}");
        let got = c.w * f64::from(img.width) / (c.h * f64::from(img.height));
        assert!((got / aspect - 1.0).abs() < 0.01, "aspect {got} vs {aspect}: {c:?}");
        assert!(c.w >= 1.0 - 1e-9 || c.h >= 1.0 - 1e-9, "not the largest crop: {c:?}");
    }

    #[test]
    fn square_crop_keeps_the_red_disc() {
        let img = red_disc();
        let c = salient_crop(&img, 1.0);
        assert_valid(&c, &img, 1.0);
        let (x0, x1) = (c.x * 1200.0, (c.x + c.w) * 1200.0);
        assert!(x0 <= 900.0 && x1 >= 1100.0, "{c:?} ({x0}..{x1})");
        assert!((c.h - 1.0).abs() < 1e-9);
    }

    #[test]
    fn crops_have_the_asked_aspect() {
        let imgs = [red_disc(), scene(400, 300), scene(90, 700), image(1, 1, |_, _| [9, 9, 9, 255])];
        for img in &imgs {
            for aspect in [0.2, 0.5, 1.0, 4.0 / 3.0, 16.0 / 9.0, 3.0, 10.0] {
                assert_valid(&salient_crop(img, aspect), img, aspect);
            }
        }
        let wide = red_disc();
        let c = salient_crop(&wide, 2.0);
        assert_eq!(c, Crop { x: 0.0, y: 0.0, w: 1.0, h: 1.0 });
        // A tall crop of the wide image still keeps the disc's centre.
        let c = salient_crop(&wide, 0.25);
        assert!(c.x * 1200.0 <= 1000.0 && (c.x + c.w) * 1200.0 >= 1000.0, "{c:?}");
    }

    #[test]
    fn degenerate_inputs_do_not_panic() {
        let tiny = image(1, 1, |_, _| [255, 0, 0, 255]);
        let tall = image(1, 4000, |_, y| [(y % 256) as u8, 0, 0, 255]);
        let wide = image(4000, 1, |x, _| [0, (x % 256) as u8, 0, 255]);
        let clear = image(64, 48, |_, _| [0, 0, 0, 0]);
        let broken = RasterImage { width: 10, height: 10, pixels: vec![1, 2, 3], opaque: true };
        let zero = RasterImage { width: 0, height: 5, pixels: Vec::new(), opaque: true };
        let huge = RasterImage { width: u32::MAX, height: u32::MAX, pixels: Vec::new(), opaque: true };
        for img in [&tiny, &tall, &wide, &clear, &broken, &zero, &huge] {
            let _ = phash(img);
            let _ = dhash(img);
            let s = saliency(img);
            let (x, y, w, h) = s.region;
            for v in [s.cx, s.cy, x, y, w, h, x + w, y + h] {
                assert!(v.is_finite() && (0.0..=1.0 + 1e-9).contains(&v), "{s:?}");
            }
            for aspect in [f64::NAN, 0.0, -3.0, f64::INFINITY, f64::NEG_INFINITY, 1e-300, 1e300, 1.0, 4000.0] {
                let c = salient_crop(img, aspect);
                for v in [c.x, c.y, c.w, c.h] {
                    assert!(v.is_finite() && (0.0..=1.0).contains(&v), "{aspect}: {c:?}");
                }
                assert!(c.w > 0.0 && c.h > 0.0 && c.x + c.w <= 1.0 + 1e-9 && c.y + c.h <= 1.0 + 1e-9, "{c:?}");
            }
        }
        assert_eq!(salient_crop(&tiny, f64::NAN), Crop { x: 0.0, y: 0.0, w: 1.0, h: 1.0 });
        assert_valid(&salient_crop(&tall, 1.0), &tall, 1.0);
        assert_valid(&salient_crop(&wide, 1.0), &wide, 1.0);
        // Flat images: saliency at the centre.
        let s = saliency(&clear);
        assert!((s.cx - 0.5).abs() < 1e-9 && (s.cy - 0.5).abs() < 1e-9, "{s:?}");
    }
}
