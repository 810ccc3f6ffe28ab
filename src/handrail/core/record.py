"""Small value classes for the agent hook's hot path, declared like dataclasses.

`import dataclasses` pulls in `inspect` (~15 ms here) and each @dataclass compiles code at import; the hook
starts a fresh process on every agent action, so the models it builds (Action, Decision, Cmd, Event, Entry)
use this instead: fields from the class annotations, defaults from class attributes, `factory(list)` for
mutable defaults, keyword or positional construction, `replace()`, equality, repr, and frozen by default.
"""

from __future__ import annotations

TYPE_CHECKING = False  # typing costs ~3 ms to import on the hook's path; annotations are strings
if TYPE_CHECKING:
    from typing import Any, ClassVar

_MISSING = object()


class _Factory:
    __slots__ = ("make",)

    def __init__(self, make: Any) -> None:
        self.make = make


def factory(make: Any) -> Any:
    """A default built fresh for every instance (like `field(default_factory=...)`)."""
    return _Factory(make)


class Record:
    FIELDS: ClassVar[tuple[str, ...]] = ()
    DEFAULTS: ClassVar[dict[str, Any]] = {}
    FROZEN: ClassVar[bool] = True

    def __init_subclass__(cls, frozen: bool = True, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        names = list(cls.FIELDS)
        defaults = dict(cls.DEFAULTS)
        for name, annotation in cls.__dict__.get("__annotations__", {}).items():  # noqa: RUF063 - inspect is slow
            if str(annotation).startswith("ClassVar") or name in names:
                continue
            names.append(name)
            if name in cls.__dict__:
                defaults[name] = cls.__dict__[name]
                delattr(cls, name)  # instances hold the value; a class attribute would shadow nothing useful
        cls.FIELDS = tuple(names)
        cls.DEFAULTS = defaults
        cls.FROZEN = frozen

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        names = self.FIELDS
        if len(args) > len(names):
            raise TypeError(f"{type(self).__name__}() takes {len(names)} arguments, {len(args)} given")
        values = self.__dict__
        for name, value in zip(names, args, strict=False):
            if name in kwargs:
                raise TypeError(f"{type(self).__name__}() got two values for {name!r}")
            values[name] = value
        for name in names[len(args):]:
            value = kwargs.pop(name, _MISSING)
            if value is _MISSING:
                value = self.DEFAULTS.get(name, _MISSING)
                if value is _MISSING:
                    raise TypeError(f"{type(self).__name__}() missing argument {name!r}")
                if isinstance(value, _Factory):
                    value = value.make()
            values[name] = value
        if kwargs:
            raise TypeError(f"{type(self).__name__}() got unexpected argument(s) {', '.join(sorted(kwargs))}")

    def __setattr__(self, name: str, value: Any) -> None:
        if self.FROZEN:
            raise AttributeError(f"{type(self).__name__} is frozen: cannot assign to {name!r}")
        if name not in self.FIELDS:
            raise AttributeError(f"{type(self).__name__} has no field {name!r}")
        self.__dict__[name] = value

    def replace(self, **changes: Any) -> Any:
        """A copy with some fields changed (like `dataclasses.replace`)."""
        values = {name: self.__dict__[name] for name in self.FIELDS}
        values.update(changes)
        return type(self)(**values)

    def as_dict(self) -> dict[str, Any]:
        return {name: self.__dict__[name] for name in self.FIELDS}

    def _key(self) -> tuple[Any, ...]:
        return tuple(self.__dict__[name] for name in self.FIELDS)

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return self._key() == other._key()  # type: ignore[attr-defined]

    def __hash__(self) -> int:
        if not self.FROZEN:
            raise TypeError(f"unhashable type: {type(self).__name__!r}")
        return hash(self._key())

    def __repr__(self) -> str:
        inner = ", ".join(f"{name}={self.__dict__[name]!r}" for name in self.FIELDS)
        return f"{type(self).__name__}({inner})"
