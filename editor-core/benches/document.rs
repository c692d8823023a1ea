//! Document benchmarks (issue 2): property edits, loading and encoding a 1,000-layer design.
//!
//! `cargo xtask bench` (or `cargo bench -p editor-core --bench document`).

#![expect(clippy::unwrap_used, reason = "a benchmark with a broken setup must fail loudly")]

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use editor_core::{Color, Command, Design, Document, FormatPreset, Layer, LayerId, LayerPatch, Rect, Role};

/// A design with `n` layers: alternating text and rectangles, like a busy template.
fn design(n: usize) -> Design {
    let mut d = Design::new("Bench", FormatPreset::InstagramPost.format());
    for i in 0..n {
        let id = LayerId::parse(&format!("layer{i}")).unwrap();
        let bounds = Rect::new((i % 30) as f64 * 30.0, (i / 30) as f64 * 30.0, 120.0, 40.0);
        let mut layer = if i % 2 == 0 {
            Layer::text(id, &format!("Headline number {i} with some words"), bounds)
        } else {
            Layer::rect(id, bounds, Color::rgb((i % 255) as u8, 80, 160))
        };
        layer.role = if i % 2 == 0 { Role::Headline } else { Role::Decoration };
        d.layers.push(layer);
    }
    d
}

fn benches(c: &mut Criterion) {
    let big = design(1_000);
    let mut group = c.benchmark_group("document");
    group.sample_size(20).measurement_time(Duration::from_secs(5));

    group.bench_function("one property edit (txn + v1 update) on 1,000 layers", |b| {
        let mut doc = Document::from_design(&big).unwrap();
        let id = LayerId::parse("layer500").unwrap();
        let mut x = 0.0;
        b.iter(|| {
            x += 1.0;
            let change = doc.apply(Command::SetLayer { id: id.clone(), patch: LayerPatch::position(x, x) });
            black_box(change.unwrap().update.len())
        });
    });

    group.bench_function("apply 10,000 property edits (20-layer design)", |b| {
        let small = design(20);
        b.iter(|| {
            let mut doc = Document::from_design(&small).unwrap();
            let ids: Vec<LayerId> = small.layers.iter().map(|l| l.id.clone()).collect();
            let mut bytes = 0;
            for i in 0..10_000usize {
                let patch = LayerPatch { x: Some(i as f64), ..Default::default() };
                bytes += doc.apply(Command::SetLayer { id: ids[i % ids.len()].clone(), patch }).unwrap().update.len();
            }
            black_box(bytes)
        });
    });

    group.bench_function("load a 1,000-layer design into a Y.Doc", |b| {
        b.iter(|| black_box(Document::from_design(&big).unwrap().client_id()));
    });

    let doc = Document::from_design(&big).unwrap();
    group.bench_function("encode a 1,000-layer document (v2 snapshot)", |b| {
        b.iter(|| black_box(doc.encode_state_v2().len()))
    });
    group.bench_function("encode a 1,000-layer document (v1 update)", |b| {
        b.iter(|| black_box(doc.encode_state_v1().len()))
    });
    let v2 = doc.encode_state_v2();
    group.bench_function("decode a 1,000-layer v2 snapshot + typed read", |b| {
        b.iter(|| black_box(Document::load(None, Some(&v2), &[]).unwrap().design().layers.len()))
    });
    group.bench_function("typed read of a 1,000-layer design", |b| b.iter(|| black_box(doc.design().layers.len())));
    group.finish();
}

criterion_group!(document, benches);
criterion_main!(document);
