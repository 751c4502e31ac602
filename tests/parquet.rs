//! `--rows parquet` (README.md, "Output files"): the row files as Parquet hold the CSV run's columns
//! and exact values, read back with the parquet crate's own record reader (not the
//! column reader `merge` uses); and shards, merge, verify and resume work on them exactly
//! as on CSV, with the same bytes whatever the threads, blocks or shards.

mod process;

use std::path::{Path, PathBuf};
use std::process::Output;

use parquet::file::reader::{FileReader, SerializedFileReader};
use parquet::record::RowAccessor;

use process::{s, BASELINE as SCENARIO};
/// Every output of a run folder but the manifest, in the Parquet format.
const FILES: &[&str] = &[
    "summary.csv",
    "targets.csv",
    "budget.csv",
    "timeseries.csv",
    "report.html",
    "report.xlsx",
    "replications.parquet",
    "series.parquet",
    "parameters.parquet",
];

/// The row tables.
const STEMS: [&str; 3] = ["replications", "series", "parameters"];

fn policysim(args: &[&str], env: &[(&str, &str)]) -> Output {
    process::policysim_untimed(args, env)
}

fn ok(args: &[&str]) {
    process::ok(&policysim(args, &[]));
}

fn run_output(out: &Path, reps: u64, extra: &[&str], env: &[(&str, &str)]) -> Output {
    process::run_baseline_untimed(out, reps, extra, env)
}

fn run(out: &Path, reps: u64, extra: &[&str]) {
    process::ok(&run_output(out, reps, extra, &[]));
}

/// Every output byte-identical, the manifest too once `execution` is dropped, and no
/// temporary file or CSV row file left in `b`.
fn assert_same(a: &Path, b: &Path) {
    process::assert_same_outputs(a, b, FILES, |n| {
        n.starts_with('.') || STEMS.iter().any(|stem| n == format!("{stem}.csv"))
    });
}

/// Every Parquet row equals the CSV row of the same replication, bit for bit: column names,
/// replication numbers and values.
fn assert_parquet_is_csv(parquet: &Path, csv: &Path) -> usize {
    let reader = SerializedFileReader::new(std::fs::File::open(parquet).unwrap()).unwrap();
    let schema = reader.metadata().file_metadata().schema_descr();
    let names: Vec<String> = schema
        .columns()
        .iter()
        .map(|c| c.name().to_string())
        .collect();
    let mut text = csv::Reader::from_path(csv).unwrap();
    let header: Vec<String> = text.headers().unwrap().iter().map(String::from).collect();
    assert_eq!(names, header, "{}: columns", parquet.display());
    let mut rows = reader.get_row_iter(None).unwrap();
    let mut n = 0;
    for record in text.records() {
        let record = record.unwrap();
        let row = rows.next().expect("as many rows as the CSV").unwrap();
        assert_eq!(row.get_long(0).unwrap().to_string(), record[0].to_string());
        for c in 1..record.len() {
            let want: f64 = record[c].parse().unwrap();
            let got = row.get_double(c).unwrap();
            assert_eq!(
                got.to_bits(),
                want.to_bits(),
                "{} replication {} {}: {got} vs CSV {}",
                parquet.display(),
                &record[0],
                header[c],
                &record[c]
            );
        }
        n += 1;
    }
    assert!(rows.next().is_none(), "no row beyond the CSV's");
    n
}

#[test]
fn parquet_rows_equal_the_csv_rows_bit_for_bit() {
    let tmp = tempfile::tempdir().unwrap();
    let (csv, pq) = (tmp.path().join("csv"), tmp.path().join("pq"));
    run(&csv, 300, &["--threads", "2"]);
    run(&pq, 300, &["--threads", "2", "--rows", "parquet"]);
    for stem in STEMS {
        let n = assert_parquet_is_csv(
            &pq.join(format!("{stem}.parquet")),
            &csv.join(format!("{stem}.csv")),
        );
        assert_eq!(n, 300);
        assert!(!pq.join(format!("{stem}.csv")).exists());
    }
    // The statistics do not depend on the row files' format.
    for f in ["summary.csv", "targets.csv", "budget.csv", "timeseries.csv"] {
        assert_eq!(
            std::fs::read(csv.join(f)).unwrap(),
            std::fs::read(pq.join(f)).unwrap(),
            "{f}"
        );
    }
    let outputs = &process::manifest_without_execution(&pq)["outputs"];
    for stem in STEMS {
        let (parquet, csv) = (format!("{stem}.parquet"), format!("{stem}.csv"));
        assert!(outputs[&parquet].is_string() && outputs[&csv].is_null());
    }
}

#[test]
fn parquet_outputs_identical_for_1_2_and_8_threads_and_any_block_size() {
    let tmp = tempfile::tempdir().unwrap();
    let one = tmp.path().join("t1");
    run(&one, 300, &["--rows", "parquet", "--threads", "1"]);
    for (t, block) in [("2", "100"), ("8", "7")] {
        let dir = tmp.path().join(format!("t{t}"));
        let args = ["--rows", "parquet", "--threads", t];
        let o = run_output(&dir, 300, &args, &[("POLICYSIM_BLOCK", block)]);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        assert_same(&one, &dir);
    }
}

#[test]
fn an_unknown_row_format_is_bad_input_before_any_work() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("run");
    let o = run_output(&out, 10, &["--rows", "xlsx"], &[]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("xlsx") && err.contains("parquet"), "{err}");
    assert!(!out.exists(), "nothing written");
}

#[test]
fn parquet_shards_merge_verify_and_refuse_a_mixed_set() {
    let tmp = tempfile::tempdir().unwrap();
    let single = tmp.path().join("single");
    run(&single, 300, &["--rows", "parquet", "--threads", "2"]);
    let mut dirs: Vec<PathBuf> = Vec::new();
    for k in 0..3 {
        let dir = tmp.path().join(format!("shard{k}"));
        run(
            &dir,
            300,
            &["--rows", "parquet", "--shard", &format!("{k}/3")],
        );
        dirs.push(dir);
    }
    let merged = tmp.path().join("merged");
    let mut args = vec!["merge", "--quiet", "--out", s(&merged)];
    args.extend(dirs.iter().map(|d| s(d)));
    ok(&args);
    assert_same(&single, &merged);

    let o = policysim(&["verify", "--quiet", s(&merged)], &[]);
    let text = String::from_utf8_lossy(&o.stdout);
    assert_eq!(o.status.code(), Some(0), "{text}");
    assert!(text.contains("replications.parquet"), "{text}");

    // A shard in the other format is not part of the same set of row files.
    let csv_shard = tmp.path().join("csv-shard2");
    run(&csv_shard, 300, &["--shard", "2/3"]);
    let out = tmp.path().join("mixed");
    let o = policysim(
        &[
            "merge",
            "--quiet",
            "--out",
            s(&out),
            s(&dirs[0]),
            s(&dirs[1]),
            s(&csv_shard),
        ],
        &[],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("different formats"));

    // A changed Parquet file is caught by verify.
    let path = merged.join("series.parquet");
    let mut bytes = std::fs::read(&path).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 1;
    std::fs::write(&path, bytes).unwrap();
    let o = policysim(&["verify", "--quiet", s(&merged)], &[]);
    let text = String::from_utf8_lossy(&o.stdout);
    assert_eq!(o.status.code(), Some(1), "{text}");
    assert!(text.contains("CHANGED"), "{text}");
}

#[test]
fn interrupted_parquet_run_resumes_to_the_uninterrupted_bytes() {
    let tmp = tempfile::tempdir().unwrap();
    let single = tmp.path().join("single");
    run(&single, 300, &["--rows", "parquet"]);
    let dir = tmp.path().join("resumed");
    let env = [
        ("POLICYSIM_BLOCK", "50"),
        ("POLICYSIM_STOP_AFTER_BLOCKS", "2"),
    ];
    let args = [
        "run", SCENARIO, "--reps", "300", "--quiet", "--rows", "parquet", "--out",
    ];
    let mut with_out = args.to_vec();
    with_out.push(s(&dir));
    let o = policysim(&with_out, &env);
    assert_eq!(
        o.status.code(),
        Some(130),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(!dir.join("replications.parquet").exists());

    // The checkpoint remembers the format: a resume in the other one is refused.
    let o = policysim(
        &["run", "--resume", s(&dir), "--rows", "csv", "--quiet"],
        &[],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("--rows"));

    let o = policysim(
        &["run", "--resume", s(&dir), "--quiet"],
        &[("POLICYSIM_BLOCK", "70")],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_same(&single, &dir);
}
