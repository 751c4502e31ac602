//! Every parameter of a distribution has a range a run can hold (docs/scenario-format.md,
//! "Distribution parameters"; `policysim::scenario::spec::DIST_PARAMETERS`): its scale and
//! shape parameters are bounded, and its tails — the quantiles at 1e-12 and 1 − 1e-12 —
//! lie within the range of the key it is written for. Outside: exit 2 naming the key path,
//! before any work. A lognormal with `sigma = 1000` once drew infinities, and the run
//! refused with exit 2 only after working.

mod common;

use common::edits::{check_cases, Case};

const CASES: &[Case] = &[
    Case {
        what: "lognormal sigma = 1000 (drew inf after the run had worked)",
        edits: &[("magnitude = 1.0e6", "magnitude = { dist = \"lognormal\", median = 1.0e4, sigma = 1000 }")],
        at: "1000 }",
        key_path: "occurrence[assessment].magnitude.sigma",
        message: "expected a number in [0, 10], found 1000",
    },
    Case {
        what: "lognormal whose upper tail passes the money range",
        edits: &[("magnitude = 1.0e6", "magnitude = { dist = \"lognormal\", median = 1.0e6, sigma = 5 }")],
        at: "{ dist = \"lognormal\", median = 1.0e6",
        key_path: "occurrence[assessment].magnitude",
        message: "expected a distribution within [0, 1e12], found a lognormal with median = 1000000",
    },
    Case {
        what: "lognormal on a probability",
        edits: &[("apply_probability = 1", "apply_probability = { dist = \"lognormal\", median = 0.5, sigma = 0.2 }")],
        at: "{ dist = \"lognormal\", median = 0.5",
        key_path: "certification.apply_probability",
        message: "expected a distribution within [0, 1]",
    },
    Case {
        what: "negative normal sd",
        edits: &[("drift_per_year = 0", "drift_per_year = { dist = \"normal\", mean = 0, sd = -1 }")],
        at: "-1 }",
        key_path: "growth.drift_per_year.sd",
        message: "expected a non-negative number, found -1",
    },
    Case {
        what: "normal whose tails pass the drift range",
        edits: &[("drift_per_year = 0", "drift_per_year = { dist = \"normal\", mean = 0, sd = 2 }")],
        at: "{ dist = \"normal\", mean = 0, sd = 2 }",
        key_path: "growth.drift_per_year",
        message: "expected a distribution within [-10, 10], found a normal with mean = 0, sd = 2 whose lowest draws reach",
    },
    Case {
        what: "normal whose lower tail is negative on a duration",
        edits: &[("months = 12, pass", "months = { dist = \"normal\", mean = 12, sd = 3 }, pass")],
        at: "{ dist = \"normal\", mean = 12, sd = 3 }",
        key_path: "listing.stages[only].months",
        message: "whose lowest draws reach",
    },
    Case {
        what: "gamma shape above its range",
        edits: &[("magnitude = 1.0e6", "magnitude = { dist = \"gamma\", shape = 1e7, scale = 1 }")],
        at: "1e7,",
        key_path: "occurrence[assessment].magnitude.shape",
        message: "expected a number in [0.001, 1e6], found 10000000",
    },
    Case {
        what: "gamma shape below its range",
        edits: &[("magnitude = 1.0e6", "magnitude = { dist = \"gamma\", shape = 1e-9, scale = 1 }")],
        at: "1e-9,",
        key_path: "occurrence[assessment].magnitude.shape",
        message: "expected a number in [0.001, 1e6], found 1e-9",
    },
    Case {
        what: "gamma whose upper tail passes the money range",
        edits: &[("magnitude = 1.0e6", "magnitude = { dist = \"gamma\", shape = 0.5, scale = 1e11 }")],
        at: "{ dist = \"gamma\"",
        key_path: "occurrence[assessment].magnitude",
        message: "expected a distribution within [0, 1e12], found a gamma with shape = 0.5, scale = 100000000000",
    },
    Case {
        what: "gamma scale of zero",
        edits: &[("magnitude = 1.0e6", "magnitude = { dist = \"gamma\", shape = 2, scale = 0 }")],
        at: "0 }\n\n[[instrument]]",
        key_path: "occurrence[assessment].magnitude.scale",
        message: "expected a number in (0, 1e15], found 0",
    },
    Case {
        what: "beta alpha below its range",
        edits: &[("apply_probability = 1", "apply_probability = { dist = \"beta\", alpha = 1e-5, beta = 1 }")],
        at: "1e-5,",
        key_path: "certification.apply_probability.alpha",
        message: "expected a number in [0.001, 1e6], found 1e-5",
    },
    Case {
        what: "beta beta above its range",
        edits: &[("apply_probability = 1", "apply_probability = { dist = \"beta\", alpha = 1, beta = 1e9 }")],
        at: "1e9 }",
        key_path: "certification.apply_probability.beta",
        message: "expected a number in [0.001, 1e6], found 1000000000",
    },
    Case {
        what: "a discrete weight above its range",
        edits: &[("magnitude = 1.0e6", "magnitude = { dist = \"discrete\", values = [1, 2], weights = [1, 1e16] }")],
        at: "1e16]",
        key_path: "occurrence[assessment].magnitude.weights[1]",
        message: "expected a number in [0, 1e15], found 1e16",
    },
];

#[test]
fn every_distribution_parameter_outside_its_range_is_refused_before_any_work() {
    check_cases(CASES);
}

/// The ranges refuse the absurd, not what a scenario means: each of these, at the edge of
/// its range or as the shipped scenarios write it, is accepted.
#[test]
fn distributions_within_their_ranges_are_accepted() {
    let accepted: &[(&str, &str)] = &[
        (
            "magnitude = 1.0e6",
            "magnitude = { dist = \"lognormal\", median = 1.0e6, sigma = 1 }",
        ),
        // median · e^(7.03 · 2.5) ≈ 4.3e11 ≤ 1e12
        (
            "magnitude = 1.0e6",
            "magnitude = { dist = \"lognormal\", median = 1.0e4, sigma = 2.5 }",
        ),
        (
            "drift_per_year = 0",
            "drift_per_year = { dist = \"normal\", mean = -0.09, sd = 0.1 }",
        ),
        (
            "drift_per_year = 0",
            "drift_per_year = { dist = \"normal\", mean = 0, sd = 1.42 }",
        ),
        (
            "magnitude = 1.0e6",
            "magnitude = { dist = \"gamma\", shape = 2.5, scale = 1.0e5 }",
        ),
        (
            "magnitude = 1.0e6",
            "magnitude = { dist = \"gamma\", shape = 1e-3, scale = 1 }",
        ),
        (
            "apply_probability = 1",
            "apply_probability = { dist = \"beta\", alpha = 1e-3, beta = 1e6 }",
        ),
        (
            "apply_probability = 1",
            "apply_probability = { dist = \"normal\", mean = 0.5, sd = 0.07 }",
        ),
    ];
    for edit in accepted {
        common::edits::assert_accepted(&common::edits::broken(&[*edit]));
    }
}
