//! barter's `EngineState` assembled from snapshots in O(N log N), without barter's quadratic index.
//!
//! barter-instrument's `IndexedInstruments` builder finds every asset by a linear scan, which
//! makes a book of N instruments cost O(N²). The `EngineState` fields are public, so this file
//! builds exactly the state `EngineState::builder` would build for the same instruments (same
//! sort, same indices, same defaults — proven by the tests below) using hash maps instead.

use crate::bind::error::{self, Kind};
use crate::book::snapshot::InstrumentInput;
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
    order::{
        request::{OrderRequestCancel, OrderRequestOpen},
        OrderEvent, OrderKey,
    },
    AccountEvent,
};
use barter_instrument::{
    asset::{name::AssetNameInternal, Asset, AssetIndex, ExchangeAsset, QuoteAsset},
    exchange::{ExchangeId, ExchangeIndex},
    index::IndexedInstruments,
    instrument::{name::InstrumentNameInternal, Instrument, InstrumentIndex},
    Keyed, Side, Underlying,
};
use chrono::{DateTime, Utc};
use fnv::{FnvHashMap, FnvHashSet};
use rust_decimal::Decimal;
use serde::Serialize;

/// Instrument data whose price is the snapshot's price; market and account events are not
/// part of a snapshot, so they change nothing.
#[derive(Debug, Clone, Copy, PartialEq)]
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

pub type AssetIndexMap = FnvHashMap<(ExchangeId, AssetNameInternal), AssetIndex>;

/// Two inputs that barter would treat as one instrument (input positions, ascending).
#[derive(Debug, PartialEq)]
pub struct Duplicate(pub usize, pub usize);

impl Duplicate {
    /// `DuplicateInstrumentError` naming the instrument and both positions.
    pub fn into_err(self, py: pyo3::Python<'_>, inputs: &[InstrumentInput]) -> pyo3::PyErr {
        let input = &inputs[self.1];
        let message = format!(
            "instrument '{}' on exchange '{}' appears twice (items {} and {})",
            input.instrument,
            input.exchange.as_str(),
            self.0,
            self.1
        );
        error::with_indices(py, Kind::DuplicateInstrument, message, vec![self.0, self.1])
    }
}

/// An assembled state and the maps needed to translate between it and the input.
pub struct Book<Data = SnapshotData> {
    pub state: EngineState<DefaultGlobalData, Data>,
    pub index: Index,
}

/// How a book's inputs, exchanges and assets map to barter's indices.
pub struct Index {
    /// Input position of each `InstrumentIndex`.
    pub input_of: Vec<usize>,
    /// `(exchange, asset internal name)` -> `AssetIndex`, first match wins as in barter.
    pub asset_index: AssetIndexMap,
    /// `ExchangeIndex` -> `ExchangeId`.
    pub exchanges: Vec<ExchangeId>,
    /// `AssetIndex` -> exchange asset. barter's `AssetStates` merges assets whose internal names
    /// are equal (`BTC` and `btc`); its `IndexedInstruments` keeps both, as this does.
    pub assets: Vec<ExchangeAsset<Asset>>,
}

impl Index {
    /// Map barter's index keys back to the exchange id and the caller's instrument name; also
    /// gives the request's input position.
    pub fn unindex<Kind>(
        &self,
        event: OrderEvent<Kind, ExchangeIndex, InstrumentIndex>,
        inputs: &[InstrumentInput],
    ) -> (usize, OrderEvent<Kind, ExchangeId, InstrumentNameInternal>) {
        let input = self.input_of[event.key.instrument.index()];
        let OrderKey { strategy, cid, .. } = event.key;
        let key = OrderKey {
            exchange: inputs[input].exchange,
            instrument: InstrumentNameInternal::new(inputs[input].instrument.clone()),
            strategy,
            cid,
        };
        let state = event.state;
        (input, OrderEvent { key, state })
    }
}

impl Book {
    /// The state for a book of snapshots: each an instrument, its price and its position
    /// (quantity zero is flat: no position).
    pub fn from_snapshots(
        inputs: &[InstrumentInput],
        time: DateTime<Utc>,
    ) -> Result<Book, Duplicate> {
        let instruments: Vec<_> = inputs
            .iter()
            .map(|i| instrument(i.exchange, &i.instrument, &i.base, &i.quote))
            .collect();
        let data: Vec<_> = inputs
            .iter()
            .map(|i| SnapshotData { price: i.price })
            .collect();
        let mut book = Book::assemble(instruments, &data, time)?;
        open_positions(&mut book.state, &book.index, inputs, time);
        Ok(book)
    }
}

/// Put each snapshot's position on its instrument (quantity zero is flat: no position); barter's
/// state builder has no positions.
pub fn open_positions<Data>(
    state: &mut EngineState<DefaultGlobalData, Data>,
    index: &Index,
    inputs: &[InstrumentInput],
    time: DateTime<Utc>,
) {
    for (at, state) in state.instruments.0.values_mut().enumerate() {
        let input = &inputs[index.input_of[at]];
        if let Some(position) = input.position.as_ref().filter(|p| !p.quantity.is_zero()) {
            state.position.current = Some(self::position(
                InstrumentIndex(at),
                position.side,
                position.quantity,
                position.price_entry_average,
                time,
            ));
        }
    }
}

/// barter's order of `instruments` (the input position of each, sorted), their exchanges and
/// their distinct exchange assets, both in barter's sort order; a repeated instrument refused.
#[allow(clippy::type_complexity)]
fn order(
    instruments: &[Instrument<ExchangeId, Asset>],
) -> Result<(Vec<usize>, Vec<ExchangeId>, Vec<(ExchangeId, Asset)>), Duplicate> {
    // barter's builder sorts instruments by their full `Ord`, which compares the exchange,
    // then the internal name. Distinct names decide the order alone, so sorting compact
    // (exchange, name) keys gives barter's order; equal keys are duplicates, refused.
    let mut keys: Vec<(ExchangeId, &str, usize)> = instruments
        .iter()
        .enumerate()
        .map(|(input, i)| (i.exchange, i.name_internal.name().as_str(), input))
        .collect();
    keys.sort_unstable();
    if let Some(pair) = keys
        .windows(2)
        .find(|pair| pair[0].0 == pair[1].0 && pair[0].1 == pair[1].1)
    {
        return Err(Duplicate(pair[0].2, pair[1].2));
    }
    let input_of: Vec<usize> = keys.iter().map(|(_, _, input)| *input).collect();

    let mut exchanges: Vec<ExchangeId> = instruments.iter().map(|i| i.exchange).collect();
    exchanges.sort_unstable();
    exchanges.dedup();

    // Distinct exchange assets first (books share quote assets), then barter's sort order.
    let mut distinct: FnvHashSet<(ExchangeId, &Asset)> =
        FnvHashSet::with_capacity_and_hasher(instruments.len(), Default::default());
    for instrument in instruments {
        distinct.insert((instrument.exchange, &instrument.underlying.base));
        distinct.insert((instrument.exchange, &instrument.underlying.quote));
    }
    let mut assets: Vec<(ExchangeId, &Asset)> = distinct.into_iter().collect();
    assets.sort_unstable();
    let assets = assets.into_iter().map(|(e, a)| (e, a.clone())).collect();
    Ok((input_of, exchanges, assets))
}

impl<Data: Clone> Book<Data> {
    /// Assemble the state for `instruments` (input order) with their data. The instruments
    /// move into the state: a large book's are not copied.
    pub fn assemble(
        instruments: Vec<Instrument<ExchangeId, Asset>>,
        data: &[Data],
        time: DateTime<Utc>,
    ) -> Result<Self, Duplicate> {
        let (input_of, exchanges, assets) = order(&instruments)?;
        let exchange_index: FnvHashMap<ExchangeId, ExchangeIndex> = exchanges
            .iter()
            .enumerate()
            .map(|(index, exchange)| (*exchange, ExchangeIndex(index)))
            .collect();
        let mut asset_index: AssetIndexMap =
            FnvHashMap::with_capacity_and_hasher(assets.len(), Default::default());
        for (index, (exchange, asset)) in assets.iter().enumerate() {
            asset_index
                .entry((*exchange, asset.name_internal.clone()))
                .or_insert(AssetIndex(index));
        }

        let mut slots: Vec<Option<Instrument<ExchangeId, Asset>>> =
            instruments.into_iter().map(Some).collect();
        let instruments = InstrumentStates(
            input_of
                .iter()
                .enumerate()
                .map(|(index, &input)| {
                    let instrument = slots[input]
                        .take()
                        .expect("input_of is a permutation: each instrument is taken once");
                    let exchange = instrument.exchange;
                    let name = instrument.name_internal.clone();
                    let indexed = instrument
                        .map_exchange_key(exchange_index[&exchange])
                        .map_asset_key_with_lookup(|asset: &Asset| {
                            asset_index
                                .get(&(exchange, asset.name_internal.clone()))
                                .copied()
                                .ok_or(())
                        })
                        .expect("every asset of every instrument is indexed");
                    let state = InstrumentState::new(
                        InstrumentIndex(index),
                        indexed,
                        TearSheetGenerator::init(time),
                        PositionManager::default(),
                        Orders::default(),
                        data[input].clone(),
                    );
                    (name, state)
                })
                .collect(),
        );
        drop(slots);

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
                    .iter()
                    .map(|(exchange, asset)| {
                        let state = AssetState::new(
                            asset.clone(),
                            TearSheetAssetGenerator::default(),
                            None,
                        );
                        (
                            ExchangeAsset::new(*exchange, asset.name_internal.clone()),
                            state,
                        )
                    })
                    .collect(),
            ),
            instruments,
        };
        let assets = assets
            .into_iter()
            .map(|(exchange, asset)| ExchangeAsset::new(exchange, asset))
            .collect();
        Ok(Book {
            state,
            index: Index {
                input_of,
                asset_index,
                exchanges,
                assets,
            },
        })
    }

    /// barter's `IndexedInstruments` for this book, equal to what its quadratic builder makes
    /// for the same instruments. Its fields are private but it is `Deserialize`, so it is read
    /// from the assembled book's exchanges, assets and instruments in O(N).
    pub fn indexed_instruments(&self) -> IndexedInstruments {
        let index = &self.index;
        #[derive(Serialize)]
        struct Fields<'a> {
            exchanges: Vec<Keyed<ExchangeIndex, ExchangeId>>,
            assets: Vec<Keyed<AssetIndex, &'a ExchangeAsset<Asset>>>,
            instruments: Vec<
                Keyed<InstrumentIndex, Instrument<Keyed<ExchangeIndex, ExchangeId>, AssetIndex>>,
            >,
        }
        let exchanges: Vec<_> = index
            .exchanges
            .iter()
            .enumerate()
            .map(|(index, id)| Keyed::new(ExchangeIndex(index), *id))
            .collect();
        let fields = Fields {
            assets: index
                .assets
                .iter()
                .enumerate()
                .map(|(index, asset)| Keyed::new(AssetIndex(index), asset))
                .collect(),
            instruments: self
                .state
                .instruments
                .0
                .values()
                .map(|state| {
                    let instrument = state.instrument.clone();
                    let exchange = exchanges[instrument.exchange.index()];
                    Keyed::new(state.key, instrument.map_exchange_key(exchange))
                })
                .collect(),
            exchanges,
        };
        // Both directions are barter's own serde on values barter itself produced.
        serde_json::to_value(&fields)
            .and_then(serde_json::from_value)
            .expect("IndexedInstruments round-trips through its own serde")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;
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
            .map(|(i, d)| (i.name_internal.clone(), *d))
            .collect();
        EngineState::builder(&indexed, DefaultGlobalData, |keyed| {
            data[&keyed.value.name_internal]
        })
        .time_engine_start(time)
        .build()
    }

    /// Seeds of the property tests: fixed ones, plus `BARTER_PYTHON_SEED` when set (a failure
    /// prints its seed, so that it can be replayed).
    fn seeds() -> Vec<u64> {
        let mut seeds = vec![7, 1, 2026, 0xdead_beef, 42];
        if let Ok(seed) = std::env::var("BARTER_PYTHON_SEED") {
            seeds.push(seed.parse().expect("BARTER_PYTHON_SEED is a u64"));
        }
        seeds
    }

    #[test]
    fn assembled_state_equals_barter_builder_state() {
        let time = DateTime::from_str("2026-01-01T00:00:00Z").unwrap();
        for seed in seeds() {
            let mut rng = Lcg(seed);
            for round in 0..30 {
                let size = 1 + rng.below(if round % 10 == 0 { 400 } else { 60 });
                let universe = universe(&mut rng, size);
                let expected = barter_builder_state(&universe, time);
                let (instruments, data): (Vec<_>, Vec<_>) = universe.into_iter().unzip();
                let indexed = IndexedInstruments::new(instruments.iter().cloned());
                let book = Book::assemble(instruments, &data, time).unwrap();
                let at = format!("seed {seed}, round {round}, {size} instruments");
                assert_eq!(book.state, expected, "{at}");
                assert_eq!(book.indexed_instruments(), indexed, "{at}");
            }
        }
    }

    /// barter's `IndexedInstruments` drops repeated instruments; the assembly refuses them,
    /// naming the first repeat, and once they are dropped agrees with barter's builder.
    #[test]
    fn duplicates_are_refused_and_agree_with_barter_once_dropped() {
        let time = DateTime::from_str("2026-01-01T00:00:00Z").unwrap();
        for seed in seeds() {
            let mut rng = Lcg(seed);
            for round in 0..20 {
                let size = 2 + rng.below(60);
                let mut universe = universe(&mut rng, size);
                for _ in 0..1 + rng.below(3) {
                    let copy = universe[rng.below(universe.len())].clone();
                    universe.insert(rng.below(universe.len() + 1), copy);
                }
                let at = format!("seed {seed}, round {round}");
                let (instruments, data): (Vec<_>, Vec<_>) = universe.iter().cloned().unzip();
                let Err(Duplicate(first, second)) =
                    Book::assemble(instruments.clone(), &data, time)
                else {
                    panic!("{at}: a repeated instrument was accepted");
                };
                assert!(first < second, "{at}");
                assert_eq!(instruments[first], instruments[second], "{at}");

                let mut seen = std::collections::HashSet::new();
                universe.retain(|(i, _)| seen.insert(i.clone()));
                let expected = barter_builder_state(&universe, time);
                let (instruments, data): (Vec<_>, Vec<_>) = universe.into_iter().unzip();
                let book = Book::assemble(instruments, &data, time).unwrap();
                assert_eq!(book.state, expected, "{at}");
            }
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
        let book = Book::assemble(instruments, &data, time).unwrap();
        assert_eq!(book.state.instruments.0.len(), 2);
        // BinanceSpot sorts before Okx in barter's ExchangeId order.
        assert_eq!(book.index.input_of, vec![1, 0]);
    }

    #[test]
    fn duplicate_instrument_is_refused_with_both_positions() {
        let instruments = vec![
            instrument(ExchangeId::Okx, "btc_usdt", "btc", "usdt"),
            instrument(ExchangeId::Okx, "eth_usdt", "eth", "usdt"),
            instrument(ExchangeId::Okx, "BTC_USDT", "btc", "usdt"),
        ];
        let data = vec![SnapshotData { price: None }; 3];
        let err = Book::assemble(instruments, &data, Utc::now()).err();
        assert_eq!(err, Some(Duplicate(0, 2)));
    }
}
