"""Evaluation: pure computation on a module set (topology, enrichment, survival, recovery,
perturbation and significance); it writes no files."""
