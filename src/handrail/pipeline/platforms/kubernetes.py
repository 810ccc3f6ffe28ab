"""Kubernetes workload manifests: probes, revisionHistoryLimit and image tags.

A Deployment keeps old ReplicaSets (revisionHistoryLimit, default 10) for
`kubectl rollout undo`; 0 keeps none. Undo restores the old pod template, so it only
restores old code when the image tag is immutable. Helm templates (with `{{`) are not
YAML until rendered and are skipped.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from handrail.core.finding import Location
from handrail.core.lazyre import lazy_re
from handrail.core.yamlload import line_of
from handrail.pipeline.model import PlatformFacts
from handrail.pipeline.platforms._util import add, image_tag_kind, parsed, register

if TYPE_CHECKING:
    from handrail.core.project import Project

WORKLOADS = ("Deployment", "StatefulSet", "DaemonSet", "Rollout")
_KIND = lazy_re(r"^kind:\s*[\"']?(Deployment|StatefulSet|DaemonSet|Rollout)[\"']?\s*$", re.M)
_SKIP_PREFIXES = (".github/", ".gitlab", ".circleci/")


def files(project: Project) -> list[str]:
    out = []
    for path in project.files.glob("*.yaml", "*.yml", "**/*.yaml", "**/*.yml"):
        if path.startswith(_SKIP_PREFIXES):
            continue
        text = project.text(path)
        if text and "apiVersion:" in text and _KIND.search(text) and "{{" not in text:
            out.append(path)
    return out


def read(project: Project, facts: PlatformFacts) -> None:
    for path in files(project):
        docs = parsed(project, path, "yaml_all", facts)
        for doc in docs or []:
            if isinstance(doc, dict) and doc.get("kind") in WORKLOADS and isinstance(doc.get("spec"), dict):
                _read_workload(path, doc, facts)


def _read_workload(path: str, doc: dict[str, Any], facts: PlatformFacts) -> None:
    meta = doc.get("metadata") if isinstance(doc.get("metadata"), dict) else {}
    name = f"{doc['kind']} {meta.get('name', '?')}"
    spec = doc["spec"]
    register(facts, "kubernetes", Location(path, line_of(doc, "kind", 1), name))
    template = spec.get("template") if isinstance(spec.get("template"), dict) else {}
    pod = template.get("spec") if isinstance(template.get("spec"), dict) else {}
    kinds = []
    for container in pod.get("containers") or []:
        if not isinstance(container, dict):
            continue
        cname = container.get("name", "?")
        for probe in ("readinessProbe", "livenessProbe", "startupProbe"):
            if isinstance(container.get(probe), dict):
                add(facts.health_gates, Location(path, line_of(container, probe), f"{name}/{cname}: {probe}"))
        image = container.get("image")
        if isinstance(image, str):
            kinds.append(image_tag_kind(image))
            if kinds[-1] == "mutable":
                add(facts.mutable_tags, Location(path, line_of(container, "image"), f"{name}/{cname}: image {image}"))
    workload = doc["kind"] in ("Deployment", "StatefulSet", "DaemonSet")
    limit = spec.get("revisionHistoryLimit")
    if workload and limit == 0:
        add(facts.no_rollback, Location(path, line_of(spec, "revisionHistoryLimit"),
                                        f"{name}: revisionHistoryLimit 0, `kubectl rollout undo` has no revision "
                                        "to go back to"))
        return
    # undo restores the old pod template; with only mutable tags that template pulls the new image again
    if kinds and all(k == "mutable" for k in kinds):
        return
    if workload:
        kept = limit if isinstance(limit, int) and not isinstance(limit, bool) else 10
        line = line_of(spec, "revisionHistoryLimit") if "revisionHistoryLimit" in spec else line_of(doc, "kind")
        add(facts.rollback, Location(path, line, f"{name}: `kubectl rollout undo` (revisionHistoryLimit "
                                                 f"{kept}{'' if limit is not None else ', default'})"))
    else:
        add(facts.rollback, Location(path, line_of(doc, "kind"), f"{name}: Argo Rollouts aborts and undoes "
                                                                 "failed rollouts"))
