//! The runtime with fakes, its tests split as the runtime is, by job; the fakes and the
//! helpers they share live in [`support`].

use ferry_core::ProviderId;
use ferry_core::wire::Role;
use wasm_bindgen_test::wasm_bindgen_test;

use super::calls::refusal;
use super::*;
use crate::store::{KeyOwner, MemoryStore};
use support::*;

mod approvals;
mod attachments;
mod branches;
mod compaction;
mod export;
mod fallback;
mod mcp;
mod mcp_auth;
mod models;
mod reasoning;
mod resent;
mod sessions;
mod settings;
mod sign_in;
mod support;
mod sync;
mod tokens;
mod tools;
mod turns;
mod usage;
