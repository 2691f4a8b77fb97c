"""Reading Codat: the cached upstream, per-request loaders, Relay windows over Codat pages."""
