//! One MCP server's session over Streamable HTTP: the requests it sends and what an
//! answer's status means.

/// The session's state.
#[derive(Debug, Clone, Default)]
pub struct Session {
    session_id: Option<String>,
}

impl Session {
    pub fn session_id(&self) -> Option<&str> {
        self.session_id.as_deref()
    }
}
