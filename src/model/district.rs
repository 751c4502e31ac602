//! The NEV parts plan's district processes (docs/model.md, NEV districts): industry
//! scale, project attraction, technology upgrades, new listings, 专精特新 recognition
//! batches and the above-scale firm count, one set per district per replication.

use rand::Rng;
use rand_distr::{Binomial, Distribution, Poisson};

use super::listing::listing_day;
use crate::calendar::DAYS_PER_YEAR;
use crate::engine::params::ParamValues;
use crate::engine::stream::{entity, process, Streams};
use crate::metrics::total;
use crate::scenario::dist::{standard_normal, waiting_days};
use crate::scenario::types::{
    District, IpoRegime, NevQuantity, ProjectFlow, Scenario, TargetWindow,
};

/// Investment thresholds of annex 3 (亿元): 10–30亿 projects and ≥30亿 projects.
pub const MID_PROJECT_100M_CNY: f64 = 10.0;
pub const LARGE_PROJECT_100M_CNY: f64 = 30.0;

#[derive(Debug, Clone, Copy)]
pub struct Project {
    pub day: f64,
    pub investment_100m_cny: f64,
    pub head: bool,
}

/// What happened in one district during one replication.
#[derive(Debug, Clone, Default)]
pub struct DistrictHistory {
    /// Industry scale (亿元) for each year from the base year to the last year.
    pub scale_by_year: Vec<f64>,
    pub projects: Vec<Project>,
    pub upgrades: Vec<Project>,
    pub listing_days: Vec<f64>,
    /// How many of `listing_days` are the district's own candidates'.
    pub candidate_listings: usize,
    /// (day, firms recognised) of each 专精特新 batch.
    pub specialized: Vec<(f64, u64)>,
    /// Above-scale firm count at the end of each year from the base year on.
    pub above_scale_by_year: Vec<f64>,
}

impl DistrictHistory {
    /// Industry scale: a log random walk by year, each step's shock mixing the year's
    /// `common` shock with the district's own.
    fn simulate_scale(
        &mut self,
        s: &Scenario,
        district: &District,
        params: &ParamValues,
        streams: &Streams,
        e: u64,
        common: &[f64],
    ) {
        let rho = params.get(s.nev.scale_common_shock_correlation);
        self.scale_by_year.clear();
        let (drift, vol) = (
            params.get(district.scale_drift_per_year),
            params.get(district.scale_volatility_per_year),
        );
        let mut log_scale = district.scale_100m_cny.ln();
        self.scale_by_year.push(district.scale_100m_cny);
        for (k, zc) in common.iter().enumerate() {
            let mut rng = streams.rng(e, process::SCALE, k as u64);
            let zi = standard_normal(&mut rng);
            log_scale += drift + vol * (rho.sqrt() * zc + (1.0 - rho).sqrt() * zi);
            self.scale_by_year.push(log_scale.exp());
        }
    }

    /// The listings of district `d`'s own candidates through the listing pipeline, then
    /// those of the unicorn-track firms placed in it.
    fn simulate_listings(
        &mut self,
        s: &Scenario,
        d: usize,
        params: &ParamValues,
        streams: &Streams,
        regime: &IpoRegime,
        firm_listings: &[(f64, usize)],
    ) {
        self.listing_days.clear();
        let mut k = 0;
        for &(stage, count) in &s.districts[d].listing_candidates {
            for _ in 0..count {
                let mut rng = streams.rng(entity::listing_candidate(d, k), process::LISTING, 0);
                if let Some(day) = listing_day(
                    &s.listing,
                    params,
                    regime,
                    stage,
                    s.nev.start,
                    s.end,
                    &mut rng,
                ) {
                    self.listing_days.push(day);
                }
                k += 1;
            }
        }
        self.candidate_listings = self.listing_days.len();
        self.listing_days.extend(
            firm_listings
                .iter()
                .filter(|(_, fd)| *fd == d)
                .map(|(day, _)| *day),
        );
    }

    /// 专精特新 batches: each recognises a binomial share of the candidates not yet
    /// recognised.
    fn simulate_specialized(
        &mut self,
        district: &District,
        params: &ParamValues,
        streams: &Streams,
        e: u64,
    ) {
        self.specialized.clear();
        let p = params.get(district.specialized.probability);
        let mut remaining = district.specialized.candidates;
        for (b, &day) in district.specialized.dates.iter().enumerate() {
            let mut rng = streams.rng(e, process::SPECIALIZED, b as u64);
            let n = if remaining == 0 || p <= 0.0 {
                0
            } else {
                Binomial::new(remaining, p)
                    .expect("valid binomial")
                    .sample(&mut rng)
            };
            remaining -= n;
            self.specialized.push((day, n));
        }
    }

    /// Above-scale firms: an immigration–death process observed at year ends. Over a
    /// step of length t, each firm survives with e^{-ht}; births are Poisson and a birth
    /// survives to the step's end with mean probability (1 - e^{-ht}) / (ht).
    fn simulate_above_scale(
        &mut self,
        s: &Scenario,
        district: &District,
        params: &ParamValues,
        streams: &Streams,
        e: u64,
        last_year: i32,
    ) {
        self.above_scale_by_year.clear();
        let a = &district.above_scale;
        let (births, hazard) = (
            params.get(a.births_per_year),
            params.get(a.death_hazard_per_year),
        );
        let mut level = a.firms;
        let mut day = s.nev.start;
        for year in s.nev.base_year..=last_year {
            let year_end = s.calendar.year_start(year + 1);
            let t = ((year_end - day) / DAYS_PER_YEAR).max(0.0);
            let mut rng = streams.rng(e, process::ABOVE_SCALE, (year - s.nev.base_year) as u64);
            let survive = (-hazard * t).exp();
            let survivors = if level == 0 || survive >= 1.0 {
                level
            } else {
                Binomial::new(level, survive)
                    .expect("valid binomial")
                    .sample(&mut rng)
            };
            let birth_mean = if hazard > 0.0 {
                births * (1.0 - survive) / hazard
            } else {
                births * t
            };
            let born = if birth_mean > 0.0 {
                Poisson::new(birth_mean)
                    .expect("valid poisson")
                    .sample(&mut rng) as u64
            } else {
                0
            };
            level = survivors + born;
            self.above_scale_by_year.push(level as f64);
            day = year_end.max(day);
        }
    }
}

/// All districts of one replication; buffers are reused across replications.
#[derive(Debug, Clone, Default)]
pub struct NevHistory {
    pub districts: Vec<DistrictHistory>,
    base_year: i32,
    start: f64,
}

impl NevHistory {
    /// Simulates every district. `firm_listings` are (day, district) of unicorn-track
    /// firms of the NEV sector that listed; each counts toward its district once.
    pub fn simulate(
        &mut self,
        s: &Scenario,
        params: &ParamValues,
        streams: &Streams,
        regime: &IpoRegime,
        firm_listings: &[(f64, usize)],
    ) {
        self.base_year = s.nev.base_year;
        self.start = s.nev.start;
        self.districts
            .resize_with(s.districts.len(), DistrictHistory::default);
        let last_year = s.calendar.year_of(s.end - 1.0);
        let years = (last_year - s.nev.base_year).max(0) as usize;
        // One shock per year shared by every district, so that their scales move together
        // as far as `scale_common_shock_correlation` says.
        let common: Vec<f64> = (0..years)
            .map(|k| {
                let mut rng = streams.rng(entity::GLOBAL, process::SCALE, k as u64);
                standard_normal(&mut rng)
            })
            .collect();
        for (d, h) in self.districts.iter_mut().enumerate() {
            let district = &s.districts[d];
            let e = entity::district(d);
            h.simulate_scale(s, district, params, streams, e, &common);
            compound_poisson(
                &district.projects,
                params,
                streams,
                e,
                process::PROJECTS,
                s.nev.start,
                s.end,
                &mut h.projects,
            );
            compound_poisson(
                &district.upgrades,
                params,
                streams,
                e,
                process::UPGRADES,
                s.nev.start,
                s.end,
                &mut h.upgrades,
            );
            h.simulate_listings(s, d, params, streams, regime, firm_listings);
            h.simulate_specialized(district, params, streams, e);
            h.simulate_above_scale(s, district, params, streams, e, last_year);
        }
    }

    /// The district arrivals simulated: projects, upgrade projects, listings of district
    /// candidates (unicorn-track firms' listings are the firms' own events) and
    /// recognition batches.
    pub fn events(&self) -> u64 {
        self.districts
            .iter()
            .map(|h| {
                (h.projects.len() + h.upgrades.len() + h.candidate_listings + h.specialized.len())
                    as u64
            })
            .sum()
    }

    /// Every quantity of district `d` over `window`, in `NevQuantity::ALL` order. Flows
    /// are summed in day order from 0, one pass over each list.
    pub fn quantities(
        &self,
        d: usize,
        window: TargetWindow,
        s: &Scenario,
    ) -> [f64; NevQuantity::ALL.len()] {
        let h = &self.districts[d];
        let (from, to) = match window {
            TargetWindow::Year(y) => (s.calendar.year_start(y), s.calendar.year_start(y + 1)),
            TargetWindow::By(day) => (self.start, day),
        };
        let level_year = match window {
            TargetWindow::Year(y) => y,
            TargetWindow::By(day) => s.calendar.year_of(day - 1.0),
        };
        let in_window = |day: f64| day >= from && day < to;
        let at_year = |series: &[f64]| {
            let k = (level_year - self.base_year).clamp(0, series.len() as i32 - 1) as usize;
            series[k]
        };
        let mut q = [0.0; NevQuantity::ALL.len()];
        q[NevQuantity::Scale.index()] = at_year(&h.scale_by_year);
        q[NevQuantity::AboveScaleFirms.index()] = at_year(&h.above_scale_by_year);
        let (mut investment, mut mid, mut large, mut head) = (0.0, 0.0, 0.0, 0.0);
        let projects = arrivals_within(&h.projects, from, to);
        for p in projects {
            let x = p.investment_100m_cny;
            investment += x;
            mid += f64::from(u8::from(
                (MID_PROJECT_100M_CNY..LARGE_PROJECT_100M_CNY).contains(&x),
            ));
            large += f64::from(u8::from(x >= LARGE_PROJECT_100M_CNY));
            head += f64::from(u8::from(p.head));
        }
        q[NevQuantity::ProjectsCount.index()] = projects.len() as f64;
        q[NevQuantity::ProjectsInvestment.index()] = investment;
        q[NevQuantity::ProjectsMid.index()] = mid;
        q[NevQuantity::ProjectsLarge.index()] = large;
        q[NevQuantity::ProjectsHead.index()] = head;
        let upgrades = arrivals_within(&h.upgrades, from, to);
        q[NevQuantity::UpgradesCount.index()] = upgrades.len() as f64;
        q[NevQuantity::UpgradesInvestment.index()] =
            total(upgrades.iter().map(|p| p.investment_100m_cny));
        q[NevQuantity::NewListed.index()] =
            h.listing_days.iter().filter(|d| in_window(**d)).count() as f64;
        q[NevQuantity::NewSpecialized.index()] = total(
            h.specialized
                .iter()
                .filter(|(d, _)| in_window(*d))
                .map(|(_, n)| *n as f64),
        );
        q
    }
}

/// The arrivals on days [from, to): a run of them, since they come in day order
/// (`compound_poisson`).
fn arrivals_within(arrivals: &[Project], from: f64, to: f64) -> &[Project] {
    debug_assert!(arrivals.is_sorted_by(|a, b| a.day <= b.day));
    let first = arrivals.partition_point(|p| p.day < from);
    let end = first + arrivals[first..].partition_point(|p| p.day < to);
    &arrivals[first..end]
}

/// Arrivals of a Poisson process on [from, to] with a size and a head-enterprise flag each.
#[allow(clippy::too_many_arguments)]
fn compound_poisson(
    flow: &ProjectFlow,
    params: &ParamValues,
    streams: &Streams,
    e: u64,
    proc_id: u64,
    from: f64,
    to: f64,
    out: &mut Vec<Project>,
) {
    out.clear();
    let rate = params.get(flow.rate_per_year);
    let head_p = params.get(flow.head_probability);
    if rate <= 0.0 {
        return;
    }
    let key = streams.entity_key(e);
    let mut day = from;
    for k in 0.. {
        let mut rng = streams.keyed(key, proc_id, k);
        day += waiting_days(&mut rng, rate);
        if day >= to {
            break;
        }
        let investment_100m_cny = flow.investment_100m_cny.sample(&mut rng).max(0.0);
        let head = rng.random::<f64>() < head_p;
        out.push(Project {
            day,
            investment_100m_cny,
            head,
        });
    }
}
