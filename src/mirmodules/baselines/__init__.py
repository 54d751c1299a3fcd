"""Baseline module-finding methods and MICA ablations, behind one registry (see :mod:`.registry`)."""
