"""Module-finding methods behind one registry (:mod:`mirmodules.methods.registry`): MICA
(:mod:`mirmodules.methods.mica`), the Mirsynergy port and the reconstructed DICORE- and DeMine-like
baselines; :mod:`mirmodules.methods.join` turns cluster pairs into modules."""
