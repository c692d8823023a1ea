//! `Design` → [`Scene`]: layer geometry, paints, shapes, images (crop, fit, filters), SVG
//! layers, text and groups, in paint order.
//!
//! Every layer's box `x y w h` is in canvas space and turns by `rotation` degrees about its
//! centre; a group's rotation and opacity apply to its children (editor-core `design.rs`).

use std::collections::HashMap;

use editor_core::{Design, Fit, ImageContent, Layer, LayerContent, LayerId, Paint, Shape, ShapeContent};
use vello_cpu::kurbo::{Ellipse, RoundedRect, RoundedRectRadii, Shape as _};

use crate::assets::AssetSource;
use crate::export::RenderError;
use crate::fonts::FontLibrary;
use crate::images::ImageCache;
use crate::scene::{
    Affine, BezPath, Brush, Clip, Extend, FillRule, Item, Point, Rect, RenderWarning, Rgba, Scene, Stop, StrokeStyle,
};
use crate::text::TextEngine;

/// Flattening tolerance for curves turned into paths, in design pixels.
const TOLERANCE: f64 = 0.05;

/// Builds the scene of `design`.
pub fn compose(
    design: &Design,
    assets: &dyn AssetSource,
    fonts: &FontLibrary,
    text: &mut TextEngine,
    images: &ImageCache,
) -> Result<Scene, RenderError> {
    design.validate()?;
    let mut design = design.clone();
    // Layers built in code may have no z keys yet: list order is their paint order.
    design.assign_missing_z();
    design.normalize();
    let (w, h) = (f64::from(design.format.width), f64::from(design.format.height));
    let mut scene = Scene::new(w, h);
    scene.background = Some(brush_of(&design.background, w, h));

    let mut children: HashMap<Option<&LayerId>, Vec<&Layer>> = HashMap::new();
    for layer in &design.layers {
        children.entry(layer.parent.as_ref()).or_default().push(layer);
    }
    let mut cx = Composer { assets, fonts, text, images, children: &children, scene: &mut scene };
    cx.layers(None, Affine::IDENTITY)?;
    Ok(scene)
}

/// The transform from a layer's box space (`0,0..w,h`) to its parent's space.
pub fn layer_transform(layer: &Layer) -> Affine {
    let (w, h) = (layer.w, layer.h);
    Affine::translate((layer.x + w / 2.0, layer.y + h / 2.0))
        * Affine::rotate(layer.rotation.to_radians())
        * Affine::translate((-w / 2.0, -h / 2.0))
}

/// A rotation of a group's children about the group's centre.
fn group_transform(group: &Layer) -> Affine {
    let c = (group.x + group.w / 2.0, group.y + group.h / 2.0);
    Affine::translate(c) * Affine::rotate(group.rotation.to_radians()) * Affine::translate((-c.0, -c.1))
}

struct Composer<'a, 'b> {
    assets: &'a dyn AssetSource,
    fonts: &'a FontLibrary,
    text: &'a mut TextEngine,
    images: &'a ImageCache,
    children: &'a HashMap<Option<&'b LayerId>, Vec<&'b Layer>>,
    scene: &'a mut Scene,
}

impl Composer<'_, '_> {
    fn layers(&mut self, parent: Option<&LayerId>, parent_t: Affine) -> Result<(), RenderError> {
        let Some(list) = self.children.get(&parent) else { return Ok(()) };
        for layer in list.clone() {
            if layer.hidden || layer.opacity <= 0.0 {
                continue;
            }
            let grouped = layer.opacity < 1.0;
            if grouped {
                self.scene.items.push(Item::PushGroup { opacity: layer.opacity as f32, clip: None });
            }
            if let LayerContent::Group = layer.content {
                self.layers(Some(&layer.id), parent_t * group_transform(layer))?;
            } else {
                self.layer(layer, parent_t * layer_transform(layer))?;
            }
            if grouped {
                self.scene.items.push(Item::PopGroup);
            }
        }
        Ok(())
    }

    fn layer(&mut self, layer: &Layer, t: Affine) -> Result<(), RenderError> {
        let is_line = matches!(&layer.content, LayerContent::Shape(s) if s.shape == Shape::Line);
        let has_area = layer.w > 0.0 && layer.h > 0.0;
        if !has_area && !is_line {
            return Ok(());
        }
        match &layer.content {
            LayerContent::Shape(shape) => self.shape(layer, shape, t),
            LayerContent::Text(content) => {
                self.text.layout(
                    layer.id.as_str(),
                    content,
                    layer.w,
                    layer.h,
                    t,
                    &mut self.scene.items,
                    &mut self.scene.warnings,
                );
            }
            LayerContent::Image(image) => self.image(layer, image, t)?,
            LayerContent::Svg(svg) => self.svg(layer, &svg.asset, t),
            LayerContent::Group => {}
        }
        Ok(())
    }

    fn shape(&mut self, layer: &Layer, content: &ShapeContent, t: Affine) {
        let (w, h) = (layer.w, layer.h);
        let (path, closed) = match shape_path(&content.shape, w, h) {
            Ok(p) => p,
            Err(reason) => {
                self.scene.warnings.push(RenderWarning::BadAsset { layer: layer.id.to_string(), reason });
                return;
            }
        };
        if closed && let Some(fill) = &content.fill {
            self.scene.items.push(Item::Fill {
                path: path.clone(),
                transform: t,
                brush: brush_of(fill, w, h),
                rule: FillRule::NonZero,
            });
        }
        if let Some(stroke) = &content.stroke
            && stroke.width > 0.0
        {
            let mut style = StrokeStyle::new(stroke.width);
            if !stroke.dash.is_empty() && stroke.dash.iter().any(|d| *d > 0.0) {
                style = style.with_dashes(0.0, stroke.dash.iter().copied());
            }
            self.scene.items.push(Item::Stroke { path, transform: t, brush: brush_of(&stroke.paint, w, h), style });
        }
    }

    fn placeholder(&mut self, layer: &Layer, t: Affine) {
        let (w, h) = (layer.w, layer.h);
        self.scene.items.push(Item::Fill {
            path: Rect::new(0.0, 0.0, w, h).to_path(TOLERANCE),
            transform: t,
            brush: Brush::Solid(Rgba::new(0xe5, 0xe7, 0xeb, 255)),
            rule: FillRule::NonZero,
        });
        let mut cross = BezPath::new();
        cross.move_to((0.0, 0.0));
        cross.line_to((w, h));
        cross.move_to((w, 0.0));
        cross.line_to((0.0, h));
        self.scene.items.push(Item::Stroke {
            path: cross,
            transform: t,
            brush: Brush::Solid(Rgba::new(0x9c, 0xa3, 0xaf, 255)),
            style: StrokeStyle::new((w.min(h) / 100.0).clamp(1.0, 8.0)),
        });
    }

    fn image(&mut self, layer: &Layer, content: &ImageContent, t: Affine) -> Result<(), RenderError> {
        let image = match self.images.image(self.assets, &content.asset)? {
            Ok(image) => image,
            Err(warning) => {
                self.scene.warnings.push(warning.for_layer(layer.id.as_str(), content.asset.as_str()));
                self.placeholder(layer, t);
                return Ok(());
            }
        };
        let (iw, ih) = (f64::from(image.width), f64::from(image.height));
        let crop = content.crop.map_or(Rect::new(0.0, 0.0, iw, ih), |c| {
            let x0 = (c.x * iw).clamp(0.0, iw - 1.0);
            let y0 = (c.y * ih).clamp(0.0, ih - 1.0);
            Rect::new(x0, y0, (x0 + c.w * iw).clamp(x0 + 1.0, iw), (y0 + c.h * ih).clamp(y0 + 1.0, ih))
        });
        let (bw, bh) = (layer.w, layer.h);
        let (sx, sy) = match content.fit {
            Fit::Fill => (bw / crop.width(), bh / crop.height()),
            Fit::Cover => {
                let s = (bw / crop.width()).max(bh / crop.height());
                (s, s)
            }
            Fit::Contain => {
                let s = (bw / crop.width()).min(bh / crop.height());
                (s, s)
            }
        };
        let (dw, dh) = (crop.width() * sx, crop.height() * sy);
        let (ox, oy) = ((bw - dw) / 2.0, (bh - dh) / 2.0);
        let place =
            Affine::translate((ox, oy)) * Affine::scale_non_uniform(sx, sy) * Affine::translate((-crop.x0, -crop.y0));
        let visible = Rect::new(ox.max(0.0), oy.max(0.0), (ox + dw).min(bw), (oy + dh).min(bh));
        let image = if content.filters == editor_core::Filters::default() {
            image
        } else {
            // Blur radius is in design pixels; the image is drawn at `sx` design px per image px.
            self.images.filtered(&content.asset, &image, &content.filters, sx.min(sy))
        };
        let needs_clip = content.crop.is_some() || content.fit == Fit::Cover;
        if needs_clip {
            self.scene.items.push(Item::PushGroup {
                opacity: 1.0,
                clip: Some(Clip { path: visible.to_path(TOLERANCE), transform: t }),
            });
        }
        self.scene.items.push(Item::Image { image, transform: t * place, opacity: 1.0 });
        if needs_clip {
            self.scene.items.push(Item::PopGroup);
        }
        Ok(())
    }

    fn svg(&mut self, layer: &Layer, asset: &editor_core::AssetId, t: Affine) {
        let doc = match self.images.svg(self.assets, asset, self.fonts) {
            Ok(doc) => doc,
            Err(warning) => {
                self.scene.warnings.push(warning.for_layer(layer.id.as_str(), asset.as_str()));
                self.placeholder(layer, t);
                return;
            }
        };
        let (sw, sh) = (doc.width(), doc.height());
        if !(sw > 0.0 && sh > 0.0) {
            return;
        }
        // Like SVG's default preserveAspectRatio: fit inside the box, centred.
        let s = (layer.w / sw).min(layer.h / sh);
        let place = Affine::translate(((layer.w - sw * s) / 2.0, (layer.h - sh * s) / 2.0)) * Affine::scale(s);
        crate::svg_import::draw(&doc, t * place, &mut self.scene.items);
    }
}

/// The outline of a shape in a `w`×`h` box, and whether it is closed (fillable).
pub fn shape_path(shape: &Shape, w: f64, h: f64) -> Result<(BezPath, bool), String> {
    Ok(match shape {
        Shape::Rect { corner_radii } => {
            let max = w.min(h) / 2.0;
            let [tl, tr, br, bl] = corner_radii.map(|r| r.clamp(0.0, max));
            let rect = Rect::new(0.0, 0.0, w, h);
            if [tl, tr, br, bl].iter().all(|r| *r == 0.0) {
                (rect.to_path(TOLERANCE), true)
            } else {
                (RoundedRect::from_rect(rect, RoundedRectRadii::new(tl, tr, br, bl)).to_path(TOLERANCE), true)
            }
        }
        Shape::Ellipse => (Ellipse::from_rect(Rect::new(0.0, 0.0, w, h)).to_path(TOLERANCE), true),
        Shape::Polygon { sides } => (star_path(w, h, (*sides).clamp(3, 64), None), true),
        Shape::Star { points, inner_ratio } => {
            (star_path(w, h, (*points).clamp(3, 64), Some(inner_ratio.clamp(0.0, 1.0))), true)
        }
        Shape::Line => {
            let mut p = BezPath::new();
            p.move_to((0.0, 0.0));
            p.line_to((w, h));
            (p, false)
        }
        Shape::Path { d } => {
            let path = BezPath::from_svg(d).map_err(|e| format!("path data does not parse: {e}"))?;
            if path.elements().iter().flat_map(path_points).any(|p| !p.x.is_finite() || !p.y.is_finite()) {
                return Err("path data has non-finite coordinates".into());
            }
            (path, true)
        }
    })
}

fn path_points(el: &vello_cpu::kurbo::PathEl) -> Vec<Point> {
    use vello_cpu::kurbo::PathEl;
    match *el {
        PathEl::MoveTo(p) | PathEl::LineTo(p) => vec![p],
        PathEl::QuadTo(a, b) => vec![a, b],
        PathEl::CurveTo(a, b, c) => vec![a, b, c],
        PathEl::ClosePath => Vec::new(),
    }
}

/// A regular polygon (no `inner`) or star inscribed in the box, first point at the top.
fn star_path(w: f64, h: f64, n: u32, inner: Option<f64>) -> BezPath {
    let (cx, cy, rx, ry) = (w / 2.0, h / 2.0, w / 2.0, h / 2.0);
    let count = if inner.is_some() { n * 2 } else { n };
    let mut path = BezPath::new();
    for i in 0..count {
        let angle = -std::f64::consts::FRAC_PI_2 + f64::from(i) * std::f64::consts::TAU / f64::from(count);
        let r = match inner {
            Some(ratio) if i % 2 == 1 => ratio,
            _ => 1.0,
        };
        let p = (cx + rx * r * angle.cos(), cy + ry * r * angle.sin());
        if i == 0 {
            path.move_to(p);
        } else {
            path.line_to(p);
        }
    }
    path.close_path();
    path
}

/// A design paint as a brush; gradient geometry is in unit-box coordinates of a `w`×`h` box.
pub fn brush_of(paint: &Paint, w: f64, h: f64) -> Brush {
    let stops = |stops: &[editor_core::GradientStop]| -> Vec<Stop> {
        let mut out: Vec<Stop> = stops
            .iter()
            .map(|s| Stop { offset: s.offset.clamp(0.0, 1.0) as f32, color: Rgba::from(s.color) })
            .collect();
        out.sort_by(|a, b| a.offset.total_cmp(&b.offset));
        out
    };
    let unit = Affine::scale_non_uniform(w, h);
    match paint {
        Paint::Solid { color } => Brush::Solid(Rgba::from(*color)),
        Paint::LinearGradient { start, end, stops: s } => {
            let s = stops(s);
            if s.len() == 1 {
                return Brush::Solid(s[0].color);
            }
            Brush::Linear {
                start: Point::new(start.x, start.y),
                end: Point::new(end.x, end.y),
                stops: s,
                extend: Extend::Pad,
                transform: unit,
            }
        }
        Paint::RadialGradient { center, radius, stops: s } => {
            let s = stops(s);
            if s.len() == 1 {
                return Brush::Solid(s[0].color);
            }
            let c = Point::new(center.x, center.y);
            Brush::Radial {
                start_center: c,
                start_radius: 0.0,
                end_center: c,
                end_radius: (*radius as f32).max(1e-4),
                stops: s,
                extend: Extend::Pad,
                transform: unit,
            }
        }
    }
}
