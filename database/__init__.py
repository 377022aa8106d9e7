"""Netfloox database layer: configuration, embedded server, migrations, IMDb import."""
