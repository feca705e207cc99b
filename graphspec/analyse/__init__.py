"""Stage 3, analyse: `Spec` + `Options` → `Plan`, every check that needs no Keras."""
