//! CPU rasteriser. (Being written.)

/// Largest output side in pixels.
pub const MAX_SIDE: u32 = 8192;
