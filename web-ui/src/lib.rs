//! Ferry's app: what people open in their browser. Leptos, rendered on the client; it
//! talks only to the agent (`web-agent`), by [`Command`]s and [`Event`]s, and the agent
//! does all storage and network.
//!
//! The plain-Rust part — the chat as events fold into it — is tested natively; the Leptos
//! views and the agent's loading are wasm-only. Markdown is rendered by the agent's module
//! (`ferry-markdown`, through the module's `renderMarkdown`), so the first paint does not
//! carry a Markdown parser.
//!
//! [`Command`]: ferry_protocol::Command
//! [`Event`]: ferry_protocol::Event

pub mod model;

#[cfg(target_arch = "wasm32")]
mod account;
#[cfg(target_arch = "wasm32")]
mod agent;
#[cfg(target_arch = "wasm32")]
mod app;
#[cfg(target_arch = "wasm32")]
mod chat;
#[cfg(target_arch = "wasm32")]
mod settings;
#[cfg(target_arch = "wasm32")]
mod sidebar;
#[cfg(target_arch = "wasm32")]
mod usage;

#[cfg(target_arch = "wasm32")]
pub use app::start;
