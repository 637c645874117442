# SPDX-License-Identifier: EUPL-1.2
"""The signals API's routers, one module per sub-domain; `services.signals.api` mounts them under `/signals/v1`."""
