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

mod account_data;
mod agent;
mod approval;
mod auth;
#[cfg(all(target_arch = "wasm32", feature = "browser"))]
pub mod browser;
pub mod compaction;
mod memory;
pub mod protocol;
mod routing;
pub mod runtime;
pub mod seams;
pub mod store;
mod tools;
pub mod transport;

pub use protocol::{Command, ErrorKind, Event};
