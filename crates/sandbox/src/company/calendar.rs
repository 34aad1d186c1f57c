//! The two generated years (2023 and 2024) as day numbers counted from 2023-01-01, and the
//! month and quarter labels that descriptions and references use.

pub const DAYS: u16 = 731;
pub const MONTHS: usize = 24;

const MONTH_LENGTHS: [u16; MONTHS] = [
    31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31, // 2023
    31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31, // 2024 (leap year)
];

const MONTH_NAMES: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// Day number of the first day of each month, plus the day after the last one.
pub const MONTH_STARTS: [u16; MONTHS + 1] = {
    let mut starts = [0u16; MONTHS + 1];
    let mut m = 0;
    while m < MONTHS {
        starts[m + 1] = starts[m] + MONTH_LENGTHS[m];
        m += 1;
    }
    starts
};

pub fn month_length(month: usize) -> u16 {
    MONTH_LENGTHS[month]
}

/// Month index (0 = January 2023) of a day inside the generated range; days past the end
/// count as the last month.
pub fn month_of(day: u16) -> usize {
    (MONTH_STARTS.partition_point(|&s| s <= day) - 1).min(MONTHS - 1)
}

/// Monday = 0 … Sunday = 6 (2023-01-01 was a Sunday).
pub fn weekday(day: u16) -> u16 {
    (day + 6) % 7
}

/// "March 2024".
pub fn month_label(month: usize) -> String {
    format!("{} {}", MONTH_NAMES[month % 12], 2023 + month / 12)
}

/// The quarter a payment made in `month` settles: the one that ended a month or two before,
/// which is when VAT and sales tax returns fall due. "Q4 2023" for a payment in Feb 2024.
pub fn quarter_label(month: usize) -> String {
    let settled = month as i32 - 2;
    let year = 2023 + settled.div_euclid(12);
    let quarter = settled.rem_euclid(12) / 3 + 1;
    format!("Q{quarter} {year}")
}

/// Fills `{month}` and `{quarter}` for the record's month and `{n}` with its number.
pub fn render(pattern: &str, month: usize, n: u32) -> std::borrow::Cow<'_, str> {
    if !pattern.contains('{') {
        return pattern.into();
    }
    pattern
        .replace("{month}", &month_label(month))
        .replace("{quarter}", &quarter_label(month))
        .replace("{n}", &n.to_string())
        .into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_calendar_covers_two_years() {
        assert_eq!(MONTH_STARTS[MONTHS], DAYS);
        assert_eq!(month_of(0), 0);
        assert_eq!(month_of(31), 1);
        assert_eq!(month_of(730), 23);
        assert_eq!(weekday(0), 6);
    }

    #[test]
    fn labels_read_like_a_bookkeeper_writes_them() {
        assert_eq!(month_label(14), "March 2024");
        assert_eq!(quarter_label(13), "Q4 2023");
        assert_eq!(quarter_label(1), "Q4 2022");
        assert_eq!(quarter_label(4), "Q1 2023");
        assert_eq!(render("VAT {quarter}", 13, 0), "VAT Q4 2023");
        assert_eq!(render("BA{n}", 0, 123456), "BA123456");
    }
}
