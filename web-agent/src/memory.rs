//! The agent's memory: short notes it saves and finds again by keyword. Search ranks notes
//! by BM25 over their words, with no embeddings: it needs no model call, works offline and
//! gives the same answer every time.
//!
//! Words are compared after [`tokenize`], so "Notes" finds "note". They are split at every
//! character that is not a letter or digit, which suits languages that separate words;
//! Chinese or Japanese text without spaces becomes whole-phrase tokens and matches only whole.

use serde::{Deserialize, Serialize};

/// BM25 term-frequency saturation: a word's third occurrence in a note adds less than its first.
const K1: f64 = 1.2;
/// BM25 length normalization: a match in a short note counts more than one in a long note.
const B: f64 = 0.75;

/// Words too common to tell notes apart; sorted, for binary search.
const STOPWORDS: &[&str] = &[
    "about", "after", "all", "also", "an", "and", "any", "are", "as", "at", "be", "been", "but",
    "by", "can", "could", "did", "do", "does", "for", "from", "had", "has", "have", "he", "her",
    "him", "his", "how", "if", "in", "into", "is", "it", "its", "just", "me", "my", "no", "not",
    "of", "on", "or", "our", "she", "so", "some", "than", "that", "the", "their", "them", "then",
    "there", "these", "they", "this", "those", "to", "too", "us", "very", "was", "we", "were",
    "what", "when", "where", "which", "who", "why", "will", "with", "would", "you", "your",
];

/// One memory note.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Note {
    pub id: String,
    pub text: String,
    /// When the note was saved, in milliseconds since the Unix epoch.
    pub created_ms: u64,
}

/// The words of `text` as search compares them: lowercased, split at anything that is not
/// a letter or digit, without stopwords and one-character words, plurals made singular.
pub fn tokenize(text: &str) -> Vec<String> {
    text.to_lowercase()
        .split(|c: char| !c.is_alphanumeric())
        .filter(|word| word.chars().nth(1).is_some() && STOPWORDS.binary_search(word).is_err())
        .map(singular)
        .collect()
}

/// A light plural stripper, applied to query and notes alike, so a wrong stem still matches
/// itself; it only has to map the common plural onto its singular.
fn singular(word: &str) -> String {
    let letters = word.chars().count();
    // Short words ending in "s" are rarely plurals: "gas", "yes", "bus".
    if letters < 4 {
        return word.to_owned();
    }
    if letters > 4
        && let Some(stem) = word.strip_suffix("ies")
    {
        return format!("{stem}y");
    }
    if let Some(stem) = word.strip_suffix("sses") {
        return format!("{stem}ss");
    }
    if ["ss", "us", "is"].iter().any(|end| word.ends_with(end)) {
        return word.to_owned();
    }
    word.strip_suffix('s').unwrap_or(word).to_owned()
}

/// The notes that share words with `query`, best first by BM25 (ties: newer first, then
/// in the order given), at most `limit`. Notes sharing no word are left out; a word
/// repeated in the query counts once.
pub fn search<'a>(notes: &'a [Note], query: &str, limit: usize) -> Vec<(&'a Note, f64)> {
    let mut terms = tokenize(query);
    terms.sort_unstable();
    terms.dedup();
    if terms.is_empty() || notes.is_empty() || limit == 0 {
        return Vec::new();
    }
    let docs: Vec<Vec<String>> = notes.iter().map(|note| tokenize(&note.text)).collect();
    let count = docs.len() as f64;
    let mean_len = docs.iter().map(Vec::len).sum::<usize>() as f64 / count;
    // counts[d][t]: occurrences of terms[t] in docs[d].
    let counts: Vec<Vec<usize>> = docs
        .iter()
        .map(|doc| {
            let occurrences = |term: &String| doc.iter().filter(|word| *word == term).count();
            terms.iter().map(occurrences).collect()
        })
        .collect();
    let idf: Vec<f64> = (0..terms.len())
        .map(|t| {
            let with_term = counts
                .iter()
                .filter(|c| c.get(t).is_some_and(|&n| n > 0))
                .count();
            let with_term = with_term as f64;
            // The "+ 1" keeps a word found in most notes from scoring below zero.
            ((count - with_term + 0.5) / (with_term + 0.5) + 1.0).ln()
        })
        .collect();
    let mut ranked: Vec<(&Note, f64)> = notes
        .iter()
        .zip(docs.iter().zip(&counts))
        .map(|(note, (doc, counts))| {
            // A note with a match has words, so the mean length is above zero.
            let norm = K1 * (1.0 - B + B * doc.len() as f64 / mean_len);
            let score = counts
                .iter()
                .zip(&idf)
                .filter(|(n, _)| **n > 0)
                .map(|(&n, idf)| {
                    let tf = n as f64;
                    idf * tf * (K1 + 1.0) / (tf + norm)
                })
                .sum::<f64>();
            (note, score)
        })
        .filter(|(_, score)| *score > 0.0)
        .collect();
    // Stable, so notes tied on both keys keep their order.
    ranked.sort_by(|(a, a_score), (b, b_score)| {
        b_score
            .total_cmp(a_score)
            .then(b.created_ms.cmp(&a.created_ms))
    });
    ranked.truncate(limit);
    ranked
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasm_bindgen_test::wasm_bindgen_test;

    fn note(id: &str, text: &str, created_ms: u64) -> Note {
        Note {
            id: id.to_owned(),
            text: text.to_owned(),
            created_ms,
        }
    }

    fn ids<'a>(found: &[(&'a Note, f64)]) -> Vec<&'a str> {
        found.iter().map(|(note, _)| note.id.as_str()).collect()
    }

    fn corpus() -> Vec<Note> {
        vec![
            note("rust-pref", "Prefers Rust for backend work.", 1),
            note("groceries", "Grocery list: eggs, milk, coffee beans.", 2),
            note(
                "borrow",
                "Rust borrow checker notes: lifetimes, moves and borrows.",
                3,
            ),
            note(
                "coffee",
                "Likes coffee black, no sugar; coffee after lunch only.",
                4,
            ),
            note(
                "trip",
                "Trip to Lisbon in May; flights booked, hotel still open.",
                5,
            ),
        ]
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn tokenize_lowercases_splits_and_drops_noise() {
        assert_eq!(
            tokenize("The Quick, brown fox's NOTES — on Rust-2024!"),
            ["quick", "brown", "fox", "note", "rust", "2024"]
        );
        assert_eq!(
            tokenize("Café in Zürich, ÜBER naïve"),
            ["café", "zürich", "über", "naïve"]
        );
        assert_eq!(tokenize("a I x"), Vec::<String>::new());
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn plurals_become_singular_lightly() {
        assert_eq!(
            tokenize("stories classes status analysis keys ties bus gas"),
            [
                "story", "class", "status", "analysis", "key", "tie", "bus", "gas"
            ]
        );
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn stopwords_are_sorted_for_binary_search() {
        assert!(STOPWORDS.windows(2).all(|pair| pair[0] < pair[1]));
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn a_single_match_scores_the_plain_idf() {
        let notes = [note("n", "rust", 1)];
        let found = search(&notes, "Rust", 10);
        assert_eq!(ids(&found), ["n"]);
        // tf 1 at the mean length gives a factor of exactly 1: the score is the idf.
        assert!((found[0].1 - (4.0f64 / 3.0).ln()).abs() < 1e-12);
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn notes_rank_by_bm25() {
        let notes = corpus();
        // Both Rust notes hold "rust" once; the shorter one ranks first, though older.
        let found = search(&notes, "rust", 10);
        assert_eq!(ids(&found), ["rust-pref", "borrow"]);
        assert!((found[0].1 - 1.034_110_7).abs() < 1e-6, "{}", found[0].1);
        assert_eq!(
            ids(&search(&notes, "borrow rust", 10)),
            ["borrow", "rust-pref"]
        );
        // Two "coffee"s outweigh one in a note of similar length.
        assert_eq!(ids(&search(&notes, "coffee", 10)), ["coffee", "groceries"]);
        // A rare word outweighs a common one.
        assert_eq!(
            ids(&search(&notes, "rust lisbon", 10)),
            ["trip", "rust-pref", "borrow"]
        );
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn plural_queries_find_singular_notes() {
        let notes = corpus();
        assert_eq!(ids(&search(&notes, "flight", 10)), ["trip"]);
        assert_eq!(ids(&search(&notes, "Lifetime notes", 10)), ["borrow"]);
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn ties_go_to_the_newer_note() {
        let notes = [
            note("old", "Dentist on Friday", 10),
            note("new", "Dentist on Monday", 30),
            note("mid", "Dentist on Sunday", 20),
        ];
        assert_eq!(ids(&search(&notes, "dentist", 10)), ["new", "mid", "old"]);
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn unmatched_notes_and_empty_queries_give_nothing() {
        let notes = corpus();
        assert!(search(&notes, "kubernetes", 10).is_empty());
        assert!(search(&notes, "the of and", 10).is_empty());
        assert!(search(&notes, "", 10).is_empty());
        assert!(search(&[], "rust", 10).is_empty());
        assert!(search(&notes, "rust", 0).is_empty());
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn limit_keeps_the_best() {
        let notes = corpus();
        assert_eq!(
            ids(&search(&notes, "rust coffee", 2)),
            ["coffee", "rust-pref"]
        );
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn a_repeated_query_word_counts_once() {
        let notes = corpus();
        assert_eq!(
            search(&notes, "coffee coffee rust", 10),
            search(&notes, "coffee rust", 10)
        );
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn notes_round_trip() {
        let n = note("n1", "Prefers metric units", 1_700_000_000_000);
        let json = serde_json::to_string(&n).unwrap();
        assert_eq!(
            json,
            r#"{"id":"n1","text":"Prefers metric units","created_ms":1700000000000}"#
        );
        assert_eq!(serde_json::from_str::<Note>(&json).unwrap(), n);
    }
}
