# SPDX-License-Identifier: EUPL-1.2
"""Evaluation: loading youths' state, running the rules as of a date, routing, storing and escalating."""
