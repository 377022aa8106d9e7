"""Netfloox machine learning: Python trains, the database scores."""
