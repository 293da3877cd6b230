//! Token counts: estimates until the tokenizer is ready, then exact and cached.

use super::*;

#[wasm_bindgen_test(unsupported = test)]
fn counts_are_estimates_until_the_tokenizer_is_ready_then_exact_and_cached() {
    let transport = FakeTransport::default();
    let tokenizer = WordTokenizer::default();
    let mut rt = runtime(&transport, ProviderId::OpenAi).with_tokenizer(&tokenizer);
    rt.settings.model = "gpt-4o-mini".into();
    transport.answer(
        200,
        &[
            &chunk(serde_json::json!({"content": "four words of answer"})),
            "[DONE]",
        ],
    );
    run(rt.handle(
        Command::SendMessage {
            session: "s".into(),
            text: "two words".into(),
            attachments: Vec::new(),
        },
        &mut |_| {},
    ));
    let count = |rt: &mut Runtime<_, _, _, _, _>| {
        let mut events = Vec::new();
        run(rt.handle(
            Command::CountTokens {
                session: Some("s".into()),
                draft: "one two three".into(),
            },
            &mut |e| events.push(e),
        ));
        token_count(&events)
    };
    // Not loaded: 13 characters estimate to 4 tokens.
    let (_, draft, exact) = count(&mut rt);
    assert_eq!((draft, exact), (4, false));

    tokenizer.ready.set(true);
    let (conversation, draft, exact) = count(&mut rt);
    // "Be brief." + "two words" + "four words of answer", each with its frame.
    assert_eq!((conversation, draft, exact), (2 + 2 + 4 + 3 * 4, 3, true));
    let batches = tokenizer.asked.borrow().len();

    // Counted once: asking again sends nothing new to the tokenizer.
    assert_eq!(count(&mut rt), (20, 3, true));
    assert_eq!(tokenizer.asked.borrow().len(), batches);
}
