//! What both stores share about stats ranges: the gaps of a window, the
//! grid, which codes a key asks for. Pure functions, no database.

use crate::models::{Point, Series};
use crate::store::StatsKey;
use crate::window::Interval;

/// The code under which the ranges of a query without codes (kwh) are
/// kept: that set is VRM's choice, so it is covered as a whole.
pub(crate) const ALL_CODES: &str = "*";

pub(crate) fn range_codes<'a>(key: &'a StatsKey<'_>) -> Vec<&'a str> {
    if key.codes.is_empty() {
        vec![ALL_CODES]
    } else {
        key.codes.iter().map(String::as_str).collect()
    }
}

/// Whether the key asks for `code` (a key without codes asks for all).
pub(crate) fn wants(key: &StatsKey<'_>, code: &str) -> bool {
    key.codes.is_empty() || key.codes.iter().any(|c| c == code)
}

/// `window` minus the union of `covered`, in order.
pub(crate) fn gaps((start, end): (i64, i64), mut covered: Vec<(i64, i64)>) -> Vec<(i64, i64)> {
    covered.sort_unstable();
    let mut gaps = Vec::new();
    let mut at = start;
    for (a, b) in covered {
        if a > at {
            gaps.push((at, a.min(end)));
        }
        at = at.max(b);
        if at >= end {
            break;
        }
    }
    if at < end {
        gaps.push((at, end));
    }
    gaps.retain(|(a, b)| a < b);
    gaps
}

/// Snap each part's start down to the query's bucket grid, then merge.
pub(crate) fn on_grid(
    interval: Interval,
    anchor: i64,
    mut parts: Vec<(i64, i64)>,
) -> Vec<(i64, i64)> {
    for part in &mut parts {
        part.0 = interval.snap_down(anchor, part.0);
    }
    parts.sort_unstable();
    let mut merged: Vec<(i64, i64)> = Vec::with_capacity(parts.len());
    for (a, b) in parts {
        match merged.last_mut() {
            Some(last) if a <= last.1 => last.1 = last.1.max(b),
            _ => merged.push((a, b)),
        }
    }
    merged
}

/// The points of a series by stored instance (-1: all instances together).
pub(crate) fn by_instance(series: &Series, per_instance: bool) -> Vec<(i64, &[Point])> {
    match series {
        Series::PerInstance(map) if per_instance => map
            .iter()
            .map(|(i, points)| (i64::from(*i), points.as_slice()))
            .collect(),
        Series::PerInstance(_) => Vec::new(),
        Series::Points(points) if !per_instance => vec![(-1, points.as_slice())],
        // A per-instance query answered without instances: nothing to
        // file under an instance.
        Series::Points(_) => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gaps_are_the_uncovered_parts() {
        assert_eq!(gaps((0, 100), vec![]), [(0, 100)]);
        assert_eq!(gaps((0, 100), vec![(0, 100)]), []);
        assert_eq!(
            gaps((0, 100), vec![(20, 30), (-5, 10)]),
            [(10, 20), (30, 100)]
        );
        assert_eq!(gaps((0, 100), vec![(0, 50), (40, 120)]), []);
        assert_eq!(gaps((10, 20), vec![(30, 40)]), [(10, 20)]);
    }

    #[test]
    fn parts_snap_to_the_grid_and_merge() {
        let day = 86_400;
        let parts = vec![(2 * day + 3600, 3 * day), (day, 2 * day)];
        assert_eq!(on_grid(Interval::Days, 0, parts), [(day, 3 * day)]);
        assert_eq!(
            on_grid(Interval::Hours, 0, vec![(0, 3600), (7200, 9000)]),
            [(0, 3600), (7200, 9000)]
        );
    }
}
