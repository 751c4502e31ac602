//! The simulation clock: time is a day count (f64) from the scenario's start date, and
//! this calendar maps it to calendar years (fiscal years are calendar years in China) and
//! months. Year and month lookups are exact at midnight boundaries.

use chrono::{Datelike, NaiveDate};

pub const DAYS_PER_YEAR: f64 = 365.25;
pub const DAYS_PER_MONTH: f64 = DAYS_PER_YEAR / 12.0;

#[derive(Debug, Clone)]
pub struct Calendar {
    origin: NaiveDate,
    first_year: i32,
    /// Day of 1 January of each year first_year ..= last_year + 1.
    year_starts: Vec<f64>,
    /// First month of the monthly series (year, month) and the day each month starts,
    /// through the month after the last.
    first_month: (i32, u32),
    month_starts: Vec<f64>,
}

impl Calendar {
    /// A calendar with `origin` as day 0 covering the years of `from ..= until`.
    /// Months are counted from `months_from` (the month containing it) to `until`.
    pub fn new(
        origin: NaiveDate,
        from: NaiveDate,
        months_from: NaiveDate,
        until: NaiveDate,
    ) -> Calendar {
        let day = |d: NaiveDate| (d - origin).num_days() as f64;
        let first_year = from.year().min(origin.year());
        let year_starts = (first_year..=until.year() + 1)
            .map(|y| day(NaiveDate::from_ymd_opt(y, 1, 1).expect("valid year")))
            .collect();
        let mut month_starts = Vec::new();
        let (mut y, mut m) = (months_from.year(), months_from.month());
        loop {
            let d = NaiveDate::from_ymd_opt(y, m, 1).expect("valid month");
            month_starts.push(day(d));
            if (y, m) > (until.year(), until.month()) {
                break;
            }
            (y, m) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
        }
        Calendar {
            origin,
            first_year,
            year_starts,
            first_month: (months_from.year(), months_from.month()),
            month_starts,
        }
    }

    pub fn day(&self, date: NaiveDate) -> f64 {
        (date - self.origin).num_days() as f64
    }

    pub fn date(&self, day: f64) -> NaiveDate {
        self.origin + chrono::Duration::days(day.floor() as i64)
    }

    pub fn first_year(&self) -> i32 {
        self.first_year
    }

    pub fn last_year(&self) -> i32 {
        self.first_year + self.year_starts.len() as i32 - 2
    }

    /// Day of 1 January of `year` (any year in range, or the year after the last).
    pub fn year_start(&self, year: i32) -> f64 {
        self.year_starts[(year - self.first_year) as usize]
    }

    /// Calendar year of `day`; days past the range map to `last_year() + 1`.
    pub fn year_of(&self, day: f64) -> i32 {
        let i = self.year_starts.partition_point(|&s| s <= day);
        self.first_year + i as i32 - 1
    }

    pub fn month_count(&self) -> usize {
        self.month_starts.len() - 1
    }

    /// Index of the month containing `day` in the monthly series, clamped to the series.
    pub fn month_of(&self, day: f64) -> usize {
        let i = self.month_starts.partition_point(|&s| s <= day);
        i.saturating_sub(1).min(self.month_count())
    }

    /// `YYYY-MM` label of month index `i`.
    pub fn month_label(&self, i: usize) -> String {
        let (y, m) = self.first_month;
        let total = (y * 12 + m as i32 - 1) + i as i32;
        format!("{:04}-{:02}", total / 12, total % 12 + 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn years_and_months_map_at_boundaries() {
        let c = Calendar::new(
            d("2023-09-08"),
            d("2023-01-01"),
            d("2023-09-08"),
            d("2027-12-31"),
        );
        assert_eq!(c.first_year(), 2023);
        assert_eq!(c.last_year(), 2027);
        assert_eq!(c.year_of(c.day(d("2023-12-31"))), 2023);
        assert_eq!(c.year_of(c.day(d("2024-01-01"))), 2024);
        assert_eq!(c.year_of(c.day(d("2023-01-01"))), 2023);
        assert_eq!(c.year_of(c.day(d("2028-03-01"))), 2028);
        assert_eq!(c.month_of(0.0), 0);
        assert_eq!(c.month_label(0), "2023-09");
        assert_eq!(c.month_of(c.day(d("2024-01-01"))), 4);
        assert_eq!(c.month_label(4), "2024-01");
        assert_eq!(c.month_label(c.month_count() - 1), "2027-12");
    }
}
