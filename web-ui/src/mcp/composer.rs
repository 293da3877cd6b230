//! MCP beside the composer: a chat's own switches for the servers (`Tools`), the servers'
//! prompts as `/` commands (a listbox under the text as it starts with `/`; arguments asked
//! in a small form; the prompt's text put in the composer), and their resources attached
//! like files (`Attach from MCP server`).

use std::collections::BTreeMap;

use ferry_protocol::{ChatMcp, Command, SessionId};
use leptos::prelude::*;

use crate::agent_module;
use crate::app::{COMPOSER, State, focus_soon};
use crate::mcp::{Refocus, Target};
use crate::model::{
    PromptChoice, arguments_html, css_string, prompt_choices, prompts_html, resource_choices,
    resource_file_name, resources_html, slash_query, switches_html,
};

/// The open chat's own switches (a chat not created yet: those it will get).
fn chat_mcp(state: State) -> ChatMcp {
    chat_mcp_of(state, state.chat.with(|c| c.session.clone()))
}

/// `session`'s own switches (`None`: those a new chat will get).
fn chat_mcp_of(state: State, session: Option<SessionId>) -> ChatMcp {
    match session {
        Some(session) => state.sessions.with(|all| {
            all.iter()
                .find(|s| s.id == session)
                .map(|s| s.mcp.clone())
                .unwrap_or_default()
        }),
        None => state.new_chat_mcp.get(),
    }
}

/// Sets the open chat's switch for `server`.
fn set_in_chat(state: State, server: &str, on: bool) {
    match state.chat.with_untracked(|c| c.session.clone()) {
        Some(session) => {
            state.sessions.update(|all| {
                if let Some(view) = all.iter_mut().find(|s| s.id == session) {
                    view.mcp.insert(server.to_owned(), on);
                }
            });
            agent_module::send(&Command::SetChatMcp {
                session,
                server: server.to_owned(),
                enabled: Some(on),
            });
        }
        None => state.new_chat_mcp.update(|m| {
            m.insert(server.to_owned(), on);
        }),
    }
}

/// `Tools`: a switch per server for this chat.
#[component]
pub fn ChatTools() -> impl IntoView {
    let state = expect_context::<State>();
    // The chat, not its messages: the switches are not drawn anew as an answer streams.
    let session = Memo::new(move |_| state.chat.with(|c| c.session.clone()));
    let refocus = Refocus::new();
    let switches = move || {
        let chat = chat_mcp_of(state, session.get());
        refocus.redrawn();
        state
            .mcp_servers
            .with(|servers| switches_html(servers, &chat))
    };
    let changed = move |ev: leptos::ev::Event| {
        if let Some(target) = Target::of(&ev)
            && let Some(server) = target.data("server")
        {
            refocus.remember(format!(".chat-tools [data-server={}]", css_string(&server)));
            set_in_chat(state, &server, target.checked());
        }
    };
    view! {
        <details class="chat-tools" aria-label="Tools" hidden=move || state.mcp_servers.with(Vec::is_empty)>
            <summary>"Tools"</summary>
            <div class="switches" inner_html=switches on:change=changed></div>
        </details>
    }
}

/// The `/` menu's state, shared by the composer's text box (its keys) and the menu.
#[derive(Clone, Copy)]
pub struct SlashMenu {
    /// The highlighted option.
    active: RwSignal<usize>,
    /// Escape closed it, until the text changes.
    dismissed: RwSignal<bool>,
    /// The prompt whose arguments are being asked.
    asking: RwSignal<Option<PromptChoice>>,
}

impl SlashMenu {
    pub fn new() -> Self {
        Self {
            active: RwSignal::new(0),
            dismissed: RwSignal::new(false),
            asking: RwSignal::new(None),
        }
    }

    /// The prompts offered for the composer's text now (none: the menu is closed).
    fn choices(self, state: State) -> Vec<PromptChoice> {
        if self.dismissed.get() || self.asking.with(Option::is_some) {
            return Vec::new();
        }
        let chat = chat_mcp(state);
        state.draft.with(|draft| match slash_query(draft) {
            Some(query) => state
                .mcp_servers
                .with(|servers| prompt_choices(servers, &chat, query)),
            None => Vec::new(),
        })
    }

    /// The text changed: the menu may open again, from its first option.
    pub fn typed(self) {
        self.dismissed.set(false);
        self.active.set(0);
    }

    /// A key in the composer's text box; true when the menu took it.
    pub fn key(self, state: State, ev: &web_sys::KeyboardEvent) -> bool {
        let choices = untrack(|| self.choices(state));
        if choices.is_empty() {
            return false;
        }
        let count = choices.len();
        let active = self.active.get_untracked().min(count - 1);
        match ev.key().as_str() {
            "ArrowDown" => self.active.set((active + 1) % count),
            "ArrowUp" => self.active.set((active + count - 1) % count),
            "Enter" | "Tab" if !ev.shift_key() && !ev.is_composing() => {
                self.choose(state, choices[active].clone());
            }
            "Escape" => {
                // Closing the menu is all Escape does here (it stops no turn).
                ev.stop_propagation();
                self.dismissed.set(true);
            }
            _ => return false,
        }
        ev.prevent_default();
        true
    }

    /// The prompt chosen: its arguments asked first, if it has any. The menu closes (until
    /// the text changes), the prompt's text replacing the command when it comes.
    fn choose(self, state: State, choice: PromptChoice) {
        self.dismissed.set(true);
        if choice.prompt.arguments.is_empty() {
            get_prompt(state, &choice, BTreeMap::new());
        } else {
            self.asking.set(Some(choice));
            focus_soon(".prompt-arguments input");
        }
    }

    /// The id of the highlighted option, for the text box's `aria-activedescendant`.
    pub fn active_id(self, state: State) -> Option<String> {
        let count = self.choices(state).len();
        (count > 0).then(|| format!("mcp-prompt-{}", self.active.get().min(count - 1)))
    }

    /// Whether the listbox is shown (the text box's `aria-expanded`).
    pub fn open(self, state: State) -> bool {
        !self.choices(state).is_empty()
    }
}

/// Asks the server for the prompt; its text comes back as `mcp_prompt` (into the composer).
fn get_prompt(state: State, choice: &PromptChoice, arguments: BTreeMap<String, String>) {
    state.notice.set(None);
    agent_module::send(&Command::GetMcpPrompt {
        server: choice.server.clone(),
        prompt: choice.prompt.name.clone(),
        arguments,
    });
    focus_soon(COMPOSER);
}

/// The arguments of the chosen prompt, one text box each, and `Insert`.
fn arguments_form(state: State, menu: SlashMenu, choice: PromptChoice) -> impl IntoView {
    let form = NodeRef::<leptos::html::Div>::new();
    let label = format!("Arguments for {}", choice.command);
    let fields = arguments_html(&choice);
    let chosen = StoredValue::new(choice);
    // The fields' values, by argument name (empty ones left out).
    let insert = move || {
        let mut arguments = BTreeMap::new();
        if let Some(form) = form.get_untracked() {
            let inputs = form.get_elements_by_tag_name("input");
            for input in (0..inputs.length()).filter_map(|i| inputs.item(i)) {
                let input = Target(input);
                if let Some(name) = input.data("argument")
                    && !input.value().is_empty()
                {
                    arguments.insert(name, input.value());
                }
            }
        }
        menu.asking.set(None);
        get_prompt(state, &chosen.get_value(), arguments);
    };
    let cancel = move || {
        menu.asking.set(None);
        focus_soon(COMPOSER);
    };
    view! {
        <div
            node_ref=form
            class="prompt-arguments"
            role="group"
            aria-label=label
            on:keydown=move |ev| {
                if ev.key() == "Enter" {
                    ev.prevent_default();
                    insert();
                } else if ev.key() == "Escape" {
                    ev.stop_propagation();
                    cancel();
                }
            }
        >
            <div class="fields" inner_html=fields></div>
            <button type="button" class="primary" on:click=move |_| insert()>"Insert"</button>
            <button type="button" class="quiet" on:click=move |_| cancel()>"Cancel"</button>
        </div>
    }
}

/// The `/` menu (listbox `Prompts`) and the arguments form, above the composer's text.
#[component]
pub fn PromptMenu(menu: SlashMenu) -> impl IntoView {
    let state = expect_context::<State>();
    let options = move || {
        let choices = menu.choices(state);
        prompts_html(
            &choices,
            menu.active.get().min(choices.len().saturating_sub(1)),
        )
    };
    let clicked = move |ev: leptos::ev::MouseEvent| {
        let index = Target::of(&ev)
            .and_then(|t| t.data("index"))
            .and_then(|i| i.parse::<usize>().ok());
        let choice = index.and_then(|i| untrack(|| menu.choices(state)).get(i).cloned());
        if let Some(choice) = choice {
            menu.choose(state, choice);
        }
    };
    view! {
        <ul
            class="prompts"
            id="mcp-prompts"
            role="listbox"
            aria-label="Prompts"
            hidden=move || !menu.open(state)
            inner_html=options
            // Keeps focus in the text box.
            on:mousedown=|ev| ev.prevent_default()
            on:click=clicked
        ></ul>
        {move || menu.asking.get().map(|choice| arguments_form(state, menu, choice))}
    }
}

/// `Attach from MCP server`: the resources of the servers on in this chat, each a button.
#[component]
pub fn ResourceButton() -> impl IntoView {
    let state = expect_context::<State>();
    let open = RwSignal::new(false);
    let session = Memo::new(move |_| state.chat.with(|c| c.session.clone()));
    let resources = move || {
        let chat = chat_mcp_of(state, session.get());
        state
            .mcp_servers
            .with(|servers| resource_choices(servers, &chat))
    };
    let list = move || resources_html(&resources());
    let clicked = move |ev: leptos::ev::MouseEvent| {
        let Some(target) = Target::of(&ev) else {
            return;
        };
        if let (Some(server), Some(uri)) = (target.data("server"), target.data("uri")) {
            open.set(false);
            agent_module::send(&Command::ReadMcpResource { server, uri });
            focus_soon(COMPOSER);
        }
    };
    view! {
        <button
            type="button"
            class="attach"
            hidden=move || resources().is_empty()
            aria-expanded=move || if open.get() { "true" } else { "false" }
            aria-controls="mcp-resources"
            on:click=move |_| open.update(|o| *o = !*o)
        >
            "Attach from MCP server"
        </button>
        <ul
            class="resources"
            id="mcp-resources"
            aria-label="MCP resources"
            hidden=move || !open.get()
            inner_html=list
            on:click=clicked
            on:keydown=move |ev| {
                if ev.key() == "Escape" {
                    ev.stop_propagation();
                    open.set(false);
                    focus_soon("button[aria-controls=mcp-resources]");
                }
            }
        ></ul>
    }
}

/// A resource the agent read (`mcp_resource`), made a file and attached as a picked one is.
pub fn attach_resource(
    state: State,
    name: &str,
    uri: &str,
    mime: &str,
    text: Option<&str>,
    blob: Option<&str>,
) {
    let file_name = resource_file_name(name, uri, mime);
    let options = web_sys::FilePropertyBag::new();
    options.set_type(mime);
    let parts = js_sys::Array::new();
    match (text, blob) {
        (Some(text), _) => {
            parts.push(&wasm_bindgen::JsValue::from_str(text));
        }
        (None, Some(blob)) => {
            let Some(binary) = web_sys::window().and_then(|w| w.atob(blob).ok()) else {
                state
                    .notice
                    .set(Some(format!("{file_name} could not be read")));
                return;
            };
            // `atob` gives one char per byte.
            let bytes: Vec<u8> = binary.chars().map(|c| c as u32 as u8).collect();
            parts.push(&js_sys::Uint8Array::from(bytes.as_slice()));
        }
        (None, None) => return,
    }
    if let Ok(file) =
        web_sys::File::new_with_blob_sequence_and_options(&parts, &file_name, &options)
    {
        crate::attachments::add_files(state, vec![file], false);
    }
}
