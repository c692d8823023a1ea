//! usvg tree → scene items.

use std::sync::Arc;

use super::SvgDocument;
use super::images::key_of;
use crate::scene::{Affine, BezPath, Brush, Clip, Extend, FillRule, Item, Point, Rgba, Stop, StrokeStyle};

use vello_cpu::kurbo::{Cap, Join};

/// Dashes that would cut a path into more pieces than this are drawn solid.
const MAX_DASHES: f64 = 100_000.0;
/// Nested SVG images deeper than this are not drawn (usvg already refuses recursion).
const MAX_NESTING: usize = 8;

fn affine(t: usvg::Transform) -> Affine {
    Affine::new([f64::from(t.sx), f64::from(t.ky), f64::from(t.kx), f64::from(t.sy), f64::from(t.tx), f64::from(t.ty)])
}

fn point(p: usvg::tiny_skia_path::Point) -> Point {
    Point::new(f64::from(p.x), f64::from(p.y))
}

/// A usvg path as a kurbo path.
fn bez_path(path: &usvg::tiny_skia_path::Path) -> BezPath {
    use usvg::tiny_skia_path::PathSegment;
    let mut out = BezPath::new();
    for segment in path.segments() {
        match segment {
            PathSegment::MoveTo(p) => out.move_to(point(p)),
            PathSegment::LineTo(p) => out.line_to(point(p)),
            PathSegment::QuadTo(p1, p2) => out.quad_to(point(p1), point(p2)),
            PathSegment::CubicTo(p1, p2, p3) => out.curve_to(point(p1), point(p2), point(p3)),
            PathSegment::Close => out.close_path(),
        }
    }
    out
}

/// What usvg built: paths and images, and path segments.
pub(crate) struct Count {
    pub nodes: u64,
    pub segments: u64,
}

/// Counts the paths, images and path segments usvg built, including those inside clip paths,
/// masks, patterns, filters, text and nested images; stops once a count passes its limit.
pub(crate) fn count(group: &usvg::Group, max_nodes: u64, max_segments: u64) -> Count {
    fn walk(group: &usvg::Group, count: &mut Count, max_nodes: u64, max_segments: u64) {
        for node in group.children() {
            if count.nodes > max_nodes || count.segments > max_segments {
                return;
            }
            match node {
                usvg::Node::Group(g) => walk(g, count, max_nodes, max_segments),
                usvg::Node::Path(p) => {
                    count.nodes += 1;
                    count.segments += p.data().len() as u64;
                }
                usvg::Node::Image(_) => count.nodes += 1,
                usvg::Node::Text(_) => {}
            }
            node.subroots(|sub| walk(sub, count, max_nodes, max_segments));
        }
    }
    let mut count = Count { nodes: 0, segments: 0 };
    walk(group, &mut count, max_nodes, max_segments);
    count
}

fn alpha(opacity: f32) -> u8 {
    // Clamped to 0..=255.
    (opacity.clamp(0.0, 1.0) * 255.0).round() as u8
}

fn extend(spread: usvg::SpreadMethod) -> Extend {
    match spread {
        usvg::SpreadMethod::Pad => Extend::Pad,
        usvg::SpreadMethod::Reflect => Extend::Reflect,
        usvg::SpreadMethod::Repeat => Extend::Repeat,
    }
}

fn stops(gradient: &usvg::BaseGradient, opacity: f32) -> Vec<Stop> {
    gradient
        .stops()
        .iter()
        .map(|s| {
            let c = s.color();
            Stop {
                offset: s.offset().get(),
                color: Rgba::new(c.red, c.green, c.blue, alpha(s.opacity().get() * opacity)),
            }
        })
        .collect()
}

/// The first solid colour in a pattern's content: the fallback for pattern paints.
fn pattern_colour(group: &usvg::Group) -> Option<(usvg::Color, f32)> {
    for node in group.children() {
        match node {
            usvg::Node::Path(p) => {
                let paints = [p.fill().map(|f| (f.paint(), f.opacity())), p.stroke().map(|s| (s.paint(), s.opacity()))];
                for (paint, opacity) in paints.into_iter().flatten() {
                    if let usvg::Paint::Color(c) = paint {
                        return Some((*c, opacity.get()));
                    }
                }
            }
            usvg::Node::Group(g) => {
                if let Some(found) = pattern_colour(g) {
                    return Some(found);
                }
            }
            usvg::Node::Text(t) => {
                if let Some(found) = pattern_colour(t.flattened()) {
                    return Some(found);
                }
            }
            usvg::Node::Image(_) => {}
        }
    }
    None
}

fn brush(paint: &usvg::Paint, opacity: f32) -> Option<Brush> {
    let brush = match paint {
        usvg::Paint::Color(c) => Brush::Solid(Rgba::new(c.red, c.green, c.blue, alpha(opacity))),
        usvg::Paint::LinearGradient(g) => Brush::Linear {
            start: Point::new(f64::from(g.x1()), f64::from(g.y1())),
            end: Point::new(f64::from(g.x2()), f64::from(g.y2())),
            stops: stops(g, opacity),
            extend: extend(g.spread_method()),
            transform: affine(g.transform()),
        },
        // SVG's focal circle (fx, fy, fr) is offset 0, the outer circle (cx, cy, r) offset 1.
        usvg::Paint::RadialGradient(g) => Brush::Radial {
            start_center: Point::new(f64::from(g.fx()), f64::from(g.fy())),
            start_radius: g.fr().get(),
            end_center: Point::new(f64::from(g.cx()), f64::from(g.cy())),
            end_radius: g.r().get(),
            stops: stops(g, opacity),
            extend: extend(g.spread_method()),
            transform: affine(g.transform()),
        },
        usvg::Paint::Pattern(p) => {
            let (c, inner) = pattern_colour(p.root())?;
            Brush::Solid(Rgba::new(c.red, c.green, c.blue, alpha(inner * opacity)))
        }
    };
    (!brush.is_invisible()).then_some(brush)
}

/// The union of a clip path's children's outlines, in clip space.
fn clip_outline(group: &usvg::Group, transform: Affine, out: &mut BezPath) {
    for node in group.children() {
        match node {
            usvg::Node::Path(p) => {
                if p.is_visible() {
                    let mut path = bez_path(p.data());
                    path.apply_affine(transform);
                    out.extend(path);
                }
            }
            usvg::Node::Group(g) => clip_outline(g, transform * affine(g.transform()), out),
            usvg::Node::Text(t) => {
                let flat = t.flattened();
                clip_outline(flat, transform * affine(flat.transform()), out);
            }
            usvg::Node::Image(_) => {}
        }
    }
}

/// An upper bound on the length of `path` (its control polygon).
fn polygon_length(path: &BezPath) -> f64 {
    use vello_cpu::kurbo::PathEl;
    let mut length = 0.0;
    let mut last = Point::ZERO;
    let mut start = Point::ZERO;
    for el in path.elements() {
        let pts: &[Point] = match el {
            PathEl::MoveTo(p) => {
                last = *p;
                start = *p;
                continue;
            }
            PathEl::LineTo(p) => std::slice::from_ref(p),
            PathEl::QuadTo(a, b) => &[*a, *b],
            PathEl::CurveTo(a, b, c) => &[*a, *b, *c],
            PathEl::ClosePath => std::slice::from_ref(&start),
        };
        for p in pts {
            length += last.distance(*p);
            last = *p;
        }
    }
    length
}

fn stroke_style(stroke: &usvg::Stroke, path: &BezPath) -> StrokeStyle {
    let mut style = StrokeStyle::new(f64::from(stroke.width().get()))
        .with_caps(match stroke.linecap() {
            usvg::LineCap::Butt => Cap::Butt,
            usvg::LineCap::Round => Cap::Round,
            usvg::LineCap::Square => Cap::Square,
        })
        .with_join(match stroke.linejoin() {
            usvg::LineJoin::Miter | usvg::LineJoin::MiterClip => Join::Miter,
            usvg::LineJoin::Round => Join::Round,
            usvg::LineJoin::Bevel => Join::Bevel,
        })
        .with_miter_limit(f64::from(stroke.miterlimit().get()));
    if let Some(dashes) = stroke.dasharray() {
        let period: f64 = dashes.iter().map(|&d| f64::from(d)).sum();
        let fine = period.is_finite() && period > 0.0 && polygon_length(path) / period <= MAX_DASHES;
        if fine {
            style = style.with_dashes(f64::from(stroke.dashoffset()), dashes.iter().map(|&d| f64::from(d)));
        }
    }
    style
}

struct Painter<'a> {
    doc: &'a SvgDocument,
    items: &'a mut Vec<Item>,
}

impl Painter<'_> {
    fn group(&mut self, group: &usvg::Group, parent: Affine, nesting: usize) {
        let transform = parent * affine(group.transform());
        let opacity = group.opacity().get();
        if opacity <= 0.0 {
            return;
        }
        let clip = match group.clip_path() {
            Some(clip_path) => {
                let mut path = BezPath::new();
                clip_outline(clip_path.root(), Affine::IDENTITY, &mut path);
                if path.elements().is_empty() {
                    // An empty clip path hides everything.
                    return;
                }
                Some(Clip { path, transform: transform * affine(clip_path.transform()) })
            }
            None => None,
        };
        let layered = opacity < 1.0 || clip.is_some();
        if layered {
            self.items.push(Item::PushGroup { opacity, clip });
        }
        for node in group.children() {
            self.node(node, transform, nesting);
        }
        if layered {
            self.items.push(Item::PopGroup);
        }
    }

    fn node(&mut self, node: &usvg::Node, transform: Affine, nesting: usize) {
        match node {
            usvg::Node::Group(g) => self.group(g, transform, nesting),
            usvg::Node::Path(p) => self.path(p, transform),
            usvg::Node::Image(image) => self.image(image, transform, nesting),
            usvg::Node::Text(text) => self.group(text.flattened(), transform, nesting),
        }
    }

    fn path(&mut self, p: &usvg::Path, transform: Affine) {
        if !p.is_visible() {
            return;
        }
        let path = bez_path(p.data());
        if path.elements().is_empty() {
            return;
        }
        match p.paint_order() {
            usvg::PaintOrder::FillAndStroke => {
                self.fill(p, &path, transform);
                self.stroke(p, &path, transform);
            }
            usvg::PaintOrder::StrokeAndFill => {
                self.stroke(p, &path, transform);
                self.fill(p, &path, transform);
            }
        }
    }

    fn fill(&mut self, p: &usvg::Path, path: &BezPath, transform: Affine) {
        let Some(fill) = p.fill() else { return };
        // Horizontal and vertical lines have no inside (as in resvg).
        let bounds = p.data().bounds();
        if bounds.width() == 0.0 || bounds.height() == 0.0 {
            return;
        }
        let Some(brush) = brush(fill.paint(), fill.opacity().get()) else { return };
        let rule = match fill.rule() {
            usvg::FillRule::NonZero => FillRule::NonZero,
            usvg::FillRule::EvenOdd => FillRule::EvenOdd,
        };
        self.items.push(Item::Fill { path: path.clone(), transform, brush, rule });
    }

    fn stroke(&mut self, p: &usvg::Path, path: &BezPath, transform: Affine) {
        let Some(stroke) = p.stroke() else { return };
        let Some(brush) = brush(stroke.paint(), stroke.opacity().get()) else { return };
        let style = stroke_style(stroke, path);
        self.items.push(Item::Stroke { path: path.clone(), transform, brush, style });
    }

    fn image(&mut self, image: &usvg::Image, transform: Affine, nesting: usize) {
        if !image.is_visible() {
            return;
        }
        let data = match image.kind() {
            usvg::ImageKind::PNG(d) | usvg::ImageKind::JPEG(d) | usvg::ImageKind::WEBP(d) | usvg::ImageKind::GIF(d) => {
                d
            }
            usvg::ImageKind::SVG(tree) => {
                if nesting < MAX_NESTING {
                    self.group(tree.root(), transform, nesting + 1);
                }
                return;
            }
        };
        let Some(raster) = self.doc.images.get(&key_of(data)) else { return };
        // The image's space is its intrinsic size; map the decoded pixels onto it.
        let size = image.size();
        let sx = f64::from(size.width()) / f64::from(raster.width);
        let sy = f64::from(size.height()) / f64::from(raster.height);
        self.items.push(Item::Image {
            image: Arc::clone(raster),
            transform: transform * Affine::scale_non_uniform(sx, sy),
            opacity: 1.0,
        });
    }
}

/// Draws the whole document.
pub(crate) fn draw_tree(doc: &SvgDocument, transform: Affine, items: &mut Vec<Item>) {
    let mut painter = Painter { doc, items };
    painter.group(doc.tree.root(), transform, 0);
}
