# SPDX-License-Identifier: EUPL-1.2
"""The youth's rights and retention: audit export, data export, objection, erasure (docs/privacy.md)."""
