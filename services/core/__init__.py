# SPDX-License-Identifier: EUPL-1.2
"""What the three services share: settings, database, models, auth, pseudonymiser, errors, Celery app."""
