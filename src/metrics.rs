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
/// section (`outlay.total` through `outlay.line.<id>.<year>`) again as `outlay.actual.*`
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
        let mut names: Vec<String> = Vec::new();
        let years: Vec<i32> = s.years().collect();
        let tiers = &s.tiers[1..];
        let block = |names: &mut Vec<String>, items: Vec<String>| {
            let at = names.len();
            names.extend(items);
            at
        };
        let outlay_total = block(&mut names, vec!["outlay.total".into()]);
        let outlay_year = block(
            &mut names,
            years.iter().map(|y| format!("outlay.year.{y}")).collect(),
        );
        let outlay_beyond = block(&mut names, vec!["outlay.after_horizon".into()]);
        let outlay_instrument = block(
            &mut names,
            s.instruments
                .iter()
                .map(|i| format!("outlay.instrument.{}", i.id))
                .collect(),
        );
        let outlay_funder = block(
            &mut names,
            vec!["outlay.funder.city".into(), "outlay.funder.district".into()],
        );
        let outlay_line = block(
            &mut names,
            s.budget_lines
                .iter()
                .map(|l| format!("outlay.line.{}", l.id))
                .collect(),
        );
        let per_line_year = |prefix: &str| -> Vec<String> {
            s.budget_lines
                .iter()
                .flat_map(|l| years.iter().map(move |y| format!("{prefix}.{}.{y}", l.id)))
                .collect()
        };
        let outlay_line_year = block(&mut names, per_line_year("outlay.line"));
        let demand_line_year = block(&mut names, per_line_year("demand.line"));
        let carried_line_year = block(&mut names, per_line_year("carried.line"));
        let ledger = actuals.then(|| {
            let demand = per_line_year("demand.remaining.line");
            LedgerBlocks::append(&mut names, outlay_total..demand_line_year, demand)
        });
        let firms_count = block(
            &mut names,
            tiers
                .iter()
                .map(|t| format!("firms.count.{}", t.id))
                .collect(),
        );
        let firms_first_certified = block(
            &mut names,
            tiers
                .iter()
                .map(|t| format!("firms.first_certified.{}", t.id))
                .collect(),
        );
        let firms_certified = block(
            &mut names,
            tiers
                .iter()
                .map(|t| format!("firms.certified.{}", t.id))
                .collect(),
        );
        let firms_entered = block(&mut names, vec!["firms.entered".into()]);
        let firms_exited = block(&mut names, vec!["firms.exited".into()]);
        let listing_stage_entries = block(
            &mut names,
            s.listing
                .stages
                .iter()
                .map(|st| format!("listings.stage.{}", st.id))
                .collect(),
        );
        let listings_new = block(&mut names, vec!["listings.new".into()]);
        let ipo_regime = block(&mut names, vec!["ipo.regime".into()]);
        let nev = block(
            &mut names,
            NevQuantity::ALL
                .iter()
                .flat_map(|q| {
                    s.districts
                        .iter()
                        .map(|d| d.id.as_str())
                        .chain(std::iter::once("total"))
                        .map(move |d| format!("{}.{d}", q.metric_base()))
                })
                .collect(),
        );
        let target = block(
            &mut names,
            s.targets
                .iter()
                .map(|t| format!("target.{}", t.id))
                .collect(),
        );
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
            outlay_total,
            outlay_year,
            outlay_beyond,
            outlay_instrument,
            outlay_funder,
            outlay_line,
            outlay_line_year,
            demand_line_year,
            carried_line_year,
            firms_count,
            firms_first_certified,
            firms_certified,
            firms_entered,
            firms_exited,
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

    /// The width of the outlay section (`outlay.total` through `outlay.line.<id>.<year>`).
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

    /// Position of a district quantity (`district == districts` means the total).
    pub fn nev_at(&self, quantity: NevQuantity, district: usize) -> usize {
        self.nev + quantity.index() * (self.districts + 1) + district
    }
}
