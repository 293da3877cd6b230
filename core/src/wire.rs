//! OpenAI-shaped wire types: the one format Ferry speaks to its clients.
//!
//! Every type keeps fields it does not know in an `extra` map (or as raw JSON), so a client
//! may send, and a provider may return, anything the OpenAI format grows without Ferry
//! failing or dropping it.

mod chat;
mod chunk;
mod embeddings;
mod models;
mod reasoning;

pub use chat::{
    ChatCompletion, ChatRequest, Choice, Content, ContentPart, FileRef, FinishReason, FunctionCall,
    FunctionDef, ImageUrl, Message, NamedFunction, ResponseMessage, Role, Stop, StreamOptions,
    Tool, ToolCall, ToolChoice, ToolChoiceMode, Usage, UsageDetails,
};
pub use chunk::{ChatChunk, ChunkChoice, Delta, FunctionCallDelta, ToolCallDelta};
pub use embeddings::{
    Embedding, EmbeddingInput, EmbeddingUsage, EmbeddingsRequest, EmbeddingsResponse,
};
pub use models::{Model, ModelList};
pub use reasoning::{
    ReasoningDetail, ReasoningEffort, ReasoningFormat, ReasoningKind, merge_reasoning_details,
};

/// Unknown JSON fields, kept verbatim.
pub type Extra = serde_json::Map<String, serde_json::Value>;
