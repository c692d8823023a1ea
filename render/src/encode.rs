//! PNG, JPEG and WebP encoding. (Being written.)
