//! Model calls: the request for the user's model, routed the first way that answers (see
//! [`routing`]), and a refusal read in the format of whoever wrote it.

use ferry_core::adapter::UpstreamRequest;
use ferry_core::models::{ModelFacts, Reasoning};
use ferry_core::wire::{ChatRequest, Message, ReasoningEffort};
use ferry_core::{ProviderId, ProxyError};

use super::fallback::Chained;
use super::stream::{AnswerStream, Draft};
use super::{Clock, Runtime};
use crate::agent::{Effect, Input, Turn};
use crate::protocol::{ChatParams, ErrorKind, Event};
use crate::routing::{self, Credentials, Failure, Routing, Way};
use crate::seams::{Tokenizer, Vault};
use crate::store::Store;
use crate::transport::{self, Answer, Transport};

/// A model call that failed, every way: what the answer said.
pub(super) struct CallFailure {
    pub(super) kind: ErrorKind,
    pub(super) message: String,
}

/// No answer, or an answer cut off while it was read.
impl From<transport::NetworkError> for CallFailure {
    fn from(e: transport::NetworkError) -> Self {
        Self {
            kind: ErrorKind::Offline,
            message: e.to_string(),
        }
    }
}

impl<T: Transport, S: Store, V: Vault, C: Clock, K: Tokenizer> Runtime<T, S, V, C, K> {
    /// The chat call's first answer that is not an error; see [`Runtime::first_way`].
    pub(super) async fn first_answer(
        &self,
        request: &ChatRequest,
    ) -> Result<(Way, Answer<T::Body>), CallFailure> {
        self.first_way(self.settings.provider, |way, credentials, routing| {
            routing::model_call(
                way,
                self.settings.provider,
                request.clone(),
                credentials,
                routing,
            )
        })
        .await
    }

    /// The first way (see [`routing`]) to `provider` whose answer is not an error: the way
    /// and the answer still to read. Network failures and server errors try the next way;
    /// a refusal is the answer. `call` builds the request for a way.
    pub(super) async fn first_way(
        &self,
        provider: ProviderId,
        call: impl Fn(Way, Credentials<'_>, &Routing) -> Result<UpstreamRequest, ProxyError>,
    ) -> Result<(Way, Answer<T::Body>), CallFailure> {
        let key = self.keys.get(&provider.into()).ok_or_else(|| CallFailure {
            kind: ErrorKind::MissingKey,
            message: format!("no key for {provider}: add one in Settings"),
        })?;
        let routing = self.routing(provider);
        let credentials = Credentials {
            key,
            access_token: self.access_token.as_deref(),
        };
        let mut failure = CallFailure {
            kind: ErrorKind::Upstream,
            message: format!("no way to reach {provider}: set a proxy URL"),
        };
        for way in routing::ways(provider, &routing) {
            let request = call(way, credentials, &routing).map_err(|e| CallFailure {
                kind: ErrorKind::InvalidRequest,
                message: e.to_string(),
            })?;
            let (failed, how) = match self.transport.send(&request).await {
                Ok(answer) if answer.status < 400 => return Ok((way, answer)),
                Ok(mut answer) => {
                    let text = transport::read_all(&mut answer.body)
                        .await
                        .unwrap_or_default();
                    let refused = refusal(
                        routing::answer_provider(way, provider),
                        answer.status,
                        answer.retry_after_secs,
                        &text,
                        key,
                    );
                    (refused, Failure::Status(answer.status))
                }
                Err(e) => (e.into(), Failure::Network),
            };
            failure = failed;
            if !routing::try_next_way(how) {
                break;
            }
        }
        Err(failure)
    }

    /// How calls to `provider` travel, as the settings say.
    pub(super) fn routing(&self, provider: ProviderId) -> Routing {
        Routing {
            proxy_url: self.settings.proxy_url.clone(),
            always_proxy: self.settings.always_proxy,
            // The user's endpoint belongs to the provider it was set for.
            direct_base_url: (provider == self.settings.provider)
                .then(|| self.settings.provider_base_url.clone())
                .flatten(),
        }
    }

    /// The way a chat call takes first (see [`routing::ways`]); direct when there is none.
    pub(super) fn first_chat_way(&self) -> Way {
        let provider = self.settings.provider;
        routing::ways(provider, &self.routing(provider))
            .first()
            .copied()
            .unwrap_or(Way::Direct)
    }

    /// One model call, its answer streamed into the turn. Returns the effects left to
    /// carry out.
    pub(super) async fn call_model(
        &mut self,
        session: &str,
        turn: &mut Turn,
        messages: Vec<Message>,
        draft: &mut Option<Draft>,
        emit: &mut impl FnMut(Event),
    ) -> Result<Vec<Effect>, ErrorKind> {
        let params = self.chat_params(session).await?;
        match self
            .chained_answer(session, &messages, &params, emit)
            .await?
        {
            Chained::Answer(answer) => {
                if let Some(d) = draft.as_mut() {
                    d.answered_by = answer.answered_by;
                }
                let call = AnswerStream {
                    session,
                    way: answer.way,
                    provider: answer.link.provider,
                    model: answer.link.model,
                    body: answer.body,
                };
                self.stream(call, turn, draft, emit).await
            }
            Chained::Failed(failure) => Ok(turn.step(Input::CallFailed {
                kind: failure.kind,
                message: failure.message,
            })),
            Chained::Stopped => {
                self.stop.take();
                Ok(turn.step(Input::Stop))
            }
        }
    }

    /// The parameters of `session`'s calls: its own, each one not set taken from the
    /// settings' defaults.
    pub(super) async fn chat_params(&self, session: &str) -> Result<ChatParams, ErrorKind> {
        let own = self.session(session).await?.map(|s| s.params);
        Ok(own.unwrap_or_default().or(&self.settings.params))
    }
}

/// Puts into `request` those of `params` the model takes, as `facts` tell:
///
/// | parameter | sent when | as |
/// |---|---|---|
/// | reasoning effort | the model's reasoning takes one (`Reasoning::takes_effort`) | `reasoning_effort` |
/// | temperature | the model takes one, and is not asked to think by budget (Anthropic refuses both) | `temperature` |
/// | max output tokens | always, at most the model's `max_output` | `max_completion_tokens` for OpenAI (its reasoning models refuse `max_tokens`), `max_tokens` for the others (every OpenAI-compatible API reads it; core's Anthropic and Gemini adapters read either) |
///
/// A parameter left out is never an error: the user sees only the controls the model
/// takes, and settings chosen for another model simply do not apply.
pub(super) fn with_params(
    request: &mut ChatRequest,
    params: &ChatParams,
    provider: ProviderId,
    facts: &ModelFacts,
) {
    let effort = params
        .reasoning_effort
        .filter(|_| facts.reasoning.takes_effort());
    request.reasoning_effort = effort;
    let thinks_by_budget = facts.reasoning == Reasoning::AnthropicBudget
        && effort.is_some_and(|e| e != ReasoningEffort::None);
    request.temperature = params
        .temperature
        .filter(|_| facts.temperature && !thinks_by_budget);
    let max = params.max_output_tokens.map(|n| n.min(facts.max_output));
    match provider {
        ProviderId::OpenAi => request.max_completion_tokens = max,
        _ => request.max_tokens = max,
    }
}

/// An error answer, in the UI's terms, read by core in the format of `provider` (who
/// wrote it: the proxy writes OpenAI's); the key never reaches the message.
pub(super) fn refusal(
    provider: ProviderId,
    status: u16,
    retry_after: Option<u64>,
    body: &[u8],
    key: &str,
) -> CallFailure {
    let details = ferry_core::adapter::error_details(provider, body).unwrap_or_default();
    let message = Some(details.message)
        .filter(|m| !m.is_empty())
        .unwrap_or_else(|| format!("HTTP {status}"));
    CallFailure {
        kind: ErrorKind::from_answer(status, details.code.as_deref(), retry_after),
        message: ferry_core::adapter::redact(&message, key),
    }
}
