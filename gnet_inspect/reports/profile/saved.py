"""A saved profile read back: ``profile --format json -o result.json`` is enough to draw its
charts and its coloured diagram later, on another machine, without torch.

Every field is read and checked against the type it was written with; a file that is not
JSON, is cut short, is another kind of JSON or has lost a field is a ResultError that names
the file, the field and what to do. A profile's blocks must be nodes of the graph it carries
(a hand-joined file is refused). Imports no torch.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any, cast

from gnet_inspect.errors import ResultError
from gnet_inspect.measure.levels import LEVELS
from gnet_inspect.reports.diagram.graph import Container, DiagramEdge, DiagramGraph, DiagramNode
from gnet_inspect.reports.diagram.nodes import Layer, Role
from gnet_inspect.reports.lineage.result import LINEAGE_FORMAT
from gnet_inspect.reports.profile.result import (
    RESULT_FORMAT,
    RESULT_VERSION,
    AuxCost,
    BlockLatency,
    Ceilings,
    LatencyProfile,
    LatencyStats,
    ProfileSettings,
)
from gnet_inspect.reports.result_file import MAX_RESULT_BYTES, FieldReader, read_json_file
from gnet_inspect.spec.notation import Size

__all__ = ["MAX_RESULT_BYTES", "check_same_table", "load_profile"]

_HOW = "write one with gnet-inspect profile --format json -o FILE"


def load_profile(path: str | Path) -> LatencyProfile:
    """The profile saved in ``path``.

    Raises:
        ResultError: no such file, not a regular file, too large, not JSON, not a profile of
            this version, a field missing or of the wrong type, blocks not in its graph.
    """
    return _Reader(str(path), _HOW).profile(read_json_file(path, "a profile result", _HOW))


def check_same_table(profile: LatencyProfile, graph: DiagramGraph, name: str) -> None:
    """Refuses to set ``profile``'s numbers on ``graph`` when it profiled another table: a
    block it timed that is not a node of ``graph``, or whose MACs or parameters differ, or
    another input size.

    Raises:
        ResultError: naming both tables and what differs.
    """
    nodes = {node.id: node for node in graph.nodes}
    strangers = [
        b.id for b in profile.blocks if b.id not in nodes or nodes[b.id].macs not in (None, b.macs)
    ]
    s = profile.settings
    if not strangers and s.input_size == graph.input_size:
        return
    what = (
        f"its blocks {', '.join(strangers[:3])}{' …' if len(strangers) > 3 else ''} are not"
        if strangers
        else f"its input {s.input_size}×{s.input_size} is not"
    )
    raise ResultError(
        f"{name} is a profile of table '{s.network}' (variant {s.variant}); {what} those of table "
        f"'{graph.network}' ({graph.label}, input {graph.input_size}×{graph.input_size}); "
        "name the profiled table (--table or --spec, and --variant) or profile this one"
    )


class _Reader(FieldReader):
    """Reads one profile file's parsed JSON, naming the field of any failure."""

    def profile(self, value: object) -> LatencyProfile:
        data = self.mapping(value, "")
        if data.get("format") != RESULT_FORMAT:
            found = data.get("format")
            what = "no 'format' key" if found is None else f"format {str(found)[:40]!r}"
            advice = (
                "a lineage draws with --kind errors or stages" if found == LINEAGE_FORMAT else _HOW
            )
            raise ResultError(f"{self.name}: not a gnet-inspect profile result ({what}); {advice}")
        if data.get("pass") == "train":
            raise ResultError(
                f"{self.name}: a training-step profile; the pictures draw an inference "
                "profile (gnet-inspect profile without --pass train)"
            )
        version = data.get("version")
        if version != RESULT_VERSION:
            raise ResultError(
                f"{self.name}: profile result version {str(version)[:20]}, and this "
                f"gnet-inspect reads version {RESULT_VERSION}; profile again with this version"
            )
        settings = self.settings(data.get("settings"), "settings")
        blocks = self.items(data, "blocks", "", self.block)
        diagram = self.graph(data.get("diagram"), "diagram")
        profile = LatencyProfile(
            settings=settings,
            blocks=blocks,
            end_to_end=self.stats(data.get("end_to_end"), "end_to_end"),
            blocks_per_pass=self.stats(data.get("blocks_per_pass"), "blocks_per_pass"),
            ceilings=self.ceilings(data.get("ceilings"), "ceilings"),
            aux=self.items(data, "aux", "", self.aux),
            diagram=diagram,
        )
        ids = [b.id for b in blocks]
        if len(set(ids)) < len(ids):
            twice = next(i for i in ids if ids.count(i) > 1)
            raise ResultError(f"{self.name}: block '{twice[:40]}' twice: not one profile; {_HOW}")
        nodes = {node.id for node in diagram.nodes}
        strangers = [b.id for b in blocks if b.id not in nodes]
        if strangers or not blocks:
            what = f"blocks {', '.join(strangers[:3])}" if strangers else "no blocks"
            raise ResultError(
                f"{self.name}: {what} not in the graph of table '{diagram.network}' it carries: "
                f"not one profile; {_HOW}"
            )
        return profile

    def settings(self, value: object, where: str) -> ProfileSettings:
        data = self.mapping(value, where)
        kinds: dict[str, type] = {
            "network": str, "variant": str, "device": str, "device_name": str, "dtype": str,
            "batch_size": int, "input_size": int, "channels": int, "channels_last": bool,
            "depth": str, "warmup": int, "repeats": int, "threads": int,
            "torch_version": str, "timer": str,
        }  # fmt: skip
        fields: dict[str, Any] = {k: self.field(data, k, where, kind) for k, kind in kinds.items()}
        if fields["batch_size"] < 1:
            raise self.fail(f"{where}.batch_size", "must be at least 1")
        return ProfileSettings(**fields)

    def stats(self, value: object, where: str) -> LatencyStats:
        data = self.mapping(value, where)
        return LatencyStats(
            self.field(data, "median_ms", where, float),
            self.field(data, "p10_ms", where, float),
            self.field(data, "p90_ms", where, float),
            self.field(data, "samples", where, int),
        )

    def block(self, value: object, where: str) -> BlockLatency:
        data = self.mapping(value, where)
        text = {k: self.field(data, k, where, str) for k in ("id", "row", "kind", "type")}
        counts = {
            k: self.field(data, k, where, int)
            for k in ("macs", "params", "weight_bytes", "read_bytes", "written_bytes")
        }
        latency = LatencyStats(
            self.field(data, "latency_ms", where, float),
            self.field(data, "latency_p10_ms", where, float),
            self.field(data, "latency_p90_ms", where, float),
            self.field(data, "samples", where, int),
        )
        return BlockLatency(
            text["id"], text["row"], text["kind"], text["type"], counts.pop("macs"), latency,
            **counts,
        )  # fmt: skip

    def ceilings(self, value: object, where: str) -> Ceilings | None:
        if value is None:
            return None
        data = self.mapping(value, where)
        compute = self.field(data, "compute_flops_per_s", where, float)
        bandwidth = self.field(data, "bandwidth_bytes_per_s", where, float)
        if compute <= 0 or bandwidth <= 0 or not math.isfinite(compute / bandwidth):
            raise self.fail(where, "ceilings must be positive, their ratio finite")
        return Ceilings(
            compute, self.field(data, "compute_how", where, str),
            bandwidth, self.field(data, "bandwidth_how", where, str),
        )  # fmt: skip

    def aux(self, value: object, where: str) -> AuxCost:
        data = self.mapping(value, where)
        return AuxCost(
            self.field(data, "id", where, str),
            self.field(data, "macs", where, int),
            self.field(data, "params", where, int),
        )

    def graph(self, value: object, where: str) -> DiagramGraph:
        data = self.mapping(value, where)
        depth = self.field(data, "depth", where, str)
        if depth not in LEVELS:
            raise self.fail(f"{where}.depth", f"unknown depth {depth[:20]!r}")
        return DiagramGraph(
            network=self.field(data, "network", where, str),
            label=self.field(data, "label", where, str),
            input_size=self.field(data, "input_size", where, int),
            depth=depth,
            module=self.optional(data, "module", where, str),
            nodes=self.items(data, "nodes", where, self.node),
            edges=self.items(data, "edges", where, self.edge),
            containers=self.items(data, "containers", where, self.container),
        )

    def node(self, value: object, where: str) -> DiagramNode:
        data = self.mapping(value, where)
        role = self.field(data, "role", where, str)
        if role not in ("input", "layer", "output", "context"):
            raise self.fail(f"{where}.role", f"unknown role {role[:20]!r}")
        return DiagramNode(
            id=self.field(data, "id", where, str),
            kind=self.field(data, "kind", where, str),
            role=cast(Role, role),
            head=self.optional(data, "head", where, str),
            parents=self.strings(data, "parents", where),
            layers=self.items(data, "layers", where, self.layer),
            output=self.size(data.get("output"), f"{where}.output"),
            params=self.optional(data, "params", where, int),
            macs=self.optional(data, "macs", where, int),
            members=self.strings(data, "members", where),
            loss_weight=self.optional(data, "loss_weight", where, float),
        )

    def container(self, value: object, where: str) -> Container:
        data = self.mapping(value, where)
        return Container(
            id=self.field(data, "id", where, str),
            kind=self.field(data, "kind", where, str),
            head=self.optional(data, "head", where, str),
            parents=self.strings(data, "parents", where),
            output=self.size(data.get("output"), f"{where}.output"),
            params=self.field(data, "params", where, int),
            macs=self.field(data, "macs", where, int),
            loss_weight=self.optional(data, "loss_weight", where, float),
        )

    def layer(self, value: object, where: str) -> Layer:
        data = self.mapping(value, where)
        return Layer(
            path=self.field(data, "path", where, str),
            kind=self.field(data, "kind", where, str),
            kernel=self.optional(data, "kernel", where, int),
            stride=self.optional(data, "stride", where, int),
            channels=self.optional(data, "channels", where, int),
            rate=self.optional(data, "rate", where, float),
            kernel_width=self.optional(data, "kernel_width", where, int),
            scale=self.optional(data, "scale", where, float),
            relu=self.optional(data, "relu", where, bool),
        )

    def edge(self, value: object, where: str) -> DiagramEdge:
        data = self.mapping(value, where)
        return DiagramEdge(
            self.field(data, "source", where, str), self.field(data, "target", where, str)
        )

    def size(self, value: object, where: str) -> Size | None:
        if value is None:
            return None
        data = self.mapping(value, where)
        return Size(*(self.field(data, k, where, int) for k in ("height", "width", "channels")))
