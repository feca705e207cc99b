"""Harnesses that compare a Keras model with graphspec's build of it (imports Keras and numpy)."""
