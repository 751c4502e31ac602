//! Speed of what a run does besides simulating: formatting a block's rows as CSV (the
//! writer thread's work, beside the pool) and the statistics pass over the rows (after
//! the last block, before the files are written), on 2,048 baseline replications.

use std::hint::black_box;
use std::path::Path;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use policysim::engine::Model;
use policysim::montecarlo::run_block;
use policysim::output::tables;
use policysim::rows::RowStore;

fn output_phases(c: &mut Criterion) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/baseline.toml");
    let loaded = policysim::scenario::load(&path).expect("baseline loads");
    let model = Model::new(&loaded.scenario);
    let layout = &model.layout;
    let n = 2048;
    let block = run_block(&model, 20230908, 0..n, &|| {});
    let mut group = c.benchmark_group("output");
    group.sample_size(20);
    group.throughput(Throughput::Elements(n));
    let mut text = Vec::with_capacity(16 << 20);
    group.bench_function("format_block_2048", |b| {
        b.iter(|| {
            text.clear();
            tables::write_rows(&mut text, 0, layout.len(), &block.metrics).unwrap();
            tables::write_rows(&mut text, 0, layout.series_len(), &block.series).unwrap();
            black_box(text.len())
        })
    });
    let scratch = tempfile::tempdir().expect("temporary folder");
    let mut store = RowStore::new(
        layout.len(),
        layout.series_len(),
        n as usize,
        &scratch.path().join("rows.scratch"),
    )
    .expect("row store");
    store
        .push(block.count, &block.metrics, &block.series)
        .expect("rows stored");
    store.seal().expect("rows sealed");
    group.bench_function("statistics_2048", |b| {
        b.iter(|| {
            policysim::stats::compute(&loaded.scenario, layout, &store)
                .expect("the bench store is in memory")
                .replications
        })
    });
    group.finish();
}

criterion_group!(benches, output_phases);
criterion_main!(benches);
