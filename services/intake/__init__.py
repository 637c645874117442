# SPDX-License-Identifier: EUPL-1.2
"""The intake service: CloudEvents in, validated, pseudonymised, stored, projected, evaluation queued."""
