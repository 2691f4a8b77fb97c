# strawberry.field(description=...) is typed as returning Any, so its decorations are "untyped".
# mypy: disable-error-code="untyped-decorator"
"""The bases of the GraphQL types built from a Codat model: each field is the model's field of
the same name, as it is, or converted where the type says so (`nested`, `converted`).

- `FromModel`: `from_model(model)`; a `model` field (private) holds the model itself.
- `OfCompany`: `from_model(company_id, model)`, for shapes whose edges look records up in the
  company; its `company_id` field (private) holds the company.
- `Record`: a company's Codat record as a Relay node (`id` global, `codatId` Codat's own), built
  once per cached record (`per_record`), resolved by node id in its data type.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import fields
from typing import TYPE_CHECKING, Any, ClassVar, Self, TypeVar, cast

import strawberry
from strawberry import relay

from gateway.codat.models import DataType
from gateway.codat.types import CompanyId
from schema.context import Info
from schema.errors import NotFoundError
from schema.ids import format_node_id, parse_node_id
from schema.memo import per_record

T = TypeVar("T")

CODAT_ID = "The record's own id in Codat and the accounting software (`id` is the global id)."

Getter = Callable[[Any, CompanyId | None], Any]
"""How a field's value is read from the model and the company id (see `DERIVED`)."""

_CONVERT = "schema.types.base.convert"
"""The key, in a field's metadata, of its conversion (see `nested`, `converted`)."""

_NESTED = "schema.types.base.nested"
"""The key, in a field's metadata, marking a `nested` field (set after `__init__`, see there)."""


Convert = Callable[[Any, CompanyId | None], Any]
"""How one field's value is made from the model's value of the same name (and company id)."""

Builder = Callable[[Any, "CompanyId | None", dict[str, Any]], Any]
"""(model, company id, given fields) -> the object."""

_BUILDERS: dict[type | tuple[type, tuple[str, ...]], Builder] = {}


def converted(convert: Callable[[Any], Any]) -> Any:
    """A field holding `convert(value)` of the model's field of the same name."""
    return strawberry.field(metadata={_CONVERT: lambda value, company_id: convert(value)})


def nested(shape: type[ModelType], *, deprecation_reason: str | None = None) -> Any:
    """A field holding the model's value built as `shape` (by `build`, so with no `from_model`
    of its own): one, or a list of them (Codat's arrays, each item one); None stays None.

    Built when first read (`_Nested`) on a type with its model and company, at once otherwise:
    a dashboard reads few of a bill's nested shapes (refs, metadata), and building every one of
    every record it fetched was most of the GraphQL objects a cold dashboard made."""

    def convert(value: Any, company_id: CompanyId | None) -> Any:
        if value is None:
            return None
        if isinstance(value, tuple | list):
            return [shape.build(item, company_id) for item in value]
        return shape.build(value, company_id)

    field = strawberry.field(
        deprecation_reason=deprecation_reason, metadata={_CONVERT: convert, _NESTED: True}
    )
    field.init = False  # set by the type's builder, or by `_Nested` on first read
    return field


class _Nested:
    """A nested field of a type that holds its model and company: converted from the model's
    value on first read and kept on the object (an attribute of its own, as if built with it),
    so a memoised record's objects convert each nested value once at most."""

    __slots__ = ("convert", "name")

    def __init__(self, name: str, convert: Convert) -> None:
        self.name = name
        self.convert = convert

    def __get__(self, instance: Any, owner: type | None = None) -> Any:
        if instance is None:
            return self
        value = self.convert(getattr(instance.model, self.name), instance.company_id)
        instance.__dict__[self.name] = value
        return value


class ModelType:
    """A GraphQL type whose fields are read from a Codat model by name (see the module)."""

    DERIVED: ClassVar[dict[str, Getter]] = {"model": lambda model, company_id: model}
    """Fields that are not the model's field of the same name."""

    if TYPE_CHECKING:
        # Each subclass is a dataclass (Strawberry makes it one) and takes its fields by name.
        def __init__(self, **values: Any) -> None: ...

    @classmethod
    def _builder(cls, given: tuple[str, ...] = ()) -> Builder:
        """`cls(name=model.name, ..., other=convert(model.other, company_id), ..., **given)`,
        written out once per type (as dataclasses write `__init__`): a build is then one call,
        as cheap as a hand-written `from_model`. Nested fields are left to `_Nested` when the
        object holds what they are made from (its model and company, neither of them given),
        else set at once."""
        key = (cls, given) if given else cls
        builder = _BUILDERS.get(key)
        if builder is None:
            scope: dict[str, Any] = {"cls": cls}
            arguments: list[str] = []
            afterwards: list[str] = []
            names = {field.name for field in fields(cls)}  # type: ignore[arg-type]
            lazy = {"model", "company_id"} <= names and not {"model", "company_id"} & set(given)
            for field in fields(cls):  # type: ignore[arg-type]
                name = field.name
                if name in given:
                    target = afterwards if _NESTED in field.metadata else arguments
                    target.append(f"{name}=given[{name!r}]")
                elif _NESTED in field.metadata:
                    convert = field.metadata[_CONVERT]
                    if not isinstance(cls.__dict__.get(name), _Nested):
                        setattr(cls, name, _Nested(name, convert))
                    if not lazy:
                        scope[f"convert_{name}"] = convert
                        afterwards.append(f"{name}=convert_{name}(model.{name}, company_id)")
                elif not field.init:
                    continue
                elif name in cls.DERIVED:
                    scope[f"derive_{name}"] = cls.DERIVED[name]
                    arguments.append(f"{name}=derive_{name}(model, company_id)")
                elif _CONVERT in field.metadata:
                    scope[f"convert_{name}"] = field.metadata[_CONVERT]
                    arguments.append(f"{name}=convert_{name}(model.{name}, company_id)")
                else:
                    arguments.append(f"{name}=model.{name}")
            arguments += [f"{name}=given[{name!r}]" for name in given if name not in names]
            body = [f"built = cls({', '.join(arguments)})"]
            body += [f"built.{assignment}" for assignment in afterwards]
            # Only the type's own field names go into the code, never data.
            code = "\n    ".join([*body, "return built"])
            exec(f"def build(model, company_id, given):\n    {code}", scope)
            builder = _BUILDERS[key] = scope["build"]
        return builder

    @classmethod
    def build(cls, model: Any, company_id: CompanyId | None = None, /, **given: Any) -> Self:
        """The object of `model`, with the `given` fields set as given instead."""
        builder = cls._builder(tuple(given)) if given else _BUILDERS.get(cls) or cls._builder()
        built: Self = builder(model, company_id, given)
        return built


class FromModel(ModelType):
    @classmethod
    def from_model(cls, model: Any) -> Self:
        return cls.build(model)


# Decorated so that subclasses inherit the fields; never in the schema itself.
@strawberry.type(description="A shape of one company's data.")
class OfCompany(ModelType):
    company_id: strawberry.Private[CompanyId]

    DERIVED: ClassVar[dict[str, Getter]] = {
        **ModelType.DERIVED,
        "company_id": lambda model, company_id: company_id,
    }

    @classmethod
    def from_model(cls, company_id: CompanyId, model: Any) -> Self:
        return cls.build(model, company_id)


@strawberry.type(description="A company's Codat record.")  # as OfCompany: never in the schema
class Record(OfCompany, relay.Node):
    node_id: relay.NodeID[str]
    codat_id: str = strawberry.field(description=CODAT_ID)

    DATA_TYPE: ClassVar[DataType]
    DERIVED: ClassVar[dict[str, Getter]] = {
        **OfCompany.DERIVED,
        "node_id": lambda model, company_id: format_node_id(cast(CompanyId, company_id), model.id),
        "codat_id": lambda model, company_id: model.id,
    }

    def __init_subclass__(cls, data_type: DataType | None = None, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if data_type is not None:
            cls.DATA_TYPE = data_type

    @classmethod
    @per_record
    def from_model(cls, company_id: CompanyId, model: Any) -> Self:
        return cls.build(model, company_id)

    @classmethod
    def as_node(cls, company_id: CompanyId, model: Any) -> Self | None:
        """The node of a record read by its node id (None: not one of this type's)."""
        return cls.from_model(company_id, model)

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Self | None]:
        return await resolve_record_nodes(
            info, cls.DATA_TYPE, node_ids, cls.as_node, required=required
        )


async def resolve_record_nodes(
    info: Info,
    data_type: DataType,
    node_ids: Iterable[str],
    wrap: Callable[[CompanyId, Any], T | None],
    *,
    required: bool,
) -> list[T | None]:
    """`Node.resolve_nodes` for a Codat record type: node ids are `{companyId}:{recordId}`."""
    keys = [parse_node_id(node_id) for node_id in node_ids]
    loader = info.context.loaders.records(data_type)
    found = await loader.load_many([key.as_loader_key() for key in keys])
    nodes = [
        None if record is None else wrap(key.company_id, record)
        for key, record in zip(keys, found, strict=True)
    ]
    if required and any(node is None for node in nodes):
        missing = [k.record_id for k, n in zip(keys, nodes, strict=True) if n is None]
        raise NotFoundError(f"no {data_type.value} record with id {', '.join(missing)}")
    return nodes
