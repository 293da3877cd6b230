//! Fallback chains, pure: a chat's chain of models ([`chain`]), what to do when a link
//! fails ([`policy`]), and the conversation translated for the link about to be called
//! ([`translate`]). The runtime carries the decisions out (`runtime/fallback`).
//!
//! Kept here, in the agent, rather than in core: only the agent chains model calls (the
//! proxy serves the one model each request names), and these rules are about a turn in a
//! chat — its links, its waits, the messages earlier links wrote.

use ferry_core::models;
use ferry_protocol::ModelRef;

pub(crate) mod policy;
pub(crate) mod translate;

/// The chat's chain: the main model, then `fallbacks` in order, each model once (an empty
/// model name is the provider's default, and the same link as that default spelled out).
pub(crate) fn chain(main: ModelRef, fallbacks: &[ModelRef]) -> Vec<ModelRef> {
    let mut links: Vec<ModelRef> = Vec::with_capacity(fallbacks.len() + 1);
    for link in std::iter::once(main).chain(fallbacks.iter().cloned()) {
        let link = resolved(link);
        if !links.contains(&link) {
            links.push(link);
        }
    }
    links
}

/// `link` with its model named (the provider's default for an empty name).
fn resolved(link: ModelRef) -> ModelRef {
    let model = link.model.trim();
    let model = if model.is_empty() {
        models::default_model(link.provider).to_owned()
    } else {
        model.to_owned()
    };
    ModelRef {
        provider: link.provider,
        model,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ferry_core::ProviderId;
    use wasm_bindgen_test::wasm_bindgen_test;

    fn link(provider: ProviderId, model: &str) -> ModelRef {
        ModelRef {
            provider,
            model: model.to_owned(),
        }
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn a_chain_is_the_main_model_then_the_fallbacks_each_once() {
        let default = models::default_model(ProviderId::OpenAi);
        let chain = chain(
            link(ProviderId::Anthropic, "claude-sonnet-4-5"),
            &[
                link(ProviderId::OpenAi, ""),
                link(ProviderId::Anthropic, "claude-sonnet-4-5"),
                link(ProviderId::OpenAi, default),
                link(ProviderId::Google, " gemini-2.5-flash "),
            ],
        );
        assert_eq!(
            chain,
            [
                link(ProviderId::Anthropic, "claude-sonnet-4-5"),
                link(ProviderId::OpenAi, default),
                link(ProviderId::Google, "gemini-2.5-flash"),
            ]
        );
    }
}
