//! Errors as the user sees them: what happened, in words, and what they can do.

use ferry_protocol::{ErrorKind, SessionId};

use super::duration;

/// What to offer beside an error message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Retry,
    /// Retry, enabled when the countdown reaches zero.
    RetryIn(u64),
    OpenSettings,
    SignIn,
    Dismiss,
}

/// An error as the user sees it: what happened, in words, and what they can do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Banner {
    pub text: String,
    pub action: Action,
    /// For Retry: the session the failed turn belongs to.
    pub session: Option<SessionId>,
}

impl Banner {
    pub fn from_error(kind: ErrorKind, message: &str, session: Option<SessionId>) -> Self {
        let (text, action) = match kind {
            ErrorKind::Offline => (
                "Can't reach the provider or the proxy. Check your connection.".to_owned(),
                Action::Retry,
            ),
            ErrorKind::Unauthorized => (
                "Your sign-in has expired. Sign in again.".to_owned(),
                Action::SignIn,
            ),
            ErrorKind::RateLimited { retry_after_secs } => (
                "Too many requests for now.".to_owned(),
                Action::RetryIn(retry_after_secs),
            ),
            ErrorKind::QuotaExceeded { retry_after_secs } => (
                format!(
                    "Today's token quota is used up. It resets in {}.",
                    duration(retry_after_secs)
                ),
                Action::RetryIn(retry_after_secs),
            ),
            ErrorKind::ProviderDisabled => (
                "This provider is temporarily disabled. Try again later.".to_owned(),
                Action::Retry,
            ),
            ErrorKind::ProviderRefused => (
                format!("The provider refused the request: {message}"),
                Action::OpenSettings,
            ),
            ErrorKind::MissingKey => (
                "Add your API key in Settings to start chatting.".to_owned(),
                Action::OpenSettings,
            ),
            ErrorKind::Upstream => (
                format!("The provider had a problem: {message}"),
                Action::Retry,
            ),
            // The agent says what was refused and why ("nothing was imported: …"); with
            // no words of its own, the kind's name stands in for them.
            ErrorKind::InvalidRequest => (
                if message.is_empty() || message == format!("{kind:?}") {
                    "That request can't be sent.".to_owned()
                } else {
                    sentence(message)
                },
                Action::Dismiss,
            ),
            ErrorKind::Storage => (
                "The browser's storage failed. Your data may not have been saved.".to_owned(),
                Action::Dismiss,
            ),
        };
        Self {
            text,
            action,
            session,
        }
    }

    /// The banner's words with the countdown at `left` seconds.
    pub fn countdown_text(&self, left: u64) -> String {
        match self.action {
            Action::RetryIn(_) if left > 0 => format!("{} Retry in {left} s.", self.text),
            _ => self.text.clone(),
        }
    }
}

/// `text` with its first letter a capital.
fn sentence(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map(|first| first.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_error_kind_says_what_to_do() {
        let cases = [
            (ErrorKind::Offline, Action::Retry),
            (ErrorKind::Unauthorized, Action::SignIn),
            (
                ErrorKind::RateLimited {
                    retry_after_secs: 12,
                },
                Action::RetryIn(12),
            ),
            (ErrorKind::ProviderDisabled, Action::Retry),
            (ErrorKind::ProviderRefused, Action::OpenSettings),
            (ErrorKind::MissingKey, Action::OpenSettings),
            (ErrorKind::Upstream, Action::Retry),
        ];
        for (kind, action) in cases {
            let banner = Banner::from_error(kind, "boom", None);
            assert_eq!(banner.action, action, "{kind:?}");
            assert!(!banner.text.is_empty());
        }
        let disabled = Banner::from_error(ErrorKind::ProviderDisabled, "", None);
        assert!(disabled.text.contains("temporarily disabled"));
        let limited = Banner::from_error(
            ErrorKind::RateLimited {
                retry_after_secs: 5,
            },
            "",
            None,
        );
        assert_eq!(
            limited.countdown_text(3),
            "Too many requests for now. Retry in 3 s."
        );
        assert_eq!(limited.countdown_text(0), "Too many requests for now.");
    }

    #[test]
    fn a_refusal_says_what_the_agent_said_else_that_it_was_refused() {
        let said = Banner::from_error(
            ErrorKind::InvalidRequest,
            "nothing was imported: this is not a Ferry export",
            None,
        );
        assert_eq!(
            said.text,
            "Nothing was imported: this is not a Ferry export"
        );
        assert_eq!(said.action, Action::Dismiss);
        for bare in ["", "InvalidRequest"] {
            let banner = Banner::from_error(ErrorKind::InvalidRequest, bare, None);
            assert_eq!(banner.text, "That request can't be sent.");
        }
    }
}
