//! Native side of `benchmarks/engine.py`: barter's `Engine` with barter's own `DefaultStrategy`
//! processing market trades, on the state the SDK's `Engine` builds for the same book.
//! Prints `{"events_per_s": ..}` (best of the repeats).
//!
//! Usage: bench_engine INSTRUMENTS EVENTS

use _native::{
    book::{snapshot::InstrumentInput, state::Book},
    engine::{engine_state, State},
};
use barter::engine::{
    clock::LiveClock, execution_tx::MultiExchangeTxMap, state::trading::TradingState, Engine,
    Processor,
};
use barter::risk::DefaultRiskManager;
use barter::strategy::DefaultStrategy;
use barter::EngineEvent;
use barter_data::event::{DataKind, MarketEvent};
use barter_data::streams::reconnect;
use barter_data::subscription::trade::PublicTrade;
use barter_instrument::{exchange::ExchangeId, instrument::InstrumentIndex, Side};
use chrono::{DateTime, Duration, Utc};
use rust_decimal::Decimal;
use std::time::Instant;

/// The benchmark book: `n` instruments `coin{i}_usdt` on binance_spot, priced 100, flat (the
/// book `benchmarks/engine.py` gives the SDK).
fn book(n: usize) -> Vec<InstrumentInput> {
    (0..n)
        .map(|i| {
            let base = smol_str::format_smolstr!("coin{i}");
            InstrumentInput {
                exchange: ExchangeId::BinanceSpot,
                instrument: smol_str::format_smolstr!("{base}_usdt"),
                base,
                quote: "usdt".into(),
                price: Some(Decimal::from(100)),
                position: None,
                spec: None,
            }
        })
        .collect()
}

/// Trade `k` is on instrument `k % n` (barter's index order is the names' order; any fixed
/// assignment does the same work), one millisecond after the previous one.
fn events(n: usize, count: usize, start: DateTime<Utc>) -> Vec<EngineEvent> {
    (0..count)
        .map(|k| {
            let time = start + Duration::milliseconds(k as i64);
            EngineEvent::Market(reconnect::Event::Item(MarketEvent {
                time_exchange: time,
                time_received: time,
                exchange: ExchangeId::BinanceSpot,
                instrument: InstrumentIndex(k % n),
                kind: DataKind::Trade(PublicTrade {
                    id: String::new(),
                    price: 100.0 + (k % 100) as f64 * 0.01,
                    amount: 1.0,
                    side: Side::Buy,
                }),
            }))
        })
        .collect()
}

fn main() {
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .map(|a| a.parse().expect("usage: bench_engine INSTRUMENTS EVENTS"))
        .collect();
    let [n, count] = args[..] else {
        panic!("usage: bench_engine INSTRUMENTS EVENTS");
    };
    let inputs = book(n);
    let start = Utc::now();
    let mut best = f64::INFINITY;
    for _ in 0..5 {
        let book = Book::from_snapshots(&inputs, start).unwrap();
        let (state, index, _) = engine_state(book, &inputs, &[], TradingState::Enabled, start);
        let txs: MultiExchangeTxMap = index.exchanges.iter().map(|e| (*e, None)).collect();
        let mut engine: Engine<LiveClock, State, _, DefaultStrategy<State>, _> = Engine::new(
            LiveClock,
            state,
            txs,
            DefaultStrategy::default(),
            DefaultRiskManager::<State>::default(),
        );
        let batch = events(n, count, start);
        let began = Instant::now();
        for event in batch {
            std::hint::black_box(engine.process(event));
        }
        best = best.min(began.elapsed().as_secs_f64());
    }
    println!("{{\"events_per_s\": {:.1}}}", count as f64 / best);
}
