//! Speed of putting a budget line's claims in the order they fall due, which settling a
//! line under `defer` or `prorate` needs: the linear-time `DueOrder` against the
//! comparison sort it replaced (same order, bit for bit; see `policy::due_order`).

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use policysim::calendar::DAYS_PER_MONTH;
use policysim::policy::due_order::{due_order, DueOrder};
use policysim::policy::instrument::Claim;
use rand::{Rng, SeedableRng};

/// Claims shaped like a baseline talent line's in one replication, in the order the
/// engine makes them: ≈ 150 one-off rewards over the run and its payment lags, then ≈ 45
/// stipends of 24 monthly claims each, appended stipend by stipend at the end of the run.
fn talent_line_claims() -> Vec<Claim> {
    let mut rng = rand_xoshiro::SplitMix64::seed_from_u64(5);
    let mut claims: Vec<Claim> = (0..150)
        .map(|k| Claim {
            day: rng.random_range(0.0..1200.0),
            instrument: k % 4,
            amount: rng.random_range(2.0e4..1.0e6),
        })
        .collect();
    for s in 0..45 {
        let first_day = rng.random_range(30.0..900.0);
        claims.extend((0..24).map(|m| Claim {
            day: first_day + m as f64 * DAYS_PER_MONTH,
            instrument: 4 + s % 2,
            amount: 5000.0,
        }));
    }
    claims
}

fn due_order_sort(c: &mut Criterion) {
    let claims = talent_line_claims();
    let mut group = c.benchmark_group("settlement");
    group.throughput(Throughput::Elements(claims.len() as u64));
    let mut order = DueOrder::default();
    group.bench_function("due_order_buckets", |b| {
        b.iter_batched_ref(|| claims.clone(), |v| order.sort(v), BatchSize::SmallInput)
    });
    group.bench_function("due_order_comparison_sort", |b| {
        b.iter_batched_ref(
            || claims.clone(),
            |v| v.sort_unstable_by(due_order),
            BatchSize::SmallInput,
        )
    });
    group.finish();
}

criterion_group!(benches, due_order_sort);
criterion_main!(benches);
