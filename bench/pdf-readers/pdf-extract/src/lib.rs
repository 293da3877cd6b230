//! pdf-extract behind one wasm-bindgen function, as the agent would load it.

use std::fmt::Write;

use wasm_bindgen::prelude::wasm_bindgen;

/// The text of every page, each after its `--- Page N ---` marker.
pub fn text_with_markers(pdf: &[u8]) -> Result<String, String> {
    let pages = pdf_extract::extract_text_from_mem_by_pages(pdf).map_err(|e| e.to_string())?;
    let mut out = String::new();
    for (i, page) in pages.iter().enumerate() {
        let _ = write!(out, "--- Page {} ---\n{}\n", i + 1, page);
    }
    Ok(out)
}

/// `text_with_markers` for JavaScript; a failure becomes a thrown string.
#[wasm_bindgen]
pub fn extract(pdf: &[u8]) -> Result<String, String> {
    text_with_markers(pdf)
}
