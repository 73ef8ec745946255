//! Native side of `benchmarks/run.py`: the SDK's close work in pure Rust (state assembly, barter's
//! call, keys mapped back), and the same work with state built by barter's own
//! `IndexedInstruments` + `EngineState::builder`. Prints one JSON object per size:
//! `{"n": N, "native_us": .., "builder_us": .. | null}` (µs per instrument, best of the repeats).
//!
//! Usage: bench_native [--builder-limit-s SECONDS] N...

use _native::{
    book::{
        close as strategy, filter,
        snapshot::{InstrumentInput, PositionInput},
        state::{self, open_positions, Book, Index, SnapshotData},
    },
    order::Open,
};
use barter::engine::state::{
    global::DefaultGlobalData, instrument::filter::InstrumentFilter, EngineState,
};
use barter_execution::order::id::StrategyId;
use barter_instrument::{
    exchange::ExchangeId, index::IndexedInstruments, instrument::name::InstrumentNameInternal, Side,
};
use rust_decimal::Decimal;
use std::collections::HashMap;
use std::time::Instant;

const EXCHANGES: [ExchangeId; 5] = [
    ExchangeId::BinanceSpot,
    ExchangeId::Okx,
    ExchangeId::Kraken,
    ExchangeId::Coinbase,
    ExchangeId::BybitSpot,
];

/// The benchmark book: N instruments over 5 exchanges, about N/5 distinct base assets, every
/// instrument priced and holding a position (the same book `benchmarks/book.py` builds).
fn book(n: usize) -> Vec<InstrumentInput> {
    (0..n)
        .map(|i| {
            let base = smol_str::format_smolstr!("coin{}", i / 5);
            let instrument = smol_str::format_smolstr!("{base}_usdt");
            InstrumentInput {
                exchange: EXCHANGES[i % 5],
                position: Some(PositionInput {
                    instrument: instrument.clone(),
                    side: if i % 2 == 0 { Side::Buy } else { Side::Sell },
                    quantity: Decimal::new(15 + (i % 7) as i64, 1),
                    price_entry_average: Decimal::new(9_950, 2),
                }),
                instrument,
                base,
                quote: "usdt".into(),
                price: Some(Decimal::new(10_025 + (i % 100) as i64, 2)),
                spec: None,
            }
        })
        .collect()
}

/// The SDK's path: barter's state assembled in O(N log N), part by part, and barter's close.
fn sdk_path(inputs: &[InstrumentInput]) -> Vec<(usize, Open)> {
    let strategy = StrategyId::new("bench");
    let every = filter::extract(None).expect("no filter");
    strategy::close_parts(inputs, &strategy, &every, true).opens
}

/// The same work with barter's own, quadratic, `IndexedInstruments` builder.
fn builder_path(inputs: &[InstrumentInput]) -> Vec<(usize, Open)> {
    let time = chrono::Utc::now();
    let instruments: Vec<_> = inputs
        .iter()
        .map(|i| state::instrument(i.exchange, &i.instrument, &i.base, &i.quote))
        .collect();
    let input_by_name: HashMap<InstrumentNameInternal, usize> = instruments
        .iter()
        .enumerate()
        .map(|(input, instrument)| (instrument.name_internal.clone(), input))
        .collect();
    let indexed = IndexedInstruments::new(instruments);
    let engine_state = EngineState::builder(&indexed, DefaultGlobalData, |keyed| SnapshotData {
        price: inputs[input_by_name[&keyed.value.name_internal]].price,
    })
    .time_engine_start(time)
    .build();
    let input_of = engine_state
        .instruments
        .0
        .keys()
        .map(|name| input_by_name[name])
        .collect();
    let exchanges = indexed
        .exchanges()
        .iter()
        .map(|keyed| keyed.value)
        .collect();
    let mut book = Book {
        state: engine_state,
        index: Index {
            input_of,
            asset_index: Default::default(),
            exchanges,
            assets: Vec::new(),
        },
    };
    open_positions(&mut book.state, &book.index, inputs, time);
    close_all(&book, inputs)
}

fn close_all(book: &Book, inputs: &[InstrumentInput]) -> Vec<(usize, Open)> {
    let strategy = StrategyId::new("bench");
    strategy::close(book, inputs, &strategy, &InstrumentFilter::None, true).1
}

/// Best time of `repeats` runs, in µs per instrument, and the last result.
fn best<T>(n: usize, repeats: usize, mut work: impl FnMut() -> T) -> (f64, T) {
    let mut best = f64::INFINITY;
    let mut result = None;
    for _ in 0..repeats {
        let start = Instant::now();
        let out = work();
        best = best.min(start.elapsed().as_secs_f64() * 1e6 / n as f64);
        result = Some(out);
    }
    (best, result.expect("at least one repeat"))
}

/// Orders without their random client order ids, for comparing two paths.
fn comparable(opens: &[(usize, Open)]) -> Vec<(usize, String)> {
    opens
        .iter()
        .map(|(input, open)| {
            (
                *input,
                format!("{:?} {:?}", open.key.instrument, open.state),
            )
        })
        .collect()
}

fn main() {
    let mut args = std::env::args().skip(1).peekable();
    let mut builder_limit_s = 30.0;
    let mut sizes = Vec::new();
    while let Some(arg) = args.next() {
        if arg == "--builder-limit-s" {
            builder_limit_s = args.next().and_then(|v| v.parse().ok()).expect("seconds");
        } else {
            sizes.push(arg.parse::<usize>().expect("a size"));
        }
    }
    // barter's builder is quadratic: predict each size from the last and skip what would not
    // finish within the limit.
    let mut builder_last: Option<(usize, f64)> = None;
    for n in sizes {
        let inputs = book(n);
        let repeats = if n >= 100_000 { 3 } else { 7 };
        let (native_us, sdk) = best(n, repeats, || sdk_path(&inputs));
        assert_eq!(sdk.len(), n, "every instrument gets an order");
        let predicted_s = builder_last.map(|(m, secs)| secs * (n as f64 / m as f64).powi(2));
        // Unknown before the first run: only try small books blind.
        let predicted_s = predicted_s.unwrap_or(if n <= 2_000 { 0.0 } else { f64::INFINITY });
        let builder_us = if predicted_s <= builder_limit_s {
            let start = Instant::now();
            let (us, built) = best(n, 1, || builder_path(&inputs));
            builder_last = Some((n, start.elapsed().as_secs_f64()));
            assert_eq!(
                comparable(&built),
                comparable(&sdk),
                "same orders from both states"
            );
            Some(us)
        } else {
            None
        };
        let builder = builder_us.map_or("null".to_string(), |us| format!("{us:.4}"));
        println!("{{\"n\": {n}, \"native_us\": {native_us:.4}, \"builder_us\": {builder}}}");
    }
}
