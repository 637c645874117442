# SPDX-License-Identifier: EUPL-1.2
"""Webhooks (spec/interface.md, "Webhooks"): subscriptions, target URL checks, signing secrets, event types."""
