//! Writes a [`ScenarioDescription`] as a scenario file (docs/scenario-format.md).
//!
//! Lists are cut to a few entries and sensible values are small (a few firms, a few
//! years), so that an accepted scenario's replication takes milliseconds; the extremes
//! come from the leaves (`value`).

use std::fmt::Write as _;

use crate::description::*;
use crate::value::{float, Date, Scalar};

/// Entries kept of each list (tiers, cohorts, instruments, ...).
const MAX_ENTRIES: usize = 4;
const MAX_TIERS: usize = 3;

/// Names the description's indices resolve to.
struct Names {
    first_year: i32,
    last_year: i32,
    tiers: usize,
    stages: usize,
    occurrences: usize,
    lines: usize,
    districts: usize,
}

impl Names {
    /// Tier `k` of the scenario's tiers or `none`; rarely (k = 255) a name that is no tier.
    fn tier(&self, k: u8) -> String {
        match usize::from(k) % (self.tiers + 1) {
            _ if k == u8::MAX => "no_such_tier".into(),
            k if k < self.tiers => format!("t{k}"),
            _ => "none".into(),
        }
    }

    /// As [`Names::tier`], without `none`, for what only a scenario's own tiers have.
    fn own_tier(&self, k: u8) -> String {
        match k {
            u8::MAX => "no_such_tier".into(),
            k => format!("t{}", usize::from(k) % self.tiers),
        }
    }

    /// Stage `k`, or `listed` just past the stages; rarely a name that is no stage.
    fn stage(&self, k: u8) -> String {
        match usize::from(k) % (self.stages + 1) {
            _ if k == u8::MAX => "no_such_stage".into(),
            k if k < self.stages => format!("s{k}"),
            _ => "listed".into(),
        }
    }

    /// A stage firms can be in (not `listed`); rarely a name that is no stage.
    fn own_stage(&self, k: u8) -> String {
        match k {
            u8::MAX => "no_such_stage".into(),
            k => format!("s{}", usize::from(k) % self.stages),
        }
    }

    /// District `k`, `total` when `total_too` and just past the districts; rarely (or
    /// when there is none) a name that is no district.
    fn district(&self, k: u8, total_too: bool) -> String {
        let n = self.districts + usize::from(total_too);
        match usize::from(k) % n.max(1) {
            _ if k == u8::MAX || n == 0 => "no_such_district".into(),
            k if k < self.districts => format!("d{k}"),
            _ => "total".into(),
        }
    }

    fn date(&self, d: Date) -> String {
        d.within(self.first_year, self.last_year)
    }

    /// A list of dates, the sensible ones in increasing order (as the reader requires
    /// of every date list) and the extremes after them.
    fn dates(&self, ds: &[Date]) -> String {
        let mut items: Vec<String> = ds.iter().take(MAX_ENTRIES).map(|d| self.date(*d)).collect();
        items.sort_by_key(|d| (!d.starts_with("20"), d.clone()));
        items.dedup();
        format!("[{}]", items.join(", "))
    }
}

fn dist(d: &Dist, typical: f64) -> String {
    match d {
        Dist::Number(x) => x.float(typical),
        Dist::Fixed(x) => format!("{{ dist = \"fixed\", value = {} }}", x.float(typical)),
        Dist::Uniform(a, b) => {
            let (low, high) = ordered(*a, *b, typical);
            format!("{{ dist = \"uniform\", low = {low}, high = {high} }}")
        }
        Dist::Triangular(a, m, b) | Dist::Pert(a, m, b) => {
            let name = if matches!(d, Dist::Pert(..)) {
                "pert"
            } else {
                "triangular"
            };
            let (low, high) = ordered(*a, *b, typical);
            // A sensible mode lies between low and high.
            let mode = match (a.sensible(typical), b.sensible(typical), m.fraction()) {
                (Some(x), Some(y), Some(f)) => float(x.min(y) + f * (x - y).abs()),
                _ => m.float(typical),
            };
            format!("{{ dist = \"{name}\", low = {low}, mode = {mode}, high = {high} }}")
        }
        // A normal's support is the whole line, which a key that cannot be negative
        // refuses: written for those keys only when the sd's leaf says so (rarely).
        Dist::Normal(m, s) if typical < 0.0 || s.is_rare() => format!(
            "{{ dist = \"normal\", mean = {}, sd = {} }}",
            m.float(typical.abs()),
            s.float(typical.abs() / 4.0)
        ),
        Dist::Normal(m, _) => m.float(typical),
        Dist::Lognormal(m, s) => format!(
            "{{ dist = \"lognormal\", median = {}, sigma = {} }}",
            m.float(typical.abs()),
            s.float(0.5)
        ),
        Dist::Beta(a, b) => format!(
            "{{ dist = \"beta\", alpha = {}, beta = {} }}",
            a.float(2.0),
            b.float(2.0)
        ),
        Dist::Gamma(k, s) => format!(
            "{{ dist = \"gamma\", shape = {}, scale = {} }}",
            k.float(2.0),
            s.float(typical.abs() / 2.0)
        ),
        Dist::Discrete((first, more), weights) => {
            let values: Vec<String> = std::iter::once(first)
                .chain(more)
                .take(MAX_ENTRIES)
                .map(|v| v.float(typical.abs()))
                .collect();
            // As many weights as values: the weights given, then 1s.
            let weights: Vec<String> = (0..values.len())
                .map(|k| {
                    weights
                        .get(k)
                        .map_or_else(|| "1.0".into(), |w| w.float(1.0))
                })
                .collect();
            format!(
                "{{ dist = \"discrete\", values = [{}], weights = [{}] }}",
                values.join(", "),
                weights.join(", ")
            )
        }
    }
}

/// A probability, or a distribution of one.
fn probability(d: &Dist) -> String {
    match d {
        Dist::Number(x) | Dist::Fixed(x) => x.probability(),
        other => dist(other, 0.5),
    }
}

fn ordered(a: Scalar, b: Scalar, typical: f64) -> (String, String) {
    match (a.sensible(typical), b.sensible(typical)) {
        (Some(x), Some(y)) => (float(x.min(y)), float(x.max(y))),
        _ => (a.float(typical), b.float(typical)),
    }
}

/// `{ key = value, ... }` with each key once (TOML refuses a repeated key, which would
/// only fuzz the TOML parser).
fn inline_table(entries: impl Iterator<Item = (String, String)>) -> String {
    let mut seen = Vec::new();
    let items: Vec<String> = entries
        .take(MAX_ENTRIES)
        .filter(|(k, _)| {
            let new = !seen.contains(k);
            seen.push(k.clone());
            new
        })
        .map(|(k, v)| format!("{k} = {v}"))
        .collect();
    format!("{{ {} }}", items.join(", "))
}

/// Per-tier values.
fn by_tier(names: &Names, entries: &[(u8, Dist)], typical: f64) -> String {
    inline_table(
        entries
            .iter()
            .map(|(t, d)| (names.tier(*t), dist(d, typical))),
    )
}

fn district_weights(names: &Names, entries: &[(u8, Scalar)]) -> String {
    inline_table(
        entries
            .iter()
            .map(|(d, w)| (names.district(*d, false), w.float(1.0))),
    )
}

/// The id of entry `k` of a list (`c0`, `c1`, ...), or rarely the first entry's.
fn id(prefix: char, k: usize, repeat: u8) -> String {
    format!("{prefix}{}", if repeat == u8::MAX { 0 } else { k })
}

/// The scenario file's text.
pub fn scenario_toml(s: &ScenarioDescription) -> String {
    let w = &s.window;
    let first_year = 2020 + i32::from(w.start.year_index() % 8);
    let last_year = first_year + i32::from(w.years % 3);
    let names = Names {
        first_year,
        last_year,
        tiers: 1 + s.tiers.1.len().min(MAX_TIERS - 1),
        stages: 1 + s.listing.stages.1.len().min(MAX_ENTRIES - 1),
        occurrences: 1 + s.occurrences.1.len().min(MAX_ENTRIES - 1),
        lines: 1 + s.budget_lines.1.len().min(MAX_ENTRIES - 1),
        districts: s.districts.len().min(3),
    };
    let mut out = String::new();
    let o = &mut out;
    let _ = writeln!(o, "[scenario]\nname = \"fuzz\"");
    let start = if w.start.is_sensible() {
        format!("{first_year:04}-01-01")
    } else {
        names.date(w.start)
    };
    let end = w
        .end
        .map_or_else(|| format!("{last_year:04}-12-31"), |d| names.date(d));
    let _ = writeln!(o, "start = {start}\nend = {end}");
    if let Some(p) = w.payments_until {
        let _ = writeln!(
            o,
            "payments_until = {}",
            p.within(last_year + 1, last_year + 3)
        );
    }
    let _ = writeln!(o, "fx_cny_per_usd = {}", s.fx_cny_per_usd.float(7.0));
    let _ = writeln!(o, "\n[run]\nreplications = 1");
    if let Some(seed) = s.seed {
        let _ = writeln!(o, "seed = {}", seed.integer(1000.0));
    }
    render_firms(o, s, &names);
    render_policy(o, s, &names);
    render_districts(o, s, &names);
    out
}

fn render_firms(o: &mut String, s: &ScenarioDescription, names: &Names) {
    let tiers = std::iter::once(&s.tiers.0).chain(&s.tiers.1);
    for (k, t) in tiers.take(MAX_TIERS).enumerate() {
        let routes: Vec<String> = std::iter::once(&t.routes.0)
            .chain(&t.routes.1)
            .take(MAX_ENTRIES)
            .map(|r| {
                let (key, typical) = if r.in_cny {
                    ("min_valuation_cny", 7.0e9)
                } else {
                    ("min_valuation_usd", 1.0e9)
                };
                format!(
                    "{{ max_age_years = {}, {key} = {} }}",
                    r.max_age_years.float(10.0),
                    r.min_valuation.float(typical)
                )
            })
            .collect();
        let _ = writeln!(
            o,
            "\n[[tier]]\nid = \"t{k}\"\nroutes = [{}]",
            routes.join(", ")
        );
    }
    let c = &s.certification;
    let _ = writeln!(o, "\n[certification]\ndates = {}", names.dates(&c.dates));
    let _ = writeln!(
        o,
        "apply_probability = {}",
        probability(&c.apply_probability)
    );
    if !c.dates_by_tier.is_empty() {
        let items = c
            .dates_by_tier
            .iter()
            .map(|(t, ds)| (names.own_tier(*t), names.dates(ds)));
        let _ = writeln!(o, "dates_by_tier = {}", inline_table(items));
    }
    for (k, c) in s.cohorts.iter().take(MAX_ENTRIES).enumerate() {
        let _ = writeln!(
            o,
            "\n[[cohort]]\nid = \"{}\"\ntier = \"{}\"",
            id('c', k, c.repeat_id),
            names.tier(c.tier)
        );
        let _ = writeln!(o, "count = {}", c.count.integer(4.0));
        let _ = writeln!(o, "valuation_usd = {}", dist(&c.valuation_usd, 1.0e9));
        let _ = writeln!(o, "age_years = {}", dist(&c.age_years, 5.0));
        if let Some(st) = c.listing_stage {
            let _ = writeln!(o, "listing_stage = \"{}\"", names.own_stage(st));
        }
        if !c.districts.is_empty() && names.districts > 0 {
            let _ = writeln!(o, "districts = {}", district_weights(names, &c.districts));
        }
        if let Some(p) = c.nev_probability {
            let _ = writeln!(o, "nev_probability = {}", p.probability());
        }
        if let Some(e) = c.enabled {
            let _ = writeln!(o, "enabled = {e}");
        }
    }
    let e = &s.entry;
    let _ = writeln!(
        o,
        "\n[entry]\nrate_per_year = {}",
        dist(&e.rate_per_year, 2.0)
    );
    if let Some(a) = &e.attraction_multiplier {
        let _ = writeln!(o, "attraction_multiplier = {}", dist(a, 1.0));
    }
    if let Some(t) = e.tier {
        let _ = writeln!(o, "tier = \"{}\"", names.tier(t));
    }
    let _ = writeln!(o, "valuation_usd = {}", dist(&e.valuation_usd, 1.0e9));
    let _ = writeln!(o, "age_years = {}", dist(&e.age_years, 2.0));
    if !e.districts.is_empty() && names.districts > 0 {
        let _ = writeln!(o, "districts = {}", district_weights(names, &e.districts));
    }
    let g = &s.growth;
    let _ = writeln!(
        o,
        "\n[growth]\ndrift_per_year = {}",
        dist(&g.drift_per_year, -0.1)
    );
    let _ = writeln!(
        o,
        "volatility_per_year = {}",
        dist(&g.volatility_per_year, 0.3)
    );
    if let Some(r) = &g.rounds_per_year {
        let _ = writeln!(o, "rounds_per_year = {}", dist(r, 0.5));
    }
    if let Some(r) = &g.round_step_up {
        let _ = writeln!(o, "round_step_up = {}", dist(r, 1.5));
    }
    let _ = writeln!(
        o,
        "exit_hazard_per_year = {}",
        by_tier(names, &g.exit_hazard_per_year, 0.05)
    );
    let l = &s.listing;
    let _ = writeln!(
        o,
        "\n[listing]\nentry_hazard_per_year = {}",
        by_tier(names, &l.entry_hazard_per_year, 0.2)
    );
    let stages: Vec<String> = std::iter::once(&l.stages.0)
        .chain(&l.stages.1)
        .take(MAX_ENTRIES)
        .enumerate()
        .map(|(k, st)| {
            format!(
                "{{ id = \"s{k}\", months = {}, pass = {} }}",
                dist(&st.months, 12.0),
                probability(&st.pass)
            )
        })
        .collect();
    let _ = writeln!(o, "stages = [{}]", stages.join(", "));
    if !l.regimes.is_empty() {
        let regimes: Vec<String> = l
            .regimes
            .iter()
            .take(MAX_ENTRIES)
            .enumerate()
            .map(|(k, r)| {
                format!(
                    "{{ id = \"{}\", weight = {}, pass_multiplier = {}, months_multiplier = {} }}",
                    id('r', k, r.repeat_id),
                    r.weight.float(1.0),
                    r.pass_multiplier.float(1.0),
                    r.months_multiplier.float(1.0)
                )
            })
            .collect();
        let _ = writeln!(o, "regimes = [{}]", regimes.join(", "));
    }
}

fn render_policy(o: &mut String, s: &ScenarioDescription, names: &Names) {
    let occurrences = std::iter::once(&s.occurrences.0).chain(&s.occurrences.1);
    for (k, oc) in occurrences.take(MAX_ENTRIES).enumerate() {
        let _ = writeln!(o, "\n[[occurrence]]\nid = \"o{k}\"");
        match &oc.process {
            OccurrenceProcess::Rate(rates) => {
                let _ = writeln!(o, "rate_per_year = {}", by_tier(names, rates, 0.5));
            }
            OccurrenceProcess::Scheduled {
                dates,
                probability: p,
                tiers,
            } => {
                let _ = writeln!(o, "dates = {}", names.dates(dates));
                let p = match p {
                    Probability::One(d) => probability(d),
                    Probability::ByTier(entries) => inline_table(
                        entries
                            .iter()
                            .map(|(t, x)| (names.tier(*t), x.probability())),
                    ),
                };
                let _ = writeln!(o, "probability = {p}");
                if let Some(mask) = tiers {
                    let _ = writeln!(o, "tiers = {}", tier_list(names, *mask));
                }
            }
        }
        let _ = writeln!(o, "magnitude = {}", dist(&oc.magnitude, 1.0e6));
    }
    for (k, i) in s.instruments.iter().take(MAX_ENTRIES).enumerate() {
        render_instrument(o, k, i, names);
    }
    let lines = std::iter::once(&s.budget_lines.0).chain(&s.budget_lines.1);
    for (k, b) in lines.take(MAX_ENTRIES).enumerate() {
        let _ = writeln!(o, "\n[[budget_line]]\nid = \"b{k}\"");
        let items = b
            .appropriation
            .iter()
            .map(|(key, amount)| (year_key(names, key), amount.float(5.0e6)));
        let _ = writeln!(o, "appropriation = {}", inline_table(items));
        let overflow = match b.overflow {
            u8::MAX => "carry",
            k => ["none", "defer", "prorate"][usize::from(k % 3)],
        };
        let _ = writeln!(o, "overflow = \"{overflow}\"");
    }
}

/// The names of the tiers whose bits are set (bit `tiers`: `none`; the next: no tier).
fn tier_list(names: &Names, mask: u8) -> String {
    let items: Vec<String> = (0..=names.tiers + 1)
        .filter(|k| mask & (1 << k) != 0)
        .map(|k| format!("\"{}\"", names.tier(k as u8)))
        .collect();
    format!("[{}]", items.join(", "))
}

fn year_key(names: &Names, key: &YearKey) -> String {
    let year = key.year.year(names.first_year, names.last_year);
    match key.spelling % 32 {
        0 => format!("\"0{year}\""),
        1 => format!("\"{year}.0\""),
        2 => format!("\" {year}\""),
        _ => format!("\"{year}\""),
    }
}

fn render_instrument(o: &mut String, k: usize, i: &InstrumentDescription, names: &Names) {
    let _ = writeln!(o, "\n[[instrument]]\nid = \"{}\"", id('i', k, i.repeat_id));
    match &i.kind {
        InstrumentKind::Fixed { amount } => {
            let _ = writeln!(o, "kind = \"fixed\"\namount = {}", dist(amount, 1.0e6));
        }
        InstrumentKind::UpTo { cap, fraction } => {
            let _ = writeln!(
                o,
                "kind = \"up_to\"\ncap = {}\nfraction = {}",
                cap.float(1.0e6),
                probability(fraction)
            );
        }
        InstrumentKind::Matching { ratio, cap } | InstrumentKind::CostShare { ratio, cap } => {
            let kind = if matches!(i.kind, InstrumentKind::Matching { .. }) {
                "matching"
            } else {
                "cost_share"
            };
            let _ = writeln!(o, "kind = \"{kind}\"\nratio = {}", ratio.float(0.5));
            if let Some(c) = cap {
                let _ = writeln!(o, "cap = {}", c.float(1.0e6));
            }
        }
        InstrumentKind::Tiered { brackets } => {
            let mut from = 0.0;
            let items: Vec<String> = std::iter::once(&brackets.0)
                .chain(&brackets.1)
                .take(MAX_ENTRIES)
                .map(|(f, p)| {
                    // Sensible brackets ascend.
                    let text = match f.sensible(1.0e6) {
                        Some(step) => {
                            from += step;
                            float(from)
                        }
                        None => f.float(1.0e6),
                    };
                    format!("{{ from = {text}, pays = {} }}", p.float(1.0e5))
                })
                .collect();
            let _ = writeln!(o, "kind = \"tiered\"\nbrackets = [{}]", items.join(", "));
        }
        InstrumentKind::Stipend { amount, months } => {
            let _ = writeln!(
                o,
                "kind = \"stipend\"\namount = {}\nmonths = {}",
                amount.float(5000.0),
                months.integer(12.0)
            );
        }
    }
    // What pays on a magnitude needs an occurrence trigger: other triggers are refused,
    // so they are written for those kinds only rarely.
    let on_magnitude = matches!(
        i.kind,
        InstrumentKind::Matching { .. }
            | InstrumentKind::CostShare { .. }
            | InstrumentKind::Tiered { .. }
    );
    let trigger = match i.trigger {
        Trigger::FirstCertified(t) | Trigger::Certified(t) | Trigger::ListingStage(t)
            if on_magnitude && t != u8::MAX =>
        {
            format!(
                "{{ event = \"occurrence\", occurrence = \"o{}\" }}",
                usize::from(t) % names.occurrences
            )
        }
        Trigger::FirstCertified(t) => format!(
            "{{ event = \"first_certified\", tier = \"{}\" }}",
            names.own_tier(t)
        ),
        Trigger::Certified(t) => format!(
            "{{ event = \"certified\", tier = \"{}\" }}",
            names.own_tier(t)
        ),
        Trigger::ListingStage(st) => format!(
            "{{ event = \"listing_stage\", stage = \"{}\" }}",
            names.stage(st)
        ),
        Trigger::Occurrence(k) => {
            // Rarely an occurrence that does not exist.
            let k = match k {
                u8::MAX => names.occurrences,
                k => usize::from(k) % names.occurrences,
            };
            format!("{{ event = \"occurrence\", occurrence = \"o{k}\" }}")
        }
    };
    let _ = writeln!(o, "trigger = {trigger}");
    let _ = writeln!(o, "eligible_tiers = {}", tier_list(names, i.eligible));
    if let Some(t) = &i.take_up {
        let _ = writeln!(o, "take_up = {}", probability(t));
    }
    if let Some(l) = &i.payment_lag_months {
        let _ = writeln!(o, "payment_lag_months = {}", dist(l, 6.0));
    }
    if let Some(d) = i.valid_from {
        let _ = writeln!(o, "valid_from = {}", names.date(d));
    }
    if let Some(d) = i.valid_to {
        let _ = writeln!(o, "valid_to = {}", names.date(d));
    }
    let funding = match i.city_share.sensible(1.0) {
        Some(x) => {
            let eighths = (x * 4.0).round().min(8.0);
            format!(
                "{{ city = {}, district = {} }}",
                float(eighths / 8.0),
                float(1.0 - eighths / 8.0)
            )
        }
        None => format!("{{ city = {} }}", i.city_share.float(1.0)),
    };
    let _ = writeln!(o, "funding = {funding}");
    let line = match i.budget_line {
        u8::MAX => names.lines,
        k => usize::from(k) % names.lines,
    };
    let _ = writeln!(o, "budget_line = \"b{line}\"");
    if let Some(m) = i.max_per_firm {
        let _ = writeln!(o, "max_per_firm = {}", m.integer(2.0));
    }
    let stipend = matches!(i.kind, InstrumentKind::Stipend { .. });
    if let Some(c) = i.cap_per_firm.filter(|c| !stipend || c.is_rare()) {
        let _ = writeln!(o, "cap_per_firm = {}", c.float(2.0e6));
    }
    if let Some(e) = i.enabled {
        let _ = writeln!(o, "enabled = {e}");
    }
}

fn render_districts(o: &mut String, s: &ScenarioDescription, names: &Names) {
    if let Some(n) = &s.nev {
        let _ = writeln!(o, "\n[nev]");
        if let Some(d) = n.start {
            let _ = writeln!(
                o,
                "start = {}",
                d.within(names.first_year - 1, names.first_year)
            );
        }
        if let Some(y) = n.base_year {
            let _ = writeln!(
                o,
                "base_year = {}",
                y.year(names.first_year - 1, names.first_year)
            );
        }
        if let Some(r) = &n.scale_common_shock_correlation {
            let _ = writeln!(o, "scale_common_shock_correlation = {}", probability(r));
        }
    }
    for (k, d) in s.districts.iter().take(names.districts).enumerate() {
        let _ = writeln!(o, "\n[[district]]\nid = \"{}\"", id('d', k, d.repeat_id));
        let _ = writeln!(o, "scale_100m_cny = {}", d.scale_100m_cny.float(100.0));
        if let Some(x) = &d.scale_drift_per_year {
            let _ = writeln!(o, "scale_drift_per_year = {}", dist(x, -0.1));
        }
        if let Some(x) = &d.scale_volatility_per_year {
            let _ = writeln!(o, "scale_volatility_per_year = {}", dist(x, 0.1));
        }
        if let Some((rate, inv, head)) = &d.projects {
            let _ = writeln!(
                o,
                "projects = {{ rate_per_year = {}, investment_100m_cny = {}, head_probability = {} }}",
                dist(rate, 3.0),
                dist(inv, 10.0),
                probability(head)
            );
        }
        if let Some((rate, inv)) = &d.upgrades {
            let _ = writeln!(
                o,
                "upgrades = {{ rate_per_year = {}, investment_100m_cny = {} }}",
                dist(rate, 3.0),
                dist(inv, 3.0)
            );
        }
        if let Some((dates, candidates, p)) = &d.specialized {
            let _ = writeln!(
                o,
                "specialized = {{ dates = {}, candidates = {}, probability = {} }}",
                names.dates(dates),
                candidates.integer(10.0),
                probability(p)
            );
        }
        let items: Vec<String> = d
            .listing_candidates
            .iter()
            .take(MAX_ENTRIES)
            .map(|(st, n)| {
                format!(
                    "{{ stage = \"{}\", count = {} }}",
                    names.own_stage(*st),
                    n.integer(3.0)
                )
            })
            .collect();
        let _ = writeln!(o, "listing_candidates = [{}]", items.join(", "));
        if let Some((firms, births, death)) = &d.above_scale {
            let _ = writeln!(
                o,
                "above_scale = {{ firms = {}, births_per_year = {}, death_hazard_per_year = {} }}",
                firms.integer(20.0),
                dist(births, 3.0),
                dist(death, 0.05)
            );
        }
    }
    for (k, t) in s.targets.iter().take(MAX_ENTRIES).enumerate() {
        render_target(o, k, t, names);
    }
}

/// Metric names a target may read: district bases (with `district`) and run metrics.
const TARGET_METRICS: &[&str] = &[
    "nev.scale",
    "nev.projects.count",
    "nev.projects.investment",
    "nev.projects.head",
    "nev.upgrades.count",
    "nev.new_listed",
    "nev.new_specialized",
    "nev.above_scale_firms",
    "nev.new_listed.total",
    "listings.new",
    "firms.count.t0",
    "firms.first_certified.t0",
    "outlay.total",
    "firms.entered",
];

fn render_target(o: &mut String, k: usize, t: &TargetDescription, names: &Names) {
    let metric = TARGET_METRICS[usize::from(t.metric) % TARGET_METRICS.len()];
    let _ = writeln!(
        o,
        "\n[[target]]\nid = \"{}\"\nmetric = \"{metric}\"",
        id('g', k, t.repeat_id)
    );
    // Only district bases take a district (rarely, another metric gets one too).
    let district_metric = metric.starts_with("nev.") && !metric.ends_with(".total");
    if let Some(d) = t.district.filter(|&d| district_metric || d == u8::MAX) {
        let district = names.district(d, true);
        let _ = writeln!(o, "district = \"{district}\"");
    }
    match t.window {
        TargetWindow::By(d) => {
            let _ = writeln!(o, "by = {}", names.date(d));
        }
        TargetWindow::Year(d) => {
            let _ = writeln!(o, "year = {}", d.year(names.first_year, names.last_year));
        }
    }
    let comparator = if t.at_least { "at_least" } else { "at_most" };
    let _ = writeln!(o, "{comparator} = {}", t.threshold.float(10.0));
    if let Some(e) = t.enabled {
        let _ = writeln!(o, "enabled = {e}");
    }
}
