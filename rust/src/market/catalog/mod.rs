//! The catalog (spec §11): market data as Parquet files, one per exchange, instrument, kind
//! and UTC day of the exchange time, `{exchange}/{instrument}/{kind}/{YYYY-MM-DD}.parquet`,
//! written whole then renamed (`write`), read back row group by row group (`read`), each
//! kind's columns in `kinds`. `barter_python.market.Catalog` lists the files; this side
//! writes, reads and replays them.

mod kinds;
mod read;
mod write;

pub use read::ReadAhead;

use crate::bind::enums::Enum;
use crate::market::data::vendor::Each;
use crate::market::data::{self, binance, order::Order, tardis, Builder, Instrument, PyMarketData};
use crate::market::problems::Failure;
use barter_instrument::exchange::ExchangeId;
use barter_instrument::instrument::name::InstrumentNameInternal;
use chrono::{DateTime, SecondsFormat, Utc};
use kinds::FileKind;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyList, PyTuple};
use read::{Bounds, Part, Stream};
use std::path::Path;

/// What a query reads: the parts (sorted by exchange, instrument and kind: the merge's tie
/// order) and the bounds of the exchange time. Pickles as these, never as data.
#[pyclass(
    frozen,
    subclass,
    module = "barter_python._native",
    name = "MarketQuery"
)]
#[derive(PartialEq)]
pub struct PyMarketQuery {
    parts: Vec<Part>,
    bounds: Bounds,
    /// The parts' instruments in barter's order (exchange, then name), each once.
    instruments: Vec<Instrument>,
}

type PartArgs = (Enum<ExchangeId>, String, String, Vec<String>);

impl PyMarketQuery {
    pub fn instruments(&self) -> &[Instrument] {
        &self.instruments
    }

    /// The events, interleaved by exchange time, a batch of rows at a time, read ahead on a
    /// thread of their own.
    pub fn stream(&self) -> ReadAhead {
        ReadAhead::new(Stream::new(&self.parts, &self.instruments, self.bounds))
    }

    /// How many events, and the first and last exchange times (from the files' footers, and
    /// their time column where a bound cuts a file).
    fn counted(&self) -> Result<(usize, Option<(i64, i64)>), Failure> {
        let (mut count, mut span) = (0usize, None::<(i64, i64)>);
        for file in self.parts.iter().flat_map(|part| &part.files) {
            let (events, times) = read::counted(file, self.bounds)?;
            count += events as usize;
            if let Some((first, last)) = times {
                span = Some(span.map_or((first, last), |(a, b)| (a.min(first), b.max(last))));
            }
        }
        Ok((count, span))
    }

    pub fn len(&self) -> Result<usize, Failure> {
        self.counted().map(|(count, _)| count)
    }

    fn load(&self) -> Result<data::MarketData, Failure> {
        let mut builder = Builder::default();
        let keys: Vec<u32> = self
            .instruments
            .iter()
            .map(|instrument| builder.key(instrument.clone()))
            .collect();
        for item in self.stream() {
            let (event, arena) = item?;
            let instrument = keys[event.instrument as usize];
            builder.push_from(
                data::Event {
                    instrument,
                    ..event
                },
                &arena,
            );
        }
        if !builder.has_data() {
            return Err(data::no_events("the query"));
        }
        Ok(builder.finish())
    }

    fn time(&self, py: Python<'_>, last: bool) -> PyResult<DateTime<Utc>> {
        let (_, span) = py
            .detach(|| self.counted())
            .map_err(|failure| failure.into_py(py))?;
        let (first, end) = span.ok_or_else(|| PyValueError::new_err("the query has no events"))?;
        Ok(data::utc(if last { end } else { first }))
    }
}

#[pymethods]
impl PyMarketQuery {
    /// `parts`: `(exchange, instrument, kind, files in date order)`; the events with `start
    /// <= time_exchange < end`.
    #[new]
    #[pyo3(signature = (parts, start=None, end=None))]
    fn py_new(
        parts: Vec<PartArgs>,
        start: Option<DateTime<Utc>>,
        end: Option<DateTime<Utc>>,
    ) -> PyResult<Self> {
        let mut parts = parts
            .into_iter()
            .map(|(exchange, name, kind, files)| {
                Ok(Part {
                    instrument: (exchange.0, InstrumentNameInternal::new(name)),
                    kind: FileKind::parse(&kind).map_err(PyValueError::new_err)?,
                    files,
                })
            })
            .collect::<PyResult<Vec<Part>>>()?;
        parts.sort_by(|a, b| (&a.instrument, a.kind).cmp(&(&b.instrument, b.kind)));
        if let Some(pair) = parts
            .windows(2)
            .find(|pair| (&pair[0].instrument, pair[0].kind) == (&pair[1].instrument, pair[1].kind))
        {
            return Err(PyValueError::new_err(format!(
                "parts: {} on {} ({}) is given twice",
                pair[0].instrument.1,
                pair[0].instrument.0.as_str(),
                pair[0].kind.name()
            )));
        }
        let mut instruments: Vec<Instrument> =
            parts.iter().map(|part| part.instrument.clone()).collect();
        instruments.dedup();
        let bounds = Bounds {
            start: data::bound(start, "start")?,
            end: data::bound(end, "end")?,
        };
        Ok(PyMarketQuery {
            parts,
            bounds,
            instruments,
        })
    }

    /// Every event, in memory.
    fn _load(&self, py: Python<'_>) -> PyResult<PyMarketData> {
        data::loaded(py, py.detach(|| self.load()))
    }

    fn __len__(&self, py: Python<'_>) -> PyResult<usize> {
        py.detach(|| self.len())
            .map_err(|failure| failure.into_py(py))
    }

    #[getter]
    fn time_first_event(&self, py: Python<'_>) -> PyResult<DateTime<Utc>> {
        self.time(py, false)
    }

    #[getter]
    fn time_last_event(&self, py: Python<'_>) -> PyResult<DateTime<Utc>> {
        self.time(py, true)
    }

    /// `(exchange, instrument, kind, files)` of each part.
    #[getter]
    fn parts<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        let items = self
            .parts
            .iter()
            .map(|part| {
                (
                    Enum(part.instrument.0),
                    part.instrument.1.name().as_str(),
                    part.kind.name(),
                    part.files.clone(),
                )
            })
            .collect::<Vec<_>>();
        PyList::new(py, items)
    }

    #[getter(instruments)]
    fn py_instruments<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        let items = self
            .instruments
            .iter()
            .map(|(exchange, name)| (Enum(*exchange), name.name().as_str()))
            .collect::<Vec<_>>();
        PyList::new(py, items)
    }

    #[getter]
    fn start(&self) -> Option<DateTime<Utc>> {
        self.bounds.start.map(data::utc)
    }

    #[getter]
    fn end(&self) -> Option<DateTime<Utc>> {
        self.bounds.end.map(data::utc)
    }

    /// The same parts, within `start <= time < end` as well.
    #[pyo3(signature = (start=None, end=None))]
    fn slice<'py>(
        slf: &Bound<'py, Self>,
        start: Option<DateTime<Utc>>,
        end: Option<DateTime<Utc>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let this = slf.get();
        let bounds = this.bounds.within(Bounds {
            start: data::bound(start, "start")?,
            end: data::bound(end, "end")?,
        });
        let args = (
            this.parts(slf.py())?,
            bounds.start.map(data::utc),
            bounds.end.map(data::utc),
        );
        slf.get_type().call1(args)
    }

    fn __reduce__<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyTuple>> {
        let this = slf.get();
        let args = (this.parts(slf.py())?, this.start(), this.end());
        (slf.get_type(), args).into_pyobject(slf.py())
    }

    fn __eq__(&self, other: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        let py = other.py();
        Ok(match other.cast::<PyMarketQuery>() {
            Ok(other) => (self == other.get())
                .into_pyobject(py)?
                .to_owned()
                .into_any()
                .unbind(),
            Err(_) => py.NotImplemented(),
        })
    }

    fn __repr__(slf: &Bound<'_, Self>) -> PyResult<String> {
        let this = slf.get();
        let files: usize = this.parts.iter().map(|part| part.files.len()).sum();
        let text = |time: Option<i64>| {
            time.map_or("..".to_string(), |nanos| {
                data::utc(nanos).to_rfc3339_opts(SecondsFormat::AutoSi, true)
            })
        };
        Ok(format!(
            "<{}: {files} files of {} instruments, {} to {}>",
            slf.get_type().name()?,
            this.instruments.len(),
            text(this.bounds.start),
            text(this.bounds.end)
        ))
    }
}

fn done(py: Python<'_>, result: Result<Vec<String>, Failure>) -> PyResult<Vec<String>> {
    result.map_err(|failure| failure.into_py(py))
}

/// `data` into the catalog at `root`; the paths of its days.
#[pyfunction]
pub fn catalog_write(
    py: Python<'_>,
    root: String,
    data: PyRef<'_, PyMarketData>,
    replace: bool,
) -> PyResult<Vec<String>> {
    let data = data.data().clone();
    done(
        py,
        py.detach(|| write::write(Path::new(&root), &data, replace)),
    )
}

/// A vendor's files into the catalog (`write::import`) without the GIL; `progress(pass,
/// files_done)` is called with it taken, and what it raises stops the import.
fn import(
    py: Python<'_>,
    root: &str,
    order: Order,
    read: impl Fn(&mut Each) -> Result<(), Failure> + Send,
    progress: Option<Py<PyAny>>,
    replace: bool,
) -> PyResult<Vec<String>> {
    let mut report = |pass: &'static str, done: usize| match &progress {
        None => Ok(()),
        Some(progress) => Python::attach(|py| {
            progress
                .call1(py, (pass, done))
                .map(drop)
                .map_err(|err| Failure::Data(format!("the import stopped: {}", err.value(py))))
        }),
    };
    let root = Path::new(root);
    done(
        py,
        py.detach(|| write::import(root, order, read, &mut report, replace)),
    )
}

/// Binance's files into the catalog, streaming (`MarketData.from_binance`'s arguments).
#[pyfunction]
#[pyo3(signature = (root, paths, kind, exchange, instrument, order, replace, progress=None))]
#[allow(clippy::too_many_arguments)]
pub fn catalog_import_binance(
    py: Python<'_>,
    root: String,
    paths: Vec<String>,
    kind: &str,
    exchange: Enum<ExchangeId>,
    instrument: String,
    order: &str,
    replace: bool,
    progress: Option<Py<PyAny>>,
) -> PyResult<Vec<String>> {
    let (kind, instrument, order) = binance::arguments(kind, exchange.0, instrument, order)?;
    let read = |each: &mut Each| binance::read(&paths, kind, instrument.clone(), order, each);
    import(py, &root, order, read, progress, replace)
}

/// Tardis's files into the catalog, streaming (`MarketData.from_tardis`'s arguments).
#[pyfunction]
#[pyo3(signature = (root, paths, instruments, exchange, order, replace, progress=None))]
#[allow(clippy::too_many_arguments)]
pub fn catalog_import_tardis(
    py: Python<'_>,
    root: String,
    paths: Vec<String>,
    instruments: &Bound<'_, PyAny>,
    exchange: Option<Enum<ExchangeId>>,
    order: &str,
    replace: bool,
    progress: Option<Py<PyAny>>,
) -> PyResult<Vec<String>> {
    let order = Order::parse(order).map_err(PyValueError::new_err)?;
    let symbols = tardis::Symbols::extract(instruments)?;
    let exchange = exchange.map(|exchange| exchange.0);
    let read = |each: &mut Each| tardis::read(&paths, symbols.clone(), exchange, order, each);
    import(py, &root, order, read, progress, replace)
}

/// A catalog file's footer: its events and the first and last exchange times.
#[pyfunction]
pub fn catalog_file(py: Python<'_>, path: String) -> PyResult<(u64, DateTime<Utc>, DateTime<Utc>)> {
    let (events, first, last) = py
        .detach(|| read::info(&path))
        .map_err(|failure| failure.into_py(py))?;
    Ok((events, data::utc(first), data::utc(last)))
}

pub fn register(module: &Bound<'_, PyModule>) -> PyResult<()> {
    module.add_class::<PyMarketQuery>()?;
    module.add_function(wrap_pyfunction!(catalog_write, module)?)?;
    module.add_function(wrap_pyfunction!(catalog_import_binance, module)?)?;
    module.add_function(wrap_pyfunction!(catalog_import_tardis, module)?)?;
    module.add_function(wrap_pyfunction!(catalog_file, module)?)?;
    Ok(())
}
