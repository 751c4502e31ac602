//! The metrics a replication produces: their stable dotted names (README.md, Output files) and where
//! each lives in a replication's row.

use crate::scenario::types::{NevQuantity, Scenario};

/// The sum of `values` in order, and 0 when there are none. (Rust's `Sum` for f64 starts
/// from -0, so a sum over nothing, such as no project in a window or no claim in a year,
/// would reach the files as `-0`.)
pub fn total(values: impl IntoIterator<Item = f64>) -> f64 {
    values.into_iter().fold(0.0, |sum, x| sum + x)
}

/// The outlay metrics a summary leads with (the report's outlay table, the terminal):
/// the total, each year's, what falls due after the horizon, and the split by funder.
pub fn headline_outlay(s: &Scenario) -> Vec<String> {
    let mut names = vec!["outlay.total".to_string()];
    names.extend(s.years().map(|y| format!("outlay.year.{y}")));
    names.extend(
        [
            "outlay.after_horizon",
            "outlay.funder.city",
            "outlay.funder.district",
        ]
        .map(String::from),
    );
    names
}

/// The metrics a comparison leads with: the headline outlay, then the counts a policy
/// is meant to move.
pub fn headline_metrics(s: &Scenario) -> Vec<String> {
    let mut names = headline_outlay(s);
    names.extend(["listings.new", "firms.entered"].map(String::from));
    names
}

/// Names and positions of every per-replication metric, and of the monthly series.
#[derive(Debug, Clone)]
pub struct MetricLayout {
    pub names: Vec<String>,
    /// Position of each name: targets look their metric up, and a scenario may hold
    /// 100,000 targets (each one a metric too), so a linear scan would be quadratic.
    index: std::collections::BTreeMap<String, usize>,
    pub first_year: i32,
    pub years: usize,
    pub instruments: usize,
    pub lines: usize,
    pub tiers: usize,
    pub stages: usize,
    pub districts: usize,
    pub targets: usize,
    // Offsets of each block in the row.
    pub outlay_total: usize,
    pub outlay_year: usize,
    pub outlay_beyond: usize,
    pub outlay_instrument: usize,
    pub outlay_funder: usize,
    pub outlay_line: usize,
    pub outlay_line_year: usize,
    pub outlay_instrument_year: usize,
    pub demand_line_year: usize,
    pub carried_line_year: usize,
    pub firms_count: usize,
    pub firms_first_certified: usize,
    pub firms_certified: usize,
    pub firms_entered: usize,
    pub firms_exited: usize,
    pub listing_stage_entries: usize,
    pub listings_new: usize,
    pub ipo_regime: usize,
    pub nev: usize,
    pub target: usize,
    /// The blocks of a run from actuals (docs/model.md, "Runs from actuals"); `None` for a
    /// plain run, whose rows hold none of them.
    pub ledger: Option<LedgerBlocks>,
    /// Monthly series: names and month labels; values per replication are
    /// `series_names.len() * months`, series-major.
    pub series_names: Vec<&'static str>,
    pub months: usize,
    pub month_labels: Vec<String>,
}

/// Where a run from actuals keeps the ledger apart from the simulation: the outlay
/// section (`outlay.total` through `outlay.instrument.<id>.<year>`) again as `outlay.actual.*`
/// (the ledger) and `outlay.remaining.*` (paid from the as-of date on), and the demand per
/// line-year from the as-of date on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LedgerBlocks {
    pub actual: usize,
    pub remaining: usize,
    pub demand_remaining_line_year: usize,
}

impl LedgerBlocks {
    /// Appends the blocks to `names`, whose `outlay` range is the outlay section.
    fn append(
        names: &mut Vec<String>,
        outlay: std::ops::Range<usize>,
        demand_remaining: Vec<String>,
    ) -> LedgerBlocks {
        let section: Vec<String> = names[outlay].to_vec();
        let mut block = |part: &str| {
            let prefix = format!("outlay.{part}.");
            let at = names.len();
            names.extend(section.iter().map(|n| n.replacen("outlay.", &prefix, 1)));
            at
        };
        let actual = block("actual");
        let remaining = block("remaining");
        let demand_remaining_line_year = names.len();
        names.extend(demand_remaining);
        LedgerBlocks {
            actual,
            remaining,
            demand_remaining_line_year,
        }
    }
}

pub const SERIES: [&str; 3] = [
    "outlay.cumulative",
    "firms.first_certified.cumulative",
    "listings.cumulative",
];
pub const SERIES_OUTLAY: usize = 0;
pub const SERIES_FIRST_CERTIFIED: usize = 1;
pub const SERIES_LISTINGS: usize = 2;

/// A row's metric names, appended block by block.
struct Names(Vec<String>);

impl Names {
    /// Appends `items` as one block and returns where it starts.
    fn block(&mut self, items: impl IntoIterator<Item = String>) -> usize {
        let at = self.0.len();
        self.0.extend(items);
        at
    }
}

/// `PREFIX.<line>.<year>` for every budget line and year, line-major.
fn per_line_year(s: &Scenario, years: &[i32], prefix: &str) -> Vec<String> {
    s.budget_lines
        .iter()
        .flat_map(|l| years.iter().map(move |y| format!("{prefix}.{}.{y}", l.id)))
        .collect()
}

/// Where the money blocks start: the outlay section (`outlay.total` through
/// `outlay.instrument.<id>.<year>`), then demand and carried-over liability per line-year.
struct MoneyBlocks {
    outlay_total: usize,
    outlay_year: usize,
    outlay_beyond: usize,
    outlay_instrument: usize,
    outlay_funder: usize,
    outlay_line: usize,
    outlay_line_year: usize,
    outlay_instrument_year: usize,
    demand_line_year: usize,
    carried_line_year: usize,
}

impl MoneyBlocks {
    fn append(names: &mut Names, s: &Scenario, years: &[i32]) -> MoneyBlocks {
        let instruments = s.instruments.iter();
        let lines = s.budget_lines.iter();
        MoneyBlocks {
            outlay_total: names.block(["outlay.total".into()]),
            outlay_year: names.block(years.iter().map(|y| format!("outlay.year.{y}"))),
            outlay_beyond: names.block(["outlay.after_horizon".into()]),
            outlay_instrument: names
                .block(instruments.map(|i| format!("outlay.instrument.{}", i.id))),
            outlay_funder: names
                .block(["outlay.funder.city".into(), "outlay.funder.district".into()]),
            outlay_line: names.block(lines.map(|l| format!("outlay.line.{}", l.id))),
            outlay_line_year: names.block(per_line_year(s, years, "outlay.line")),
            outlay_instrument_year: names.block(s.instruments.iter().flat_map(|i| {
                years
                    .iter()
                    .map(move |y| format!("outlay.instrument.{}.{y}", i.id))
            })),
            demand_line_year: names.block(per_line_year(s, years, "demand.line")),
            carried_line_year: names.block(per_line_year(s, years, "carried.line")),
        }
    }
}

/// Where the firm blocks start: counts at the end, first and all certifications per
/// tier, entries and exits.
struct FirmBlocks {
    count: usize,
    first_certified: usize,
    certified: usize,
    entered: usize,
    exited: usize,
}

impl FirmBlocks {
    fn append(names: &mut Names, tiers: &[crate::scenario::types::Tier]) -> FirmBlocks {
        let per_tier = |what: &str| -> Vec<String> {
            tiers
                .iter()
                .map(|t| format!("firms.{what}.{}", t.id))
                .collect()
        };
        FirmBlocks {
            count: names.block(per_tier("count")),
            first_certified: names.block(per_tier("first_certified")),
            certified: names.block(per_tier("certified")),
            entered: names.block(["firms.entered".into()]),
            exited: names.block(["firms.exited".into()]),
        }
    }
}

impl MetricLayout {
    /// The layout of a plain run.
    pub fn new(s: &Scenario) -> MetricLayout {
        MetricLayout::build(s, false)
    }

    /// The layout of a run from actuals: a plain run's metrics and the `LedgerBlocks`.
    pub fn from_actuals(s: &Scenario) -> MetricLayout {
        MetricLayout::build(s, true)
    }

    fn build(s: &Scenario, actuals: bool) -> MetricLayout {
        let mut names = Names(Vec::new());
        let years: Vec<i32> = s.years().collect();
        let tiers = &s.tiers[1..];
        let money = MoneyBlocks::append(&mut names, s, &years);
        let ledger = actuals.then(|| {
            let demand = per_line_year(s, &years, "demand.remaining.line");
            let outlay = money.outlay_total..money.demand_line_year;
            LedgerBlocks::append(&mut names.0, outlay, demand)
        });
        let firms = FirmBlocks::append(&mut names, tiers);
        let stages = s.listing.stages.iter();
        let listing_stage_entries =
            names.block(stages.map(|st| format!("listings.stage.{}", st.id)));
        let listings_new = names.block(["listings.new".into()]);
        let ipo_regime = names.block(["ipo.regime".into()]);
        let nev = names.block(NevQuantity::ALL.iter().flat_map(|q| {
            s.districts
                .iter()
                .map(|d| d.id.as_str())
                .chain(std::iter::once("total"))
                .map(move |d| format!("{}.{d}", q.metric_base()))
        }));
        let target = names.block(s.targets.iter().map(|t| format!("target.{}", t.id)));
        let names = names.0;
        let months = s.calendar.month_count();
        MetricLayout {
            index: names
                .iter()
                .enumerate()
                .map(|(i, n)| (n.clone(), i))
                .collect(),
            names,
            first_year: s.calendar.first_year(),
            years: years.len(),
            instruments: s.instruments.len(),
            lines: s.budget_lines.len(),
            tiers: tiers.len(),
            stages: s.listing.stages.len(),
            districts: s.districts.len(),
            targets: s.targets.len(),
            outlay_total: money.outlay_total,
            outlay_year: money.outlay_year,
            outlay_beyond: money.outlay_beyond,
            outlay_instrument: money.outlay_instrument,
            outlay_funder: money.outlay_funder,
            outlay_line: money.outlay_line,
            outlay_line_year: money.outlay_line_year,
            outlay_instrument_year: money.outlay_instrument_year,
            demand_line_year: money.demand_line_year,
            carried_line_year: money.carried_line_year,
            firms_count: firms.count,
            firms_first_certified: firms.first_certified,
            firms_certified: firms.certified,
            firms_entered: firms.entered,
            firms_exited: firms.exited,
            listing_stage_entries,
            listings_new,
            ipo_regime,
            nev,
            target,
            ledger,
            series_names: SERIES.to_vec(),
            months,
            month_labels: (0..months).map(|i| s.calendar.month_label(i)).collect(),
        }
    }

    /// The width of the outlay section (`outlay.total` through `outlay.instrument.<id>.<year>`).
    pub fn outlay_section_len(&self) -> usize {
        self.demand_line_year - self.outlay_total
    }

    pub fn len(&self) -> usize {
        self.names.len()
    }

    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }

    pub fn series_len(&self) -> usize {
        self.series_names.len() * self.months
    }

    pub fn index_of(&self, name: &str) -> Option<usize> {
        self.index.get(name).copied()
    }

    /// The flow metrics a payment of `amount` under instrument `i` adds to, with what it
    /// adds to each: the total, the instrument's, each funder's share, its budget line's.
    /// The simulated settlement and the ledger of a run from actuals both add through it.
    #[inline]
    pub fn payment_flows(&self, s: &Scenario, i: usize, amount: f64) -> [(usize, f64); 5] {
        let inst = &s.instruments[i];
        [
            (self.outlay_total, amount),
            (self.outlay_instrument + i, amount),
            (self.outlay_funder, amount * inst.city_share),
            (self.outlay_funder + 1, amount * (1.0 - inst.city_share)),
            (self.outlay_line + inst.budget_line, amount),
        ]
    }

    /// Position of `(line, year offset)` within a per-line-per-year block.
    pub fn line_year(&self, line: usize, year: usize) -> usize {
        line * self.years + year
    }

    /// Position of `(instrument, year offset)` within the per-instrument-per-year block.
    pub fn instrument_year(&self, instrument: usize, year: usize) -> usize {
        instrument * self.years + year
    }

    /// Position of a district quantity (`district == districts` means the total).
    pub fn nev_at(&self, quantity: NevQuantity, district: usize) -> usize {
        self.nev + quantity.index() * (self.districts + 1) + district
    }
}
