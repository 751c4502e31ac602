//! The flow journal: every dated addition to a flow metric of the row (a listing, a
//! certification, an entry, an exit, a payment), kept only when a target or an
//! observation reads a flow over a window (docs/model.md, "Metrics over a window"), so a
//! plain run pays one branch per addition and nothing else.

use crate::metrics::MetricLayout;
use crate::model::observed::ObservedCounts;
use crate::scenario::types::Scenario;

/// Dated additions to the row's flow metrics in one replication, or (`observed`) what a
/// run from actuals observed, identical in every replication.
#[derive(Default)]
pub struct FlowJournal {
    on: bool,
    /// (metric index, day, amount); sorted by metric then day once the run is over.
    entries: Vec<(u32, f64, f64)>,
}

impl FlowJournal {
    /// Empties the journal; `on`: whether this run reads any flow over a window.
    pub fn reset(&mut self, on: bool) {
        self.on = on;
        self.entries.clear();
    }

    /// Notes that `amount` was added to metric `metric` on `day`.
    #[inline(always)]
    pub fn record(&mut self, metric: usize, day: f64, amount: f64) {
        if self.on {
            self.entries.push((metric as u32, day, amount));
        }
    }

    /// What a run from actuals observed inside the horizon, as additions to the flow
    /// metrics of `layout` on their days: the firms' counted events and the ledger's
    /// `payments` (day, instrument, yuan) on or after the start. `None` when there is none.
    /// A window's flow is this journal's sum plus the replication's (docs/model.md,
    /// "Metrics over a window"); its own additions stop before the as-of day's end.
    pub fn observed(
        s: &Scenario,
        layout: &MetricLayout,
        counts: &ObservedCounts,
        payments: &[(f64, usize, f64)],
    ) -> Option<FlowJournal> {
        let mut j = FlowJournal::default();
        j.reset(true);
        for &(d, t) in &counts.certified {
            j.record(layout.firms_certified + t - 1, d, 1.0);
        }
        for &(d, t) in &counts.first_certified {
            j.record(layout.firms_first_certified + t - 1, d, 1.0);
        }
        for &(d, k) in &counts.stage_entries {
            j.record(layout.listing_stage_entries + k, d, 1.0);
        }
        for &d in &counts.listings {
            j.record(layout.listings_new, d, 1.0);
        }
        for &d in &counts.exits {
            j.record(layout.firms_exited, d, 1.0);
        }
        for &(d, i, amount) in payments {
            for (metric, value) in layout.payment_flows(s, i, amount) {
                j.record(metric, d, value);
            }
        }
        j.close();
        (!j.entries.is_empty()).then_some(j)
    }

    /// Orders the journal for `sum`. Stable, so additions on one day keep the order the
    /// replication made them in and a window's sum is the same bits in every run.
    pub fn close(&mut self) {
        self.entries
            .sort_by(|a, b| a.0.cmp(&b.0).then(a.1.total_cmp(&b.1)));
    }

    /// The sum of what was added to `metric` on days in `[from, to)`, in day order.
    /// Needs `close` first; O(log n) plus the additions summed.
    pub fn sum(&self, metric: usize, from: f64, to: f64) -> f64 {
        let key = metric as u32;
        let lo = self
            .entries
            .partition_point(|e| e.0 < key || (e.0 == key && e.1 < from));
        let hi = self
            .entries
            .partition_point(|e| e.0 < key || (e.0 == key && e.1 < to));
        crate::metrics::total(self.entries[lo..hi.max(lo)].iter().map(|e| e.2))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_window_sums_its_metrics_additions_on_its_days_only() {
        let mut j = FlowJournal::default();
        j.reset(true);
        for (m, d, a) in [(2, 5.0, 1.0), (1, 3.0, 10.0), (2, 1.0, 2.0), (2, 9.0, 4.0)] {
            j.record(m, d, a);
        }
        j.close();
        assert_eq!(j.sum(2, 0.0, 10.0), 7.0);
        assert_eq!(j.sum(2, 1.0, 9.0), 3.0, "from included, to excluded");
        assert_eq!(j.sum(1, 0.0, 3.0), 0.0);
        assert_eq!(j.sum(0, 0.0, 100.0), 0.0);
        assert_eq!(j.sum(3, 0.0, 100.0), 0.0);
    }

    #[test]
    fn an_unread_journal_keeps_nothing() {
        let mut j = FlowJournal::default();
        j.reset(false);
        j.record(0, 1.0, 1.0);
        j.close();
        assert_eq!(j.sum(0, 0.0, 2.0), 0.0);
    }
}
