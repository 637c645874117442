# SPDX-License-Identifier: EUPL-1.2
"""The reporting API's routers, one module per resource."""
