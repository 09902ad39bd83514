"""The part of the OASIS SARIF 2.1.0 JSON schema that Veil's logs use, checked without network.

For each SARIF object Veil writes: the properties the schema allows (its objects have
``additionalProperties: false``), the ones it requires, and the constraints on the values Veil
sets (enums, minimums, unique items). Property bags (``properties``) allow any key, as in the
schema. Names and constraints follow sarif-schema-2.1.0.json (OASIS SARIF v2.1.0, errata 01).
"""

from __future__ import annotations

from typing import Any


def _names(text: str) -> frozenset[str]:
    return frozenset(text.split())


# object name -> (allowed properties, required properties)
OBJECTS: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    "sarifLog": (
        frozenset({"$schema", "version", "runs", "inlineExternalProperties", "properties"}),
        frozenset({"version", "runs"}),
    ),
    "run": (
        _names(
            """
            tool invocations conversion language versionControlProvenance originalUriBaseIds
            artifacts logicalLocations graphs results automationDetails runAggregates
            baselineGuid redactionTokens defaultEncoding defaultSourceLanguage newlineSequences
            columnKind externalPropertyFileReferences threadFlowLocations taxonomies addresses
            translations policies webRequests webResponses specialLocations properties
            """
        ),
        frozenset({"tool"}),
    ),
    "tool": (frozenset({"driver", "extensions", "properties"}), frozenset({"driver"})),
    "toolComponent": (
        _names(
            """
            guid name organization product productSuite shortDescription fullDescription
            fullName version semanticVersion dottedQuadFileVersion releaseDateUtc downloadUri
            informationUri globalMessageStrings notifications rules taxa locations language
            contents isComprehensive localizedDataSemanticVersion
            minimumRequiredLocalizedDataSemanticVersion associatedComponent translationMetadata
            supportedTaxonomies properties
            """
        ),
        frozenset({"name"}),
    ),
    "reportingDescriptor": (
        _names(
            """
            id deprecatedIds guid deprecatedGuids name deprecatedNames shortDescription
            fullDescription messageStrings defaultConfiguration helpUri help relationships
            properties
            """
        ),
        frozenset({"id"}),
    ),
    "multiformatMessageString": (
        frozenset({"text", "markdown", "properties"}),
        frozenset({"text"}),
    ),
    "reportingConfiguration": (
        frozenset({"enabled", "level", "rank", "parameters", "properties"}),
        frozenset(),
    ),
    "result": (
        _names(
            """
            guid correlationGuid ruleId ruleIndex rule kind level message analysisTarget
            locations hostedViewerUri fingerprints partialFingerprints codeFlows graphs
            graphTraversals stacks relatedLocations suppressions baselineState rank attachments
            workItemUris provenance fixes taxa webRequest webResponse properties
            """
        ),
        frozenset({"message"}),
    ),
    "message": (frozenset({"text", "markdown", "id", "arguments", "properties"}), frozenset()),
    "location": (
        _names(
            """
            id physicalLocation logicalLocations message annotations relationships properties
            """
        ),
        frozenset(),
    ),
    "physicalLocation": (
        frozenset({"address", "artifactLocation", "region", "contextRegion", "properties"}),
        frozenset(),
    ),
    "artifactLocation": (
        frozenset({"uri", "uriBaseId", "index", "description", "properties"}),
        frozenset(),
    ),
    "region": (
        _names(
            """
            startLine startColumn endLine endColumn charOffset charLength byteOffset byteLength
            snippet message sourceLanguage properties
            """
        ),
        frozenset(),
    ),
    "artifact": (
        _names(
            """
            description location parentIndex offset length roles mimeType contents encoding
            sourceLanguage hashes lastModifiedTimeUtc properties
            """
        ),
        frozenset(),
    ),
}

LEVELS = {"none", "note", "warning", "error"}
KINDS = {"notApplicable", "pass", "fail", "review", "open", "informational"}


class SarifError(AssertionError):
    """The log breaks the SARIF 2.1.0 schema."""


def _object(name: str, value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise SarifError(f"{where}: {name} must be an object")
    allowed, required = OBJECTS[name]
    extra = set(value) - allowed
    if extra:
        raise SarifError(f"{where}: {name} does not allow {sorted(extra)}")
    missing = required - set(value)
    if missing:
        raise SarifError(f"{where}: {name} requires {sorted(missing)}")
    if "properties" in value:
        _property_bag(value["properties"], f"{where}.properties")
    return value


def _property_bag(value: Any, where: str) -> None:
    if not isinstance(value, dict):
        raise SarifError(f"{where}: a property bag must be an object")
    tags = value.get("tags", [])
    if not isinstance(tags, list) or len(tags) != len(set(tags)):
        raise SarifError(f"{where}.tags: unique strings required")


def _string(value: Any, where: str) -> None:
    if not isinstance(value, str):
        raise SarifError(f"{where}: string required")


def _message_string(value: Any, where: str) -> None:
    _object("multiformatMessageString", value, where)
    _string(value["text"], f"{where}.text")


def _rule(value: Any, where: str) -> None:
    rule = _object("reportingDescriptor", value, where)
    _string(rule["id"], f"{where}.id")
    for key in ("shortDescription", "fullDescription", "help"):
        if key in rule:
            _message_string(rule[key], f"{where}.{key}")
    if "defaultConfiguration" in rule:
        config = _object("reportingConfiguration", rule["defaultConfiguration"], where)
        if config.get("level", "warning") not in LEVELS:
            raise SarifError(f"{where}.defaultConfiguration.level: not one of {LEVELS}")


def _location(value: Any, where: str) -> None:
    location = _object("location", value, where)
    if "physicalLocation" in location:
        physical = _object("physicalLocation", location["physicalLocation"], where)
        if "address" not in physical and "artifactLocation" not in physical:
            raise SarifError(f"{where}: physicalLocation needs address or artifactLocation")
        if "artifactLocation" in physical:
            artifact = _object("artifactLocation", physical["artifactLocation"], where)
            if "uri" in artifact:
                _string(artifact["uri"], f"{where}.uri")
        if "region" in physical:
            region = _object("region", physical["region"], where)
            line = region.get("startLine", 1)
            if not isinstance(line, int) or line < 1:
                raise SarifError(f"{where}.region.startLine: integer >= 1 required")


def _result(value: Any, where: str, rule_ids: list[str]) -> None:
    result = _object("result", value, where)
    message = _object("message", result["message"], f"{where}.message")
    if "text" not in message and "id" not in message:
        raise SarifError(f"{where}.message: text or id required")
    if result.get("level", "warning") not in LEVELS:
        raise SarifError(f"{where}.level: not one of {LEVELS}")
    if result.get("kind", "fail") not in KINDS:
        raise SarifError(f"{where}.kind: not one of {KINDS}")
    if "ruleIndex" in result:
        index = result["ruleIndex"]
        if not isinstance(index, int) or not -1 <= index < len(rule_ids):
            raise SarifError(f"{where}.ruleIndex: out of range")
        if index >= 0 and "ruleId" in result and rule_ids[index] != result["ruleId"]:
            raise SarifError(f"{where}: ruleIndex and ruleId name different rules")
    fingerprints = result.get("partialFingerprints", {})
    if not isinstance(fingerprints, dict) or not all(
        isinstance(v, str) for v in fingerprints.values()
    ):
        raise SarifError(f"{where}.partialFingerprints: strings required")
    for i, location in enumerate(result.get("locations", [])):
        _location(location, f"{where}.locations[{i}]")


def validate_sarif(log: Any) -> None:
    """Raise :class:`SarifError` where ``log`` breaks the SARIF 2.1.0 schema."""
    _object("sarifLog", log, "log")
    if log["version"] != "2.1.0":
        raise SarifError("log.version must be '2.1.0'")
    if not isinstance(log["runs"], list):
        raise SarifError("log.runs must be an array")
    for r, run_value in enumerate(log["runs"]):
        where = f"runs[{r}]"
        run = _object("run", run_value, where)
        tool = _object("tool", run["tool"], f"{where}.tool")
        driver = _object("toolComponent", tool["driver"], f"{where}.tool.driver")
        _string(driver["name"], f"{where}.tool.driver.name")
        rules = driver.get("rules", [])
        for i, rule in enumerate(rules):
            _rule(rule, f"{where}.tool.driver.rules[{i}]")
        rule_ids = [rule["id"] for rule in rules]
        if len(rule_ids) != len(set(rule_ids)):
            raise SarifError(f"{where}: rule ids repeat")
        for i, artifact in enumerate(run.get("artifacts", [])):
            _object("artifact", artifact, f"{where}.artifacts[{i}]")
            if "location" in artifact:
                _object("artifactLocation", artifact["location"], f"{where}.artifacts[{i}]")
        for i, result in enumerate(run.get("results", [])):
            _result(result, f"{where}.results[{i}]", rule_ids)
