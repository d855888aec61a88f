//! Money: what AWS charges ([`Prices`]), what it bills ([`BillingRules`], by
//! [`BillingDate`]), and the bill of one function's run ([`breakdown`] of [`CostInputs`]).
//! Depends only on the Lambda vocabulary ([`crate::lambda`]): config reads the prices into
//! these types, the run pipeline fills [`CostInputs`] from what it recorded.

pub mod bill;
pub mod rules;

pub use bill::{CostBreakdown, CostInputs, MB_PER_GB, SECONDS_PER_MONTH, breakdown, on_demand_usd};
pub use rules::{BillingDate, BillingRules, Prices};
