//! JupyterHub's `exponential_backoff` as the proxy client uses it: the first wait is up to
//! 0.2 s, each later one up to twice the last, at most 5 s, each drawn at random below its
//! limit ("full jitter"), until the time budget (30 s in JupyterHub) is spent.

use std::time::Duration;

use tokio::time::Instant;

/// The waits between attempts of one call.
pub(crate) struct Backoff {
    deadline: Instant,
    limit: Duration,
}

const FIRST_LIMIT: Duration = Duration::from_millis(200);
const MAX_LIMIT: Duration = Duration::from_secs(5);

impl Backoff {
    /// Starts the budget now.
    pub(crate) fn new(budget: Duration) -> Self {
        Self {
            deadline: Instant::now() + budget,
            limit: FIRST_LIMIT,
        }
    }

    /// The next wait, or `None` when the budget is spent.
    pub(crate) fn next_wait(&mut self) -> Option<Duration> {
        let remaining = self.deadline.checked_duration_since(Instant::now())?;
        if remaining.is_zero() {
            return None;
        }
        let wait = self.limit.mul_f64(jitter()).min(remaining);
        self.limit = (self.limit * 2).min(MAX_LIMIT);
        Some(wait)
    }
}

/// A random factor in [0, 1); 1/2 if the OS has no randomness to give (it always has).
fn jitter() -> f64 {
    getrandom::u32().map_or(0.5, |r| f64::from(r) / (f64::from(u32::MAX) + 1.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_grow_to_the_cap_and_stop_at_the_budget() {
        let mut backoff = Backoff::new(Duration::from_secs(60));
        let limits: Vec<Duration> = (0..7)
            .map(|_| {
                let limit = backoff.limit;
                let wait = backoff.next_wait().unwrap_or(Duration::MAX);
                assert!(wait < limit, "{wait:?} < {limit:?}");
                limit
            })
            .collect();
        let ms = |n| Duration::from_millis(n);
        assert_eq!(
            limits,
            [
                ms(200),
                ms(400),
                ms(800),
                ms(1600),
                ms(3200),
                ms(5000),
                ms(5000)
            ]
        );
        assert_eq!(Backoff::new(Duration::ZERO).next_wait(), None);
    }
}
