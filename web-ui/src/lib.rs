//! Ferry's app: what people open in their browser. Leptos, rendered on the client; it
//! talks only to the agent (`web-agent`, loaded as a module of its own), by [`Command`]s
//! and [`Event`]s of `ferry-protocol`, the one crate of the agent's it depends on; the
//! agent does all storage and network.
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
mod agent_module;
#[cfg(target_arch = "wasm32")]
mod app;
#[cfg(target_arch = "wasm32")]
mod attachments;
#[cfg(target_arch = "wasm32")]
mod branches;
#[cfg(target_arch = "wasm32")]
mod chat;
#[cfg(target_arch = "wasm32")]
mod durable;
#[cfg(target_arch = "wasm32")]
mod fallback;
#[cfg(target_arch = "wasm32")]
mod mcp;
#[cfg(target_arch = "wasm32")]
mod offline;
#[cfg(target_arch = "wasm32")]
mod params;
#[cfg(target_arch = "wasm32")]
mod pwa;
#[cfg(target_arch = "wasm32")]
mod settings;
#[cfg(target_arch = "wasm32")]
mod sidebar;
#[cfg(target_arch = "wasm32")]
mod sign_in;
#[cfg(target_arch = "wasm32")]
mod tabs;
#[cfg(target_arch = "wasm32")]
mod usage;

#[cfg(target_arch = "wasm32")]
pub use app::start;

#[cfg(test)]
mod tests {
    /// The app reaches the agent through the protocol only: no other crate of the agent is
    /// a dependency, so none of its modules can be named here.
    #[test]
    fn depends_on_the_protocol_and_not_on_the_agent() {
        let manifest = include_str!("../Cargo.toml");
        let names: Vec<&str> = manifest
            .lines()
            .filter_map(|line| line.split(['=', '.', ' ']).next())
            .filter(|name| !name.is_empty() && !name.starts_with(['#', '[']))
            .collect();
        assert!(names.contains(&"ferry-protocol"), "{names:?}");
        assert!(!names.contains(&"web-agent"), "{names:?}");
    }
}
