"""Commands that take typed options objects, with every field shown to Typer as its flag.

A command names the objects it takes (``def blur(options: BatchOptions, view: View)``);
:func:`parses` shows Typer each field of them, nested objects included, as the flag declared
for its name (the command's own table first, then :data:`veil.cli.media_flags.FLAGS`), with the
field's default, in field order; it calls the command with the objects rebuilt from what was
parsed. A field of type :class:`~veil.pipeline.AnonymizeOptions` is parsed as
:class:`~veil.media_options.MediaOptions` (its flag form). Other parameters pass through.
"""

from __future__ import annotations

import dataclasses
import importlib
import inspect
import typing
from collections.abc import Callable, Collection, Mapping
from types import GenericAlias
from typing import Annotated, Any, cast

Command = Callable[..., None]
FORMS: dict[str, str] = {"veil.pipeline.AnonymizeOptions": "veil.media_options.MediaOptions"}
"""Field types parsed as another options object, whose ``options()`` makes the field. Both by
dotted name, imported only when a command has such a field: a command without media flags
(``veil ledger verify``) never loads the media stack."""


@dataclasses.dataclass(frozen=True)
class _Node:
    """How one options object is rebuilt: its class (or converter) and its fields' sources."""

    make: Callable[..., Any]
    parts: tuple[tuple[str, _Node | str], ...]  # field -> nested object, or the parameter name

    def build(self, values: Mapping[str, Any]) -> Any:
        fields = {
            name: part.build(values) if isinstance(part, _Node) else _plain(values[part])
            for name, part in self.parts
        }
        return self.make(**fields)


def _plain(value: Any) -> Any:
    return tuple(value) if isinstance(value, list) else value  # Typer gives lists, fields tuples


def _typer_type(hint: Any) -> Any:
    """The type Typer parses a field as (it takes a variadic ``tuple[X, ...]`` as ``list[X]``)."""
    return (
        GenericAlias(list, typing.get_args(hint)[:1]) if typing.get_origin(hint) is tuple else hint
    )


def _dotted(kind: type) -> str:
    return f"{kind.__module__}.{kind.__qualname__}"


def _is_options(kind: Any) -> bool:
    return isinstance(kind, type) and (dataclasses.is_dataclass(kind) or _dotted(kind) in FORMS)


def _form(kind: type) -> tuple[type, Callable[[Any], Any] | None]:
    """The class a field of type ``kind`` is parsed as, and how it becomes the field."""
    name = FORMS.get(_dotted(kind))
    if name is None:
        return kind, None
    module, _, attribute = name.rpartition(".")
    form: type = getattr(importlib.import_module(module), attribute)
    return form, cast(Any, form).options


def _default(field: dataclasses.Field[Any]) -> Any:
    if field.default is not dataclasses.MISSING:
        return field.default
    if field.default_factory is not dataclasses.MISSING:
        return field.default_factory()
    return inspect.Parameter.empty


class _Expansion:
    """The flat parameter list a command shows Typer, and how to rebuild its objects."""

    def __init__(self, flags: Mapping[str, Any], defaults: Mapping[str, Any], skip: set[str]):
        self.flags, self.defaults, self.skip = flags, defaults, skip
        self.params: list[inspect.Parameter] = []

    def node(self, kind: type, path: str) -> _Node:
        form, convert = _form(kind)
        hints = typing.get_type_hints(form)
        parts: list[tuple[str, _Node | str]] = []
        for field in dataclasses.fields(form):
            where = path + field.name
            if where in self.skip:
                continue
            hint = hints[field.name]
            if _is_options(hint):
                parts.append((field.name, self.node(hint, where + ".")))
                continue
            declared = self.flags.get(field.name)
            if declared is None:  # the shared media flags, loaded only when a field needs one
                from veil.cli.media_flags import FLAGS

                declared = FLAGS[field.name]  # KeyError: a field no flag is declared for
            if typing.get_origin(declared) is not Annotated:  # a bare Option: the field's type
                declared = Annotated[_typer_type(hint), declared]
            self.add(field.name, declared, self.defaults.get(field.name, _default(field)))
            parts.append((field.name, field.name))
        make: Callable[..., Any] = form
        if convert is not None:
            make = lambda **fields: convert(form(**fields))  # noqa: E731
        return _Node(make, tuple(parts))

    def add(self, name: str, annotation: Any, default: Any) -> None:
        if any(p.name == name for p in self.params):
            raise TypeError(f"two flags fill in {name!r}")
        kind = inspect.Parameter.KEYWORD_ONLY
        self.params.append(inspect.Parameter(name, kind, default=default, annotation=annotation))


def parses(
    *,
    flags: Mapping[str, Any] | None = None,
    defaults: Mapping[str, Any] | None = None,
    skip: Collection[str] = (),
) -> Callable[[Command], Command]:
    """Show ``command``'s options objects to Typer as flags; call it with them rebuilt.

    ``flags`` declares the command's own flags by field name (over :data:`FLAGS`), ``defaults``
    replaces a field's default in ``--help``, ``skip`` names fields the command does not offer
    (dotted below the parameter, e.g. ``"media.tiles"``): they keep their defaults.
    """

    def decorate(command: Command) -> Command:
        expansion = _Expansion(flags or {}, defaults or {}, set(skip))
        hints = typing.get_type_hints(command, include_extras=True)
        nodes: dict[str, _Node] = {}
        plain: list[str] = []
        for param in inspect.signature(command).parameters.values():
            if _is_options(hints[param.name]):
                nodes[param.name] = expansion.node(hints[param.name], "")
            else:
                expansion.add(param.name, hints[param.name], param.default)
                plain.append(param.name)

        def run(**values: Any) -> None:
            objects = {name: node.build(values) for name, node in nodes.items()}
            command(**objects, **{name: values[name] for name in plain})

        run.__name__, run.__qualname__ = command.__name__, command.__qualname__
        run.__doc__, run.__module__ = command.__doc__, command.__module__
        run.__annotations__ = {p.name: p.annotation for p in expansion.params}
        cast(Any, run).__signature__ = inspect.Signature(expansion.params)
        return run

    return decorate
