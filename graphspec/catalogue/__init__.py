"""What graphspec knows about Keras without importing it: layers, shape rules, custom layers."""
