"""PlanQA's evaluation suite: the gold set, its checker, pure metrics, the naive
baseline, the harness, the calibration, the report and the runner.

``python -m eval`` runs it (see eval/README.md); ``eval.runner.main(argv)`` is the entry point a CLI wires to.
"""
