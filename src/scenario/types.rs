//! The resolved scenario: defaults applied, `extends` merged, ids turned into indices,
//! dates into day numbers. The engine sees only this.

use rand::distr::weighted::WeightedIndex;

use super::dist::Dist;
use crate::calendar::Calendar;

/// Index of a tier; 0 is the implicit `none` tier, 1.. the scenario's tiers lowest first.
pub type TierIx = usize;
pub const NO_TIER: TierIx = 0;

/// A number fixed in the scenario, or one drawn once per replication.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Param {
    Const(f64),
    /// Index into the replication's parameter draws (`Scenario::uncertain`).
    Drawn(usize),
}

/// A parameter drawn once per replication, clamped to the range its meaning allows.
#[derive(Debug, Clone)]
pub struct UncertainParam {
    pub key_path: String,
    pub dist: Dist,
    pub min: f64,
    pub max: f64,
}

#[derive(Debug, Clone)]
pub struct Scenario {
    pub name: String,
    pub title: String,
    pub calendar: Calendar,
    /// Day numbers (exclusive: midnight after the last day) of the policy window's end
    /// and of the last payment simulated. Every window in the engine is half-open.
    pub end: f64,
    pub payments_until: f64,
    pub fx_cny_per_usd: f64,
    pub replications: u64,
    pub seed: u64,
    pub tiers: Vec<Tier>,
    pub certification: Certification,
    pub cohorts: Vec<Cohort>,
    pub entry: Entry,
    pub growth: Growth,
    pub listing: Listing,
    pub occurrences: Vec<Occurrence>,
    pub instruments: Vec<Instrument>,
    pub budget_lines: Vec<BudgetLine>,
    pub nev: Nev,
    pub districts: Vec<District>,
    pub targets: Vec<Target>,
    pub uncertain: Vec<UncertainParam>,
    /// `[actuals]`: run from what has happened (docs/model.md, Runs from actuals).
    pub actuals: Option<ActualsSection>,
}

/// The `[actuals]` section: the actuals folder (resolved against the file that names
/// it) and the as-of date. `run --actuals/--as-of` override it.
#[derive(Debug, Clone, PartialEq)]
pub struct ActualsSection {
    pub dir: std::path::PathBuf,
    pub as_of: chrono::NaiveDate,
}

impl Scenario {
    /// Years reported: from the first calendar year to the year of `payments_until`.
    pub fn years(&self) -> std::ops::RangeInclusive<i32> {
        self.calendar.first_year()..=self.calendar.last_year()
    }

    /// Years budgeted (`budget.csv`'s rows): from the year of `start` to the year of
    /// `payments_until`. The calendar may begin earlier (the NEV plan's `[nev] start`),
    /// but the policy pays nothing before its start.
    pub fn budget_years(&self) -> std::ops::RangeInclusive<i32> {
        use chrono::Datelike;
        self.calendar.date(0.0).year()..=self.calendar.last_year()
    }
}

#[derive(Debug, Clone)]
pub struct Tier {
    pub id: String,
    pub label: String,
    pub routes: Vec<Route>,
}

/// One way to qualify for a tier: young enough and valuable enough.
#[derive(Debug, Clone, Copy)]
pub struct Route {
    pub max_age_years: f64,
    pub min_valuation_usd: f64,
    /// ln(min_valuation_usd): valuations are compared on the log scale the walk runs on.
    pub min_log_valuation_usd: f64,
}

#[derive(Debug, Clone)]
pub struct Certification {
    /// Every date on which some tier is reviewed, in order.
    pub dates: Vec<f64>,
    /// For each date: the tiers reviewed then (bit `t` set for tier `t`). Every tier is
    /// reviewed on `[certification].dates` unless `dates_by_tier` gives it dates of its own.
    pub reviewed: Vec<u32>,
    pub apply_probability: Param,
}

/// Where firms are placed: district weights and the NEV-sector share.
#[derive(Debug, Clone)]
pub struct Placement {
    /// District indices and their weights; `None` when firms have no district.
    pub districts: Option<(Vec<usize>, WeightedIndex<f64>)>,
    pub nev_probability: f64,
}

#[derive(Debug, Clone)]
pub struct Cohort {
    pub id: String,
    pub tier: TierIx,
    pub count: u64,
    pub valuation_usd: Dist,
    pub age_years: Dist,
    pub listing_stage: Option<usize>,
    pub placement: Placement,
}

#[derive(Debug, Clone)]
pub struct Entry {
    pub rate_per_year: Param,
    pub attraction_multiplier: Param,
    pub tier: TierIx,
    pub valuation_usd: Dist,
    pub age_years: Dist,
    pub placement: Placement,
}

#[derive(Debug, Clone)]
pub struct Growth {
    pub drift_per_year: Param,
    pub volatility_per_year: Param,
    pub rounds_per_year: Param,
    pub round_step_up: Dist,
    /// By tier index (0 = none).
    pub exit_hazard_per_year: Vec<Param>,
}

#[derive(Debug, Clone)]
pub struct ListingStage {
    pub id: String,
    pub label: String,
    pub months: Dist,
    pub pass: Param,
}

#[derive(Debug, Clone)]
pub struct IpoRegime {
    pub id: String,
    pub label: String,
    pub weight: f64,
    pub pass_multiplier: f64,
    pub months_multiplier: f64,
}

#[derive(Debug, Clone)]
pub struct Listing {
    pub entry_hazard_per_year: Vec<Param>,
    pub stages: Vec<ListingStage>,
    pub regimes: Vec<IpoRegime>,
    pub regime_index: WeightedIndex<f64>,
}

impl Listing {
    /// The pseudo-stage index that means "listed".
    pub fn listed(&self) -> usize {
        self.stages.len()
    }
}

#[derive(Debug, Clone)]
pub enum OccurrenceProcess {
    /// A Poisson process per firm with a rate by tier.
    Rate(Vec<Param>),
    /// An assessment on given dates: each firm in one of `tiers` has the occurrence with
    /// the probability of its tier.
    Scheduled {
        dates: Vec<f64>,
        probability: Vec<Param>,
        tiers: Vec<bool>,
    },
}

#[derive(Debug, Clone)]
pub struct Occurrence {
    pub id: String,
    pub label: String,
    pub process: OccurrenceProcess,
    pub magnitude: Option<Dist>,
}

#[derive(Debug, Clone)]
pub enum InstrumentKind {
    Fixed {
        amount: Dist,
    },
    UpTo {
        cap: f64,
        fraction: Dist,
    },
    Matching {
        ratio: f64,
        cap: Option<f64>,
    },
    CostShare {
        ratio: f64,
        cap: Option<f64>,
    },
    /// Ascending `(from, pays)`: pays the highest bracket with `from <= magnitude`.
    Tiered {
        brackets: Vec<(f64, f64)>,
    },
    Stipend {
        amount_per_month: f64,
        months: u32,
    },
}

impl InstrumentKind {
    pub fn name(&self) -> &'static str {
        match self {
            InstrumentKind::Fixed { .. } => "fixed",
            InstrumentKind::UpTo { .. } => "up_to",
            InstrumentKind::Matching { .. } => "matching",
            InstrumentKind::CostShare { .. } => "cost_share",
            InstrumentKind::Tiered { .. } => "tiered",
            InstrumentKind::Stipend { .. } => "stipend",
        }
    }

    pub fn needs_magnitude(&self) -> bool {
        matches!(
            self,
            InstrumentKind::Matching { .. }
                | InstrumentKind::CostShare { .. }
                | InstrumentKind::Tiered { .. }
        )
    }
}

/// What an instrument pays on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trigger {
    FirstCertified(TierIx),
    Certified(TierIx),
    /// Entering a listing stage; `Listing::listed()` means listing.
    ListingStage(usize),
    Occurrence(usize),
}

#[derive(Debug, Clone)]
pub struct Instrument {
    pub id: String,
    pub label: String,
    pub clause: String,
    pub kind: InstrumentKind,
    pub trigger: Trigger,
    /// By tier index (0 = none).
    pub eligible: Vec<bool>,
    pub take_up: Param,
    pub payment_lag_months: Dist,
    /// Half-open window [valid_from, valid_to) of trigger days.
    pub valid_from: f64,
    pub valid_to: f64,
    pub city_share: f64,
    pub budget_line: usize,
    pub max_per_firm: Option<u32>,
    /// At most this many yuan owed to one firm over the run (e.g. 最高1000万元 per firm).
    pub cap_per_firm: Option<f64>,
    pub enabled: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Overflow {
    None,
    Defer,
    Prorate,
}

impl Overflow {
    pub fn name(self) -> &'static str {
        match self {
            Overflow::None => "none",
            Overflow::Defer => "defer",
            Overflow::Prorate => "prorate",
        }
    }
}

#[derive(Debug, Clone)]
pub struct BudgetLine {
    pub id: String,
    pub label: String,
    /// By year offset from the calendar's first year; `None` = no limit that year.
    pub appropriation: Vec<Option<f64>>,
    pub overflow: Overflow,
}

#[derive(Debug, Clone)]
pub struct Nev {
    /// Day the district processes start (may be before the scenario start).
    pub start: f64,
    pub base_year: i32,
    pub scale_common_shock_correlation: Param,
}

#[derive(Debug, Clone)]
pub struct ProjectFlow {
    pub rate_per_year: Param,
    pub investment_100m_cny: Dist,
    pub head_probability: Param,
}

#[derive(Debug, Clone)]
pub struct SpecializedBatches {
    pub dates: Vec<f64>,
    pub candidates: u64,
    pub probability: Param,
}

#[derive(Debug, Clone)]
pub struct AboveScale {
    pub firms: u64,
    pub births_per_year: Param,
    pub death_hazard_per_year: Param,
}

#[derive(Debug, Clone)]
pub struct District {
    pub id: String,
    pub label: String,
    pub scale_100m_cny: f64,
    pub scale_drift_per_year: Param,
    pub scale_volatility_per_year: Param,
    pub projects: ProjectFlow,
    pub upgrades: ProjectFlow,
    pub specialized: SpecializedBatches,
    /// (listing stage index, count) of candidate firms at the NEV start.
    pub listing_candidates: Vec<(usize, u64)>,
    pub above_scale: AboveScale,
}

/// A district-level quantity a target can be set on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NevQuantity {
    Scale,
    ProjectsCount,
    ProjectsInvestment,
    ProjectsMid,
    ProjectsLarge,
    ProjectsHead,
    UpgradesCount,
    UpgradesInvestment,
    NewListed,
    NewSpecialized,
    AboveScaleFirms,
}

impl NevQuantity {
    pub const ALL: [NevQuantity; 11] = [
        NevQuantity::Scale,
        NevQuantity::ProjectsCount,
        NevQuantity::ProjectsInvestment,
        NevQuantity::ProjectsMid,
        NevQuantity::ProjectsLarge,
        NevQuantity::ProjectsHead,
        NevQuantity::UpgradesCount,
        NevQuantity::UpgradesInvestment,
        NevQuantity::NewListed,
        NevQuantity::NewSpecialized,
        NevQuantity::AboveScaleFirms,
    ];

    pub fn metric_base(self) -> &'static str {
        match self {
            NevQuantity::Scale => "nev.scale",
            NevQuantity::ProjectsCount => "nev.projects.count",
            NevQuantity::ProjectsInvestment => "nev.projects.investment",
            NevQuantity::ProjectsMid => "nev.projects.mid",
            NevQuantity::ProjectsLarge => "nev.projects.large",
            NevQuantity::ProjectsHead => "nev.projects.head",
            NevQuantity::UpgradesCount => "nev.upgrades.count",
            NevQuantity::UpgradesInvestment => "nev.upgrades.investment",
            NevQuantity::NewListed => "nev.new_listed",
            NevQuantity::NewSpecialized => "nev.new_specialized",
            NevQuantity::AboveScaleFirms => "nev.above_scale_firms",
        }
    }

    /// Its position in `ALL` (the declaration order).
    pub fn index(self) -> usize {
        self as usize
    }

    /// Levels are read at a date; flows are summed over a window.
    pub fn is_level(self) -> bool {
        matches!(self, NevQuantity::Scale | NevQuantity::AboveScaleFirms)
    }
}

/// The window a target's metric is read over.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum TargetWindow {
    /// Flows during the calendar year; levels at its end.
    Year(i32),
    /// Flows from the process start up to (excluding) the day, which is the midnight after
    /// the `by` date; levels in the year of the `by` date.
    By(f64),
}

#[derive(Debug, Clone)]
pub enum TargetMetric {
    /// A district quantity; `district = None` is the city-wide sum.
    Nev {
        quantity: NevQuantity,
        district: Option<usize>,
        window: TargetWindow,
    },
    /// Any metric of the run's summary, read at the end of the run (index into the layout).
    Summary(String),
    /// A flow metric of the run's summary summed over the days `[from, to)`
    /// (`metric_window`).
    Flow { metric: String, from: f64, to: f64 },
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Comparator {
    AtLeast(f64),
    AtMost(f64),
}

impl Comparator {
    pub fn attained(self, value: f64) -> bool {
        match self {
            Comparator::AtLeast(x) => value >= x,
            Comparator::AtMost(x) => value <= x,
        }
    }

    /// The scenario key that sets it, as `targets.csv` writes it.
    pub fn key(self) -> &'static str {
        match self {
            Comparator::AtLeast(_) => "at_least",
            Comparator::AtMost(_) => "at_most",
        }
    }

    /// The sign shown before the threshold in the report and on the terminal.
    pub fn symbol(self) -> &'static str {
        match self {
            Comparator::AtLeast(_) => "≥",
            Comparator::AtMost(_) => "≤",
        }
    }

    pub fn threshold(self) -> f64 {
        match self {
            Comparator::AtLeast(x) | Comparator::AtMost(x) => x,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Target {
    pub id: String,
    pub label: String,
    /// The metric's name as shown (`nev.scale.wujin`, `nev.new_listed.total`).
    pub metric_name: String,
    pub metric: TargetMetric,
    pub comparator: Comparator,
    pub window_label: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_quantitys_index_is_its_place_in_all() {
        for (k, q) in NevQuantity::ALL.iter().enumerate() {
            assert_eq!(q.index(), k, "{}", q.metric_base());
        }
    }
}
