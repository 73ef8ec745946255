//! Where the engine's orders go: the bridge to barter-execution's `MockExchange`.

pub mod mock;
