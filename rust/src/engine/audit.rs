//! What one `Engine.process` call did, read off barter's own audit (`EngineAudit`,
//! `EngineOutput`, `ActionOutput`) and the account events the mock exchanges sent back.

use super::actions::{Hook, HookOutput};
use super::keys::Keys;
use crate::bind::enums::Enum;
use crate::exchange::queue::Released;
use crate::order::{
    Cancel, Open, PyOrderId, PyOrderRequestCancel, PyOrderRequestOpen, PyStrategyId,
};
use barter::engine::state::position::PositionExited;
use barter::engine::{
    action::{
        generate_algo_orders::GenerateAlgoOrdersOutput,
        send_requests::{SendCancelsAndOpensOutput, SendRequestsOutput},
        ActionOutput,
    },
    audit::EngineAudit,
    EngineOutput,
};
use barter_execution::{
    order::{
        request::{RequestCancel, RequestOpen},
        state::{InactiveOrderState, OrderState},
        OrderEvent,
    },
    trade::Trade,
    AccountEventKind,
};
use barter_instrument::{
    asset::{AssetIndex, QuoteAsset},
    exchange::{ExchangeId, ExchangeIndex},
    instrument::{name::InstrumentNameInternal, InstrumentIndex},
    Side,
};
use pyo3::prelude::*;
use pyo3::types::{PyList, PyTuple};
use rust_decimal::Decimal;

type Output = EngineOutput<HookOutput, HookOutput>;

/// The audit being collected, in the caller's keys.
#[derive(Default)]
pub struct Audit {
    opens_sent: Vec<Open>,
    cancels_sent: Vec<Cancel>,
    opens_refused: Vec<(Open, String)>,
    /// Where in `opens_refused` the risk manager's refusals are.
    risk_refused: Vec<usize>,
    cancels_refused: Vec<(Cancel, String)>,
    trades: Vec<(ExchangeId, Trade<QuoteAsset, InstrumentNameInternal>)>,
    hooks: Vec<Hook>,
    exits: Vec<PositionExited<QuoteAsset, InstrumentIndex>>,
    errors: Vec<String>,
    opens_released: usize,
    cancels_released: usize,
    open_answers: usize,
    cancel_answers: usize,
    fills_reported: usize,
    fills_traded: usize,
}

impl Audit {
    /// Positions barter closed, in order.
    pub fn exits(&self) -> &[PositionExited<QuoteAsset, InstrumentIndex>] {
        &self.exits
    }

    /// Fills the mock exchanges reported, in arrival order.
    pub fn trades(&self) -> &[(ExchangeId, Trade<QuoteAsset, InstrumentNameInternal>)] {
        &self.trades
    }

    pub fn trades_len(&self) -> usize {
        self.trades.len()
    }

    /// Engine errors barter reported, and settlement problems.
    pub fn errors(&self) -> &[String] {
        &self.errors
    }

    /// Opens barter's engine sent, in order.
    pub fn opens_sent(&self) -> &[Open] {
        &self.opens_sent
    }

    /// Opens an exchange refused, with the reason.
    pub fn opens_refused(&self) -> &[(Open, String)] {
        &self.opens_refused
    }

    /// Opens the risk manager refused, with the limit each broke, in order.
    pub fn opens_risk_refused(&self) -> impl Iterator<Item = &(Open, String)> {
        self.risk_refused.iter().map(|at| &self.opens_refused[*at])
    }

    pub fn opens_risk_refused_len(&self) -> usize {
        self.risk_refused.len()
    }

    pub fn opens_sent_len(&self) -> usize {
        self.opens_sent.len()
    }

    /// Cancels refused, with the reason.
    pub fn cancels_refused(&self) -> &[(Cancel, String)] {
        &self.cancels_refused
    }

    pub fn opens_refused_len(&self) -> usize {
        self.opens_refused.len()
    }

    /// Requests handed to the execution managers.
    pub fn released(&mut self, released: Released) {
        self.opens_released += released.opens;
        self.cancels_released += released.cancels;
    }

    /// Released requests without an answer yet, plus fills whose trade has not arrived yet (the
    /// mock exchange reports a fill, then its trade).
    pub fn answers_pending(&self) -> usize {
        self.opens_released.saturating_sub(self.open_answers)
            + self.cancels_released.saturating_sub(self.cancel_answers)
            + self.fills_reported.saturating_sub(self.fills_traded)
    }

    pub fn error(&mut self, message: String) {
        self.errors.push(message);
    }

    /// An account event from the mock exchanges, before the engine processes it.
    pub fn account(
        &mut self,
        kind: &AccountEventKind<ExchangeIndex, AssetIndex, InstrumentIndex>,
        keys: &Keys,
    ) {
        match kind {
            AccountEventKind::OrderCancelled(response) => {
                self.cancel_answers += 1;
                if let Err(error) = &response.state {
                    let request = OrderEvent {
                        key: response.key.clone(),
                        state: RequestCancel { id: None },
                    };
                    let reason = format!("exchange rejected: {error:?}");
                    self.cancels_refused.push((keys.unindex(request), reason));
                }
            }
            AccountEventKind::OrderSnapshot(snapshot) => {
                self.open_answers += 1;
                let order = &snapshot.0;
                match &order.state {
                    OrderState::Inactive(InactiveOrderState::FullyFilled) => {
                        self.fills_reported += 1;
                    }
                    OrderState::Inactive(InactiveOrderState::OpenFailed(error)) => {
                        let reason = format!("exchange rejected: {error:?}");
                        self.opens_refused.push((keys.open_request(order), reason));
                    }
                    _ => {}
                }
            }
            AccountEventKind::Trade(trade) => {
                self.fills_traded += 1;
                let input = keys.instrument(trade.instrument);
                let trade = Trade {
                    id: trade.id.clone(),
                    order_id: trade.order_id.clone(),
                    instrument: InstrumentNameInternal::new(input.instrument.as_str()),
                    strategy: trade.strategy.clone(),
                    time_exchange: trade.time_exchange,
                    side: trade.side,
                    price: trade.price,
                    quantity: trade.quantity,
                    fees: trade.fees.clone(),
                };
                self.trades.push((input.exchange, trade));
            }
            _ => {}
        }
    }

    /// barter's audit of one `Engine::process`.
    pub fn engine(&mut self, audit: EngineAudit<barter::EngineEvent, Output>, keys: &Keys) {
        let EngineAudit::Process(process) = audit else {
            return; // `FeedEnded`: only barter's run loops produce it
        };
        for error in process.errors {
            self.errors.push(format!("{error:?}"));
        }
        for output in process.outputs {
            match output {
                EngineOutput::Commanded(action) => self.action(action, keys),
                EngineOutput::OnTradingDisabled(hook)
                | EngineOutput::AccountDisconnect(hook)
                | EngineOutput::MarketDisconnect(hook) => {
                    self.hooks.push(hook.hook);
                    for action in hook.actions {
                        self.action(action, keys);
                    }
                }
                EngineOutput::PositionExit(exit) => self.exits.push(exit),
                EngineOutput::AlgoOrders(algo) => self.algo(algo, keys),
            }
        }
    }

    pub fn action(&mut self, action: ActionOutput, keys: &Keys) {
        match action {
            ActionOutput::GenerateAlgoOrders(algo) => self.algo(algo, keys),
            ActionOutput::CancelOrders(cancels) => self.cancels(cancels, keys),
            ActionOutput::OpenOrders(opens) => self.opens(opens, keys),
            ActionOutput::ClosePositions(both) => self.both(both, keys),
        }
    }

    fn algo(&mut self, algo: GenerateAlgoOrdersOutput, keys: &Keys) {
        self.both(algo.cancels_and_opens, keys);
        for refused in algo.cancels_refused {
            let reason = refused.reason;
            self.cancels_refused
                .push((keys.unindex(refused.item), reason));
        }
        for refused in algo.opens_refused {
            self.risk_refused.push(self.opens_refused.len());
            let reason = refused.reason;
            self.opens_refused
                .push((keys.unindex(refused.item), reason));
        }
    }

    fn both(&mut self, both: SendCancelsAndOpensOutput, keys: &Keys) {
        self.cancels(both.cancels, keys);
        self.opens(both.opens, keys);
    }

    fn cancels(&mut self, output: SendRequestsOutput<RequestCancel>, keys: &Keys) {
        let sent = output.sent.into_iter().map(|r| keys.unindex(r));
        self.cancels_sent.extend(sent);
        for (request, error) in output.errors {
            self.cancels_refused
                .push((keys.unindex(request), format!("{error:?}")));
        }
    }

    fn opens(&mut self, output: SendRequestsOutput<RequestOpen>, keys: &Keys) {
        let sent = output.sent.into_iter().map(|r| keys.unindex(r));
        self.opens_sent.extend(sent);
        for (request, error) in output.errors {
            self.opens_refused
                .push((keys.unindex(request), format!("{error:?}")));
        }
    }
}

impl From<Audit> for PyAudit {
    fn from(audit: Audit) -> Self {
        PyAudit(audit)
    }
}

/// What the engine did for one call: requests sent and refused, fills, hooks that ran.
#[pyclass(frozen, module = "barter_python._native", name = "Audit")]
pub struct PyAudit(Audit);

fn refused<'py, T: Clone, P: pyo3::PyClass + Into<pyo3::PyClassInitializer<P>>>(
    py: Python<'py>,
    items: &[(T, String)],
    wrap: impl Fn(T) -> P,
) -> PyResult<Bound<'py, PyList>> {
    let items = items
        .iter()
        .map(|(item, reason)| {
            PyTuple::new(
                py,
                [
                    Bound::new(py, wrap(item.clone()))?.into_any(),
                    reason.into_pyobject(py)?.into_any(),
                ],
            )
        })
        .collect::<PyResult<Vec<_>>>()?;
    PyList::new(py, items)
}

#[pymethods]
impl PyAudit {
    /// Open requests barter sent to the exchanges.
    #[getter]
    fn opens_sent(&self) -> Vec<PyOrderRequestOpen> {
        self.0
            .opens_sent
            .iter()
            .cloned()
            .map(PyOrderRequestOpen)
            .collect()
    }

    /// Cancel requests barter sent to the exchanges.
    #[getter]
    fn cancels_sent(&self) -> Vec<PyOrderRequestCancel> {
        let sent = self.0.cancels_sent.iter().cloned();
        sent.map(PyOrderRequestCancel).collect()
    }

    /// Open requests refused by the risk manager, failing to send, or rejected by the exchange,
    /// with the reason.
    #[getter]
    fn opens_refused<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        refused(py, &self.0.opens_refused, PyOrderRequestOpen)
    }

    /// Cancel requests refused by the risk manager, failing to send, or rejected by the
    /// exchange (barter-execution's mock cannot cancel), with the reason.
    #[getter]
    fn cancels_refused<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        refused(py, &self.0.cancels_refused, PyOrderRequestCancel)
    }

    /// Trades the mock exchanges reported, in arrival order.
    #[getter]
    fn trades(&self) -> Vec<PyTrade> {
        let trades = self.0.trades.iter().cloned();
        trades
            .map(|(exchange, trade)| PyTrade { exchange, trade })
            .collect()
    }

    /// The strategy hooks barter called, in order.
    #[getter]
    fn hooks(&self) -> Vec<Hook> {
        self.0.hooks.clone()
    }

    /// Engine errors barter reported, and settlement problems.
    #[getter]
    fn errors(&self) -> Vec<String> {
        self.0.errors.clone()
    }

    fn __repr__(&self) -> String {
        format!(
            "Audit(opens_sent={}, cancels_sent={}, opens_refused={}, cancels_refused={}, \
             trades={}, hooks={:?}, errors={:?})",
            self.0.opens_sent.len(),
            self.0.cancels_sent.len(),
            self.0.opens_refused.len(),
            self.0.cancels_refused.len(),
            self.0.trades.len(),
            self.0.hooks,
            self.0.errors,
        )
    }
}

/// barter-execution's `Trade`: a fill reported by an exchange.
#[pyclass(frozen, module = "barter_python._native", name = "Trade")]
pub struct PyTrade {
    exchange: ExchangeId,
    trade: Trade<QuoteAsset, InstrumentNameInternal>,
}

impl PyTrade {
    pub fn new(exchange: ExchangeId, trade: Trade<QuoteAsset, InstrumentNameInternal>) -> Self {
        Self { exchange, trade }
    }
}

#[pymethods]
impl PyTrade {
    #[getter]
    fn exchange(&self) -> Enum<ExchangeId> {
        Enum(self.exchange)
    }

    #[getter]
    fn instrument(&self) -> &str {
        self.trade.instrument.name().as_str()
    }

    #[getter]
    fn strategy(&self) -> PyStrategyId {
        PyStrategyId(self.trade.strategy.clone())
    }

    #[getter]
    fn order_id(&self) -> PyOrderId {
        PyOrderId(self.trade.order_id.clone())
    }

    #[getter]
    fn side(&self) -> Enum<Side> {
        Enum(self.trade.side)
    }

    #[getter]
    fn price(&self) -> Decimal {
        self.trade.price
    }

    #[getter]
    fn quantity(&self) -> Decimal {
        self.trade.quantity
    }

    /// Fees in the quote asset.
    #[getter]
    fn fees(&self) -> Decimal {
        self.trade.fees.fees
    }

    fn __repr__(&self) -> String {
        format!(
            "Trade(exchange='{}', instrument='{}', side={:?}, price=Decimal('{}'), \
             quantity=Decimal('{}'), fees=Decimal('{}'))",
            self.exchange.as_str(),
            self.trade.instrument,
            self.trade.side,
            self.trade.price,
            self.trade.quantity,
            self.trade.fees.fees,
        )
    }
}
