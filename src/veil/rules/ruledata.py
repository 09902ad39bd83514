"""Veil's rule data: instruments, checks, the 39 app types, the PI taxonomy, Android mappings.

The YAML files under ``veil/rules/data`` are package data, restructured from the research
extract ``../shared/data/regulations/china-pi-rules.yaml``. They are loaded once, validated
with pydantic and cross-checked (every item, citation and check id must resolve), so a broken
data file fails loudly instead of silently weakening a check.
"""

from __future__ import annotations

import functools
from importlib import resources
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from veil.errors import VeilError
from veil.rules.models import Certainty, CheckInfo, Citation, Finding, Level, Location


class RuleDataError(VeilError):
    """Veil's own rule data is missing or inconsistent (a packaging bug, never user input)."""

    exit_code = 2


class _Data(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Text(_Data):
    """A Chinese original with its working English translation."""

    zh: str
    en: str


class ArticleData(_Data):
    """What Veil knows of one article."""

    text: str
    certainty: Certainty
    sources: tuple[str, ...] = ()
    note: str | None = None


class Instrument(_Data):
    """A law, regulation, judicial interpretation or local rule."""

    id: str
    short: str
    title_en: str
    title_zh: str
    doc_number: str | None = None
    effective: str | None = None
    url: str | None = None
    articles: dict[str, ArticleData]


class NecessaryGroup(_Data):
    """One entry of a type's necessary-PI list, as worded in the provision."""

    items: tuple[str, ...] = Field(min_length=1)
    zh: str
    en: str


class AppType(_Data):
    """One of the 39 common app types of the Necessary-PI Provisions, Art. 5."""

    number: int = Field(ge=1, le=39)
    name: Text
    basic_function: Text
    needs_no_pi: bool
    necessary: tuple[NecessaryGroup, ...]
    certainty: Certainty
    sources: tuple[str, ...]
    note: str | None = None

    @property
    def necessary_items(self) -> frozenset[str]:
        """Taxonomy keys of every necessary item of the type."""
        return frozenset(item for group in self.necessary for item in group.items)

    @property
    def label(self) -> str:
        """E.g. 'type 1 Map navigation (地图导航类)'."""
        return f"type {self.number} {self.name.en} ({self.name.zh})"


class AppTypesFile(_Data):
    """``app_types.yaml``: the instrument and article defining the app types, and the types."""

    instrument: str
    article: str
    types: tuple[AppType, ...]


class Category(_Data):
    """A personal-information category's name in English and Chinese."""

    en: str
    zh: str


class PIItem(_Data):
    """One personal-information item of Veil's taxonomy."""

    key: str = ""
    en: str
    zh: str
    category: str
    sensitive: bool = False
    aliases: tuple[str, ...] = ()


class TaxonomyFile(_Data):
    """``taxonomy.yaml``: personal-information categories and items, by key."""

    categories: dict[str, Category]
    items: dict[str, PIItem]


class AndroidPermission(_Data):
    """The personal-information items a permission reaches; dangerous: deniable at run time."""

    items: tuple[str, ...] = Field(min_length=1)
    dangerous: bool


class AndroidFile(_Data):
    """``android.yaml``: permissions and hardware features mapped to personal-information items."""

    permissions: dict[str, AndroidPermission]
    features: dict[str, tuple[str, ...]]


class CheckData(_Data):
    """One check's title, level and citations, with an optional reading and city rule."""

    title: str
    level: Level
    cite: tuple[str, ...] = Field(min_length=1)
    reading: str | None = None
    city: Text | None = None


class ChecksFile(_Data):
    """``checks.yaml``: every check by id."""

    checks: dict[str, CheckData]


class InstrumentsFile(_Data):
    """``instruments.yaml``: the laws and rules the checks cite."""

    instruments: tuple[Instrument, ...]


class RuleData(_Data):
    """Everything the checks need, validated and cross-referenced."""

    instruments: dict[str, Instrument]
    checks: dict[str, CheckInfo]
    app_types: tuple[AppType, ...]
    categories: dict[str, Category]
    items: dict[str, PIItem]
    android: AndroidFile
    necessary_instrument: str

    def app_type(self, number: int) -> AppType:
        """The app type with this number (1-39)."""
        for app_type in self.app_types:
            if app_type.number == number:
                return app_type
        raise KeyError(number)

    def check(self, check_id: str) -> CheckInfo:
        """The check with this id."""
        return self.checks[check_id]

    def cite(self, instrument_id: str, article: str) -> Citation:
        """A citation of one article, with Veil's certainty of it."""
        instrument = self.instruments[instrument_id]
        data = instrument.articles[article]
        return Citation(
            instrument=instrument.id,
            instrument_title=instrument.short,
            article=article,
            text=data.text,
            certainty=data.certainty,
            sources=data.sources,
            note=data.note,
            url=instrument.url,
        )

    def type_citation(self, app_type: AppType) -> Citation:
        """Art. 5 item (n) of the Necessary-PI Provisions for one app type."""
        instrument = self.instruments[self.necessary_instrument]
        if app_type.needs_no_pi:
            scope = "no personal information is needed for the basic function service"
        else:
            scope = "necessary: " + "; ".join(group.en for group in app_type.necessary)
        return Citation(
            instrument=instrument.id,
            instrument_title=instrument.short,
            article=f"5({app_type.number})",
            text=f"{app_type.name.en}, basic function {app_type.basic_function.en}; {scope}.",
            certainty=app_type.certainty,
            sources=app_type.sources,
            note=app_type.note,
            url=instrument.url,
        )


def _load_yaml(name: str) -> Any:
    try:
        text = (
            resources.files("veil.rules")
            .joinpath("data")
            .joinpath(name)
            .read_text(encoding="utf-8")
        )
        return yaml.safe_load(text)
    except (OSError, yaml.YAMLError) as exc:
        raise RuleDataError(f"rule data file {name} cannot be read: {exc}") from exc


def _parse(model: type[_Data], name: str) -> Any:
    try:
        return model.model_validate(_load_yaml(name))
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise RuleDataError(f"rule data file {name} is invalid at {where}: {first['msg']}") from exc


def _split_cite(ref: str) -> tuple[str, str]:
    instrument, sep, article = ref.partition(":")
    if not sep:
        raise RuleDataError(f"citation {ref!r} is not 'instrument:article'")
    return instrument, article


def build_rule_data(
    instruments: InstrumentsFile,
    checks: ChecksFile,
    app_types: AppTypesFile,
    taxonomy: TaxonomyFile,
    android: AndroidFile,
) -> RuleData:
    """Cross-check the parsed files and assemble :class:`RuleData`."""
    by_id = {inst.id: inst for inst in instruments.instruments}
    items = {key: item.model_copy(update={"key": key}) for key, item in taxonomy.items.items()}
    for key, item in items.items():
        if item.category not in taxonomy.categories:
            raise RuleDataError(f"taxonomy item {key} has unknown category {item.category}")
    numbers = [t.number for t in app_types.types]
    if sorted(numbers) != list(range(1, 40)):
        raise RuleDataError("app_types.yaml must hold each of the types 1-39 exactly once")
    if app_types.instrument not in by_id:
        raise RuleDataError(f"app_types.yaml cites unknown instrument {app_types.instrument}")
    for app_type in app_types.types:
        if app_type.needs_no_pi != (not app_type.necessary):
            raise RuleDataError(f"type {app_type.number}: needs_no_pi disagrees with its items")
        unknown = app_type.necessary_items - items.keys()
        if unknown:
            raise RuleDataError(f"type {app_type.number} names unknown items {sorted(unknown)}")
    mapped = [i for p in android.permissions.values() for i in p.items]
    mapped += [i for f in android.features.values() for i in f]
    if set(mapped) - items.keys():
        raise RuleDataError(
            f"android.yaml names unknown items {sorted(set(mapped) - items.keys())}"
        )

    partial = RuleData(
        instruments=by_id,
        checks={},
        app_types=app_types.types,
        categories=taxonomy.categories,
        items=items,
        android=android,
        necessary_instrument=app_types.instrument,
    )
    infos: dict[str, CheckInfo] = {}
    for check_id, data in checks.checks.items():
        citations = []
        for ref in data.cite:
            instrument, article = _split_cite(ref)
            try:
                citations.append(partial.cite(instrument, article))
            except KeyError as exc:
                raise RuleDataError(f"check {check_id} cites unknown {ref}") from exc
        infos[check_id] = CheckInfo(
            id=check_id,
            title=data.title,
            level=data.level,
            citations=tuple(citations),
            reading=" ".join(data.reading.split()) if data.reading else None,
            city_en=data.city.en if data.city else None,
            city_zh=data.city.zh if data.city else None,
        )
    return partial.model_copy(update={"checks": infos})


@functools.cache
def rule_data() -> RuleData:
    """Load and validate Veil's rule data (once per process)."""
    return build_rule_data(
        _parse(InstrumentsFile, "instruments.yaml"),
        _parse(ChecksFile, "checks.yaml"),
        _parse(AppTypesFile, "app_types.yaml"),
        _parse(TaxonomyFile, "taxonomy.yaml"),
        _parse(AndroidFile, "android.yaml"),
    )


def make_finding(
    check_id: str,
    message: str,
    location: Location,
    subject: str | None = None,
    extra: tuple[Citation, ...] = (),
    level: Level | None = None,
) -> Finding:
    """A finding of check ``check_id`` with its citations (plus ``extra`` ones) and certainty."""
    info = rule_data().check(check_id)
    citations = (*extra, *info.citations)
    return Finding(
        check_id=check_id,
        title=info.title,
        level=level or info.level,
        message=message,
        citations=citations,
        certainty=max((c.certainty for c in citations), key=lambda c: c.rank),
        location=location,
        subject=subject,
        reading=info.reading,
    )
