//! Runs from actuals (docs/model.md, Runs from actuals) against closed forms: an as-of
//! date before which nothing happened gives the plain run byte for byte; in a frozen
//! world the remaining outlay is a binomial take-up of the unpaid claims plus a compound
//! Poisson of the occurrences after the as-of date; a firm observed part-way through a
//! listing stage lists after its remaining duration; a ledger that covers everything
//! leaves nothing to simulate.

mod common;

use std::path::Path;

use chrono::NaiveDate;
use common::*;
use policysim::actuals::AsOfRun;
use policysim::calendar::{DAYS_PER_MONTH, DAYS_PER_YEAR};
use policysim::engine::Model;

fn date(text: &str) -> NaiveDate {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").expect("a date")
}

/// An actuals folder holding `firms.csv`, `events.csv` and `payments.csv` rows (headers
/// added).
fn actuals(firms: &[String], events: &[String], payments: &[String]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    let write = |name: &str, header: &str, rows: &[String]| {
        let text = std::iter::once(header.to_string())
            .chain(rows.iter().cloned())
            .collect::<Vec<_>>()
            .join("\n");
        std::fs::write(dir.path().join(name), text + "\n").expect("write");
    };
    write("firms.csv", "firm_id,district,nev,founded", firms);
    write("events.csv", "date,firm_id,event", events);
    write(
        "payments.csv",
        "paid_on,firm_id,instrument,amount,triggered_on",
        payments,
    );
    dir
}

/// `n` firms F000.. founded 2019-01-01, without district.
fn firms(n: usize) -> Vec<String> {
    (0..n)
        .map(|k| format!("F{k:03},,false,2019-01-01"))
        .collect()
}

/// Runs `reps` replications of `tests/scenarios/<name>` from the actuals in `dir` as of
/// `as_of`.
fn run_from(name: &str, dir: &Path, as_of: &str, reps: u64) -> Run {
    let loaded = load(name);
    let s = &loaded.scenario;
    let run = AsOfRun::load(dir.to_path_buf(), date(as_of), s).expect("valid actuals");
    let model = Model::starting(s, Some(&run));
    common::run_model(&model, seed(), reps)
}

/// Every output of a run folder but the manifest, and the manifest without what differs
/// between two runs of the same replications (execution) or names the actuals.
fn outputs(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
        .expect("run folder")
        .map(|e| e.expect("entry").path())
        .map(|p| {
            let name = p.file_name().unwrap().to_string_lossy().to_string();
            let mut bytes = std::fs::read(&p).expect("read");
            if name == "manifest.json" {
                let mut m: serde_json::Value = serde_json::from_slice(&bytes).expect("json");
                let m = m.as_object_mut().expect("object");
                m.remove("execution");
                m.remove("actuals");
                bytes = serde_json::to_vec(m).expect("json");
            }
            (name, bytes)
        })
        .collect();
    files.sort();
    files
}

/// (1) An as-of date on the scenario's start with empty actuals: nothing has happened,
/// so every output is the plain run's, byte for byte.
#[test]
fn an_as_of_run_from_the_start_with_nothing_observed_is_the_plain_run() {
    let tmp = tempfile::tempdir().unwrap();
    let empty = tmp.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    for (scenario, start) in [
        ("tests/scenarios/lifecycle.toml", "2024-01-01"),
        ("tests/scenarios/as_of_frozen.toml", "2024-01-01"),
        ("scenarios/baseline.toml", "2023-09-08"),
    ] {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(scenario);
        let (plain, as_of) = (tmp.path().join("plain"), tmp.path().join("as_of"));
        let common = [
            "run",
            path.to_str().unwrap(),
            "--reps",
            "40",
            "--seed",
            "9",
            "--quiet",
            "--force",
        ];
        let mut args = common.to_vec();
        args.extend(["--out", plain.to_str().unwrap()]);
        policysim_ok(&args);
        let mut args = common.to_vec();
        args.extend([
            "--out",
            as_of.to_str().unwrap(),
            "--actuals",
            empty.to_str().unwrap(),
            "--as-of",
            start,
        ]);
        policysim_ok(&args);
        let (a, b) = (outputs(&plain), outputs(&as_of));
        assert_eq!(
            a.iter().map(|f| &f.0).collect::<Vec<_>>(),
            b.iter().map(|f| &f.0).collect::<Vec<_>>()
        );
        for ((name, x), (_, y)) in a.iter().zip(&b) {
            assert!(x == y, "{scenario}: {name} differs from the plain run's");
        }
    }
}

/// (2) 30 unicorns certified on 2024-06-30; the ledger paid 10 of them their reward by
/// the as-of date 2024-09-30. The other 20 claims fall due 6 months after the trigger
/// (after the as-of date, so the ledger could not have shown them): 1e6 × Binomial(20,
/// 0.3). Each unicorn then has prizes at 2 a year until the policy ends, paid at take-up
/// 0.5: 1e5 × Poisson(30 · 2 · 0.5 · T). Nothing else moves.
#[test]
fn a_frozen_world_owes_binomial_unpaid_claims_plus_compound_poisson() {
    let (n, paid, as_of) = (30usize, 10usize, "2024-09-30");
    let events: Vec<String> = (0..n)
        .map(|k| format!("2024-06-30,F{k:03},certified:unicorn"))
        .collect();
    let payments: Vec<String> = (0..paid)
        .map(|k| format!("2024-09-15,F{k:03},reward,1000000,2024-06-30"))
        .collect();
    let dir = actuals(&firms(n), &events, &payments);
    let run = run_from("as_of_frozen.toml", dir.path(), as_of, 20000);

    let (a, p, unpaid) = (1.0e6, 0.3, (n - paid) as f64);
    let reward = run.col("outlay.remaining.instrument.reward");
    for x in &reward {
        let k = x / a;
        assert!(
            k.fract() == 0.0 && (0.0..=unpaid).contains(&k),
            "reward {x}"
        );
    }
    let var_r = unpaid * p * (1.0 - p) * a * a;
    assert_mean("unpaid rewards", &reward, unpaid * p * a, var_r.sqrt());
    assert_variance(
        "unpaid rewards",
        &reward,
        var_r,
        binomial_mu4(unpaid, p) * a.powi(4),
    );

    let years = (day("2025-12-31") + 1.0 - day(as_of)) / DAYS_PER_YEAR;
    let (b, mu) = (1.0e5, n as f64 * 2.0 * 0.5 * years);
    let prizes = run.col("outlay.remaining.instrument.prize_reward");
    let var_p = mu * b * b;
    assert_mean("prizes", &prizes, mu * b, var_p.sqrt());
    // The fourth central moment of Poisson(μ) is μ + 3μ².
    assert_variance("prizes", &prizes, var_p, (mu + 3.0 * mu * mu) * b.powi(4));

    // The two are independent: the total's variance is the sum, its fourth central
    // moment μ4(X) + μ4(Y) + 6 Var(X) Var(Y).
    let total = run.col("outlay.remaining.total");
    let mu4 = binomial_mu4(unpaid, p) * a.powi(4)
        + (mu + 3.0 * mu * mu) * b.powi(4)
        + 6.0 * var_r * var_p;
    assert_mean(
        "remaining outlay",
        &total,
        unpaid * p * a + mu * b,
        (var_r + var_p).sqrt(),
    );
    assert_variance("remaining outlay", &total, var_r + var_p, mu4);
    // The counts hold what was observed: nothing is certified after the as-of date, and
    // what was is counted in every replication.
    for name in ["firms.first_certified.unicorn", "firms.certified.unicorn"] {
        assert!(run.col(name).iter().all(|&c| c == n as f64), "{name}");
    }
    let by_june = run.series_col("firms.first_certified.cumulative", 5);
    assert!(by_june.iter().all(|&c| c == n as f64));
}

/// A distribution function of the days left.
type Cdf = dyn Fn(f64) -> f64;

/// (3) 400 firms observed entering the one listing stage on 2024-01-01 (its duration
/// uniform on 6..18 months, always passed); as of 2024-10-01, 274 days in, what is left is
/// uniform on 0..(18 months − 274 days). With an exponential duration (mean 8 months) it is
/// that exponential again. The cumulative listings by a month's end are Binomial(400, F).
#[test]
fn a_firm_amid_a_listing_stage_lists_after_the_remaining_duration() {
    let (n, as_of) = (400usize, "2024-10-01");
    let events: Vec<String> = (0..n)
        .map(|k| format!("2024-01-01,F{k:03},listing_stage:only"))
        .collect();
    let dir = actuals(&firms(n), &events, &[]);
    let elapsed = day(as_of);
    let width = 18.0 * DAYS_PER_MONTH - elapsed;
    let mean_exp = 8.0 * DAYS_PER_MONTH;
    let cases: [(&str, Box<Cdf>); 2] = [
        (
            "as_of_listing.toml",
            Box::new(move |x: f64| (x / width).clamp(0.0, 1.0)),
        ),
        (
            "as_of_listing_exponential.toml",
            Box::new(move |x: f64| 1.0 - (-x / mean_exp).exp()),
        ),
    ];
    for (scenario, cdf) in cases {
        let run = run_from(scenario, dir.path(), as_of, 4000);
        // Series month m of a scenario starting 2024-01-01 ends before `next`.
        for (m, next) in [
            (8, "2024-10-01"),
            (9, "2024-11-01"),
            (13, "2025-03-01"),
            (16, "2025-06-01"),
        ] {
            let listed = run.series_col("listings.cumulative", m);
            let p = cdf(day(next) - day(as_of));
            let what = format!("{scenario}: listed before {next}");
            if p == 0.0 {
                assert!(listed.iter().all(|&c| c == 0.0), "{what}");
            } else {
                assert_binomial(&what, &listed, n as f64, p);
            }
        }
        let total = run.col("listings.new");
        let p = cdf(day("2027-12-31") + 1.0 - day(as_of));
        if p >= 1.0 {
            assert!(total.iter().all(|&c| c == n as f64), "{scenario}: all list");
        } else {
            assert_binomial(&format!("{scenario}: listings"), &total, n as f64, p);
        }
    }
}

/// (4) A ledger that paid every claim, read as of a day after `payments_until`: nothing
/// is left to simulate, and the remaining outlay is exactly 0 in every replication. Every
/// claim is taken up, so one the ledger did not pay would be owed; without the prizes'
/// payments, each unicorn is owed 1e5 on the as-of day, after the horizon.
#[test]
fn a_ledger_covering_everything_leaves_no_remaining_outlay() {
    let n = 30usize;
    let mut events: Vec<String> = (0..n)
        .map(|k| format!("2024-06-30,F{k:03},certified:unicorn"))
        .collect();
    events.extend((0..n).map(|k| format!("2025-03-01,F{k:03},occurrence:prize")));
    let mut payments: Vec<String> = (0..n)
        .map(|k| format!("2024-12-30,F{k:03},reward,1000000,2024-06-30"))
        .collect();
    payments.extend((0..n).map(|k| format!("2025-03-01,F{k:03},prize_reward,100000,")));
    let dir = actuals(&firms(n), &events, &payments);
    let run = run_from("as_of_frozen_certain.toml", dir.path(), "2027-01-15", 500);
    for (j, name) in run.names.iter().enumerate() {
        // The simulated part (docs/model.md, "Runs from actuals"); the outlay metrics
        // themselves are the ledger's, tests/ledger.rs checks them.
        if name.starts_with("outlay.remaining.") || name.starts_with("demand.remaining.") {
            let col = run.col_at(j);
            assert!(col.iter().all(|&x| x == 0.0), "{name}: {:?}", &col[..5]);
        }
    }
    let unpaid = actuals(&firms(n), &events, &payments[..n]);
    let run = run_from("as_of_frozen_certain.toml", unpaid.path(), "2027-01-15", 50);
    for x in run.col("outlay.remaining.after_horizon") {
        assert_eq!(x, n as f64 * 1.0e5);
    }
}

/// (5) Flows over a window in a run from actuals as of 2024-09-30 (docs/model.md,
/// "Metrics over a window"): the observed part from `events.csv` and `payments.csv`,
/// identical in every replication, plus the simulated part. 30 unicorns certified on
/// 2024-06-30, 10 of them paid their 1e6 reward on 2024-09-15 (the other 20 fall due
/// at the end of 2024, 1e6 × Binomial(20, 0.3)); 40 more firms entered the 12-month
/// listing stage on 2024-01-01 and 10 of them listed on 2024-05-01: the other 30 leave
/// the stage on 2024-12-31 and pass with probability 0.5, so 2024's listings are
/// 10 + Binomial(30, 0.5). A window that closed before the as-of date is observed.
#[test]
fn a_flow_over_a_window_adds_the_observed_part_to_the_simulated_one() {
    let (unicorns, paid, staged, listed) = (30usize, 10usize, 40usize, 10usize);
    let mut events: Vec<String> = (0..unicorns)
        .map(|k| format!("2024-06-30,F{k:03},certified:unicorn"))
        .collect();
    let stage_firms = unicorns..unicorns + staged;
    events.extend(
        stage_firms
            .clone()
            .map(|k| format!("2024-01-01,F{k:03},listing_stage:only")),
    );
    events.extend(
        stage_firms
            .clone()
            .take(listed)
            .map(|k| format!("2024-05-01,F{k:03},listed")),
    );
    let payments: Vec<String> = (0..paid)
        .map(|k| format!("2024-09-15,F{k:03},reward,1000000,2024-06-30"))
        .collect();
    let dir = actuals(&firms(unicorns + staged), &events, &payments);
    let loaded = load("as_of_windows.toml");
    let s = &loaded.scenario;
    let run = AsOfRun::load(dir.path().to_path_buf(), date("2024-09-30"), s).expect("valid");
    let model = Model::starting(s, Some(&run));
    let status = |id: &str| {
        let k = s.targets.iter().position(|t| t.id == id).expect("target");
        model.ledger.as_ref().expect("a ledger").targets[k].name()
    };
    let run = common::run_model(&model, seed(), 4000);
    // A target without a window reads its metric where the ledger's layout keeps it.
    assert!(run.col("target.unicorns_at_end") == run.col("firms.count.unicorn"));

    // Straddling the as-of date: 10 observed listings plus Binomial(30, 0.5), and the
    // same number as the cumulative listings series counts by the end of December.
    let listings = run.col("target.listings_2024");
    let (m, p) = ((staged - listed) as f64, 0.5);
    assert_binomial(
        "2024's listings less the observed",
        &listings
            .iter()
            .map(|x| x - listed as f64)
            .collect::<Vec<_>>(),
        m,
        p,
    );
    assert!(listings == run.series_col("listings.cumulative", 11));
    assert_eq!(status("listings_2024"), "simulated");
    // Closed before the as-of date: the observed part alone, in every replication.
    for (id, value) in [
        ("listings_by_august", listed as f64),
        ("first_certified_by_july", unicorns as f64),
        ("outlay_by_september", paid as f64 * 1.0e6),
    ] {
        let col = run.col(&format!("target.{id}"));
        assert!(col.iter().all(|&x| x == value), "{id}: {:?}", &col[..5]);
        assert_eq!(status(id), "observed", "{id}");
    }

    // The rewards of 2024: the ledger's 1e7 plus 1e6 × Binomial(20, 0.3), which is also
    // the instrument's whole outlay (nothing of it falls due later).
    let reward = run.col("target.reward_2024");
    let whole = run.col("outlay.instrument.reward");
    let unpaid = (unicorns - paid) as f64;
    assert_mean(
        "2024's rewards",
        &reward,
        paid as f64 * 1.0e6 + unpaid * 0.3 * 1.0e6,
        (unpaid * 0.3 * 0.7).sqrt() * 1.0e6,
    );
    let remaining = run.col("outlay.remaining.instrument.reward");
    for ((x, w), r) in reward.iter().zip(&whole).zip(&remaining) {
        assert_eq!(x, w);
        assert_eq!(
            x - r,
            paid as f64 * 1.0e6,
            "the observed part is the ledger's"
        );
    }
    // The whole outlay up to the end of 2024, in total and of the only budget line, is
    // the year's outlay: ledger plus remaining, as `outlay.year.2024` adds them.
    let year = run.col("outlay.year.2024");
    for id in ["outlay_by_2024_end", "outlay_main_by_2024_end"] {
        for (x, y) in run.col(&format!("target.{id}")).iter().zip(&year) {
            assert!((x - y).abs() <= 1e-9 * y.abs(), "{id}: {x} against {y}");
        }
    }
}

/// (6) A certification batch dated on the as-of day is observed, not simulated again
/// (docs/model.md, Runs from actuals: rounds and assessments dated on or before the
/// as-of day are the actuals'). Of 20 known firms, all of which the
/// frozen world's 2024-06-30 batch would certify, the actuals record 12 certified at it;
/// as of that day, every replication counts those 12 and no more, and only their
/// unpaid rewards are owed: 1e6 × Binomial(12, 0.3).
#[test]
fn a_batch_on_the_as_of_day_is_observed_and_not_simulated() {
    let (n, certified) = (20usize, 12usize);
    let events: Vec<String> = (0..certified)
        .map(|k| format!("2024-06-30,F{k:03},certified:unicorn"))
        .collect();
    let dir = actuals(&firms(n), &events, &[]);
    let run = run_from("as_of_frozen.toml", dir.path(), "2024-06-30", 4000);
    for name in ["firms.certified.unicorn", "firms.first_certified.unicorn"] {
        let col = run.col(name);
        assert!(
            col.iter().all(|&c| c == certified as f64),
            "{name}: {:?}",
            &col[..5]
        );
    }
    let rewards: Vec<f64> = run
        .col("outlay.remaining.instrument.reward")
        .iter()
        .map(|x| x / 1.0e6)
        .collect();
    assert!(rewards
        .iter()
        .all(|k| k.fract() == 0.0 && (0.0..=certified as f64).contains(k)));
    assert_binomial("rewards owed", &rewards, certified as f64, 0.3);
}
