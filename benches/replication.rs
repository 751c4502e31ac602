//! Speed of the engine on the baseline scenario: one replication, and a block of
//! replications on all cores (the unit a run is made of).

use std::path::Path;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use policysim::engine::{Model, Replication};
use policysim::montecarlo::run_block;

fn baseline() -> policysim::scenario::LoadedScenario {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/baseline.toml");
    policysim::scenario::load(&path).expect("baseline loads")
}

fn one_replication(c: &mut Criterion) {
    let loaded = baseline();
    let model = Model::new(&loaded.scenario);
    let mut rep = Replication::default();
    let mut row = vec![0.0; model.layout.len()];
    let mut series = vec![0.0; model.layout.series_len()];
    let mut r = 0u64;
    let mut group = c.benchmark_group("baseline");
    group.throughput(Throughput::Elements(1));
    group.bench_function("one_replication", |b| {
        b.iter(|| {
            rep.run(&model, 20230908, r, &mut row, &mut series);
            r += 1;
            rep.events
        })
    });
    group.finish();
}

fn block_of_replications(c: &mut Criterion) {
    let loaded = baseline();
    let model = Model::new(&loaded.scenario);
    let n = 2000;
    let mut group = c.benchmark_group("baseline");
    group.sample_size(10);
    group.throughput(Throughput::Elements(n));
    group.bench_function("block_2000_all_cores", |b| {
        b.iter(|| run_block(&model, 20230908, 0..n, &|| {}).events)
    });
    group.finish();
}

criterion_group!(benches, one_replication, block_of_replications);
criterion_main!(benches);
