//! `Limits`: barter's `RiskManager` over the engine's state, each limit a barter
//! `CheckHigherThan`, valued with barter's notional helpers. Cancels always pass; each open
//! order passes every limit that is set, or is refused with the first one it breaks.

use crate::exchange::market;
use barter::engine::state::{
    global::DefaultGlobalData,
    instrument::{
        data::{DefaultInstrumentMarketData, InstrumentDataState},
        InstrumentState,
    },
    EngineState,
};
use barter::risk::{
    check::{
        util::{calculate_abs_percent_difference, calculate_quote_notional},
        CheckHigherThan, RiskCheck,
    },
    RiskApproved, RiskManager, RiskRefused,
};
use barter_execution::order::{
    request::{OrderRequestCancel, OrderRequestOpen, RequestOpen},
    OrderKind,
};
use barter_instrument::{instrument::InstrumentIndex, Side};
use rust_decimal::{Decimal, RoundingStrategy};

/// The engine's state (`engine::State`, named here so that the engine can depend on this
/// module and not the reverse).
pub type State = EngineState<DefaultGlobalData, DefaultInstrumentMarketData>;

type Instrument = InstrumentState<DefaultInstrumentMarketData>;

/// The limits of a `RiskLimits` model; the default has none and approves everything, as
/// barter's `DefaultRiskManager` does.
#[derive(Debug, Clone, Default)]
pub struct Limits {
    pub(super) max_order_notional: Option<CheckHigherThan<Decimal>>,
    /// By instrument index; `None` (or beyond the end): no limit.
    pub(super) max_position_quantity: Vec<Option<CheckHigherThan<Decimal>>>,
    pub(super) max_price_deviation: Option<CheckHigherThan<Decimal>>,
    pub(super) max_open_orders: Option<CheckHigherThan<usize>>,
}

/// What one `check` call approved so far: it counts as open for the orders after it.
#[derive(Default)]
struct Batch {
    /// Orders open in the state, counted at the first order that needs it.
    open_before: Option<usize>,
    approved: Vec<(InstrumentIndex, Side, Decimal)>,
}

impl Batch {
    fn quantity(&self, instrument: InstrumentIndex, side: Side) -> Decimal {
        let same = self
            .approved
            .iter()
            .filter(|(i, s, _)| *i == instrument && *s == side);
        same.map(|(_, _, quantity)| *quantity).sum()
    }
}

impl RiskManager for Limits {
    type State = State;

    fn check(
        &self,
        state: &State,
        cancels: impl IntoIterator<Item = OrderRequestCancel>,
        opens: impl IntoIterator<Item = OrderRequestOpen>,
    ) -> (
        impl IntoIterator<Item = RiskApproved<OrderRequestCancel>>,
        impl IntoIterator<Item = RiskApproved<OrderRequestOpen>>,
        impl IntoIterator<Item = RiskRefused<OrderRequestCancel>>,
        impl IntoIterator<Item = RiskRefused<OrderRequestOpen>>,
    ) {
        let mut batch = Batch::default();
        let (mut approved, mut refused) = (Vec::new(), Vec::new());
        for open in opens {
            match self.open(state, &open, &mut batch) {
                Ok(()) => {
                    let key = (open.key.instrument, open.state.side, open.state.quantity);
                    batch.approved.push(key);
                    approved.push(RiskApproved::new(open));
                }
                Err(reason) => refused.push(RiskRefused::new(open, reason)),
            }
        }
        // A cancel only ever lowers the risk.
        let cancels = cancels.into_iter().map(RiskApproved::new);
        (cancels, approved, std::iter::empty(), refused)
    }
}

impl Limits {
    /// One open order alone (what a conditional order sends when triggered): `Err(the limit
    /// it breaks)`.
    pub fn check_one(&self, state: &State, open: &OrderRequestOpen) -> Result<(), String> {
        self.open(state, open, &mut Batch::default())
    }

    /// `Err(the limit it breaks)` for an open order.
    fn open(
        &self,
        state: &State,
        open: &OrderRequestOpen,
        batch: &mut Batch,
    ) -> Result<(), String> {
        let instrument = state.instruments.instrument_index(&open.key.instrument);
        let request = &open.state;
        if let Some(check) = &self.max_order_notional {
            order_notional(state, instrument, request, check)?;
        }
        if let Some(check) = &self.max_price_deviation {
            price_deviation(instrument, request, check)?;
        }
        let position = self.max_position_quantity.get(instrument.key.index());
        if let Some(check) = position.and_then(Option::as_ref) {
            position_quantity(instrument, request, batch, check)?;
        }
        if let Some(check) = &self.max_open_orders {
            let before = *batch.open_before.get_or_insert_with(|| {
                let orders = state.instruments.0.values();
                orders.map(|instrument| instrument.orders.0.len()).sum()
            });
            let open = before + batch.approved.len() + 1;
            check.check(&open).map_err(|fail| {
                format!(
                    "open orders {} above max_open_orders {}",
                    fail.input, fail.limit
                )
            })?;
        }
        Ok(())
    }
}

/// price x quantity in the quote asset: a limit order at its price, a market order at what it
/// would trade at (the touch for its side, else the last trade), not the price it names.
fn order_notional(
    state: &State,
    instrument: &Instrument,
    request: &RequestOpen,
    check: &CheckHigherThan<Decimal>,
) -> Result<(), String> {
    let price = match request.kind {
        OrderKind::Limit => request.price,
        OrderKind::Market => touch(&instrument.data, request.side).ok_or_else(|| {
            format!(
                "no price to value the market order against max_order_notional {}",
                check.limit
            )
        })?,
    };
    let contract_size = instrument.instrument.kind.contract_size();
    let Some(notional) = calculate_quote_notional(request.quantity, price, contract_size) else {
        return Err(format!(
            "order notional beyond a decimal, above max_order_notional {}",
            check.limit
        ));
    };
    let quote = &state
        .assets
        .asset_index(&instrument.instrument.underlying.quote);
    check.check(&notional).map_err(|fail| {
        format!(
            "order notional {} {} above max_order_notional {}",
            fail.input, quote.asset.name_internal, fail.limit
        )
    })
}

/// The price a market order would trade at: the exchange's touch (`exchange::market::touch`)
/// of barter's L1 book and last trade.
fn touch(data: &DefaultInstrumentMarketData, side: Side) -> Option<Decimal> {
    let book = (data.l1.best_bid, data.l1.best_ask);
    let last = || data.last_traded_price.as_ref().map(|last| last.value);
    market::touch(side, book, last).map(|touch| touch.price)
}

/// |limit price / market price - 1|, the market price as barter's (`InstrumentDataState::
/// price`: the L1's volume-weighted mid, else the last trade). A market order names no price
/// it trades at: it is not checked. Without a market price the order cannot be checked and is
/// refused.
fn price_deviation(
    instrument: &Instrument,
    request: &RequestOpen,
    check: &CheckHigherThan<Decimal>,
) -> Result<(), String> {
    if request.kind == OrderKind::Market {
        return Ok(());
    }
    let limit = check.limit;
    let Some(market) = instrument.data.price() else {
        return Err(format!(
            "no market price to check max_price_deviation {limit}"
        ));
    };
    let Some(deviation) = calculate_abs_percent_difference(request.price, market) else {
        return Err(format!(
            "order price {} cannot be compared with the market price {market} \
             (max_price_deviation {limit})",
            request.price
        ));
    };
    check.check(&deviation).map_err(|fail| {
        // Rounded up: the figure shown is never below the limit it broke.
        let shown = fail
            .input
            .round_dp_with_strategy(6, RoundingStrategy::AwayFromZero)
            .normalize();
        format!(
            "price deviation {shown} (order price {} against the market price {market}) above \
             max_price_deviation {limit}",
            request.price
        )
    })
}

/// |position| once the order and the open orders on its side (in the state and approved in
/// this batch) fill in full: the worst case. An order that takes that position toward zero
/// always passes (it lowers the risk, also above the limit).
fn position_quantity(
    instrument: &Instrument,
    request: &RequestOpen,
    batch: &Batch,
    check: &CheckHigherThan<Decimal>,
) -> Result<(), String> {
    let signed = |side: Side, quantity: Decimal| match side {
        Side::Sell if !quantity.is_zero() => -quantity, // not -0
        _ => quantity,
    };
    let position = instrument
        .position
        .current
        .as_ref()
        .map_or(Decimal::ZERO, |p| signed(p.side, p.quantity_abs));
    let same_side = instrument
        .orders
        .0
        .values()
        .filter(|o| o.side == request.side);
    let remaining = same_side.map(|order| {
        let open = order.state.open_meta();
        open.map_or(order.quantity, |open| {
            open.quantity_remaining(order.quantity)
        })
    });
    let open = signed(
        request.side,
        remaining.sum::<Decimal>() + batch.quantity(instrument.key, request.side),
    );
    let before = position + open;
    let after = before + signed(request.side, request.quantity);
    if after.abs() <= before.abs() {
        return Ok(());
    }
    check.check(&after.abs()).map_err(|fail| {
        format!(
            "position quantity {} above max_position_quantity {} (position {position}, open \
             orders {open}, order {})",
            fail.input,
            fail.limit,
            signed(request.side, request.quantity)
        )
    })
}

#[cfg(test)]
mod tests;
