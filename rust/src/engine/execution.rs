//! The engine's execution map: barter's `MultiExchangeTxMap` behind one queue per exchange.
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
    inner: barter::engine::execution_tx::MultiExchangeTxMap,
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
        Self { inner, queues }
    }

    /// Hand up to `ROUND` waiting requests per exchange to barter's execution managers.
    pub fn release(&self) -> Result<Released, UnrecoverableEngineError> {
        let mut released = Released::default();
        for (index, queue) in self.queues.iter().enumerate() {
            let batch: Vec<ExecutionRequest> = {
                let mut queue = queue.queue();
                let take = queue.len().min(ROUND);
                queue.drain(..take).collect()
            };
            if batch.is_empty() {
                continue;
            }
            let tx = self.inner.find(&ExchangeIndex(index))?;
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
        self.inner.find(exchange)?;
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
