//! Platform format presets (REQ-005) and their safe zones.
//!
//! Each preset's size and safe zone come from the platform's own creative guidance as published
//! in 2025–2026; the `source` of every preset says which. Safe zones are what platform UI (profile
//! bars, captions, action buttons, timestamps) covers; the generator and magic resize keep
//! headlines, logos and calls to action out of them. Numbers are pixels at the preset's size and
//! scale with the canvas when a design is exported larger or smaller.

use serde::{Deserialize, Serialize};

use crate::error::ValidationError;

/// Smallest custom canvas side in pixels.
pub const MIN_SIDE: u32 = 16;
/// Largest canvas side in pixels (exports go to 8192 on the long side).
pub const MAX_SIDE: u32 = 8192;

/// The canvas of a design: which platform and placement it targets, and its size in pixels.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Format {
    /// Platform key, e.g. `instagram`, or `custom`.
    pub platform: String,
    /// Placement on that platform, e.g. `story`, or `custom`.
    pub kind: String,
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
}

impl Format {
    /// A custom canvas; both sides must lie in 16..=8192.
    pub fn custom(width: u32, height: u32) -> Result<Self, ValidationError> {
        let format = Self { platform: "custom".into(), kind: "custom".into(), width, height };
        format.validate()?;
        Ok(format)
    }

    /// Checks the size and the key lengths.
    pub fn validate(&self) -> Result<(), ValidationError> {
        for (field, value) in [("format width", self.width), ("format height", self.height)] {
            if !(MIN_SIDE..=MAX_SIDE).contains(&value) {
                return Err(ValidationError::OutOfRange {
                    field: field.into(),
                    value: f64::from(value),
                    min: f64::from(MIN_SIDE),
                    max: f64::from(MAX_SIDE),
                });
            }
        }
        for (field, value) in [("format platform", &self.platform), ("format kind", &self.kind)] {
            if value.is_empty() || value.len() > 32 || !value.bytes().all(|b| b.is_ascii_lowercase() || b == b'_') {
                return Err(ValidationError::Invalid(format!(
                    "{field} {:?} must be 1 to 32 characters of a-z or '_'",
                    value.chars().take(40).collect::<String>()
                )));
            }
        }
        Ok(())
    }

    /// The preset this format matches, if any (platform and kind equal).
    pub fn preset(&self) -> Option<FormatPreset> {
        FormatPreset::ALL.iter().copied().find(|p| p.platform() == self.platform && p.kind() == self.kind)
    }

    /// The safe zone for this canvas: the preset's, scaled to this size, or none for custom sizes.
    pub fn safe_zone(&self) -> SafeZone {
        match self.preset() {
            Some(preset) => {
                let base = preset.format();
                preset.safe_zone().scaled(
                    f64::from(self.width) / f64::from(base.width),
                    f64::from(self.height) / f64::from(base.height),
                )
            }
            None => SafeZone::default(),
        }
    }
}

/// Axis-aligned rectangle in canvas pixels.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Rect {
    /// Left edge.
    pub x: f64,
    /// Top edge.
    pub y: f64,
    /// Width.
    pub w: f64,
    /// Height.
    pub h: f64,
}

impl Rect {
    /// A rectangle from its left, top, width and height.
    pub const fn new(x: f64, y: f64, w: f64, h: f64) -> Self {
        Self { x, y, w, h }
    }

    /// Right edge.
    pub fn right(&self) -> f64 {
        self.x + self.w
    }

    /// Bottom edge.
    pub fn bottom(&self) -> f64 {
        self.y + self.h
    }

    /// Whether `other` lies entirely inside `self`.
    pub fn contains_rect(&self, other: &Rect) -> bool {
        other.x >= self.x && other.y >= self.y && other.right() <= self.right() && other.bottom() <= self.bottom()
    }

    /// Whether the two rectangles share any area.
    pub fn intersects(&self, other: &Rect) -> bool {
        self.x < other.right() && other.x < self.right() && self.y < other.bottom() && other.y < self.bottom()
    }

    /// The smallest rectangle holding both.
    pub fn union(&self, other: &Rect) -> Rect {
        let x = self.x.min(other.x);
        let y = self.y.min(other.y);
        Rect::new(x, y, self.right().max(other.right()) - x, self.bottom().max(other.bottom()) - y)
    }
}

/// Distances from each canvas edge that platform UI may cover.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Insets {
    /// From the top edge.
    pub top: f64,
    /// From the right edge.
    pub right: f64,
    /// From the bottom edge.
    pub bottom: f64,
    /// From the left edge.
    pub left: f64,
}

/// Where important content may go on a canvas.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SafeZone {
    /// Margins kept free of text, logos and calls to action.
    pub insets: Insets,
    /// Extra regions covered by platform UI inside the insets (e.g. a video timestamp).
    pub overlays: Vec<Overlay>,
}

/// A named region of the canvas that platform UI covers.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Overlay {
    /// What covers it, e.g. `timestamp`.
    pub name: String,
    /// Where, in canvas pixels.
    pub rect: Rect,
}

impl SafeZone {
    /// The safe rectangle of a `width` × `height` canvas.
    pub fn safe_rect(&self, width: f64, height: f64) -> Rect {
        let i = &self.insets;
        Rect::new(i.left, i.top, (width - i.left - i.right).max(0.0), (height - i.top - i.bottom).max(0.0))
    }

    /// Whether `rect` stays inside the safe rectangle and clear of every overlay.
    pub fn allows(&self, width: f64, height: f64, rect: &Rect) -> bool {
        self.safe_rect(width, height).contains_rect(rect) && !self.overlays.iter().any(|o| o.rect.intersects(rect))
    }

    fn scaled(&self, sx: f64, sy: f64) -> SafeZone {
        let i = self.insets;
        SafeZone {
            insets: Insets { top: i.top * sy, right: i.right * sx, bottom: i.bottom * sy, left: i.left * sx },
            overlays: self
                .overlays
                .iter()
                .map(|o| Overlay {
                    name: o.name.clone(),
                    rect: Rect::new(o.rect.x * sx, o.rect.y * sy, o.rect.w * sx, o.rect.h * sy),
                })
                .collect(),
        }
    }
}

/// The platform formats a creator can pick (REQ-005), plus `Custom`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FormatPreset {
    /// Instagram feed post, 1:1.
    InstagramPost,
    /// Instagram story, 9:16.
    InstagramStory,
    /// Instagram reel cover/frame, 9:16.
    InstagramReel,
    /// Facebook feed post.
    FacebookPost,
    /// Facebook feed ad.
    FacebookAd,
    /// LinkedIn image post.
    LinkedinPost,
    /// LinkedIn article cover.
    LinkedinArticleCover,
    /// X (Twitter) in-stream image.
    XPost,
    /// TikTok full-screen, 9:16.
    Tiktok,
    /// YouTube thumbnail, 16:9.
    YoutubeThumbnail,
    /// Pinterest standard pin, 2:3.
    PinterestPin,
}

struct PresetData {
    platform: &'static str,
    kind: &'static str,
    label: &'static str,
    width: u32,
    height: u32,
    insets: Insets,
    overlays: &'static [(&'static str, Rect)],
    source: &'static str,
}

const YOUTUBE_OVERLAYS: &[(&str, Rect)] = &[("timestamp", Rect::new(1080.0, 640.0, 200.0, 80.0))];

const fn insets(top: f64, right: f64, bottom: f64, left: f64) -> Insets {
    Insets { top, right, bottom, left }
}

impl FormatPreset {
    /// Every preset, in the order the app lists them.
    pub const ALL: [FormatPreset; 11] = [
        FormatPreset::InstagramPost,
        FormatPreset::InstagramStory,
        FormatPreset::InstagramReel,
        FormatPreset::FacebookPost,
        FormatPreset::FacebookAd,
        FormatPreset::LinkedinPost,
        FormatPreset::LinkedinArticleCover,
        FormatPreset::XPost,
        FormatPreset::Tiktok,
        FormatPreset::YoutubeThumbnail,
        FormatPreset::PinterestPin,
    ];

    fn data(self) -> PresetData {
        match self {
            FormatPreset::InstagramPost => PresetData {
                platform: "instagram",
                kind: "post",
                label: "Instagram post (1:1)",
                width: 1080,
                height: 1080,
                // The profile grid shows posts cropped to 3:4 (1080 × 1440 scaled to the square's
                // width): nothing covers a square post, but keep a 5 % margin so nothing touches
                // the edge once rounded corners and grid gaps apply.
                insets: insets(54.0, 54.0, 54.0, 54.0),
                overlays: &[],
                source: "Instagram Help Centre, image sizes (1080 px wide); 5 % edge margin is our design rule",
            },
            FormatPreset::InstagramStory => PresetData {
                platform: "instagram",
                kind: "story",
                label: "Instagram story (9:16)",
                width: 1080,
                height: 1920,
                // Meta: keep about 14 % (250 px) at the top and bottom free of text and logos.
                insets: insets(250.0, 64.0, 250.0, 64.0),
                overlays: &[],
                source: "Meta Business Help Centre, Stories safe zones: 14 % (250 px) top and bottom",
            },
            FormatPreset::InstagramReel => PresetData {
                platform: "instagram",
                kind: "reel",
                label: "Instagram reel (9:16)",
                width: 1080,
                height: 1920,
                // Reels put the caption and audio bar at the bottom and the action column on the
                // right: Meta's Reels ads guidance leaves 14 % at the top, 35 % at the bottom and
                // 6 % on each side.
                insets: insets(270.0, 120.0, 670.0, 65.0),
                overlays: &[],
                source: "Meta Ads Guide, Reels safe zones: top 14 %, bottom 35 %, sides 6 %",
            },
            FormatPreset::FacebookPost => PresetData {
                platform: "facebook",
                kind: "post",
                label: "Facebook post (4:5)",
                width: 1080,
                height: 1350,
                insets: insets(54.0, 54.0, 54.0, 54.0),
                overlays: &[],
                source: "Meta Ads Guide, Feed: 4:5 recommended, 1080 × 1350; 5 % edge margin is our design rule",
            },
            FormatPreset::FacebookAd => PresetData {
                platform: "facebook",
                kind: "ad",
                label: "Facebook ad (1:1)",
                width: 1080,
                height: 1080,
                insets: insets(54.0, 54.0, 54.0, 54.0),
                overlays: &[],
                source: "Meta Ads Guide, Feed image ads: 1:1, 1080 × 1080 minimum recommended",
            },
            FormatPreset::LinkedinPost => PresetData {
                platform: "linkedin",
                kind: "post",
                label: "LinkedIn post (1:1)",
                width: 1200,
                height: 1200,
                insets: insets(60.0, 60.0, 60.0, 60.0),
                overlays: &[],
                source: "LinkedIn Help, image sharing: 1200 × 1200 for square posts",
            },
            FormatPreset::LinkedinArticleCover => PresetData {
                platform: "linkedin",
                kind: "article_cover",
                label: "LinkedIn article cover (16:9)",
                width: 1920,
                height: 1080,
                // The article page crops the cover to roughly 1920 × 1000 in some layouts.
                insets: insets(80.0, 96.0, 80.0, 96.0),
                overlays: &[],
                source: "LinkedIn Help, article cover image: 1920 × 1080 recommended",
            },
            FormatPreset::XPost => PresetData {
                platform: "x",
                kind: "post",
                label: "X post (16:9)",
                width: 1600,
                height: 900,
                insets: insets(45.0, 80.0, 45.0, 80.0),
                overlays: &[],
                source: "X Help Centre, image in-stream: 16:9, 1600 × 900",
            },
            FormatPreset::Tiktok => PresetData {
                platform: "tiktok",
                kind: "video",
                label: "TikTok (9:16)",
                width: 1080,
                height: 1920,
                // TikTok's in-feed safe zone: the caption, sound and profile overlay the bottom
                // and the like/comment/share column the right side.
                insets: insets(130.0, 140.0, 484.0, 60.0),
                overlays: &[],
                source: "TikTok Ads Manager, in-feed safe zone (caption bottom, action column right)",
            },
            FormatPreset::YoutubeThumbnail => PresetData {
                platform: "youtube",
                kind: "thumbnail",
                label: "YouTube thumbnail (16:9)",
                width: 1280,
                height: 720,
                insets: insets(36.0, 64.0, 36.0, 64.0),
                // The video length badge sits in the bottom-right corner.
                overlays: YOUTUBE_OVERLAYS,
                source: "YouTube Help, custom thumbnails: 1280 × 720; duration badge bottom right",
            },
            FormatPreset::PinterestPin => PresetData {
                platform: "pinterest",
                kind: "pin",
                label: "Pinterest pin (2:3)",
                width: 1000,
                height: 1500,
                insets: insets(75.0, 50.0, 150.0, 50.0),
                overlays: &[],
                source: "Pinterest Business, product specs: standard pin 2:3, 1000 × 1500",
            },
        }
    }

    /// The preset's canvas.
    pub fn format(self) -> Format {
        let d = self.data();
        Format { platform: d.platform.into(), kind: d.kind.into(), width: d.width, height: d.height }
    }

    /// Platform key.
    pub fn platform(self) -> &'static str {
        self.data().platform
    }

    /// Placement key.
    pub fn kind(self) -> &'static str {
        self.data().kind
    }

    /// Human-readable name.
    pub fn label(self) -> &'static str {
        self.data().label
    }

    /// Where the size and safe zone come from.
    pub fn source(self) -> &'static str {
        self.data().source
    }

    /// The safe zone at the preset's own size.
    pub fn safe_zone(self) -> SafeZone {
        let d = self.data();
        SafeZone {
            insets: d.insets,
            overlays: d.overlays.iter().map(|(name, rect)| Overlay { name: (*name).into(), rect: *rect }).collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presets_are_valid_and_have_the_right_aspect() {
        for preset in FormatPreset::ALL {
            let f = preset.format();
            f.validate().unwrap_or_else(|e| panic!("{preset:?}: {e}"));
            assert_eq!(f.preset(), Some(preset));
            let zone = preset.safe_zone();
            let safe = zone.safe_rect(f64::from(f.width), f64::from(f.height));
            assert!(safe.w > f64::from(f.width) / 2.0 && safe.h > f64::from(f.height) / 3.0, "{preset:?}");
            assert!(!preset.source().is_empty());
        }
        let ratio = |p: FormatPreset| f64::from(p.format().width) / f64::from(p.format().height);
        assert!((ratio(FormatPreset::InstagramStory) - 9.0 / 16.0).abs() < 1e-9);
        assert!((ratio(FormatPreset::Tiktok) - 9.0 / 16.0).abs() < 1e-9);
        assert!((ratio(FormatPreset::YoutubeThumbnail) - 16.0 / 9.0).abs() < 1e-9);
        assert!((ratio(FormatPreset::PinterestPin) - 2.0 / 3.0).abs() < 1e-9);
        assert!((ratio(FormatPreset::InstagramPost) - 1.0).abs() < 1e-9);
    }

    #[test]
    fn custom_sizes_are_bounded() {
        assert!(Format::custom(16, 8192).is_ok());
        assert!(Format::custom(15, 100).is_err());
        assert!(Format::custom(100, 8193).is_err());
    }

    #[test]
    fn safe_zone_scales_with_the_canvas() {
        let mut f = FormatPreset::InstagramStory.format();
        f.width *= 2;
        f.height *= 2;
        assert_eq!(f.safe_zone().insets.top, 500.0);
        let yt = FormatPreset::YoutubeThumbnail;
        let zone = yt.safe_zone();
        assert!(!zone.allows(1280.0, 720.0, &Rect::new(1100.0, 600.0, 100.0, 60.0)), "timestamp corner");
        assert!(zone.allows(1280.0, 720.0, &Rect::new(100.0, 100.0, 300.0, 100.0)));
    }
}
