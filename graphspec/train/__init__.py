"""Stage 5, train: compile a built model, check data against its spec, fit and evaluate it
(`graphspec.train.run`); imports Keras."""
