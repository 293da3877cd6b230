// Thinking for the loopback mock provider, in each provider's documented format, and the
// rules each provider enforces on the thinking a client sends back, refused in the
// provider's own 400 error shape.
//
// When the mock thinks:
//   Anthropic  the request has `thinking: {type: "enabled" | "adaptive"}`
//   Gemini     `generationConfig.thinkingConfig` has `includeThoughts: true` and a positive
//              `thinkingBudget` or a `thinkingLevel` (what a client's reasoning_effort becomes)
//   OpenAI     a model whose name contains `reasoner` (DeepSeek: `reasoning_content` streamed),
//              or any request with `reasoning_effort` (OpenAI: reasoning tokens in usage only)
//   OpenRouter a request with `reasoning: {effort}` (OpenRouter's spelling): `delta.reasoning`
//              and `reasoning_details` fragments (one Anthropic-made detail, its signature
//              last), and OpenRouter's own `usage.cost` (OPENROUTER_COST)
// Model-name triggers on top of the usual scenarios (`tools` → a tool call in round one):
//   redacted   Anthropic also sends a redacted_thinking block
// A request whose last message is a tool result is round two: the answer is text.
//
// What is enforced (https://docs.claude.com/en/docs/build-with-claude/extended-thinking,
// https://ai.google.dev/gemini-api/docs/thought-signatures):
//   Anthropic, thinking on: budget_tokens ≥ 1024 and < max_tokens; no temperature other than
//     1, no top_k, top_p ≥ 0.95, no forced tool_choice; in the current tool loop (the
//     assistant turns after the last user message that is not only tool results) each turn
//     with tool_use starts with a thinking or redacted_thinking block; every thinking block
//     sent carries a signature this mock issued for exactly that text, every
//     redacted_thinking block data this mock issued.
//   Gemini, thinking on or a gemini-3 model: in the current turn, each functionCall part of
//     a model turn carries a thoughtSignature this mock issued.
//   OpenAI reasoning models (o1, o3, o4-mini, gpt-5): no temperature other than 1, no max_tokens.
//   OpenRouter, reasoning on: in the current tool loop each assistant message with tool_calls
//     carries the reasoning_details it was given (a reasoning.text with an issued signature),
//     as OpenRouter asks of clients so that the model's provider gets its thinking back.

import { randomBytes } from 'node:crypto';

/** The thinking text, in two deltas. */
export const THINKING = ['The user wants the weather.', ' I should call get_weather for Paris.'];
/** Round two's answer, after the tool result. */
export const AFTER_TOOL = 'It is sunny in Paris.';
/**
 * Usage of a thinking answer. Anthropic: input 11 + cache read 3 + cache write 5, output 40
 * (thinking included, no separate count). Gemini: prompt 14 (3 of them cached), candidates 7 +
 * thoughts 25. OpenAI format: prompt 14 (3 cached), completion 32 (25 reasoning).
 */
export const THINKING_USAGE = { input: 11, cacheRead: 3, cacheWrite: 5, output: 40, answer: 7, reasoning: 25 };

/** What one mock has issued: Anthropic signatures (→ their text), redacted data, Gemini signatures. */
export function thinkingState() {
  return { signatures: new Map(), redacted: new Set(), google: new Set() };
}

const token = (bytes = 48) => randomBytes(bytes).toString('base64');

// ---------------------------------------------------------------------------------------------
// Anthropic

export function anthropicWantsThinking(body) {
  return ['enabled', 'adaptive'].includes(body?.thinking?.type);
}

const DOCS = 'https://docs.claude.com/en/docs/build-with-claude/extended-thinking';

/** Anthropic's refusal of a thinking request, or null when the request is good. */
export function anthropicThinkingRefusal(body, state) {
  const { thinking } = body;
  if (thinking.type === 'enabled') {
    const budget = thinking.budget_tokens;
    if (!Number.isInteger(budget) || budget < 1024) {
      return 'thinking.enabled.budget_tokens: Input should be greater than or equal to 1024';
    }
    if (!(body.max_tokens > budget)) {
      return `\`max_tokens\` must be greater than \`thinking.budget_tokens\`. Please consult our documentation at ${DOCS}#max-tokens-and-context-window-size`;
    }
  }
  if (body.temperature !== undefined && body.temperature !== 1) {
    return `\`temperature\` may only be set to 1 when thinking is enabled. Please consult our documentation at ${DOCS}#feature-compatibility`;
  }
  if (body.top_k !== undefined) {
    return `\`top_k\` is not supported when thinking is enabled. Please consult our documentation at ${DOCS}#feature-compatibility`;
  }
  if (body.top_p !== undefined && body.top_p < 0.95) {
    return `\`top_p\` must be greater than or equal to 0.95 or unset when thinking is enabled. Please consult our documentation at ${DOCS}#feature-compatibility`;
  }
  if (['any', 'tool'].includes(body.tool_choice?.type)) {
    return 'Thinking may not be enabled when tool_choice forces tool use.';
  }
  const messages = body.messages;
  // The current tool loop starts after the last user message with more than tool results.
  let loopStart = 0;
  messages.forEach((m, i) => {
    const blocks = Array.isArray(m.content) ? m.content : [{ type: 'text' }];
    if (m.role === 'user' && blocks.some((b) => b.type !== 'tool_result')) loopStart = i + 1;
  });
  for (const [i, m] of messages.entries()) {
    if (m.role !== 'assistant' || !Array.isArray(m.content)) continue;
    for (const [j, block] of m.content.entries()) {
      if (block.type === 'thinking' && state.signatures.get(block.signature) !== block.thinking) {
        return `messages.${i}.content.${j}: Invalid \`signature\` in \`thinking\` block`;
      }
      if (block.type === 'redacted_thinking' && !state.redacted.has(block.data)) {
        return `messages.${i}.content.${j}: Invalid \`data\` in \`redacted_thinking\` block`;
      }
    }
    const first = m.content[0]?.type;
    if (i >= loopStart && m.content.some((b) => b.type === 'tool_use') && first !== 'thinking' && first !== 'redacted_thinking') {
      return `messages.${i}.content.0.type: Expected \`thinking\` or \`redacted_thinking\`, but found \`${first}\`. When \`thinking\` is enabled, a final \`assistant\` message must start with a thinking block (preceeding the lastmost set of \`tool_use\` and \`tool_result\` blocks). We recommend you include thinking blocks from previous turns. To avoid this requirement, disable \`thinking\`. Please consult our documentation at ${DOCS}`;
    }
  }
  return null;
}

/** The content blocks of a thinking answer, each signature and datum recorded as issued. */
export function anthropicThinkingBlocks(body, scenario, state) {
  const text = THINKING.join('');
  const signature = token();
  state.signatures.set(signature, text);
  const blocks = [{ type: 'thinking', thinking: text, signature }];
  if (String(body.model).includes('redacted')) {
    const data = token(96);
    state.redacted.add(data);
    blocks.push({ type: 'redacted_thinking', data });
  }
  const last = body.messages.at(-1);
  const afterTool = Array.isArray(last?.content) && last.content.some((b) => b.type === 'tool_result');
  if (scenario === 'tools' && !afterTool) {
    blocks.push({ type: 'tool_use', id: 'toolu_thinking01', name: 'get_weather', input: { city: 'Paris', unit: 'celsius' } });
  } else {
    blocks.push({ type: 'text', text: afterTool ? AFTER_TOOL : 'Hello from anthropic!' });
  }
  return blocks;
}

export function anthropicThinkingUsage(output) {
  return {
    input_tokens: THINKING_USAGE.input,
    cache_creation_input_tokens: THINKING_USAGE.cacheWrite,
    cache_read_input_tokens: THINKING_USAGE.cacheRead,
    output_tokens: output,
  };
}

/** The stream of `blocks` in Anthropic's documented events: opening, content, closing. */
export function anthropicThinkingEvents(message, blocks) {
  const ev = (data) => `event: ${data.type}\ndata: ${JSON.stringify(data)}\n\n`;
  const opening = [ev({ type: 'message_start', message: { ...message, content: [], stop_reason: null, stop_sequence: null, usage: anthropicThinkingUsage(1) } })];
  const content = [];
  blocks.forEach((block, index) => {
    if (block.type === 'thinking') {
      content.push(ev({ type: 'content_block_start', index, content_block: { type: 'thinking', thinking: '', signature: '' } }));
      for (const thinking of THINKING) content.push(ev({ type: 'content_block_delta', index, delta: { type: 'thinking_delta', thinking } }));
      content.push(ev({ type: 'content_block_delta', index, delta: { type: 'signature_delta', signature: block.signature } }));
    } else if (block.type === 'redacted_thinking') {
      content.push(ev({ type: 'content_block_start', index, content_block: block }));
    } else if (block.type === 'tool_use') {
      content.push(ev({ type: 'content_block_start', index, content_block: { ...block, input: {} } }));
      for (const partial_json of ['{"city": "Paris"', ', "unit": "celsius"}']) {
        content.push(ev({ type: 'content_block_delta', index, delta: { type: 'input_json_delta', partial_json } }));
      }
    } else {
      content.push(ev({ type: 'content_block_start', index, content_block: { type: 'text', text: '' } }));
      content.push(ev({ type: 'content_block_delta', index, delta: { type: 'text_delta', text: block.text } }));
    }
    content.push(ev({ type: 'content_block_stop', index }));
  });
  const toolUse = blocks.some((b) => b.type === 'tool_use');
  const closing = [
    ev({ type: 'message_delta', delta: { stop_reason: toolUse ? 'tool_use' : 'end_turn', stop_sequence: null }, usage: { output_tokens: THINKING_USAGE.output } }),
    ev({ type: 'message_stop' }),
  ];
  return { opening, content, closing };
}

// ---------------------------------------------------------------------------------------------
// Gemini

export function googleWantsThinking(body) {
  const config = body?.generationConfig?.thinkingConfig;
  return config?.includeThoughts === true && (config.thinkingBudget > 0 || typeof config.thinkingLevel === 'string');
}

/** Gemini's refusal of a function call sent back without the signature it was issued with. */
export function googleSignatureRefusal(model, body, state) {
  if (!googleWantsThinking(body) && !String(model).includes('gemini-3')) return null;
  const contents = body.contents;
  let turnStart = 0;
  contents.forEach((c, i) => {
    if (c.role !== 'model' && (c.parts ?? []).some((p) => !p.functionResponse)) turnStart = i + 1;
  });
  for (const c of contents.slice(turnStart)) {
    if (c.role !== 'model') continue;
    for (const [position, part] of (c.parts ?? []).entries()) {
      if (!part.functionCall) continue;
      if (part.thoughtSignature === undefined) {
        return `Function call is missing a thought_signature in functionCall parts. This is required for tools to work correctly, and missing thought_signature may lead to degraded model performance. Additional data, function call \`default_api:${part.functionCall.name}\` , position ${position + 1}. Please refer to https://ai.google.dev/gemini-api/docs/thought-signatures for more details.`;
      }
      if (!state.google.has(part.thoughtSignature)) return 'Corrupted thought signature.';
    }
  }
  return null;
}

/**
 * The events' parts of a thinking answer: two thought parts, then a function call (round one
 * of `tools`) or the text, the first answer part carrying a thoughtSignature (recorded).
 */
export function googleThinkingParts(scenario, body, state) {
  const signature = token(64);
  state.google.add(signature);
  const afterTool = (body.contents.at(-1)?.parts ?? []).some((p) => p.functionResponse);
  const answer =
    scenario === 'tools' && !afterTool
      ? [{ functionCall: { name: 'get_weather', args: { city: 'Paris', unit: 'celsius' } }, thoughtSignature: signature }]
      : [{ text: afterTool ? AFTER_TOOL : 'Hello from google!', thoughtSignature: signature }];
  return [...THINKING.map((text) => [{ text, thought: true }]), answer];
}

export function googleThinkingUsage(done, thoughts) {
  const prompt = THINKING_USAGE.input + THINKING_USAGE.cacheRead;
  const candidates = done ? THINKING_USAGE.answer : 0;
  return {
    promptTokenCount: prompt,
    cachedContentTokenCount: THINKING_USAGE.cacheRead,
    candidatesTokenCount: candidates,
    thoughtsTokenCount: thoughts,
    totalTokenCount: prompt + candidates + thoughts,
  };
}

// ---------------------------------------------------------------------------------------------
// OpenAI format

const OPENAI_REASONING = /^(o1|o3|o4|gpt-5)/;

/** OpenAI's refusal of a parameter its reasoning models do not take, or null. */
export function openaiReasoningRefusal(body) {
  if (!OPENAI_REASONING.test(String(body.model)) || String(body.model).includes('chat')) return null;
  if (body.temperature !== undefined && body.temperature !== 1) {
    return { param: 'temperature', message: "Unsupported value: 'temperature' does not support this value with this model. Only the default (1) value is supported." };
  }
  if (body.max_tokens !== undefined) {
    return { param: 'max_tokens', message: "Unsupported parameter: 'max_tokens' is not supported with this model. Use 'max_completion_tokens' instead." };
  }
  return null;
}

/**
 * Whether an OpenAI-format answer reasons: OpenRouter's way, with text (DeepSeek's reasoner)
 * or in usage only (OpenAI).
 */
export function openaiReasoning(body) {
  if (body.reasoning?.effort !== undefined) return 'openrouter';
  if (String(body.model).includes('reasoner')) return 'text';
  return body.reasoning_effort !== undefined && body.reasoning_effort !== 'none' ? 'usage' : null;
}

export function openaiReasoningUsage() {
  const prompt = THINKING_USAGE.input + THINKING_USAGE.cacheRead;
  const completion = THINKING_USAGE.answer + THINKING_USAGE.reasoning;
  return {
    prompt_tokens: prompt,
    completion_tokens: completion,
    total_tokens: prompt + completion,
    prompt_tokens_details: { cached_tokens: THINKING_USAGE.cacheRead },
    completion_tokens_details: { reasoning_tokens: THINKING_USAGE.reasoning },
    // DeepSeek's own names for the cache split, beside OpenAI's.
    prompt_cache_hit_tokens: THINKING_USAGE.cacheRead,
    prompt_cache_miss_tokens: THINKING_USAGE.input,
  };
}

// ---------------------------------------------------------------------------------------------
// OpenRouter

/** What OpenRouter reports as the call's cost (its own figure, in `usage.cost`). */
export const OPENROUTER_COST = 0.00042;
const OPENROUTER_FORMAT = 'anthropic-claude-v1';

/** OpenRouter's refusal of a tool loop that lost its reasoning_details, or null. */
export function openrouterRefusal(body, state) {
  if (openaiReasoning(body) !== 'openrouter') return null;
  let loopStart = 0;
  body.messages.forEach((m, i) => {
    if (m.role === 'user') loopStart = i + 1;
  });
  for (const [i, m] of body.messages.entries()) {
    if (i < loopStart || m.role !== 'assistant' || !m.tool_calls?.length) continue;
    const text = (m.reasoning_details ?? []).find((d) => d.type === 'reasoning.text');
    if (!text || state.signatures.get(text.signature) !== text.text) {
      return `messages.${i}: Provider returned error: messages.1.content.0.type: Expected \`thinking\` or \`redacted_thinking\`, but found \`tool_use\`. Preserve reasoning_details when sending tool results back.`;
    }
  }
  return null;
}

/**
 * An OpenRouter answer with reasoning: the deltas of the thinking (each with its
 * reasoning_details fragment, the signature in the last), then the call or the text.
 */
export function openrouterThinking(scenario, body, state) {
  const signature = token();
  state.signatures.set(signature, THINKING.join(''));
  const fragment = (fields) => [{ type: 'reasoning.text', format: OPENROUTER_FORMAT, index: 0, ...fields }];
  const thinking = [
    ...THINKING.map((text) => ({ reasoning: text, reasoning_details: fragment({ text }) })),
    { reasoning_details: fragment({ signature }) },
  ];
  const afterTool = body.messages.at(-1)?.role === 'tool';
  const call = { id: 'call_openrouter01', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris","unit":"celsius"}' } };
  const answer = scenario === 'tools' && !afterTool ? { tool_calls: [call] } : { content: afterTool ? AFTER_TOOL : 'Hello from openrouter!' };
  const message = {
    role: 'assistant',
    content: answer.content ?? null,
    reasoning: THINKING.join(''),
    reasoning_details: fragment({ text: THINKING.join(''), signature }),
    ...(answer.tool_calls ? { tool_calls: answer.tool_calls } : {}),
  };
  const streamed = answer.tool_calls ? { tool_calls: [{ index: 0, ...call }] } : answer;
  return { thinking, answer: streamed, message, finish: answer.tool_calls ? 'tool_calls' : 'stop' };
}

export function openrouterUsage() {
  return { ...openaiReasoningUsage(), cost: OPENROUTER_COST };
}
