//! The row a replication produces: once the event loop is over, claims are settled and
//! the firms' end state, the monthly series, the NEV districts and the targets are
//! written into the row.

use super::world::World;
use crate::metrics::{total, SERIES_FIRST_CERTIFIED, SERIES_LISTINGS};
use crate::scenario::types::{NevQuantity, NO_TIER};

/// Where a target's value comes from: a metric of the row, or a district quantity over
/// one of the model's `nev_windows` (`district = None`: the city-wide sum).
#[derive(Debug, Clone, Copy)]
pub(crate) enum TargetSource {
    Metric(usize),
    District {
        window: usize,
        quantity: NevQuantity,
        district: Option<usize>,
    },
    /// A flow metric summed over the days `[from, to)` from the flow journal.
    Flow {
        metric: usize,
        from: f64,
        to: f64,
    },
}

impl World<'_, '_> {
    /// Turns claims into payments under each budget line's rule, and fills the row.
    pub(crate) fn settle_and_record(&mut self, series: &mut [f64]) {
        let rep = &mut *self.replication;
        let ledger = self.model.ledger.as_ref();
        rep.claims.close_stipends(&rep.lifecycle.firms);
        rep.settlement.settle(
            self.scenario,
            &self.model.layout,
            &self.model.ordered_lines,
            ledger.map_or(&[], |l| l.line_year.as_slice()),
            &rep.claims.claims,
            self.row,
            series,
            &mut rep.model_events,
            &mut rep.flows,
        );
        if let Some(ledger) = ledger {
            ledger.add_to_row(&self.model.layout, self.row, series);
        }
        self.record_series(series);
        self.record_firms();
        self.record_districts_and_targets();
        if let Some(ledger) = ledger {
            ledger.set_observed_targets(&self.model.layout, self.row);
        }
    }

    /// Adds the first certifications and listings to their monthly series, then makes
    /// every series cumulative.
    fn record_series(&mut self, series: &mut [f64]) {
        let s = self.scenario;
        let layout = &self.model.layout;
        let months = layout.months;
        for &d in &self.replication.certification.first_days {
            series[SERIES_FIRST_CERTIFIED * months + s.calendar.month_of(d)] += 1.0;
        }
        for &d in &self.replication.pipeline.listing_days {
            series[SERIES_LISTINGS * months + s.calendar.month_of(d)] += 1.0;
        }
        for k in 0..layout.series_names.len() {
            let block = &mut series[k * months..(k + 1) * months];
            for m in 1..months {
                block[m] += block[m - 1];
            }
        }
    }

    /// Firms per tier at the end, entered and exited.
    fn record_firms(&mut self) {
        let s = self.scenario;
        let layout = &self.model.layout;
        let rep = &mut *self.replication;
        for firm in &rep.lifecycle.firms {
            if firm.exit_day >= s.end && !firm.is_listed() && firm.tier != NO_TIER {
                self.row[layout.firms_count + firm.tier - 1] += 1.0;
            }
        }
        self.row[layout.firms_entered] = rep.lifecycle.entered as f64;
        // Simulated exits (a known firm that exited before the pool's day is counted with
        // the observed ones, which the model's observed journal holds).
        let from = self.model.pool.day;
        let mut exits = 0;
        for firm in rep
            .lifecycle
            .firms
            .iter()
            .filter(|f| f.exit_day >= from && f.exit_day < s.end)
        {
            rep.flows.record(layout.firms_exited, firm.exit_day, 1.0);
            exits += 1;
        }
        rep.model_events.exits = exits;
        let observed = self.model.pool.observed.counts.exits.len() as u64;
        self.row[layout.firms_exited] = (rep.model_events.exits + observed) as f64;
    }

    /// Simulates the NEV districts, writes their whole-run quantities and every target.
    fn record_districts_and_targets(&mut self) {
        let s = self.scenario;
        let layout = &self.model.layout;
        let rep = &mut *self.replication;
        rep.nev.simulate(
            s,
            &self.params,
            &self.streams,
            self.regime,
            &rep.pipeline.nev_firm_listings,
        );
        rep.model_events.district = rep.nev.events();
        let nd = s.districts.len();
        let per_window = NevQuantity::ALL.len() * nd;
        let table = &mut rep.nev_windows;
        table.resize(self.model.nev_windows.len() * per_window, 0.0);
        for (w, &window) in self.model.nev_windows.iter().enumerate() {
            for d in 0..nd {
                let values = rep.nev.quantities(d, window, s);
                for q in NevQuantity::ALL {
                    table[w * per_window + q.index() * nd + d] = values[q.index()];
                }
            }
        }
        // The districts' values over `window` of `quantity`, in district order.
        let by_district = |window: usize, q: NevQuantity| {
            let at = window * per_window + q.index() * nd;
            &table[at..at + nd]
        };
        for q in NevQuantity::ALL {
            let whole_run = by_district(0, q);
            for (d, value) in whole_run.iter().enumerate() {
                self.row[layout.nev_at(q, d)] = *value;
            }
            self.row[layout.nev_at(q, nd)] = total(whole_run.iter().copied());
        }
        rep.flows.close();
        for (k, source) in self.model.target_sources.iter().enumerate() {
            self.row[layout.target + k] = match *source {
                TargetSource::Metric(i) => self.row[i],
                TargetSource::District {
                    window,
                    quantity,
                    district,
                } => {
                    let values = by_district(window, quantity);
                    district.map_or_else(|| total(values.iter().copied()), |d| values[d])
                }
                TargetSource::Flow { metric, from, to } => {
                    let simulated = rep.flows.sum(metric, from, to);
                    match &self.model.observed_flows {
                        Some(observed) => observed.sum(metric, from, to) + simulated,
                        None => simulated,
                    }
                }
            };
        }
    }
}
