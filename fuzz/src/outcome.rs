//! What the fuzz targets check: a scenario file is refused with a located message or
//! accepted, and an accepted one runs a replication whose every output number is finite,
//! with no negative outlay, through the same library calls `policysim run` makes
//! (simulation, statistics, the CSV tables and the report) but in memory.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use policysim::engine::Model;
use policysim::metrics::MetricLayout;
use policysim::montecarlo::{run_block, Block};
use policysim::output::{report, tables};
use policysim::scenario::{self, LoadedScenario, ScenarioError};
use policysim::stats::{self, Columns};

/// Firms one replication may hold for the fuzz targets to run it: the point is to find
/// what breaks, not to spend a second on a large but valid run. Larger scenarios are
/// only loaded.
const MAX_FIRMS: f64 = 20_000.0;

/// A folder of this process holding every shipped scenario, so that a fuzzed file's
/// `extends = "baseline.toml"` finds its base; the fuzzed file is written beside them.
pub fn workdir() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        // A fixed-width name: the messages a refusal formats (with this path in them)
        // take the same code paths whatever the process id, so a seeded run is repeatable.
        let dir = std::env::temp_dir().join(format!("policysim-fuzz-{:010}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("a temporary folder");
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        for shipped in ["scenarios", "tests/scenarios"] {
            let Ok(entries) = std::fs::read_dir(root.join(shipped)) else {
                continue;
            };
            for e in entries.flatten() {
                let _ = std::fs::copy(e.path(), dir.join(e.file_name()));
            }
        }
        dir
    })
}

/// Loads `bytes` as a scenario file named `fuzzed.toml`.
pub fn load(bytes: &[u8]) -> Result<LoadedScenario, ScenarioError> {
    let path = workdir().join("fuzzed.toml");
    std::fs::write(&path, bytes).expect("the temporary folder is writable");
    scenario::load(&path)
}

/// A refusal must say where: the file always, and the key path for anything but a file
/// that is not TOML (whose error has no key to name).
pub fn check_refusal(e: &ScenarioError) {
    assert!(!e.message.is_empty(), "a refusal without a message: {e:?}");
    let not_toml = e.message.starts_with("not valid TOML");
    assert!(
        not_toml || !e.key_path.is_empty() || e.line == 0,
        "a refusal without a key path: {e}"
    );
}

/// One replication of the block's rows, as the statistics pass reads them.
struct OneBlock<'a> {
    block: &'a Block,
    layout: &'a MetricLayout,
}

impl Columns for OneBlock<'_> {
    fn replications(&self) -> usize {
        self.block.count
    }
    fn metric(&self, j: usize) -> std::io::Result<Vec<f64>> {
        let m = self.layout.len();
        Ok((0..self.block.count)
            .map(|i| self.block.metrics[i * m + j])
            .collect())
    }
    fn series(&self, j: usize) -> std::io::Result<Vec<f64>> {
        let sl = self.layout.series_len();
        Ok((0..self.block.count)
            .map(|i| self.block.series[i * sl + j])
            .collect())
    }
}

fn pool() -> &'static rayon::ThreadPool {
    static POOL: OnceLock<rayon::ThreadPool> = OnceLock::new();
    POOL.get_or_init(|| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .build()
            .expect("one worker thread")
    })
}

/// Runs `replications` replications of an accepted scenario (unless it is too large for
/// a fuzz input) and checks every number it outputs.
pub fn run_and_check(loaded: &LoadedScenario, replications: u64) {
    run_model_and_check(&Model::new(&loaded.scenario), replications);
}

/// Runs `replications` replications of `model` (unless it is too large for a fuzz input)
/// and checks every number it outputs.
pub fn run_model_and_check(model: &Model<'_>, replications: u64) {
    let s = model.scenario;
    // The bound `run`'s resource estimate uses (docs/performance.md).
    if policysim::footprint::firms_of(model) as f64 >= MAX_FIRMS {
        return;
    }
    let layout = &model.layout;
    let block = pool().install(|| run_block(model, s.seed, 0..replications, &|| {}));
    for (i, v) in block.metrics.iter().enumerate() {
        let name = &layout.names[i % layout.len()];
        assert!(v.is_finite(), "metric {name} = {v}");
        let money = ["outlay.", "demand.", "carried."];
        if money.iter().any(|p| name.starts_with(p)) {
            assert!(*v >= 0.0, "metric {name} = {v} < 0");
        }
    }
    for (i, v) in block.series.iter().enumerate() {
        assert!(v.is_finite(), "series value {i} = {v}");
        if i % layout.series_len() < layout.months {
            assert!(*v >= 0.0, "cumulative outlay {v} < 0 in month {i}");
        }
    }
    let columns = OneBlock {
        block: &block,
        layout,
    };
    let stats = pool()
        .install(|| stats::compute(s, layout, &columns))
        .expect("the rows are in memory");
    let mut csv = Vec::new();
    tables::write_summary(&mut csv, &stats).expect("in memory");
    tables::write_targets(&mut csv, &stats).expect("in memory");
    tables::write_budget(&mut csv, &stats).expect("in memory");
    tables::write_timeseries(&mut csv, &stats).expect("in memory");
    check_numbers(&csv);
    let html = report::run_report(
        s,
        &stats,
        &stats.outlay_total,
        &[],
        s.seed,
        model.ledger.as_ref(),
    );
    assert!(!html.contains("NaN"), "report.html draws a NaN");
}

/// Every field of the CSV text that reads as a number reads as a finite one.
fn check_numbers(csv_text: &[u8]) {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(csv_text);
    for record in reader.records() {
        let record = record.expect("the tables are CSV");
        for field in &record {
            if let Ok(x) = field.parse::<f64>() {
                assert!(x.is_finite(), "a table holds {field}: {record:?}");
            }
        }
    }
}
