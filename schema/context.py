"""The per-request GraphQL context and the one `Info` alias resolvers are typed with."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import strawberry
from strawberry.fastapi import BaseContext

from gateway.loaders import Loaders


@dataclass
class Context(BaseContext):
    """What every resolver can reach: this request's loaders and the page-size limit."""

    loaders: Loaders
    max_page_size: int = 500

    def __post_init__(self) -> None:
        super().__init__()


Info = strawberry.Info[Context, Any]
