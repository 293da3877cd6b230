//! The usage chart's geometry.

/// A bar of the usage chart, in the chart's own units (`viewBox` 0 0 `width` `height`).
#[derive(Debug, Clone, PartialEq)]
pub struct Bar {
    pub x: f64,
    pub y: f64,
    pub width: f64,
    pub height: f64,
}

/// One bar per value, scaled so the largest fills `height`, with a gap between bars.
pub fn bars(values: &[f64], width: f64, height: f64) -> Vec<Bar> {
    let most = values.iter().copied().fold(0.0_f64, f64::max);
    if values.is_empty() {
        return Vec::new();
    }
    let slot = width / values.len() as f64;
    values
        .iter()
        .enumerate()
        .map(|(i, &v)| {
            let h = if most > 0.0 {
                v.max(0.0) / most * height
            } else {
                0.0
            };
            Bar {
                x: i as f64 * slot + slot * 0.1,
                y: height - h,
                width: slot * 0.8,
                height: h,
            }
        })
        .collect()
}

/// Stacked bars for pairs `(lower, upper)` (tokens in and out): each pair's total is scaled
/// as [`bars`] does, then split between its parts. Returns the lower and upper bar of each.
pub fn stacked(pairs: &[(f64, f64)], width: f64, height: f64) -> Vec<(Bar, Bar)> {
    let parts = |&(lower, upper): &(f64, f64)| (lower.max(0.0), upper.max(0.0));
    let totals: Vec<f64> = pairs.iter().map(parts).map(|(a, b)| a + b).collect();
    bars(&totals, width, height)
        .into_iter()
        .zip(pairs.iter().map(parts))
        .map(|(whole, (lower, upper))| {
            let share = if lower + upper > 0.0 {
                lower / (lower + upper)
            } else {
                0.0
            };
            let low = whole.height * share;
            let top = Bar {
                height: whole.height - low,
                ..whole.clone()
            };
            let bottom = Bar {
                y: whole.y + top.height,
                height: low,
                ..whole
            };
            (bottom, top)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_largest_value_fills_the_chart_and_the_rest_scale() {
        let drawn = bars(&[1.0, 4.0, 0.0, 2.0], 400.0, 100.0);
        assert_eq!(drawn.len(), 4);
        assert_eq!(drawn[1].height, 100.0);
        assert_eq!(drawn[1].y, 0.0);
        assert_eq!(drawn[0].height, 25.0);
        assert_eq!(drawn[2].height, 0.0);
        assert!((drawn[3].x - 310.0).abs() < 1e-9);
        assert!(drawn.iter().all(|b| b.x + b.width <= 400.0));
    }

    #[test]
    fn stacked_bars_split_each_total_between_its_parts() {
        let drawn = stacked(&[(30.0, 10.0), (0.0, 20.0), (0.0, 0.0)], 300.0, 100.0);
        let (bottom, top) = &drawn[0];
        // The largest total (40) fills the height: 75 for the lower part, 25 above it.
        assert_eq!((top.y, top.height), (0.0, 25.0));
        assert_eq!((bottom.y, bottom.height), (25.0, 75.0));
        assert_eq!(bottom.x, top.x);
        let (bottom, top) = &drawn[1];
        assert_eq!((bottom.height, top.height), (0.0, 50.0));
        assert_eq!(
            bottom.y + bottom.height,
            100.0,
            "parts stand on the baseline"
        );
        assert_eq!((drawn[2].0.height, drawn[2].1.height), (0.0, 0.0));
    }

    #[test]
    fn nothing_to_draw_is_no_bars_and_zeros_are_flat() {
        assert!(bars(&[], 100.0, 100.0).is_empty());
        assert!(
            bars(&[0.0, 0.0], 100.0, 100.0)
                .iter()
                .all(|b| b.height == 0.0)
        );
    }
}
