"""Inputs: readers (TSV/CSV/gz, AnnData/MuData), identifiers, preprocessing, prepared inputs,
annotations, reference data and the planted-module simulators."""
