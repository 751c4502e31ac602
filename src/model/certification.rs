//! Certification: at each round every live, unlisted firm may apply; its valuation is
//! moved to the round's date and it is judged against the tiers under review (docs/model.md).

use rand::Rng;

use crate::engine::stream::process;
use crate::engine::world::{Event, World};
use crate::scenario::types::{Trigger, NO_TIER};

/// What certification rounds leave for the monthly series.
#[derive(Default)]
pub struct Certification {
    /// Days firms were certified in a tier for the first time.
    pub first_days: Vec<f64>,
}

impl Certification {
    pub fn reset(&mut self) {
        self.first_days.clear();
    }
}

impl World<'_, '_> {
    /// Schedules the rounds dated on or after `from`.
    pub(crate) fn schedule_certification_rounds(&mut self, from: f64) {
        for (round, &day) in self.scenario.certification.dates.iter().enumerate() {
            if day < from {
                continue;
            }
            self.replication.queue.push(
                day,
                Event::Certification {
                    round: round as u32,
                },
            );
        }
    }

    pub(crate) fn on_certification(&mut self, t: f64, round: u32) {
        let s = self.scenario;
        let apply = self.params.get(s.certification.apply_probability);
        let reviewed = s.certification.reviewed[round as usize];
        for f in 0..self.replication.lifecycle.firms.len() {
            let firm = &self.replication.lifecycle.firms[f];
            if !firm.alive_at(t) || firm.is_listed() {
                continue;
            }
            // One stream per firm and round: the application draw first, so that the
            // growth parameters never shift it, then the valuation's move since last round.
            let mut rng = self
                .streams
                .keyed(firm.key, process::CERTIFICATION, round as u64);
            self.replication.model_events.certification_reviews += 1;
            let applies = rng.random::<f64>() < apply;
            self.revalue(f, t, &mut rng);
            let firm = &self.replication.lifecycle.firms[f];
            let qualified = if firm.log_valuation_usd < self.model.lowest_certification_bar {
                NO_TIER
            } else {
                firm.qualified_tier(&s.tiers, reviewed, t)
            };
            // A firm whose tier is not under review on this date keeps it, unless it is
            // certified into a higher tier that is.
            let judged = firm.tier == NO_TIER || reviewed & (1 << firm.tier) != 0;
            if !judged && qualified <= firm.tier {
                continue;
            }
            if qualified != NO_TIER && applies {
                let changed = firm.tier != qualified;
                let first = !firm.was_certified(qualified);
                // Certification rewards go to the tier certified (the policy's "首次认定为
                // 独角兽企业的" pays unicorns), so the firm moves before it is paid.
                let firm = &mut self.replication.lifecycle.firms[f];
                firm.tier = qualified;
                firm.ever_certified |= 1 << qualified;
                if changed {
                    self.schedule_tier_processes(f, t);
                }
                let certified = self.model.layout.firms_certified + qualified - 1;
                self.row[certified] += 1.0;
                self.replication.flows.record(certified, t, 1.0);
                self.pay_on(f, t, qualified, Trigger::Certified(qualified), 0.0);
                if first {
                    let first = self.model.layout.firms_first_certified + qualified - 1;
                    self.row[first] += 1.0;
                    self.replication.flows.record(first, t, 1.0);
                    self.replication.certification.first_days.push(t);
                    self.pay_on(f, t, qualified, Trigger::FirstCertified(qualified), 0.0);
                }
            } else if qualified == NO_TIER && firm.tier != NO_TIER {
                // No longer meets any tier's criteria: off the list.
                self.replication.lifecycle.firms[f].tier = NO_TIER;
                self.schedule_tier_processes(f, t);
            }
        }
    }
}
