//! Usage: direct calls' rows sent to Supabase, kept while offline, the usage page.

use super::*;

#[wasm_bindgen_test(unsupported = test)]
fn direct_calls_log_their_usage_for_the_signed_in_user_and_lose_none_offline() {
    use base64::Engine as _;
    let transport = FakeTransport::default();
    let mut rt = runtime(&transport, ProviderId::OpenAi);
    rt.settings.supabase_url = Some("https://project.supabase.test".into());
    rt.settings.supabase_anon_key = Some("anon-key".into());
    let payload = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(br#"{"sub":"user-1"}"#);
    rt.set_access_token(Some(format!("h.{payload}.s")));
    let usage = serde_json::json!({"id": "c", "object": "chat.completion.chunk", "created": 1, "model": "m",
        "choices": [], "usage": {"prompt_tokens": 11, "completion_tokens": 7, "total_tokens": 18}});
    // Supabase unreachable after the first answer: the row waits in the outbox.
    transport.answer(
        200,
        &[
            &chunk(serde_json::json!({"content": "Hi"})),
            &usage.to_string(),
            "[DONE]",
        ],
    );
    transport.unreachable();
    send(&mut rt, "s", "hello");
    let waiting = run(rt.store().outbox()).unwrap();
    assert_eq!(waiting.len(), 1);
    assert_eq!(waiting[0].user_id, "user-1");
    assert_eq!((waiting[0].input_tokens, waiting[0].output_tokens), (11, 7));
    // The next turn sends both rows, with the user's token and the anon key, and empties the queue.
    transport.answer(
        200,
        &[
            &chunk(serde_json::json!({"content": "Again"})),
            &usage.to_string(),
            "[DONE]",
        ],
    );
    transport.json(201, None, "");
    send(&mut rt, "s", "again");
    let sent = transport.sent.borrow();
    let insert = sent.last().unwrap();
    assert_eq!(
        insert.url,
        "https://project.supabase.test/rest/v1/usage_events?on_conflict=request_id"
    );
    assert!(insert.headers.contains(&("apikey", "anon-key".to_owned())));
    let rows: Vec<serde_json::Value> =
        serde_json::from_str(insert.body.as_deref().unwrap()).unwrap();
    assert_eq!(rows.len(), 2);
    assert!(rows.iter().all(|r| r["route"] == "direct"));
    drop(sent);
    assert!(run(rt.store().outbox()).unwrap().is_empty());
}

#[wasm_bindgen_test(unsupported = test)]
fn usage_rows_of_another_user_are_set_aside_not_sent() {
    let transport = FakeTransport::default();
    let mut rt = runtime(&transport, ProviderId::OpenAi);
    rt.settings.supabase_url = Some("https://project.supabase.test".into());
    let row = |id: &str, user: &str| {
        ferry_core::usage::UsageRecord::new(&ferry_core::usage::CallOutcome {
            request_id: id,
            user_id: user,
            started_ms: 1,
            finished_ms: 2,
            route: ferry_core::usage::UsageRoute::Direct,
            provider: ProviderId::OpenAi,
            model: "m",
            usage: None,
            error_code: None,
        })
    };
    run(rt.store().put_outbox(&row("r-ada", ADA))).unwrap();
    run(rt.store().put_outbox(&row("r-mallory", MALLORY))).unwrap();
    // Mallory is signed in now: only her row goes, Ada's waits for Ada.
    transport.json(201, None, "");
    command(
        &mut rt,
        Command::SetAccessToken {
            token: Some(token_for(MALLORY, "mallory@example.test")),
        },
    );
    let sent = transport.sent.borrow().last().cloned().unwrap();
    let rows: Vec<serde_json::Value> = serde_json::from_str(sent.body.as_deref().unwrap()).unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["user_id"], MALLORY);
    let waiting = run(rt.store().outbox()).unwrap();
    assert_eq!(waiting.len(), 1);
    assert_eq!(waiting[0].user_id, ADA);
    // Nothing of Mallory's waiting: no request at all, Ada's row stays.
    transport.sent.borrow_mut().clear();
    command(
        &mut rt,
        Command::SetAccessToken {
            token: Some(token_for(MALLORY, "m")),
        },
    );
    assert!(transport.urls().is_empty());
    // Ada back: her row goes.
    transport.json(201, None, "");
    command(
        &mut rt,
        Command::SetAccessToken {
            token: Some(token_for(ADA, "a")),
        },
    );
    assert_eq!(transport.sent.borrow().len(), 1);
    assert!(run(rt.store().outbox()).unwrap().is_empty());
}

#[wasm_bindgen_test(unsupported = test)]
fn a_usage_row_supabase_will_never_take_is_dropped_alone() {
    let transport = FakeTransport::default();
    let mut rt = runtime(&transport, ProviderId::OpenAi);
    rt.settings.supabase_url = Some("https://project.supabase.test".into());
    let row = |id: &str, model: &str| {
        ferry_core::usage::UsageRecord::new(&ferry_core::usage::CallOutcome {
            request_id: id,
            user_id: ADA,
            started_ms: 1,
            finished_ms: 2,
            route: ferry_core::usage::UsageRoute::Direct,
            provider: ProviderId::OpenAi,
            model,
            usage: None,
            error_code: None,
        })
    };
    for (id, model) in [("r-1", "m"), ("r-bad", "m\u{0}"), ("r-3", "m")] {
        run(rt.store().put_outbox(&row(id, model))).unwrap();
    }
    let sign_in = |rt: &mut TestRuntime<'_>| {
        command(
            rt,
            Command::SetAccessToken {
                token: Some(token_for(ADA, "ada@example.test")),
            },
        )
    };
    // Supabase failing: nothing is the rows' fault, all three wait.
    transport.json(503, None, "");
    sign_in(&mut rt);
    assert_eq!(run(rt.store().outbox()).unwrap().len(), 3);
    // The batch refused for what it holds: each row alone, and only the bad one is dropped.
    transport.sent.borrow_mut().clear();
    transport.json(400, None, r#"{"code":"22P05"}"#);
    transport.json(201, None, "");
    transport.json(400, None, r#"{"code":"22P05"}"#);
    transport.json(201, None, "");
    sign_in(&mut rt);
    let sizes: Vec<usize> = transport
        .sent
        .borrow()
        .iter()
        .map(|r| {
            serde_json::from_str::<Vec<serde_json::Value>>(r.body.as_deref().unwrap())
                .unwrap()
                .len()
        })
        .collect();
    assert_eq!(sizes, [3, 1, 1, 1]);
    assert!(run(rt.store().outbox()).unwrap().is_empty());
}

#[wasm_bindgen_test(unsupported = test)]
fn the_usage_page_reads_the_users_rows_and_sums_them_per_day() {
    let transport = FakeTransport::default();
    let mut rt = signed_in_runtime(&transport, 3600);
    transport.json(
        200,
        None,
        r#"[{"created_at":"2026-11-24T10:00:00+00:00","route":"proxy","provider":"openai","model":"gpt-4o-mini","input_tokens":11,"output_tokens":7,"cost_usd":0.000006,"error_code":null},
            {"created_at":"2026-11-23T10:00:00+00:00","route":"direct","provider":"anthropic","model":"claude-sonnet-4-5","input_tokens":100,"output_tokens":50,"cost_usd":0.00105,"error_code":null}]"#,
    );
    let events = command(
        &mut rt,
        Command::LoadUsage {
            since: "2026-10-25T00:00:00Z".into(),
        },
    );
    let [Event::UsageReport { days, rows }] = events.as_slice() else {
        panic!("{events:?}")
    };
    assert_eq!(rows.len(), 2);
    assert_eq!(
        days.iter().map(|d| d.day.as_str()).collect::<Vec<_>>(),
        ["2026-11-23", "2026-11-24"]
    );
    assert!(bearer(&transport.sent.borrow()[0]).is_some_and(|b| b.starts_with("Bearer h.")));
}

#[wasm_bindgen_test(unsupported = test)]
fn a_direct_calls_row_counts_its_thinking_cache_writes_and_cost() {
    let transport = FakeTransport::default();
    let mut rt = runtime(&transport, ProviderId::OpenAi);
    rt.settings.model = "gpt-5-mini".into();
    rt.settings.supabase_url = Some("https://project.supabase.test".into());
    rt.set_access_token(Some(token_for(ADA, "ada@example.test")));
    let usage = serde_json::json!({"id": "c", "object": "chat.completion.chunk", "created": 1,
        "model": "gpt-5-mini", "choices": [], "usage": {"prompt_tokens": 100, "completion_tokens": 80,
        "total_tokens": 180, "prompt_tokens_details": {"cached_tokens": 40, "cache_write_tokens": 10},
        "completion_tokens_details": {"reasoning_tokens": 64}}});
    transport.answer(
        200,
        &[
            &chunk(serde_json::json!({"reasoning_content": "Thinking."})),
            &chunk(serde_json::json!({"content": "Hi"})),
            &usage.to_string(),
            "[DONE]",
        ],
    );
    transport.unreachable();
    send(&mut rt, "s", "hello");
    let rows = run(rt.store().outbox()).unwrap();
    assert_eq!(rows.len(), 1);
    let row = &rows[0];
    assert_eq!(
        (
            row.input_tokens,
            row.output_tokens,
            row.cached_tokens,
            row.reasoning_tokens,
            row.cache_write_tokens
        ),
        (100, 80, 40, 64, 10)
    );
    // The row's cost is the one the answer shows.
    let answer = run(rt.store().messages("s")).unwrap().pop().unwrap();
    assert!(row.cost_usd.is_some());
    assert_eq!(row.cost_usd, answer.cost_usd);
}
