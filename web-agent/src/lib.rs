//! Ferry's agent, as it runs in the browser: the UI sends [`Command`]s and receives
//! [`Event`]s; everything between — the agent loop, routing each model call, tools,
//! compaction of long conversations, memory — lives here.
//!
//! The logic is plain Rust, tested natively with fakes: the agent loop is a state machine
//! that returns effects instead of doing I/O, and the platform (fetch, IndexedDB, Web
//! Crypto) sits behind narrow traits.

pub mod account_data;
pub mod agent;
pub mod approval;
pub mod auth;
#[cfg(all(target_arch = "wasm32", feature = "browser"))]
pub mod browser;
pub mod compaction;
pub mod memory;
pub mod protocol;
pub mod routing;
pub mod runtime;
pub mod seams;
pub mod store;
pub mod tools;
pub mod transport;

pub use agent::{Effect, Input, Turn};
pub use protocol::{Command, ErrorKind, Event};
