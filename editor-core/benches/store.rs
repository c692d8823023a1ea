//! Store benchmarks: opening a 1,000-layer design from a SQLite file (the figure users feel when
//! they open a design offline), reading the rows alone, and appending one small edit durably
//! (WAL, `synchronous=FULL`: the figure depends on the disk's fsync).
//!
//! Run with `cargo bench -p editor-core --bench store` (`-- --quick` for a fast pass).
#![expect(clippy::unwrap_used, reason = "benchmark set-up")]

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use editor_core::store::{SqliteStore, Store, open_document};
use editor_core::{Color, Command, Document, Layer, LayerId, LayerPatch, Rect};

const DOC: &str = "bench-1000";
const LAYERS: usize = 1_000;
/// Updates left in the log after the snapshot, as between two compactions.
const LOGGED: usize = 50;

fn layer(i: usize) -> Layer {
    let id = LayerId::parse(&format!("layer-{i}")).unwrap();
    let bounds = Rect::new((i % 40) as f64 * 25.0, (i / 40) as f64 * 40.0, 120.0, 36.0);
    if i.is_multiple_of(2) {
        Layer::text(id, &format!("Headline number {i} with some words"), bounds)
    } else {
        Layer::rect(id, bounds, Color::rgb((i % 256) as u8, 80, 160))
    }
}

/// A file-backed store holding a 1,000-layer design as a compacted snapshot plus `LOGGED`
/// updates, every edit written the way the editor writes it.
fn populated_store(dir: &tempfile::TempDir) -> SqliteStore {
    let store = SqliteStore::open(dir.path().join("bench.db")).unwrap();
    let mut doc = Document::new();
    for i in 0..LAYERS {
        let change = doc.apply(Command::AddLayer { layer: layer(i) }).unwrap();
        let seq = store.append_update(DOC, &change.update, true).unwrap();
        if i + 1 == LAYERS - LOGGED {
            store.compact(DOC, &doc.encode_state_v2(), &doc.state_vector_v1(), seq).unwrap();
        }
    }
    let stored = store.load_document(DOC).unwrap().unwrap();
    assert_eq!(stored.updates_v1.len(), LOGGED);
    store
}

fn open_design(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let store = populated_store(&dir);
    let mut group = c.benchmark_group("store_open_1000_layers");
    group.sample_size(20).measurement_time(Duration::from_secs(4));
    group.bench_function("load_document+Document::load+design", |b| {
        b.iter(|| {
            let doc = open_document(&store, DOC, None).unwrap().unwrap();
            let design = doc.design();
            assert_eq!(design.layers.len(), LAYERS);
            black_box(design)
        });
    });
    group.bench_function("load_document", |b| {
        b.iter(|| black_box(store.load_document(DOC).unwrap()));
    });
    group.finish();
}

fn append(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path().join("append.db")).unwrap();
    let mut doc = Document::new();
    doc.apply(Command::AddLayer { layer: layer(0) }).unwrap();
    // The most common edit: dragging a layer.
    let patch = LayerPatch { x: Some(42.0), ..LayerPatch::default() };
    let update = doc.apply(Command::SetLayer { id: layer(0).id, patch }).unwrap().update;
    let mut group = c.benchmark_group("store_append");
    group.sample_size(30).measurement_time(Duration::from_secs(3));
    group.bench_function(format!("append_update move ({} B), outbox, fsync", update.len()), |b| {
        b.iter(|| black_box(store.append_update("bench-append", &update, true).unwrap()));
    });
    group.finish();
}

criterion_group!(benches, open_design, append);
criterion_main!(benches);
