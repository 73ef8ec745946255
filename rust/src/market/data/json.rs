//! barter's market-data files into `MarketData`, by the one parser of barter's JSON
//! (`market::json`).

use super::{Builder, Failure, Given, MarketData, Problems};
use crate::market::json;

pub fn load(path: &str, given: Option<&Given>) -> Result<MarketData, Failure> {
    let bytes = super::read(path)?;
    let mut builder = Builder::default();
    let mut problems = Problems::new(path);
    json::parse(path, &bytes, &mut problems, &mut |event| {
        builder.barter(&event, given)
    })?;
    problems.check()?;
    if !builder.has_data() {
        return Err(super::no_events(path));
    }
    Ok(builder.finish())
}
