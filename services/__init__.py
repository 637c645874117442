# SPDX-License-Identifier: EUPL-1.2
"""Glansrijk: intake, signals and reporting for the youth chain of a Dutch municipality."""

__version__ = "0.1.0"
