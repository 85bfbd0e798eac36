"""Zero-config discovery of an Alembic project, and its overrides.

From a project folder: ``alembic.ini`` (or ``[tool.alembic]`` in
pyproject.toml) gives ``script_location`` (``%(here)s`` expanded),
``version_locations``, ``prepend_sys_path`` and the database URL (for the
dialect); ``env.py``, read with ``ast``, gives the metadata it assigns to
``target_metadata``. ``[tool.migration-audit]`` and the command line override
each of these.
"""

from __future__ import annotations

import ast
import configparser
import importlib.util
import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from migration_audit.facts import Diagnostic, Location
from migration_audit.sources.pyexpr import Imports, SourceError, parse_file


class UsageError(Exception):
    """Bad configuration or arguments: exit code 2, one clear line."""


CONFIG_KEYS = {"metadata", "script-location", "dialect", "select", "ignore"}


@dataclass(slots=True)
class Project:
    root: Path
    config_file: Path | None = None
    script_location: Path | None = None
    version_locations: list[Path] = field(default_factory=list)
    recursive_version_locations: bool = False
    sys_paths: list[Path] = field(default_factory=list)
    metadata: list[str] = field(default_factory=list)
    metadata_location: Location | None = None  # where the metadata spec came from
    dialect: str = "default"
    select: list[str] = field(default_factory=list)
    ignore: list[str] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)


@dataclass(slots=True)
class Overrides:
    metadata: list[str] = field(default_factory=list)
    script_location: str | None = None
    dialect: str | None = None


def _split_paths(value: str, separator: str | None) -> list[str]:
    if separator is None:
        # Alembic's legacy rule: split on spaces and commas.
        return [p for p in re.split(r"[\s,]+", value.strip()) if p]
    seps = {"os": os.pathsep, "space": None, "newline": "\n", ":": ":", ";": ";"}
    sep = seps.get(separator, separator)
    parts = value.split() if sep is None else value.split(sep)
    return [p.strip() for p in parts if p.strip()]


def _resolve_location(value: str, base: Path) -> Path:
    """A script/version location: a path, or ``package:folder``."""
    if ":" in value and not re.match(r"^[A-Za-z]:[\\/]", value):
        package, _, sub = value.partition(":")
        if re.fullmatch(r"[\w.]+", package):
            try:
                spec = importlib.util.find_spec(package)
            except (ImportError, ValueError):
                spec = None
            if spec and spec.submodule_search_locations:
                return Path(list(spec.submodule_search_locations)[0]) / sub
    path = Path(value)
    return path if path.is_absolute() else (base / path)


def _dialect_of(url: str | None) -> str | None:
    if not url:
        return None
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError, NoSuchModuleError

    try:
        u = make_url(url)
        u.get_dialect()
    except (ArgumentError, NoSuchModuleError, ValueError, ImportError):
        return None
    return u.get_backend_name()


def _str_list(value: object, key: str, where: Path) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return list(value)
    raise UsageError(f"{where}: [tool.migration-audit] {key} must be a string or a list of strings")


def load_project(path: Path, overrides: Overrides) -> Project:
    path = path.resolve()
    if not path.exists():
        raise UsageError(f"{path}: no such file or directory")
    ini: Path | None = None
    if path.is_file():
        if path.suffix == ".toml":
            root = path.parent
        else:
            ini = path
            root = path.parent
    else:
        root = path
        if (root / "alembic.ini").is_file():
            ini = root / "alembic.ini"
    project = Project(root=root)

    pyproject = root / "pyproject.toml"
    tool_alembic: dict[str, object] = {}
    tool_audit: dict[str, object] = {}
    if pyproject.is_file():
        try:
            data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise UsageError(f"{pyproject}: invalid TOML: {exc}") from None
        tool = data.get("tool", {}) if isinstance(data.get("tool"), dict) else {}
        tool_alembic = tool.get("alembic", {}) if isinstance(tool.get("alembic"), dict) else {}
        tool_audit = tool.get("migration-audit", {}) if isinstance(tool.get("migration-audit"), dict) else {}
        unknown = sorted(set(tool_audit) - CONFIG_KEYS)
        if unknown:
            import difflib

            hints = []
            for key in unknown:
                close = difflib.get_close_matches(key, sorted(CONFIG_KEYS), n=1)
                hints.append(f"{key!r}" + (f" (did you mean {close[0]!r}?)" if close else ""))
            raise UsageError(f"{pyproject}: unknown key(s) in [tool.migration-audit]: {', '.join(hints)}")

    url: str | None = None
    if ini is not None:
        parser = configparser.ConfigParser(defaults={"here": str(ini.parent)})
        try:
            with ini.open(encoding="utf-8") as fh:
                parser.read_file(fh)
        except (configparser.Error, UnicodeDecodeError) as exc:
            raise UsageError(f"{ini}: cannot read: {' '.join(str(exc).split())}") from None
        except OSError as exc:
            raise UsageError(f"{ini}: cannot read: {exc.strerror or exc}") from None
        project.config_file = ini
        if parser.has_section("alembic"):
            def opt(name: str) -> str | None:
                try:
                    return parser.get("alembic", name, fallback=None)
                except (configparser.InterpolationError, ValueError) as exc:
                    raise UsageError(f"{ini}: [alembic] {name}: {' '.join(str(exc).split())}") from None

            separator = opt("path_separator")
            if opt("script_location"):
                project.script_location = _resolve_location(opt("script_location") or "", ini.parent)
            if opt("version_locations"):
                project.version_locations = [
                    _resolve_location(p, ini.parent) for p in _split_paths(opt("version_locations") or "", separator)
                ]
            if opt("prepend_sys_path"):
                project.sys_paths = [
                    (ini.parent / p) for p in _split_paths(opt("prepend_sys_path") or "", separator)
                ]
            project.recursive_version_locations = (opt("recursive_version_locations") or "").lower() in (
                "true", "1", "yes", "on",
            )
            url = opt("sqlalchemy.url")
    if project.script_location is None and tool_alembic.get("script_location"):
        here = str(root)
        value = str(tool_alembic["script_location"]).replace("%(here)s", here)
        project.script_location = _resolve_location(value, root)
        project.config_file = project.config_file or pyproject
        vl = tool_alembic.get("version_locations")
        if isinstance(vl, list):
            project.version_locations = [_resolve_location(str(v).replace("%(here)s", here), root) for v in vl]
        sp = tool_alembic.get("prepend_sys_path")
        if isinstance(sp, list):
            project.sys_paths = [root / str(v).replace("%(here)s", here) for v in sp]
        project.recursive_version_locations = bool(tool_alembic.get("recursive_version_locations", False))

    # [tool.migration-audit], then the command line.
    if "script-location" in tool_audit:
        project.script_location = _resolve_location(str(tool_audit["script-location"]), root)
    if overrides.script_location:
        project.script_location = _resolve_location(overrides.script_location, Path.cwd())
    if project.script_location is None:
        raise UsageError(
            f"{root}: no alembic.ini with a script_location and no [tool.alembic] in pyproject.toml; "
            "run in an Alembic project folder, pass its path, or pass --script-location"
        )
    if not project.script_location.is_dir():
        raise UsageError(f"script location {project.script_location} is not a directory")
    if not project.version_locations:
        project.version_locations = [project.script_location / "versions"]
    if not project.sys_paths:
        project.sys_paths = [root]

    chosen = overrides.dialect or str(tool_audit.get("dialect") or "")
    if chosen:
        if _dialect_of(f"{chosen}://") is None:
            raise UsageError(
                f"unknown dialect {chosen!r}; use a SQLAlchemy dialect name such as postgresql, mysql, sqlite"
            )
        project.dialect = chosen.split("+")[0]
    else:
        project.dialect = _dialect_of(url) or "default"
    if "select" in tool_audit:
        project.select = _str_list(tool_audit["select"], "select", pyproject)
    if "ignore" in tool_audit:
        project.ignore = _str_list(tool_audit["ignore"], "ignore", pyproject)

    if overrides.metadata:
        project.metadata = list(overrides.metadata)
    elif "metadata" in tool_audit:
        project.metadata = _str_list(tool_audit["metadata"], "metadata", pyproject)
        project.metadata_location = Location(pyproject, 1, 1)
    else:
        _metadata_from_env(project)
    return project


def _metadata_from_env(project: Project) -> None:
    """Find what env.py assigns to ``target_metadata``, statically."""
    assert project.script_location is not None
    env = project.script_location / "env.py"
    how = (
        "set `metadata = \"yourpkg.models:Base.metadata\"` under [tool.migration-audit] in pyproject.toml, "
        "or pass --metadata yourpkg.models:Base.metadata"
    )
    if not env.is_file():
        project.diagnostics.append(
            Diagnostic("MA005", f"no env.py in {project.script_location.name}, so the model metadata is unknown; "
                       "only migration rules ran", how, Location(project.config_file or project.root, 1, 1))
        )
        return
    try:
        src = parse_file(env)
    except SourceError as exc:
        project.diagnostics.append(
            Diagnostic("MA005", f"cannot read env.py ({exc.message}), so the model metadata is unknown; "
                       "only migration rules ran", how, Location(env, exc.line, exc.column))
        )
        return
    assign: ast.Assign | ast.AnnAssign | None = None
    for node in src.tree.body:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "target_metadata" for t in node.targets
        ):
            assign = node
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.target.id == "target_metadata":
            assign = node
    if assign is None or assign.value is None:
        project.diagnostics.append(
            Diagnostic("MA005", "env.py does not assign target_metadata, so the model metadata is unknown; "
                       "only migration rules ran", how, Location(env, 1, 1))
        )
        return
    imports = Imports.of(src.tree)
    exprs = assign.value.elts if isinstance(assign.value, (ast.List, ast.Tuple)) else [assign.value]
    specs: list[str] = []
    for expr in exprs:
        spec = _spec_of(expr, imports)
        if spec is None:
            what = src.segment(assign.value, 80)
            reason = (
                "env.py sets target_metadata = None"
                if isinstance(expr, ast.Constant) and expr.value is None
                else f"env.py sets target_metadata = {what}, which cannot be resolved without running env.py"
            )
            project.diagnostics.append(
                Diagnostic("MA005", f"{reason}; model rules did not run, only migration rules", how, src.loc(assign))
            )
            return
        specs.append(spec)
    project.metadata = specs
    project.metadata_location = src.loc(assign)


def _spec_of(expr: ast.AST, imports: Imports) -> str | None:
    """``Base.metadata`` with ``from app.models import Base`` → ``app.models:Base.metadata``."""
    parts: list[str] = []
    node = expr
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name) or node.id not in imports.names:
        return None
    qualified = imports.names[node.id]
    attrs = list(reversed(parts))
    if node.id in imports.modules:
        module = qualified  # `import app.models [as m]`: the name is a module
    else:
        # `from app.models import Base`: Base is an attribute of app.models
        module, _, first = qualified.rpartition(".")
        attrs.insert(0, first)
        if not module:
            return None
    return f"{module}:{'.'.join(attrs)}" if attrs else None
