"""Celery beat keeps the Overview's hourly roll-up current."""

from celery import shared_task

from accounts.overview.rollup import roll_up


@shared_task(ignore_result=True)
def roll_up_overview() -> int:
    """Rolls the complete hours since the last run into the roll-up; returns rows written."""
    return roll_up()
