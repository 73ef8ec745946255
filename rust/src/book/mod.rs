//! A book of positions: snapshots turned into barter's `EngineState`, filters, barter's
//! close-position helpers, the `Book` kept across calls, book files and `flatten`.

pub mod close;
pub mod file;
pub mod filter;
pub mod flatten;
pub mod kept;
pub mod snapshot;
pub mod state;
