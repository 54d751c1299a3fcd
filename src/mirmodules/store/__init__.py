"""The run folder: one atomic writer for every command, run tables and manifest, exports for other tools."""
