//! Ferry's pure core: the OpenAI-shaped wire types, the provider registry and adapters, SSE
//! framing and stream translation, the proxy's errors and configuration, the MCP relay's
//! rules, and the bookkeeping of limits and cost (daily token quota, price table).
//!
//! Nothing here does I/O or reads a clock: the proxy worker and the browser agent bring
//! those, and call in with plain values. The crate builds and is tested natively and for
//! `wasm32-unknown-unknown`.

pub mod adapter;
pub mod config;
mod error;
pub mod href;
pub mod json;
pub mod mcp_relay;
pub mod media;
pub mod models;
pub mod page;
pub mod pricing;
mod provider;
pub mod quota;
pub mod search;
pub mod sse;
pub mod stream;
pub mod tokens;
pub mod usage;
pub mod wire;

pub use config::{AllowedOrigins, AppConfig, AuthMode, Config, Health, KillSwitch, Secret};
pub use error::{BodyCap, ErrorBody, ErrorClass, ErrorDetail, ProxyError, code, parse_retry_after};
pub use provider::{
    AuthStyle, Header, MAX_MODEL_CHARS, ProviderId, ProviderInfo, WireFormat, check_model_name,
    registry_json, resolve_provider,
};
