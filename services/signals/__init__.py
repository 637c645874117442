# SPDX-License-Identifier: EUPL-1.2
"""The signals service."""
