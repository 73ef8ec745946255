//! barter-instrument's `Side` and `ExchangeId` as the Python enums of
//! `barter_python.instrument`.

use crate::bind::enums::mirrored;
use barter_instrument::{exchange::ExchangeId, Side};

mirrored!(Side, Side);
mirrored!(ExchangeId, ExchangeId);
