//! Ferry's agent, as it runs in the browser: the UI sends [`Command`]s and receives
//! [`Event`]s; everything between — the agent loop, routing each model call, tools,
//! compaction of long conversations, memory — lives here.
//!
//! The logic is plain Rust, tested natively with fakes: the agent loop is a state machine
//! that returns effects instead of doing I/O, and the platform (fetch, IndexedDB, Web
//! Crypto) sits behind narrow traits.
//!
//! Outside the crate only the protocol (defined in `ferry-protocol`), the [`runtime`] that
//! answers it, the page's handle (`browser::api`, exported to JavaScript) and the seams
//! with their browser implementations (which the browser tests exercise) are visible; the
//! app depends on `ferry-protocol` alone.

mod agent;
mod approval;
mod auth;
#[cfg(all(target_arch = "wasm32", feature = "browser"))]
pub mod browser;
pub mod compaction;
mod fallback;
pub mod mcp;
mod memory;
pub mod protocol;
mod routing;
pub mod runtime;
pub mod seams;
pub mod store;
mod supabase_rest;
mod tools;
pub mod transport;
pub mod tree;

pub use protocol::{Command, ErrorKind, Event};

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use std::path::Path;

    /// The `.rs` files under `dir`, as paths relative to it.
    fn sources(dir: &Path, under: &Path, found: &mut Vec<String>) {
        let Ok(entries) = std::fs::read_dir(dir.join(under)) else {
            return;
        };
        for entry in entries.flatten() {
            let path = under.join(entry.file_name());
            if entry.path().is_dir() {
                sources(dir, &path, found);
            } else if path.extension().is_some_and(|e| e == "rs") {
                found.push(path.to_string_lossy().replace('\\', "/"));
            }
        }
    }

    /// A module's name says its one job across the agent and the app: one `agent.rs` (the
    /// turn's state machine; the app's loader of this module is `agent_module.rs`), and no
    /// "account" module standing for three (the Supabase REST requests are
    /// `supabase_rest.rs`, the runtime's sign-in unit `runtime/sign_in.rs`, the app's form
    /// `sign_in.rs`).
    #[test]
    fn no_module_name_means_two_things() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut files = Vec::new();
        sources(&root.join("src"), Path::new(""), &mut files);
        let mut app = Vec::new();
        sources(&root.join("../web-ui/src"), Path::new(""), &mut app);
        assert!(files.contains(&"agent.rs".to_owned()), "{files:?}");
        assert!(app.contains(&"agent_module.rs".to_owned()), "{app:?}");
        let all: Vec<&String> = files.iter().chain(&app).collect();
        let named = |stem: &str| {
            all.iter()
                .filter(|f| f.rsplit('/').next() == Some(&format!("{stem}.rs")[..]))
                .count()
        };
        assert_eq!(named("agent"), 1, "{all:?}");
        for stem in ["account", "account_data"] {
            assert_eq!(named(stem), 0, "{stem}: {all:?}");
        }
    }
}
