//! Fallback chains in the app: Settings' `Fallback models` (the default chain after the
//! main model: add, remove, reorder; how long a first answer may take), a chat's own chain
//! in its options, an answer's "Answered by" badge with the links skipped and why, and the
//! countdown while a short rate limit is waited out.

use ferry_core::ProviderId;
use ferry_protocol::{AnsweredBy, Command, DEFAULT_FIRST_ANSWER_TIMEOUT_SECS, Event, ModelRef};
use leptos::prelude::*;

use crate::agent_module;
use crate::app::State;

/// A short rate limit being waited out: the model, and the second the retry comes.
#[derive(Debug, Clone, PartialEq)]
struct Wait {
    model: String,
    until_ms: u64,
}

thread_local! {
    /// Reference counted, owned by no view: the chat's views come and go, the wait stays.
    static WAIT: ArcRwSignal<Option<Wait>> = ArcRwSignal::new(None);
}

/// The wait in progress, if any (one signal for the page's life).
fn wait() -> ArcRwSignal<Option<Wait>> {
    WAIT.with(Clone::clone)
}

/// Takes what the agent says of a chain's wait; other events end it.
pub fn seen(event: &Event) {
    match event {
        Event::FallbackWait { model, seconds, .. } => wait().set(Some(Wait {
            model: model.clone(),
            until_ms: crate::app::now_ms().saturating_add(seconds.saturating_mul(1000)),
        })),
        Event::Delta { .. } | Event::TurnFinished { .. } | Event::Error { .. }
            if wait().with_untracked(Option::is_some) =>
        {
            wait().set(None);
        }
        _ => {}
    }
}

/// "<model> is rate limited: trying it again in N s", counting down.
#[component]
pub fn FallbackCountdown() -> impl IntoView {
    let now = RwSignal::new(crate::app::now_ms());
    if let Ok(ticker) = set_interval_with_handle(
        move || {
            let _ = now.try_set(crate::app::now_ms());
        },
        std::time::Duration::from_millis(250),
    ) {
        on_cleanup(move || ticker.clear());
    }
    let text = move || {
        let wait = wait().get()?;
        let left = wait.until_ms.saturating_sub(now.get()).div_ceil(1000);
        Some(format!(
            "{} is rate limited: trying it again in {left} s",
            wait.model
        ))
    };
    view! {
        <p class="fallback-wait" role="status" aria-label="Fallback countdown" hidden=move || text().is_none()>
            {text}
        </p>
    }
}

/// An answer's badge: the model that wrote it, and each link skipped before it, with why.
pub fn badge(answered_by: Option<AnsweredBy>) -> Option<impl IntoView> {
    let answered = answered_by?;
    let skipped = answered.skipped;
    Some(view! {
        <div class="answered-by">
            <span class="badge">{format!("Answered by {}", answered.model)}</span>
            {(!skipped.is_empty()).then(|| view! {
                <ul class="skipped" aria-label="Skipped models">
                    {skipped.into_iter().map(|s| view! {
                        <li>{format!("{}: {} — skipped", s.model, s.reason)}</li>
                    }).collect_view()}
                </ul>
            })}
        </div>
    })
}

/// The provider names for the add form, as the registry spells them.
fn provider_options() -> impl IntoView {
    ProviderId::ALL
        .iter()
        .map(|p| view! { <option value=p.as_str()>{p.info().display_name}</option> })
        .collect_view()
}

/// An ordered list of links with `Move up` / `Move down` / `Remove` on each, and a form to
/// add one; `changed` gets the list after each edit.
#[component]
fn ChainEditor(
    #[prop(into)] links: Signal<Vec<ModelRef>>,
    changed: Callback<Vec<ModelRef>>,
) -> impl IntoView {
    let provider = RwSignal::new(ProviderId::ALL[0]);
    let model = RwSignal::new(String::new());
    let edit = move |f: &dyn Fn(&mut Vec<ModelRef>)| {
        let mut list = links.get_untracked();
        f(&mut list);
        changed.run(list);
    };
    let add = move || {
        let name = model.get_untracked().trim().to_owned();
        if name.is_empty() {
            return;
        }
        let link = ModelRef {
            provider: provider.get_untracked(),
            model: name,
        };
        edit(&|list| {
            if !list.contains(&link) {
                list.push(link.clone());
            }
        });
        model.set(String::new());
    };
    view! {
        <ol class="chain" aria-label="Fallback models">
            <For
                each=move || links.get().into_iter().enumerate()
                key=|(i, l)| (*i, l.provider, l.model.clone())
                children=move |(i, link)| {
                    let name = link.model.clone();
                    let last = move || links.with(|l| i + 1 >= l.len());
                    view! {
                        <li>
                            <span>{format!("{} · {}", link.provider.info().display_name, link.model)}</span>
                            <button type="button" class="quiet" aria-label=format!("Move {name} up") disabled=i == 0
                                on:click=move |_| edit(&|l| l.swap(i - 1, i))>"↑"</button>
                            <button type="button" class="quiet" aria-label=format!("Move {name} down") disabled=last
                                on:click=move |_| edit(&|l| if i + 1 < l.len() { l.swap(i, i + 1) })>"↓"</button>
                            <button type="button" class="quiet" aria-label=format!("Remove {name}")
                                on:click=move |_| edit(&|l| { if i < l.len() { l.remove(i); } })>"Remove"</button>
                        </li>
                    }
                }
            />
        </ol>
        <div class="row chain-add">
            <label>
                "Fallback service"
                <select on:change=move |ev| {
                    let name = event_target_value(&ev);
                    if let Some(p) = ProviderId::ALL.into_iter().find(|p| p.as_str() == name) {
                        provider.set(p);
                    }
                }>
                    {provider_options()}
                </select>
            </label>
            <label>
                "Fallback model"
                <input type="text" bind:value=model on:keydown=move |ev| {
                    if ev.key() == "Enter" {
                        ev.prevent_default();
                        add();
                    }
                }/>
            </label>
            <button type="button" on:click=move |_| add()>"Add fallback model"</button>
        </div>
    }
}

/// Settings' `Fallback models`: every chat's default chain after the main model, and the
/// seconds a model may take to its first answer. Saved as soon as changed.
#[component]
pub fn FallbackSettings() -> impl IntoView {
    let state = expect_context::<State>();
    let save = move |f: &dyn Fn(&mut ferry_protocol::SettingsView)| {
        let Some(mut settings) = state.settings.get_untracked() else {
            return;
        };
        f(&mut settings);
        if let Ok(json) = serde_json::to_value(&settings) {
            agent_module::send(&Command::SetSettings { settings: json });
        }
        state.settings.set(Some(settings));
    };
    let links = Signal::derive(move || {
        state
            .settings
            .with(|s| s.as_ref().map(|s| s.fallbacks.clone()).unwrap_or_default())
    });
    let timeout = move || {
        state.settings.with(|s| {
            s.as_ref()
                .map_or(DEFAULT_FIRST_ANSWER_TIMEOUT_SECS, |s| {
                    s.first_answer_timeout_secs
                })
                .to_string()
        })
    };
    view! {
        <section class="fallbacks" aria-label="Fallback models">
            <h3>"Fallback models"</h3>
            <p class="hint">"When the main model fails (a server error, no answer in time, a long rate limit), the answer moves on to these, in order."</p>
            <ChainEditor links=links changed=Callback::new(move |list: Vec<ModelRef>| save(&|s| s.fallbacks.clone_from(&list)))/>
            <label>
                "Seconds to wait for a first answer"
                <input type="number" min="1" max="600" prop:value=timeout on:change=move |ev| {
                    if let Ok(secs) = event_target_value(&ev).trim().parse::<u64>()
                        && (1..=600).contains(&secs)
                    {
                        save(&|s| s.first_answer_timeout_secs = secs);
                    }
                }/>
            </label>
        </section>
    }
}

/// A chat's own chain, in its options: the default, or a list of its own.
#[component]
pub fn ChatFallbacks() -> impl IntoView {
    let state = expect_context::<State>();
    let session = move || state.chat.with(|c| c.session.clone());
    let own = Signal::derive(move || {
        let id = session()?;
        state
            .sessions
            .with(|all| all.iter().find(|s| s.id == id)?.fallbacks.clone())
    });
    let set = move |fallbacks: Option<Vec<ModelRef>>| {
        if let Some(session) = session() {
            agent_module::send(&Command::SetChatFallbacks { session, fallbacks });
        }
    };
    let links = Signal::derive(move || own.get().unwrap_or_default());
    view! {
        <fieldset class="chat-fallbacks" aria-label="Fallback models for this chat" hidden=move || session().is_none()>
            <legend>"Fallback models"</legend>
            <label class="check">
                <input type="checkbox" prop:checked=move || own.get().is_none() on:change=move |ev| {
                    if event_target_checked(&ev) {
                        set(None);
                    } else {
                        let default = state.settings.with_untracked(|s| s.as_ref().map(|s| s.fallbacks.clone()).unwrap_or_default());
                        set(Some(default));
                    }
                }/>
                "Use the default fallback models"
            </label>
            <Show when=move || own.get().is_some()>
                <ChainEditor links=links changed=Callback::new(move |list: Vec<ModelRef>| set(Some(list)))/>
            </Show>
        </fieldset>
    }
}
