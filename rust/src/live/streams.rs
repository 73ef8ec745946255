//! Market data from barter-data's own WebSocket streams, and endpoints that point them
//! elsewhere (a local exchange, a proxy).
//!
//! barter-data takes the URL of Binance and Bybit from its `ExchangeServer` trait, so servers
//! defined here (same exchange id, URL read from a process-wide slot) make barter-data's own
//! connectors, parsers and reconnection connect anywhere without a fork. The other exchanges'
//! URLs are constants inside barter-data: they connect through barter's `DynamicStreams` to
//! the exchange itself, and refuse an endpoint.

use super::depth::{self, binance_book, BinanceBook};
use crate::bind::enums::Enum;
use crate::bind::error::{catch_quietly, panic_text};
use barter_data::error::DataError;
use barter_data::event::DataKind;
use barter_data::exchange::binance::futures::l2::{
    BinanceFuturesUsdOrderBooksL2Transformer, HTTP_BOOK_L2_SNAPSHOT_URL_BINANCE_FUTURES_USD,
};
use barter_data::exchange::binance::futures::BinanceFuturesUsd;
use barter_data::exchange::binance::futures::WEBSOCKET_BASE_URL_BINANCE_FUTURES_USD;
use barter_data::exchange::binance::spot::l2::{
    BinanceSpotOrderBooksL2Transformer, HTTP_BOOK_L2_SNAPSHOT_URL_BINANCE_SPOT,
};
use barter_data::exchange::binance::spot::BinanceSpot;
use barter_data::exchange::binance::spot::WEBSOCKET_BASE_URL_BINANCE_SPOT;
use barter_data::exchange::binance::Binance;
use barter_data::exchange::bybit::futures::WEBSOCKET_BASE_URL_BYBIT_PERPETUALS_USD;
use barter_data::exchange::bybit::spot::WEBSOCKET_BASE_URL_BYBIT_SPOT;
use barter_data::exchange::bybit::Bybit;
use barter_data::exchange::{ExchangeServer, StreamSelector};
use barter_data::streams::builder::dynamic::DynamicStreams;
use barter_data::streams::consumer::{
    init_market_stream, MarketStreamResult, STREAM_RECONNECTION_POLICY,
};
use barter_data::streams::reconnect;
use barter_data::subscription::book::{OrderBooksL1, OrderBooksL2};
use barter_data::subscription::trade::PublicTrades;
use barter_data::subscription::{SubKind, Subscription, SubscriptionKind};
use barter_data::Identifier;
use barter_instrument::exchange::ExchangeId;
use barter_instrument::instrument::market_data::{
    kind::MarketDataInstrumentKind, MarketDataInstrument,
};
use barter_instrument::instrument::InstrumentIndex;
use barter_instrument::Keyed;
use futures::future::BoxFuture;
use futures::stream::{BoxStream, StreamExt};
use futures::FutureExt;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use std::fmt::Display;
use std::panic::AssertUnwindSafe;
use std::sync::Mutex;
use std::task::Poll;
use std::time::Duration;

/// What a stream delivers: barter-data's market event or error, or the panic of its parser.
pub enum Delivered {
    Market(MarketStreamResult<InstrumentIndex, DataKind>),
    /// barter-data panicked reading a frame (see `guarded`): the stream starts again.
    Panicked(String),
}

/// Every market event of every stream, merged, with the exchange of its stream where known
/// (barter-data's errors do not say).
pub type Feed = BoxStream<'static, (Option<ExchangeId>, Delivered)>;

/// An instrument to subscribe to: the engine's index, barter-data's market (base, quote).
pub type Wanted = Keyed<InstrumentIndex, MarketDataInstrument>;

/// The exchanges whose URL an endpoint can replace, in slot order.
pub const OVERRIDABLE: [ExchangeId; 4] = [
    ExchangeId::BinanceSpot,
    ExchangeId::BinanceFuturesUsd,
    ExchangeId::BybitSpot,
    ExchangeId::BybitPerpetualsUsd,
];

/// One URL per overridable exchange, and how many running systems use it. barter-data reads
/// the URL on every (re)connect, so it is process-wide: two systems may share an endpoint but
/// not point one exchange two ways.
struct Slot {
    url: Option<&'static str>,
    users: usize,
}

static SLOTS: Mutex<[Slot; 4]> = Mutex::new(
    [const {
        Slot {
            url: None,
            users: 0,
        }
    }; 4],
);

fn slot_url(slot: usize) -> Option<&'static str> {
    SLOTS.lock().unwrap_or_else(|p| p.into_inner())[slot].url
}

macro_rules! server {
    ($name:ident, $slot:expr, $id:expr, $default:expr) => {
        /// barter-data's server for this exchange, at the endpoint if one is set.
        #[derive(Copy, Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name;

        impl ExchangeServer for $name {
            const ID: ExchangeId = $id;

            fn websocket_url() -> &'static str {
                slot_url($slot).unwrap_or($default)
            }
        }
    };
}

server!(
    BinanceSpotAt,
    0,
    ExchangeId::BinanceSpot,
    WEBSOCKET_BASE_URL_BINANCE_SPOT
);
server!(
    BinanceFuturesUsdAt,
    1,
    ExchangeId::BinanceFuturesUsd,
    WEBSOCKET_BASE_URL_BINANCE_FUTURES_USD
);
server!(
    BybitSpotAt,
    2,
    ExchangeId::BybitSpot,
    WEBSOCKET_BASE_URL_BYBIT_SPOT
);
server!(
    BybitPerpetualsUsdAt,
    3,
    ExchangeId::BybitPerpetualsUsd,
    WEBSOCKET_BASE_URL_BYBIT_PERPETUALS_USD
);

binance_book!(
    BinanceSpotBook,
    BinanceSpotAt,
    slot_url(0),
    BinanceSpot,
    BinanceSpotOrderBooksL2Transformer,
    "/api/v3/depth",
    HTTP_BOOK_L2_SNAPSHOT_URL_BINANCE_SPOT
);
binance_book!(
    BinanceFuturesUsdBook,
    BinanceFuturesUsdAt,
    slot_url(1),
    BinanceFuturesUsd,
    BinanceFuturesUsdOrderBooksL2Transformer,
    "/fapi/v1/depth",
    HTTP_BOOK_L2_SNAPSHOT_URL_BINANCE_FUTURES_USD
);

/// The one rule of an endpoint (`LiveConfig.endpoints`' validator calls it): an exchange whose
/// URL barter-data reads from a trait the SDK implements, and a `ws://` or `wss://` URL.
#[pyfunction]
pub fn check_endpoint(exchange: Enum<ExchangeId>, url: &str) -> PyResult<()> {
    let exchange = exchange.0;
    if !OVERRIDABLE.contains(&exchange) {
        let can: Vec<_> = OVERRIDABLE.iter().map(|e| e.as_str()).collect();
        return Err(PyValueError::new_err(format!(
            "the URL of '{}' is a constant inside barter-data and cannot be replaced; \
             endpoints can be given for {}",
            exchange.as_str(),
            can.join(", ")
        )));
    }
    if !(url.starts_with("ws://") || url.starts_with("wss://")) || url::Url::parse(url).is_err() {
        return Err(PyValueError::new_err(format!(
            "'{url}' for '{}' is not a ws:// or wss:// URL",
            exchange.as_str()
        )));
    }
    Ok(())
}

/// The URLs a running system streams its overridable exchanges from (an endpoint, or the
/// exchange's own); released when it is dropped.
pub struct Lease(Vec<usize>);

impl Lease {
    /// Point each exchange at its URL (each checked by `check_endpoint`, the config's rule);
    /// the other overridable exchanges of `streamed` keep their own URL. Refused if another
    /// running system streams one of them from elsewhere.
    pub fn take(
        endpoints: &[(ExchangeId, String)],
        streamed: &[ExchangeId],
    ) -> Result<Self, String> {
        let mut wanted: Vec<(usize, Option<&str>)> = Vec::new();
        for (exchange, url) in endpoints {
            if let Some(slot) = OVERRIDABLE.iter().position(|e| e == exchange) {
                wanted.push((slot, Some(url.as_str())));
            }
        }
        for exchange in streamed {
            let slot = OVERRIDABLE.iter().position(|e| e == exchange);
            if let Some(slot) = slot.filter(|slot| wanted.iter().all(|(s, _)| s != slot)) {
                wanted.push((slot, None));
            }
        }
        let mut slots = SLOTS.lock().unwrap_or_else(|p| p.into_inner());
        for &(slot, url) in &wanted {
            let current = &slots[slot];
            if current.users > 0 && current.url != url {
                let place = |url: Option<&str>| url.unwrap_or("the exchange's own URL").to_string();
                return Err(format!(
                    "endpoints: another running live system streams '{}' from {}, this one \
                     from {}; barter-data reads one URL per exchange in a process",
                    OVERRIDABLE[slot].as_str(),
                    place(current.url),
                    place(url)
                ));
            }
        }
        let mut held = Vec::new();
        for (slot, url) in wanted {
            let entry = &mut slots[slot];
            if entry.url != url {
                // barter-data wants a `&'static str`: one small leak per distinct URL set.
                entry.url = url.map(|url| &*Box::leak(url.to_string().into_boxed_str()));
            }
            entry.users += 1;
            held.push(slot);
        }
        Ok(Lease(held))
    }
}

impl Drop for Lease {
    fn drop(&mut self) {
        let mut slots = SLOTS.lock().unwrap_or_else(|p| p.into_inner());
        for &slot in &self.0 {
            slots[slot].users -= 1;
            if slots[slot].users == 0 {
                slots[slot].url = None;
            }
        }
    }
}

/// The URL an exchange's streams connect to, for messages.
pub fn url_of(exchange: ExchangeId) -> String {
    match OVERRIDABLE.iter().position(|e| *e == exchange) {
        Some(0) => BinanceSpotAt::websocket_url().to_string(),
        Some(1) => BinanceFuturesUsdAt::websocket_url().to_string(),
        Some(2) => BybitSpotAt::websocket_url().to_string(),
        Some(3) => BybitPerpetualsUsdAt::websocket_url().to_string(),
        _ => "barter-data's URL".to_string(),
    }
}

/// A spot market of barter-data for an instrument (the SDK's instruments are spot).
pub fn wanted(index: InstrumentIndex, base: &str, quote: &str) -> Wanted {
    Keyed::new(
        index,
        MarketDataInstrument::new(base, quote, MarketDataInstrumentKind::Spot),
    )
}

/// A failed connection: the exchange and why.
pub struct Failed {
    pub exchange: ExchangeId,
    pub error: DataError,
}

/// Connect every (exchange, kind) stream: the first connection and subscription of each must
/// succeed (barter-data retries only once a stream has been up). One `Feed` of them all.
pub async fn connect(
    instruments: Vec<(ExchangeId, Wanted)>,
    kinds: &[SubKind],
) -> Result<Feed, Failed> {
    let mut ours: Vec<BoxFuture<'static, Result<Feed, Failed>>> = Vec::new();
    let mut others: Vec<Subscription<ExchangeId, Wanted, SubKind>> = Vec::new();
    let mut exchanges: Vec<ExchangeId> = instruments.iter().map(|(e, _)| *e).collect();
    exchanges.sort();
    exchanges.dedup();
    for exchange in exchanges {
        let subs: Vec<Wanted> = instruments
            .iter()
            .filter(|(e, _)| *e == exchange)
            .map(|(_, w)| w.clone())
            .collect();
        for kind in kinds {
            match (exchange, kind) {
                (ExchangeId::BinanceSpot, SubKind::OrderBooksL2) => {
                    ours.push(binance_l2::<BinanceSpotBook>(subs.clone()))
                }
                (ExchangeId::BinanceFuturesUsd, SubKind::OrderBooksL2) => {
                    ours.push(binance_l2::<BinanceFuturesUsdBook>(subs.clone()))
                }
                (ExchangeId::BybitSpot, SubKind::OrderBooksL2) => ours.push(
                    of_kind::<Bybit<BybitSpotAt>, OrderBooksL2>(subs.clone(), OrderBooksL2).boxed(),
                ),
                (ExchangeId::BybitPerpetualsUsd, SubKind::OrderBooksL2) => ours.push(
                    of_kind::<Bybit<BybitPerpetualsUsdAt>, OrderBooksL2>(
                        subs.clone(),
                        OrderBooksL2,
                    )
                    .boxed(),
                ),
                (ExchangeId::BinanceSpot, kind) => ours.push(stream(
                    Binance::<BinanceSpotAt>::default(),
                    subs.clone(),
                    *kind,
                )),
                (ExchangeId::BinanceFuturesUsd, kind) => ours.push(stream(
                    Binance::<BinanceFuturesUsdAt>::default(),
                    subs.clone(),
                    *kind,
                )),
                (ExchangeId::BybitSpot, kind) => {
                    ours.push(stream(Bybit::<BybitSpotAt>::default(), subs.clone(), *kind))
                }
                (ExchangeId::BybitPerpetualsUsd, kind) => ours.push(stream(
                    Bybit::<BybitPerpetualsUsdAt>::default(),
                    subs.clone(),
                    *kind,
                )),
                (exchange, kind) => others.extend(
                    subs.iter()
                        .map(|sub| Subscription::new(exchange, sub.clone(), *kind)),
                ),
            }
        }
    }
    let mut feeds = futures::future::try_join_all(ours).await?;
    if let Some(first) = others.first() {
        let exchange = first.exchange;
        let dynamic = DynamicStreams::init::<_, _, _, Wanted>([others])
            .await
            .map_err(|error| Failed { exchange, error })?;
        // barter-data spawns these streams' tasks itself: a panic there ends that stream
        // (`guarded` cannot reach inside).
        feeds.push(
            dynamic
                .select_all::<MarketStreamResult<InstrumentIndex, DataKind>>()
                .map(|event| (None, Delivered::Market(event)))
                .boxed(),
        );
    }
    Ok(futures::stream::select_all(feeds).boxed())
}

/// One of barter-data's reconnecting streams for `subs` of `kind` on `exchange`.
fn stream<Exchange>(
    _exchange: Exchange,
    subs: Vec<Wanted>,
    kind: SubKind,
) -> BoxFuture<'static, Result<Feed, Failed>>
where
    Exchange: StreamSelector<Wanted, PublicTrades>
        + StreamSelector<Wanted, OrderBooksL1>
        + Default
        + Clone
        + Send
        + Sync
        + 'static,
    Subscription<Exchange, Wanted, PublicTrades>: Identifier<<Exchange as barter_data::exchange::Connector>::Channel>
        + Identifier<<Exchange as barter_data::exchange::Connector>::Market>,
    Subscription<Exchange, Wanted, OrderBooksL1>: Identifier<<Exchange as barter_data::exchange::Connector>::Channel>
        + Identifier<<Exchange as barter_data::exchange::Connector>::Market>,
{
    let exchange = <Exchange as barter_data::exchange::Connector>::ID;
    match kind {
        SubKind::PublicTrades => of_kind::<Exchange, PublicTrades>(subs, PublicTrades).boxed(),
        SubKind::OrderBooksL1 => of_kind::<Exchange, OrderBooksL1>(subs, OrderBooksL1).boxed(),
        other => async move {
            Err(Failed {
                exchange,
                error: DataError::Unsupported {
                    exchange,
                    sub_kind: other,
                },
            })
        }
        .boxed(),
    }
}

async fn of_kind<Exchange, Kind>(subs: Vec<Wanted>, kind: Kind) -> Result<Feed, Failed>
where
    Exchange: StreamSelector<Wanted, Kind> + Default + Clone + Send + Sync + 'static,
    Kind: SubscriptionKind + Display + Clone + Send + Sync + 'static,
    Kind::Event: Send + 'static,
    Subscription<Exchange, Wanted, Kind>: Identifier<<Exchange as barter_data::exchange::Connector>::Channel>
        + Identifier<<Exchange as barter_data::exchange::Connector>::Market>,
    MarketStreamResult<InstrumentIndex, Kind::Event>:
        Into<MarketStreamResult<InstrumentIndex, DataKind>>,
{
    let exchange = <Exchange as barter_data::exchange::Connector>::ID;
    let subscriptions: Vec<_> = subs
        .into_iter()
        .map(|sub| Subscription::new(Exchange::default(), sub, kind.clone()))
        .collect();
    let init = move || -> Init {
        let subscriptions = subscriptions.clone();
        async move {
            let stream = init_market_stream(STREAM_RECONNECTION_POLICY, subscriptions).await?;
            Ok(stream.map(Into::into).boxed())
        }
        .boxed()
    };
    opened(exchange, init).await
}

/// A Binance L2 book behind the SDK's server (`depth`): barter's transformer, the snapshot
/// from the endpoint's host.
fn binance_l2<Book: BinanceBook>(subs: Vec<Wanted>) -> BoxFuture<'static, Result<Feed, Failed>> {
    let exchange = <Book::Server as ExchangeServer>::ID;
    let init = move || -> Init {
        depth::connect::<Book, Wanted>(subs.clone())
            .map(|books| books.map(|books| books.map(Into::into).boxed()))
            .boxed()
    };
    opened(exchange, init).boxed()
}

/// A stream's first connection, which must succeed, then `guarded`.
async fn opened(
    exchange: ExchangeId,
    init: impl Fn() -> Init + Send + 'static,
) -> Result<Feed, Failed> {
    let first = init().await.map_err(|error| Failed { exchange, error })?;
    Ok(guarded(exchange, first, init))
}

type Market = BoxStream<'static, MarketStreamResult<InstrumentIndex, DataKind>>;
type Init = BoxFuture<'static, Result<Market, DataError>>;

/// One of barter-data's streams, caught at its edge: a panic while barter-data reads a frame
/// (its parser trusts the exchange, e.g. chrono overflows on a trade time of `i64::MAX`) is
/// delivered as `Panicked`, and the stream is initialised again, with barter-data's backoff
/// between failed attempts.
fn guarded(exchange: ExchangeId, first: Market, init: impl Fn() -> Init + Send + 'static) -> Feed {
    let backoff = Duration::from_millis(STREAM_RECONNECTION_POLICY.backoff_ms_initial);
    let state = (Some(first), init, backoff);
    futures::stream::unfold(state, move |(mut stream, init, mut backoff)| async move {
        loop {
            let Some(mut up) = stream.take() else {
                tokio::time::sleep(backoff).await;
                match init().await {
                    Ok(again) => stream = Some(again),
                    Err(error) => {
                        let max = STREAM_RECONNECTION_POLICY.backoff_ms_max;
                        let next =
                            backoff * u32::from(STREAM_RECONNECTION_POLICY.backoff_multiplier);
                        backoff = next.min(Duration::from_millis(max));
                        let failed = Delivered::Market(reconnect::Event::Item(Err(error)));
                        return Some(((Some(exchange), failed), (None, init, backoff)));
                    }
                }
                continue;
            };
            let initial = Duration::from_millis(STREAM_RECONNECTION_POLICY.backoff_ms_initial);
            let polled =
                futures::future::poll_fn(|cx| match catch_quietly(|| up.poll_next_unpin(cx)) {
                    Ok(Poll::Pending) => Poll::Pending,
                    Ok(Poll::Ready(event)) => Poll::Ready(Ok(event)),
                    Err(panic) => Poll::Ready(Err(panic)),
                });
            return match polled.await {
                Ok(Some(event)) => Some((
                    (Some(exchange), Delivered::Market(event)),
                    (Some(up), init, initial),
                )),
                Ok(None) => None,
                Err(panic) => {
                    // The socket goes with the stream; a panic dropping it is caught too.
                    let _ = std::panic::catch_unwind(AssertUnwindSafe(move || drop(up)));
                    let why = panic_text(panic.as_ref());
                    Some((
                        (Some(exchange), Delivered::Panicked(why)),
                        (None, init, initial),
                    ))
                }
            };
        }
    })
    .boxed()
}
