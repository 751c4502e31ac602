//! Small valid scenarios for the property tests (tests/properties.rs): proptest strategies
//! for every kind of instrument, trigger and overflow rule, written as a scenario file.
//!
//! Every money value (amounts, caps, magnitudes, brackets, appropriations) is written
//! times a factor, so that one description gives a scenario and the same scenario with
//! every amount doubled. Nothing else (counts, rates, probabilities, valuations in USD,
//! durations) depends on the factor, so both draw the same random numbers.
//!
//! A lognormal is drawn as exp(ln(median) + σz), and ln(2m) is not exactly ln(m) + ln 2
//! in floating point: with `lognormal_money` false, money is never lognormal (amounts are
//! numbers, uniform, gamma or discrete, magnitudes gamma), so that doubling it is exact.

use std::fmt::Write as _;

use proptest::prelude::*;

/// Years of the policy window: 2024 to 2024 + `extra_years`.
const FIRST_YEAR: i32 = 2024;

#[derive(Debug, Clone)]
pub struct Generated {
    pub extra_years: i32,
    pub tiers: usize,
    pub apply_probability: f64,
    pub cohorts: Vec<(usize, u32, f64)>,
    pub entry_rate: f64,
    pub drift: f64,
    pub volatility: f64,
    pub stages: Vec<(f64, f64)>,
    pub occurrence: Occurrence,
    pub instruments: Vec<Instrument>,
    /// Per line: its overflow rule and an appropriation (or none) for each year.
    pub lines: Vec<(Overflow, Vec<Option<f64>>)>,
    pub district: bool,
    /// Whether amounts and magnitudes may be lognormal (see the module's doc).
    pub lognormal_money: bool,
}

#[derive(Debug, Clone, Copy)]
pub enum Overflow {
    None,
    Defer,
    Prorate,
}

#[derive(Debug, Clone)]
pub enum Occurrence {
    Rate(f64),
    Scheduled(f64),
}

#[derive(Debug, Clone)]
pub struct Instrument {
    pub kind: Kind,
    pub trigger: u8,
    pub take_up: f64,
    pub lag_months: f64,
    pub max_per_firm: Option<u32>,
    pub cap_per_firm: Option<f64>,
    pub city_eighths: u8,
    pub line: usize,
}

#[derive(Debug, Clone)]
pub enum Kind {
    Fixed(Amount),
    UpTo { cap: f64, alpha: f64 },
    Matching { ratio: f64, cap: Option<f64> },
    CostShare { ratio: f64, cap: Option<f64> },
    Tiered(Vec<(f64, f64)>),
    Stipend { amount: f64, months: u32 },
}

/// A money amount drawn per event: a number or a distribution of one.
#[derive(Debug, Clone)]
pub enum Amount {
    Number(f64),
    Uniform(f64, f64),
    Lognormal(f64, f64),
    Gamma(f64, f64),
    Discrete(Vec<f64>),
}

fn money() -> impl Strategy<Value = f64> {
    1.0e3..5.0e6f64
}

fn amount(lognormal: bool) -> impl Strategy<Value = Amount> {
    prop_oneof![
        money().prop_map(Amount::Number),
        (money(), money()).prop_map(|(a, b)| Amount::Uniform(a.min(b), a.max(b))),
        (money(), 0.1..1.0f64).prop_map(move |(m, s)| if lognormal {
            Amount::Lognormal(m, s)
        } else {
            Amount::Gamma(1.0 / s, m)
        }),
        prop::collection::vec(money(), 1..4).prop_map(Amount::Discrete),
    ]
}

fn kind(lognormal: bool) -> impl Strategy<Value = Kind> {
    prop_oneof![
        amount(lognormal).prop_map(Kind::Fixed),
        (money(), 0.5..4.0f64).prop_map(|(cap, alpha)| Kind::UpTo { cap, alpha }),
        (0.05..1.0f64, prop::option::of(money()))
            .prop_map(|(ratio, cap)| Kind::Matching { ratio, cap }),
        (0.05..1.0f64, prop::option::of(money()))
            .prop_map(|(ratio, cap)| Kind::CostShare { ratio, cap }),
        prop::collection::vec((money(), money()), 1..4).prop_map(|mut b| {
            // Ascending `from`, as the format requires.
            b.sort_by(|x, y| x.0.total_cmp(&y.0));
            b.dedup_by(|x, y| x.0 == y.0);
            Kind::Tiered(b)
        }),
        (money(), 1..24u32).prop_map(|(amount, months)| Kind::Stipend { amount, months }),
    ]
}

fn instrument(lines: usize, lognormal: bool) -> impl Strategy<Value = Instrument> {
    (
        kind(lognormal),
        0..4u8,
        0.2..=1.0f64,
        0.0..12.0f64,
        prop::option::of(1..3u32),
        prop::option::of(money()),
        0..=8u8,
        0..lines,
    )
        .prop_map(
            |(
                kind,
                trigger,
                take_up,
                lag_months,
                max_per_firm,
                cap_per_firm,
                city_eighths,
                line,
            )| {
                Instrument {
                    kind,
                    trigger,
                    take_up,
                    lag_months,
                    max_per_firm,
                    cap_per_firm,
                    city_eighths,
                    line,
                }
            },
        )
}

fn overflow() -> impl Strategy<Value = Overflow> {
    prop_oneof![
        Just(Overflow::None),
        Just(Overflow::Defer),
        Just(Overflow::Prorate)
    ]
}

/// Scenarios whose budget lines follow `overflow` (any rule when `None`), with lognormal
/// money or not.
pub fn scenario(
    overflow_rule: Option<Overflow>,
    lognormal_money: bool,
) -> impl Strategy<Value = Generated> {
    let rule = match overflow_rule {
        Some(o) => Just(o).boxed(),
        None => overflow().boxed(),
    };
    (0..3i32, 1..=2usize, 1..=2usize).prop_flat_map(move |(extra_years, tiers, lines)| {
        let years = (extra_years + 1) as usize;
        let line = (
            rule.clone(),
            prop::collection::vec(prop::option::weighted(0.7, 1.0e5..2.0e7f64), years),
        );
        (
            (
                Just(extra_years),
                Just(tiers),
                0.3..=1.0f64,
                prop::collection::vec((0..=tiers, 1..6u32, 0.1..1.0f64), 1..3),
                0.0..3.0f64,
                -0.1..0.3f64,
                0.0..0.5f64,
            ),
            (
                prop::collection::vec((6.0..18.0f64, 0.3..0.9f64), 1..3),
                prop_oneof![
                    (0.1..1.0f64).prop_map(Occurrence::Rate),
                    (0.2..=1.0f64).prop_map(Occurrence::Scheduled)
                ],
                prop::collection::vec(instrument(lines, lognormal_money), 1..5),
                prop::collection::vec(line, lines),
                any::<bool>(),
            ),
        )
            .prop_map(
                move |(
                    (extra_years, tiers, apply_probability, cohorts, entry_rate, drift, volatility),
                    (stages, occurrence, instruments, lines, district),
                )| Generated {
                    extra_years,
                    tiers,
                    apply_probability,
                    cohorts,
                    entry_rate,
                    drift,
                    volatility,
                    stages,
                    occurrence,
                    instruments,
                    lines,
                    district,
                    lognormal_money,
                },
            )
    })
}

impl Generated {
    pub fn last_year(&self) -> i32 {
        FIRST_YEAR + self.extra_years
    }

    /// The scenario file, every money value times `factor`.
    pub fn toml(&self, factor: f64) -> String {
        let m = |x: f64| format!("{:?}", x * factor);
        let mut o = String::new();
        let last = self.last_year();
        let _ = writeln!(
            o,
            "[scenario]\nname = \"generated\"\nstart = \"{FIRST_YEAR}-01-01\"\n\
             end = \"{last}-12-31\"\nfx_cny_per_usd = 7.0\n"
        );
        for t in 0..self.tiers {
            let bar = 2.0e8 * (t + 1) as f64;
            let _ = writeln!(
                o,
                "[[tier]]\nid = \"t{t}\"\nroutes = [{{ max_age_years = 15, min_valuation_usd = {bar:?} }}]\n"
            );
        }
        let dates: Vec<String> = (FIRST_YEAR..=last)
            .map(|y| format!("\"{y}-06-30\""))
            .collect();
        let _ = writeln!(
            o,
            "[certification]\ndates = [{}]\napply_probability = {:?}\n",
            dates.join(", "),
            self.apply_probability
        );
        for (k, (tier, count, sigma)) in self.cohorts.iter().enumerate() {
            let tier = self.tier_name(*tier);
            let _ = writeln!(
                o,
                "[[cohort]]\nid = \"c{k}\"\ntier = \"{tier}\"\ncount = {count}\n\
                 valuation_usd = {{ dist = \"lognormal\", median = 4.0e8, sigma = {sigma:?} }}\n\
                 age_years = {{ dist = \"uniform\", low = 1, high = 8 }}"
            );
            if self.district {
                let _ = writeln!(o, "districts = {{ d0 = 1 }}\nnev_probability = 0.5");
            }
            let _ = writeln!(o);
        }
        let _ = writeln!(
            o,
            "[entry]\nrate_per_year = {:?}\nvaluation_usd = 3.0e8\nage_years = 1\n\n\
             [growth]\ndrift_per_year = {:?}\nvolatility_per_year = {:?}\n\
             rounds_per_year = 0.5\nround_step_up = 1.5\nexit_hazard_per_year = {{ none = 0.05 }}\n",
            self.entry_rate, self.drift, self.volatility
        );
        let stages: Vec<String> = self
            .stages
            .iter()
            .enumerate()
            .map(|(k, (months, pass))| {
                format!("{{ id = \"s{k}\", months = {months:?}, pass = {pass:?} }}")
            })
            .collect();
        let _ = writeln!(
            o,
            "[listing]\nentry_hazard_per_year = {{ t0 = 0.3 }}\nstages = [{}]\n",
            stages.join(", ")
        );
        self.occurrence_toml(&mut o, factor);
        for (k, i) in self.instruments.iter().enumerate() {
            self.instrument_toml(&mut o, k, i, &m);
        }
        for (k, (overflow, appropriation)) in self.lines.iter().enumerate() {
            let years: Vec<String> = appropriation
                .iter()
                .enumerate()
                .filter_map(|(y, a)| a.map(|a| format!("\"{}\" = {}", FIRST_YEAR + y as i32, m(a))))
                .collect();
            let overflow = match overflow {
                Overflow::None => "none",
                Overflow::Defer => "defer",
                Overflow::Prorate => "prorate",
            };
            let _ = writeln!(
                o,
                "[[budget_line]]\nid = \"b{k}\"\nappropriation = {{ {} }}\noverflow = \"{overflow}\"\n",
                years.join(", ")
            );
        }
        if self.district {
            let _ = writeln!(
                o,
                "[[district]]\nid = \"d0\"\nscale_100m_cny = 100\nscale_drift_per_year = 0.1\n\
                 projects = {{ rate_per_year = 2, investment_100m_cny = 10, head_probability = 0.5 }}\n\
                 listing_candidates = [{{ stage = \"s0\", count = 2 }}]\n\n\
                 [[target]]\nid = \"scale\"\nmetric = \"nev.scale\"\ndistrict = \"d0\"\n\
                 year = {last}\nat_least = 110\n"
            );
        }
        o
    }

    /// Tier `k` of the scenario's tiers, `none` past them.
    fn tier_name(&self, k: usize) -> String {
        if k < self.tiers {
            format!("t{k}")
        } else {
            "none".into()
        }
    }

    fn occurrence_toml(&self, o: &mut String, factor: f64) {
        let _ = writeln!(o, "[[occurrence]]\nid = \"o0\"");
        match self.occurrence {
            Occurrence::Rate(r) => {
                let _ = writeln!(o, "rate_per_year = {{ none = {r:?}, t0 = {r:?} }}");
            }
            Occurrence::Scheduled(p) => {
                let _ = writeln!(o, "dates = [\"{FIRST_YEAR}-09-30\"]\nprobability = {p:?}");
            }
        }
        let magnitude = if self.lognormal_money {
            format!(
                "{{ dist = \"lognormal\", median = {:?}, sigma = 0.8 }}",
                1.0e6 * factor
            )
        } else {
            format!(
                "{{ dist = \"gamma\", shape = 1.5, scale = {:?} }}",
                7.0e5 * factor
            )
        };
        let _ = writeln!(o, "magnitude = {magnitude}\n");
    }

    fn instrument_toml(&self, o: &mut String, k: usize, i: &Instrument, m: &dyn Fn(f64) -> String) {
        let _ = writeln!(o, "[[instrument]]\nid = \"i{k}\"");
        let (kind, on_magnitude) = kind_toml(&i.kind, m);
        let _ = writeln!(o, "{kind}");
        let trigger = match (on_magnitude, i.trigger) {
            (true, _) | (_, 3) => "{ event = \"occurrence\", occurrence = \"o0\" }".to_string(),
            (_, 0) => "{ event = \"first_certified\", tier = \"t0\" }".to_string(),
            (_, 1) => format!(
                "{{ event = \"certified\", tier = \"t{}\" }}",
                self.tiers - 1
            ),
            _ => "{ event = \"listing_stage\", stage = \"listed\" }".to_string(),
        };
        let eligible: Vec<String> = std::iter::once("\"none\"".to_string())
            .chain((0..self.tiers).map(|t| format!("\"t{t}\"")))
            .collect();
        let city = f64::from(i.city_eighths) / 8.0;
        let _ = writeln!(
            o,
            "trigger = {trigger}\neligible_tiers = [{}]\ntake_up = {:?}\npayment_lag_months = {:?}\n\
             funding = {{ city = {city:?}, district = {:?} }}\nbudget_line = \"b{}\"",
            eligible.join(", "),
            i.take_up,
            i.lag_months,
            1.0 - city,
            i.line
        );
        if let Some(n) = i.max_per_firm {
            let _ = writeln!(o, "max_per_firm = {n}");
        }
        if let (Some(c), false) = (i.cap_per_firm, matches!(i.kind, Kind::Stipend { .. })) {
            let _ = writeln!(o, "cap_per_firm = {}", m(c));
        }
        let _ = writeln!(o);
    }
}

/// The instrument kind's keys as TOML, and whether the kind pays on a magnitude (so the
/// instrument must be triggered by an occurrence).
fn kind_toml(kind: &Kind, m: &dyn Fn(f64) -> String) -> (String, bool) {
    match kind {
        Kind::Fixed(a) => (format!("kind = \"fixed\"\namount = {}", amount_toml(a, m)), false),
        Kind::UpTo { cap, alpha } => (
            format!(
                "kind = \"up_to\"\ncap = {}\nfraction = {{ dist = \"beta\", alpha = {alpha:?}, beta = 2 }}",
                m(*cap)
            ),
            false,
        ),
        Kind::Matching { ratio, cap } | Kind::CostShare { ratio, cap } => {
            let name = if matches!(kind, Kind::Matching { .. }) {
                "matching"
            } else {
                "cost_share"
            };
            let cap = cap.map(|c| format!("\ncap = {}", m(c))).unwrap_or_default();
            (format!("kind = \"{name}\"\nratio = {ratio:?}{cap}"), true)
        }
        Kind::Tiered(brackets) => {
            let b: Vec<String> = brackets
                .iter()
                .map(|(from, pays)| format!("{{ from = {}, pays = {} }}", m(*from), m(*pays)))
                .collect();
            (format!("kind = \"tiered\"\nbrackets = [{}]", b.join(", ")), true)
        }
        Kind::Stipend { amount, months } => (
            format!("kind = \"stipend\"\namount = {}\nmonths = {months}", m(*amount)),
            false,
        ),
    }
}

/// A fixed instrument's amount: a number or a distribution.
fn amount_toml(a: &Amount, m: &dyn Fn(f64) -> String) -> String {
    match a {
        Amount::Number(x) => m(*x),
        Amount::Uniform(a, b) => {
            format!(
                "{{ dist = \"uniform\", low = {}, high = {} }}",
                m(*a),
                m(*b)
            )
        }
        Amount::Lognormal(x, s) => {
            format!(
                "{{ dist = \"lognormal\", median = {}, sigma = {s:?} }}",
                m(*x)
            )
        }
        Amount::Gamma(k, x) => {
            format!(
                "{{ dist = \"gamma\", shape = {k:?}, scale = {} }}",
                m(*x / k)
            )
        }
        Amount::Discrete(v) => {
            let values: Vec<String> = v.iter().map(|x| m(*x)).collect();
            let weights: Vec<String> = (1..=v.len()).map(|w| w.to_string()).collect();
            format!(
                "{{ dist = \"discrete\", values = [{}], weights = [{}] }}",
                values.join(", "),
                weights.join(", ")
            )
        }
    }
}
