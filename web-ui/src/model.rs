//! What the chat shows, as plain data: the agent's [`Event`]s folded into a [`Chat`], and
//! errors turned into a [`Banner`] the user can act on. No Leptos here, so all of it is
//! tested natively.

mod attachments;
mod banner;
mod chart;
mod chat;
mod params;

pub use attachments::{
    ACCEPT, Attached, Chip, ChipState, Chips, Earlier, Limits, pages_label, reads_documents,
    reads_images, size_label, text_sent, via_proxy,
};
pub use banner::{Action, Banner};
pub use chart::{Bar, bars, stacked};
pub use chat::{Chat, Row, Thinking, ToolStep, Usd, ViewMessage};
pub use params::{
    Controls, EFFORTS, MAX_TEMPERATURE, effort_from, effort_label, max_output_from, preselect,
    temperature_from,
};

/// `secs` as "3 h 20 min", "4 min", "12 s".
pub fn duration(secs: u64) -> String {
    match secs {
        0..60 => format!("{secs} s"),
        60..3600 => format!("{} min", secs.div_ceil(60)),
        _ => format!("{} h {} min", secs / 3600, (secs % 3600) / 60),
    }
}

/// An amount in USD as the conversation shows it: "$0.0042", "$1.25", "<$0.0001".
pub fn usd(amount: f64) -> String {
    match amount {
        a if a <= 0.0 => "$0".to_owned(),
        a if a < 0.0001 => "<$0.0001".to_owned(),
        a if a < 1.0 => format!("${}", fixed(a, 4)),
        a => format!("${}", fixed(a, 2)),
    }
}

/// `value` with `places` decimals (at most 9), as `format!("{value:.places$}")` writes it
/// (the exact value rounded, a tie to the even digit), without linking core's exact float
/// formatting into the first-paint wasm (it costs kilobytes there).
pub fn fixed(value: f64, places: u32) -> String {
    let places = places.min(9);
    let scale = 10u64.pow(places);
    let (v, s) = (value.abs(), scale as f64);
    let product = v * s;
    let mut rounded = product.round_ties_even();
    // The nearest double to v × s is never past a tie (ties are doubles here), but it may
    // be one when the exact product is not: then the product's rounding error decides.
    if product - product.floor() == 0.5 {
        let error = product_error(v, s, product);
        if error > 0.0 {
            rounded = product.ceil();
        } else if error < 0.0 {
            rounded = product.floor();
        }
    }
    // Saturates far beyond any amount or size the app shows; NaN reads as 0.
    let scaled = rounded as u64;
    let sign = if value < 0.0 && scaled != 0 { "-" } else { "" };
    let (whole, part) = (scaled / scale, scaled % scale);
    match places {
        0 => format!("{sign}{whole}"),
        _ => format!("{sign}{whole}.{part:0width$}", width = places as usize),
    }
}

/// `a × b − product` exactly, where `product` is `a * b` rounded (Dekker's two-product).
fn product_error(a: f64, b: f64, product: f64) -> f64 {
    let split = |x: f64| {
        let c = 134_217_729.0 * x;
        let high = c - (c - x);
        (high, x - high)
    };
    let ((ah, al), (bh, bl)) = (split(a), split(b));
    ((ah * bh - product) + ah * bl + al * bh) + al * bl
}

/// `text` as a CSS string, for an attribute selector (`[aria-label="…"]`).
pub fn css_string(text: &str) -> String {
    let mut out = String::from("\"");
    for c in text.chars() {
        match c {
            '"' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            '\n' => out.push_str("\\a "),
            _ => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn css_strings_escape_quotes_backslashes_and_newlines() {
        assert_eq!(css_string("Rename Trip"), r#""Rename Trip""#);
        assert_eq!(css_string(r#"say "hi" \ bye"#), r#""say \"hi\" \\ bye""#);
        assert_eq!(css_string("two\nlines"), r#""two\a lines""#);
    }

    #[test]
    fn durations_read_naturally() {
        assert_eq!(duration(12), "12 s");
        assert_eq!(duration(61), "2 min");
        assert_eq!(duration(3 * 3600 + 20 * 60), "3 h 20 min");
    }

    #[test]
    fn costs_read_as_dollars_small_and_large() {
        assert_eq!(usd(0.0), "$0");
        assert_eq!(usd(0.000_01), "<$0.0001");
        assert_eq!(usd(0.004_25), "$0.0043");
        assert_eq!(usd(12.5), "$12.50");
        assert_eq!(usd(0.999_99), "$1.0000");
    }

    #[test]
    fn fixed_decimals_read_as_format_writes_them() {
        for (value, places) in [
            (0.0, 2),
            (0.004_25, 4),
            (1.005, 2),
            (12.5, 0),
            (1_234.567_8, 1),
            (0.000_001_5, 6),
            (-3.256_4, 3),
            (99.999, 2),
            (7.0, 6),
            (0.125, 2),
            (0.375, 2),
            (2.675, 2),
            (0.000_15, 4),
            (0.045, 2),
            (1e-7, 6),
        ] {
            let p = places as usize;
            assert_eq!(
                fixed(value, places),
                format!("{value:.p$}"),
                "{value} to {places}"
            );
        }
        assert_eq!(fixed(-0.0001, 2), "0.00");
        // Many amounts and sizes, ties among them (k/8, k/1000), each as `format!` writes it.
        let mut seed = 0x2545_f491_4f6c_dd1d_u64;
        for k in 0..20_000u64 {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let value = match k % 4 {
                0 => k as f64 / 8.0,
                1 => k as f64 / 1000.0,
                2 => (seed >> 11) as f64 / (1u64 << 53) as f64,
                _ => (seed >> 11) as f64 / (1u64 << 40) as f64,
            };
            for places in [1, 2, 4, 6] {
                let p = places as usize;
                assert_eq!(
                    fixed(value, places),
                    format!("{value:.p$}"),
                    "{value} to {places}"
                );
            }
        }
    }
}
