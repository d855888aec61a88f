//! The storage fleet of a replication: built when some function is an image (workers, AZs,
//! their chunk caches and placement), and the view of it a cold start or a lazy import reads
//! chunks through.

use crate::coldstart::{ColdStartModel, ImageAccess, ImageCode};
use crate::config::Scenario;
use crate::engine::RngStreams;
use crate::error::InputError;
use crate::platform::Placement;
use crate::storage::chunk::ImageVersion;
use crate::storage::fleet::{Fleet, PlacementPolicy, RandomPlacement, StickyPlacement};

/// The chunk tiers as a cold start or a lazy import of an image function reads them (`None`
/// for other packagings).
pub(super) fn image_access<'a>(
    fleet: &'a mut Option<Fleet>,
    image: Option<&'a ImageVersion>,
) -> Option<ImageAccess<'a>> {
    match (fleet.as_mut(), image) {
        (Some(fleet), Some(v)) => Some(ImageAccess {
            fleet,
            chunks: v.chunks(),
        }),
        _ => None,
    }
}

/// The image of a function's cold-start model, if it is delivered as one.
pub(super) fn image_code(model: &ColdStartModel) -> Option<&ImageCode> {
    match model {
        ColdStartModel::Phases { delivery, .. } => delivery.chunked(),
        _ => None,
    }
}

/// The fleet, when some function is an image: its caches, placement and the layers other
/// tenants keep hot.
pub(super) fn build_fleet(
    sc: &Scenario,
    streams: &RngStreams,
) -> Result<Option<Fleet>, InputError> {
    let images: Vec<&ImageCode> = sc
        .functions
        .iter()
        .filter_map(|f| image_code(&f.cold_start))
        .collect();
    if images.is_empty() {
        return Ok(None);
    }
    let storage = &sc.platform.storage;
    let placement: Box<dyn PlacementPolicy> = match storage.placement {
        Placement::Random => Box::new(RandomPlacement),
        Placement::Sticky { spread } => Box::new(StickyPlacement::new(spread).map_err(|e| {
            InputError::field(&sc.file, "platform.storage.sticky_spread", e.to_string())
        })?),
    };
    let mut fleet = Fleet::new(&storage.fleet, placement, streams)
        .map_err(|e| InputError::field(&sc.file, "platform.storage", e.to_string()))?;
    for code in images {
        for &l in &code.shared_layers {
            let span = &code.version.layers()[l];
            let first = span.first_chunk as usize;
            fleet.add_shared(
                code.version.chunks()[first..first + span.n_chunks as usize]
                    .iter()
                    .copied(),
            );
        }
    }
    Ok(Some(fleet))
}
