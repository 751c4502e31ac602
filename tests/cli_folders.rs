//! Commands on run folders from anywhere, and what a new user reads (issue 11, item 8):
//! `run --resume`, `merge` and `verify` started in another folder, a changed or missing
//! scenario (exit code 2 under `verify` as under `merge`), `help`, and what `merge` and
//! the target table print.

mod process;

use std::path::{Path, PathBuf};

use process::*;

/// A scenario in a folder of its own, so that tests can move, change or remove it.
fn own_scenario(tmp: &Path) -> PathBuf {
    let dir = tmp.join("work");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::copy(root().join(STIPEND), dir.join("stipend.toml")).unwrap();
    dir
}

/// `verify`, `merge` and `run --resume` started in another folder find the scenario
/// where the run was started (it recorded a relative path).
#[test]
fn resume_merge_and_verify_work_from_another_folder() {
    let tmp = tempfile::tempdir().unwrap();
    let work = own_scenario(tmp.path());
    let elsewhere = tmp.path().join("elsewhere");
    std::fs::create_dir_all(&elsewhere).unwrap();
    let env = [
        ("POLICYSIM_BLOCK", "20"),
        ("POLICYSIM_STOP_AFTER_BLOCKS", "1"),
    ];
    let stopped = run_in(&work, "stipend.toml", 60, "stopped", &[], &env);
    assert_eq!(code(&stopped), 130);
    let stopped_dir = work.join("stopped");
    let o = policysim_in(
        &elsewhere,
        &["run", "--resume", s(&stopped_dir), "--quiet"],
        &[],
    );
    ok(&o);
    let shards = run_shards(&work, "stipend.toml", 60, 2, &work);
    let merged = tmp.path().join("merged");
    let (a, b) = (shards[0].clone(), shards[1].clone());
    let o = policysim_in(
        &elsewhere,
        &["merge", "--quiet", "--out", s(&merged), s(&a), s(&b)],
        &[],
    );
    ok(&o);
    let o = policysim_in(&elsewhere, &["verify", "--quiet", s(&merged)], &[]);
    ok(&o);
    assert!(stdout(&o).contains("verified"), "{}", stdout(&o));
    // The merged folder, the resumed one and one run of all 60 hold the same rows.
    let single = tmp.path().join("single");
    ok(&run_in(&work, "stipend.toml", 60, s(&single), &[], &[]));
    for f in ["replications.csv", "summary.csv", "report.html"] {
        let one = std::fs::read(single.join(f)).unwrap();
        assert!(one == std::fs::read(merged.join(f)).unwrap(), "{f} merged");
        assert!(
            one == std::fs::read(stopped_dir.join(f)).unwrap(),
            "{f} resumed"
        );
    }
}

/// A scenario changed since the run is bad input under `verify` as under `merge`; a
/// missing one is named with the option that gives it, which `verify` has.
#[test]
fn a_changed_or_missing_scenario_is_exit_2_under_verify_and_merge() {
    let tmp = tempfile::tempdir().unwrap();
    let work = own_scenario(tmp.path());
    let shards = run_shards(&work, "stipend.toml", 40, 2, &work);
    let file = work.join("stipend.toml");
    let text = std::fs::read_to_string(&file).unwrap();
    std::fs::write(&file, text.replace("amount = 5000", "amount = 6000")).unwrap();
    let (a, b) = (shards[0].clone(), shards[1].clone());
    let merged = tmp.path().join("merged");
    let o = policysim(
        &["merge", "--quiet", "--out", s(&merged), s(&a), s(&b)],
        &[],
    );
    refused(&o, &["cannot merge", "has changed since the run"]);
    let o = policysim(&["verify", "--quiet", s(&a)], &[]);
    refused(&o, &["cannot re-run", "has changed since the run"]);
    std::fs::remove_file(&file).unwrap();
    let o = policysim(&["verify", "--quiet", s(&a)], &[]);
    refused(&o, &["is not there", "--scenario"]);
    assert!(!stderr(&o).contains("merge"), "{}", stderr(&o));
    // The original, named with --scenario, verifies.
    let original = root().join(STIPEND);
    let o = policysim(
        &["verify", "--quiet", "--scenario", s(&original), s(&a)],
        &[],
    );
    ok(&o);
}

#[test]
fn help_lists_every_output_and_help_of_help_succeeds() {
    for args in [
        &["run", "--help"][..],
        &["help", "run"],
        &["help", "--help"],
        &["help"],
    ] {
        let o = policysim(args, &[]);
        ok(&o);
        if args.contains(&"run") {
            let text = stdout(&o);
            for f in [
                "summary.csv",
                "series.csv",
                "timeseries.csv",
                "report.html",
                "manifest.json",
            ] {
                assert!(text.contains(f), "{args:?}: {f} not in {text}");
            }
        }
    }
    refused(
        &policysim(&["help", "nothing"], &[]),
        &["no command \"nothing\""],
    );
}

/// `merge` reports what it did (combined rows), not a simulation rate it did not reach;
/// the target table gives each district's threshold.
#[test]
fn merge_reports_no_throughput_and_targets_show_their_thresholds() {
    let tmp = tempfile::tempdir().unwrap();
    let dirs = run_shards(root(), BASELINE, 40, 2, tmp.path());
    let merged = tmp.path().join("merged");
    let o = policysim(
        &["merge", "--out", s(&merged), s(&dirs[0]), s(&dirs[1])],
        &[],
    );
    ok(&o);
    let text = stdout(&o);
    assert!(
        text.contains("merged 40 replications from 2 shard folders"),
        "{text}"
    );
    assert!(
        !text.contains("reps/s") && !text.contains("events/s"),
        "{text}"
    );
    let scale = text
        .lines()
        .position(|l| l.trim_start().starts_with("scale in 2025 ≥"))
        .unwrap_or_else(|| panic!("no scale row in {text}"));
    let thresholds = text.lines().nth(scale + 1).unwrap();
    assert!(
        thresholds.trim_start().starts_with("threshold") && thresholds.contains("1450"),
        "{thresholds}"
    );
}
