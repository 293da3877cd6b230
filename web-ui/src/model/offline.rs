//! Ferry without a connection, as plain data: what the composer says while the browser is
//! offline, and what happens when it is back.
//!
//! Offline, the chats, search and Settings work (they are the agent's, in this browser); a
//! message cannot go. Send then keeps the message in the composer (it is *held*) and says
//! so; `Send when back online` sends it by itself on the browser's `online` event. A turn
//! that failed for want of a network already has its message saved in the chat: back online,
//! the same choice retries it.

use ferry_protocol::{ErrorKind, SessionId};

use super::Banner;

/// What waits for the connection.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Waiting {
    /// Send was pressed offline: the message stayed in the composer.
    pub held: bool,
    /// A turn of this chat failed unable to reach the provider or the proxy.
    pub failed: Option<SessionId>,
    /// `Send when back online` is checked.
    pub auto_send: bool,
}

/// What to do once the browser is back online.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BackOnline {
    /// Send the composer's message, as Send does.
    Send,
    /// Retry the failed turn of this chat.
    Retry(SessionId),
    Nothing,
}

impl Waiting {
    /// Whether anything waits, so that `Send when back online` is worth offering.
    pub fn any(&self) -> bool {
        self.held || self.failed.is_some()
    }

    /// The composer's words while the browser is offline (none online).
    pub fn notice(&self, online: bool) -> Option<String> {
        if online {
            return None;
        }
        let what = if self.held {
            "Ferry is offline, so your message was not sent. It stays here."
        } else if self.failed.is_some() {
            "Ferry is offline. Your message is saved in the chat; Retry sends it."
        } else {
            return Some(
                "Ferry is offline. Chats, search and Settings still work; messages wait until \
                 you are back online."
                    .to_owned(),
            );
        };
        Some(if self.auto_send {
            format!("{what} It will be sent when you are back online.")
        } else {
            what.to_owned()
        })
    }

    /// What the return of the connection sets off: only what the user asked for.
    pub fn back_online(&self) -> BackOnline {
        match (self.auto_send, self.held, &self.failed) {
            (false, _, _) => BackOnline::Nothing,
            (true, true, _) => BackOnline::Send,
            (true, false, Some(session)) => BackOnline::Retry(session.clone()),
            (true, false, None) => BackOnline::Nothing,
        }
    }
}

/// The session of a banner that says a turn could not reach the network, if it is one.
pub fn failed_offline(banner: &Banner) -> Option<SessionId> {
    let offline = Banner::from_error(ErrorKind::Offline, "", None);
    (banner.text == offline.text && banner.action == offline.action)
        .then(|| banner.session.clone())
        .flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn session() -> SessionId {
        "s1".to_owned()
    }

    #[test]
    fn online_nothing_is_said() {
        let waiting = Waiting {
            held: true,
            failed: None,
            auto_send: true,
        };
        assert_eq!(waiting.notice(true), None);
    }

    #[test]
    fn offline_says_what_works_then_what_happened_to_the_message() {
        let mut waiting = Waiting::default();
        assert_eq!(
            waiting.notice(false).as_deref(),
            Some(
                "Ferry is offline. Chats, search and Settings still work; messages wait until \
                 you are back online."
            )
        );
        assert!(!waiting.any());
        waiting.held = true;
        assert!(waiting.any());
        assert_eq!(
            waiting.notice(false).as_deref(),
            Some("Ferry is offline, so your message was not sent. It stays here.")
        );
        waiting.auto_send = true;
        assert_eq!(
            waiting.notice(false).as_deref(),
            Some(
                "Ferry is offline, so your message was not sent. It stays here. It will be sent \
                 when you are back online."
            )
        );
        let failed = Waiting {
            held: false,
            failed: Some(session()),
            auto_send: false,
        };
        assert_eq!(
            failed.notice(false).as_deref(),
            Some("Ferry is offline. Your message is saved in the chat; Retry sends it.")
        );
    }

    #[test]
    fn back_online_does_only_what_was_asked() {
        let mut waiting = Waiting {
            held: true,
            failed: Some(session()),
            auto_send: false,
        };
        assert_eq!(waiting.back_online(), BackOnline::Nothing);
        waiting.auto_send = true;
        // The composer's message first: the failed turn's is in the chat already.
        assert_eq!(waiting.back_online(), BackOnline::Send);
        waiting.held = false;
        assert_eq!(waiting.back_online(), BackOnline::Retry(session()));
        waiting.failed = None;
        assert_eq!(waiting.back_online(), BackOnline::Nothing);
    }

    #[test]
    fn only_an_offline_failure_of_a_turn_counts() {
        let offline = Banner::from_error(ErrorKind::Offline, "fetch failed", Some(session()));
        assert_eq!(failed_offline(&offline), Some(session()));
        // The browser's own offline word, for no turn.
        let bare = Banner::from_error(ErrorKind::Offline, "", None);
        assert_eq!(failed_offline(&bare), None);
        let upstream = Banner::from_error(ErrorKind::Upstream, "503", Some(session()));
        assert_eq!(failed_offline(&upstream), None);
    }
}
