//! What a turn does when a link of its chain fails before the answer's first content: a
//! pure function of the chain's length, the link at hand, the failure, what the turn has
//! tried and waited so far, and the time.
//!
//! | failure | step |
//! |---|---|
//! | 5xx, timeout (no first answer in time), network failure, `provider_disabled`, no key | the next link |
//! | 429 with `Retry-After` ≤ [`Policy::short_wait_secs`] | wait (at least the backoff, [`Policy::backoff_ms`]) and try the same link again, at most [`Policy::retries_per_link`] times and [`Policy::wait_budget_ms`] of waiting in the turn; past either, the next link |
//! | 429 with a longer `Retry-After` | the next link |
//! | any other refusal (bad request, bad key, quota, too large) | the chain ends with it: another model would be refused too, or the user must act |
//!
//! With no next link the chain ends with the failure at hand. A failure after content has
//! streamed is not the policy's: the answer ends there, kept for Retry.

/// The policy's numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Policy {
    /// A 429 asking to wait at most this long is waited out on the same link.
    pub(crate) short_wait_secs: u64,
    /// Retries of one link after a short 429, at most.
    pub(crate) retries_per_link: u32,
    /// Waiting in one turn, at most, all links together.
    pub(crate) wait_budget_ms: u64,
    /// The first retry waits at least this, each later one twice the one before.
    pub(crate) backoff_ms: u64,
}

impl Default for Policy {
    fn default() -> Self {
        Self {
            short_wait_secs: 5,
            retries_per_link: 3,
            wait_budget_ms: 20_000,
            backoff_ms: 1_000,
        }
    }
}

/// How a link's call failed, as far as the chain is concerned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Fault {
    /// The provider or the proxy failed (5xx).
    Server,
    /// No answer, or no first chunk, within this many seconds.
    Timeout { secs: u64 },
    /// No answer at all: offline, refused, blocked.
    Network,
    /// The operator turned the provider off (`provider_disabled`).
    Disabled,
    /// Rate limited: 429 with its `Retry-After`.
    RateLimited { retry_after_secs: u64 },
    /// No key for the link's provider.
    NoKey,
    /// Any other refusal: the chain ends with it.
    Refused,
}

/// What the turn has done so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Tried {
    /// Retries of the link at hand.
    pub(crate) retries: u32,
    /// Milliseconds waited in this turn, all links together.
    pub(crate) waited_ms: u64,
}

/// What to do next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Step {
    /// Wait until `until_ms`, then call the same link again.
    Retry { wait_ms: u64, until_ms: u64 },
    /// Call link `link`; the failed one is skipped for `reason`.
    Next { link: usize, reason: String },
    /// The chain ends with this failure.
    Fail,
}

/// The step after link `at` of a chain of `links` failed with `fault` (`message`: the
/// failure's own words, for the reason), at `now_ms`.
pub(crate) fn next_step(
    policy: &Policy,
    links: usize,
    at: usize,
    fault: &Fault,
    message: &str,
    tried: Tried,
    now_ms: u64,
) -> Step {
    let reason = match fault {
        Fault::Refused => return Step::Fail,
        Fault::RateLimited { retry_after_secs } if *retry_after_secs <= policy.short_wait_secs => {
            let backoff = policy.backoff_ms.saturating_mul(1 << tried.retries.min(16));
            let wait_ms = retry_after_secs.saturating_mul(1000).max(backoff);
            let within = tried.waited_ms.saturating_add(wait_ms) <= policy.wait_budget_ms;
            if tried.retries < policy.retries_per_link && within {
                return Step::Retry {
                    wait_ms,
                    until_ms: now_ms.saturating_add(wait_ms),
                };
            }
            if tried.retries >= policy.retries_per_link {
                format!("429 rate limited, still after {} retries", tried.retries)
            } else {
                format!(
                    "429 rate limited, after {} s of waiting in this turn",
                    tried.waited_ms / 1000
                )
            }
        }
        Fault::RateLimited { retry_after_secs } => {
            format!("429 rate limited for {retry_after_secs} s")
        }
        Fault::Server => with_words("server error", message),
        Fault::Timeout { secs } => format!("timed out: no answer in {secs} s"),
        Fault::Network => with_words("network failure", message),
        Fault::Disabled => with_words("disabled", message),
        Fault::NoKey => "no key".to_owned(),
    };
    if at + 1 < links {
        Step::Next {
            link: at + 1,
            reason,
        }
    } else {
        Step::Fail
    }
}

/// `what`, then the failure's own words when there are some (at most 120 characters).
fn with_words(what: &str, message: &str) -> String {
    let words: String = message.trim().chars().take(120).collect();
    if words.is_empty() {
        what.to_owned()
    } else {
        format!("{what}: {words}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasm_bindgen_test::wasm_bindgen_test;

    const NOW: u64 = 1_700_000_000_000;

    fn step(links: usize, at: usize, fault: Fault, tried: Tried) -> Step {
        next_step(
            &Policy::default(),
            links,
            at,
            &fault,
            "overloaded",
            tried,
            NOW,
        )
    }

    fn next(link: usize, reason: &str) -> Step {
        Step::Next {
            link,
            reason: reason.to_owned(),
        }
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn server_errors_timeouts_network_and_switched_off_providers_move_on() {
        let fresh = Tried::default();
        assert_eq!(
            step(3, 0, Fault::Server, fresh),
            next(1, "server error: overloaded")
        );
        assert_eq!(
            step(3, 1, Fault::Timeout { secs: 60 }, fresh),
            next(2, "timed out: no answer in 60 s")
        );
        assert_eq!(
            step(3, 0, Fault::Network, fresh),
            next(1, "network failure: overloaded")
        );
        assert_eq!(
            step(3, 0, Fault::Disabled, fresh),
            next(1, "disabled: overloaded")
        );
        assert_eq!(step(2, 0, Fault::NoKey, fresh), next(1, "no key"));
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn the_last_link_failing_ends_the_chain() {
        for fault in [Fault::Server, Fault::Network, Fault::NoKey] {
            assert_eq!(step(2, 1, fault.clone(), Tried::default()), Step::Fail);
            assert_eq!(step(1, 0, fault, Tried::default()), Step::Fail);
        }
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn other_refusals_end_the_chain_wherever_it_is() {
        assert_eq!(step(3, 0, Fault::Refused, Tried::default()), Step::Fail);
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn a_short_retry_after_is_waited_out_with_backoff() {
        let short = Fault::RateLimited {
            retry_after_secs: 2,
        };
        assert_eq!(
            step(2, 0, short.clone(), Tried::default()),
            Step::Retry {
                wait_ms: 2_000,
                until_ms: NOW + 2_000
            }
        );
        // The backoff doubles from 1 s: the third retry waits 4 s, more than asked.
        let third = Tried {
            retries: 2,
            waited_ms: 4_000,
        };
        assert_eq!(
            step(2, 0, short.clone(), third),
            Step::Retry {
                wait_ms: 4_000,
                until_ms: NOW + 4_000
            }
        );
        // 0 s (or no Retry-After, read as 1 s) still waits the backoff.
        let now = Fault::RateLimited {
            retry_after_secs: 0,
        };
        assert_eq!(
            step(1, 0, now, Tried::default()),
            Step::Retry {
                wait_ms: 1_000,
                until_ms: NOW + 1_000
            }
        );
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn retries_are_bounded_per_link_and_per_turn() {
        let short = Fault::RateLimited {
            retry_after_secs: 5,
        };
        let three = Tried {
            retries: 3,
            waited_ms: 15_000,
        };
        assert_eq!(
            step(2, 0, short.clone(), three),
            next(1, "429 rate limited, still after 3 retries")
        );
        assert_eq!(step(1, 0, short.clone(), three), Step::Fail);
        // A fresh link, but the turn has waited 18 s: 5 more would pass 20.
        let late = Tried {
            retries: 0,
            waited_ms: 18_000,
        };
        assert_eq!(
            step(3, 1, short, late),
            next(2, "429 rate limited, after 18 s of waiting in this turn")
        );
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn a_long_retry_after_moves_on_at_once() {
        let long = Fault::RateLimited {
            retry_after_secs: 6,
        };
        assert_eq!(
            step(2, 0, long.clone(), Tried::default()),
            next(1, "429 rate limited for 6 s")
        );
        assert_eq!(step(1, 0, long, Tried::default()), Step::Fail);
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn a_failures_words_are_kept_short() {
        let long = "x".repeat(500);
        let Step::Next { reason, .. } = next_step(
            &Policy::default(),
            2,
            0,
            &Fault::Server,
            &long,
            Tried::default(),
            NOW,
        ) else {
            panic!("moves on");
        };
        assert_eq!(reason.len(), "server error: ".len() + 120);
    }
}
