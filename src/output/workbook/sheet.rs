//! One CSV file as one worksheet: a Chinese and an English header row (frozen, with an
//! autofilter), every CSV column in CSV order, numbers stored as the f64 their CSV text
//! parses to, and a display format by column.

use anyhow::Result;
use rust_xlsxwriter::{
    Color, ConditionalFormat3ColorScale, ConditionalFormatType, Format, FormatAlign, Workbook,
    Worksheet,
};

use super::{is_money, CsvTable};

/// How a column's cells are stored and shown.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Kind {
    Text,
    /// Yuan, shown in millions with two decimals.
    Yuan,
    /// A probability, shown as a percentage.
    Share,
    /// A whole number, shown with thousands separators.
    Count,
    /// A calendar year (no separator).
    Year,
    /// A number of the metric's own unit, shown as Excel's General.
    Number,
    /// Yuan if the row's metric (the column named here) is money, else `Number`.
    OfMetric(&'static str),
}

/// A CSV column: its name (the English header) and its Chinese header.
#[derive(Clone, Copy)]
pub struct Column {
    pub csv: &'static str,
    pub zh: &'static str,
    pub kind: Kind,
}

const fn col(csv: &'static str, zh: &'static str, kind: Kind) -> Column {
    Column { csv, zh, kind }
}

/// A column of yuan: its Chinese header says the unit the `Yuan` format displays
/// (millions), so the unit is written in one place.
macro_rules! yuan {
    ($csv:literal, $zh:literal) => {
        col($csv, concat!($zh, "(百万元)"), Yuan)
    };
}

/// A sheet made of one CSV table.
pub struct TableSheet {
    pub name: &'static str,
    /// The columns, in parts (a sheet may share a part with another).
    pub columns: &'static [&'static [Column]],
    /// A probability column to colour from red (0) through yellow to green (1).
    pub scale: Option<&'static str>,
}

use Kind::*;

/// Yuan or not as the row's `metric` column says.
const OF_METRIC: Kind = OfMetric("metric");

pub const BUDGET: TableSheet = TableSheet {
    name: "预算 Budget",
    scale: None,
    columns: &[&[
        col("budget_line", "预算科目", Text),
        col("label", "名称", Text),
        col("year", "年度", Year),
        col("overflow", "超支处理", Text),
        yuan!("appropriation", "预算额"),
        yuan!("mean_demand", "应付均值"),
        yuan!("mean_outlay", "支出均值"),
        yuan!("p50_outlay", "支出中位数"),
        yuan!("p95_outlay", "支出P95"),
        col("p_exceed", "超预算概率", Share),
        yuan!("expected_overrun", "期望超支"),
        yuan!("cvar95_demand", "应付CVaR95"),
        yuan!("mean_carried_over", "结转均值"),
        // A run from actuals (docs/model.md, "Runs from actuals").
        yuan!("paid_to_date", "已支付"),
        yuan!("mean_remaining_demand", "剩余应付均值"),
        yuan!("mean_remaining_outlay", "剩余支出均值"),
    ]],
};

const STATISTICS: [Column; 13] = [
    col("mean", "均值", OF_METRIC),
    col("sd", "标准差", OF_METRIC),
    col("mcse", "蒙特卡洛标准误", OF_METRIC),
    col("min", "最小值", OF_METRIC),
    col("p05", "P5", OF_METRIC),
    col("p25", "P25", OF_METRIC),
    col("p50", "中位数", OF_METRIC),
    col("p75", "P75", OF_METRIC),
    col("p90", "P90", OF_METRIC),
    col("p95", "P95", OF_METRIC),
    col("p99", "P99", OF_METRIC),
    col("max", "最大值", OF_METRIC),
    col("cvar95", "CVaR95", OF_METRIC),
];

pub const DISTRIBUTION: TableSheet = TableSheet {
    name: "分布 Summary",
    scale: None,
    columns: &[&[col("metric", "指标", Text)], &STATISTICS],
};

/// Instruments' outlays (yuan), for the whole run (`year` blank) and by calendar year of
/// payment: summary.csv's statistics of `outlay.instrument.*`, after the instrument's own
/// columns.
pub const INSTRUMENTS: TableSheet = TableSheet {
    name: "政策工具 Instruments",
    scale: None,
    columns: &[&[
        col("instrument", "政策工具", Text),
        col("label", "名称", Text),
        col("clause", "条款", Text),
        col("budget_line", "预算科目", Text),
        col("year", "支付年度(空=全期)", Year),
        yuan!("mean", "支出均值"),
        yuan!("sd", "标准差"),
        yuan!("mcse", "标准误"),
        yuan!("min", "最小值"),
        yuan!("p05", "P5"),
        yuan!("p25", "P25"),
        yuan!("p50", "中位数"),
        yuan!("p75", "P75"),
        yuan!("p90", "P90"),
        yuan!("p95", "P95"),
        yuan!("p99", "P99"),
        yuan!("max", "最大值"),
        yuan!("cvar95", "CVaR95"),
    ]],
};

pub const TARGETS: TableSheet = TableSheet {
    name: "目标 Targets",
    scale: Some("probability"),
    columns: &[&[
        col("target", "目标", Text),
        col("label", "名称", Text),
        col("metric", "指标", Text),
        col("window", "时段", Text),
        col("comparator", "比较", Text),
        col("threshold", "阈值", OF_METRIC),
        col("replications", "重复次数", Count),
        col("attained", "达成次数", Count),
        col("probability", "达成概率", Share),
        col("ci95_low", "95%区间下限", Share),
        col("ci95_high", "95%区间上限", Share),
        col("mean", "均值", OF_METRIC),
        col("p05", "P5", OF_METRIC),
        col("p50", "中位数", OF_METRIC),
        col("p95", "P95", OF_METRIC),
        // A run from actuals: simulated, observed (read from the actuals) or unknown.
        col("status", "来源", Text),
    ]],
};

pub const COMPARISON: TableSheet = TableSheet {
    name: "对比 Comparison",
    scale: Some("p_b_greater"),
    columns: &[&[
        col("scenario_a", "情景A", Text),
        col("scenario_b", "情景B", Text),
        col("metric", "指标", Text),
        col("mean_a", "A均值", OF_METRIC),
        col("mean_b", "B均值", OF_METRIC),
        col("mean_diff", "差值均值", OF_METRIC),
        col("diff_ci95_low", "差值95%下限", OF_METRIC),
        col("diff_ci95_high", "差值95%上限", OF_METRIC),
        col("p_b_greater", "P(B>A)", Share),
    ]],
};

pub const COMPARISON_TARGETS: TableSheet = TableSheet {
    name: "对比目标 Comparison targets",
    scale: Some("probability_b"),
    columns: &[&[
        col("scenario_a", "情景A", Text),
        col("scenario_b", "情景B", Text),
        col("target", "目标", Text),
        col("label", "名称", Text),
        col("probability_a", "A达成概率", Share),
        col("probability_b", "B达成概率", Share),
        col("change", "概率变化", Share),
        col("change_ci95_low", "变化95%下限", Share),
        col("change_ci95_high", "变化95%上限", Share),
    ]],
};

impl TableSheet {
    /// Adds this sheet, holding every column of `table` in CSV order.
    pub fn write(&self, book: &mut Workbook, table: &CsvTable) -> Result<()> {
        let columns: Vec<&Column> = table
            .header
            .iter()
            .map(|h| {
                self.columns
                    .iter()
                    .flat_map(|part| part.iter())
                    .find(|c| c.csv == h)
                    .unwrap_or_else(|| panic!("sheet {} describes column {h:?}", self.name))
            })
            .collect();
        let ws = book.add_worksheet();
        ws.set_name(self.name)?;
        let formats = Formats::new();
        let mut widths = Widths::new(columns.len());
        for (j, c) in columns.iter().enumerate() {
            ws.write_string_with_format(0, j as u16, c.zh, &formats.header)?;
            ws.write_string_with_format(1, j as u16, c.csv, &formats.header)?;
            widths.fit(j, &[c.zh, c.csv]);
        }
        for (i, row) in table.rows.iter().enumerate() {
            let r = (i + 2) as u32;
            for (j, c) in columns.iter().enumerate() {
                let kind = match c.kind {
                    OfMetric(metric) if is_money(&row[table.column(metric)]) => Yuan,
                    OfMetric(_) => Number,
                    k => k,
                };
                let shown = write_cell(ws, r, j as u16, &row[j], kind, &formats)?;
                widths.fit(j, &[&shown]);
            }
        }
        let last = (table.rows.len() + 1) as u32;
        ws.set_freeze_panes(2, 0)?;
        ws.autofilter(1, 0, last, (columns.len() - 1) as u16)?;
        widths.apply(ws)?;
        if let Some(name) = self.scale.filter(|_| !table.rows.is_empty()) {
            let j = table.column(name) as u16;
            ws.add_conditional_format(2, j, last, j, &probability_scale())?;
        }
        Ok(())
    }
}

/// Red at 0, yellow at ½, green at 1, whatever the range of the column's values.
pub fn probability_scale() -> ConditionalFormat3ColorScale {
    ConditionalFormat3ColorScale::new()
        .set_minimum(ConditionalFormatType::Number, 0)
        .set_midpoint(ConditionalFormatType::Number, 0.5)
        .set_maximum(ConditionalFormatType::Number, 1)
        .set_minimum_color(Color::RGB(0xF8696B))
        .set_midpoint_color(Color::RGB(0xFFEB84))
        .set_maximum_color(Color::RGB(0x63BE7B))
}

/// The cell formats of every sheet.
pub struct Formats {
    pub header: Format,
    pub title: Format,
    pub yuan: Format,
    pub share: Format,
    pub count: Format,
    pub year: Format,
    pub number: Format,
}

impl Formats {
    pub fn new() -> Formats {
        Formats {
            header: Format::new()
                .set_bold()
                .set_background_color(Color::RGB(0xDDEBF7))
                .set_align(FormatAlign::Center),
            title: Format::new().set_bold().set_font_size(13),
            // Two thousands-scaling commas: the stored yuan are displayed in millions.
            yuan: Format::new().set_num_format("#,##0.00,,"),
            share: Format::new().set_num_format("0.0%"),
            count: Format::new().set_num_format("#,##0"),
            year: Format::new().set_num_format("0"),
            number: Format::new().set_num_format("General"),
        }
    }

    fn of(&self, kind: Kind) -> &Format {
        match kind {
            Yuan => &self.yuan,
            Share => &self.share,
            Count => &self.count,
            Year => &self.year,
            Number | OfMetric(_) | Text => &self.number,
        }
    }
}

/// Writes one CSV field at (r, c): text as a string, a number as the f64 its text parses
/// to, an empty field as a blank. Returns roughly what Excel will show, for the width.
pub fn write_cell(
    ws: &mut Worksheet,
    r: u32,
    c: u16,
    text: &str,
    kind: Kind,
    formats: &Formats,
) -> Result<String> {
    if kind == Text {
        ws.write_string(r, c, text)?;
        return Ok(text.to_string());
    }
    let format = formats.of(kind);
    if text.is_empty() {
        ws.write_blank(r, c, format)?;
        return Ok(String::new());
    }
    match text.parse::<f64>() {
        // Excel has no infinity or NaN: such a value is kept as the CSV's text.
        Ok(x) if x.is_finite() => {
            ws.write_number_with_format(r, c, x, format)?;
            Ok(shown(x, kind))
        }
        _ => {
            ws.write_string(r, c, text)?;
            Ok(text.to_string())
        }
    }
}

/// Roughly the text Excel shows for `x` in a column of `kind`.
fn shown(x: f64, kind: Kind) -> String {
    match kind {
        Yuan => grouped(&format!("{:.2}", x / 1e6)),
        Share => format!("{:.1}%", x * 100.0),
        Count => grouped(&format!("{x:.0}")),
        Year => format!("{x:.0}"),
        // General shows at most 11 characters.
        _ => {
            let t = crate::output::tables::num(x);
            t.chars().take(11).collect()
        }
    }
}

fn grouped(text: &str) -> String {
    let (int, frac) = text.split_once('.').map_or((text, ""), |(i, f)| (i, f));
    let (sign, digits) = int.strip_prefix('-').map_or(("", int), |d| ("-", d));
    let mut out = String::from(sign);
    for (k, ch) in digits.chars().enumerate() {
        if k > 0 && (digits.len() - k) % 3 == 0 {
            out.push(',');
        }
        out.push(ch);
    }
    if !frac.is_empty() {
        out.push('.');
        out.push_str(frac);
    }
    out
}

/// Column widths that fit the widest shown text (a CJK character counts two).
pub struct Widths(Vec<usize>);

impl Widths {
    pub fn new(columns: usize) -> Widths {
        Widths(vec![0; columns])
    }

    pub fn fit(&mut self, c: usize, texts: &[&str]) {
        if c >= self.0.len() {
            self.0.resize(c + 1, 0);
        }
        for t in texts {
            let w = t
                .chars()
                .map(|ch| if ch >= '\u{2E80}' { 2 } else { 1 })
                .sum::<usize>();
            self.0[c] = self.0[c].max(w);
        }
    }

    pub fn apply(&self, ws: &mut Worksheet) -> Result<()> {
        for (c, w) in self.0.iter().enumerate() {
            ws.set_column_width(c as u16, (*w).clamp(6, 60) as f64 + 2.0)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shown_text_groups_thousands_and_scales_money_to_millions() {
        assert_eq!(shown(1_234_567_890.0, Yuan), "1,234.57");
        assert_eq!(shown(-25_004_998.5, Yuan), "-25.00");
        assert_eq!(shown(0.245, Share), "24.5%");
        assert_eq!(shown(1234567.0, Count), "1,234,567");
        assert_eq!(grouped("123"), "123");
    }
}
