"""The Models window (recommended, search, downloads, the local library) and the
controller of the loaded model."""
