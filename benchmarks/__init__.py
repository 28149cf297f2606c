"""Benchmarks of the notebook face against the usual ways of moving 1,000,000 accounts (`./dev bench`)."""
