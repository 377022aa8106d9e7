"""Netfloox application layer: the ``netfloox`` command line and the Dash web app."""
