//! `barter_python._native.strategy`: barter's close-position helpers
//! (`barter::strategy::close_positions`) called on state built from snapshots.
//!
//! Nothing here decides sides, quantities, kinds or which instrument gets an order: barter
//! does. This file converts inputs, assembles state, calls barter, and maps keys back.

use crate::bind::decimal;
use crate::bind::enums::Enum;
use crate::bind::error::{self, Kind};
use crate::book::filter::{self, PyInstrumentFilter};
use crate::book::snapshot::{InstrumentInput, PositionInput};
use crate::book::state::{self, Book, SnapshotData};
use crate::order::{
    self, Cancel, Open, PyClientOrderId, PyOrderRequestCancel, PyOrderRequestOpen, PyStrategyId,
};
use barter::engine::state::instrument::data::InstrumentDataState;
use barter::engine::state::instrument::{filter::InstrumentFilter, InstrumentState};
use barter::strategy::close_positions;
use barter_execution::order::{
    id::{ClientOrderId, StrategyId},
    OrderEvent,
};
use barter_instrument::{
    asset::AssetIndex,
    exchange::{ExchangeId, ExchangeIndex},
    instrument::{name::InstrumentNameInternal, InstrumentIndex},
};
use fnv::{FnvHashSet, FnvHasher};
use pyo3::prelude::*;
use pyo3::types::PyList;
use std::cell::RefCell;
use std::hash::{Hash, Hasher};

/// Call the user's `gen_cid` (with the instrument snapshot, if any) and convert its result.
fn call_gen_cid(
    gen_cid: &Bound<'_, PyAny>,
    snapshot: Option<Bound<'_, PyAny>>,
) -> PyResult<ClientOrderId> {
    let cid = match snapshot {
        None => gen_cid.call0()?,
        Some(snapshot) => gen_cid.call1((snapshot,))?,
    };
    PyClientOrderId::extract(&cid, "gen_cid() result")
}

/// barter's `build_ioc_market_order_to_close_position` for one position.
#[pyfunction]
#[pyo3(signature = (exchange, position, strategy_id, price, gen_cid=None))]
fn build_ioc_market_order_to_close_position(
    exchange: Enum<ExchangeId>,
    position: PositionInput,
    strategy_id: &Bound<'_, PyAny>,
    price: &Bound<'_, PyAny>,
    gen_cid: Option<&Bound<'_, PyAny>>,
) -> PyResult<PyOrderRequestOpen> {
    let strategy = PyStrategyId::extract(strategy_id, "strategy_id")?;
    let price = decimal::extract(price, "price")?;
    let position = state::position(
        InstrumentNameInternal::new(position.instrument),
        position.side,
        position.quantity,
        position.price_entry_average,
        chrono::Utc::now(),
    );
    // barter's gen_cid cannot fail: keep the first Python error and raise it afterwards.
    let failure = RefCell::new(None);
    let open = close_positions::build_ioc_market_order_to_close_position(
        exchange.0,
        &position,
        strategy,
        price,
        || match gen_cid {
            None => ClientOrderId::random(),
            Some(gen_cid) => call_gen_cid(gen_cid, None).unwrap_or_else(|err| {
                failure.borrow_mut().get_or_insert(err);
                ClientOrderId::new("")
            }),
        },
    );
    match failure.into_inner() {
        Some(err) => Err(err),
        None => Ok(PyOrderRequestOpen(open)),
    }
}

/// barter's `close_open_positions_with_market_orders` on an assembled book, keys mapped back to
/// `ExchangeId` and the caller's names, results in input order. Pure Rust, so it runs without
/// the GIL and is what the native benchmark measures.
pub fn close(
    book: &Book,
    inputs: &[InstrumentInput],
    strategy: &StrategyId,
    filter: &InstrumentFilter,
    random_cids: bool,
) -> (Vec<(usize, Cancel)>, Vec<(usize, Open)>) {
    let (cancels, opens) = close_positions::close_open_positions_with_market_orders(
        strategy,
        &book.state,
        filter,
        // Without random cids, the caller's gen_cid fills them in afterwards, in input order.
        |_| {
            if random_cids {
                ClientOrderId::random()
            } else {
                ClientOrderId::new("")
            }
        },
    );
    (
        in_input_order(cancels, book, inputs),
        in_input_order(opens, book, inputs),
    )
}

/// barter's requests (in state order) keyed back and placed in input order, without a sort.
fn in_input_order<State>(
    requests: impl IntoIterator<Item = OrderEvent<State, ExchangeIndex, InstrumentIndex>>,
    book: &Book,
    inputs: &[InstrumentInput],
) -> Vec<(usize, OrderEvent<State, ExchangeId, InstrumentNameInternal>)> {
    let mut slots: Vec<Option<OrderEvent<State, ExchangeId, InstrumentNameInternal>>> =
        std::iter::repeat_with(|| None).take(inputs.len()).collect();
    for request in requests {
        let (input, request) = book.index.unindex(request, inputs);
        slots[input] = Some(request);
    }
    let placed = slots.into_iter().enumerate();
    placed
        .filter_map(|(input, slot)| slot.map(|request| (input, request)))
        .collect()
}

/// `MissingPriceError` for every open position (positions `missing` in the book, ascending)
/// that barter would skip because it has no price.
pub fn missing_price(py: Python<'_>, inputs: &[InstrumentInput], missing: Vec<usize>) -> PyErr {
    let names: Vec<String> = missing
        .iter()
        .take(error::LISTED)
        .map(|i| {
            let input = &inputs[*i];
            let exchange = input.exchange.as_str();
            format!("'{}' on exchange '{exchange}'", input.instrument)
        })
        .collect();
    let more = match missing.len().saturating_sub(error::LISTED) {
        0 => String::new(),
        more => format!(" and {more} more"),
    };
    let (subject, verb, them) = match missing.len() {
        1 => (format!("instrument {}", names[0]), "has", "it"),
        n => {
            let listed = names.join(", ");
            (format!("{n} instruments ({listed}{more})"), "have", "them")
        }
    };
    let message = format!(
        "{subject} {verb} an open position but no price; give {them} a price, or pass \
         on_missing_price=\"skip\" to leave {them} open"
    );
    error::with_indices(py, Kind::MissingPrice, message, missing)
}

/// barter's `close_open_positions_with_market_orders` over a book of `InstrumentSnapshot`s.
///
/// Opens come back in input order; with a `gen_cid`, it is called once per open, in that order.
#[pyfunction]
#[pyo3(signature = (strategy_id, instruments, gen_cid=None, filter=None, skip_missing_price=false))]
fn close_open_positions_with_market_orders<'py>(
    py: Python<'py>,
    strategy_id: &Bound<'py, PyAny>,
    instruments: &Bound<'py, PyList>,
    gen_cid: Option<&Bound<'py, PyAny>>,
    filter: Option<&Bound<'py, PyAny>>,
    skip_missing_price: bool,
) -> PyResult<(Bound<'py, PyList>, Bound<'py, PyList>)> {
    let strategy = PyStrategyId::extract(strategy_id, "strategy_id")?;
    let filter = filter::extract(filter)?;
    // Without a `gen_cid`, barter's random cids; with one, they are filled in afterwards.
    let random = gen_cid.is_none();
    let (inputs, closed) = if instruments.len() > PART {
        read_and_close_in_parts(py, instruments, &strategy, &filter, random)?
    } else {
        // One part: nothing to overlap, and no thread to start.
        let inputs = inputs_of(instruments)?;
        let closed = close_in_parts(py, &inputs, &strategy, &filter, random)?;
        (inputs, closed)
    };
    if !skip_missing_price && !closed.unpriced.is_empty() {
        // barter silently skips a position without a price; the SDK refuses by default.
        return Err(missing_price(py, &inputs, closed.unpriced));
    }
    let snapshot = |input: usize| instruments.get_item(input);
    orders_to_python(py, (closed.cancels, closed.opens), gen_cid, snapshot)
}

/// A book is closed in parts of this many instruments. barter's close maps each instrument
/// to its order from that instrument's own state, so a part's state gives the same orders as
/// the whole book's; and a part's state (≈ 1 KiB per instrument) stays in the CPU's caches and
/// keeps memory small, where a 100k-instrument book's state would not.
const PART: usize = 1024;

/// What closing a book gives, by input position (ascending): barter's requests in input order,
/// the instruments the filter selected, and the selected open positions without a price.
#[derive(Default)]
pub struct Closed {
    pub cancels: Vec<(usize, Cancel)>,
    pub opens: Vec<(usize, Open)>,
    pub selected: Vec<usize>,
    pub unpriced: Vec<usize>,
    /// A part held one instrument twice (`refuse` names it for the whole book).
    pub repeat: bool,
}

/// barter's close of the positions `filter` selects in `inputs`, part by part (barter skips a
/// position without a price: the caller decides about `unpriced`). A repeated instrument and a
/// filter naming what the book lacks are refused for the whole book.
pub fn close_in_parts(
    py: Python<'_>,
    inputs: &[InstrumentInput],
    strategy: &StrategyId,
    filter: &PyInstrumentFilter,
    random_cids: bool,
) -> PyResult<Closed> {
    let closed = py.detach(|| close_parts(inputs, strategy, filter, random_cids));
    refuse(py, inputs, filter, closed.repeat)?;
    Ok(closed)
}

/// `close_in_parts` on validated `InstrumentSnapshot`s, read part by part while another thread
/// closes the parts already read: reading needs the GIL, barter's close does not, so the two
/// overlap. Returns the snapshots' native form too.
fn read_and_close_in_parts(
    py: Python<'_>,
    instruments: &Bound<'_, PyList>,
    strategy: &StrategyId,
    filter: &PyInstrumentFilter,
    random_cids: bool,
) -> PyResult<(Vec<InstrumentInput>, Closed)> {
    let (parts, received) = std::sync::mpsc::sync_channel::<Vec<InstrumentInput>>(2);
    let (read, closed) = std::thread::scope(|scope| {
        let closer = scope.spawn(move || {
            let (mut inputs, mut closed) = (Vec::new(), Closed::default());
            for part in received {
                close_part(
                    &part,
                    inputs.len(),
                    strategy,
                    filter,
                    random_cids,
                    &mut closed,
                );
                inputs.extend(part);
            }
            (inputs, closed)
        });
        let mut read = Ok(());
        for start in (0..instruments.len()).step_by(PART) {
            let end = (start + PART).min(instruments.len());
            let part =
                (start..end).map(|at| instruments.get_item(at)?.extract::<InstrumentInput>());
            match part.collect::<PyResult<Vec<_>>>() {
                Ok(part) => {
                    if parts.send(part).is_err() {
                        break; // the closing thread ended early: its join says why
                    }
                }
                Err(err) => {
                    read = Err(err);
                    break;
                }
            }
        }
        drop(parts);
        let closed = closer.join().map_err(|_| {
            pyo3::exceptions::PyRuntimeError::new_err("barter's close failed inside (a panic)")
        });
        (read, closed)
    });
    read?;
    let (inputs, closed) = closed?;
    refuse(py, &inputs, filter, closed.repeat)?;
    Ok((inputs, closed))
}

/// A repeated instrument or a filter naming what the book lacks, refused for the whole book.
fn refuse(
    py: Python<'_>,
    inputs: &[InstrumentInput],
    filter: &PyInstrumentFilter,
    repeat_in_a_part: bool,
) -> PyResult<()> {
    if repeat_in_a_part || repeats(inputs) {
        // The whole book's assembly finds the repeat, if any, and names it as it always has.
        Book::from_snapshots(inputs, chrono::Utc::now()).map_err(|dup| dup.into_err(py, inputs))?;
        if repeat_in_a_part {
            return Err(pyo3::exceptions::PyRuntimeError::new_err(
                "a part of the book held an instrument twice that the whole book holds once",
            ));
        }
    }
    filter.check(py, inputs)
}

/// The part-by-part close itself, without Python (what the native benchmark measures).
pub fn close_parts(
    inputs: &[InstrumentInput],
    strategy: &StrategyId,
    filter: &PyInstrumentFilter,
    random_cids: bool,
) -> Closed {
    let mut closed = Closed::default();
    for (part, chunk) in inputs.chunks(PART).enumerate() {
        close_part(
            chunk,
            part * PART,
            strategy,
            filter,
            random_cids,
            &mut closed,
        );
    }
    closed
}

/// barter's close of one part (its first input at `offset` in the book), added to `closed`; a
/// part holding one instrument twice is marked and left (the whole book's check names it).
fn close_part(
    part: &[InstrumentInput],
    offset: usize,
    strategy: &StrategyId,
    filter: &PyInstrumentFilter,
    random_cids: bool,
    closed: &mut Closed,
) {
    let Ok(book) = Book::from_snapshots(part, chrono::Utc::now()) else {
        closed.repeat = true;
        return;
    };
    let filter = filter.matching(&book.index, part);
    let global = |positions: Vec<usize>| positions.into_iter().map(move |i| i + offset);
    closed
        .selected
        .extend(global(selected(&book, &filter, |_| true)));
    closed
        .unpriced
        .extend(global(selected(&book, &filter, unpriced)));
    let (cancels, opens) = close(&book, part, strategy, &filter, random_cids);
    closed
        .cancels
        .extend(cancels.into_iter().map(|(i, c)| (i + offset, c)));
    closed
        .opens
        .extend(opens.into_iter().map(|(i, o)| (i + offset, o)));
}

/// Whether two inputs may be one instrument to barter (same exchange, same lowercased name):
/// compact 64-bit keys, so a large book's check stays in cache; a collision only sends the
/// caller to the exact check.
fn repeats(inputs: &[InstrumentInput]) -> bool {
    let mut seen: FnvHashSet<u64> =
        FnvHashSet::with_capacity_and_hasher(inputs.len(), Default::default());
    let key = |input: &InstrumentInput| {
        let mut hasher = FnvHasher::default();
        input.exchange.hash(&mut hasher);
        let name = input.instrument.as_str();
        if name.is_ascii() {
            name.bytes()
                .for_each(|b| hasher.write_u8(b.to_ascii_lowercase()));
        } else {
            // barter's own key: its lowercasing of a long name knows final sigmas.
            let internal = InstrumentNameInternal::new_from_exchange(input.exchange, name);
            internal.name().hash(&mut hasher);
        }
        hasher.finish()
    };
    !inputs.iter().all(|input| seen.insert(key(input)))
}

/// The requests of `close` on `book` (opens in input order), refused if an open position the
/// filter selects has no price unless `skip_missing_price` (barter's own behaviour).
pub fn close_book(
    py: Python<'_>,
    book: &Book,
    inputs: &[InstrumentInput],
    strategy: &StrategyId,
    filter: &Filter,
    skip_missing_price: bool,
    random_cids: bool,
) -> PyResult<(Vec<(usize, Cancel)>, Vec<(usize, Open)>)> {
    if !skip_missing_price {
        // barter silently skips a position without a price; the SDK refuses by default.
        let missing = selected(book, filter, unpriced);
        if !missing.is_empty() {
            return Err(missing_price(py, inputs, missing));
        }
    }
    Ok(py.detach(|| close(book, inputs, strategy, filter, random_cids)))
}

/// The requests as Python lists; with a `gen_cid`, it is called once per open, in order, with
/// the open's snapshot.
pub fn orders_to_python<'py>(
    py: Python<'py>,
    (cancels, mut opens): (Vec<(usize, Cancel)>, Vec<(usize, Open)>),
    gen_cid: Option<&Bound<'py, PyAny>>,
    snapshot: impl Fn(usize) -> PyResult<Bound<'py, PyAny>>,
) -> PyResult<(Bound<'py, PyList>, Bound<'py, PyList>)> {
    if let Some(gen_cid) = gen_cid {
        for (input, open) in opens.iter_mut() {
            open.key.cid = call_gen_cid(gen_cid, Some(snapshot(*input)?))?;
        }
    }
    let cancels = cancels
        .into_iter()
        .map(|(_, c)| order::untracked(py, PyOrderRequestCancel(c)));
    let opens = opens
        .into_iter()
        .map(|(_, o)| order::untracked(py, PyOrderRequestOpen(o)));
    Ok((
        PyList::new(py, cancels.collect::<PyResult<Vec<_>>>()?)?,
        PyList::new(py, opens.collect::<PyResult<Vec<_>>>()?)?,
    ))
}

pub type Filter = InstrumentFilter<ExchangeIndex, AssetIndex, InstrumentIndex>;

/// The snapshots (validated `InstrumentSnapshot`s) and the state assembled for them.
pub fn book_of(
    py: Python<'_>,
    instruments: &Bound<'_, PyList>,
) -> PyResult<(Vec<InstrumentInput>, Book)> {
    let inputs = inputs_of(instruments)?;
    let book = Book::from_snapshots(&inputs, chrono::Utc::now())
        .map_err(|dup| dup.into_err(py, &inputs))?;
    Ok((inputs, book))
}

/// The native form of validated `InstrumentSnapshot`s.
pub fn inputs_of(instruments: &Bound<'_, PyList>) -> PyResult<Vec<InstrumentInput>> {
    let mut inputs = Vec::with_capacity(instruments.len());
    for item in instruments.iter() {
        inputs.push(item.extract::<InstrumentInput>()?);
    }
    Ok(inputs)
}

/// An open position barter would skip: it has no price.
fn unpriced(state: &InstrumentState<SnapshotData>) -> bool {
    state.position.current.is_some() && state.data.price().is_none()
}

/// Input positions (ascending) of the instruments `filter` selects that `keep` keeps.
pub fn selected(
    book: &Book,
    filter: &Filter,
    keep: impl Fn(&InstrumentState<SnapshotData>) -> bool,
) -> Vec<usize> {
    let states = book.state.instruments.instruments(filter);
    let mut positions: Vec<usize> = states
        .filter(|state| keep(state))
        .map(|state| book.index.input_of[state.key.index()])
        .collect();
    positions.sort_unstable();
    positions
}

/// Register `strategy` as a real submodule, importable as `barter_python._native.strategy`.
pub fn register(parent: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = parent.py();
    let module = PyModule::new(py, "strategy")?;
    module.add_function(wrap_pyfunction!(
        build_ioc_market_order_to_close_position,
        &module
    )?)?;
    module.add_function(wrap_pyfunction!(
        close_open_positions_with_market_orders,
        &module
    )?)?;
    parent.add_submodule(&module)?;
    // `import barter_python._native.strategy` looks in sys.modules; PyO3 does not put it there.
    let qualified = "barter_python._native.strategy";
    module.setattr("__name__", qualified)?;
    py.import("sys")?
        .getattr("modules")?
        .set_item(qualified, &module)?;
    Ok(())
}
