"""Netfloox machine learning: Python trains, the database scores."""


class NotReady(RuntimeError):
    """The database lacks what a step needs (a catalogue, a model); the message names the command
    to run first. The CLI shows it as a one-line error."""
