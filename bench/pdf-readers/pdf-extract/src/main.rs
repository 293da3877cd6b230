//! `pdf-extract-bench FILE.pdf`: prints the text with page markers, as the wasm build would.

fn main() {
    let Some(path) = std::env::args().nth(1) else {
        eprintln!("usage: pdf-extract-bench FILE.pdf");
        std::process::exit(2);
    };
    let bytes = match std::fs::read(&path) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("{path}: {e}");
            std::process::exit(1);
        }
    };
    match pdf_extract_bench::text_with_markers(&bytes) {
        Ok(text) => print!("{text}"),
        Err(e) => {
            eprintln!("{path}: {e}");
            std::process::exit(1);
        }
    }
}
