//! Per-user limits: requests per minute (GCRA, via `governor`) and the daily token quota
//! (`ferry_core::quota`), decided in one place per user — the [`object::LimitsObject`]
//! Durable Object — so they hold across every edge location, not per isolate. The same
//! object class, under the name `ops`, records once-a-day operator notices.
//!
//! This module is plain Rust: the decisions take the time as a parameter and are tested
//! natively. `object` is the Durable Object around them; `client` is the worker's side.
//!
//! The rate limiter lives in the object's memory. Losing it when an idle object is evicted
//! is harmless: an object is only evicted after a long idle spell, by which time the
//! bucket would have refilled anyway. The quota's settled count is kept in the object's
//! storage; reservations of calls in flight stay in its memory (`object::LimitsObject`).

pub mod client;
pub mod local;
pub mod object;
pub mod outlook;

use std::num::NonZeroU32;
use std::time::Duration;

use ferry_core::quota::{QuotaState, Reservation};
use governor::clock::{Clock, FakeRelativeClock};
use governor::middleware::StateInformationMiddleware;
use governor::state::{InMemoryState, NotKeyed};
use governor::{Quota, RateLimiter};
use serde::{Deserialize, Serialize};

/// What the worker asks of a user's limits before a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdmitRequest {
    pub per_minute: u32,
    pub daily_quota: u64,
    /// Tokens to hold against the quota until the call settles (0: rate limit only).
    pub reserve_tokens: u64,
}

/// What the worker reports after a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SettleRequest {
    pub reservation: Reservation,
    pub used_tokens: u64,
}

/// A once-only mark (an operator notice already sent today, say).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claim {
    pub label: String,
}

/// The decision, with what the `X-RateLimit-*` headers say.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Admission {
    pub limit: u32,
    pub remaining: u32,
    /// Seconds until the per-minute allowance is whole again.
    pub reset_secs: u64,
    /// Quota tokens left today after this call's reservation (for a call that reserves).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quota_left: Option<u64>,
    pub outcome: Outcome,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Outcome {
    Admitted { reservation: Option<Reservation> },
    RateLimited { retry_after_secs: u64 },
    QuotaExceeded { retry_after_secs: u64 },
}

/// Read in one pass, every field any outcome may hold beside its `kind`: as an internally
/// tagged enum, serde would first copy the value into a buffer of its own to find the tag.
impl<'de> Deserialize<'de> for Outcome {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        use serde::de::Error;
        #[derive(Deserialize)]
        #[serde(rename_all = "snake_case")]
        enum Kind {
            Admitted,
            RateLimited,
            QuotaExceeded,
        }
        #[derive(Deserialize)]
        struct Flat {
            kind: Kind,
            #[serde(default)]
            reservation: Option<Reservation>,
            #[serde(default)]
            retry_after_secs: Option<u64>,
        }
        let flat = Flat::deserialize(deserializer)?;
        let retry_after_secs = || {
            flat.retry_after_secs
                .ok_or(D::Error::missing_field("retry_after_secs"))
        };
        Ok(match flat.kind {
            Kind::Admitted => Self::Admitted {
                reservation: flat.reservation,
            },
            Kind::RateLimited => Self::RateLimited {
                retry_after_secs: retry_after_secs()?,
            },
            Kind::QuotaExceeded => Self::QuotaExceeded {
                retry_after_secs: retry_after_secs()?,
            },
        })
    }
}

type Gcra = RateLimiter<NotKeyed, InMemoryState, FakeRelativeClock, StateInformationMiddleware>;

/// One user's limits, driven by the times handed in.
pub struct UserLimits {
    per_minute: NonZeroU32,
    clock: FakeRelativeClock,
    last_ms: Option<u64>,
    rate: Gcra,
}

impl UserLimits {
    pub fn new(per_minute: u32) -> Self {
        let per_minute = NonZeroU32::new(per_minute).unwrap_or(NonZeroU32::MIN);
        let clock = FakeRelativeClock::default();
        let rate = RateLimiter::direct_with_clock(Quota::per_minute(per_minute), clock.clone())
            .with_middleware::<StateInformationMiddleware>();
        Self {
            per_minute,
            clock,
            last_ms: None,
            rate,
        }
    }

    /// Moves the limiter's clock to `now_ms` (never backwards).
    fn tick(&mut self, now_ms: u64) {
        let last = *self.last_ms.get_or_insert(now_ms);
        if now_ms > last {
            self.clock.advance(Duration::from_millis(now_ms - last));
            self.last_ms = Some(now_ms);
        }
    }

    /// Seconds for `used` spent cells to come back.
    fn refill_secs(&self, used: u32) -> u64 {
        (u64::from(used) * 60).div_ceil(u64::from(self.per_minute.get()))
    }

    /// One request: counted against the per-minute rate first, then (if admitted and it
    /// reserves tokens) against the day's quota.
    pub fn admit(
        &mut self,
        now_ms: u64,
        quota: &mut QuotaState,
        request: &AdmitRequest,
    ) -> Admission {
        if request.per_minute != self.per_minute.get() {
            // The operator changed the limit: start afresh with the new one.
            *self = Self::new(request.per_minute);
        }
        self.tick(now_ms);
        let limit = self.per_minute.get();
        let mut quota_left = None;
        let (remaining, outcome) = match self.rate.check() {
            Err(not_until) => {
                let wait = not_until.wait_time_from(self.clock.now());
                let retry_after_secs = wait.as_millis().div_ceil(1000).max(1) as u64;
                (0, Outcome::RateLimited { retry_after_secs })
            }
            Ok(snapshot) => {
                let remaining = snapshot.remaining_burst_capacity();
                let outcome = if request.reserve_tokens == 0 {
                    Outcome::Admitted { reservation: None }
                } else {
                    match quota.reserve(now_ms, request.reserve_tokens, request.daily_quota) {
                        Ok(reservation) => {
                            quota_left = Some(quota.remaining(request.daily_quota));
                            Outcome::Admitted {
                                reservation: Some(reservation),
                            }
                        }
                        Err(refused) => Outcome::QuotaExceeded {
                            retry_after_secs: refused.retry_after_secs().unwrap_or(1),
                        },
                    }
                };
                (remaining, outcome)
            }
        };
        Admission {
            limit,
            remaining,
            reset_secs: self.refill_secs(limit - remaining.min(limit)),
            quota_left,
            outcome,
        }
    }
}

/// The least time between two writes of one user's settled quota count.
pub const WRITE_EVERY_MS: u64 = 5_000;

/// When a limits object writes its quota to storage.
///
/// A change is written at once when nothing was written in the last [`WRITE_EVERY_MS`];
/// otherwise the object's alarm writes it at the end of that span, with every change made
/// meanwhile. A user's burst of calls then costs three storage writes (one the alarm's) in
/// five seconds, not one per call: in workerd, a write is the largest single cost of a
/// counted call. A user whose calls are further apart is written once per call, as before.
/// What an object could lose is what it settled since its last write, should it go before
/// its alarm rings: a crash or a deploy within those seconds, since an object is only
/// evicted idle.
#[derive(Debug, Default)]
pub struct Writes {
    last_ms: Option<u64>,
    /// When the alarm set for a change not yet written rings.
    alarm_ms: Option<u64>,
}

/// What to do with a change to the quota.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Write {
    /// Write it now.
    Now,
    /// Set the alarm to ring at this time (ms since the epoch), and write then.
    AlarmAt(u64),
    /// The alarm already set writes it.
    Later,
}

impl Writes {
    /// The quota changed at `now_ms`.
    pub fn changed(&mut self, now_ms: u64) -> Write {
        if self.alarm_ms.is_some() {
            return Write::Later;
        }
        match self.last_ms {
            Some(last) if now_ms < last.saturating_add(WRITE_EVERY_MS) => {
                let at = last.saturating_add(WRITE_EVERY_MS);
                self.alarm_ms = Some(at);
                Write::AlarmAt(at)
            }
            _ => {
                self.last_ms = Some(now_ms);
                Write::Now
            }
        }
    }

    /// The alarm rang at `now_ms`, or could not be set: whether a change waits to be
    /// written (the caller writes it now). An alarm of an object that has since restarted
    /// finds nothing waiting: what it was set for is gone with the memory that held it.
    pub fn due(&mut self, now_ms: u64) -> bool {
        let due = self.alarm_ms.take().is_some();
        if due {
            self.last_ms = Some(now_ms);
        }
        due
    }

    /// Writing at `now_ms` failed in the alarm, which the runtime rings again: it is due then.
    pub fn again(&mut self, now_ms: u64) {
        self.alarm_ms = Some(now_ms);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T0: u64 = 1_800_000_000_000;

    /// The object and the worker speak this JSON; it is the same as serde's tagged form.
    #[test]
    fn outcomes_cross_as_tagged_json() {
        let admitted = Outcome::Admitted {
            reservation: Some(Reservation { day: 3, tokens: 40 }),
        };
        for (outcome, json) in [
            (
                admitted,
                r#"{"kind":"admitted","reservation":{"day":3,"tokens":40}}"#,
            ),
            (
                Outcome::Admitted { reservation: None },
                r#"{"kind":"admitted","reservation":null}"#,
            ),
            (
                Outcome::RateLimited {
                    retry_after_secs: 4,
                },
                r#"{"kind":"rate_limited","retry_after_secs":4}"#,
            ),
            (
                Outcome::QuotaExceeded {
                    retry_after_secs: 9,
                },
                r#"{"kind":"quota_exceeded","retry_after_secs":9}"#,
            ),
        ] {
            assert_eq!(serde_json::to_string(&outcome).unwrap(), json);
            assert_eq!(
                serde_json::from_slice::<Outcome>(json.as_bytes()).unwrap(),
                outcome
            );
        }
        let short = serde_json::from_slice::<Outcome>(br#"{"kind":"rate_limited"}"#);
        assert!(short.is_err());
        assert!(serde_json::from_slice::<Outcome>(br#"{"kind":"maybe"}"#).is_err());
    }

    fn ask(per_minute: u32, reserve_tokens: u64) -> AdmitRequest {
        AdmitRequest {
            per_minute,
            daily_quota: 10_000,
            reserve_tokens,
        }
    }

    #[test]
    fn exactly_the_limit_is_admitted_at_once_then_one_per_interval() {
        let mut limits = UserLimits::new(5);
        let mut quota = QuotaState::default();
        let outcomes: Vec<_> = (0..8)
            .map(|_| limits.admit(T0, &mut quota, &ask(5, 0)))
            .collect();
        let admitted = outcomes
            .iter()
            .filter(|a| matches!(a.outcome, Outcome::Admitted { .. }))
            .count();
        assert_eq!(admitted, 5);
        assert_eq!(
            outcomes.iter().map(|a| a.remaining).collect::<Vec<_>>(),
            [4, 3, 2, 1, 0, 0, 0, 0]
        );
        // 5 per minute: one cell comes back every 12 s.
        assert_eq!(
            outcomes[5].outcome,
            Outcome::RateLimited {
                retry_after_secs: 12
            }
        );
        assert_eq!(outcomes[4].reset_secs, 60);
        let early = limits.admit(T0 + 11_999, &mut quota, &ask(5, 0));
        assert!(matches!(early.outcome, Outcome::RateLimited { .. }));
        let on_time = limits.admit(T0 + 12_000, &mut quota, &ask(5, 0));
        assert!(matches!(on_time.outcome, Outcome::Admitted { .. }));
    }

    #[test]
    fn a_quiet_minute_restores_the_whole_allowance() {
        let mut limits = UserLimits::new(3);
        let mut quota = QuotaState::default();
        for _ in 0..3 {
            limits.admit(T0, &mut quota, &ask(3, 0));
        }
        let later = limits.admit(T0 + 60_000, &mut quota, &ask(3, 0));
        assert_eq!(later.remaining, 2);
    }

    #[test]
    fn quota_reservations_ride_on_admitted_requests_only() {
        let mut limits = UserLimits::new(100);
        let mut quota = QuotaState::default();
        let first = limits.admit(T0, &mut quota, &ask(100, 6_000));
        let Outcome::Admitted {
            reservation: Some(reservation),
        } = first.outcome
        else {
            panic!("{first:?}")
        };
        // 6 000 reserved of 10 000: room left, so one more goes through…
        assert!(matches!(
            limits.admit(T0, &mut quota, &ask(100, 6_000)).outcome,
            Outcome::Admitted { .. }
        ));
        // …and then none.
        let refused = limits.admit(T0, &mut quota, &ask(100, 6_000));
        assert!(matches!(refused.outcome, Outcome::QuotaExceeded { .. }));
        assert_eq!(first.quota_left, Some(4_000));
        quota.settle(T0, reservation, 10);
        assert_eq!(quota.reserved, 6_000);
    }

    #[test]
    fn a_changed_limit_takes_effect() {
        let mut limits = UserLimits::new(1);
        let mut quota = QuotaState::default();
        limits.admit(T0, &mut quota, &ask(1, 0));
        let raised = limits.admit(T0, &mut quota, &ask(10, 0));
        assert!(matches!(raised.outcome, Outcome::Admitted { .. }));
        assert_eq!(raised.limit, 10);
    }

    #[test]
    fn a_lone_change_is_written_at_once() {
        let mut writes = Writes::default();
        assert_eq!(writes.changed(T0), Write::Now);
        // A second later (or after), at once again.
        assert_eq!(writes.changed(T0 + WRITE_EVERY_MS), Write::Now);
        assert_eq!(writes.changed(T0 + 10 * WRITE_EVERY_MS), Write::Now);
        assert!(!writes.due(T0 + 10 * WRITE_EVERY_MS));
    }

    #[test]
    fn a_burst_is_written_once_more_by_the_alarm_at_the_end_of_the_span() {
        let mut writes = Writes::default();
        assert_eq!(writes.changed(T0), Write::Now);
        assert_eq!(writes.changed(T0 + 10), Write::AlarmAt(T0 + WRITE_EVERY_MS));
        for ms in [20, 500, WRITE_EVERY_MS - 1] {
            assert_eq!(writes.changed(T0 + ms), Write::Later);
        }
        // The alarm writes them all; a change soon after it waits for the next span.
        assert!(writes.due(T0 + WRITE_EVERY_MS));
        assert!(!writes.due(T0 + WRITE_EVERY_MS + 1));
        assert_eq!(
            writes.changed(T0 + WRITE_EVERY_MS + 5),
            Write::AlarmAt(T0 + 2 * WRITE_EVERY_MS)
        );
    }

    #[test]
    fn an_alarm_that_could_not_be_set_leaves_the_change_to_write_now() {
        let mut writes = Writes::default();
        writes.changed(T0);
        assert_eq!(writes.changed(T0 + 1), Write::AlarmAt(T0 + WRITE_EVERY_MS));
        // Setting it failed: the caller writes at once, and the next change starts afresh.
        assert!(writes.due(T0 + 1));
        assert_eq!(
            writes.changed(T0 + 2),
            Write::AlarmAt(T0 + 1 + WRITE_EVERY_MS)
        );
    }

    #[test]
    fn a_failed_write_in_the_alarm_is_due_when_the_runtime_rings_it_again() {
        let mut writes = Writes::default();
        writes.changed(T0);
        writes.changed(T0 + 1);
        assert!(writes.due(T0 + WRITE_EVERY_MS));
        writes.again(T0 + WRITE_EVERY_MS);
        assert_eq!(writes.changed(T0 + WRITE_EVERY_MS + 1), Write::Later);
        assert!(writes.due(T0 + WRITE_EVERY_MS + 2_000));
        assert!(!writes.due(T0 + WRITE_EVERY_MS + 4_000));
    }

    #[test]
    fn a_clock_that_steps_back_still_writes_within_the_span() {
        let mut writes = Writes::default();
        writes.changed(T0);
        assert_eq!(
            writes.changed(T0 - 5_000),
            Write::AlarmAt(T0 + WRITE_EVERY_MS)
        );
        assert_eq!(Writes::default().changed(u64::MAX), Write::Now);
    }
}
