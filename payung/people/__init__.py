"""The registries: workers, sponsors and Kemendagri regions."""
