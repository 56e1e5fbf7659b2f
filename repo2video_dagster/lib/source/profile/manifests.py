"""Package manifests (pyproject, setup.cfg/py, requirements, package.json, Cargo, go.mod, ...).

They give the project's dependencies, entry points, name, licence, homepage and
a guess at its install command. Manifests are untrusted: a malformed one becomes
a note, never a crash.
"""

from __future__ import annotations

import configparser
import json
import os
import re
import tomllib
from typing import Any

from repo2video_dagster.lib.core.records import dependency_name
from repo2video_dagster.lib.source.profile.files import (
    CheckoutScan,
    ScannedFile,
    dedupe,
    display_name,
    is_hidden,
    is_test,
)
from repo2video_dagster.lib.source.profile.walk import read_text

_REQ_NAME = re.compile(r"^\s*([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)")


def _req_name(spec: str) -> str | None:
    spec = spec.strip()
    if not spec or spec.startswith(("-", "#", ".", "/")) or "://" in spec.split("@")[0]:
        return None
    m = _REQ_NAME.match(spec)
    return m.group(1) if m else None


class Manifests:
    """Parsed manifests at the top level and one directory down."""

    _NAMES = (
        "pyproject.toml",
        "setup.cfg",
        "setup.py",
        "package.json",
        "cargo.toml",
        "go.mod",
        "gemfile",
        "composer.json",
        "pom.xml",
        "build.gradle",
        "build.gradle.kts",
    )

    def __init__(self, scan: CheckoutScan, limit: int) -> None:
        self.scan = scan
        self.limit = limit
        self.notes: list[str] = []
        self.dependencies: dict[str, list[str]] = {}
        self.homepage: str | None = None
        self.license: str | None = None
        self.data: dict[str, Any] = {}
        self.project_name: str | None = None
        """The name the top-level manifest gives the project (pyproject, package.json, Cargo)."""
        self._entry: list[str] = []
        self._guess: list[str] = []
        files = [
            f
            for f in scan.files
            if len(f.parts) <= 2
            and not f.skipped_dir
            and not f.link
            and not is_hidden(f.parts[:-1])
            and (f.name.lower() in self._NAMES or re.match(r"requirements.*\.txt$", f.name, re.I))
            and f.size <= limit
        ]
        files.sort(key=lambda f: (len(f.parts), f.rel))
        for f in files[:12]:
            text = read_text(scan.root, f.rel, limit)
            if text is None:
                continue
            parser = getattr(self, "_" + re.sub(r"\W", "_", f.name.lower()), None)
            if f.name.lower().startswith("requirements"):
                parser = self._requirements
            try:
                deps = parser(text, f) if parser else []
            except (ValueError, TypeError, KeyError, AttributeError, configparser.Error) as exc:
                reason = str(exc).splitlines()[0][:120] if str(exc) else type(exc).__name__
                self.notes.append(f"could not parse {f.display}: {reason}")
                continue
            deps = dedupe([d for d in deps if d])
            if deps:
                self.dependencies[f.display] = deps

    # -- python
    def _pyproject_toml(self, text: str, f: ScannedFile) -> list[str]:
        data = tomllib.loads(text)
        project = data.get("project", {}) or {}
        poetry = data.get("tool", {}).get("poetry", {}) or {}
        top = len(f.parts) == 1
        deps = [_req_name(d) for d in project.get("dependencies", []) or []]
        for extra in (project.get("optional-dependencies", {}) or {}).values():
            deps += [_req_name(d) for d in extra or []]
        # PEP 735 dependency groups and poetry dev groups are tooling (linters, docs
        # builders), not what the project builds on; they would crowd out real dependencies.
        poetry_deps = poetry.get("dependencies", {}) or {}
        deps += [name for name in poetry_deps if name.lower() != "python"]
        if top:
            name = project.get("name") or poetry.get("name")
            self._set_project_name(name)
            scripts = {**(poetry.get("scripts", {}) or {}), **(project.get("scripts", {}) or {})}
            self._entry += list(scripts)
            if name:
                self._guess.append(f"pip install {name}")
            lic = project.get("license") or poetry.get("license")
            if isinstance(lic, dict):
                lic = lic.get("text") or lic.get("file")
            self._set_license(lic)
            urls = project.get("urls", {}) or {}
            lowered = {str(k).lower(): v for k, v in urls.items()}
            self._set_homepage(
                lowered.get("homepage")
                or poetry.get("homepage")
                or lowered.get("documentation")
                or poetry.get("documentation")
            )
        return deps

    def _setup_cfg(self, text: str, f: ScannedFile) -> list[str]:
        cfg = configparser.ConfigParser(interpolation=None, strict=False)
        cfg.read_string(text)
        deps = [
            _req_name(line)
            for line in cfg.get("options", "install_requires", fallback="").splitlines()
        ]
        if cfg.has_section("options.extras_require"):
            for _, value in cfg.items("options.extras_require"):
                deps += [_req_name(line) for line in value.splitlines()]
        if len(f.parts) == 1:
            scripts = cfg.get("options.entry_points", "console_scripts", fallback="")
            self._entry += [
                line.split("=")[0].strip() for line in scripts.splitlines() if "=" in line
            ]
            if name := cfg.get("metadata", "name", fallback=""):
                self._guess.append(f"pip install {name}")
            self._set_license(cfg.get("metadata", "license", fallback=None))
            self._set_homepage(cfg.get("metadata", "url", fallback=None))
        return deps

    def _setup_py(self, text: str, f: ScannedFile) -> list[str]:
        m = re.search(r"install_requires\s*=\s*\[([^\]]*)\]", text, re.S)
        deps = [_req_name(s) for s in re.findall(r"['\"]([^'\"]+)['\"]", m.group(1))] if m else []
        if len(f.parts) == 1 and (
            scripts := re.search(r"console_scripts['\"]\s*:\s*\[([^\]]*)\]", text)
        ):
            self._entry += [
                s.split("=")[0].strip()
                for s in re.findall(r"['\"]([^'\"]+)['\"]", scripts.group(1))
            ]
        return deps

    def _requirements(self, text: str, f: ScannedFile) -> list[str]:
        return [_req_name(line.split("#")[0]) for line in text.splitlines()]

    # -- javascript
    def _package_json(self, text: str, f: ScannedFile) -> list[str]:
        data = json.loads(text)
        if not isinstance(data, dict):
            raise ValueError("not a JSON object")
        deps = list(data.get("dependencies", {}) or {}) + list(
            data.get("devDependencies", {}) or {}
        )
        if len(f.parts) == 1:
            name = data.get("name")
            self._set_project_name(name)
            binary = data.get("bin")
            if isinstance(binary, str) and name:
                self._entry.append(str(name).split("/")[-1])
            elif isinstance(binary, dict):
                self._entry += [str(k) for k in binary]
            if isinstance(data.get("main"), str):
                self._entry.append(os.path.normpath(data["main"]))
            if isinstance(data.get("scripts"), dict) and "start" in data["scripts"]:
                self._entry.append("npm start")
            if name and not data.get("private"):
                self._guess.append(f"npm install {name}")
            lic = data.get("license")
            self._set_license(lic if isinstance(lic, str) else None)
            self._set_homepage(data.get("homepage"))
        return [str(d) for d in deps]

    # -- rust
    def _cargo_toml(self, text: str, f: ScannedFile) -> list[str]:
        data = tomllib.loads(text)
        deps: list[str] = []
        tables = [
            data.get(k, {}) for k in ("dependencies", "dev-dependencies", "build-dependencies")
        ]
        tables.append(data.get("workspace", {}).get("dependencies", {}))
        tables += [t.get("dependencies", {}) for t in (data.get("target", {}) or {}).values()]
        for table in tables:
            deps += list(table or {})
        package = data.get("package", {}) or {}
        if len(f.parts) == 1:
            bins = [b.get("name") for b in data.get("bin", []) or [] if isinstance(b, dict)]
            name = package.get("name")
            self._set_project_name(name)
            if name and "src/main.rs" in self.scan.by_rel:
                bins = bins or [name]
            for g in self.scan.files:  # binaries cargo discovers by itself
                if g.parts[:2] == ("src", "bin") and len(g.parts) == 3 and g.name.endswith(".rs"):
                    bins.append(g.name[:-3])
                elif g.parts[:2] == ("src", "bin") and len(g.parts) == 4 and g.name == "main.rs":
                    bins.append(g.parts[2])
            self._entry += [b for b in bins if b]
            if name:
                self._guess.append(f"cargo install {name}" if bins else f"cargo add {name}")
            lic = package.get("license")
            self._set_license(lic if isinstance(lic, str) else None)
            self._set_homepage(package.get("homepage") or package.get("documentation"))
        return deps

    # -- go
    def _go_mod(self, text: str, f: ScannedFile) -> list[str]:
        deps = []
        module = None
        in_block = False
        for raw in text.splitlines():
            line = raw.strip()
            if line.startswith("module "):
                module = line.split()[1]
            if line.startswith("require ("):
                in_block = True
                continue
            if in_block and line.startswith(")"):
                in_block = False
                continue
            spec = (
                line[len("require ") :] if line.startswith("require ") else line if in_block else ""
            )
            if spec and "// indirect" not in spec and not spec.startswith("//"):
                deps.append(spec.split()[0])
        if module and len(f.parts) == 1:
            self._set_project_name(dependency_name(module))
            mains = sorted(
                {
                    "/".join(x.parts[:2])
                    for x in self.scan.files
                    if len(x.parts) == 3 and x.parts[0] == "cmd" and x.name.endswith(".go")
                }
            )
            if mains:
                self._guess.append(f"go install {module}/{mains[0]}@latest")
            elif "main.go" in self.scan.by_rel:
                self._guess.append(f"go install {module}@latest")
            else:
                self._guess.append(f"go get {module}")
        return deps

    # -- others
    def _gemfile(self, text: str, f: ScannedFile) -> list[str]:
        return re.findall(r"^\s*gem\s+['\"]([^'\"]+)['\"]", text, re.M)

    def _composer_json(self, text: str, f: ScannedFile) -> list[str]:
        data = json.loads(text)
        if not isinstance(data, dict):
            raise ValueError("not a JSON object")
        names = list(data.get("require", {}) or {}) + list(data.get("require-dev", {}) or {})
        if len(f.parts) == 1 and isinstance(data.get("license"), str):
            self._set_license(data["license"])
        return [n for n in names if n != "php" and not n.startswith(("ext-", "lib-"))]

    def _pom_xml(self, text: str, f: ScannedFile) -> list[str]:
        # A regex, not an XML parser: the file is untrusted and entity tricks are not worth the risk.
        blocks = re.findall(r"<dependency>(.*?)</dependency>", text, re.S)
        return [
            m.group(1).strip()
            for b in blocks
            if (m := re.search(r"<artifactId>([^<]+)</artifactId>", b))
        ]

    def _build_gradle(self, text: str, f: ScannedFile) -> list[str]:
        pattern = (
            r"\b(?:implementation|api|compile|compileOnly|runtimeOnly|testImplementation|"
            r"testCompile|annotationProcessor|kapt|testRuntimeOnly|developmentOnly)\s*\(?\s*"
            r"['\"]([^'\":\s]+):([^'\":\s]+)"
        )
        return [m.group(2) for m in re.finditer(pattern, text)]

    _build_gradle_kts = _build_gradle

    def _set_project_name(self, value: object) -> None:
        if self.project_name is None and isinstance(value, str) and value.strip():
            self.project_name = value.strip().split("/")[-1][:80]

    def _set_license(self, value: object) -> None:
        if isinstance(value, str) and value.strip() and not self.license and len(value) < 80:
            self.license = value.strip()

    def _set_homepage(self, value: object) -> None:
        if isinstance(value, str) and value.startswith("https://") and not self.homepage:
            self.homepage = value

    def install_guess(self) -> list[str]:
        return self._guess[:1]

    def entry_points(self) -> list[str]:
        entries = list(self._entry)
        files = self.scan.files
        for f in files:
            if f.name == "__main__.py" and not f.skipped_dir and not is_test(f):
                package = f.parts[-2] if len(f.parts) >= 2 else None
                if package and (len(f.parts) == 2 or (len(f.parts) == 3 and f.parts[0] == "src")):
                    entries.append(f"python -m {display_name(package)}")
        cmd_dirs = sorted(
            {
                f.parts[1]
                for f in files
                if len(f.parts) == 3 and f.parts[0] == "cmd" and f.name.endswith(".go")
            }
        )
        entries += [f"go run ./cmd/{display_name(d)}" for d in cmd_dirs]
        if "main.go" in self.scan.by_rel:
            entries.append("go run .")
        for candidate in ("src/main.rs", "main.py", "app.py", "manage.py"):
            if candidate in self.scan.by_rel:
                entries.append(candidate)
        entries += [
            f.display for f in files if len(f.parts) == 2 and f.parts[0] == "bin" and not f.link
        ]
        return dedupe(entries)[:8]
