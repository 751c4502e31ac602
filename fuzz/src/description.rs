//! A compact description of a scenario that `arbitrary` can build from fuzzer bytes:
//! every section of docs/scenario-format.md, with references (tiers, stages, occurrences,
//! budget lines, districts) as small indices so that most of them resolve and some dangle
//! or repeat. `render` writes it as a scenario file.

use libfuzzer_sys::arbitrary::{self, Arbitrary};

use crate::value::{Date, Scalar};

#[derive(Arbitrary, Debug)]
pub struct ScenarioDescription {
    pub window: Window,
    pub fx_cny_per_usd: Scalar,
    pub seed: Option<Scalar>,
    /// At least one tier: a scenario without any is refused before anything else.
    pub tiers: (TierDescription, Vec<TierDescription>),
    pub certification: CertificationDescription,
    pub cohorts: Vec<CohortDescription>,
    pub entry: EntryDescription,
    pub growth: GrowthDescription,
    pub listing: ListingDescription,
    pub occurrences: (OccurrenceDescription, Vec<OccurrenceDescription>),
    pub instruments: Vec<InstrumentDescription>,
    pub budget_lines: (BudgetLineDescription, Vec<BudgetLineDescription>),
    pub nev: Option<NevDescription>,
    pub districts: Vec<DistrictDescription>,
    pub targets: Vec<TargetDescription>,
}

/// The policy window: a sensible start is 1 January of 2020..2027 and the end 1 to 3
/// years on; either can be an extreme date instead.
#[derive(Arbitrary, Debug)]
pub struct Window {
    pub start: Date,
    pub years: u8,
    pub end: Option<Date>,
    pub payments_until: Option<Date>,
}

/// A number or a distribution (docs/scenario-format.md, "Numbers and distributions").
/// Rendered around a key's typical size; a negative typical size marks a key that may be
/// negative (a drift).
#[derive(Arbitrary, Debug)]
pub enum Dist {
    Number(Scalar),
    Fixed(Scalar),
    Uniform(Scalar, Scalar),
    Triangular(Scalar, Scalar, Scalar),
    Pert(Scalar, Scalar, Scalar),
    Normal(Scalar, Scalar),
    Lognormal(Scalar, Scalar),
    Beta(Scalar, Scalar),
    Gamma(Scalar, Scalar),
    Discrete((Scalar, Vec<Scalar>), Vec<Scalar>),
}

#[derive(Arbitrary, Debug)]
pub struct TierDescription {
    pub routes: (RouteDescription, Vec<RouteDescription>),
}

#[derive(Arbitrary, Debug)]
pub struct RouteDescription {
    pub max_age_years: Scalar,
    pub min_valuation: Scalar,
    pub in_cny: bool,
}

#[derive(Arbitrary, Debug)]
pub struct CertificationDescription {
    pub dates: Vec<Date>,
    pub dates_by_tier: Vec<(u8, Vec<Date>)>,
    pub apply_probability: Dist,
}

#[derive(Arbitrary, Debug)]
pub struct CohortDescription {
    /// 255: takes the first entry's id instead of its own (ids must be unique).
    pub repeat_id: u8,
    pub tier: u8,
    pub count: Scalar,
    pub valuation_usd: Dist,
    pub age_years: Dist,
    pub listing_stage: Option<u8>,
    pub districts: Vec<(u8, Scalar)>,
    pub nev_probability: Option<Scalar>,
    pub enabled: Option<bool>,
}

#[derive(Arbitrary, Debug)]
pub struct EntryDescription {
    pub rate_per_year: Dist,
    pub attraction_multiplier: Option<Dist>,
    pub tier: Option<u8>,
    pub valuation_usd: Dist,
    pub age_years: Dist,
    pub districts: Vec<(u8, Scalar)>,
}

#[derive(Arbitrary, Debug)]
pub struct GrowthDescription {
    pub drift_per_year: Dist,
    pub volatility_per_year: Dist,
    pub rounds_per_year: Option<Dist>,
    pub round_step_up: Option<Dist>,
    pub exit_hazard_per_year: Vec<(u8, Dist)>,
}

#[derive(Arbitrary, Debug)]
pub struct ListingDescription {
    pub entry_hazard_per_year: Vec<(u8, Dist)>,
    pub stages: (StageDescription, Vec<StageDescription>),
    pub regimes: Vec<RegimeDescription>,
}

#[derive(Arbitrary, Debug)]
pub struct StageDescription {
    pub months: Dist,
    pub pass: Dist,
}

#[derive(Arbitrary, Debug)]
pub struct RegimeDescription {
    pub repeat_id: u8,
    pub weight: Scalar,
    pub pass_multiplier: Scalar,
    pub months_multiplier: Scalar,
}

#[derive(Arbitrary, Debug)]
pub struct OccurrenceDescription {
    pub process: OccurrenceProcess,
    pub magnitude: Dist,
}

#[derive(Arbitrary, Debug)]
pub enum OccurrenceProcess {
    Rate(Vec<(u8, Dist)>),
    Scheduled {
        dates: Vec<Date>,
        probability: Probability,
        /// Bit k: tier k of `tier_name` is assessed; `None`: every certified tier.
        tiers: Option<u8>,
    },
}

#[derive(Arbitrary, Debug)]
pub enum Probability {
    One(Dist),
    ByTier(Vec<(u8, Scalar)>),
}

#[derive(Arbitrary, Debug)]
pub struct InstrumentDescription {
    pub repeat_id: u8,
    pub kind: InstrumentKind,
    pub trigger: Trigger,
    /// Bit k: tier k of `tier_name` is eligible.
    pub eligible: u8,
    pub take_up: Option<Dist>,
    pub payment_lag_months: Option<Dist>,
    pub valid_from: Option<Date>,
    pub valid_to: Option<Date>,
    /// City share in eighths (so that city + district is exactly 1), or an extreme.
    pub city_share: Scalar,
    pub budget_line: u8,
    pub max_per_firm: Option<Scalar>,
    pub cap_per_firm: Option<Scalar>,
    pub enabled: Option<bool>,
}

#[derive(Arbitrary, Debug)]
pub enum InstrumentKind {
    Fixed {
        amount: Dist,
    },
    UpTo {
        cap: Scalar,
        fraction: Dist,
    },
    Matching {
        ratio: Scalar,
        cap: Option<Scalar>,
    },
    CostShare {
        ratio: Scalar,
        cap: Option<Scalar>,
    },
    Tiered {
        brackets: ((Scalar, Scalar), Vec<(Scalar, Scalar)>),
    },
    Stipend {
        amount: Scalar,
        months: Scalar,
    },
}

#[derive(Arbitrary, Debug)]
pub enum Trigger {
    FirstCertified(u8),
    Certified(u8),
    ListingStage(u8),
    Occurrence(u8),
}

#[derive(Arbitrary, Debug)]
pub struct BudgetLineDescription {
    pub appropriation: Vec<(YearKey, Scalar)>,
    pub overflow: u8,
}

/// A key of an appropriation table: a year of the scenario, or text that names a year
/// another way (`02024`) or none.
#[derive(Arbitrary, Debug)]
pub struct YearKey {
    pub year: Date,
    pub spelling: u8,
}

#[derive(Arbitrary, Debug)]
pub struct NevDescription {
    pub start: Option<Date>,
    pub base_year: Option<Date>,
    pub scale_common_shock_correlation: Option<Dist>,
}

#[derive(Arbitrary, Debug)]
pub struct DistrictDescription {
    pub repeat_id: u8,
    pub scale_100m_cny: Scalar,
    pub scale_drift_per_year: Option<Dist>,
    pub scale_volatility_per_year: Option<Dist>,
    pub projects: Option<(Dist, Dist, Dist)>,
    pub upgrades: Option<(Dist, Dist)>,
    pub specialized: Option<(Vec<Date>, Scalar, Dist)>,
    pub listing_candidates: Vec<(u8, Scalar)>,
    pub above_scale: Option<(Scalar, Dist, Dist)>,
}

#[derive(Arbitrary, Debug)]
pub struct TargetDescription {
    pub repeat_id: u8,
    pub metric: u8,
    pub district: Option<u8>,
    pub window: TargetWindow,
    pub at_least: bool,
    pub threshold: Scalar,
    pub enabled: Option<bool>,
}

#[derive(Arbitrary, Debug)]
pub enum TargetWindow {
    By(Date),
    Year(Date),
}
