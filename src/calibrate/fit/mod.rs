//! Maximum-likelihood fitting and goodness of fit (filled in by the fitting work).
