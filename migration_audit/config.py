"""Zero-config discovery of an Alembic project, and its overrides.

From a project folder: ``alembic.ini`` (its ``[alembic]`` section, or the one
``--name`` picks), ``migrations/alembic.ini`` beside env.py (the
Flask-Migrate layout), or ``[tool.alembic]`` in pyproject.toml gives
``script_location`` (``%(here)s`` expanded, ``package:folder`` resolved
without importing), ``version_locations``, ``prepend_sys_path`` and the
database URL (for the dialect). ``env.py``, read with ``ast``, gives the
metadata it assigns to ``target_metadata`` and the project modules it imports
(some register models only as a side effect). ``[tool.migration-audit]`` and
the command line override each of these.
"""

from __future__ import annotations

import ast
import configparser
import difflib
import math
import os
import re
import sys
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path

from migration_audit.facts import Diagnostic, Location
from migration_audit.sources.pyexpr import Imports, SourceError, SourceFile, module_level, parse_file


class UsageError(Exception):
    """Bad configuration or arguments: exit code 2, one clear line."""


CONFIG_KEYS = {
    "metadata", "import-modules", "import-timeout", "script-location", "dialect", "select", "ignore",
    "revision-hook", "extend-select", "severity", "fail-on", "per-file-ignores", "exclude", "exclude-tables",
    "include-schemas", "recursive-version-locations", "import-models",
}
FAIL_ON = ("error", "warning", "never")
INI_KEYS = ("migration_audit.mode",)  # what migration-audit reads from the alembic.ini section


@dataclass(slots=True)
class Project:
    root: Path
    config_file: Path | None = None
    section: str | None = None  # the alembic.ini section read
    script_location: Path | None = None
    version_locations: list[Path] = field(default_factory=list)
    recursive_version_locations: bool = False
    sys_paths: list[Path] = field(default_factory=list)
    metadata: list[str] = field(default_factory=list)
    metadata_location: Location | None = None  # where the metadata spec came from
    # Project modules to import before the metadata is read (env.py's own
    # imports, or `import-modules`), with where each was named.
    import_modules: dict[str, Location | None] = field(default_factory=dict)
    dialect: str = "default"
    select: list[str] = field(default_factory=list)
    ignore: list[str] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    import_timeout: float = 120.0  # seconds for one import of the models
    revision_hook: str | None = None  # fail / warn / annotate / skip, for the Alembic revision hook
    extend_select: list[str] = field(default_factory=list)
    severity: dict[str, str] = field(default_factory=dict)  # rule code → "error" / "warning" / "info"
    fail_on: str | None = None  # "error", "warning" or "never"
    per_file_ignores: dict[str, list[str]] = field(default_factory=dict)  # glob → rule selectors
    exclude: list[str] = field(default_factory=list)  # globs of files whose findings are dropped
    # Tables not compared (globs on `name` or `schema.name`) and the schemas
    # compared (None: all), as env.py's include_object / include_name.
    exclude_tables: list[str] = field(default_factory=list)
    include_schemas: list[str] | None = None
    # False (--static, `import-models = false`): read the models with ast, run no project code.
    import_models: bool = True


@dataclass(slots=True)
class Overrides:
    metadata: list[str] = field(default_factory=list)
    script_location: str | None = None
    dialect: str | None = None
    import_timeout: float | None = None
    name: str | None = None  # the alembic.ini section, as `alembic --name`
    import_models: bool | None = None  # False: --static


def _split_paths(value: str, separator: str | None) -> list[str]:
    if separator is None:
        # Alembic's legacy rule: split on spaces and commas.
        return [p for p in re.split(r"[\s,]+", value.strip()) if p]
    seps = {"os": os.pathsep, "space": None, "newline": "\n", ":": ":", ";": ";"}
    sep = seps.get(separator, separator)
    parts = value.split() if sep is None else value.split(sep)
    return [p.strip() for p in parts if p.strip()]


def find_package_dir(package: str, search: list[Path]) -> Path | None:
    """The folder of ``package`` (dotted) on the search path, found without
    importing anything; else a package (a folder with ``__init__.py``) in a
    folder above the first search entry, as when alembic.ini lives inside
    the installed package (``src/pkg/alembic.ini`` naming ``pkg:migrations``)."""
    rel = Path(*package.split("."))
    for base in [*search, *(Path(p) for p in sys.path if p)]:
        candidate = base / rel
        if candidate.is_dir():
            return candidate
    for base in search[0].resolve().parents if search else ():
        candidate = base / rel
        if (candidate / "__init__.py").is_file():
            return candidate
    return None


# Folders that hold a package named by a `package:folder` location, found
# while loading one project: Alembic imports that package, so the models can
# import it too (a src layout whose alembic.ini lives inside the package).
_PACKAGE_BASES: list[Path] = []


def _resolve_location(value: str, base: Path, search: list[Path]) -> Path:
    """A script/version location: a path, or Alembic's ``package:folder``
    (every further ``:`` is a path separator)."""
    if ":" in value and not re.match(r"^[A-Za-z]:[\\/]", value):
        package, *rest = value.split(":")
        if re.fullmatch(r"[\w.]+", package):
            found = find_package_dir(package, search)
            if found is None:
                raise UsageError(
                    f"script location {value!r}: cannot find package {package!r} "
                    f"(looked in {', '.join(dict.fromkeys(str(s) for s in search))} and sys.path)"
                )
            _PACKAGE_BASES.append(Path(*found.parts[: len(found.parts) - len(package.split("."))]))
            return found.joinpath(*[r for part in rest for r in part.split("/") if r])
    path = Path(value)
    return path if path.is_absolute() else (base / path)


_BUILTIN_URL = re.compile(r"(sqlite|postgresql|mysql|mariadb|mssql|oracle)(\+\w+)?://")


def _dialect_of(url: str | None) -> str | None:
    if not url:
        return None
    # SQLAlchemy's own dialects are known by name: no need to import
    # SQLAlchemy (a quarter of a second) for the name before it is needed.
    builtin = _BUILTIN_URL.match(url)
    if builtin:
        return builtin.group(1)
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


def _read_pyproject(pyproject: Path) -> tuple[dict[str, object], dict[str, object]]:
    """([tool.alembic], [tool.migration-audit]); unknown keys are an error."""
    if not pyproject.is_file():
        return {}, {}
    try:
        data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise UsageError(f"{pyproject}: invalid TOML: {exc}") from None
    tool = data.get("tool", {}) if isinstance(data.get("tool"), dict) else {}
    tool_alembic = tool.get("alembic", {}) if isinstance(tool.get("alembic"), dict) else {}
    tool_audit = tool.get("migration-audit", {})
    if not isinstance(tool_audit, dict):
        raise UsageError(f"{pyproject}: [tool.migration-audit] must be a table, not {type(tool_audit).__name__}")
    for key in ("script-location", "dialect"):
        if key in tool_audit and not isinstance(tool_audit[key], str):
            raise UsageError(f"{pyproject}: [tool.migration-audit] {key} must be a string")
    unknown = sorted(set(tool_audit) - CONFIG_KEYS)
    if unknown:
        hints = []
        for key in unknown:
            close = difflib.get_close_matches(key, sorted(CONFIG_KEYS), n=1)
            hints.append(f"{key!r}" + (f" (did you mean {close[0]!r}?)" if close else ""))
        raise UsageError(f"{pyproject}: unknown key(s) in [tool.migration-audit]: {', '.join(hints)}")
    return tool_alembic, tool_audit


def _rule_codes(selectors: list[str], key: str, where: Path) -> list[str]:
    """Checks each selector names rules; an unknown one is an error naming
    the closest valid one."""
    from migration_audit.rules import UnknownRule, expand

    for selector in selectors:
        try:
            expand(selector)
        except UnknownRule as exc:
            raise UsageError(f"{where}: [tool.migration-audit] {key}: {exc}") from None
    return selectors


def _read_rule_settings(project: Project, tool_audit: dict[str, object], pyproject: Path) -> None:
    """select, ignore, extend-select, severity, fail-on, per-file-ignores, exclude."""
    for key in ("select", "ignore", "extend-select"):
        if key in tool_audit:
            setattr(project, key.replace("-", "_"), _rule_codes(_str_list(tool_audit[key], key, pyproject), key,
                                                                pyproject))
    if "severity" in tool_audit:
        table = tool_audit["severity"]
        if not isinstance(table, dict):
            raise UsageError(f"{pyproject}: [tool.migration-audit] severity must be a table of CODE = \"error\"")
        from migration_audit.rules import expand

        for selector, level in table.items():
            if level not in ("error", "warning", "info"):
                raise UsageError(f"{pyproject}: [tool.migration-audit] severity.{selector} must be error, warning "
                                 f"or info, not {level!r}")
            for code in expand(_rule_codes([selector], "severity", pyproject)[0]):
                project.severity[code] = str(level)
    if "fail-on" in tool_audit:
        if tool_audit["fail-on"] not in FAIL_ON:
            raise UsageError(f"{pyproject}: [tool.migration-audit] fail-on must be one of {', '.join(FAIL_ON)}, "
                             f"not {tool_audit['fail-on']!r}")
        project.fail_on = str(tool_audit["fail-on"])
    if "per-file-ignores" in tool_audit:
        table = tool_audit["per-file-ignores"]
        if not isinstance(table, dict):
            raise UsageError(f"{pyproject}: [tool.migration-audit] per-file-ignores must be a table of "
                             "\"glob\" = [\"CODE\", ...]")
        for pattern, codes in table.items():
            project.per_file_ignores[str(pattern)] = _rule_codes(
                _str_list(codes, f"per-file-ignores.{pattern}", pyproject), "per-file-ignores", pyproject)
    if "exclude" in tool_audit:
        project.exclude = _str_list(tool_audit["exclude"], "exclude", pyproject)
    if "exclude-tables" in tool_audit:
        project.exclude_tables = _str_list(tool_audit["exclude-tables"], "exclude-tables", pyproject)
    if "include-schemas" in tool_audit:
        project.include_schemas = _str_list(tool_audit["include-schemas"], "include-schemas", pyproject)


def _from_cwd(path: Path) -> str:
    try:
        return path.resolve().relative_to(Path.cwd().resolve()).as_posix() or "."
    except ValueError:
        return str(path)


def _candidates(root: Path, depth: int = 4, limit: int = 3) -> list[Path]:
    """alembic.ini files with a script_location, and folders holding an
    env.py beside a versions/ folder, below ``root`` (the project keeps them
    inside its package, or configures Alembic in code): for the error."""
    found: list[Path] = []
    for folder, dirs, files in os.walk(root):
        rel = Path(folder).relative_to(root)
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d not in _SKIP_DIRS and len(rel.parts) < depth)
        here = Path(folder)
        if "alembic.ini" in files and here != root and script_sections(here / "alembic.ini"):
            found.append(here / "alembic.ini")
        elif "env.py" in files and (here / "versions").is_dir():
            found.append(here)
        if len(found) >= limit:
            break
    return found


def _find_ini(path: Path) -> tuple[Path, Path | None]:
    """(project root, alembic.ini or None) for the PATH argument."""
    if path.is_file():
        if path.suffix == ".py":
            raise UsageError(f"{path}: a Python file; give the project folder (where alembic.ini is), its "
                             "alembic.ini or its pyproject.toml")
        return path.parent, (None if path.suffix == ".toml" else path)
    if (path / "alembic.ini").is_file():
        return path, path / "alembic.ini"
    # Flask-Migrate keeps alembic.ini inside the migrations folder.
    flask = path / "migrations" / "alembic.ini"
    if flask.is_file() and (flask.parent / "env.py").is_file():
        return path, flask
    return path, None


def _read_ini(ini: Path, section: str | None, project: Project) -> str | None:
    """Fill the project from alembic.ini; returns sqlalchemy.url."""
    parser = configparser.ConfigParser(defaults={"here": str(ini.parent)})
    try:
        with ini.open(encoding="utf-8") as fh:
            parser.read_file(fh)
    except (configparser.Error, UnicodeDecodeError) as exc:
        raise UsageError(f"{ini}: cannot read: {' '.join(str(exc).split())}") from None
    except OSError as exc:
        raise UsageError(f"{ini}: cannot read: {exc.strerror or exc}") from None
    project.config_file = ini
    name = section or "alembic"
    project.section = name
    if not parser.has_section(name):
        with_location = [s for s in parser.sections() if parser.has_option(s, "script_location")]
        if section is not None or with_location:
            choices = ", ".join(f"[{s}]" for s in with_location) or "none with a script_location"
            raise UsageError(
                f"{ini}: no [{name}] section; it has {choices}"
                + (f": pass --name {with_location[0]}" if with_location else "")
            )
        return None

    for key in parser.options(name):
        if key.startswith("migration_audit") and key not in INI_KEYS:
            close = difflib.get_close_matches(key, INI_KEYS, n=1)
            raise UsageError(f"{ini}: [{name}] unknown key {key!r}"
                             + (f" (did you mean {close[0]}?)" if close else f"; the known one is {INI_KEYS[0]}"))

    def opt(key: str) -> str | None:
        try:
            return parser.get(name, key, fallback=None)
        except (configparser.InterpolationError, ValueError) as exc:
            raise UsageError(f"{ini}: [{name}] {key}: {' '.join(str(exc).split())}") from None

    separator = opt("path_separator")
    try:
        # Only used to pick a dialect; env.py often fills it at run time
        # (`%(DB_URL)s` set by config.set_section_option), so a failure to
        # interpolate it must not block the audit.
        url = parser.get(name, "sqlalchemy.url", fallback=None)
    except (configparser.InterpolationError, ValueError):
        url = None
    if opt("prepend_sys_path"):
        project.sys_paths = [ini.parent / p for p in _split_paths(opt("prepend_sys_path") or "", separator)]
    search = [project.root, *project.sys_paths]
    if opt("script_location"):
        project.script_location = _resolve_location(opt("script_location") or "", ini.parent, search)
    elif (ini.parent / "env.py").is_file():
        project.script_location = ini.parent  # Flask-Migrate: the ini sits in the script folder
    if opt("version_locations"):
        project.version_locations = [
            _resolve_location(p, ini.parent, search) for p in _split_paths(opt("version_locations") or "", separator)
        ]
    project.recursive_version_locations = (opt("recursive_version_locations") or "").lower() in (
        "true", "1", "yes", "on",
    )
    return url


def script_sections(ini: Path) -> list[str]:
    """The sections of ``ini`` that name a script directory, in file order."""
    parser = configparser.ConfigParser(defaults={"here": str(ini.parent)}, interpolation=None)
    try:
        with ini.open(encoding="utf-8") as fh:
            parser.read_file(fh)
    except (OSError, configparser.Error, UnicodeDecodeError):
        return []  # load_project reports it
    return [s for s in parser.sections() if parser.has_option(s, "script_location")]


def load_projects(path: Path, overrides: Overrides) -> list[Project]:
    """Every script directory ``path`` configures. Without ``--name``, an
    alembic.ini whose sections name several script directories (each used
    with `alembic -n NAME`: a core and a tenant schema, one per database)
    gives one project per directory, each with its own revisions (their ids
    may repeat across directories), env.py and metadata; sections sharing a
    directory are read once. Otherwise, the one project of :func:`load_project`."""
    if overrides.name is None and overrides.script_location is None:
        _, ini = _find_ini(path.resolve())
        sections = script_sections(ini) if ini is not None else []
        if len(sections) > 1:
            projects: dict[tuple[Path | None, tuple[Path, ...]], Project] = {}
            for section in sections:
                project = load_project(path, replace(overrides, name=section))
                projects.setdefault((project.script_location, tuple(project.version_locations)), project)
            return list(projects.values())
        if len(sections) == 1 and sections[0] != "alembic":
            return [load_project(path, replace(overrides, name=sections[0]))]
    return [load_project(path, overrides)]


def load_project(path: Path, overrides: Overrides) -> Project:
    path = path.resolve()
    if not path.exists():
        raise UsageError(f"{path}: no such file or directory")
    root, ini = _find_ini(path)
    project = Project(root=root)
    _PACKAGE_BASES.clear()
    pyproject = root / "pyproject.toml"
    tool_alembic, tool_audit = _read_pyproject(pyproject)

    url = _read_ini(ini, overrides.name, project) if ini is not None else None
    if project.script_location is None and tool_alembic.get("script_location"):
        here = str(root)
        sp = tool_alembic.get("prepend_sys_path")
        if isinstance(sp, list):
            project.sys_paths = [root / str(v).replace("%(here)s", here) for v in sp]
        search = [root, *project.sys_paths]
        project.script_location = _resolve_location(str(tool_alembic["script_location"]).replace("%(here)s", here),
                                                    root, search)
        project.config_file = project.config_file or pyproject
        vl = tool_alembic.get("version_locations")
        if isinstance(vl, list):
            project.version_locations = [_resolve_location(str(v).replace("%(here)s", here), root, search) for v in vl]
        project.recursive_version_locations = bool(tool_alembic.get("recursive_version_locations", False))

    # [tool.migration-audit], then the command line.
    search = [root, *project.sys_paths]
    if "script-location" in tool_audit:
        project.script_location = _resolve_location(str(tool_audit["script-location"]), root, search)
    if overrides.script_location:
        project.script_location = _resolve_location(overrides.script_location, Path.cwd(), search)
    if project.script_location is None:
        found = _candidates(root) if ini is None or ini.parent == root else []
        hint = ""
        if found:
            shown = [_from_cwd(c) for c in found]
            hint = "; found " + ", ".join(
                f"{s} (pass its path)" if c.name == "alembic.ini" else f"{s} (pass `{_from_cwd(root)} --script-location {s}`)"
                for c, s in zip(found, shown))
        raise UsageError(
            f"{root}: no alembic.ini with a script_location and no [tool.alembic] in pyproject.toml; "
            "run in an Alembic project folder, pass its path, or pass --script-location" + hint
        )
    if not project.script_location.is_dir():
        raise UsageError(f"script location {project.script_location} is not a directory")
    if not project.version_locations:
        project.version_locations = [project.script_location / "versions"]
    if "recursive-version-locations" in tool_audit:
        value = tool_audit["recursive-version-locations"]
        if not isinstance(value, bool):
            raise UsageError(f"{pyproject}: [tool.migration-audit] recursive-version-locations must be true or false")
        project.recursive_version_locations = value
    if not project.sys_paths:
        project.sys_paths = [root]
    for folder in dict.fromkeys(_PACKAGE_BASES):
        if folder not in project.sys_paths and str(folder) not in sys.path:
            project.sys_paths.append(folder)

    chosen = (overrides.dialect or str(tool_audit.get("dialect") or "")).lower()
    if chosen:
        if _dialect_of(f"{chosen}://") is None:
            raise UsageError(
                f"unknown dialect {chosen!r}; use a SQLAlchemy dialect name such as postgresql, mysql, mariadb, sqlite"
            )
        project.dialect = chosen.split("+")[0]
    else:
        project.dialect = _dialect_of(url) or "default"
    timeout = overrides.import_timeout if overrides.import_timeout is not None else tool_audit.get("import-timeout")
    if timeout is not None:
        where = "--import-timeout" if overrides.import_timeout is not None else \
            f"{pyproject}: [tool.migration-audit] import-timeout"
        if (isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not math.isfinite(timeout)
                or timeout <= 0):
            raise UsageError(f"{where} must be a positive number of seconds, not {timeout!r}")
        project.import_timeout = float(timeout)
    if "import-models" in tool_audit and not isinstance(tool_audit["import-models"], bool):
        raise UsageError(f"{pyproject}: [tool.migration-audit] import-models must be true or false, "
                         f"not {tool_audit['import-models']!r}")
    project.import_models = bool(tool_audit.get("import-models", True)) if overrides.import_models is None \
        else overrides.import_models
    if "revision-hook" in tool_audit:
        mode = tool_audit["revision-hook"]
        if mode not in ("fail", "warn", "annotate", "skip"):
            raise UsageError(f"{pyproject}: [tool.migration-audit] revision-hook must be one of fail, warn, "
                             f"annotate, skip; not {mode!r}")
        project.revision_hook = str(mode)
    _read_rule_settings(project, tool_audit, pyproject)

    env = _read_env(project)
    if overrides.metadata:
        project.metadata = [check_spec(s, "--metadata") for s in overrides.metadata]
    elif "metadata" in tool_audit:
        project.metadata = [
            check_spec(s, f"{pyproject}: [tool.migration-audit] metadata")
            for s in _str_list(tool_audit["metadata"], "metadata", pyproject)
        ]
        if not project.metadata:
            raise UsageError(f"{pyproject}: [tool.migration-audit] metadata is empty; name the model metadata "
                             "as MODULE:ATTR (e.g. \"app.models:Base.metadata\"), or remove the key")
        project.metadata_location = Location(pyproject, 1, 1)
    elif env is not None:
        _metadata_from_env(project, env)
    if "import-modules" in tool_audit:
        for module in _str_list(tool_audit["import-modules"], "import-modules", pyproject):
            if not re.fullmatch(r"[A-Za-z_]\w*(\.[A-Za-z_]\w*)*", module):
                raise UsageError(f"{pyproject}: [tool.migration-audit] import-modules: {module!r} is not a module name")
            project.import_modules[module] = Location(pyproject, 1, 1)
    return project


_SPEC = re.compile(r"[A-Za-z_]\w*(\.[A-Za-z_]\w*)*:[A-Za-z_]\w*(\.[A-Za-z_]\w*)*(\(\))?")


def check_spec(spec: str, where: str) -> str:
    if not _SPEC.fullmatch(spec.strip()):
        raise UsageError(
            f"{where}: {spec!r} is not module:attribute (e.g. app.models:Base.metadata, app.models:Base, "
            "app.extensions:db or app:create_app)"
        )
    return spec.strip()


_HOW = (
    "set `metadata = \"yourpkg.models:Base.metadata\"` under [tool.migration-audit] in pyproject.toml, "
    "or pass --metadata yourpkg.models:Base.metadata (also a declarative base, a Flask-SQLAlchemy `db`, or a "
    "function called with no arguments that returns one of these, such as an app factory)"
)


def _flask_how(root: Path) -> str:
    """Help for Flask-Migrate's env.py, naming the Flask-SQLAlchemy object
    the project defines when one module-level `db = SQLAlchemy(...)` is
    found (read as text, nothing imported)."""
    found = _find_flask_db(root)
    example = f"{found[0]}:{found[1]}" if found else "yourapp.models:db"
    where = f" ({found[2]} defines it)" if found else ""
    return (
        f"name the Flask-SQLAlchemy object or the app factory: `metadata = \"{example}\"`{where} or "
        "`metadata = \"yourapp:create_app\"` under [tool.migration-audit] in pyproject.toml, or pass --metadata; "
        "it is imported in a child process, where no Flask app is running"
    )


_FLASK_DB = re.compile(rb"^(\w+)\s*(?::[^=\n]+)?=\s*(?:flask_sqlalchemy\.)?SQLAlchemy\(", re.MULTILINE)
_SKIP_DIRS = {"node_modules", "site-packages", "dist-packages", "__pycache__", "venv", "build", "dist", "docs",
              "tests", "test"}


def _find_flask_db(root: Path, limit: int = 5000) -> tuple[str, str, str] | None:
    """(module, name, file) of the one `db = SQLAlchemy(...)` in the project."""
    hits: list[tuple[str, str, str]] = []
    seen = 0
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d not in _SKIP_DIRS)
        for name in sorted(files):
            if not name.endswith(".py"):
                continue
            seen += 1
            if seen > limit:
                return None
            path = Path(folder) / name
            try:
                data = path.read_bytes()
            except OSError:
                continue
            if b"SQLAlchemy(" not in data:
                continue
            for m in _FLASK_DB.finditer(data):
                rel = path.relative_to(root).with_suffix("")
                parts = rel.parts[:-1] if rel.name == "__init__" else rel.parts
                hits.append((".".join(parts), m.group(1).decode(), path.relative_to(root).as_posix()))
    return hits[0] if len(hits) == 1 else None


def _read_env(project: Project) -> SourceFile | None:
    assert project.script_location is not None
    env = project.script_location / "env.py"
    if not env.is_file():
        project.diagnostics.append(
            Diagnostic("MA005", f"no env.py in {project.script_location.name}, so the model metadata is unknown; "
                       "only migration rules ran", _HOW, Location(project.config_file or project.root, 1, 1))
        )
        return None
    try:
        src = parse_file(env)
    except SourceError as exc:
        project.diagnostics.append(
            Diagnostic("MA005", f"cannot read env.py ({exc.message}), so the model metadata is unknown; "
                       "only migration rules ran", _HOW, Location(env, exc.line, exc.column))
        )
        return None
    _env_imports(project, src)
    return src


def _env_imports(project: Project, src: SourceFile) -> None:
    """Project modules env.py imports at module level: Alembic imports them
    before autogenerate runs, and some register models only as a side effect
    (`import app.all_models  # noqa`)."""
    search = [project.root, *project.sys_paths]

    def local(module: str) -> bool:
        top = module.split(".")[0]
        return any((b / top).is_dir() or (b / f"{top}.py").is_file() for b in search)

    def exists(module: str) -> bool:
        rel = Path(*module.split("."))
        return any((b / rel).is_dir() or (b / rel).with_suffix(".py").is_file() for b in search)

    for node in module_level(src.tree.body):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if local(alias.name):
                    project.import_modules.setdefault(alias.name, src.loc(node))
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0 and local(node.module):
            project.import_modules.setdefault(node.module, src.loc(node))
            for alias in node.names:
                sub = f"{node.module}.{alias.name}"
                if alias.name != "*" and exists(sub):
                    project.import_modules.setdefault(sub, src.loc(node))


def _metadata_from_env(project: Project, src: SourceFile) -> None:
    """Find what env.py assigns to ``target_metadata``, statically."""
    value: ast.expr | None = None
    where: ast.AST | None = None
    for node in src.tree.body:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "target_metadata" for t in node.targets
        ):
            value, where = node.value, node
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.target.id == "target_metadata":
            value, where = node.value, node
    if value is None:
        # `context.configure(..., target_metadata=<expr>)` with no module-level name
        for node in ast.walk(src.tree):
            if isinstance(node, ast.keyword) and node.arg == "target_metadata" and not (
                isinstance(node.value, ast.Name) and node.value.id == "target_metadata"
            ):
                value, where = node.value, node.value
                break
    if value is None or where is None:
        project.diagnostics.append(
            Diagnostic("MA005", "env.py does not assign target_metadata, so the model metadata is unknown; "
                       "only migration rules ran", _HOW, Location(src.path, 1, 1))
        )
        return
    imports = Imports.of(src.tree)
    if isinstance(value, ast.Dict):  # the multidb template: {"engine1": m1, "engine2": m2}
        exprs = [v for v in value.values if v is not None]
    else:
        exprs = value.elts if isinstance(value, (ast.List, ast.Tuple)) else [value]
    specs: list[str] = []
    for expr in exprs:
        spec = _spec_of(expr, imports)
        if spec is None:
            what = src.segment(value, 80)
            how = _HOW
            if isinstance(expr, ast.Constant) and expr.value is None:
                reason = "env.py sets target_metadata = None"
            elif "current_app" in what:
                reason = (f"env.py takes target_metadata from the running Flask app ({what}), which exists only "
                          "inside `flask db`")
                how = _flask_how(project.root)
            else:
                reason = f"env.py sets target_metadata = {what}, which cannot be resolved without running env.py"
            project.diagnostics.append(
                Diagnostic("MA005", f"{reason}; model rules did not run, only migration rules", how, src.loc(where))
            )
            return
        specs.append(spec)
    project.metadata = specs
    # Where a failed import is reported when the traceback shows no project
    # line: the import in env.py that names the metadata's module.
    root_name = _root_name(exprs[0]) if exprs else None
    node = imports.nodes.get(root_name) if root_name else None
    project.metadata_location = src.loc(node) if node is not None else src.loc(where)


def _root_name(expr: ast.AST) -> str | None:
    while isinstance(expr, ast.Attribute):
        expr = expr.value
    return expr.id if isinstance(expr, ast.Name) else None


def _spec_of(expr: ast.AST, imports: Imports) -> str | None:
    """``Base.metadata`` with ``from app.models import Base`` → ``app.models:Base.metadata``;
    ``get_metadata()`` (a call with no arguments) → ``app.db:get_metadata()``."""
    if isinstance(expr, ast.Call) and not expr.args and not expr.keywords:
        spec = _spec_of(expr.func, imports)
        return f"{spec}()" if spec is not None else None
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
