//! Binance's L2 books (barter-data's `OrderBooksL2`, spec §12) behind the SDK's servers.
//!
//! barter-data implements Binance's L2 stream for its own server types only, and fetches the
//! book's starting snapshot from a constant HTTPS URL, so an endpoint (a local exchange, a
//! proxy) could stream the diffs but never the snapshot. Here barter's own transformer (its
//! Binance sequencing rules, unchanged) answers for the SDK's servers, and the snapshot comes
//! from the endpoint's host when one is set, else from barter's URL.

use barter_data::error::DataError;
use barter_data::event::MarketEvent;
use barter_data::exchange::binance::book::l2::BinanceOrderBookL2Snapshot;
use barter_data::exchange::binance::market::BinanceMarket;
use barter_data::exchange::binance::{Binance, BinanceWsStream};
use barter_data::exchange::{Connector, ExchangeServer};
use barter_data::instrument::InstrumentData;
use barter_data::streams::consumer::{MarketStreamResult, StreamKey, STREAM_RECONNECTION_POLICY};
use barter_data::streams::reconnect::stream::{init_reconnecting_stream, ReconnectingStream};
use barter_data::subscription::book::{OrderBookEvent, OrderBooksL2};
use barter_data::subscription::{Subscription, SubscriptionKind};
use barter_data::transformer::ExchangeTransformer;
use barter_data::{Identifier, MarketStream, SnapshotFetcher};
use barter_instrument::instrument::InstrumentIndex;
use barter_integration::error::SocketError;
use barter_integration::Transformer;
use futures::future::{try_join_all, BoxFuture};
use futures::{FutureExt, StreamExt};
use serde::de::DeserializeOwned;
use std::fmt::Display;
use std::future::Future;

/// barter's transformer, unchanged, answering for one of the SDK's servers.
pub struct Relayed<T>(pub T);

impl<T: Transformer> Transformer for Relayed<T> {
    type Error = T::Error;
    type Input = T::Input;
    type Output = T::Output;
    type OutputIter = T::OutputIter;

    fn transform(&mut self, input: Self::Input) -> Self::OutputIter {
        self.0.transform(input)
    }
}

/// One Binance market whose L2 book the SDK streams: barter's server and transformer for it,
/// the SDK's server and its endpoint, and where the REST snapshot is.
pub trait BinanceBook: Send + Sync + 'static {
    type Server: ExchangeServer + Sync + 'static;
    type Transformer: ExchangeTransformer<Binance<Self::Server>, InstrumentIndex, OrderBooksL2>
        + Transformer<Input: DeserializeOwned>
        + Send;
    const SNAPSHOT_PATH: &'static str;
    const SNAPSHOT_URL: &'static str;
    /// The endpoint the SDK's server streams from, if one is set.
    fn endpoint() -> Option<&'static str>;
}

/// A `BinanceBook` for one of the SDK's servers: `$barter`'s transformer relayed for it.
macro_rules! binance_book {
    ($name:ident, $server:ty, $endpoint:expr, $barter:ty, $transformer:ident, $path:expr, $url:expr) => {
        pub struct $name;

        impl $crate::live::depth::BinanceBook for $name {
            type Server = $server;
            type Transformer = $crate::live::depth::Relayed<
                $transformer<barter_instrument::instrument::InstrumentIndex>,
            >;
            const SNAPSHOT_PATH: &'static str = $path;
            const SNAPSHOT_URL: &'static str = $url;
            fn endpoint() -> Option<&'static str> {
                $endpoint
            }
        }

        #[async_trait::async_trait]
        impl<Key>
            barter_data::transformer::ExchangeTransformer<
                barter_data::exchange::binance::Binance<$server>,
                Key,
                barter_data::subscription::book::OrderBooksL2,
            > for $crate::live::depth::Relayed<$transformer<Key>>
        where
            Key: Clone + PartialEq + Send + Sync,
        {
            async fn init(
                instruments: barter_data::subscription::Map<Key>,
                snapshots: &[barter_data::event::MarketEvent<
                    Key,
                    barter_data::subscription::book::OrderBookEvent,
                >],
                sink: tokio::sync::mpsc::UnboundedSender<
                    barter_integration::protocol::websocket::WsMessage,
                >,
            ) -> Result<Self, barter_data::error::DataError> {
                <$transformer<Key> as barter_data::transformer::ExchangeTransformer<
                    $barter,
                    Key,
                    barter_data::subscription::book::OrderBooksL2,
                >>::init(instruments, snapshots, sink)
                .await
                .map($crate::live::depth::Relayed)
            }
        }
    };
}
pub(crate) use binance_book;

/// Where the book's starting snapshot is fetched: on the endpoint's host (`ws` becomes
/// `http`, `wss` `https`) when one is set, else barter-data's URL.
pub fn snapshot_url<Book: BinanceBook>() -> String {
    let endpoint = Book::endpoint().and_then(|url| url::Url::parse(url).ok());
    let Some(mut url) = endpoint else {
        return Book::SNAPSHOT_URL.to_string();
    };
    let scheme = if url.scheme() == "wss" {
        "https"
    } else {
        "http"
    };
    // Both are special schemes of the same kind as ws/wss, which `set_scheme` allows.
    let _ = url.set_scheme(scheme);
    url.set_path(Book::SNAPSHOT_PATH);
    url.set_query(None);
    url.to_string()
}

/// barter-data's snapshot fetch (`?symbol=..&limit=100`, its JSON, its conversion), from
/// `snapshot_url`.
pub struct Snapshots<Book>(std::marker::PhantomData<Book>);

impl<Book: BinanceBook> SnapshotFetcher<Binance<Book::Server>, OrderBooksL2> for Snapshots<Book> {
    fn fetch_snapshots<Instrument>(
        subscriptions: &[Subscription<Binance<Book::Server>, Instrument, OrderBooksL2>],
    ) -> impl Future<Output = Result<Vec<MarketEvent<Instrument::Key, OrderBookEvent>>, SocketError>>
           + Send
    where
        Instrument: InstrumentData,
        OrderBooksL2: SubscriptionKind,
        <OrderBooksL2 as SubscriptionKind>::Event: Send,
        Subscription<Binance<Book::Server>, Instrument, OrderBooksL2>:
            Identifier<<Binance<Book::Server> as Connector>::Market>,
    {
        let base = snapshot_url::<Book>();
        let fetches = subscriptions.iter().map(move |subscription| {
            let market: BinanceMarket = subscription.id();
            let url = format!("{base}?symbol={}&limit=100", market.0);
            let key = subscription.instrument.key().clone();
            async move {
                let snapshot = reqwest::get(url)
                    .await
                    .map_err(SocketError::Http)?
                    .json::<BinanceOrderBookL2Snapshot>()
                    .await
                    .map_err(SocketError::Http)?;
                Ok(MarketEvent::from((
                    <Book::Server as ExchangeServer>::ID,
                    key,
                    snapshot,
                )))
            }
        });
        try_join_all(fetches)
    }
}

type Books =
    futures::stream::BoxStream<'static, MarketStreamResult<InstrumentIndex, OrderBookEvent>>;

/// barter-data's reconnecting market stream (`init_market_stream`'s steps: reconnect with its
/// backoff, end a connection on a terminal error, say `Reconnecting`), for a Binance L2 book
/// behind the SDK's server.
pub fn connect<Book, Instrument>(
    subs: Vec<Instrument>,
) -> BoxFuture<'static, Result<Books, DataError>>
where
    Book: BinanceBook,
    Instrument: InstrumentData<Key = InstrumentIndex> + Display + Clone + Send + Sync + 'static,
    Subscription<Binance<Book::Server>, Instrument, OrderBooksL2>: Identifier<<Binance<Book::Server> as Connector>::Channel>
        + Identifier<<Binance<Book::Server> as Connector>::Market>,
{
    let exchange = <Book::Server as ExchangeServer>::ID;
    let subscriptions: Vec<_> = subs
        .into_iter()
        .map(|sub| Subscription::new(Binance::<Book::Server>::default(), sub, OrderBooksL2))
        .collect();
    async move {
        let key = StreamKey::new("market_stream", exchange, Some("l2"));
        let stream = init_reconnecting_stream(move || {
            let subscriptions = subscriptions.clone();
            async move {
                <BinanceWsStream<Book::Transformer> as MarketStream<
                    Binance<Book::Server>,
                    Instrument,
                    OrderBooksL2,
                >>::init::<Snapshots<Book>>(&subscriptions)
                .await
            }
        })
        .await?
        .with_reconnect_backoff(STREAM_RECONNECTION_POLICY, key)
        .with_termination_on_error(|error: &DataError| error.is_terminal(), key)
        .with_reconnection_events(exchange);
        Ok(stream.boxed())
    }
    .boxed()
}
