//! `barter_python._native.Book`: barter's `EngineState` for a book of snapshots, kept across
//! calls, so that closing positions again costs barter's close call, not a new state.
//!
//! `update` and `set_prices` change the named instruments' prices and positions in place (the
//! instruments themselves, and so barter's indices, stay as built); the close is the stateless
//! function's, on the kept state.

use crate::bind::decimal;
use crate::bind::enums::Enum;
use crate::bind::error::{self, Kind};
use crate::book::close::{book_of, close_book, orders_to_python};
use crate::book::filter;
use crate::book::snapshot::InstrumentInput;
use crate::book::state::{self, Book};
use crate::order::PyStrategyId;
use barter_instrument::exchange::ExchangeId;
use barter_instrument::instrument::{name::InstrumentNameInternal, InstrumentIndex};
use fnv::FnvHashMap;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyList, PyMapping};
use rust_decimal::Decimal;

type Key = (ExchangeId, InstrumentNameInternal);

/// barter's state of a book, kept across calls.
#[pyclass(subclass, module = "barter_python._native", name = "Book")]
pub struct PyBook {
    book: Book,
    inputs: Vec<InstrumentInput>,
    /// The snapshot of each input, for `gen_cid`, and whether `set_prices` changed its price
    /// since (a new one is made only when a `gen_cid` needs it).
    snapshots: Vec<Py<PyAny>>,
    stale: Vec<bool>,
    /// `(exchange, instrument)` -> input position.
    at: FnvHashMap<Key, usize>,
    /// Input position -> barter's instrument index.
    instrument_of: Vec<usize>,
}

fn key(input: &InstrumentInput) -> Key {
    (
        input.exchange,
        InstrumentNameInternal::new(input.instrument.as_str()),
    )
}

impl PyBook {
    /// The input position of `key`, or `UnknownInstrumentError`.
    fn position(&self, py: Python<'_>, key: &Key) -> PyResult<usize> {
        self.at.get(key).copied().ok_or_else(|| {
            error::new_err(
                py,
                Kind::UnknownInstrument,
                format!(
                    "instrument '{}' on exchange '{}' is not in the book",
                    key.1,
                    key.0.as_str()
                ),
            )
        })
    }

    /// Put `input`'s price and position on the state of the instrument at input `at`.
    fn apply(&mut self, at: usize, input: InstrumentInput) {
        let index = self.instrument_of[at];
        let (_, state) = self
            .book
            .state
            .instruments
            .0
            .get_index_mut(index)
            .expect("every input has an instrument");
        state.data.price = input.price;
        state.position.current = input
            .position
            .as_ref()
            .filter(|p| !p.quantity.is_zero())
            .map(|p| {
                let time = state.position.current.as_ref().map(|c| c.time_enter);
                state::position(
                    InstrumentIndex(index),
                    p.side,
                    p.quantity,
                    p.price_entry_average,
                    time.unwrap_or_else(chrono::Utc::now),
                )
            });
        self.inputs[at] = input;
    }
}

#[pymethods]
impl PyBook {
    /// barter's state for `instruments` (validated `InstrumentSnapshot`s).
    #[new]
    fn py_new(py: Python<'_>, instruments: &Bound<'_, PyList>) -> PyResult<Self> {
        let (inputs, book) = book_of(py, instruments)?;
        let mut instrument_of = vec![0; inputs.len()];
        for (index, input) in book.index.input_of.iter().enumerate() {
            instrument_of[*input] = index;
        }
        Ok(Self {
            at: inputs
                .iter()
                .enumerate()
                .map(|(at, i)| (key(i), at))
                .collect(),
            snapshots: instruments.iter().map(|s| s.unbind()).collect(),
            stale: vec![false; inputs.len()],
            book,
            inputs,
            instrument_of,
        })
    }

    /// Replace the price and position of each named instrument with its snapshot's; every one
    /// must be in the book, with the same base and quote. Nothing changes on an error.
    fn update(&mut self, py: Python<'_>, instruments: &Bound<'_, PyList>) -> PyResult<()> {
        let mut changes = Vec::with_capacity(instruments.len());
        for item in instruments.iter() {
            let input: InstrumentInput = item.extract()?;
            let at = self.position(py, &key(&input))?;
            let old = &self.inputs[at];
            if (old.base.as_str(), old.quote.as_str())
                != (input.base.as_str(), input.quote.as_str())
            {
                return Err(PyValueError::new_err(format!(
                    "instrument '{}' on exchange '{}' is {}/{} in the book, not {}/{}: build a \
                     new Book to change an instrument",
                    input.instrument,
                    input.exchange.as_str(),
                    old.base,
                    old.quote,
                    input.base,
                    input.quote
                )));
            }
            changes.push((at, input, item.unbind()));
        }
        for (at, input, snapshot) in changes {
            self.apply(at, input);
            self.snapshots[at] = snapshot;
            self.stale[at] = false;
        }
        Ok(())
    }

    /// Set the price of each `(exchange, instrument)` of the mapping (`> 0`). Nothing changes on
    /// an error.
    fn set_prices(&mut self, py: Python<'_>, prices: &Bound<'_, PyMapping>) -> PyResult<()> {
        let mut changes = Vec::with_capacity(prices.len()?);
        for item in prices.items()?.iter() {
            let ((exchange, name), price): ((Enum<ExchangeId>, String), Bound<'_, PyAny>) =
                item.extract()?;
            let at = self.position(py, &(exchange.0, InstrumentNameInternal::new(name)))?;
            let price = decimal::extract(&price, "price")?;
            if price <= Decimal::ZERO {
                return Err(PyValueError::new_err(format!(
                    "price must be > 0, got {price} for '{}' on '{}'",
                    self.inputs[at].instrument,
                    exchange.0.as_str()
                )));
            }
            changes.push((at, price));
        }
        for (at, price) in changes {
            let index = self.instrument_of[at];
            let state = self.book.state.instruments.0.get_index_mut(index);
            state.expect("every input has an instrument").1.data.price = Some(price);
            self.inputs[at].price = Some(price);
            self.stale[at] = true;
        }
        Ok(())
    }

    /// barter's `close_open_positions_with_market_orders` on the kept state.
    #[pyo3(signature = (strategy_id, gen_cid=None, filter=None, skip_missing_price=false, snapshot=None))]
    fn close_open_positions_with_market_orders<'py>(
        &mut self,
        py: Python<'py>,
        strategy_id: &Bound<'py, PyAny>,
        gen_cid: Option<&Bound<'py, PyAny>>,
        filter: Option<&Bound<'py, PyAny>>,
        skip_missing_price: bool,
        snapshot: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<(Bound<'py, PyList>, Bound<'py, PyList>)> {
        let strategy = PyStrategyId::extract(strategy_id, "strategy_id")?;
        let filter = filter::extract(filter)?.resolve(py, &self.book.index, &self.inputs)?;
        let random = gen_cid.is_none();
        let orders = close_book(
            py,
            &self.book,
            &self.inputs,
            &strategy,
            &filter,
            skip_missing_price,
            random,
        )?;
        // A snapshot whose price `set_prices` changed is made again, by `snapshot(old, price)`,
        // only when a `gen_cid` needs it.
        let book = std::cell::RefCell::new(self);
        orders_to_python(py, orders, gen_cid, |at| {
            let mut book = book.borrow_mut();
            if book.stale[at] {
                let make = snapshot.ok_or_else(|| PyValueError::new_err("no snapshot factory"))?;
                let made = make.call1((book.snapshots[at].bind(py), book.inputs[at].price))?;
                book.snapshots[at] = made.unbind();
                book.stale[at] = false;
            }
            Ok(book.snapshots[at].bind(py).clone())
        })
    }

    fn __len__(&self) -> usize {
        self.inputs.len()
    }
}
