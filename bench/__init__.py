# SPDX-License-Identifier: EUPL-1.2
"""Benchmarks of the performance goals in the design (run as `python -m bench.<name>`)."""
