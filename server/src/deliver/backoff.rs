//! When to try a failed delivery again: the Standard Webhooks specification's example schedule,
//! growing from seconds (a blip) to a day (an outage), so a receiver that is down over a
//! weekend still gets its events. Each delay moves by up to a fifth either way, so deliveries
//! that failed together (one receiver's outage) do not all come back at the same instant.

use chrono::{DateTime, TimeDelta, Utc};

/// The delay after each failed attempt: after the first failure wait 5 s, after the second
/// 5 min, and so on. Nine retries after the first attempt, ten attempts in all.
pub const SCHEDULE: [TimeDelta; 9] = [
    TimeDelta::seconds(5),
    TimeDelta::minutes(5),
    TimeDelta::minutes(30),
    TimeDelta::hours(2),
    TimeDelta::hours(5),
    TimeDelta::hours(10),
    TimeDelta::hours(14),
    TimeDelta::hours(20),
    TimeDelta::hours(24),
];

/// How long after the first attempt the last retry comes, without jitter: 75 h 35 min 5 s,
/// about three days and three hours.
pub const GIVE_UP_AFTER: TimeDelta = total(&SCHEDULE);

/// How far jitter may move a delay either way, as a fraction of it.
const SPREAD: f64 = 0.2;

const fn total(delays: &[TimeDelta]) -> TimeDelta {
    let mut sum = TimeDelta::zero();
    let mut i = 0;
    while i < delays.len() {
        sum = sum
            .checked_add(&delays[i])
            .expect("the schedule is days long");
        i += 1;
    }
    sum
}

/// Where within ±20 % a delay lands: 0 is 20 % early, 0.5 on time, towards 1 up to 20 % late.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Jitter(f64);

impl Jitter {
    /// Uniform in [0, 1).
    pub fn random() -> Jitter {
        let mut bytes = [0u8; 8];
        getrandom::fill(&mut bytes).expect("the operating system's random source is available");
        // The top 53 bits fill an f64's mantissa exactly, so every value is equally likely.
        Jitter((u64::from_le_bytes(bytes) >> 11) as f64 / (1u64 << 53) as f64)
    }

    /// A chosen position in [0, 1), for tests and reproducible schedules.
    pub fn fixed(value: f64) -> Jitter {
        assert!(
            (0.0..1.0).contains(&value),
            "jitter is in [0, 1), not {value}"
        );
        Jitter(value)
    }

    fn factor(self) -> f64 {
        1.0 + SPREAD * (2.0 * self.0 - 1.0)
    }
}

/// When to try again after `failed_attempts` attempts have failed, the last at `failed_at`
/// (the first retry is asked for with 1; 0 is read as 1). `None` once the schedule is
/// exhausted: the delivery is given up.
pub fn next_attempt(
    failed_attempts: u32,
    failed_at: DateTime<Utc>,
    jitter: Jitter,
) -> Option<DateTime<Utc>> {
    let index = usize::try_from(failed_attempts.saturating_sub(1)).ok()?;
    let delay = SCHEDULE.get(index)?;
    let jittered = (delay.num_milliseconds() as f64 * jitter.factor()).round() as i64;
    failed_at.checked_add_signed(TimeDelta::milliseconds(jittered))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn failed_at() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2025-03-01T12:00:00Z")
            .unwrap()
            .to_utc()
    }

    #[test]
    fn each_failure_waits_its_scheduled_delay_until_the_schedule_ends() {
        fn check(failed_attempts: u32, expected: Option<TimeDelta>) {
            assert_eq!(
                next_attempt(failed_attempts, failed_at(), Jitter::fixed(0.5)),
                expected.map(|delay| failed_at() + delay),
                "after {failed_attempts} failed attempts"
            );
        }
        check(0, Some(TimeDelta::seconds(5)));
        check(1, Some(TimeDelta::seconds(5)));
        check(2, Some(TimeDelta::minutes(5)));
        check(3, Some(TimeDelta::minutes(30)));
        check(4, Some(TimeDelta::hours(2)));
        check(5, Some(TimeDelta::hours(5)));
        check(6, Some(TimeDelta::hours(10)));
        check(7, Some(TimeDelta::hours(14)));
        check(8, Some(TimeDelta::hours(20)));
        check(9, Some(TimeDelta::hours(24)));
        check(10, None);
        check(u32::MAX, None);
    }

    #[test]
    fn each_delay_is_longer_than_the_one_before() {
        for pair in SCHEDULE.windows(2) {
            assert!(pair[0] < pair[1], "{pair:?}");
        }
    }

    #[test]
    fn jitter_moves_a_retry_by_at_most_a_fifth_of_its_delay() {
        let delay = TimeDelta::hours(10);
        let check = |jitter: Jitter| {
            let at = next_attempt(6, failed_at(), jitter).unwrap();
            let waited = at - failed_at();
            assert!(
                waited >= delay * 4 / 5 && waited <= delay * 6 / 5,
                "{jitter:?} waited {waited}"
            );
        };
        check(Jitter::fixed(0.0));
        check(Jitter::fixed(0.999_999));
        for _ in 0..1_000 {
            check(Jitter::random());
        }
        assert_eq!(
            next_attempt(6, failed_at(), Jitter::fixed(0.0)),
            Some(failed_at() + TimeDelta::hours(8))
        );
    }

    #[test]
    fn random_jitter_spreads_retries_apart() {
        let draws: Vec<Jitter> = (0..100).map(|_| Jitter::random()).collect();
        assert!(draws.iter().all(|j| (0.0..1.0).contains(&j.0)));
        assert!(draws.iter().any(|j| j.0 < 0.5) && draws.iter().any(|j| j.0 >= 0.5));
    }

    #[test]
    fn the_schedule_gives_up_after_about_three_days() {
        assert_eq!(
            GIVE_UP_AFTER,
            TimeDelta::hours(75) + TimeDelta::minutes(35) + TimeDelta::seconds(5)
        );
        assert!(GIVE_UP_AFTER > TimeDelta::hours(60) && GIVE_UP_AFTER < TimeDelta::hours(84));
        // Following the schedule attempt by attempt ends exactly there.
        let mut at = failed_at();
        let mut failed = 1;
        while let Some(next) = next_attempt(failed, at, Jitter::fixed(0.5)) {
            at = next;
            failed += 1;
        }
        assert_eq!(failed, 10);
        assert_eq!(at - failed_at(), GIVE_UP_AFTER);
    }
}
