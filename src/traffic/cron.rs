//! AWS cron expressions, the six-field form of EventBridge schedules and SAM `Schedule`
//! events: `minutes hours day-of-month month day-of-week year`, evaluated in UTC
//! (AWS EventBridge User Guide, "Cron expressions").
//!
//! Fields take `*`, a number, a range `a-b`, a list `a,b`, and a step `*/n` or `a-b/n` or
//! `a/n`; months also `JAN`..`DEC`, days of the week `SUN`..`SAT` (1 = Sunday, 7 = Saturday,
//! as AWS numbers them). One of day-of-month and day-of-week must be `?` (AWS refuses both
//! set). Also understood: `L` in day-of-month (the last day of the month), `nL` in
//! day-of-week (the last such weekday of the month) and `d#n` (the n-th such weekday). The
//! nearest-weekday form `W` is refused with a message.

use jiff::civil::Date;

/// Years AWS accepts in the year field.
const YEARS: (u32, u32) = (1970, 2199);

/// A parsed AWS cron expression.
#[derive(Clone, Debug, PartialEq)]
pub struct Cron {
    minutes: Vec<bool>,
    hours: Vec<bool>,
    days: DayRule,
    months: Vec<bool>,
    years: Vec<bool>,
    text: String,
}

/// Which days of a month fire.
#[derive(Clone, Debug, PartialEq)]
enum DayRule {
    /// Both day fields are `*` or `?`: every day.
    Every,
    /// Day-of-month set, index 1..=31.
    MonthDays(Vec<bool>),
    /// `L` in day-of-month.
    LastOfMonth,
    /// Day-of-week set, index 1..=7 (1 = Sunday).
    WeekDays(Vec<bool>),
    /// `dL`: the last weekday `d` of the month.
    LastWeekday(u32),
    /// `d#n`: the `n`-th weekday `d` of the month.
    NthWeekday(u32, u32),
}

const MONTHS: [&str; 12] = [
    "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC",
];
const WEEKDAYS: [&str; 7] = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];

impl Cron {
    /// Parses the six fields (e.g. `"0 12 * * ? *"`); the error says which field is wrong.
    pub fn parse(text: &str) -> Result<Cron, String> {
        let fields: Vec<&str> = text.split_whitespace().collect();
        if fields.len() != 6 {
            return Err(format!(
                "\"{text}\": an AWS cron expression has six fields (minutes hours \
                 day-of-month month day-of-week year); got {}",
                fields.len()
            ));
        }
        let cron = Cron {
            minutes: set("minutes", fields[0], 0, 59, &[])?,
            hours: set("hours", fields[1], 0, 23, &[])?,
            days: day_rule(fields[2], fields[4])?,
            months: set("month", fields[3], 1, 12, &MONTHS)?,
            years: set("year", fields[5], YEARS.0, YEARS.1, &[])?,
            text: text.split_whitespace().collect::<Vec<_>>().join(" "),
        };
        Ok(cron)
    }

    /// The expression as written (fields separated by one space).
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The first firing at or after minute `minute` of `day`, as (day, minute of day);
    /// `None` when the expression never fires again within its years.
    pub fn next_at_or_after(&self, mut day: Date, mut minute: u32) -> Option<(Date, u32)> {
        loop {
            let year = u32::try_from(day.year()).ok()?;
            if year > YEARS.1 {
                return None;
            }
            if self.years[year as usize]
                && self.months[day.month() as usize]
                && self.day_matches(day)
                && let Some(m) = self.minute_in_day(minute)
            {
                return Some((day, m));
            }
            day = day.tomorrow().ok()?;
            minute = 0;
        }
    }

    /// The first firing minute of a day at or after `from` (minute of day).
    fn minute_in_day(&self, from: u32) -> Option<u32> {
        (from..24 * 60).find(|&m| self.hours[(m / 60) as usize] && self.minutes[(m % 60) as usize])
    }

    fn day_matches(&self, day: Date) -> bool {
        let weekday = day.weekday().to_sunday_one_offset() as u32;
        let dom = day.day() as u32;
        let days_in_month = day.days_in_month() as u32;
        match &self.days {
            DayRule::Every => true,
            DayRule::MonthDays(s) => s[dom as usize],
            DayRule::LastOfMonth => dom == days_in_month,
            DayRule::WeekDays(s) => s[weekday as usize],
            DayRule::LastWeekday(w) => weekday == *w && dom + 7 > days_in_month,
            DayRule::NthWeekday(w, n) => weekday == *w && (dom - 1) / 7 + 1 == *n,
        }
    }
}

/// The day rule from the day-of-month and day-of-week fields.
fn day_rule(dom: &str, dow: &str) -> Result<DayRule, String> {
    let any = |f: &str| f == "?" || f == "*";
    if dom.contains('W') {
        return Err(format!(
            "day-of-month \"{dom}\": the nearest-weekday form W is not supported"
        ));
    }
    match (any(dom), any(dow)) {
        (true, true) => Ok(DayRule::Every),
        (false, false) => Err(format!(
            "day-of-month \"{dom}\" and day-of-week \"{dow}\" are both set; AWS needs one of \
             them to be ?"
        )),
        (false, true) if dom == "L" => Ok(DayRule::LastOfMonth),
        (false, true) => Ok(DayRule::MonthDays(set("day-of-month", dom, 1, 31, &[])?)),
        (true, false) => weekday_rule(dow),
    }
}

fn weekday_rule(dow: &str) -> Result<DayRule, String> {
    let day = |s: &str| value("day-of-week", s, 1, 7, &WEEKDAYS);
    if let Some((d, n)) = dow.split_once('#') {
        let n = value("day-of-week", n, 1, 5, &[])?;
        return Ok(DayRule::NthWeekday(day(d)?, n));
    }
    if let Some(d) = dow.strip_suffix('L') {
        return Ok(DayRule::LastWeekday(if d.is_empty() { 7 } else { day(d)? }));
    }
    Ok(DayRule::WeekDays(set("day-of-week", dow, 1, 7, &WEEKDAYS)?))
}

/// The values of one field as flags indexed by value (`0..=hi`).
fn set(field: &str, text: &str, lo: u32, hi: u32, names: &[&str]) -> Result<Vec<bool>, String> {
    let mut flags = vec![false; hi as usize + 1];
    for part in text.split(',') {
        let (range, step) = match part.split_once('/') {
            Some((r, s)) => (r, value(field, s, 1, hi.max(1), &[])?),
            None => (part, 1),
        };
        let (a, b) = match range {
            "*" | "?" => (lo, hi),
            r => match r.split_once('-') {
                Some((a, b)) => (
                    value(field, a, lo, hi, names)?,
                    value(field, b, lo, hi, names)?,
                ),
                None => {
                    let a = value(field, r, lo, hi, names)?;
                    (a, if part.contains('/') { hi } else { a })
                }
            },
        };
        if a > b {
            return Err(format!("{field} \"{text}\": range {a}-{b} runs backwards"));
        }
        for v in (a..=b).step_by(step as usize) {
            flags[v as usize] = true;
        }
    }
    Ok(flags)
}

/// One value of a field: a number in `lo..=hi` or a name (`names[0]` is `lo`).
fn value(field: &str, text: &str, lo: u32, hi: u32, names: &[&str]) -> Result<u32, String> {
    let upper = text.to_ascii_uppercase();
    if let Some(i) = names.iter().position(|n| *n == upper) {
        return Ok(lo + i as u32);
    }
    match text.parse::<u32>() {
        Ok(v) if (lo..=hi).contains(&v) => Ok(v),
        _ => Err(format!(
            "{field}: \"{text}\" is not a value from {lo} to {hi}{}",
            if names.is_empty() {
                String::new()
            } else {
                format!(" or {}..{}", names[0], names[names.len() - 1])
            }
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    fn next(c: &str, d: Date, m: u32) -> Option<(Date, u32)> {
        Cron::parse(c).unwrap().next_at_or_after(d, m)
    }

    #[test]
    fn noon_every_day_fires_at_minute_720() {
        assert_eq!(
            next("0 12 * * ? *", date(2024, 1, 1), 0),
            Some((date(2024, 1, 1), 720))
        );
        assert_eq!(
            next("0 12 * * ? *", date(2024, 1, 1), 721),
            Some((date(2024, 1, 2), 720))
        );
    }

    #[test]
    fn weekdays_skip_the_weekend() {
        // 2024-01-06 is a Saturday; the next MON-FRI day is Monday the 8th.
        let got = next("15 10 ? * MON-FRI *", date(2024, 1, 6), 0);
        assert_eq!(got, Some((date(2024, 1, 8), 615)));
    }

    #[test]
    fn last_day_last_friday_and_nth_weekday() {
        assert_eq!(
            next("0 0 L * ? *", date(2024, 2, 1), 0).unwrap().0,
            date(2024, 2, 29)
        );
        // The last Friday (6) of March 2024 is the 29th; the second Monday (2#2) the 11th.
        assert_eq!(
            next("0 0 ? * 6L *", date(2024, 3, 1), 0).unwrap().0,
            date(2024, 3, 29)
        );
        assert_eq!(
            next("0 0 ? * 2#2 *", date(2024, 3, 1), 0).unwrap().0,
            date(2024, 3, 11)
        );
    }

    #[test]
    fn steps_lists_and_years() {
        let c = Cron::parse("*/15 8-9,17 * * ? 2025").unwrap();
        assert_eq!(c.minutes.iter().filter(|&&b| b).count(), 4);
        assert_eq!(c.hours.iter().filter(|&&b| b).count(), 3);
        assert_eq!(
            c.next_at_or_after(date(2024, 6, 1), 0),
            Some((date(2025, 1, 1), 480))
        );
        let past = Cron::parse("0 0 * * ? 1999").unwrap();
        assert_eq!(past.next_at_or_after(date(2024, 1, 1), 0), None);
    }

    #[test]
    fn bad_expressions_name_their_field() {
        assert!(Cron::parse("0 12 * *").unwrap_err().contains("six fields"));
        assert!(Cron::parse("61 * * * ? *").unwrap_err().contains("minutes"));
        assert!(
            Cron::parse("0 0 1 * MON *")
                .unwrap_err()
                .contains("both set")
        );
        assert!(
            Cron::parse("0 0 1W * ? *")
                .unwrap_err()
                .contains("W is not supported")
        );
        assert!(Cron::parse("0 0 ? FOO * *").unwrap_err().contains("month"));
    }
}
