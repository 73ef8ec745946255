//! The engine's execution map: one queue per exchange, drained by the simulated exchange or
//! released to barter's execution managers (barter's `MultiExchangeTxMap`) in front of
//! barter-execution's mock exchanges.
//!
//! barter-execution's mock exchange reports each fill on a broadcast channel of 256 events (a
//! balance, then the trade); when more than 128 fills land at once, the account stream lags and
//! barter drops it. The engine's requests therefore wait here, in barter's order, and are
//! released to barter's execution managers in rounds of `ROUND` per exchange, each round
//! answered before the next.

use barter::engine::{error::UnrecoverableEngineError, execution_tx::ExecutionTxMap};
use barter::execution::request::ExecutionRequest;
use barter_instrument::{exchange::ExchangeIndex, index::error::IndexError};
use barter_integration::channel::Tx;
use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard};
use tokio::sync::mpsc::error::SendError;

/// Requests released to one exchange per round: two broadcast events per fill stay within the
/// mock's 256.
pub const ROUND: usize = 100;

/// The requests waiting for one exchange.
#[derive(Debug, Clone, Default)]
pub struct QueueTx(Arc<Mutex<VecDeque<ExecutionRequest>>>);

impl QueueTx {
    fn queue(&self) -> MutexGuard<'_, VecDeque<ExecutionRequest>> {
        // A poisoned lock only means a panic while pushing: the queue itself is intact.
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl Tx for QueueTx {
    type Item = ExecutionRequest;
    type Error = SendError<ExecutionRequest>;

    fn send<Item: Into<ExecutionRequest>>(&self, item: Item) -> Result<(), Self::Error> {
        self.queue().push_back(item.into());
        Ok(())
    }
}

/// barter's execution map, with requests queued per exchange until released.
#[derive(Debug)]
pub struct QueuedTxMap {
    /// barter's execution managers; `None` when the simulated exchange drains the queues.
    inner: Option<barter::engine::execution_tx::MultiExchangeTxMap>,
    queues: Vec<QueueTx>,
}

/// How many requests of each kind one release handed to barter.
#[derive(Debug, Default, Clone, Copy)]
pub struct Released {
    pub opens: usize,
    pub cancels: usize,
}

impl QueuedTxMap {
    pub fn new(inner: barter::engine::execution_tx::MultiExchangeTxMap, exchanges: usize) -> Self {
        let queues = (0..exchanges).map(|_| QueueTx::default()).collect();
        Self {
            inner: Some(inner),
            queues,
        }
    }

    /// Queues for the simulated exchange, which takes every request synchronously.
    pub fn simulated(exchanges: usize) -> Self {
        let queues = (0..exchanges).map(|_| QueueTx::default()).collect();
        Self {
            inner: None,
            queues,
        }
    }

    /// Every waiting request, in barter's order, exchange by exchange.
    pub fn drain(&self) -> Vec<ExecutionRequest> {
        self.queues
            .iter()
            .flat_map(|queue| queue.queue().drain(..).collect::<Vec<_>>())
            .collect()
    }

    /// Hand up to `ROUND` waiting requests per exchange to barter's execution managers.
    pub fn release(&self) -> Result<Released, UnrecoverableEngineError> {
        let mut released = Released::default();
        let Some(inner) = &self.inner else {
            return Ok(released);
        };
        for (index, queue) in self.queues.iter().enumerate() {
            let batch: Vec<ExecutionRequest> = {
                let mut queue = queue.queue();
                let take = queue.len().min(ROUND);
                queue.drain(..take).collect()
            };
            if batch.is_empty() {
                continue;
            }
            let tx = inner.find(&ExchangeIndex(index))?;
            for request in batch {
                match &request {
                    ExecutionRequest::Open(_) => released.opens += 1,
                    ExecutionRequest::Cancel(_) => released.cancels += 1,
                    ExecutionRequest::Shutdown => {}
                }
                if tx.send(request).is_err() {
                    return Err(UnrecoverableEngineError::ExecutionChannelTerminated(
                        format!("execution manager of exchange index {index} stopped"),
                    ));
                }
            }
        }
        Ok(released)
    }
}

impl ExecutionTxMap<ExchangeIndex> for QueuedTxMap {
    type ExecutionTx = QueueTx;

    fn find(&self, exchange: &ExchangeIndex) -> Result<&QueueTx, UnrecoverableEngineError> {
        // barter's map decides which exchanges can execute; the queue only delays.
        if let Some(inner) = &self.inner {
            inner.find(exchange)?;
        }
        self.queues.get(exchange.index()).ok_or_else(|| {
            UnrecoverableEngineError::IndexError(IndexError::ExchangeIndex(format!(
                "no execution queue for {exchange}"
            )))
        })
    }

    fn iter<'a>(&'a self) -> impl Iterator<Item = &'a QueueTx>
    where
        QueueTx: 'a,
    {
        self.queues.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use barter::engine::execution_tx::MultiExchangeTxMap;
    use barter_execution::order::{
        id::{ClientOrderId, StrategyId},
        request::{OrderRequestOpen, RequestOpen},
        OrderEvent, OrderKey, OrderKind, TimeInForce,
    };
    use barter_instrument::{exchange::ExchangeId, instrument::InstrumentIndex, Side};
    use barter_integration::channel::mpsc_unbounded;
    use rust_decimal::Decimal;

    fn open(cid: usize) -> ExecutionRequest {
        ExecutionRequest::Open(OrderRequestOpen {
            key: OrderKey {
                exchange: ExchangeIndex(0),
                instrument: InstrumentIndex(0),
                strategy: StrategyId::new("s"),
                cid: ClientOrderId::new(cid.to_string()),
            },
            state: RequestOpen {
                side: Side::Buy,
                price: Decimal::ONE,
                quantity: Decimal::ONE,
                kind: OrderKind::Market,
                time_in_force: TimeInForce::ImmediateOrCancel,
            },
        })
    }

    fn cid(request: ExecutionRequest) -> String {
        match request {
            ExecutionRequest::Open(OrderEvent { key, .. }) => key.cid.0.to_string(),
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn releases_in_rounds_of_round_in_barters_order() {
        let (tx, mut rx) = mpsc_unbounded();
        let inner: MultiExchangeTxMap = [(ExchangeId::Okx, Some(tx))].into_iter().collect();
        let map = QueuedTxMap::new(inner, 1);
        for n in 0..250 {
            map.find(&ExchangeIndex(0)).unwrap().send(open(n)).unwrap();
        }
        assert!(
            rx.rx.try_recv().is_err(),
            "nothing reaches barter before a release"
        );
        let mut seen = Vec::new();
        for expected in [100, 100, 50, 0] {
            assert_eq!(map.release().unwrap().opens, expected);
            while let Ok(request) = rx.rx.try_recv() {
                seen.push(cid(request));
            }
        }
        let order: Vec<String> = (0..250).map(|n| n.to_string()).collect();
        assert_eq!(seen, order);
    }

    #[test]
    fn an_exchange_without_execution_is_barters_error() {
        let inner: MultiExchangeTxMap = [(ExchangeId::Okx, None)].into_iter().collect();
        let map = QueuedTxMap::new(inner, 1);
        assert!(map.find(&ExchangeIndex(0)).is_err());
        assert!(map.find(&ExchangeIndex(1)).is_err());
    }
}
