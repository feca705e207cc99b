"""What needs a live Keras backend: choosing and importing it, saving and loading models."""
