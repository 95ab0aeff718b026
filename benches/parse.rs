//! Parse: the typed stats and diagnostics decode against
//! `serde_json::Value` of the same bytes (target: typed at least as fast).
//!
//! `cargo bench --bench parse`

mod common;

use divan::counter::BytesCount;
use divan::{Bencher, black_box};
use serde_json::Value;
use vrm::wire::{DiagnosticsResponse, StatsResponse};

fn main() {
    check_bodies();
    divan::main();
}

fn typed<T: serde::de::DeserializeOwned>(bencher: Bencher<'_, '_>, body: &[u8]) {
    bencher
        .counter(BytesCount::of_slice(body))
        .bench(|| serde_json::from_slice::<T>(black_box(body)).expect("typed parse"));
}

fn untyped(bencher: Bencher<'_, '_>, body: &[u8]) {
    bencher
        .counter(BytesCount::of_slice(body))
        .bench(|| serde_json::from_slice::<Value>(black_box(body)).expect("value parse"));
}

/// 31 days × 24 hours × 6 codes = 4,464 points.
mod stats_month_hourly {
    use super::*;

    #[divan::bench]
    fn typed(bencher: Bencher<'_, '_>) {
        super::typed::<StatsResponse>(bencher, &common::stats_month_hourly());
    }

    #[divan::bench]
    fn value(bencher: Bencher<'_, '_>) {
        super::untyped(bencher, &common::stats_month_hourly());
    }
}

/// 5 years × days × 6 codes = 10,956 points.
mod stats_five_years_daily {
    use super::*;

    #[divan::bench]
    fn typed(bencher: Bencher<'_, '_>) {
        super::typed::<StatsResponse>(bencher, &common::stats_five_years_daily());
    }

    #[divan::bench]
    fn value(bencher: Bencher<'_, '_>) {
        super::untyped(bencher, &common::stats_five_years_daily());
    }
}

/// 1,000 diagnostics records.
mod diagnostics_1000 {
    use super::*;

    #[divan::bench]
    fn typed(bencher: Bencher<'_, '_>) {
        super::typed::<DiagnosticsResponse>(bencher, &common::diagnostics_body(1000));
    }

    #[divan::bench]
    fn value(bencher: Bencher<'_, '_>) {
        super::untyped(bencher, &common::diagnostics_body(1000));
    }
}

/// The generated bodies are what they claim to be.
fn check_bodies() {
    let month: StatsResponse =
        serde_json::from_slice(&common::stats_month_hourly()).expect("month");
    let points: usize = month.records.values().map(|s| s.len()).sum();
    assert_eq!(points, 4464);
    let years: StatsResponse =
        serde_json::from_slice(&common::stats_five_years_daily()).expect("years");
    let points: usize = years.records.values().map(|s| s.len()).sum();
    assert_eq!(
        points,
        common::point_count(
            6,
            (
                common::YEAR_2026 - 5 * 365 * common::DAY,
                common::YEAR_2026 + common::DAY
            ),
            common::DAY
        )
    );
    let diag: DiagnosticsResponse =
        serde_json::from_slice(&common::diagnostics_body(1000)).expect("diagnostics");
    assert_eq!(diag.records.len(), 1000);
    assert!(
        diag.records
            .iter()
            .all(|r| r.extra.is_empty() && r.raw_value.is_some())
    );
}
