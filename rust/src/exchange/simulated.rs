//! The simulated exchange (spec §8): orders fill against the exchange's own view of the market
//! (`market::Quote`), never at the price they name; cash and margin accounts stay right; limit
//! orders rest and fill when the market crosses them; cancels work; latency passes in event
//! time. It answers with barter's own account events (balance snapshots, trades with fees,
//! order snapshots, cancel responses), which barter's engine processes as it would a real
//! exchange's. Deterministic: exchange order ids are sequential, nothing reads a clock.

use super::conditional::Book;
use super::depth::position::{Model, Queue};
use super::depth::Depth;
use super::latency::{self, Entry, Latency, Responses};
use super::market::{Quote, Touch};
use crate::book::snapshot::Spec;
use barter::execution::request::ExecutionRequest;
use barter_data::event::{DataKind, MarketEvent};
use barter_execution::{
    balance::{AssetBalance, Balance},
    error::{ApiError, OrderError},
    order::{
        id::OrderId,
        request::{OrderRequestCancel, OrderRequestOpen, OrderResponseCancel, RequestOpen},
        state::{Cancelled, InactiveOrderState, Open, OrderState},
        Order, OrderKey, OrderKind, TimeInForce,
    },
    trade::{AssetFees, Trade, TradeId},
    AccountEvent, AccountEventKind,
};
use barter_instrument::{
    asset::AssetIndex, exchange::ExchangeIndex, instrument::InstrumentIndex, Side,
};
use barter_integration::collection::snapshot::Snapshot;
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use std::collections::VecDeque;
pub use triggers::{Check, Condition};

mod triggers;

/// How the account holds what it trades.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Account {
    /// Spot: buying takes quote and adds base; nothing is sold that is not held.
    Cash,
    /// Base balances do not move; fills settle realised PnL and fees in the quote asset.
    Margin,
}

/// How much of an order one crossing may fill.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FillVolume {
    Unlimited,
    /// At most what the book shows at the touch (or the crossing trade's amount).
    Displayed,
}

/// When a resting limit order counts as crossed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LimitFill {
    /// A trade strictly beyond the limit, or a book whose opposite side is: never flatters.
    Through,
    /// At the limit or beyond.
    Touch,
}

/// The exchange's rules, validated by `barter_python.exchange.SimulatedExchange`.
#[derive(Debug, Clone)]
pub struct Settings {
    pub account: Account,
    pub leverage: Decimal,
    pub taker_fee: Decimal,
    pub maker_fee: Decimal,
    pub slippage_bps: Decimal,
    pub fill_volume: FillVolume,
    pub limit_fill: LimitFill,
    /// The queue position model of resting orders on an L2 book (spec §12); `None`:
    /// `limit_fill` decides.
    pub queue: Option<Model>,
    pub latency: Latency,
}

/// One instrument the exchange lists: barter's indices of its exchange and assets, and its
/// name for messages (`binance_spot:btc_usdt`).
#[derive(Debug, Clone)]
pub struct Listing {
    pub exchange: ExchangeIndex,
    pub base: AssetIndex,
    pub quote: AssetIndex,
    pub name: String,
    /// The lot and tick sizes orders must keep to, if the snapshot gave them.
    pub spec: Option<Spec>,
}

/// Where an order stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Open,
    Filled,
    PartiallyFilled,
    Cancelled,
    Expired,
    Refused,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Open => "open",
            Status::Filled => "filled",
            Status::PartiallyFilled => "partially_filled",
            Status::Cancelled => "cancelled",
            Status::Expired => "expired",
            Status::Refused => "refused",
        }
    }
}

/// Every order the exchange was sent, as it stands.
#[derive(Debug, Clone)]
pub struct OrderRecord {
    /// When it was sent (the exchange's time then).
    pub time: DateTime<Utc>,
    pub key: OrderKey<ExchangeIndex, InstrumentIndex>,
    pub request: RequestOpen,
    pub filled: Decimal,
    /// Σ price × quantity of its fills.
    pub notional: Decimal,
    pub fees: Decimal,
    pub status: Status,
    pub reason: Option<String>,
    /// A conditional order's trigger (spec §13); `request` is what it sends when triggered.
    pub condition: Option<Box<Condition>>,
    /// What the L2 book held ahead of it when it came to rest, under a queue model (spec §12).
    pub queue_ahead: Option<Decimal>,
}

impl OrderRecord {
    pub fn average_price(&self) -> Option<Decimal> {
        (!self.filled.is_zero()).then(|| self.notional / self.filled)
    }

    fn remaining(&self) -> Decimal {
        self.request.quantity - self.filled
    }
}

/// A balance and the part of it resting orders hold.
#[derive(Debug, Clone, Copy, Default)]
struct Holding {
    total: Decimal,
    reserved: Decimal,
}

impl Holding {
    fn free(&self) -> Decimal {
        self.total - self.reserved
    }
}

/// A margin position: signed quantity (negative = short) and average entry price.
#[derive(Debug, Clone, Copy, Default)]
struct Position {
    quantity: Decimal,
    entry: Decimal,
}

/// A limit order on the book: its record, what it holds of its asset (quote for a Buy, base
/// for a Sell; nothing on a margin account) and when it reached the exchange: an event stamped
/// earlier (a recording that mixes clocks replays it late) never fills it.
#[derive(Debug, Clone, Copy)]
struct Resting {
    order: usize,
    reserved: Decimal,
    since: DateTime<Utc>,
    /// Its place in its level's queue, under a queue model with an L2 book.
    queue: Option<Queue>,
}

/// A request on its way to the exchange (latency).
#[derive(Debug, Clone)]
enum Pending {
    Open(usize),
    Cancel(OrderRequestCancel<ExchangeIndex, InstrumentIndex>),
    /// Conditional orders (their records), and the entry whose fills grow them if any.
    Place(
        Vec<usize>,
        Option<barter_execution::order::id::ClientOrderId>,
    ),
}

pub type Event = AccountEvent<ExchangeIndex, AssetIndex, InstrumentIndex>;

/// The exchange: its market view, its accounts, its book of resting orders and its order log.
#[derive(Debug, Clone)]
pub struct Simulated {
    settings: Settings,
    listings: Vec<Listing>,
    quotes: Vec<Quote>,
    /// Per instrument, its L2 book (empty until an L2 event).
    depths: Vec<Depth>,
    holdings: Vec<Holding>,
    positions: Vec<Position>,
    resting: Vec<Resting>,
    pending: VecDeque<(DateTime<Utc>, Pending)>,
    orders: Vec<OrderRecord>,
    /// Untriggered conditional orders (boxed: strategy calls read it where it lies).
    conditional: Box<Book>,
    /// The latest exchange time of the market events seen (event time, never the wall clock);
    /// before the first, the time the exchange was made at.
    now: DateTime<Utc>,
    /// The time the exchange was made at, and barter's engine with it.
    made: DateTime<Utc>,
    /// Whether a market event has set `now` yet.
    started: bool,
    /// The data ended: no later market event will come, so requests arrive at once.
    ended: bool,
    /// Per instrument, whether its last market event was a candle: its close is its last
    /// price, so a request sent now reaches the market at the instrument's next price
    /// (`route`, `simulated/candle.rs`).
    after_candle: Vec<bool>,
    /// Requests held until their instrument's next market event, in the order sent.
    held: Vec<(InstrumentIndex, Pending)>,
    /// What the run should know of how it was simulated (a queue model without L2 data).
    warnings: Vec<String>,
    /// Answers on their way to barter's engine (response latency).
    responses: Responses<Event>,
    /// The strategy's clock when it runs apart from the exchange's (two clocks, spec §12):
    /// what it sends leaves then.
    local: Option<DateTime<Utc>>,
}

const BPS: Decimal = Decimal::from_parts(10_000, 0, 0, false, 0);

impl Simulated {
    /// An exchange listing `listings` (by barter's `InstrumentIndex`), holding `balances` (by
    /// barter's `AssetIndex`), its clock at `now` until the first market event.
    pub fn new(
        settings: Settings,
        listings: Vec<Listing>,
        quotes: Vec<Quote>,
        balances: Vec<Decimal>,
        now: DateTime<Utc>,
    ) -> Self {
        let listings_len = listings.len();
        let positions = vec![Position::default(); listings_len];
        let conditional = Box::new(Book::new(listings_len));
        let holdings = balances
            .into_iter()
            .map(|total| Holding {
                total,
                reserved: Decimal::ZERO,
            })
            .collect();
        Self {
            settings,
            listings,
            quotes,
            depths: vec![Depth::default(); listings_len],
            holdings,
            positions,
            resting: Vec::new(),
            pending: VecDeque::new(),
            orders: Vec::new(),
            conditional,
            now,
            made: now,
            started: false,
            ended: false,
            after_candle: vec![false; listings_len],
            held: Vec::new(),
            warnings: Vec::new(),
            responses: Responses::default(),
            local: None,
        }
    }

    /// A position the account holds from the start (margin accounts settle against it).
    pub fn hold(
        &mut self,
        instrument: InstrumentIndex,
        side: Side,
        quantity: Decimal,
        entry: Decimal,
    ) {
        let signed = match side {
            Side::Buy => quantity,
            Side::Sell => -quantity,
        };
        if let Some(position) = self.positions.get_mut(instrument.index()) {
            *position = Position {
                quantity: signed,
                entry,
            };
        }
    }

    pub fn orders(&self) -> &[OrderRecord] {
        &self.orders
    }

    /// Whether any limit order rests on the book.
    pub fn has_resting(&self) -> bool {
        !self.resting.is_empty()
    }

    /// Every instrument's quote, in barter's instrument order (the buffer never moves).
    pub fn quotes(&self) -> &[Quote] {
        &self.quotes
    }

    pub fn quote(&self, instrument: InstrumentIndex) -> &Quote {
        &self.quotes[instrument.index()]
    }

    pub fn listing(&self, instrument: InstrumentIndex) -> &Listing {
        &self.listings[instrument.index()]
    }

    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// One market event, before anything else happens at it: the view is updated,
    /// conditional orders it triggers are sent (`check`: the risk manager's), resting orders
    /// it crosses fill, day orders of an ended day expire, and requests whose latency has
    /// passed arrive and are handled against the market as of this event.
    pub fn on_market(
        &mut self,
        event: &MarketEvent<InstrumentIndex, DataKind>,
        check: &mut Check<'_>,
        out: &mut Vec<Event>,
    ) {
        if self.local.is_some() {
            // Two clocks: what arrives before this event's time is handled at its time.
            self.arrive_until(event.time_exchange, true, check);
        }
        self.advance(event.time_exchange);
        let instrument = event.instrument.index();
        if instrument >= self.quotes.len() {
            return;
        }
        if let DataKind::Candle(candle) = &event.kind {
            return self.candle(event.instrument, candle, check, out);
        }
        if let DataKind::OrderBook(book) = &event.kind {
            self.depth_update(instrument, book);
        }
        self.quotes[instrument].update(&event.kind);
        if !self.conditional.is_empty() {
            self.trigger(event, check, out);
        }
        if !self.resting.is_empty() {
            self.expire_days(out);
            self.cross(event, out);
        }
        self.release(event.instrument, check, out);
    }

    /// Requests whose time has come reach the exchange: those held for `instrument`'s next
    /// price, then those whose latency has passed.
    fn release(
        &mut self,
        instrument: InstrumentIndex,
        check: &mut Check<'_>,
        out: &mut Vec<Event>,
    ) {
        self.after_candle[instrument.index()] = false;
        if self.held.iter().any(|(of, _)| *of == instrument) {
            let (now, later) = std::mem::take(&mut self.held)
                .into_iter()
                .partition(|(of, _)| *of == instrument);
            self.held = later;
            for (_, pending) in now {
                self.arrive(pending, check, out);
            }
        }
        while self
            .pending
            .front()
            .is_some_and(|(arrival, _)| *arrival <= self.now)
        {
            if let Some((_, pending)) = self.pending.pop_front() {
                self.arrive(pending, check, out);
            }
        }
    }

    /// The clock follows the events' exchange time, never backwards. The first event sets it
    /// whatever the exchange was made at (an `Engine` is made at the wall clock, its events
    /// may be historical): what was sent before it arrives `latency_ms` after it, and what
    /// rests since before it counts as placed at it.
    fn advance(&mut self, time: DateTime<Utc>) {
        if self.started {
            self.now = self.now.max(time);
            return;
        }
        self.started = true;
        // Each request keeps the latency it was sent with.
        let shift = time - self.now;
        self.now = time;
        for (at, _) in &mut self.pending {
            *at += shift;
        }
        for resting in &mut self.resting {
            resting.since = time;
        }
    }

    /// When what is sent now leaves: the strategy's time with two clocks, else the
    /// exchange's.
    fn sent_at(&self) -> DateTime<Utc> {
        self.local.map_or(self.now, |local| local.max(self.now))
    }

    /// The strategy's clock, apart from the exchange's (two clocks): requests sent from now on
    /// leave at `time`.
    pub fn set_local(&mut self, time: DateTime<Utc>) {
        self.local = Some(time);
    }

    /// With two clocks, requests whose latency has passed by exchange time `until` (before it
    /// with `strict`: market events at `until` come first) reach the exchange at their time,
    /// between market events.
    pub fn arrive_until(&mut self, until: DateTime<Utc>, strict: bool, check: &mut Check<'_>) {
        while let Some(&(arrival, _)) = self.pending.front() {
            if arrival > until || (strict && arrival == until) {
                return;
            }
            self.now = self.now.max(arrival);
            if let Some((_, pending)) = self.pending.pop_front() {
                // Its answers leave at its time, before the exchange's clock moves on; the
                // strategy view that follows delivers those due by then.
                let mut answers = Vec::new();
                self.arrive(pending, check, &mut answers);
                self.responses.push(self.answered_at(), answers);
            }
        }
    }

    /// The answers in `out` (the exchange's, at its time now) go to barter's engine at once,
    /// or wait for their response latency behind any answer still on its way.
    pub fn respond(&mut self, out: &mut Vec<Event>) {
        if out.is_empty() || self.ended {
            return;
        }
        let at = self.answered_at();
        // Due by the strategy's present (one clock: the exchange's) and nothing before it:
        // with two clocks, what an exchange view causes waits for the next strategy view.
        let present = latency::nanos(self.local.unwrap_or(self.now));
        if self.responses.is_empty() && at <= present {
            return;
        }
        self.responses.push(at, out.drain(..));
    }

    /// When an answer the exchange gives now reaches barter's engine.
    fn answered_at(&self) -> i64 {
        let now = latency::nanos(self.now);
        now.saturating_add(self.settings.latency.response(now))
    }

    /// The answers that reach barter's engine by strategy time `until`.
    pub fn deliver(&mut self, until: DateTime<Utc>, out: &mut Vec<Event>) {
        if !self.responses.is_empty() {
            self.responses.due(until, out);
        }
    }

    /// A request from barter's engine: handled now with no latency, else on its way.
    pub fn request(
        &mut self,
        request: ExecutionRequest,
        check: &mut Check<'_>,
        out: &mut Vec<Event>,
    ) {
        let pending = match request {
            ExecutionRequest::Open(open) => {
                let OrderRequestOpen { key, state } = open;
                self.orders.push(OrderRecord {
                    time: self.sent_at(),
                    key,
                    request: state,
                    filled: Decimal::ZERO,
                    notional: Decimal::ZERO,
                    fees: Decimal::ZERO,
                    status: Status::Open,
                    reason: None,
                    condition: None,
                    queue_ahead: None,
                });
                Pending::Open(self.orders.len() - 1)
            }
            ExecutionRequest::Cancel(cancel) => Pending::Cancel(cancel),
            ExecutionRequest::Shutdown => return,
        };
        if let Some(pending) = self.route(pending, out) {
            self.arrive(pending, check, out);
        }
    }

    /// A request sent now: on its way (latency; first in, first out), turned away (a recorded
    /// rejection, its answer on its way), held for its instrument's next price (after a
    /// candle), or given back to reach the exchange at once.
    fn route(&mut self, pending: Pending, out: &mut Vec<Event>) -> Option<Pending> {
        let instrument = match &pending {
            Pending::Open(order) => self.orders[*order].key.instrument,
            Pending::Cancel(cancel) => cancel.key.instrument,
            Pending::Place(orders, _) => match orders.first() {
                Some(order) => self.orders[*order].key.instrument,
                None => return None,
            },
        };
        if self.ended {
            return Some(pending);
        }
        let sent = self.sent_at();
        let delay = |nanos: i64| sent + chrono::Duration::nanoseconds(nanos);
        match self.settings.latency.entry(latency::nanos(sent)) {
            Entry::Arrives(0) => {}
            Entry::Arrives(nanos) => {
                let arrival = self
                    .pending
                    .back()
                    .map_or(delay(nanos), |(last, _)| delay(nanos).max(*last));
                self.pending.push_back((arrival, pending));
                return None;
            }
            Entry::Rejected(nanos) => {
                // What was answered before it goes first.
                self.respond(out);
                let reason = format!(
                    "rejected by the exchange ({})",
                    self.settings.latency.describe()
                );
                let mut answer = Vec::new();
                match pending {
                    Pending::Open(order) => self.refuse(order, None, reason, &mut answer),
                    other => self.never_arrives(other, reason, &mut answer),
                }
                self.responses.push(latency::nanos(delay(nanos)), answer);
                return None;
            }
        }
        if self.after_candle.get(instrument.index()) == Some(&true) {
            self.held.push((instrument, pending));
            return None;
        }
        // With two clocks it reaches the exchange at the strategy's time.
        self.now = sent;
        Some(pending)
    }

    /// The data ended: what is still on its way never arrives (resting orders stay open), and
    /// what is sent from now on (the end-of-data close) is handled at once.
    pub fn end(&mut self, out: &mut Vec<Event>) {
        self.ended = true;
        // Answers still on their way reach barter's engine before the results are made.
        self.responses.all(out);
        let reason = format!(
            "did not reach the exchange before the data ended ({})",
            self.settings.latency.describe()
        );
        for (_, pending) in std::mem::take(&mut self.pending) {
            self.never_arrives(pending, reason.clone(), out);
        }
        let reason = "sent at a candle's close: no price came after it before the data ended";
        for (_, pending) in std::mem::take(&mut self.held) {
            self.never_arrives(pending, reason.into(), out);
        }
    }

    fn never_arrives(&mut self, pending: Pending, reason: String, out: &mut Vec<Event>) {
        match pending {
            Pending::Open(order) => self.expire(order, reason, out),
            Pending::Cancel(cancel) => self.refuse_cancel(cancel, reason, out),
            Pending::Place(orders, _) => {
                for order in orders {
                    self.expire(order, reason.clone(), out);
                }
            }
        }
    }

    fn arrive(&mut self, pending: Pending, check: &mut Check<'_>, out: &mut Vec<Event>) {
        match pending {
            Pending::Open(order) => self.open(order, out),
            Pending::Cancel(cancel) => self.cancel(cancel, out),
            Pending::Place(orders, entry) => self.take_in(orders, entry, check, out),
        }
    }

    fn open(&mut self, order: usize, out: &mut Vec<Event>) {
        let record = &self.orders[order];
        let (key, request) = (record.key.clone(), record.request.clone());
        let instrument = key.instrument.index();
        let Some(listing) = self.listings.get(instrument) else {
            return self.refuse(
                order,
                None,
                "instrument not listed on the exchange".into(),
                out,
            );
        };
        if request.quantity <= Decimal::ZERO {
            let reason = format!("quantity must be > 0, got {}", request.quantity);
            return self.refuse(order, None, reason, out);
        }
        if request.kind == OrderKind::Limit && request.price <= Decimal::ZERO {
            let reason = format!("a limit order needs a price > 0, got {}", request.price);
            return self.refuse(order, None, reason, out);
        }
        if let Some(resting) = self
            .resting
            .iter()
            .find(|r| self.orders[r.order].key.cid == key.cid)
            .map(|r| r.order)
        {
            let reason = format!("an open order already has cid {}", key.cid);
            self.refuse(order, None, reason, out);
            // barter keys its orders by cid alone: the refusal removed the resting order from
            // barter's state, so it is reported again, as it stands.
            let open = self.open_state(resting);
            out.push(self.snapshot(resting, OrderState::active(open)));
            return;
        }
        let Some(touch) = self.touch(key.instrument, request.side) else {
            let reason = format!("no market for {} yet", listing.name);
            return self.refuse(order, None, reason, out);
        };
        let limit = (request.kind == OrderKind::Limit).then_some(request.price);
        let breach = listing.spec.and_then(|spec| {
            spec.breach(
                request.quantity,
                limit.unwrap_or(touch.price),
                limit.is_some(),
            )
        });
        if let Some(reason) = breach {
            return self.refuse(order, None, format!("{}: {reason}", listing.name), out);
        }
        let marketable = match (limit, request.side) {
            (None, _) => true,
            (Some(limit), Side::Buy) => limit >= touch.price,
            (Some(limit), Side::Sell) => limit <= touch.price,
        };
        if marketable {
            if let TimeInForce::GoodUntilCancelled { post_only: true } = request.time_in_force {
                let reason = format!(
                    "post-only order would take liquidity: limit {} against the touch {}",
                    request.price, touch.price
                );
                return self.refuse(order, None, reason, out);
            }
            return self.take(order, touch, limit, out);
        }
        match request.time_in_force {
            TimeInForce::ImmediateOrCancel | TimeInForce::FillOrKill => {
                let reason = format!(
                    "limit {} not marketable against the touch {} ({:?})",
                    request.price, touch.price, request.time_in_force
                );
                self.expire(order, reason, out)
            }
            TimeInForce::GoodUntilCancelled { .. } | TimeInForce::GoodUntilEndOfDay => {
                if let Err(Refusal(asset, reason)) = self.rest(order, out) {
                    self.refuse(order, asset, reason, out);
                }
            }
        }
    }

    /// Fill at the touch (an L1 book's or the last trade), or walk an L2 book from the best
    /// level outwards (spec §12), each fill made worse by the slippage, never beyond the limit.
    fn take(&mut self, order: usize, touch: Touch, limit: Option<Decimal>, out: &mut Vec<Event>) {
        let request = &self.orders[order].request;
        let (side, quantity, tif) = (request.side, request.quantity, request.time_in_force);
        let instrument = self.orders[order].key.instrument.index();
        // "unlimited" is for market orders only: a limit order takes at most what the book
        // shows (its touch is within the limit: it is marketable).
        let unlimited = limit.is_none() && self.settings.fill_volume == FillVolume::Unlimited;
        let depth = &self.depths[instrument];
        let walks = depth.has_book() && !depth.levels(super::depth::opposite(side)).is_empty();
        let shown = if unlimited { None } else { touch.amount };
        let mut levels = if walks {
            depth.walk(side, quantity, limit)
        } else {
            vec![(
                touch.price,
                shown.map_or(quantity, |shown| quantity.min(shown)),
            )]
        };
        let mut fill: Decimal = levels.iter().map(|(_, quantity)| *quantity).sum();
        if walks && unlimited && fill < quantity {
            // The rest at the last level taken: the replayed book cannot show what lies beyond.
            match levels.last_mut() {
                Some((_, last)) => *last += quantity - fill,
                None => levels.push((touch.price, quantity)),
            }
            fill = quantity;
        }
        let shown_at = if walks {
            "in the book within its limit".to_string()
        } else {
            format!("displayed at the touch {}", touch.price)
        };
        if fill < quantity && tif == TimeInForce::FillOrKill {
            let reason = format!("FillOrKill: only {fill} {shown_at}");
            return self.expire(order, reason, out);
        }
        // The marketable part of a GTC or day order takes; its remainder rests.
        let rests = limit.is_some()
            && matches!(
                tif,
                TimeInForce::GoodUntilCancelled { .. } | TimeInForce::GoodUntilEndOfDay
            );
        if fill <= Decimal::ZERO {
            if rests {
                if let Err(Refusal(asset, reason)) = self.rest(order, out) {
                    self.refuse(order, asset, reason, out);
                }
                return;
            }
            let reason = format!("nothing displayed at the touch {}", touch.price);
            return self.expire(order, reason, out);
        }
        let mut fills = Vec::with_capacity(levels.len());
        for (level, quantity) in levels.into_iter().filter(|(_, q)| !q.is_zero()) {
            let Some(price) = self.slipped(side, level, limit) else {
                let reason = format!(
                    "the touch {level} with {} bps of slippage is beyond barter's decimal range",
                    self.settings.slippage_bps
                );
                return self.refuse(order, None, reason, out);
            };
            fills.push((level, price, quantity));
        }
        let fee = self.settings.taker_fee;
        if let Err(Refusal(asset, reason)) = self.affordable_fills(order, side, &fills, fee) {
            return self.refuse(order, asset, reason, out);
        }
        for (level, price, quantity) in fills {
            if let Err(reason) = self.fill(order, price, quantity, fee, out) {
                if self.orders[order].filled.is_zero() {
                    return self.refuse(order, None, reason, out);
                }
                return self.expire(order, reason, out);
            }
            // What it took is not offered again until the feed changes the level.
            if walks {
                self.depths[instrument].take(side, level, quantity);
            } else if shown.is_some() {
                self.quotes[instrument].consume(side, quantity);
            }
        }
        if fill == quantity {
            return self.finish(order, Status::Filled, None, out);
        }
        let rest = quantity - fill;
        if !rests {
            let shown_at = if walks {
                "in the book"
            } else {
                "displayed at the touch"
            };
            let reason = format!("the rest ({rest}) expired: only {fill} {shown_at}");
            return self.finish(order, Status::PartiallyFilled, Some(reason), out);
        }
        if let Err(Refusal(_, why)) = self.rest(order, out) {
            let reason = format!("the rest ({rest}) expired: {why}");
            self.finish(order, Status::PartiallyFilled, Some(reason), out);
        }
    }

    /// A taker's price at `level`: worse by the slippage, never beyond the limit; `None`
    /// beyond barter's decimal range.
    fn slipped(&self, side: Side, level: Decimal, limit: Option<Decimal>) -> Option<Decimal> {
        let slip = (level / BPS).checked_mul(self.settings.slippage_bps)?;
        let price = match side {
            Side::Buy => level.checked_add(slip)?,
            Side::Sell => level.checked_sub(slip)?,
        };
        Some(match (limit, side) {
            (None, _) => price,
            (Some(limit), Side::Buy) => price.min(limit),
            (Some(limit), Side::Sell) => price.max(limit),
        })
    }

    /// Whether the account can take these taker fills (`(level, price, quantity)`): a cash
    /// Buy needs Σ price × quantity × (1 + fee) of its quote, anything else as `affordable`.
    fn affordable_fills(
        &self,
        order: usize,
        side: Side,
        fills: &[(Decimal, Decimal, Decimal)],
        fee: Decimal,
    ) -> Result<(), Refusal> {
        let total = fills.iter().map(|(_, _, quantity)| *quantity).sum();
        let worst = fills.last().map_or(Decimal::ZERO, |(_, price, _)| *price);
        if self.settings.account == Account::Margin || side == Side::Sell {
            return self.affordable(order, side, worst, Change::Fill(total), fee);
        }
        let need = fills
            .iter()
            .try_fold(Decimal::ZERO, |need, (_, price, quantity)| {
                need.checked_add(cost(*price, *quantity, fee)?)
            })
            .ok_or_else(too_large)?;
        let listing = &self.listings[self.orders[order].key.instrument.index()];
        self.cash_covers(listing, listing.quote, need)
    }

    /// Refused, naming the asset, where its free balance is below `need`.
    fn cash_covers(
        &self,
        listing: &Listing,
        asset: AssetIndex,
        need: Decimal,
    ) -> Result<(), Refusal> {
        let free = self.holding(asset).free();
        if need > free {
            let name = self.asset_name(listing, asset);
            return Err(Refusal(
                Some(asset),
                format!("needs {need} {name}, {free} {name} free"),
            ));
        }
        Ok(())
    }
    /// Whether the account can take this change: free balances on a cash account, the
    /// leverage on a margin one (resting orders counted as filled). The error names the asset
    /// (cash) and says what is needed and free.
    fn affordable(
        &self,
        order: usize,
        side: Side,
        price: Decimal,
        change: Change,
        fee: Decimal,
    ) -> Result<(), Refusal> {
        let instrument = self.orders[order].key.instrument.index();
        let listing = &self.listings[instrument];
        match self.settings.account {
            Account::Cash => {
                let (asset, need) = match side {
                    Side::Buy => (
                        listing.quote,
                        cost(price, change.quantity(), fee).ok_or_else(too_large)?,
                    ),
                    Side::Sell => (listing.base, change.quantity()),
                };
                self.cash_covers(listing, asset, need)
            }
            Account::Margin => {
                let (_, before) = self
                    .margin_totals(listing.quote, None)
                    .ok_or_else(too_large)?;
                let proposed = Proposed {
                    instrument,
                    side,
                    change,
                    price,
                };
                let (equity, gross) = self
                    .margin_totals(listing.quote, Some(proposed))
                    .ok_or_else(too_large)?;
                let allowed = self
                    .settings
                    .leverage
                    .checked_mul(equity)
                    .ok_or_else(too_large)?;
                // An order that does not add to the gross value passes (a close, when losses
                // took the account past its leverage).
                if gross > allowed && gross > before {
                    return Err(Refusal(
                        Some(listing.quote),
                        format!(
                            "gross position value {gross} would exceed leverage {} x equity {equity}",
                            self.settings.leverage
                        ),
                    ));
                }
                Ok(())
            }
        }
    }

    /// A margin account's equity in `quote` (its balance and the open positions' unrealised
    /// PnL at the mark) and its gross position value: Σ over its instruments of the larger
    /// position that filling every resting order of one side would leave, at the mark; with
    /// the `proposed` order applied. `None` beyond barter's decimal range.
    pub fn margin_totals(
        &self,
        quote: AssetIndex,
        proposed: Option<Proposed>,
    ) -> Option<(Decimal, Decimal)> {
        let open = self
            .listings
            .iter()
            .enumerate()
            .filter_map(|(at, listing)| {
                let Position { quantity, entry } = self.positions[at];
                let mark = self.quotes[at].mark().unwrap_or(entry);
                let open = listing.quote == quote && !quantity.is_zero();
                open.then_some(Marked::new(quantity, entry, mark))
            });
        let equity = margin_equity(self.holding(quote).total, open)?;
        // Per instrument: the position, what resting Buys and Sells would add and take.
        let mut books = vec![(Decimal::ZERO, Decimal::ZERO); self.listings.len()];
        for resting in &self.resting {
            let record = &self.orders[resting.order];
            let (buys, sells) = &mut books[record.key.instrument.index()];
            let side = match record.request.side {
                Side::Buy => buys,
                Side::Sell => sells,
            };
            *side = side.checked_add(record.remaining())?;
        }
        let mut gross = Decimal::ZERO;
        for (at, listing) in self.listings.iter().enumerate() {
            if listing.quote != quote {
                continue;
            }
            let Position {
                mut quantity,
                entry,
            } = self.positions[at];
            let (mut buys, mut sells) = books[at];
            let mut mark = self.quotes[at].mark().unwrap_or(entry);
            if let Some(order) = proposed.filter(|order| order.instrument == at) {
                mark = self.quotes[at].mark().unwrap_or(order.price);
                match (order.change, order.side) {
                    (Change::Fill(q), Side::Buy) => quantity = quantity.checked_add(q)?,
                    (Change::Fill(q), Side::Sell) => quantity = quantity.checked_sub(q)?,
                    (Change::Rest(q), Side::Buy) => buys = buys.checked_add(q)?,
                    (Change::Rest(q), Side::Sell) => sells = sells.checked_add(q)?,
                }
            }
            let worst = quantity
                .checked_add(buys)?
                .abs()
                .max(quantity.checked_sub(sells)?.abs());
            gross = gross.checked_add(worst.checked_mul(mark)?)?;
        }
        Some((equity, gross))
    }

    fn holding(&self, asset: AssetIndex) -> Holding {
        self.holdings
            .get(asset.index())
            .copied()
            .unwrap_or_default()
    }

    fn asset_name<'a>(&self, listing: &'a Listing, asset: AssetIndex) -> &'a str {
        // `exchange:base_quote`: the asset is the instrument name's part on its side.
        let pair = listing.name.split_once(':').map_or("", |(_, pair)| pair);
        let (base, quote) = pair.split_once('_').unwrap_or((pair, ""));
        if asset == listing.base {
            base
        } else {
            quote
        }
    }

    /// Put what remains of a limit order on the book, holding what it may spend (cash
    /// account); refused (nothing changed) when the account cannot take it on.
    fn rest(&mut self, order: usize, out: &mut Vec<Event>) -> Result<(), Refusal> {
        let record = &self.orders[order];
        let (side, price, quantity) = (
            record.request.side,
            record.request.price,
            record.remaining(),
        );
        let listing = &self.listings[record.key.instrument.index()];
        let maker = self.settings.maker_fee;
        self.affordable(order, side, price, Change::Rest(quantity), maker)?;
        let (asset, reserved) = match (self.settings.account, side) {
            (Account::Margin, _) => (None, Decimal::ZERO),
            // Checked affordable above: the cost fits.
            (Account::Cash, Side::Buy) => (
                Some(listing.quote),
                cost(price, quantity, maker).unwrap_or(Decimal::MAX),
            ),
            (Account::Cash, Side::Sell) => (Some(listing.base), quantity),
        };
        if let Some(asset) = asset {
            self.holdings[asset.index()].reserved += reserved;
            out.push(
                self.balance_event(record_exchange(&self.listings, &self.orders[order]), asset),
            );
        }
        let queue = self.join_queue(order);
        self.resting.push(Resting {
            order,
            reserved,
            since: self.now,
            queue,
        });
        out.push(self.snapshot(order, OrderState::active(self.open_state(order))));
        Ok(())
    }

    /// Resting orders of the event's instrument that it crosses fill (`cross_offers`).
    fn cross(&mut self, event: &MarketEvent<InstrumentIndex, DataKind>, out: &mut Vec<Event>) {
        let (instrument, kind, time) = (event.instrument, &event.kind, event.time_exchange);
        // What the event offers to each side: (price, amount) a resting Buy or Sell meets.
        let offers = match kind {
            DataKind::Trade(_) => {
                let Some(trade) = self.quotes[instrument.index()].last_trade() else {
                    return;
                };
                [Some(trade), Some(trade)]
            }
            DataKind::OrderBookL1(book) => [
                book.best_ask.map(|level| (level.price, level.amount)),
                book.best_bid.map(|level| (level.price, level.amount)),
            ],
            DataKind::OrderBook(_) => self.depth_offers(instrument),
            _ => return,
        };
        let book = !matches!(kind, DataKind::Trade(_));
        let left = self.cross_offers(instrument, time, offers, book, false, out);
        if self.settings.queue.is_some() {
            // What orders without a queue took is not given again.
            let mut offers = offers;
            for (offer, left) in offers.iter_mut().zip(left) {
                if let (Some((_, amount)), Some(left)) = (offer.as_mut(), left) {
                    *amount = left;
                }
            }
            let left = self.cross_offers(instrument, time, offers, book, true, out);
            if let DataKind::Trade(trade) = kind {
                self.queue_trade(instrument, time, trade, left, out);
            }
        }
    }

    /// Resting orders of `instrument` that the offers (`[for a Buy, for a Sell]`, each a price
    /// and the amount there) cross fill at their limit, maker fee; never an order that reached
    /// the exchange after `time`. What each offer has left after them, under displayed
    /// volume; `book`: the offers are the latest book's, whose amounts the fills consume.
    fn cross_offers(
        &mut self,
        instrument: InstrumentIndex,
        time: DateTime<Utc>,
        [for_buy, for_sell]: [Option<(Decimal, Decimal)>; 2],
        book: bool,
        queued: bool,
        out: &mut Vec<Event>,
    ) -> [Option<Decimal>; 2] {
        // Orders in a queue (spec §12) fill when the opposite best reaches them or a trade
        // goes through them; at their price, the queue decides (`queue_trade`).
        let touch = if queued {
            book
        } else {
            self.settings.limit_fill == LimitFill::Touch
        };
        let mut left_buy = for_buy.map(|(_, amount)| amount);
        let mut left_sell = for_sell.map(|(_, amount)| amount);
        let mut at = 0;
        while at < self.resting.len() {
            let Resting {
                order,
                since,
                queue,
                ..
            } = self.resting[at];
            let record = &self.orders[order];
            if record.key.instrument != instrument || time < since || queue.is_some() != queued {
                at += 1;
                continue;
            }
            let (limit, side) = (record.request.price, record.request.side);
            let (offer, left) = match side {
                Side::Buy => (for_buy, &mut left_buy),
                Side::Sell => (for_sell, &mut left_sell),
            };
            let crossed = offer.is_some_and(|(price, _)| match (side, touch) {
                (Side::Buy, false) => price < limit,
                (Side::Buy, true) => price <= limit,
                (Side::Sell, false) => price > limit,
                (Side::Sell, true) => price >= limit,
            });
            if !crossed {
                at += 1;
                continue;
            }
            let mut quantity = record.remaining();
            if self.settings.fill_volume == FillVolume::Displayed {
                let available = left.unwrap_or(Decimal::ZERO);
                quantity = quantity.min(available);
                *left = Some(available - quantity);
                if let (true, Some((price, _))) = (book, offer) {
                    // What a resting order takes off the book is not offered to a taker.
                    self.consume(instrument.index(), side, price, quantity);
                }
            }
            if quantity <= Decimal::ZERO {
                at += 1;
                continue;
            }
            at = self.settle_resting(at, quantity, out);
        }
        [left_buy, left_sell]
    }

    /// The resting order at `at` fills `quantity` (`fill_resting`): off the book when filled,
    /// else reported open as it stands. Where the next resting order now is.
    fn settle_resting(&mut self, at: usize, quantity: Decimal, out: &mut Vec<Event>) -> usize {
        let order = self.resting[at].order;
        if !self.fill_resting(at, quantity, out) {
            return at; // expired and taken off the book: `at` is already the next order
        }
        if self.orders[order].remaining().is_zero() {
            // Off the book, releasing any rounding dust of its reservation.
            self.unrest(at, out);
            self.finish(order, Status::Filled, None, out);
            return at;
        }
        out.push(self.snapshot(order, OrderState::active(self.open_state(order))));
        at + 1
    }

    /// A resting order's fill: its reservation is released for what fills, then settled.
    /// `false` when the fill failed and the order was expired and taken off the book.
    fn fill_resting(&mut self, at: usize, quantity: Decimal, out: &mut Vec<Event>) -> bool {
        let Resting {
            order, reserved, ..
        } = self.resting[at];
        let record = &self.orders[order];
        let (side, price) = (record.request.side, record.request.price);
        let maker = self.settings.maker_fee;
        if self.settings.account == Account::Cash {
            let listing = &self.listings[record.key.instrument.index()];
            let (asset, release) = match side {
                Side::Buy => (
                    listing.quote,
                    cost(price, quantity, maker).unwrap_or(reserved),
                ),
                Side::Sell => (listing.base, quantity),
            };
            let release = release.min(reserved);
            self.holdings[asset.index()].reserved -= release;
            self.resting[at].reserved -= release;
        }
        if let Err(reason) = self.fill(order, price, quantity, maker, out) {
            let order = self.unrest(at, out);
            self.expire(order, reason, out);
            return false;
        }
        true
    }

    /// Release what a resting order holds and take it off the book.
    fn unrest(&mut self, at: usize, out: &mut Vec<Event>) -> usize {
        let Resting {
            order, reserved, ..
        } = self.resting.remove(at);
        if self.settings.account == Account::Cash && !reserved.is_zero() {
            let record = &self.orders[order];
            let listing = &self.listings[record.key.instrument.index()];
            let asset = match record.request.side {
                Side::Buy => listing.quote,
                Side::Sell => listing.base,
            };
            let holding = &mut self.holdings[asset.index()];
            holding.reserved = (holding.reserved - reserved).max(Decimal::ZERO);
            out.push(self.balance_event(listing.exchange, asset));
        }
        order
    }

    /// Day orders expire at the first event of a later UTC day.
    fn expire_days(&mut self, out: &mut Vec<Event>) {
        let today = self.now.date_naive();
        let mut at = 0;
        while at < self.resting.len() {
            let record = &self.orders[self.resting[at].order];
            if record.request.time_in_force == TimeInForce::GoodUntilEndOfDay
                && record.time.date_naive() < today
            {
                let order = self.unrest(at, out);
                self.expire(order, "GoodUntilEndOfDay: the UTC day ended".into(), out);
            } else {
                at += 1;
            }
        }
    }

    /// Settle one fill in the account and report it: balances, then barter's trade.
    /// Refused (nothing changed) when a total would leave barter's decimal range.
    fn fill(
        &mut self,
        order: usize,
        price: Decimal,
        quantity: Decimal,
        fee_rate: Decimal,
        out: &mut Vec<Event>,
    ) -> Result<(), String> {
        let record = &self.orders[order];
        let instrument = record.key.instrument;
        let side = record.request.side;
        let listing = &self.listings[instrument.index()];
        // Indices only: the listing's name stays where it is.
        let (exchange, quote_asset, base_asset) = (listing.exchange, listing.quote, listing.base);
        let (quote, base) = (quote_asset.index(), base_asset.index());
        let value = price.checked_mul(quantity).ok_or_else(too_large)?;
        let fee = fee_rate.checked_mul(value).ok_or_else(too_large)?;
        let filled = record.filled.checked_add(quantity).ok_or_else(too_large)?;
        let notional = record.notional.checked_add(value).ok_or_else(too_large)?;
        let fees = record.fees.checked_add(fee).ok_or_else(too_large)?;
        let (quote_total, base_total) = (self.holdings[quote].total, self.holdings[base].total);
        match self.settings.account {
            Account::Cash => {
                let (quote_after, base_after) = match side {
                    Side::Buy => (
                        value
                            .checked_add(fee)
                            .and_then(|spent| quote_total.checked_sub(spent)),
                        base_total.checked_add(quantity),
                    ),
                    Side::Sell => (
                        value
                            .checked_sub(fee)
                            .and_then(|got| quote_total.checked_add(got)),
                        base_total.checked_sub(quantity),
                    ),
                };
                let (quote_after, base_after) =
                    quote_after.zip(base_after).ok_or_else(too_large)?;
                self.holdings[quote].total = quote_after;
                self.holdings[base].total = base_after;
                out.push(self.balance_event(exchange, quote_asset));
                out.push(self.balance_event(exchange, base_asset));
            }
            Account::Margin => {
                let signed = match side {
                    Side::Buy => quantity,
                    Side::Sell => -quantity,
                };
                let mut position = self.positions[instrument.index()];
                let realised = position.fill(signed, price).ok_or_else(too_large)?;
                let after = realised
                    .checked_sub(fee)
                    .and_then(|change| quote_total.checked_add(change))
                    .ok_or_else(too_large)?;
                self.positions[instrument.index()] = position;
                self.holdings[quote].total = after;
                out.push(self.balance_event(exchange, quote_asset));
            }
        }
        let record = &mut self.orders[order];
        record.filled = filled;
        record.notional = notional;
        record.fees = fees;
        if !self.conditional.is_empty() {
            self.grow_legs(order, quantity);
        }
        let record = &self.orders[order];
        let id = order_id(order);
        let trade = Trade {
            id: TradeId::new(format!("{}-{}", id.0, record.filled)),
            order_id: id,
            instrument,
            strategy: record.key.strategy.clone(),
            time_exchange: self.now,
            side,
            price,
            quantity,
            fees: AssetFees::quote_fees(fee),
        };
        out.push(AccountEvent {
            exchange,
            kind: AccountEventKind::Trade(trade),
        });
        Ok(())
    }

    fn finish(
        &mut self,
        order: usize,
        status: Status,
        reason: Option<String>,
        out: &mut Vec<Event>,
    ) {
        let record = &mut self.orders[order];
        record.status = status;
        record.reason = reason;
        let state = match status {
            Status::Filled => OrderState::fully_filled(),
            _ => OrderState::expired(),
        };
        out.push(self.snapshot(order, state));
    }

    fn expire(&mut self, order: usize, reason: String, out: &mut Vec<Event>) {
        let record = &mut self.orders[order];
        record.status = if record.filled.is_zero() {
            Status::Expired
        } else {
            Status::PartiallyFilled
        };
        record.reason = Some(reason);
        out.push(self.snapshot(order, OrderState::expired()));
    }

    fn refuse(
        &mut self,
        order: usize,
        asset: Option<AssetIndex>,
        reason: String,
        out: &mut Vec<Event>,
    ) {
        let record = &mut self.orders[order];
        record.status = Status::Refused;
        let error = match asset {
            Some(asset) => ApiError::BalanceInsufficient(asset, reason.clone()),
            None => ApiError::OrderRejected(reason.clone()),
        };
        record.reason = Some(reason);
        let state =
            OrderState::inactive(InactiveOrderState::OpenFailed(OrderError::Rejected(error)));
        out.push(self.snapshot(order, state));
    }

    /// A cancel names its order by `key.cid`; only a resting order can be cancelled.
    fn cancel(
        &mut self,
        cancel: OrderRequestCancel<ExchangeIndex, InstrumentIndex>,
        out: &mut Vec<Event>,
    ) {
        if self.cancel_held(cancel.key.instrument, &cancel.key.cid.0) {
            let response: OrderResponseCancel = OrderResponseCancel {
                key: cancel.key.clone(),
                state: Ok(Cancelled::new(
                    OrderId::new(cancel.key.cid.0.clone()),
                    self.now,
                )),
            };
            return out.push(AccountEvent {
                exchange: cancel.key.exchange,
                kind: AccountEventKind::OrderCancelled(response),
            });
        }
        let found = self.resting.iter().position(|r| {
            let key = &self.orders[r.order].key;
            key.cid == cancel.key.cid && key.instrument == cancel.key.instrument
        });
        let Some(at) = found else {
            let reason = match self
                .orders
                .iter()
                .rev()
                .find(|o| o.key.cid == cancel.key.cid)
            {
                Some(order) if order.status == Status::Open => {
                    format!("order {} has not reached the exchange yet", cancel.key.cid)
                }
                Some(order) => format!(
                    "order {} is already {}",
                    cancel.key.cid,
                    order.status.as_str()
                ),
                None => format!("unknown order {}", cancel.key.cid),
            };
            return self.refuse_cancel(cancel, reason, out);
        };
        let order = self.unrest(at, out);
        let reason = self.cancelled_reason();
        let record = &mut self.orders[order];
        record.status = Status::Cancelled;
        record.reason = Some(reason);
        let response: OrderResponseCancel = OrderResponseCancel {
            key: record.key.clone(),
            state: Ok(Cancelled::new(order_id(order), self.now)),
        };
        out.push(AccountEvent {
            exchange: cancel.key.exchange,
            kind: AccountEventKind::OrderCancelled(response),
        });
    }

    fn refuse_cancel(
        &mut self,
        cancel: OrderRequestCancel<ExchangeIndex, InstrumentIndex>,
        reason: String,
        out: &mut Vec<Event>,
    ) {
        let response: OrderResponseCancel = OrderResponseCancel {
            key: cancel.key.clone(),
            state: Err(OrderError::Rejected(ApiError::OrderRejected(reason))),
        };
        out.push(AccountEvent {
            exchange: cancel.key.exchange,
            kind: AccountEventKind::OrderCancelled(response),
        });
    }

    /// barter's `Open` state of an order on the book.
    fn open_state(&self, order: usize) -> Open {
        Open::new(order_id(order), self.now, self.orders[order].filled)
    }

    fn snapshot(&self, order: usize, state: OrderState) -> Event {
        let record = &self.orders[order];
        let RequestOpen {
            side,
            price,
            quantity,
            kind,
            time_in_force,
        } = record.request.clone();
        AccountEvent {
            exchange: record.key.exchange,
            kind: AccountEventKind::OrderSnapshot(Snapshot(Order {
                key: record.key.clone(),
                side,
                price,
                quantity,
                kind,
                time_in_force,
                state,
            })),
        }
    }

    fn balance_event(&self, exchange: ExchangeIndex, asset: AssetIndex) -> Event {
        let holding = self.holding(asset);
        AccountEvent {
            exchange,
            kind: AccountEventKind::BalanceSnapshot(Snapshot(AssetBalance {
                asset,
                balance: Balance::new(holding.total, holding.free()),
                // barter keeps a balance only if it is not older than the one it holds, which
                // it stamped at its start (an `Engine` on historical events starts later).
                time_exchange: self.now.max(self.made),
            })),
        }
    }
}

/// An open position at its mark: signed quantity (negative = short) and average entry price.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Marked {
    pub quantity: Decimal,
    pub entry: Decimal,
    pub mark: Decimal,
}

impl Marked {
    pub fn new(quantity: Decimal, entry: Decimal, mark: Decimal) -> Self {
        Self {
            quantity,
            entry,
            mark,
        }
    }
}

/// A margin account's equity (spec §8), the one computation of it: `cash` plus each open
/// position's unrealised PnL at its mark, `(mark − entry) × quantity`, added in turn. `None`
/// beyond barter's decimal range.
pub fn margin_equity(
    cash: Decimal,
    positions: impl IntoIterator<Item = Marked>,
) -> Option<Decimal> {
    positions.into_iter().try_fold(cash, |equity, position| {
        let Marked {
            quantity,
            entry,
            mark,
        } = position;
        equity.checked_add(mark.checked_sub(entry)?.checked_mul(quantity)?)
    })
}

/// What an order would do to its instrument's position: fill this quantity now, or rest it.
#[derive(Debug, Clone, Copy)]
pub enum Change {
    Fill(Decimal),
    Rest(Decimal),
}

impl Change {
    fn quantity(self) -> Decimal {
        match self {
            Change::Fill(quantity) | Change::Rest(quantity) => quantity,
        }
    }
}

/// An order a margin account is asked to take on (`Simulated::margin_totals`); `price` values
/// it where its instrument has no mark yet.
#[derive(Debug, Clone, Copy)]
pub struct Proposed {
    pub instrument: usize,
    pub side: Side,
    pub change: Change,
    pub price: Decimal,
}

/// Why an order is refused, and the asset it lacks (barter's `BalanceInsufficient`), if any.
struct Refusal(Option<AssetIndex>, String);

impl From<String> for Refusal {
    fn from(reason: String) -> Self {
        Refusal(None, reason)
    }
}

/// `price x quantity x (1 + fee)`, `None` beyond barter's decimal range.
fn cost(price: Decimal, quantity: Decimal, fee: Decimal) -> Option<Decimal> {
    price
        .checked_mul(quantity)?
        .checked_mul(Decimal::ONE.checked_add(fee)?)
}

fn too_large() -> String {
    "the order's value is beyond the exchange's decimal range".to_string()
}

fn record_exchange(listings: &[Listing], record: &OrderRecord) -> ExchangeIndex {
    listings[record.key.instrument.index()].exchange
}

/// Exchange order ids are the order's place in the run, from 1.
fn order_id(order: usize) -> OrderId {
    OrderId::new((order + 1).to_string())
}

impl Position {
    /// Apply a signed fill; the PnL it realises.
    /// `None` beyond barter's decimal range (the position is then left unchanged by the caller).
    fn fill(&mut self, signed: Decimal, price: Decimal) -> Option<Decimal> {
        let before = self.quantity;
        if before.is_zero() || before.is_sign_positive() == signed.is_sign_positive() {
            let total = before.abs().checked_add(signed.abs())?;
            let value = before
                .abs()
                .checked_mul(self.entry)?
                .checked_add(signed.abs().checked_mul(price)?)?;
            self.entry = value.checked_div(total)?;
            self.quantity = before.checked_add(signed)?;
            return Some(Decimal::ZERO);
        }
        let closed = before.abs().min(signed.abs());
        let direction = if before.is_sign_positive() {
            Decimal::ONE
        } else {
            -Decimal::ONE
        };
        let realised = closed.checked_mul(price.checked_sub(self.entry)?)? * direction;
        self.quantity = before.checked_add(signed)?;
        if self.quantity.is_zero() {
            self.entry = Decimal::ZERO;
        } else if self.quantity.is_sign_positive() != before.is_sign_positive() {
            self.entry = price;
        }
        Some(realised)
    }
}

mod candle;
mod l2;
#[cfg(test)]
mod tests;
