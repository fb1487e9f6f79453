"""The bundled corpus: five Arabic texts, ``manifest.toml`` and ``CATALOG.md`` (data only, no modules)."""
