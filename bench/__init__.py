"""Benchmarks of PlanQA: synthetic corpora, ingest, query and app load (see bench/README.md). Never run as tests."""
