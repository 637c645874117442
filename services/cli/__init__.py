# SPDX-License-Identifier: EUPL-1.2
"""The `glansrijk` command line (spec/interface.md, "Running it")."""
