//! The conversation and the composer: each answer as one block — its thinking (live, then
//! folded), its tool calls as collapsible steps, its text rendered as Markdown while it
//! streams, its cost — the compaction marker, Stop / Regenerate / Edit, the chat's own
//! parameters, and the token counts and the chat's cost. The composer's files (see
//! `attachments`) are checked before Send: the limits per message and of the route, and
//! images for a model that cannot read them.

use ferry_core::wire::Role;
use ferry_protocol::{ChatParams, Command, Decision};
use leptos::prelude::*;
use wasm_bindgen::JsCast;

use crate::agent_module;
use crate::app::{COMPOSER, State, focus_soon};
use crate::attachments::{AttachButton, Chips as ChipList, carries_files, on_drop, on_paste};
use crate::branches::{Announcement, BranchButton, Versions, provide_announcer};
use crate::mcp::composer::{ChatTools, PromptMenu, ResourceButton, SlashMenu};
use crate::model::{
    Chat, Chips, Controls, Limits, Progress, Row, Thinking, ToolStep, ViewMessage, tool_of, usd,
    via_proxy,
};
use crate::params::ParamsFields;

/// Stops the turn: through the queue when it is paused on an approval (no command is
/// running then), else at once, around the queue.
pub fn stop_turn(state: State) {
    let paused = state
        .chat
        .with_untracked(|c| c.awaits_approval().then(|| c.session.clone()).flatten());
    match paused {
        Some(session) => agent_module::send(&Command::Stop { session }),
        None => agent_module::stop(),
    }
}

/// A tool call waiting for the user, inline in the answer: what it would act on, exactly,
/// and the four answers.
fn approval(step: ToolStep, subject: String) -> impl IntoView {
    let state = expect_context::<State>();
    let call_id = StoredValue::new(step.call_id.clone());
    let tool = StoredValue::new(step.name.clone());
    let decide = move |decision: Decision| {
        let Some(session) = state.chat.get_untracked().session else {
            return;
        };
        let call_id = call_id.get_value();
        state.chat.update(|c| c.decided(&call_id, decision));
        if decision == Decision::AlwaysAllow {
            // The agent keeps it with the settings; so does the copy Settings saves from.
            let tool = tool.get_value();
            state.settings.update(|settings| {
                if let Some(settings) = settings
                    && !settings.always_allow.contains(&tool)
                {
                    settings.always_allow.push(tool);
                }
            });
        }
        agent_module::send(&Command::ApproveToolCall {
            session,
            call_id,
            decision,
        });
        // The buttons go away with the answer.
        focus_soon(COMPOSER);
    };
    view! {
        <div class="approval" role="group" aria-label=format!("Approve {}", step.name)>
            <p>{step.approval_question()}</p>
            <pre class="subject">{subject}</pre>
            <div class="row">
                <button type="button" class="primary" on:click=move |_| decide(Decision::AllowOnce)>"Allow once"</button>
                <button type="button" on:click=move |_| decide(Decision::AllowInChat)>"Allow in this chat"</button>
                <button type="button" on:click=move |_| decide(Decision::AlwaysAllow)>"Always allow"</button>
                <button type="button" class="danger" on:click=move |_| decide(Decision::Deny)>"Deny"</button>
            </div>
        </div>
    }
}

/// A running MCP tool's progress bar, named `<tool> progress`, and its server's words.
fn progress_bar(tool: String, progress: Progress) -> impl IntoView {
    let label = format!("{tool} progress");
    // No whole known: an indeterminate bar (no value).
    let value = progress.total.map(|total| progress.done.min(total));
    view! {
        <div class="tool-progress">
            <progress aria-label=label max=progress.total value=value></progress>
            {progress.message.map(|m| view! { <span class="hint">{m}</span> })}
        </div>
    }
}

fn tool_step(step: ToolStep) -> impl IntoView {
    let state = expect_context::<State>();
    let status = step.status();
    let waiting = step
        .approval
        .clone()
        .map(|subject| approval(step.clone(), subject));
    // An MCP tool: its server and tool as the call said, or (a chat read from storage) as
    // the servers' tools say.
    let named = step.server.clone().zip(step.tool.clone());
    let name = step.name.clone();
    let summary = move || {
        let named = named
            .clone()
            .or_else(|| state.mcp_servers.with(|servers| tool_of(servers, &name)));
        match named {
            Some((server, tool)) => format!("Tool: {tool} on {server} — {status}"),
            None => format!("Tool: {} — {status}", name),
        }
    };
    let progress = step.progress.clone().map(|p| {
        let tool = step.tool.clone().unwrap_or_else(|| step.name.clone());
        progress_bar(tool, p)
    });
    let images = crate::attachments::message_attachments(step.images.clone());
    view! {
        <details class="tool">
            <summary>{summary}</summary>
            <pre class="tool-args">{step.arguments}</pre>
            {step.output.map(|(_, output)| view! { <pre class="tool-output">{output}</pre> })}
        </details>
        {progress}
        {images}
        {waiting}
    }
}

/// The model's thinking, above the answer: open while it thinks, folded once the answer
/// starts, with the time it took.
fn thinking_section(thinking: Thinking) -> impl IntoView {
    let state = expect_context::<State>();
    let open = thinking.running();
    let text = thinking.text.clone();
    let label = move || {
        if thinking.running() {
            thinking.label(state.clock.get())
        } else {
            thinking.label(0)
        }
    };
    view! {
        <details class="thinking" aria-label="Thinking" open=open>
            <summary>{label}</summary>
            <div class="thinking-text">{text}</div>
        </details>
    }
}

#[component]
fn MessageView(message: ViewMessage, last: bool) -> impl IntoView {
    let state = expect_context::<State>();
    let editing = RwSignal::new(false);
    let draft = RwSignal::new(message.text.clone());
    let id = StoredValue::new(message.id.clone());
    let is_user = message.role == Role::User;
    let label = if is_user { "You" } else { "Ferry" };
    let partial = message.partial;
    let empty =
        message.text.is_empty() && message.tools.is_empty() && message.thinking.text.is_empty();
    let thinking = (!message.thinking.text.is_empty() || message.thinking.running())
        .then(|| thinking_section(message.thinking.clone()));
    let cost = message.cost.map(|c| usd(c.0));
    let answered_by = crate::fallback::badge(message.answered_by.clone());
    // Answers are Markdown; what the user typed is shown as typed.
    let html = (!is_user)
        .then(|| agent_module::render_markdown(&message.text))
        .flatten();
    let tools = message.tools;
    let text = message.text;
    let files = crate::attachments::message_attachments(message.attachments);
    let versions = (message.versions.len() > 1).then(|| {
        view! { <Versions id=message.version.clone() versions=message.versions.clone()/> }
    });
    let branch = message
        .ids
        .last()
        .map(|last| view! { <BranchButton last=last.clone()/> });

    // Edit moves focus into the editor; Cancel brings it back to Edit, resending to the
    // composer.
    let editor = NodeRef::<leptos::html::Textarea>::new();
    let edit_button = NodeRef::<leptos::html::Button>::new();
    Effect::new(move |_| {
        if editing.get()
            && let Some(editor) = editor.get()
        {
            let _ = editor.focus();
        }
    });
    let resend = move || {
        editing.set(false);
        focus_soon(COMPOSER);
        let Some(session) = state.chat.get_untracked().session else {
            return;
        };
        let text = draft.get_untracked();
        if text.trim().is_empty() {
            return;
        }
        state.banner.set(None);
        state.chat.update(|c| c.busy = true);
        agent_module::send(&Command::EditAndResend {
            session,
            message: id.get_value(),
            text,
        });
    };

    view! {
        // Busy while it streams, so a screen reader reads the answer once, when it is whole.
        <article
            class=if is_user { "msg user" } else { "msg assistant" }
            aria-label=format!("{label} said")
            aria-busy=move || (last && !is_user && state.chat.with(|c| c.busy)).then_some("true")
        >
            <div class="who">{label}</div>
            {files}
            {thinking}
            {tools.into_iter().map(tool_step).collect_view()}
            <Show
                when=move || editing.get()
                fallback=move || match html.clone() {
                    Some(html) => view! { <div class="text md" inner_html=html></div> }.into_any(),
                    None => view! { <div class="text plain">{text.clone()}</div> }.into_any(),
                }
            >
                <textarea
                    node_ref=editor
                    class="edit"
                    aria-label="Edit message"
                    bind:value=draft
                ></textarea>
                <div class="row">
                    <button type="button" class="primary" on:click=move |_| resend()>"Save and resend"</button>
                    <button type="button" on:click=move |_| {
                        editing.set(false);
                        if let Some(edit) = edit_button.get_untracked() {
                            let _ = edit.focus();
                        }
                    }>"Cancel"</button>
                </div>
            </Show>
            <Show when=move || empty && !is_user && state.chat.with(|c| c.busy)>
                <div class="typing" role="status" aria-label="Ferry is typing"><span></span><span></span><span></span></div>
            </Show>
            {answered_by}
            <div class="actions">
                {versions}
                {cost.map(|cost| view! {
                    <span class="cost" title="What this answer cost (estimated)">{cost}</span>
                })}
                {(partial && !is_user).then(|| view! {
                    <span class="stopped" hidden=move || state.chat.with(|c| c.busy) && last>"Stopped"</span>
                })}
                {(is_user && !id.get_value().is_empty()).then(|| view! {
                    <button
                        type="button"
                        class="quiet"
                        disabled=move || state.chat.with(|c| c.busy)
                        node_ref=edit_button
                        on:click=move |_| editing.set(true)
                    >
                        "Edit"
                    </button>
                })}
                {(last && !is_user).then(|| view! {
                    <button
                        type="button"
                        class="quiet"
                        hidden=move || state.chat.with(|c| c.busy)
                        on:click=move |_| {
                            let Some(session) = state.chat.get_untracked().session else { return };
                            state.banner.set(None);
                            state.chat.update(Chat::regenerating);
                            agent_module::send(&Command::Regenerate { session, message: None });
                        }
                    >
                        "Regenerate"
                    </button>
                })}
                {branch}
            </div>
        </article>
    }
}

/// Copy buttons live in rendered Markdown, so one listener serves them all.
fn copy_code(ev: leptos::ev::MouseEvent) {
    let Some(button) = ev
        .target()
        .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
        .and_then(|e| e.closest("button.copy").ok().flatten())
    else {
        return;
    };
    let code = button
        .closest(".code")
        .ok()
        .flatten()
        .and_then(|block| block.query_selector("pre").ok().flatten())
        .and_then(|pre| pre.text_content())
        .unwrap_or_default();
    if let Some(window) = web_sys::window() {
        let _ = window.navigator().clipboard().write_text(&code);
    }
    button.set_text_content(Some("Copied"));
}

#[component]
pub fn ChatView() -> impl IntoView {
    let state = expect_context::<State>();
    let text = state.draft;
    let input = NodeRef::<leptos::html::Textarea>::new();
    let bottom = NodeRef::<leptos::html::Div>::new();
    provide_announcer();

    // The files as they would be sent, and whether the model reads images.
    let reads_images = move || {
        state.settings.with(|s| {
            s.as_ref()
                .is_none_or(|s| crate::model::reads_images(s.provider, &s.model))
        })
    };
    // PDFs go as their text to a model that does not read them.
    let reads_documents = move || {
        state.settings.with(|s| {
            s.as_ref()
                .is_none_or(|s| crate::model::reads_documents(s.provider, &s.model))
        })
    };
    let limits = move || {
        let proxy = state.settings.with(|s| {
            s.as_ref()
                .is_some_and(|s| via_proxy(s.provider, s.proxy_url.is_some(), s.always_proxy))
        });
        Limits {
            proxy_cap: proxy.then(|| state.proxy_media_cap.get()).flatten(),
            proxy_text_cap: proxy.then(|| state.proxy_text_cap.get()).flatten(),
            documents: reads_documents(),
        }
    };
    // Why the message and its files may not be sent as they are (Send is disabled, this
    // says why).
    let problem = move || {
        let documents = reads_documents();
        text.with(|message| {
            state.chips.with(|c| {
                limits().problem(
                    message,
                    &c.ready(reads_images()),
                    state.chat.with(|chat| chat.earlier(documents)),
                )
            })
        })
    };
    // Images for a model that cannot read them: the alert asks first.
    let images_refused = move || !reads_images() && state.chips.with(Chips::has_images);
    // Whether there is nothing to send, `images` or not.
    let empty = move |images: bool| {
        text.with(|t| t.trim().is_empty()) && state.chips.with(|c| c.ready(images).is_empty())
    };
    let blocked =
        move || state.chips.with(Chips::preparing) || problem().is_some() || images_refused();

    let connection = expect_context::<crate::offline::Connection>();
    // `images`: false for "Send without images".
    let send = move |images: bool| {
        if empty(images)
            || state.chat.with_untracked(|c| c.busy)
            || !state.loaded.get_untracked()
            || state.chips.with_untracked(Chips::preparing)
            || untrack(problem).is_some()
            || (images && untrack(images_refused))
            || connection.hold()
        {
            return;
        }
        let message = text.get_untracked();
        let files = state.chips.with_untracked(|c| c.ready(images));
        text.set(String::new());
        for chip in state.chips.try_update(Chips::clear).unwrap_or_default() {
            crate::attachments::release(&chip);
        }
        state.send_message(message, files);
    };
    connection.on_back_online(move || send(true));
    let model = move || {
        state
            .settings
            .with(|s| s.as_ref().map(|s| s.model.clone()).unwrap_or_default())
    };
    let dropping = RwSignal::new(false);
    let slash = SlashMenu::new();

    // Keep the newest text in view while it streams.
    Effect::new(move |_| {
        state.chat.track();
        if let Some(end) = bottom.get() {
            end.scroll_into_view_with_bool(false);
        }
    });

    let tokens = move || {
        state.tokens.get().map(|(conversation, draft, exact)| {
            let about = if exact { "" } else { "≈" };
            format!("Conversation: {about}{conversation} tokens · Draft: {about}{draft}")
        })
    };
    // The chat's cost: its answers' (live), else what the chat list says.
    let chat_cost = move || {
        let session = state.chat.with(|c| c.session.clone())?;
        let cost = state.chat.with(Chat::cost).or_else(|| {
            state
                .sessions
                .with(|all| all.iter().find(|s| s.id == session)?.cost_usd)
        })?;
        Some(format!("Chat cost: {}", usd(cost)))
    };

    // The open chat's own parameters; a new chat's wait for it to be created.
    let params = RwSignal::new(ChatParams::default());
    Effect::new(move |_| {
        let session = state.chat.with(|c| c.session.clone());
        let own = match session {
            Some(session) => state.sessions.with(|all| {
                all.iter()
                    .find(|s| s.id == session)
                    .map(|s| s.params)
                    .unwrap_or_default()
            }),
            None => state.new_chat_params.get(),
        };
        params.set(own);
    });
    let controls = Signal::derive(move || {
        state.settings.with(|s| {
            s.as_ref()
                .map(|s| Controls::of(s.provider, &s.model))
                .unwrap_or(Controls {
                    effort: false,
                    temperature: true,
                    max_output: u32::MAX,
                })
        })
    });
    let changed = Callback::new(move |()| {
        let chosen = controls.get_untracked().fit(params.get_untracked());
        match state.chat.with_untracked(|c| c.session.clone()) {
            Some(session) => {
                state.sessions.update(|all| {
                    if let Some(view) = all.iter_mut().find(|s| s.id == session) {
                        view.params = chosen;
                    }
                });
                agent_module::send(&Command::SetChatParams {
                    session,
                    params: chosen,
                });
            }
            None => state.new_chat_params.set(chosen),
        }
    });
    view! {
        // A log: new messages are announced (politely) as they are added.
        <section class="conversation" role="log" aria-label="Conversation" on:click=copy_code>
            <Show when=move || state.chat.with(|c| c.messages.is_empty())>
                <div class="welcome">
                    <h1>"Ferry"</h1>
                    <p>"Your keys, your browser. Ask anything."</p>
                </div>
            </Show>
            // Keyed by what each message shows: a delta redraws the answer it grows only.
            <For
                each=move || state.chat.with(Chat::rows)
                key=Row::clone
                children=|row| {
                    let marker = row.marker.then(|| view! {
                        <div class="marker" role="separator" aria-label="Earlier messages summarized">
                            "Earlier messages summarized — still here, sent as a summary"
                        </div>
                    });
                    view! { {marker} <MessageView message=row.message last=row.last/> }
                }
            />
            <div node_ref=bottom></div>
            <Announcement/>
        </section>
        <form
            class="composer"
            class:dropping=move || dropping.get()
            on:submit=move |ev| { ev.prevent_default(); send(true); }
            on:dragover=move |ev| {
                if carries_files(&ev) {
                    ev.prevent_default();
                    dropping.set(true);
                }
            }
            on:dragleave=move |ev| {
                // Leaving for one of its own parts is no leaving.
                let inside = ev
                    .related_target()
                    .and_then(|t| t.dyn_into::<web_sys::Node>().ok())
                    .zip(ev.current_target().and_then(|t| t.dyn_into::<web_sys::Node>().ok()))
                    .is_some_and(|(to, form)| form.contains(Some(&to)));
                if !inside {
                    dropping.set(false);
                }
            }
            on:drop=move |ev| {
                dropping.set(false);
                on_drop(state, ev);
            }
        >
            <crate::offline::OfflineNotice/>
            <ChipList/>
            <p class="limits" hidden=move || state.chips.with(|c| c.list.is_empty())>
                {move || state.chips.with(|c| limits().line(&c.ready(reads_images())))}
            </p>
            {move || problem().map(|reason| view! { <p class="attach-problem" role="alert">{reason}</p> })}
            <Show when=images_refused>
                <div class="attach-problem" role="alert">
                    <span>{move || format!("{} cannot read images", model())}</span>
                    <button
                        type="button"
                        disabled=move || empty(false) || state.chat.with(|c| c.busy) || state.chips.with(Chips::preparing)
                        on:click=move |_| send(false)
                    >
                        "Send without images"
                    </button>
                </div>
            </Show>
            <PromptMenu menu=slash/>
            <div class="attach-buttons">
                <AttachButton/>
                <ResourceButton/>
            </div>
            <textarea
                node_ref=input
                aria-label="Message"
                placeholder="Message Ferry (Enter to send, Shift+Enter for a new line)"
                rows="2"
                aria-controls="mcp-prompts"
                aria-activedescendant=move || slash.active_id(state)
                prop:value=move || text.get()
                on:input=move |ev| {
                    text.set(event_target_value(&ev));
                    slash.typed();
                    state.count_draft();
                }
                on:keydown=move |ev| {
                    if slash.key(state, &ev) {
                        return;
                    }
                    if ev.key() == "Enter" && !ev.shift_key() && !ev.is_composing() {
                        ev.prevent_default();
                        send(true);
                    }
                }
                on:paste=move |ev| on_paste(state, ev)
            ></textarea>
            <Show
                when=move || state.chat.with(|c| c.busy)
                fallback=move || view! {
                    <button type="submit" class="primary" disabled=move || !state.loaded.get() || empty(true) || blocked()>"Send"</button>
                }
            >
                <button type="button" class="danger" on:click=move |_| stop_turn(state)>"Stop"</button>
            </Show>
            <details class="chat-params">
                <summary>"Chat options"</summary>
                <ParamsFields params=params controls=controls changed=changed default="Default"/>
                <crate::fallback::ChatFallbacks/>
            </details>
            <ChatTools/>
            <crate::fallback::FallbackCountdown/>
            <div class="tokens" aria-live="off">
                {tokens}
                {move || chat_cost().map(|cost| view! { <span class="chat-cost">{cost}</span> })}
            </div>
        </form>
    }
}
