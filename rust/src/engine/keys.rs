//! Translation between the caller's keys (`ExchangeId`, instrument name) and the indices
//! barter's engine uses, for one engine's instruments. Every translation of the engine goes
//! through here.

use crate::book::snapshot::InstrumentInput;
use crate::book::state::Index;
use crate::order::Open;
use barter_execution::order::id::StrategyId;
use barter_execution::order::{request::RequestOpen, Order, OrderEvent, OrderKey};
use barter_instrument::{
    exchange::{ExchangeId, ExchangeIndex},
    instrument::{name::InstrumentNameInternal, InstrumentIndex},
};
use fnv::FnvHashMap;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use rust_decimal::Decimal;

/// Translation between the caller's keys (`ExchangeId`, instrument name) and barter's indices.
pub struct Keys {
    pub index: Index,
    pub inputs: Vec<InstrumentInput>,
    /// The mock exchanges' fee: what a request's value is checked with before it is sent.
    pub fees_percent: Decimal,
    /// The engine's strategy id: what the sizing helpers' orders carry.
    pub strategy: StrategyId,
    instruments: FnvHashMap<(ExchangeId, InstrumentNameInternal), InstrumentIndex>,
}

impl Keys {
    pub fn new(
        index: Index,
        inputs: Vec<InstrumentInput>,
        fees_percent: Decimal,
        strategy: StrategyId,
    ) -> Self {
        let instruments = index
            .input_of
            .iter()
            .enumerate()
            .map(|(at, input)| {
                let input = &inputs[*input];
                let name = InstrumentNameInternal::new(input.instrument.as_str());
                ((input.exchange, name), InstrumentIndex(at))
            })
            .collect();
        Self {
            index,
            inputs,
            fees_percent,
            strategy,
            instruments,
        }
    }

    pub fn exchange_index(&self, exchange: ExchangeId) -> PyResult<ExchangeIndex> {
        self.index
            .exchanges
            .iter()
            .position(|known| *known == exchange)
            .map(ExchangeIndex)
            .ok_or_else(|| {
                PyValueError::new_err(format!(
                    "exchange '{}' is not in the engine's instruments",
                    exchange.as_str()
                ))
            })
    }

    pub fn instrument_index(
        &self,
        exchange: ExchangeId,
        name: &InstrumentNameInternal,
    ) -> PyResult<InstrumentIndex> {
        self.instruments
            .get(&(exchange, name.clone()))
            .copied()
            .ok_or_else(|| {
                PyValueError::new_err(format!(
                    "instrument '{name}' on exchange '{}' is not in the engine's instruments",
                    exchange.as_str()
                ))
            })
    }

    /// `instrument_index` of a name as the caller spells it (barter lowercases names).
    pub fn named(&self, exchange: ExchangeId, name: &str) -> PyResult<InstrumentIndex> {
        self.instrument_index(exchange, &InstrumentNameInternal::new(name))
    }

    /// The request that opened `order` (barter has no such conversion), in the caller's keys.
    pub fn open_request<State>(
        &self,
        order: &Order<ExchangeIndex, InstrumentIndex, State>,
    ) -> Open {
        let request = OrderEvent {
            key: order.key.clone(),
            state: RequestOpen {
                side: order.side,
                price: order.price,
                quantity: order.quantity,
                kind: order.kind,
                time_in_force: order.time_in_force,
            },
        };
        self.unindex(request)
    }

    /// The caller's `(exchange, name)` of an instrument index.
    pub fn instrument(&self, index: InstrumentIndex) -> &InstrumentInput {
        &self.inputs[self.index.input_of[index.index()]]
    }

    /// A request in the caller's keys with barter's index keys (unknown keys are an error).
    pub fn index_request<Kind: Clone>(
        &self,
        request: &OrderEvent<Kind, ExchangeId, InstrumentNameInternal>,
    ) -> PyResult<OrderEvent<Kind, ExchangeIndex, InstrumentIndex>> {
        let key = &request.key;
        Ok(OrderEvent {
            key: OrderKey {
                exchange: self.exchange_index(key.exchange)?,
                instrument: self.instrument_index(key.exchange, &key.instrument)?,
                strategy: key.strategy.clone(),
                cid: key.cid.clone(),
            },
            state: request.state.clone(),
        })
    }

    /// A request with barter's index keys, in the caller's keys.
    pub fn unindex<Kind>(
        &self,
        request: OrderEvent<Kind, ExchangeIndex, InstrumentIndex>,
    ) -> OrderEvent<Kind, ExchangeId, InstrumentNameInternal> {
        self.index.unindex(request, &self.inputs).1
    }
}
