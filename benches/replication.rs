//! Speed of the engine on the baseline scenario: one replication, and a block of
//! replications on all cores (the unit a run is made of).

use std::path::Path;

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use policysim::engine::stream::Streams;
use policysim::engine::{Model, Replication};
use policysim::montecarlo::run_block;
use rand::{Rng, RngCore};

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

/// The price of randomness, the floor under a replication's cost: a baseline replication
/// sets up about 6,500 keyed streams and draws about 14,400 words from them (counted in
/// `docs/performance.md`). Each figure is per draw, over 1,000 draws.
fn random_draws(c: &mut Criterion) {
    const N: u64 = 1000;
    let streams = Streams::new(20230908, 7);
    let key = streams.entity_key(42);
    let mut group = c.benchmark_group("randomness");
    group.throughput(Throughput::Elements(N));
    group.bench_function("keyed_stream_and_one_word", |b| {
        b.iter(|| {
            (0..N).fold(0u64, |acc, k| {
                acc ^ streams.keyed(black_box(key), 7, k).next_u64()
            })
        })
    });
    let mut rng = streams.keyed(key, 7, 0);
    group.bench_function("uniform_f64", |b| {
        b.iter(|| (0..N).map(|_| rng.random::<f64>()).sum::<f64>())
    });
    group.bench_function("exponential", |b| {
        b.iter(|| {
            (0..N)
                .map(|_| policysim::scenario::dist::waiting_days(&mut rng, black_box(20.0)))
                .sum::<f64>()
        })
    });
    // The inverse-CDF draw the districts used before they shared `waiting_days`.
    group.bench_function("exponential_by_inversion", |b| {
        b.iter(|| {
            (0..N)
                .map(|_| -(1.0 - rng.random::<f64>()).ln() / black_box(20.0 / 365.25))
                .sum::<f64>()
        })
    });
    group.bench_function("standard_normal", |b| {
        b.iter(|| {
            (0..N)
                .map(|_| policysim::scenario::dist::standard_normal(&mut rng))
                .sum::<f64>()
        })
    });
    group.finish();
}

criterion_group!(
    benches,
    one_replication,
    block_of_replications,
    random_draws
);
criterion_main!(benches);
