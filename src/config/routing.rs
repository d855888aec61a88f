//! `platform.routing`: which idle sandbox serves a request, as written (`"mru"`, `"lru"`,
//! `"random"`, or `{ policy = "mixed", lru_share = 0.3 }`) and checked into a
//! [`Routing`].

use std::fmt;

use serde::de::{self, MapAccess, Visitor};
use serde::{Deserialize, Deserializer};

use super::scenario::Ctx;
use crate::error::InputError;
use crate::platform::routing::Routing;

/// `platform.routing` as written: a policy name, or a table with `policy` and its parameters.
#[derive(Debug, Clone)]
pub struct RoutingSpec {
    /// `mru`, `lru`, `random` or `mixed`.
    pub policy: String,
    /// `mixed` only: probability of taking the least recently used sandbox.
    pub lru_share: Option<f64>,
}

/// The table form.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RoutingTable {
    policy: String,
    lru_share: Option<f64>,
}

impl<'de> Deserialize<'de> for RoutingSpec {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = RoutingSpec;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str(
                    "\"mru\", \"lru\", \"random\" or a table { policy = \"mixed\", lru_share = P }",
                )
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<RoutingSpec, E> {
                Ok(RoutingSpec {
                    policy: s.to_string(),
                    lru_share: None,
                })
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<RoutingSpec, A::Error> {
                let t = RoutingTable::deserialize(de::value::MapAccessDeserializer::new(map))?;
                Ok(RoutingSpec {
                    policy: t.policy,
                    lru_share: t.lru_share,
                })
            }
        }
        d.deserialize_any(V)
    }
}

/// Checks `platform.routing` (absent: [`Routing::Mru`]); errors name the file and key.
pub(crate) fn build_routing(ctx: &Ctx, spec: Option<&RoutingSpec>) -> Result<Routing, InputError> {
    let Some(spec) = spec else {
        return Ok(Routing::Mru);
    };
    let key = "platform.routing";
    let no_share = |r: Routing| match spec.lru_share {
        Some(_) => Err(ctx.err(
            format!("{key}.lru_share"),
            format!(
                "only policy \"mixed\" takes lru_share, not \"{}\"",
                spec.policy
            ),
        )),
        None => Ok(r),
    };
    match spec.policy.as_str() {
        "mru" => no_share(Routing::Mru),
        "lru" => no_share(Routing::Lru),
        "random" => no_share(Routing::Random),
        "mixed" => {
            let share = spec.lru_share.ok_or_else(|| {
                ctx.err(
                    format!("{key}.lru_share"),
                    "policy \"mixed\" needs lru_share (0..1)",
                )
            })?;
            if !(0.0..=1.0).contains(&share) {
                return Err(ctx.err(
                    format!("{key}.lru_share"),
                    format!("must be between 0 and 1; got {share}"),
                ));
            }
            Ok(Routing::Mixed { lru_share: share })
        }
        other => Err(ctx.err(
            key,
            format!("unknown policy \"{other}\"; expected mru, lru, random or mixed"),
        )),
    }
}
