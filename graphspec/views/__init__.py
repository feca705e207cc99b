"""Derived outputs of a `Plan` without Keras: the summary table, drawings, the diff of two specs."""
