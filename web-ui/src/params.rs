//! The fields of a chat's parameters — `Reasoning effort`, `Temperature`, `Max output
//! tokens` — for one chat (beside the composer) and as the defaults (in Settings). A field
//! the model does not take is not shown.

use ferry_protocol::ChatParams;
use leptos::prelude::*;

use crate::model::{
    Controls, EFFORTS, MAX_TEMPERATURE, effort_from, effort_label, max_output_from,
    temperature_from,
};

/// The fields, editing `params`; `changed` runs after each accepted change. `default` is
/// what an empty field means, in words ("Default", "Provider's default").
#[component]
pub fn ParamsFields(
    params: RwSignal<ChatParams>,
    #[prop(into)] controls: Signal<Controls>,
    changed: Callback<()>,
    default: &'static str,
) -> impl IntoView {
    let problem = RwSignal::new(None::<String>);
    let temperature_text = move || {
        params
            .with(|p| p.temperature)
            .map(|t| format!("{t}"))
            .unwrap_or_default()
    };
    let max_text = move || {
        params
            .with(|p| p.max_output_tokens)
            .map(|m| m.to_string())
            .unwrap_or_default()
    };
    let effort = move || {
        params
            .with(|p| p.reasoning_effort)
            .map_or("", |e| e.as_str())
    };
    view! {
        <div class="params">
            <label hidden=move || !controls.get().effort>
                "Reasoning effort"
                <select
                    aria-label="Reasoning effort"
                    prop:value=effort
                    on:change=move |ev| {
                        let effort = effort_from(&event_target_value(&ev));
                        params.update(|p| p.reasoning_effort = effort);
                        changed.run(());
                    }
                >
                    <option value="">{default}</option>
                    {EFFORTS.map(|e| view! { <option value=e.as_str()>{effort_label(e)}</option> }).collect_view()}
                </select>
            </label>
            <label hidden=move || !controls.get().temperature>
                "Temperature"
                <input
                    type="number"
                    aria-label="Temperature"
                    min="0"
                    max=MAX_TEMPERATURE
                    step="0.1"
                    placeholder=default
                    prop:value=temperature_text
                    on:change=move |ev| match temperature_from(&event_target_value(&ev)) {
                        Ok(t) => {
                            problem.set(None);
                            params.update(|p| p.temperature = t);
                            changed.run(());
                        }
                        Err(why) => problem.set(Some(why)),
                    }
                />
            </label>
            <label>
                "Max output tokens"
                <input
                    type="number"
                    aria-label="Max output tokens"
                    min="1"
                    max=move || controls.get().max_output
                    step="1"
                    placeholder=default
                    prop:value=max_text
                    on:change=move |ev| {
                        match max_output_from(&event_target_value(&ev), controls.get_untracked().max_output) {
                            Ok(m) => {
                                problem.set(None);
                                params.update(|p| p.max_output_tokens = m);
                                changed.run(());
                            }
                            Err(why) => problem.set(Some(why)),
                        }
                    }
                />
            </label>
            <p class="problem" aria-live="polite">{move || problem.get()}</p>
        </div>
    }
}
