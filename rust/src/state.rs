//! barter's `EngineState` assembled from snapshots in O(N log N).
//!
//! barter-instrument's `IndexedInstruments` builder finds every asset by a linear scan, which
//! makes a book of N instruments cost O(N²). The `EngineState` fields are public, so this file
//! builds exactly the state `EngineState::builder` would build for the same instruments (same
//! sort, same indices, same defaults — proven by the tests below) using hash maps instead.

use barter::engine::{
    state::{
        asset::{AssetState, AssetStates},
        connectivity::{ConnectivityState, ConnectivityStates, Health},
        global::DefaultGlobalData,
        instrument::{data::InstrumentDataState, InstrumentState, InstrumentStates},
        order::{in_flight_recorder::InFlightRequestRecorder, Orders},
        position::{Position, PositionManager},
        trading::TradingState,
        EngineState,
    },
    Processor,
};
use barter::statistic::summary::{asset::TearSheetAssetGenerator, instrument::TearSheetGenerator};
use barter_data::event::MarketEvent;
use barter_execution::{
    order::request::{OrderRequestCancel, OrderRequestOpen},
    AccountEvent,
};
use barter_instrument::{
    asset::{name::AssetNameInternal, Asset, AssetIndex, ExchangeAsset, QuoteAsset},
    exchange::{ExchangeId, ExchangeIndex},
    instrument::{name::InstrumentNameInternal, Instrument, InstrumentIndex},
    Side, Underlying,
};
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use std::collections::HashMap;

/// Instrument data whose price is the snapshot's price; market and account events are not
/// part of a snapshot, so they change nothing.
#[derive(Debug, Clone, PartialEq)]
pub struct SnapshotData {
    pub price: Option<Decimal>,
}

impl InstrumentDataState for SnapshotData {
    type MarketEventKind = ();

    fn price(&self) -> Option<Decimal> {
        self.price
    }
}

impl<'a> Processor<&'a MarketEvent<InstrumentIndex, ()>> for SnapshotData {
    type Audit = ();
    fn process(&mut self, _: &'a MarketEvent<InstrumentIndex, ()>) {}
}

impl<'a> Processor<&'a AccountEvent> for SnapshotData {
    type Audit = ();
    fn process(&mut self, _: &'a AccountEvent) {}
}

impl InFlightRequestRecorder for SnapshotData {
    fn record_in_flight_cancel(&mut self, _: &OrderRequestCancel) {}
    fn record_in_flight_open(&mut self, _: &OrderRequestOpen) {}
}

pub type State = EngineState<DefaultGlobalData, SnapshotData>;

/// The instrument barter is given for one snapshot: spot, with an exchange-qualified internal
/// name (barter's `"{exchange}-{name}"` convention), because barter keys `InstrumentStates` by
/// internal name alone and the same name on two exchanges must stay two instruments.
pub fn instrument(
    exchange: ExchangeId,
    name: &str,
    base: &str,
    quote: &str,
) -> Instrument<ExchangeId, Asset> {
    Instrument::spot(
        exchange,
        InstrumentNameInternal::new_from_exchange(exchange, name),
        name,
        Underlying::new(base, quote),
        None,
    )
}

/// barter's `Position` for a snapshot: an open position with no trade history.
pub fn position<InstrumentKey>(
    instrument: InstrumentKey,
    side: Side,
    quantity_abs: Decimal,
    price_entry_average: Decimal,
    time: DateTime<Utc>,
) -> Position<QuoteAsset, InstrumentKey> {
    Position {
        instrument,
        side,
        price_entry_average,
        quantity_abs,
        quantity_abs_max: quantity_abs,
        pnl_unrealised: Decimal::ZERO,
        pnl_realised: Decimal::ZERO,
        fees_enter: Default::default(),
        fees_exit: Default::default(),
        time_enter: time,
        time_exchange_update: time,
        trades: Vec::new(),
    }
}

/// Two inputs that barter would treat as one instrument (input positions, ascending).
#[derive(Debug, PartialEq)]
pub struct Duplicate(pub usize, pub usize);

/// An assembled state and the maps needed to translate between it and the input.
pub struct Book {
    pub state: State,
    /// Input position of each `InstrumentIndex`.
    pub input_of: Vec<usize>,
    /// `(exchange, asset internal name)` -> `AssetIndex`, first match wins as in barter.
    pub asset_index: HashMap<(ExchangeId, AssetNameInternal), AssetIndex>,
    /// `ExchangeIndex` -> `ExchangeId`.
    pub exchanges: Vec<ExchangeId>,
}

impl Book {
    /// Assemble the state for `instruments` (input order) with their data.
    pub fn assemble(
        instruments: Vec<Instrument<ExchangeId, Asset>>,
        data: Vec<SnapshotData>,
        time: DateTime<Utc>,
    ) -> Result<Book, Duplicate> {
        // barter's builder sorts and dedups instruments by their full `Ord`.
        let mut input_of: Vec<usize> = (0..instruments.len()).collect();
        input_of.sort_by(|&a, &b| instruments[a].cmp(&instruments[b]));
        if let Some(pair) = input_of
            .windows(2)
            .find(|pair| instruments[pair[0]].name_internal == instruments[pair[1]].name_internal)
        {
            return Err(Duplicate(pair[0].min(pair[1]), pair[0].max(pair[1])));
        }

        let mut exchanges: Vec<ExchangeId> = instruments.iter().map(|i| i.exchange).collect();
        exchanges.sort();
        exchanges.dedup();
        let exchange_index: HashMap<ExchangeId, ExchangeIndex> = exchanges
            .iter()
            .enumerate()
            .map(|(index, exchange)| (*exchange, ExchangeIndex(index)))
            .collect();

        let mut assets: Vec<ExchangeAsset<Asset>> = instruments
            .iter()
            .flat_map(|i| {
                [
                    ExchangeAsset::new(i.exchange, i.underlying.base.clone()),
                    ExchangeAsset::new(i.exchange, i.underlying.quote.clone()),
                ]
            })
            .collect();
        assets.sort();
        assets.dedup();
        let mut asset_index = HashMap::with_capacity(assets.len());
        for (index, asset) in assets.iter().enumerate() {
            asset_index
                .entry((asset.exchange, asset.asset.name_internal.clone()))
                .or_insert(AssetIndex(index));
        }

        let mut slots: Vec<Option<(Instrument<ExchangeId, Asset>, SnapshotData)>> =
            instruments.into_iter().zip(data).map(Some).collect();
        let instruments = InstrumentStates(
            input_of
                .iter()
                .enumerate()
                .map(|(index, &input)| {
                    let (instrument, data) = slots[input].take().expect("each input used once");
                    let exchange = instrument.exchange;
                    let instrument = instrument
                        .map_exchange_key(exchange_index[&exchange])
                        .map_asset_key_with_lookup(|asset: &Asset| {
                            asset_index
                                .get(&(exchange, asset.name_internal.clone()))
                                .copied()
                                .ok_or(())
                        })
                        .expect("every asset of every instrument is indexed");
                    (
                        instrument.name_internal.clone(),
                        InstrumentState::new(
                            InstrumentIndex(index),
                            instrument,
                            TearSheetGenerator::init(time),
                            PositionManager::default(),
                            Orders::default(),
                            data,
                        ),
                    )
                })
                .collect(),
        );

        let state = EngineState {
            trading: TradingState::default(),
            global: DefaultGlobalData,
            connectivity: ConnectivityStates {
                global: Health::Reconnecting,
                exchanges: exchanges
                    .iter()
                    .map(|exchange| (*exchange, ConnectivityState::default()))
                    .collect(),
            },
            assets: AssetStates(
                assets
                    .into_iter()
                    .map(|asset| {
                        (
                            ExchangeAsset::new(asset.exchange, asset.asset.name_internal.clone()),
                            AssetState::new(asset.asset, TearSheetAssetGenerator::default(), None),
                        )
                    })
                    .collect(),
            ),
            instruments,
        };
        Ok(Book {
            state,
            input_of,
            asset_index,
            exchanges,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use barter_instrument::index::IndexedInstruments;
    use std::str::FromStr;

    /// A deterministic pseudo-random generator, so the property test needs no extra crate.
    struct Lcg(u64);

    impl Lcg {
        fn below(&mut self, n: usize) -> usize {
            self.0 = self
                .0
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((self.0 >> 33) as usize) % n
        }
    }

    const EXCHANGES: [ExchangeId; 5] = [
        ExchangeId::Okx,
        ExchangeId::BinanceSpot,
        ExchangeId::Kraken,
        ExchangeId::Coinbase,
        ExchangeId::BybitSpot,
    ];

    /// A random universe: several exchanges, shared and distinct assets (mixed case, so that
    /// barter's lowercasing of internal names is exercised), names repeated across exchanges.
    fn universe(rng: &mut Lcg, size: usize) -> Vec<(Instrument<ExchangeId, Asset>, SnapshotData)> {
        let assets = ["btc", "ETH", "usdt", "Usdc", "sol", "x1", "BTC"];
        let mut seen = std::collections::HashSet::new();
        let mut out = Vec::new();
        while out.len() < size {
            let exchange = EXCHANGES[rng.below(EXCHANGES.len())];
            let base = if rng.below(3) == 0 {
                format!("asset{}", rng.below(1000))
            } else {
                assets[rng.below(assets.len())].to_string()
            };
            let quote = assets[rng.below(assets.len())];
            let name = format!("{base}_{quote}_{}", rng.below(4));
            if !seen.insert((exchange, name.to_lowercase())) {
                continue;
            }
            let price = (rng.below(4) > 0).then(|| Decimal::from(rng.below(100_000) + 1));
            out.push((
                instrument(exchange, &name, &base, quote),
                SnapshotData { price },
            ));
        }
        out
    }

    fn barter_builder_state(
        universe: &[(Instrument<ExchangeId, Asset>, SnapshotData)],
        time: DateTime<Utc>,
    ) -> State {
        let indexed = IndexedInstruments::new(universe.iter().map(|(i, _)| i.clone()));
        let data: HashMap<InstrumentNameInternal, SnapshotData> = universe
            .iter()
            .map(|(i, d)| (i.name_internal.clone(), d.clone()))
            .collect();
        EngineState::builder(&indexed, DefaultGlobalData, |keyed| {
            data[&keyed.value.name_internal].clone()
        })
        .time_engine_start(time)
        .build()
    }

    #[test]
    fn assembled_state_equals_barter_builder_state() {
        let time = DateTime::from_str("2026-01-01T00:00:00Z").unwrap();
        let mut rng = Lcg(7);
        for round in 0..60 {
            let size = 1 + rng.below(if round % 10 == 0 { 400 } else { 60 });
            let universe = universe(&mut rng, size);
            let expected = barter_builder_state(&universe, time);
            let (instruments, data) = universe.into_iter().unzip();
            let book = Book::assemble(instruments, data, time).unwrap();
            assert_eq!(book.state, expected, "round {round}, {size} instruments");
        }
    }

    #[test]
    fn same_name_on_two_exchanges_is_two_instruments() {
        let time = Utc::now();
        let instruments = vec![
            instrument(ExchangeId::Okx, "btc_usdt", "btc", "usdt"),
            instrument(ExchangeId::BinanceSpot, "btc_usdt", "btc", "usdt"),
        ];
        let data = vec![SnapshotData { price: None }; 2];
        let book = Book::assemble(instruments, data, time).unwrap();
        assert_eq!(book.state.instruments.0.len(), 2);
        // BinanceSpot sorts before Okx in barter's ExchangeId order.
        assert_eq!(book.input_of, vec![1, 0]);
    }

    #[test]
    fn duplicate_instrument_is_refused_with_both_positions() {
        let instruments = vec![
            instrument(ExchangeId::Okx, "btc_usdt", "btc", "usdt"),
            instrument(ExchangeId::Okx, "eth_usdt", "eth", "usdt"),
            instrument(ExchangeId::Okx, "BTC_USDT", "btc", "usdt"),
        ];
        let data = vec![SnapshotData { price: None }; 3];
        let err = Book::assemble(instruments, data, Utc::now()).err();
        assert_eq!(err, Some(Duplicate(0, 2)));
    }
}
