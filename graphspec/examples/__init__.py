"""Example data for the specs under specs/train/ (the ``examples`` extra: scikit-learn)."""
