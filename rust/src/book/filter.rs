//! barter's `InstrumentFilter`, named the way a Python caller names instruments, and its
//! translation to barter's index keys for one assembled book.

use crate::bind::enums;
use crate::bind::error::{self, Kind};
use crate::book::snapshot::InstrumentInput;
use crate::book::state::Index;
use barter::engine::state::instrument::filter::InstrumentFilter;
use barter_instrument::{
    asset::name::AssetNameInternal, exchange::ExchangeId, instrument::name::InstrumentNameInternal,
    Underlying,
};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyTuple;
use std::collections::{HashMap, HashSet};

#[derive(Clone, PartialEq, Eq, Hash)]
enum Spec {
    None,
    Exchanges(Vec<ExchangeId>),
    Instruments(Vec<InstrumentNameInternal>),
    Underlyings(Vec<(AssetNameInternal, AssetNameInternal)>),
}

/// Which instruments a close applies to; mirrors barter's `InstrumentFilter`.
#[pyclass(
    frozen,
    eq,
    hash,
    from_py_object,
    module = "barter_python._native",
    name = "InstrumentFilter"
)]
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct PyInstrumentFilter(Spec);

fn at_least_one(args: &Bound<'_, PyTuple>, what: &str) -> PyResult<()> {
    if args.is_empty() {
        return Err(PyValueError::new_err(format!(
            "InstrumentFilter.{what}() needs at least one value; \
             InstrumentFilter.none() selects every instrument"
        )));
    }
    Ok(())
}

#[pymethods]
impl PyInstrumentFilter {
    /// Every instrument (barter's `InstrumentFilter::None`).
    #[staticmethod]
    fn none() -> Self {
        Self(Spec::None)
    }

    /// Instruments on any of these exchanges.
    #[staticmethod]
    #[pyo3(signature = (*exchanges))]
    fn exchanges(exchanges: &Bound<'_, PyTuple>) -> PyResult<Self> {
        at_least_one(exchanges, "exchanges")?;
        let ids = exchanges
            .iter()
            .map(|e| enums::from_py(&e))
            .collect::<PyResult<_>>()?;
        Ok(Self(Spec::Exchanges(ids)))
    }

    /// Instruments with any of these names, on every exchange that has them.
    #[staticmethod]
    #[pyo3(signature = (*names))]
    fn instruments(names: &Bound<'_, PyTuple>) -> PyResult<Self> {
        at_least_one(names, "instruments")?;
        let names = names
            .iter()
            .map(|name| Ok(InstrumentNameInternal::new(name.extract::<String>()?)))
            .collect::<PyResult<_>>()?;
        Ok(Self(Spec::Instruments(names)))
    }

    /// Instruments with any of these `(base, quote)` pairs, on every exchange that has them.
    #[staticmethod]
    #[pyo3(signature = (*pairs))]
    fn underlyings(pairs: &Bound<'_, PyTuple>) -> PyResult<Self> {
        at_least_one(pairs, "underlyings")?;
        let pairs = pairs
            .iter()
            .map(|pair| {
                let (base, quote): (String, String) = pair.extract()?;
                Ok((AssetNameInternal::new(base), AssetNameInternal::new(quote)))
            })
            .collect::<PyResult<_>>()?;
        Ok(Self(Spec::Underlyings(pairs)))
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        let args: Vec<String> = match &self.0 {
            Spec::None => return Ok("InstrumentFilter.none()".into()),
            Spec::Exchanges(ids) => {
                let reprs = ids.iter().map(|id| enums::repr(py, *id));
                let args = reprs.collect::<PyResult<Vec<_>>>()?;
                return Ok(format!("InstrumentFilter.exchanges({})", args.join(", ")));
            }
            Spec::Instruments(names) => names.iter().map(|n| format!("'{n}'")).collect(),
            Spec::Underlyings(pairs) => pairs
                .iter()
                .map(|(b, q)| format!("('{b}', '{q}')"))
                .collect(),
        };
        let what = if matches!(self.0, Spec::Instruments(_)) {
            "instruments"
        } else {
            "underlyings"
        };
        Ok(format!("InstrumentFilter.{what}({})", args.join(", ")))
    }
}

impl PyInstrumentFilter {
    /// barter's index-keyed filter for `book`; names the book lacks are an error, exchanges it
    /// lacks simply match nothing.
    pub fn resolve(
        &self,
        py: Python<'_>,
        book: &Index,
        inputs: &[InstrumentInput],
    ) -> PyResult<InstrumentFilter> {
        self.check(py, inputs)?;
        Ok(self.matching(book, inputs))
    }

    /// Refuse a filter naming an instrument no input has, or an underlying no exchange of the
    /// inputs has both assets of.
    pub fn check(&self, py: Python<'_>, inputs: &[InstrumentInput]) -> PyResult<()> {
        let unknown = |message: String| Err(error::new_err(py, Kind::UnknownInstrument, message));
        match &self.0 {
            Spec::None | Spec::Exchanges(_) => Ok(()),
            Spec::Instruments(wanted) => {
                let names: HashSet<InstrumentNameInternal> = inputs
                    .iter()
                    .map(|input| InstrumentNameInternal::new(input.instrument.as_str()))
                    .collect();
                match wanted.iter().find(|name| !names.contains(*name)) {
                    Some(name) => unknown(format!(
                        "filter names instrument '{name}', which is not in the book"
                    )),
                    None => Ok(()),
                }
            }
            Spec::Underlyings(pairs) => {
                let mut assets: HashSet<(ExchangeId, AssetNameInternal)> = HashSet::new();
                for input in inputs {
                    for name in [&input.base, &input.quote] {
                        assets.insert((input.exchange, AssetNameInternal::new(name.as_str())));
                    }
                }
                let exchanges: HashSet<ExchangeId> = assets.iter().map(|(e, _)| *e).collect();
                let held = |(base, quote): &&(AssetNameInternal, AssetNameInternal)| {
                    exchanges.iter().any(|exchange| {
                        assets.contains(&(*exchange, base.clone()))
                            && assets.contains(&(*exchange, quote.clone()))
                    })
                };
                match pairs.iter().find(|pair| !held(pair)) {
                    Some((base, quote)) => unknown(format!(
                        "filter names underlying ('{base}', '{quote}'), \
                         which no exchange in the book has"
                    )),
                    None => Ok(()),
                }
            }
        }
    }

    /// barter's index-keyed filter for `book`: what the book lacks matches nothing (`check`
    /// refuses names no input has, for a book closed in parts).
    pub fn matching(&self, book: &Index, inputs: &[InstrumentInput]) -> InstrumentFilter {
        match &self.0 {
            Spec::None => InstrumentFilter::None,
            Spec::Exchanges(ids) => InstrumentFilter::exchanges(
                book.exchanges
                    .iter()
                    .enumerate()
                    .filter(|(_, id)| ids.contains(id))
                    .map(|(index, _)| barter_instrument::exchange::ExchangeIndex(index)),
            ),
            Spec::Instruments(wanted) => {
                // The caller's name (as barter would lowercase it) -> every index carrying it.
                let mut names: HashMap<InstrumentNameInternal, Vec<usize>> = HashMap::new();
                for (index, input) in book.input_of.iter().enumerate() {
                    let name = InstrumentNameInternal::new(inputs[*input].instrument.as_str());
                    names.entry(name).or_default().push(index);
                }
                let found = wanted.iter().filter_map(|name| names.get(name)).flatten();
                InstrumentFilter::instruments(
                    found.map(|i| barter_instrument::instrument::InstrumentIndex(*i)),
                )
            }
            Spec::Underlyings(pairs) => {
                let mut underlyings = Vec::new();
                for (base, quote) in pairs {
                    for exchange in &book.exchanges {
                        let base_index = book.asset_index.get(&(*exchange, base.clone()));
                        let quote_index = book.asset_index.get(&(*exchange, quote.clone()));
                        if let (Some(base), Some(quote)) = (base_index, quote_index) {
                            underlyings.push(Underlying {
                                base: *base,
                                quote: *quote,
                            });
                        }
                    }
                }
                InstrumentFilter::underlyings(underlyings)
            }
        }
    }
}

/// Extract an optional filter argument (`None` means every instrument).
pub fn extract(filter: Option<&Bound<'_, PyAny>>) -> PyResult<PyInstrumentFilter> {
    match filter {
        None => Ok(PyInstrumentFilter(Spec::None)),
        Some(filter) => Ok(filter.cast::<PyInstrumentFilter>()?.get().clone()),
    }
}
