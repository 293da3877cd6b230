//! Whether a model call may leave for the provider while its limits are still being
//! checked, so that the limits' round trip overlaps the upstream call instead of preceding
//! it.
//!
//! The rule: a call goes ahead early only when this isolate's last answer from the user's
//! limits object, recent enough, still shows room for it beyond every call of the user
//! whose answer has not come back yet — one per-minute cell each and, for the quota, the
//! tokens each reserves. Otherwise (a user this isolate has not heard about, a user at or
//! near a limit, an old answer) the call waits for the object, as before. The object stays
//! the judge either way: a call it refuses after all is aborted before its answer reaches
//! the caller, and its refusal is what the caller gets.
//!
//! What this can get wrong is bounded. Other isolates spend the same user's allowance
//! unseen, and a settled call can use more tokens than it reserved, so an early call can
//! still be refused; the provider then sees a request that is cut off within one round
//! trip of the object. Starting every call early would let refused calls reach the
//! provider all the time; this rule lets one through only when the last answer said it
//! would be admitted.

use std::cell::RefCell;
use std::collections::HashMap;

use super::{Admission, Outcome};

/// An answer older than this is not trusted for an early start: within a minute the
/// per-minute allowance only refills, but other isolates may have spent it.
pub const FRESH_MS: u64 = 60_000;

/// Users remembered per isolate, at most.
pub const CAPACITY: usize = 10_000;

/// What the last answer said, and what has been asked since.
#[derive(Debug, Default)]
struct Entry {
    /// Per-minute cells left, and quota tokens left (when the call reserved some), as of
    /// `answered_ms`; `None` before any answer.
    answer: Option<Known>,
    /// Calls asked of the object and not answered yet.
    asked: u32,
    /// The tokens those calls reserve.
    asked_tokens: u64,
    last_ms: u64,
}

#[derive(Debug, Clone, Copy)]
struct Known {
    remaining: u32,
    quota_left: Option<u64>,
    answered_ms: u64,
}

/// One call asked of the object: hand it back to [`Outlook::answered`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Asked {
    /// The call may leave for the provider before the answer.
    pub early: bool,
    reserve_tokens: u64,
}

/// The last answers per user, bounded to `capacity` users.
pub struct Outlook {
    capacity: usize,
    users: HashMap<String, Entry>,
}

impl Outlook {
    pub fn new(capacity: usize) -> Self {
        Self {
            capacity: capacity.max(1),
            users: HashMap::new(),
        }
    }

    /// A call of `user` reserving `reserve_tokens` (0: rate only) is about to be asked of
    /// the object at `now_ms`.
    pub fn ask(&mut self, user: &str, reserve_tokens: u64, now_ms: u64) -> Asked {
        if !self.users.contains_key(user) && self.users.len() >= self.capacity {
            self.make_room();
        }
        let entry = self.users.entry(user.to_owned()).or_default();
        let early = entry.answer.is_some_and(|known| {
            let fresh = now_ms.saturating_sub(known.answered_ms) < FRESH_MS;
            let cells = known.remaining > entry.asked;
            let tokens = reserve_tokens == 0
                || known
                    .quota_left
                    .is_some_and(|left| left > entry.asked_tokens.saturating_add(reserve_tokens));
            fresh && cells && tokens
        });
        entry.asked = entry.asked.saturating_add(1);
        entry.asked_tokens = entry.asked_tokens.saturating_add(reserve_tokens);
        entry.last_ms = entry.last_ms.max(now_ms);
        Asked {
            early,
            reserve_tokens,
        }
    }

    /// The object's answer to `asked` came back at `now_ms` (`None`: it could not be
    /// reached, which teaches nothing).
    pub fn answered(&mut self, user: &str, asked: Asked, answer: Option<&Admission>, now_ms: u64) {
        let Some(entry) = self.users.get_mut(user) else {
            return;
        };
        entry.asked = entry.asked.saturating_sub(1);
        entry.asked_tokens = entry.asked_tokens.saturating_sub(asked.reserve_tokens);
        entry.last_ms = entry.last_ms.max(now_ms);
        if let Some(admission) = answer {
            let refused = !matches!(admission.outcome, Outcome::Admitted { .. });
            let quota_left = match admission.quota_left {
                // A call that reserved nothing leaves the quota as it was.
                None if asked.reserve_tokens == 0 => entry.answer.and_then(|k| k.quota_left),
                left => left,
            };
            entry.answer = Some(Known {
                // A refusal says there is no room, whatever the figures.
                remaining: if refused { 0 } else { admission.remaining },
                quota_left: if refused { None } else { quota_left },
                answered_ms: now_ms,
            });
        }
    }

    /// Forgets users down to three quarters of the capacity (so that a flood of new users
    /// does not rescan every time): those with nothing asked first, the least recently
    /// seen first. A user forgotten waits for the object on their next call.
    fn make_room(&mut self) {
        let keep = self.capacity - self.capacity.div_ceil(4);
        let mut order: Vec<(bool, u64, String)> = self
            .users
            .iter()
            .map(|(k, e)| (e.asked > 0, e.last_ms, k.clone()))
            .collect();
        order.sort_unstable();
        let excess = self.users.len().saturating_sub(keep);
        for (_, _, user) in order.into_iter().take(excess) {
            self.users.remove(&user);
        }
    }
}

thread_local! {
    static OUTLOOK: RefCell<Outlook> = RefCell::new(Outlook::new(CAPACITY));
}

/// A call asked of this isolate's outlook; its answer goes back through [`Ticket::answer`],
/// or, if the call is dropped first, nothing is learnt and the ask is freed.
#[derive(Debug)]
pub struct Ticket {
    user: String,
    asked: Asked,
    open: bool,
}

impl Ticket {
    /// [`Outlook::ask`] on this isolate's outlook.
    pub fn ask(user: String, reserve_tokens: u64, now_ms: u64) -> Self {
        let asked = OUTLOOK.with_borrow_mut(|outlook| outlook.ask(&user, reserve_tokens, now_ms));
        Self {
            user,
            asked,
            open: true,
        }
    }

    pub fn early(&self) -> bool {
        self.asked.early
    }

    pub fn user(&self) -> &str {
        &self.user
    }

    /// [`Outlook::answered`] on this isolate's outlook.
    pub fn answer(mut self, answer: Option<&Admission>, now_ms: u64) {
        self.open = false;
        OUTLOOK.with_borrow_mut(|outlook| {
            outlook.answered(&self.user, self.asked, answer, now_ms);
        });
    }
}

impl Drop for Ticket {
    fn drop(&mut self) {
        if self.open {
            OUTLOOK.with_borrow_mut(|outlook| outlook.answered(&self.user, self.asked, None, 0));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ferry_core::quota::Reservation;

    const T0: u64 = 1_800_000_000_000;

    fn admitted(remaining: u32, quota_left: Option<u64>) -> Admission {
        Admission {
            limit: 10,
            remaining,
            reset_secs: 6,
            quota_left,
            outcome: Outcome::Admitted {
                reservation: quota_left.map(|_| Reservation { day: 1, tokens: 1 }),
            },
        }
    }

    #[test]
    fn a_user_not_heard_of_waits_for_the_object() {
        let mut outlook = Outlook::new(10);
        assert!(!outlook.ask("user:a", 0, T0).early);
    }

    #[test]
    fn early_calls_never_outnumber_the_cells_last_reported() {
        let mut outlook = Outlook::new(10);
        let first = outlook.ask("user:a", 0, T0);
        outlook.answered("user:a", first, Some(&admitted(3, None)), T0);
        let asked: Vec<Asked> = (0..5).map(|_| outlook.ask("user:a", 0, T0)).collect();
        assert_eq!(
            asked.iter().map(|a| a.early).collect::<Vec<_>>(),
            [true, true, true, false, false]
        );
        // The answers come back: the last one says one cell is left.
        for (n, a) in asked.into_iter().enumerate() {
            let remaining = 2u32.saturating_sub(n as u32);
            outlook.answered("user:a", a, Some(&admitted(remaining, None)), T0 + 5);
        }
        assert!(!outlook.ask("user:a", 0, T0 + 6).early);
    }

    #[test]
    fn the_last_cell_goes_early_once() {
        let mut outlook = Outlook::new(10);
        let first = outlook.ask("user:a", 0, T0);
        outlook.answered("user:a", first, Some(&admitted(1, None)), T0);
        let early = outlook.ask("user:a", 0, T0);
        assert!(early.early);
        outlook.answered("user:a", early, Some(&admitted(0, None)), T0);
        assert!(!outlook.ask("user:a", 0, T0).early);
    }

    #[test]
    fn a_refusal_stops_early_starts_until_an_admission() {
        let mut outlook = Outlook::new(10);
        let first = outlook.ask("user:a", 0, T0);
        let refused = Admission {
            outcome: Outcome::RateLimited {
                retry_after_secs: 12,
            },
            ..admitted(4, None)
        };
        outlook.answered("user:a", first, Some(&refused), T0);
        let next = outlook.ask("user:a", 0, T0 + 12_000);
        assert!(!next.early);
        outlook.answered("user:a", next, Some(&admitted(4, None)), T0 + 12_000);
        assert!(outlook.ask("user:a", 0, T0 + 12_001).early);
    }

    #[test]
    fn quota_room_must_cover_every_unanswered_reservation() {
        let mut outlook = Outlook::new(10);
        let first = outlook.ask("user:a", 100, T0);
        outlook.answered("user:a", first, Some(&admitted(50, Some(1_000))), T0);
        let a = outlook.ask("user:a", 400, T0);
        let b = outlook.ask("user:a", 400, T0);
        // 800 asked, 1 000 left: a third of 400 would pass the last reported room.
        let c = outlook.ask("user:a", 400, T0);
        assert_eq!([a.early, b.early, c.early], [true, true, false]);
        // A call that reserves nothing needs no quota room.
        assert!(outlook.ask("user:a", 0, T0).early);
    }

    #[test]
    fn an_answer_without_quota_figures_does_not_admit_a_reserving_call_early() {
        let mut outlook = Outlook::new(10);
        let first = outlook.ask("user:a", 0, T0);
        outlook.answered("user:a", first, Some(&admitted(9, None)), T0);
        assert!(!outlook.ask("user:a", 10, T0).early);
        assert!(outlook.ask("user:a", 0, T0).early);
    }

    #[test]
    fn a_rate_only_answer_keeps_the_quota_figures_it_did_not_touch() {
        let mut outlook = Outlook::new(10);
        let chat = outlook.ask("user:a", 10, T0);
        outlook.answered("user:a", chat, Some(&admitted(9, Some(500))), T0);
        let list = outlook.ask("user:a", 0, T0);
        outlook.answered("user:a", list, Some(&admitted(8, None)), T0);
        assert!(outlook.ask("user:a", 10, T0).early);
    }

    #[test]
    fn a_dropped_ticket_frees_its_ask() {
        let first = Ticket::ask("user:ticket".to_owned(), 0, T0);
        first.answer(Some(&admitted(1, None)), T0);
        let dropped = Ticket::ask("user:ticket".to_owned(), 0, T0);
        assert!(dropped.early());
        drop(dropped);
        assert!(Ticket::ask("user:ticket".to_owned(), 0, T0).early());
    }

    #[test]
    fn an_old_answer_is_not_trusted() {
        let mut outlook = Outlook::new(10);
        let first = outlook.ask("user:a", 0, T0);
        outlook.answered("user:a", first, Some(&admitted(9, None)), T0);
        assert!(outlook.ask("user:a", 0, T0 + FRESH_MS - 1).early);
        assert!(!outlook.ask("user:a", 0, T0 + FRESH_MS).early);
    }

    #[test]
    fn an_unreachable_object_teaches_nothing_but_frees_the_ask() {
        let mut outlook = Outlook::new(10);
        let first = outlook.ask("user:a", 0, T0);
        outlook.answered("user:a", first, Some(&admitted(1, None)), T0);
        let lost = outlook.ask("user:a", 0, T0);
        assert!(lost.early);
        outlook.answered("user:a", lost, None, T0);
        // The one cell is still the last word, and nothing is outstanding.
        assert!(outlook.ask("user:a", 0, T0).early);
    }

    #[test]
    fn users_are_apart_and_the_map_stays_bounded() {
        let mut outlook = Outlook::new(8);
        let a = outlook.ask("user:a", 0, T0);
        outlook.answered("user:a", a, Some(&admitted(5, None)), T0);
        assert!(!outlook.ask("user:b", 0, T0).early);
        for n in 0..1_000u64 {
            let name = format!("flood-{n}");
            let asked = outlook.ask(&name, 0, T0 + n);
            outlook.answered(&name, asked, Some(&admitted(1, None)), T0 + n);
        }
        assert!(outlook.users.len() <= 8);
        // "user:b" still has a call outstanding, so it was kept.
        assert!(outlook.users.contains_key("user:b"));
    }
}
