"""Schemes and the plugin system: the Scheme model, hook specifications, the plugin registry, the rule library, fields, TOML declarations, Salin skema and the scaffold."""
