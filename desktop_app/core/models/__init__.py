"""Local GGUF models: header validation, the on-disk library and the bundled demo model."""
