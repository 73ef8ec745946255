//! The binding's plumbing: the Python classes the native module hands out, errors, exact
//! decimals, and barter's fieldless enums as Python enum members.

pub mod classes;
pub mod decimal;
pub mod enums;
pub mod error;
pub mod instrument;
