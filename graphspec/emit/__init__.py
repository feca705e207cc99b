"""Stage 4, emit: `Plan` → an uncompiled `keras.Model` (the backend is chosen in `runtime`)."""
