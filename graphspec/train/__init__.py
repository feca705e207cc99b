"""Stage 5, train: compile (and, later, fit and evaluate) a built model; imports Keras."""
