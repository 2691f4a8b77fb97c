"""Shared aliases: typed ids and Codat's date strings."""

from __future__ import annotations

from typing import NewType

CompanyId = NewType("CompanyId", str)
"""A Codat company id (a UUID, kept as Codat spells it)."""

ConnectionId = NewType("ConnectionId", str)
"""A Codat data connection id (a UUID); Codat also calls it `dataConnectionKey`."""

CodatDateTime = NewType("CodatDateTime", str)
"""An ISO-8601 date or date-time exactly as Codat sent it.

Codat's dates may carry no zone (`2021-11-15T01:00:00` is the business's local time), so they are
kept as text rather than parsed into a datetime that would have to invent one.
"""
