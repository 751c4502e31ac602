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
    /// The calendar year of each month of `month_starts`.
    month_years: Vec<i32>,
    /// The month of each whole day of the monthly series, from `month_starts[0]`: month
    /// starts are whole days, so the day's floor finds its month.
    month_of_day: Vec<u16>,
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
            .map(|y| {
                day(NaiveDate::from_ymd_opt(y, 1, 1)
                    .expect("scenario dates lie in 1900..2200, so 1 January of each year exists"))
            })
            .collect();
        let mut month_starts = Vec::new();
        let mut month_years = Vec::new();
        let (mut y, mut m) = (months_from.year(), months_from.month());
        loop {
            let d = NaiveDate::from_ymd_opt(y, m, 1)
                .expect("m runs 1..=12 within a year of 1900..2201, so its first day exists");
            month_starts.push(day(d));
            month_years.push(y);
            if (y, m) > (until.year(), until.month()) {
                break;
            }
            (y, m) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
        }
        let month_of_day = month_starts
            .windows(2)
            .enumerate()
            .flat_map(|(m, w)| {
                let m = u16::try_from(m)
                    .expect("a calendar spans at most 100 years, fewer than 65,536 months");
                std::iter::repeat_n(m, (w[1] - w[0]) as usize)
            })
            .collect();
        Calendar {
            origin,
            first_year,
            year_starts,
            first_month: (months_from.year(), months_from.month()),
            month_starts,
            month_years,
            month_of_day,
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

    /// Calendar year of `day`; days past the range map to `last_year() + 1`, days before it
    /// to `first_year() - 1`.
    pub fn year_of(&self, day: f64) -> i32 {
        // Not `!(day < ..)`: a NaN day is before everything, as a binary search would say.
        #[allow(clippy::neg_cmp_op_on_partial_ord)]
        if !(day >= self.year_starts[0]) {
            return self.first_year - 1;
        }
        self.first_year + last_start_at_or_before(&self.year_starts, day, DAYS_PER_YEAR) as i32
    }

    pub fn month_count(&self) -> usize {
        self.month_starts.len() - 1
    }

    /// Index of the month containing `day` in the monthly series, clamped to the series.
    #[inline]
    pub fn month_of(&self, day: f64) -> usize {
        self.month_inside(day)
            .unwrap_or_else(|| last_start_at_or_before(&self.month_starts, day, DAYS_PER_MONTH))
    }

    /// The month of `day` when the day falls inside the monthly series: one table read.
    #[inline(always)]
    fn month_inside(&self, day: f64) -> Option<usize> {
        let offset = day - self.month_starts[0];
        // A NaN offset fails the comparison; `as` floors the non-negative others.
        (offset >= 0.0)
            .then(|| self.month_of_day.get(offset as usize))
            .flatten()
            .map(|&m| m as usize)
    }

    /// `(year_of(day), month_of(day))`, with one table read when the day falls inside the
    /// monthly series (a month lies within one calendar year).
    #[inline(always)]
    pub fn year_and_month_of(&self, day: f64) -> (i32, usize) {
        match self.month_inside(day) {
            Some(m) => (self.month_years[m], m),
            None => (self.year_of(day), self.month_of(day)),
        }
    }

    /// `YYYY-MM` label of month index `i`.
    pub fn month_label(&self, i: usize) -> String {
        let (y, m) = self.first_month;
        let total = (y * 12 + m as i32 - 1) + i as i32;
        format!("{:04}-{:02}", total / 12, total % 12 + 1)
    }
}

/// The index of the last of `starts` (ascending, about `spacing` days apart) at or before
/// `day`, or 0 when none is. Guessed from the spacing and corrected by stepping: O(1) for
/// calendar years and months, where a binary search was a measurable share of a
/// replication (two lookups per payment).
#[inline]
fn last_start_at_or_before(starts: &[f64], day: f64, spacing: f64) -> usize {
    // `as` truncates (floor, for the non-negative guesses that matter) and saturates:
    // negative and NaN guesses give 0, huge ones clamp to the last start.
    let mut i = (((day - starts[0]) / spacing) as usize).min(starts.len() - 1);
    while i + 1 < starts.len() && starts[i + 1] <= day {
        i += 1;
    }
    while i > 0 && starts[i] > day {
        i -= 1;
    }
    i
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

    /// The O(1) lookups agree with a binary search on every half day of a long range, on
    /// both sides of it, and on the exact boundaries.
    #[test]
    fn lookups_agree_with_binary_search() {
        let c = Calendar::new(
            d("2023-09-08"),
            d("2021-01-01"),
            d("2022-02-01"),
            d("2030-12-31"),
        );
        let year_by_search =
            |day: f64| c.first_year + c.year_starts.partition_point(|&s| s <= day) as i32 - 1;
        let month_by_search = |day: f64| {
            c.month_starts
                .partition_point(|&s| s <= day)
                .saturating_sub(1)
                .min(c.month_count())
        };
        let boundaries = c.year_starts.iter().chain(&c.month_starts);
        let days = (-2000..8000)
            .map(|h| h as f64 / 2.0)
            .chain(boundaries.flat_map(|&s| [s - 1e-9, s, s + 1e-9]))
            .chain([f64::NEG_INFINITY, f64::INFINITY, -1e300, 1e300]);
        for day in days {
            assert_eq!(c.year_of(day), year_by_search(day), "year of day {day}");
            assert_eq!(c.month_of(day), month_by_search(day), "month of day {day}");
            assert_eq!(c.year_and_month_of(day), (c.year_of(day), c.month_of(day)));
        }
        assert_eq!(c.year_of(f64::NAN), c.first_year() - 1);
        assert_eq!(c.month_of(f64::NAN), 0);
    }
}
