//! The CSV files of a run (README.md, Output files).

use std::io::Write;

use crate::actuals::TargetStatus;
use crate::engine::params::ParameterLayout;
use crate::metrics::MetricLayout;
use crate::stats::Statistics;

pub type Csv<W> = csv::Writer<W>;

pub fn csv_writer<W: Write>(w: W) -> Csv<W> {
    csv::WriterBuilder::new()
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer(w)
}

/// Shortest text that parses back to the same f64: the CSV files round-trip exactly, which
/// is what lets `merge` reproduce a single run's bytes.
pub fn num(x: f64) -> String {
    let mut buf = Vec::with_capacity(24);
    push_num(&mut buf, x);
    String::from_utf8(buf).expect("push_num writes only what itoa and ryu write: ASCII")
}

fn opt(x: Option<f64>) -> String {
    x.map(num).unwrap_or_default()
}

pub fn write_summary<W: Write>(w: W, stats: &Statistics) -> csv::Result<()> {
    let mut out = csv_writer(w);
    out.write_record([
        "metric", "mean", "sd", "mcse", "min", "p05", "p25", "p50", "p75", "p90", "p95", "p99",
        "max", "cvar95",
    ])?;
    for m in &stats.metrics {
        let mut rec = vec![
            m.name.clone(),
            num(m.mean),
            opt(m.sd),
            opt(m.mcse),
            num(m.min),
        ];
        rec.extend(m.quantiles.iter().map(|q| num(*q)));
        rec.push(num(m.max));
        rec.push(num(m.cvar95));
        out.write_record(&rec)?;
    }
    out.flush()?;
    Ok(())
}

/// `targets.csv`; a run from actuals adds the column `status`: `simulated`, `observed`
/// (the window closed by the as-of date and the value was read from the actuals) or
/// `unknown` (closed, and the actuals do not give it: its statistics are left empty).
pub fn write_targets<W: Write>(w: W, stats: &Statistics) -> csv::Result<()> {
    let mut out = csv_writer(w);
    let mut header = vec![
        "target",
        "label",
        "metric",
        "window",
        "comparator",
        "threshold",
        "replications",
        "attained",
        "probability",
        "ci95_low",
        "ci95_high",
        "mean",
        "p05",
        "p50",
        "p95",
    ];
    if stats.from_actuals {
        header.push("status");
    }
    out.write_record(&header)?;
    for t in &stats.targets {
        let mut rec = vec![
            t.id.clone(),
            t.label.clone(),
            t.metric.clone(),
            t.window.clone(),
            t.comparator.key().to_string(),
            num(t.threshold),
            stats.replications.to_string(),
            t.attained.to_string(),
            num(t.probability),
            num(t.ci_low),
            num(t.ci_high),
            num(t.mean),
            num(t.p05),
            num(t.p50),
            num(t.p95),
        ];
        if let Some(status) = t.status {
            if status == TargetStatus::Unknown {
                rec[7..].iter_mut().for_each(String::clear);
            }
            rec.push(status.name().to_string());
        }
        out.write_record(&rec)?;
    }
    out.flush()?;
    Ok(())
}

/// `budget.csv`; a run from actuals adds what the ledger paid in the line-year and the
/// mean demand and outlay from the as-of date on (`demand` and `outlay` are their sums).
pub fn write_budget<W: Write>(w: W, stats: &Statistics) -> csv::Result<()> {
    let mut out = csv_writer(w);
    let mut header = vec![
        "budget_line",
        "label",
        "year",
        "overflow",
        "appropriation",
        "mean_demand",
        "mean_outlay",
        "p50_outlay",
        "p95_outlay",
        "p_exceed",
        "expected_overrun",
        "cvar95_demand",
        "mean_carried_over",
    ];
    if stats.from_actuals {
        header.extend([
            "paid_to_date",
            "mean_remaining_demand",
            "mean_remaining_outlay",
        ]);
    }
    out.write_record(&header)?;
    for b in &stats.budget {
        let mut rec = vec![
            b.line.clone(),
            b.label.clone(),
            b.year.to_string(),
            b.overflow.to_string(),
            opt(b.appropriation),
            num(b.mean_demand),
            num(b.mean_outlay),
            num(b.p50_outlay),
            num(b.p95_outlay),
            opt(b.p_exceed),
            opt(b.expected_overrun),
            num(b.cvar95_demand),
            num(b.mean_carried_over),
        ];
        if let Some(part) = b.ledger {
            rec.extend([
                num(part.paid_to_date),
                num(part.mean_remaining_demand),
                num(part.mean_remaining_outlay),
            ]);
        }
        out.write_record(&rec)?;
    }
    out.flush()?;
    Ok(())
}

pub fn write_timeseries<W: Write>(w: W, stats: &Statistics) -> csv::Result<()> {
    let mut out = csv_writer(w);
    out.write_record(["series", "month", "mean", "p05", "p25", "p50", "p75", "p95"])?;
    for s in &stats.series {
        let mut rec = vec![s.series.clone(), s.month.clone(), num(s.mean)];
        rec.extend(s.quantiles.iter().map(|q| num(*q)));
        out.write_record(&rec)?;
    }
    out.flush()?;
    Ok(())
}

/// Header of `replications.csv`: the replication number, then every metric.
pub fn replication_header(layout: &MetricLayout) -> Vec<String> {
    std::iter::once("replication".to_string())
        .chain(layout.names.iter().cloned())
        .collect()
}

/// Header of `series.csv`: the replication number, then `series@YYYY-MM` columns.
pub fn series_header(layout: &MetricLayout) -> Vec<String> {
    std::iter::once("replication".to_string())
        .chain(
            layout
                .series_names
                .iter()
                .flat_map(|s| layout.month_labels.iter().map(move |m| format!("{s}@{m}"))),
        )
        .collect()
}

/// Header of `parameters.csv`: the replication number, then every parameter drawn once
/// per replication, by key path.
pub fn parameter_header(params: &ParameterLayout) -> Vec<String> {
    std::iter::once("replication".to_string())
        .chain(params.names.iter().cloned())
        .collect()
}

/// Writes a CSV header line.
pub fn write_header<W: Write>(out: &mut W, fields: &[String]) -> std::io::Result<()> {
    let mut line = csv_writer(Vec::new());
    line.write_record(fields)?;
    out.write_all(&line.into_inner().map_err(|e| e.into_error())?)
}

/// Appends `count` rows of `width` values (replication number first) to a CSV writer; a
/// row of no values (a scenario without uncertain parameters) is its number alone.
pub fn write_counted_rows<W: Write>(
    out: &mut W,
    first: u64,
    count: usize,
    width: usize,
    values: &[f64],
) -> std::io::Result<()> {
    if width > 0 {
        return write_rows(out, first, width, values);
    }
    let mut buf = Vec::new();
    for r in first..first + count as u64 {
        buf.extend_from_slice(itoa::Buffer::new().format(r).as_bytes());
        buf.push(b'\n');
    }
    out.write_all(&buf)
}

/// Appends rows (replication number first) to a CSV writer.
pub fn write_rows<W: Write>(
    out: &mut W,
    first: u64,
    width: usize,
    values: &[f64],
) -> std::io::Result<()> {
    // Numbers never need quoting, so rows go straight to bytes identical to what the CSV
    // writer would produce.
    let mut buf = Vec::with_capacity(1 << 17);
    for (i, row) in values.chunks_exact(width.max(1)).enumerate() {
        buf.extend_from_slice(itoa::Buffer::new().format(first + i as u64).as_bytes());
        for x in row {
            buf.push(b',');
            push_num(&mut buf, *x);
        }
        buf.push(b'\n');
        if buf.len() >= 1 << 16 {
            out.write_all(&buf)?;
            buf.clear();
        }
    }
    out.write_all(&buf)
}

/// Appends `num(x)` to `buf`: integral values below 9e18 (counts, most amounts) as
/// integers, the others as the shortest decimal that parses back to the same f64 (ryu;
/// in scientific notation below 1e-5 and for huge values).
fn push_num(buf: &mut Vec<u8>, x: f64) {
    // `x as i64` truncates, so below 9e18 the value is integral exactly when the cast
    // gives it back: one conversion each way instead of `fract`, which is a call to
    // `trunc` on a baseline x86-64 target. NaN and the infinities fail the bound.
    if x.to_bits() == 0 {
        // A fifth of the values of a typical row: nothing to convert.
        buf.push(b'0');
    } else if x.abs() < 9.0e18 && (x as i64) as f64 == x {
        if x == 0.0 {
            buf.extend_from_slice(b"-0");
        } else {
            buf.extend_from_slice(itoa::Buffer::new().format(x as i64).as_bytes());
        }
    } else {
        buf.extend_from_slice(ryu::Buffer::new().format(x).as_bytes());
    }
}

/// Reads back the rows of `replications.csv` or `series.csv` (as written by `write_rows`):
/// checks the header and the replication numbers, and parses the values, which are exact
/// because `num` writes the shortest text that round-trips.
pub struct RowReader<R: std::io::Read> {
    path: std::path::PathBuf,
    reader: csv::Reader<R>,
    width: usize,
    record: csv::StringRecord,
}

impl RowReader<std::fs::File> {
    /// Opens `path` and checks that its header is `header`.
    pub fn open(path: &std::path::Path, header: &[String]) -> anyhow::Result<Self> {
        let file = std::fs::File::open(path)
            .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", path.display()))?;
        RowReader::new(path, file, header)
    }
}

impl<R: std::io::Read> RowReader<R> {
    pub fn new(path: &std::path::Path, input: R, header: &[String]) -> anyhow::Result<Self> {
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .from_reader(input);
        let mut record = csv::StringRecord::new();
        let ok = reader.read_record(&mut record)?;
        if !ok || record.iter().ne(header.iter().map(String::as_str)) {
            anyhow::bail!(
                "{}: its header is not the one this scenario and engine write",
                path.display()
            );
        }
        Ok(RowReader {
            path: path.to_path_buf(),
            reader,
            width: header.len() - 1,
            record,
        })
    }

    /// Appends the values of the rows of replications `first..first + count` to `out`.
    pub fn read_rows(
        &mut self,
        first: u64,
        count: usize,
        out: &mut Vec<f64>,
    ) -> anyhow::Result<()> {
        for r in first..first + count as u64 {
            let line = self.record.position().map_or(0, |p| p.line()) + 1;
            if !self.reader.read_record(&mut self.record)? {
                anyhow::bail!(
                    "{}: ends before replication {r} (line {line})",
                    self.path.display()
                );
            }
            let bad = |what: &str| anyhow::anyhow!("{}: line {line}: {what}", self.path.display());
            if self.record.len() != self.width + 1 {
                return Err(bad(&format!(
                    "{} fields, expected {}",
                    self.record.len(),
                    self.width + 1
                )));
            }
            if self.record[0].parse::<u64>().ok() != Some(r) {
                return Err(bad(&format!(
                    "expected replication {r}, found {:?}",
                    &self.record[0]
                )));
            }
            for field in self.record.iter().skip(1) {
                out.push(
                    field
                        .parse::<f64>()
                        .map_err(|_| bad(&format!("not a number: {field:?}")))?,
                );
            }
        }
        Ok(())
    }

    /// Fails unless every row has been read.
    pub fn finish(mut self) -> anyhow::Result<()> {
        if self.reader.read_record(&mut self.record)? {
            anyhow::bail!(
                "{}: holds rows after the last replication its manifest names",
                self.path.display()
            );
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_written_shortest_and_parse_back_exactly() {
        for (x, text) in [
            (0.0, "0"),
            (-0.0, "-0"),
            (1.0, "1"),
            (-3.0, "-3"),
            (2.5, "2.5"),
            (1.0e15, "1000000000000000"),
            (9.1e15, "9100000000000000"),
            (1.0e20, "1e20"),
            (0.1 + 0.2, "0.30000000000000004"),
            (1.0e-7, "1e-7"),
            (123456.789, "123456.789"),
            (-7.25e-3, "-0.00725"),
            (f64::INFINITY, "inf"),
        ] {
            assert_eq!(num(x), text);
            let back: f64 = num(x).parse().unwrap();
            assert_eq!(back.to_bits(), x.to_bits());
        }
        assert_eq!(num(f64::NAN), "NaN");
    }

    /// The integral test `push_num` makes (a round trip through i64) picks the same
    /// values as `fract() == 0` below 9e18, on the bound's neighbours, halves, signed
    /// zeros, non-finite values and a spread of bit patterns.
    #[test]
    fn integral_values_are_those_without_a_fraction() {
        let mut xs = vec![
            0.0,
            -0.0,
            0.5,
            -0.5,
            8.999_999_999_999_998e18,
            9.0e18,
            -9.0e18,
            9.223_372_036_854_776e18,
            4_503_599_627_370_497.0,
            f64::MIN_POSITIVE,
            f64::MAX,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NAN,
        ];
        let mut z = 0x9E37_79B9_7F4A_7C15_u64;
        for _ in 0..100_000 {
            z = z.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            xs.push(f64::from_bits(z));
            xs.push(((z >> 11) as f64) / 1024.0);
        }
        for x in xs {
            let by_fraction = x.fract() == 0.0 && x.abs() < 9.0e18;
            let text = num(x);
            let as_integer = !text.contains(['.', 'e', 'i', 'N']);
            assert_eq!(as_integer, by_fraction, "{x:e} written {text}");
        }
    }

    #[test]
    fn rows_match_what_the_csv_writer_writes() {
        let values = [1.0, 2.5, -0.0, 3.0, 1.0e-9, 7.0];
        let mut fast = Vec::new();
        write_rows(&mut fast, 10, 3, &values).unwrap();
        let mut slow = csv_writer(Vec::new());
        for (i, row) in values.chunks(3).enumerate() {
            let mut rec = vec![(10 + i).to_string()];
            rec.extend(row.iter().map(|&x| num(x)));
            slow.write_record(&rec).unwrap();
        }
        assert_eq!(fast, slow.into_inner().unwrap());
    }
}
