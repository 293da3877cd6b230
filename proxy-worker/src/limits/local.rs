//! The fallback when a user's `LimitsObject` cannot be reached: the same per-minute GCRA,
//! kept in this isolate's memory, keyed by the limits object's name. It is weaker than the
//! object (each isolate counts apart, and the daily quota is not checked), but a user who
//! makes their own object fail — a burst can overload it — still meets a limit rather than
//! none.

use std::cell::RefCell;
use std::collections::HashMap;

use ferry_core::quota::QuotaState;

use super::{Admission, AdmitRequest, UserLimits};

/// Callers remembered per isolate, at most.
pub const CAPACITY: usize = 10_000;

/// After this long without a request, a caller's allowance is whole again: forgetting it
/// changes nothing.
const IDLE_MS: u64 = 60_000;

struct Entry {
    limits: UserLimits,
    last_ms: u64,
}

/// Per-minute limiters by caller, bounded to `capacity` callers.
pub struct LocalLimits {
    capacity: usize,
    callers: HashMap<String, Entry>,
}

impl LocalLimits {
    pub fn new(capacity: usize) -> Self {
        Self {
            capacity: capacity.max(1),
            callers: HashMap::new(),
        }
    }

    /// One request of `caller` at `now_ms`, `per_minute` allowed.
    pub fn admit(&mut self, caller: &str, per_minute: u32, now_ms: u64) -> Admission {
        if !self.callers.contains_key(caller) && self.callers.len() >= self.capacity {
            self.make_room(now_ms);
        }
        let entry = self
            .callers
            .entry(caller.to_owned())
            .or_insert_with(|| Entry {
                limits: UserLimits::new(per_minute),
                last_ms: now_ms,
            });
        entry.last_ms = entry.last_ms.max(now_ms);
        let ask = AdmitRequest {
            per_minute,
            daily_quota: u64::MAX,
            reserve_tokens: 0,
        };
        entry.limits.admit(now_ms, &mut QuotaState::default(), &ask)
    }

    /// Forgets idle callers; if none is idle, the least recently seen one.
    fn make_room(&mut self, now_ms: u64) {
        self.callers
            .retain(|_, e| now_ms.saturating_sub(e.last_ms) < IDLE_MS);
        if self.callers.len() >= self.capacity {
            let oldest = self
                .callers
                .iter()
                .min_by_key(|(_, e)| e.last_ms)
                .map(|(k, _)| k.clone());
            if let Some(oldest) = oldest {
                self.callers.remove(&oldest);
            }
        }
    }
}

thread_local! {
    static LOCAL: RefCell<LocalLimits> = RefCell::new(LocalLimits::new(CAPACITY));
}

/// [`LocalLimits::admit`] on this isolate's limiter.
pub fn admit(caller: &str, per_minute: u32, now_ms: u64) -> Admission {
    LOCAL.with_borrow_mut(|local| local.admit(caller, per_minute, now_ms))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::limits::Outcome;

    const T0: u64 = 1_800_000_000_000;

    fn admitted(a: &Admission) -> bool {
        matches!(a.outcome, Outcome::Admitted { .. })
    }

    #[test]
    fn the_same_per_minute_rate_per_caller() {
        let mut local = LocalLimits::new(100);
        let first: Vec<bool> = (0..5)
            .map(|_| admitted(&local.admit("user:a", 3, T0)))
            .collect();
        assert_eq!(first, [true, true, true, false, false]);
        let refused = local.admit("user:a", 3, T0);
        assert!(matches!(
            refused.outcome,
            Outcome::RateLimited {
                retry_after_secs: 20
            }
        ));
        // Another caller has their own allowance.
        assert!(admitted(&local.admit("user:b", 3, T0)));
        // One cell back after 20 s.
        assert!(admitted(&local.admit("user:a", 3, T0 + 20_000)));
    }

    #[test]
    fn the_map_stays_bounded_and_forgets_idle_callers_first() {
        let mut local = LocalLimits::new(3);
        for name in ["a", "b", "c"] {
            local.admit(name, 1, T0);
        }
        // "a" is busy again just before the others go idle.
        local.admit("a", 1, T0 + 59_000);
        local.admit("d", 1, T0 + 61_000);
        assert_eq!(local.callers.len(), 2);
        assert!(local.callers.contains_key("a") && local.callers.contains_key("d"));
        // Full of busy callers: the least recently seen goes.
        local.admit("e", 1, T0 + 61_000);
        local.admit("f", 1, T0 + 61_000);
        assert!(local.callers.len() <= 3);
        for n in 0..1_000 {
            local.admit(&format!("flood-{n}"), 1, T0 + 61_000);
        }
        assert_eq!(local.callers.len(), 3);
    }
}
