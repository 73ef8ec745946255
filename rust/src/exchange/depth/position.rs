//! A resting order's place in its price level's queue (spec §12), the way hftbacktest models
//! it (`src/backtest/models/queue.rs`: `RiskAdverseQueueModel`, `ProbQueueModel` with
//! `PowerProbQueueFunc` and `LogProbQueueFunc`). `front` is what the book held ahead of the
//! order; it is a model, so `f64`: the fills it allows are made exact by the caller.

/// Which model moves `front` when the level's amount falls.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Model {
    /// Every decrease is a cancel ahead of the order: `front = min(front, new)`.
    RiskAverse,
    /// A decrease is behind the order with probability `f(front, back)`.
    Probabilistic(Function),
}

impl Model {
    /// Its name in `SimulatedExchange.queue`.
    pub fn name(self) -> &'static str {
        match self {
            Self::RiskAverse => "risk_averse",
            Self::Probabilistic(_) => "probabilistic",
        }
    }
}

/// `f(front, back)`: the chance a cancel was behind the order.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Function {
    /// `backⁿ / (backⁿ + frontⁿ)`.
    Power(f64),
    /// `ln(1 + back) / (ln(1 + back) + ln(1 + front))`.
    Log,
}

impl Function {
    fn chance_behind(self, front: f64, back: f64) -> f64 {
        let (behind, ahead) = match self {
            Function::Power(n) => (back.powf(n), front.powf(n)),
            Function::Log => (back.ln_1p(), front.ln_1p()),
        };
        let p = behind / (behind + ahead);
        // 0/0 (an empty level) or ∞/∞: all of it behind, as hftbacktest's `inf → 1`.
        if p.is_finite() {
            p
        } else {
            1.0
        }
    }
}

/// One resting order's queue: what is ahead of it, the level's amount as last seen, and what
/// traded at the order's price since the level last changed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Queue {
    pub front: f64,
    level: f64,
    traded: f64,
}

impl Queue {
    /// An order joining the back of a level holding `level`.
    pub fn join(level: f64) -> Self {
        Self {
            front: level,
            level,
            traded: 0.0,
        }
    }

    /// A trade of `amount` at the order's price, the aggressor on the other side: it takes
    /// from the front. What it took beyond the front (`-front`, when positive) may fill.
    pub fn trade(&mut self, amount: f64) -> f64 {
        self.front -= amount;
        self.traded += amount;
        (-self.front).max(0.0)
    }

    /// `filled` of the order filled: nothing is ahead of it now.
    pub fn filled(&mut self) {
        self.front = 0.0;
    }

    /// The level at the order's price now holds `new` (a feed event); nothing changes where
    /// the level did not (the trades since its last change still count toward the next).
    pub fn level(&mut self, model: Model, new: f64) {
        let prev = self.level;
        if new == prev {
            return;
        }
        let change = prev - new - self.traded;
        self.level = new;
        self.traded = 0.0;
        self.front = match model {
            Model::RiskAverse => self.front.min(new),
            Model::Probabilistic(_) if change <= 0.0 => self.front.min(new),
            Model::Probabilistic(function) => {
                let front = self.front;
                let back = prev - front;
                let p = function.chance_behind(front, back);
                (front - (1.0 - p) * change + (back - p * change).min(0.0)).min(new)
            }
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-9
    }

    #[test]
    fn risk_averse_counts_every_decrease_ahead_and_trades_from_the_front() {
        // Joins behind 10; a trade of 3 leaves 7 ahead; the level falls 7 -> 5 (cancels):
        // min(7, 5) = 5; a trade of 6 goes 1 beyond the front.
        let mut queue = Queue::join(10.0);
        assert_eq!(queue.trade(3.0), 0.0);
        assert_eq!(queue.front, 7.0);
        queue.level(Model::RiskAverse, 5.0);
        assert_eq!(queue.front, 5.0);
        assert_eq!(queue.trade(6.0), 1.0);
        queue.filled();
        assert_eq!(queue.front, 0.0);
    }

    #[test]
    fn probabilistic_power_two_by_hand() {
        // front 6 of a level of 10 (back 4); a trade of 2 at the price: front 4, traded 2.
        // The level falls 10 -> 5: chg = 10 - 5 - 2 = 3 cancelled.
        // back = prev - front = 10 - 4 = 6; p = 6² / (6² + 4²) = 36 / 52 = 9/13.
        // front = 4 - (1 - 9/13)·3 + min(6 - 9/13·3, 0) = 4 - 12/13 = 40/13 ≈ 3.0769;
        // min(40/13, 5) = 40/13.
        let mut queue = Queue::join(6.0);
        queue.level = 10.0;
        queue.trade(2.0);
        queue.level(Model::Probabilistic(Function::Power(2.0)), 5.0);
        assert!(close(queue.front, 40.0 / 13.0), "{}", queue.front);
        // Growth (chg < 0) leaves front as it is: min(40/13, 8).
        queue.level(Model::Probabilistic(Function::Power(2.0)), 8.0);
        assert!(close(queue.front, 40.0 / 13.0));
    }

    #[test]
    fn probabilistic_log_by_hand() {
        // front 3 of a level of 10 (back 7); the level falls to 6: chg = 4.
        // p = ln 8 / (ln 8 + ln 4) = 3 ln 2 / (5 ln 2) = 3/5.
        // front = 3 - (2/5)·4 + min(7 - (3/5)·4, 0) = 3 - 1.6 = 1.4.
        let mut queue = Queue::join(3.0);
        queue.level = 10.0;
        queue.level(Model::Probabilistic(Function::Log), 6.0);
        assert!(close(queue.front, 1.4), "{}", queue.front);
    }

    #[test]
    fn a_cancel_larger_than_the_back_comes_out_of_the_front() {
        // front 8, level 10 (back 2), falls to 2: chg 8. Power 2: p = 4 / (4 + 64) = 1/17.
        // front = 8 - (16/17)·8 + min(2 - 8/17, 0) = 8 - 128/17 = 8/17; min(8/17, 2).
        let mut queue = Queue::join(8.0);
        queue.level = 10.0;
        queue.level(Model::Probabilistic(Function::Power(2.0)), 2.0);
        assert!(close(queue.front, 8.0 / 17.0), "{}", queue.front);
        // Then the level goes: nothing can be ahead (front = min(2 - 2, 0), up to f64 noise).
        queue.level(Model::Probabilistic(Function::Power(2.0)), 0.0);
        assert!(close(queue.front, 0.0), "{}", queue.front);
    }

    #[test]
    fn trades_count_until_the_level_itself_changes() {
        // Behind 5; a trade of 2; an event that leaves the level at 5 changes nothing; the
        // level then falls to 3: chg = 5 - 3 - 2 = 0, no cancel: front min(3, 3) = 3.
        let model = Model::Probabilistic(Function::Power(2.0));
        let mut queue = Queue::join(5.0);
        queue.trade(2.0);
        queue.level(model, 5.0);
        queue.level(model, 3.0);
        assert_eq!(queue.front, 3.0);
    }

    #[test]
    fn an_empty_level_counts_a_cancel_as_behind() {
        assert_eq!(Function::Power(2.0).chance_behind(0.0, 0.0), 1.0);
        assert_eq!(Function::Log.chance_behind(0.0, 0.0), 1.0);
    }
}
