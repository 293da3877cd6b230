//! What the app asks of the agent.

use ferry_core::ProviderId;
use serde::{Deserialize, Serialize};

use std::collections::BTreeMap;

use crate::{
    AttachmentView, Change, ChatParams, Decision, KeyOwner, MessageId, OAuthProvider, SessionId,
    ToolApproval,
};

/// What the UI asks of the agent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Command {
    /// A user message, with the files attached to it: the views the agent's `attach`
    /// returned, of which it reads only `id` and `name` (an id it does not hold is refused
    /// with `invalid_request`, and nothing is stored).
    SendMessage {
        session: SessionId,
        text: String,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        attachments: Vec<AttachmentView>,
    },
    /// Stop the answer being written; what has arrived is kept, marked stopped.
    Stop {
        session: SessionId,
    },
    /// Answer the last user message again (with `message`, the user message that answer
    /// follows, or an answer of it): the new answer is a sibling of the old, which stays.
    Regenerate {
        session: SessionId,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        message: Option<MessageId>,
    },
    /// A new version of a user message, a sibling of it (its attachments kept), answered
    /// anew; the old version and what followed it stay.
    EditAndResend {
        session: SessionId,
        message: MessageId,
        text: String,
    },
    /// Show the branch holding `message`: its newest leaf becomes the chat's head.
    /// Answered by [`Event::SessionOpened`].
    ///
    /// [`Event::SessionOpened`]: crate::Event::SessionOpened
    SwitchBranch {
        session: SessionId,
        message: MessageId,
    },
    /// "Branch into a new chat": a new chat holding a copy of the path from the root to
    /// `message`. Answered by [`Event::SessionCreated`], [`Event::Sessions`] and
    /// [`Event::SessionOpened`] of the new chat.
    ///
    /// [`Event::SessionCreated`]: crate::Event::SessionCreated
    /// [`Event::Sessions`]: crate::Event::Sessions
    /// [`Event::SessionOpened`]: crate::Event::SessionOpened
    BranchSession {
        session: SessionId,
        message: MessageId,
    },
    /// Try the failed model call again.
    Retry {
        session: SessionId,
    },
    /// The user's answer to a tool call waiting for approval
    /// ([`Event::ToolApprovalRequested`]); the turn goes on from there.
    ///
    /// [`Event::ToolApprovalRequested`]: crate::Event::ToolApprovalRequested
    ApproveToolCall {
        session: SessionId,
        call_id: String,
        decision: Decision,
    },
    NewSession,
    /// With `message` (a search hit), the branch holding it is shown.
    OpenSession {
        session: SessionId,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        message: Option<MessageId>,
    },
    RenameSession {
        session: SessionId,
        title: String,
    },
    DeleteSession {
        session: SessionId,
    },
    SearchSessions {
        query: String,
    },
    /// Another tab of this browser changed what the agent holds in memory: read it again
    /// from storage and tell it (`ready` for settings and keys, `mcp_servers`).
    Refresh {
        changed: Vec<Change>,
    },
    SetSettings {
        settings: serde_json::Value,
    },
    /// One chat's own parameters, whole (a `None` field takes the default in Settings);
    /// answered by [`Event::Sessions`] with the chat as it is now.
    ///
    /// [`Event::Sessions`]: crate::Event::Sessions
    SetChatParams {
        session: SessionId,
        params: ChatParams,
    },
    /// One chat's own fallback chain after the main model (`None`: the default in
    /// Settings); answered by [`Event::Sessions`].
    ///
    /// [`Event::Sessions`]: crate::Event::Sessions
    SetChatFallbacks {
        session: SessionId,
        fallbacks: Option<Vec<crate::ModelRef>>,
    },
    /// Store a key (encrypted), or keep it in memory only when `remember` is false. The
    /// owner is a provider (`"openai"`) or a search engine for `web_search` (`"brave"`).
    SetKey {
        provider: KeyOwner,
        key: String,
        remember: bool,
    },
    ClearKey {
        provider: KeyOwner,
    },
    /// Everything to one JSON document; keys only if asked for, and then encrypted.
    Export {
        include_keys: bool,
    },
    Import {
        document: String,
    },
    /// The settings in force and the sessions: what a UI shows first.
    Load,
    /// The provider's models (the key's own list), via the way model calls take.
    ListModels {
        provider: ProviderId,
    },
    /// The user's Supabase access token after sign-in or refresh (`None`: signed out).
    /// Usage rows waiting for a token are sent then.
    SetAccessToken {
        token: Option<String>,
    },
    /// Email a sign-in link that leads back to `redirect_to` (the app's address). PKCE:
    /// only this browser can complete it.
    SignInWithEmail {
        email: String,
        redirect_to: String,
    },
    /// Sign in with GitHub or Google (PKCE): answered by [`Event::SignInRedirect`], the
    /// address to send the browser to.
    ///
    /// [`Event::SignInRedirect`]: crate::Event::SignInRedirect
    SignInWithProvider {
        provider: OAuthProvider,
        redirect_to: String,
    },
    /// The address Supabase came back with: its query (`?code=…` or `?error=…`) and its
    /// fragment. A code is traded with this browser's verifier; a session in the fragment
    /// (`#access_token=…`) is refused.
    CompleteSignIn {
        #[serde(default)]
        query: String,
        #[serde(default)]
        fragment: String,
    },
    /// The answer to [`Event::ConfirmAccountSwitch`]: `true` signs in to the other account,
    /// `false` stays with the current one and drops the other's session.
    ///
    /// [`Event::ConfirmAccountSwitch`]: crate::Event::ConfirmAccountSwitch
    SwitchAccount {
        confirm: bool,
    },
    SignOut,
    /// The signed-in user's usage since `since` (RFC 3339): rows and totals per day.
    LoadUsage {
        since: String,
    },
    /// Count the tokens the session's next request would send, and the draft's.
    CountTokens {
        #[serde(default)]
        session: Option<SessionId>,
        #[serde(default)]
        draft: String,
    },
    /// Connect to an MCP server (initialize, then list its tools, prompts and resources)
    /// and keep it: answered by [`Event::McpServers`]. One that wants OAuth is kept too,
    /// unauthorized; any other failure is [`Event::McpServerFailed`] and nothing is kept.
    ///
    /// [`Event::McpServers`]: crate::Event::McpServers
    /// [`Event::McpServerFailed`]: crate::Event::McpServerFailed
    AddMcpServer {
        url: String,
        /// A bearer token for it (sealed like a key).
        #[serde(default)]
        token: Option<String>,
    },
    RemoveMcpServer {
        server: String,
    },
    /// The server's global switch.
    SetMcpServer {
        server: String,
        enabled: bool,
    },
    /// The server's bearer token (`None`: none).
    SetMcpToken {
        server: String,
        #[serde(default)]
        token: Option<String>,
    },
    /// Connect again and list its tools, prompts and resources anew.
    RefreshMcpServer {
        server: String,
    },
    SetMcpToolApproval {
        server: String,
        /// The server's name for the tool.
        tool: String,
        approval: ToolApproval,
    },
    /// One chat's switch for a server (`None`: follow the global one); answered by
    /// [`Event::Sessions`] with the chat as it is now.
    ///
    /// [`Event::Sessions`]: crate::Event::Sessions
    SetChatMcp {
        session: SessionId,
        server: String,
        #[serde(default)]
        enabled: Option<bool>,
    },
    ListMcpServers,
    /// Start an OAuth sign-in to the server: answered by [`Event::McpAuthorizeUrl`], the
    /// address of its authorization server's consent page, which comes back to
    /// `redirect_uri`.
    ///
    /// [`Event::McpAuthorizeUrl`]: crate::Event::McpAuthorizeUrl
    AuthorizeMcpServer {
        server: String,
        redirect_uri: String,
    },
    /// The query the authorization server came back with (`?code=…&state=…`).
    CompleteMcpAuthorization {
        query: String,
    },
    /// A prompt's messages as text for the composer: answered by [`Event::McpPrompt`].
    ///
    /// [`Event::McpPrompt`]: crate::Event::McpPrompt
    GetMcpPrompt {
        server: String,
        prompt: String,
        #[serde(default)]
        arguments: BTreeMap<String, String>,
    },
    /// A resource's contents: answered by [`Event::McpResource`].
    ///
    /// [`Event::McpResource`]: crate::Event::McpResource
    ReadMcpResource {
        server: String,
        uri: String,
    },
}

impl Command {
    /// Whether it may call a provider, the proxy or Supabase (a sign-in is refreshed first).
    pub fn reaches_the_network(&self) -> bool {
        matches!(
            self,
            Self::SendMessage { .. }
                | Self::Regenerate { .. }
                | Self::EditAndResend { .. }
                | Self::Retry { .. }
                | Self::ApproveToolCall { .. }
                | Self::ListModels { .. }
                | Self::LoadUsage { .. }
                | Self::Load
                | Self::AddMcpServer { .. }
                | Self::SetMcpToken { .. }
                | Self::RefreshMcpServer { .. }
                | Self::SetMcpServer { .. }
                | Self::AuthorizeMcpServer { .. }
                | Self::CompleteMcpAuthorization { .. }
                | Self::GetMcpPrompt { .. }
                | Self::ReadMcpResource { .. }
                // Saved for the user's other devices too.
                | Self::SetSettings { .. }
        )
    }
}
