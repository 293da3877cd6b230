//! The browser side of the seams — `fetch`, IndexedDB, Web Crypto, the clock — and the
//! handle a page's JavaScript drives the agent with.

pub mod api;
pub mod attach;
pub mod clock;
pub mod durable;
pub mod idb;
pub mod tokenizer;
pub mod transport;
pub mod vault;
