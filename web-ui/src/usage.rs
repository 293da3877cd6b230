//! The Usage page: the signed-in user's own calls of the last 30 days from Supabase, as a
//! cost-per-day and a tokens-per-day chart (SVG drawn here) and a table. Only there when signed in.

use ferry_protocol::{Command, DayUsage};
use leptos::prelude::*;

use crate::agent_module;
use crate::app::State;
use crate::model::{bars, stacked};

const WIDTH: f64 = 600.0;
const HEIGHT: f64 = 160.0;

const DAYS: u32 = 30;

/// The last 30 UTC days, oldest first, as `YYYY-MM-DD`.
fn last_days() -> Vec<String> {
    let now = js_sys::Date::now();
    (0..DAYS)
        .rev()
        .map(|back| {
            let date = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(
                now - f64::from(back) * 86_400_000.0,
            ));
            let iso = date.to_iso_string().as_string().unwrap_or_default();
            iso.get(..10).unwrap_or_default().to_owned()
        })
        .collect()
}

fn since_30_days() -> String {
    let now = js_sys::Date::now();
    let date = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(now - 30.0 * 86_400_000.0));
    date.to_iso_string().as_string().unwrap_or_default()
}

#[component]
pub fn UsageView() -> impl IntoView {
    let state = expect_context::<State>();
    agent_module::send(&Command::LoadUsage {
        since: since_30_days(),
    });
    // Every one of the 30 days gets its place, with or without calls (once, for both charts).
    let slots = Memo::new(move |_| {
        state.usage.with(|usage| {
            let days = &usage.as_ref()?.0;
            let slots: Vec<(String, Option<DayUsage>)> = last_days()
                .into_iter()
                .map(|day| {
                    let found = days.iter().find(|d| d.day == day).cloned();
                    (day, found)
                })
                .collect();
            Some((slots, days.len()))
        })
    });
    let title = |day: &str, usage: &Option<DayUsage>| match usage {
        Some(u) => format!(
            "{day}: ${:.4}, {} calls, {} tokens in, {} out",
            u.cost_usd, u.calls, u.input_tokens, u.output_tokens
        ),
        None => format!("{day}: no calls"),
    };
    let cost_chart = move || {
        slots.get().map(|(slots, with_calls)| {
            let costs: Vec<f64> = slots
                .iter()
                .map(|(_, d)| d.as_ref().map_or(0.0, |d| d.cost_usd))
                .collect();
            let total: f64 = costs.iter().sum();
            let label = format!(
                "Cost per day, last {DAYS} days: ${total:.4} in all; days with calls: {with_calls}"
            );
            let drawn = bars(&costs, WIDTH, HEIGHT);
            view! {
                <h2>"Cost per day"</h2>
                <svg class="chart" viewBox=format!("0 0 {WIDTH} {HEIGHT}") role="img" aria-label=label>
                    {drawn.into_iter().zip(slots).map(|(bar, (day, usage))| view! {
                        <rect x=bar.x y=bar.y - 1.0 width=bar.width height=bar.height + 1.0>
                            <title>{title(&day, &usage)}</title>
                        </rect>
                    }).collect_view()}
                </svg>
            }
        })
    };
    let token_chart = move || {
        slots.get().map(|(slots, _)| {
            let counts: Vec<(u64, u64)> = slots
                .iter()
                .map(|(_, d)| {
                    d.as_ref()
                        .map_or((0, 0), |d| (d.input_tokens, d.output_tokens))
                })
                .collect();
            let (input, output) = counts
                .iter()
                .fold((0, 0), |(a, b), (i, o)| (a + i, b + o));
            let pairs: Vec<(f64, f64)> = counts
                .iter()
                .map(|&(i, o)| (i as f64, o as f64))
                .collect();
            let label = format!(
                "Tokens per day, last {DAYS} days: {} in all ({input} in, {output} out)",
                input + output
            );
            let drawn = stacked(&pairs, WIDTH, HEIGHT);
            view! {
                <h2>"Tokens per day"</h2>
                <svg class="chart tokens" viewBox=format!("0 0 {WIDTH} {HEIGHT}") role="img" aria-label=label>
                    {drawn.into_iter().zip(slots).map(|((bottom, top), (day, usage))| {
                        let title = title(&day, &usage);
                        view! {
                            <rect class="in" x=bottom.x y=bottom.y - 1.0 width=bottom.width height=bottom.height + 1.0>
                                <title>{title.clone()}</title>
                            </rect>
                            <rect class="out" x=top.x y=top.y width=top.width height=top.height>
                                <title>{title}</title>
                            </rect>
                        }
                    }).collect_view()}
                </svg>
            }
        })
    };
    let table = move || {
        state.usage.get().map(|(_, rows)| {
            view! {
                <table class="usage">
                    <caption>"Calls, newest first"</caption>
                    <thead><tr>
                        <th scope="col">"When (UTC)"</th><th scope="col">"Route"</th>
                        <th scope="col">"Provider"</th><th scope="col">"Model"</th>
                        <th scope="col">"Tokens in"</th><th scope="col">"Tokens out"</th>
                        <th scope="col">"Cost"</th>
                    </tr></thead>
                    <tbody>
                        {rows.into_iter().map(|r| view! {
                            <tr>
                                <td>{r.created_at.get(..16).unwrap_or(&r.created_at).replace('T', " ")}</td>
                                <td>{r.route}</td>
                                <td>{r.provider}</td>
                                <td>{r.model}</td>
                                <td>{r.input_tokens}</td>
                                <td>{r.output_tokens}</td>
                                <td>{r.cost_usd.map_or_else(|| "—".to_owned(), |c| format!("${c:.6}"))}</td>
                            </tr>
                        }).collect_view()}
                    </tbody>
                </table>
            }
        })
    };
    view! {
        <section class="usage-page" aria-labelledby="usage-title">
            <div class="row">
                <h1 id="usage-title">"Usage"</h1>
                <button type="button" on:click=move |_| state.show_usage.set(false)>"Back to chat"</button>
            </div>
            <Show when=move || state.usage.with(Option::is_none)>
                <p role="status">"Loading your usage…"</p>
            </Show>
            {cost_chart}
            {token_chart}
            <p class="legend" hidden=move || state.usage.with(Option::is_none)>
                <span class="swatch in"></span>" tokens in  "<span class="swatch out"></span>" tokens out"
            </p>
            {table}
        </section>
    }
}
