//! Every problem of one input of market data, reported at once (`file:line: problem`, the
//! first 20, then how many more), and why loading failed.

use crate::bind::error::{self, Kind as ErrorKind};
use pyo3::exceptions::{PyFileNotFoundError, PyOSError, PyPermissionError};
use pyo3::prelude::*;
use std::fmt::Display;

/// How many problems an error lists before "and N more" (`barter_python.book.LISTED`).
const LISTED: usize = 20;

/// Every problem of one input, each `location: problem`.
pub struct Problems {
    source: String,
    listed: Vec<String>,
    count: usize,
}

impl Problems {
    pub fn new(source: impl Into<String>) -> Self {
        Problems {
            source: source.into(),
            listed: Vec::new(),
            count: 0,
        }
    }

    pub fn add(&mut self, location: impl Display, problem: impl Display) {
        self.count += 1;
        if self.listed.len() < LISTED {
            self.listed.push(format!("{location}: {problem}"));
        }
    }

    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// One message for every problem (as `barter_python.book.BookError.of` words it).
    pub fn check(self) -> Result<(), Failure> {
        match self.count {
            0 => Ok(()),
            1 => Err(Failure::Data(self.listed.concat())),
            count => {
                let mut message = format!("{}: {count} problems:\n", self.source);
                message.push_str(&self.listed.join("\n"));
                if count > LISTED {
                    message.push_str(&format!("\n... and {} more", count - LISTED));
                }
                Err(Failure::Data(message))
            }
        }
    }
}

/// Why loading failed: the file could not be read, or its content is wrong.
pub enum Failure {
    Io(String, std::io::Error),
    Data(String),
}

impl Failure {
    pub fn into_py(self, py: Python<'_>) -> PyErr {
        match self {
            Failure::Data(message) => error::new_err(py, ErrorKind::MarketData, message),
            Failure::Io(path, err) => {
                let args = (err.raw_os_error().unwrap_or(0), err.to_string(), path);
                match err.kind() {
                    std::io::ErrorKind::NotFound => PyFileNotFoundError::new_err(args),
                    std::io::ErrorKind::PermissionDenied => PyPermissionError::new_err(args),
                    _ => PyOSError::new_err(args),
                }
            }
        }
    }
}

pub fn read(path: &str) -> Result<Vec<u8>, Failure> {
    std::fs::read(path).map_err(|err| Failure::Io(path.to_string(), err))
}
