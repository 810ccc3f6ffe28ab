"""Secret detection: rules written from providers' documented token formats (engine and check build on them)."""
