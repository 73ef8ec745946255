//! barter's fieldless enums as Python `enum.Enum` members.
//!
//! The Python enums (`barter_python.instrument.Side`, `.ExchangeId`, `barter_python.order.
//! OrderKind`, `.TimeInForce`) carry barter's serde names as values. This file is the one
//! conversion between a member and barter's value: a table built once from the Python class,
//! parsing each member's value with barter's own serde.

use crate::bind::classes::Class;
use pyo3::exceptions::{PyRuntimeError, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::PyString;
use serde::de::{value::Error as DeError, DeserializeOwned, Error as _, IntoDeserializer, Visitor};
use serde::{forward_to_deserialize_any, Deserializer, Serialize};

/// A barter enum mirrored by a Python `enum.Enum`.
pub trait Mirrored: Copy + PartialEq + Send + Sync + 'static {
    const CLASS: Class;
    const NAME: &'static str;
    fn table() -> &'static PyOnceLock<Table<Self>>;
    /// barter's value for a Python member value (or an alias barter accepts).
    fn parse(value: &str) -> Option<Self>;
}

/// `Mirrored` for a barter enum whose Python members are valued by its serde names; an
/// optional `parse` replaces serde's (for members that carry part of a variant's data).
macro_rules! mirrored {
    ($barter:ty, $class:ident $(, $parse:expr)?) => {
        impl $crate::bind::enums::Mirrored for $barter {
            const CLASS: $crate::bind::classes::Class = $crate::bind::classes::Class::$class;
            const NAME: &'static str = stringify!($class);

            fn table() -> &'static pyo3::sync::PyOnceLock<$crate::bind::enums::Table<Self>> {
                static TABLE: pyo3::sync::PyOnceLock<$crate::bind::enums::Table<$barter>> =
                    pyo3::sync::PyOnceLock::new();
                &TABLE
            }

            fn parse(value: &str) -> Option<Self> {
                $(return $parse(value);)?
                #[allow(unreachable_code)]
                $crate::bind::enums::parse_serde(value)
            }
        }
    };
}
pub(crate) use mirrored;

/// The members of one Python enum with barter's value for each.
pub struct Table<T> {
    members: Vec<Member<T>>,
}

struct Member<T> {
    object: Py<PyAny>,
    name: String,
    text: String,
    value: T,
}

impl<T: Mirrored> Table<T> {
    pub fn get(py: Python<'_>) -> PyResult<&'static Table<T>> {
        T::table().get_or_try_init(py, || {
            let class = T::CLASS.get(py)?;
            let mut members = Vec::new();
            for object in class.try_iter()? {
                let object = object?;
                let text: String = object.getattr("value")?.extract()?;
                let value = T::parse(&text).ok_or_else(|| {
                    PyRuntimeError::new_err(format!(
                        "{} has value {text:?}, which barter does not know",
                        T::CLASS.name()
                    ))
                })?;
                let name = object.getattr("name")?.extract()?;
                members.push(Member {
                    object: object.unbind(),
                    name,
                    text,
                    value,
                });
            }
            Ok(Table { members })
        })
    }

    fn member(&self, value: T) -> PyResult<&Member<T>> {
        self.members
            .iter()
            .find(|member| member.value == value)
            .ok_or_else(|| {
                PyRuntimeError::new_err(format!("{} has no member for a barter value", T::NAME))
            })
    }

    fn valid(&self) -> String {
        let texts: Vec<String> = self
            .members
            .iter()
            .map(|m| format!("'{}'", m.text))
            .collect();
        texts.join(", ")
    }
}

/// A barter enum value travelling across the boundary as its Python member.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Enum<T>(pub T);

impl<'a, 'py, T: Mirrored> FromPyObject<'a, 'py> for Enum<T> {
    type Error = PyErr;

    fn extract(obj: Borrowed<'a, 'py, PyAny>) -> PyResult<Self> {
        from_py(&obj).map(Enum)
    }
}

impl<'py, T: Mirrored> IntoPyObject<'py> for Enum<T> {
    type Target = PyAny;
    type Output = Bound<'py, PyAny>;
    type Error = PyErr;

    fn into_pyobject(self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let table = Table::<T>::get(py)?;
        Ok(table.member(self.0)?.object.bind(py).clone())
    }
}

/// barter's value of a Python member, or of a string barter's serde accepts (aliases included).
pub fn from_py<T: Mirrored>(obj: &Bound<'_, PyAny>) -> PyResult<T> {
    let table = Table::<T>::get(obj.py())?;
    if let Some(member) = table
        .members
        .iter()
        .find(|m| m.object.as_ptr() == obj.as_ptr())
    {
        return Ok(member.value);
    }
    let Ok(text) = obj.cast::<PyString>() else {
        return Err(PyTypeError::new_err(format!(
            "expected {} or str, got {}",
            T::NAME,
            obj.get_type().name()?
        )));
    };
    let text = text.to_cow()?;
    table.lookup(&text).ok_or_else(|| {
        PyValueError::new_err(format!(
            "'{text}' is not a valid {}; valid values: {}",
            T::NAME,
            table.valid()
        ))
    })
}

impl<T: Mirrored> Table<T> {
    /// barter's value for a text: a serde name, an alias barter accepts, or a member's value in
    /// any case (barter's aliases already allow for some, `BUY`: `OKX` is `okx`).
    pub fn lookup(&self, text: &str) -> Option<T> {
        let any_case = || {
            let member = self.members.iter();
            member
                .filter(|m| m.text.eq_ignore_ascii_case(text))
                .map(|m| m.value)
                .next()
        };
        T::parse(text).or_else(any_case)
    }

    /// What a field of this enum accepts, in Pydantic's words (`Input should be 'Buy' or
    /// 'Sell'`), so that a CSV read natively reports what the model reports.
    pub fn expected(&self) -> String {
        let texts: Vec<String> = self
            .members
            .iter()
            .map(|m| format!("'{}'", m.text))
            .collect();
        match texts.split_last() {
            Some((last, [])) => format!("Input should be {last}"),
            Some((last, rest)) => format!("Input should be {} or {last}", rest.join(", ")),
            None => "Input should be a member".to_string(),
        }
    }
}

/// The Python member's value of a barter value (barter's serde name: `"Buy"`,
/// `"binance_spot"`), as tables show it.
pub fn text<T: Mirrored>(py: Python<'_>, value: T) -> PyResult<&'static str> {
    Ok(Table::<T>::get(py)?.member(value)?.text.as_str())
}

/// `Side.SELL`-style text for reprs.
pub fn repr<T: Mirrored>(py: Python<'_>, value: T) -> PyResult<String> {
    Ok(format!(
        "{}.{}",
        T::NAME,
        Table::<T>::get(py)?.member(value)?.name
    ))
}

/// barter's value for a serde name, through barter's own `Deserialize` (no JSON involved).
pub fn parse_serde<T: DeserializeOwned>(text: &str) -> Option<T> {
    T::deserialize(IntoDeserializer::<DeError>::into_deserializer(text)).ok()
}

/// barter's serde name for a fieldless variant.
pub fn serde_name<T: Serialize>(value: &T) -> Option<String> {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(name)) => Some(name),
        _ => None,
    }
}

/// The variant names barter's serde declares for an enum, read from its `Deserialize` impl.
pub fn serde_variants<T: DeserializeOwned>() -> &'static [&'static str] {
    let mut capture = VariantCapture(&[]);
    let _ = T::deserialize(&mut capture);
    capture.0
}

/// A `Deserializer` whose only purpose is to record the variant list serde hands it.
struct VariantCapture(&'static [&'static str]);

impl<'de> Deserializer<'de> for &mut VariantCapture {
    type Error = DeError;

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        variants: &'static [&'static str],
        _visitor: V,
    ) -> Result<V::Value, DeError> {
        self.0 = variants;
        Err(DeError::custom("variant names captured"))
    }

    fn deserialize_any<V: Visitor<'de>>(self, _visitor: V) -> Result<V::Value, DeError> {
        Err(DeError::custom("not an enum"))
    }

    forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        option unit unit_struct newtype_struct seq tuple tuple_struct map struct identifier
        ignored_any
    }
}

/// barter's canonical serde name for `value` (barter's aliases accepted), or `None`.
///
/// Backs the Python enums' `_missing_`, so that `Side("buy")` accepts exactly what barter does.
#[pyfunction]
pub fn barter_name(kind: &str, value: &str) -> PyResult<Option<String>> {
    fn canonical<T: DeserializeOwned + Serialize>(value: &str) -> Option<String> {
        parse_serde::<T>(value).and_then(|parsed| serde_name(&parsed))
    }
    match kind {
        "Side" => Ok(canonical::<barter_instrument::Side>(value)),
        "ExchangeId" => Ok(canonical::<barter_instrument::exchange::ExchangeId>(value)),
        "OrderKind" => Ok(canonical::<barter_execution::order::OrderKind>(value)),
        // barter's serde declares no aliases for TimeInForce.
        "TimeInForce" => Ok(None),
        _ => Err(PyValueError::new_err(format!(
            "no barter enum named {kind:?}"
        ))),
    }
}

/// The canonical variant names (aliases left out) of one of barter's fieldless enums, read
/// from barter's serde: the list each Python enum must match.
#[pyfunction]
pub fn barter_variants(kind: &str) -> PyResult<Vec<&'static str>> {
    fn canonical<T: DeserializeOwned + Serialize>() -> Vec<&'static str> {
        let is_canonical = |name: &&str| {
            parse_serde::<T>(name)
                .and_then(|value| serde_name(&value))
                .as_deref()
                == Some(*name)
        };
        serde_variants::<T>()
            .iter()
            .copied()
            .filter(is_canonical)
            .collect()
    }
    match kind {
        "Side" => Ok(canonical::<barter_instrument::Side>()),
        "ExchangeId" => Ok(canonical::<barter_instrument::exchange::ExchangeId>()),
        "OrderKind" => Ok(canonical::<barter_execution::order::OrderKind>()),
        _ => Err(PyValueError::new_err(format!(
            "no barter enum named {kind:?}"
        ))),
    }
}
