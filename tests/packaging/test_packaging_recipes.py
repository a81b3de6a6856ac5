"""Checks of the installer recipes under packaging/, without building anything.

Building an installer takes minutes and a separate venv, so these tests read the
recipes instead: the .deb depends on every runtime library packaging/README.md
promises, the .desktop entry is valid and points at what the .deb installs, the
PyInstaller spec bundles the resources the app reads and llama.cpp's libraries,
and every recipe carries the version from pyproject.toml.
"""

from __future__ import annotations

import ast
import configparser
import glob
import re
import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest

from desktop_app.core.models.catalog import CATALOG_NAME

ROOT = Path(__file__).resolve().parents[2]
PACKAGING = ROOT / "packaging"
LINUX = PACKAGING / "linux"
SPEC = PACKAGING / "pyinstaller" / "hearth.spec"

# The Qt runtime packages the brief and the README name; the README parse below
# must find at least these, so a README that loses its list fails too.
KNOWN_RUNTIME_PACKAGES = {
    "libxcb-icccm4", "libxcb-keysyms1", "libxcb-cursor0", "libxkbcommon-x11-0",
    "libegl1", "libgl1", "libfontconfig1", "libdbus-1-3", "fonts-noto-cjk",
}


def _project_version() -> str:
    with (ROOT / "pyproject.toml").open("rb") as file:
        return str(tomllib.load(file)["project"]["version"])


def _readme_runtime_packages() -> set[str]:
    """Debian package names in backticks in the README's "Runtime requirements" section."""
    text = (PACKAGING / "README.md").read_text(encoding="utf-8")
    section = text.split("## Runtime requirements", 1)[1].split("\n## ", 1)[0]
    names: set[str] = set()
    for span in re.findall(r"`([^`]+)`", section):
        words = span.split()
        if words and all(re.fullmatch(r"(lib|fonts-)[a-z0-9.+-]+", word) for word in words):
            names.update(words)
    return names


def _control_depends() -> set[str]:
    """Package names in control.in's Depends (alternatives and versions stripped)."""
    control = (LINUX / "control.in").read_text(encoding="utf-8")
    match = re.search(r"^Depends: (.+)$", control, re.MULTILINE)
    assert match is not None, "control.in has no Depends line"
    names: set[str] = set()
    for clause in match.group(1).split(","):
        for alternative in clause.split("|"):
            names.add(re.sub(r"\(.*?\)", "", alternative).strip())
    return names


def test_readme_lists_the_qt_runtime_packages() -> None:
    assert _readme_runtime_packages() >= KNOWN_RUNTIME_PACKAGES


def test_deb_depends_on_every_runtime_library_the_readme_lists() -> None:
    missing = _readme_runtime_packages() - _control_depends()
    assert not missing, f"control.in Depends lacks {sorted(missing)}"


def test_build_deb_fills_every_placeholder_of_the_control_template() -> None:
    placeholders = set(re.findall(r"@([A-Z_]+)@", (LINUX / "control.in").read_text("utf-8")))
    script = (LINUX / "build_deb.sh").read_text(encoding="utf-8")
    filled = set(re.findall(r'-e "s/@([A-Z_]+)@/', script))
    assert placeholders, "control.in should template the version and size"
    assert placeholders == filled


def _desktop_entry() -> dict[str, str]:
    parser = configparser.ConfigParser(interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # keep key case
    parser.read_string((LINUX / "hearth.desktop").read_text(encoding="utf-8"))
    assert parser.sections() == ["Desktop Entry"]
    return dict(parser["Desktop Entry"])


def test_desktop_entry_has_what_a_launcher_needs() -> None:
    entry = _desktop_entry()
    assert entry["Type"] == "Application"
    assert entry["Name"] == "Hearth"
    assert entry["Name[zh_CN]"].strip()
    assert entry["Terminal"] == "false"
    assert entry["Categories"] == "Network;Chat;Utility;"


def test_desktop_entry_points_at_what_the_deb_installs() -> None:
    entry = _desktop_entry()
    script = (LINUX / "build_deb.sh").read_text(encoding="utf-8")
    executable = entry["Exec"].split()[0]
    assert f'"$PKG/usr/bin/{executable}"' in script
    assert f"/usr/share/icons/hicolor/scalable/apps/{entry['Icon']}.svg" in script
    assert (ROOT / "resources" / "icons" / f"{entry['Icon']}.svg").is_file()


@pytest.mark.skipif(shutil.which("desktop-file-validate") is None,
                    reason="desktop-file-validate (desktop-file-utils) is not installed")
def test_desktop_entry_passes_desktop_file_validate() -> None:
    result = subprocess.run(["desktop-file-validate", str(LINUX / "hearth.desktop")],
                            capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "error:" not in result.stdout


def _spec_tree() -> ast.Module:
    return ast.parse(SPEC.read_text(encoding="utf-8"), filename=str(SPEC))


def _spec_resource_datas() -> list[tuple[str, str]]:
    """Evaluate the spec's ``resource_datas`` list against this checkout's resources/."""
    for node in _spec_tree().body:
        if (isinstance(node, ast.Assign) and len(node.targets) == 1
                and isinstance(node.targets[0], ast.Name)
                and node.targets[0].id == "resource_datas"):
            code = compile(ast.Expression(node.value), str(SPEC), "eval")
            value = eval(code, {"str": str, "RESOURCES": ROOT / "resources"})
            return [(str(source), str(dest)) for source, dest in value]
    raise AssertionError("the spec has no resource_datas list")


def _bundled_resources() -> set[str]:
    """Paths relative to the bundle's resources/ that the spec's data entries produce."""
    bundled: set[str] = set()
    for source, dest in _spec_resource_datas():
        assert dest == "resources" or dest.startswith("resources/"), dest
        inside = dest.removeprefix("resources").lstrip("/")
        matches = sorted(Path(p) for p in glob.glob(source))
        assert matches, f"spec data source {source} matches nothing"
        for match in matches:
            if match.is_dir():  # a folder keeps its inner layout under dest
                bundled.update(str(Path(inside) / file.relative_to(match))
                               for file in match.rglob("*") if file.is_file())
            else:
                bundled.add(str(Path(inside) / match.name))
    return bundled


def test_spec_bundles_every_resource_the_app_reads() -> None:
    resources = ROOT / "resources"
    needed = {str(path.relative_to(resources))
              for path in (resources / "translations").glob("*.qm")}
    assert needed, "resources/translations has no .qm files"
    needed |= {"style.qss", CATALOG_NAME}
    needed |= {str(path.relative_to(resources)) for path in (resources / "icons").iterdir()}
    missing = needed - _bundled_resources()
    assert not missing, f"the spec leaves out {sorted(missing)}"


def test_spec_bundles_llama_cpp_libraries_where_llama_cpp_loads_them() -> None:
    calls = {(node.func.id, tuple(arg.value for arg in node.args
                                  if isinstance(arg, ast.Constant)))
             for node in ast.walk(_spec_tree())
             if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)}
    # collect_dynamic_libs keeps the package layout: llama_cpp/lib/*.so|.dll|.dylib.
    assert ("collect_dynamic_libs", ("llama_cpp",)) in calls
    for package in ("jinja2", "huggingface_hub"):
        assert ("collect_submodules", (package,)) in calls


def test_spec_builds_two_executables_into_one_folder() -> None:
    names = {kw.value.value for node in ast.walk(_spec_tree())
             if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
             and node.func.id == "EXE"
             for kw in node.keywords if kw.arg == "name" and isinstance(kw.value, ast.Constant)}
    assert names == {"hearth", "hearth-gui"}


@pytest.mark.parametrize("entry", ["hearth_gui.py", "hearth_cli.py"])
def test_entry_scripts_call_freeze_support_before_importing_the_app(entry: str) -> None:
    source = (PACKAGING / "pyinstaller" / entry).read_text(encoding="utf-8")
    assert f'"{entry}"' in SPEC.read_text(encoding="utf-8")
    freeze = source.index("multiprocessing.freeze_support()")
    app_import = source.index("from desktop_app")
    assert freeze < app_import


def test_inno_setup_script_carries_the_project_version() -> None:
    iss = (PACKAGING / "windows" / "hearth.iss").read_text(encoding="utf-8")
    match = re.search(r'#define AppVersion "([^"]+)"', iss)
    assert match is not None
    assert match.group(1) == _project_version()


@pytest.mark.parametrize("script", ["linux/build_deb.sh", "macos/build_dmg.sh"])
def test_build_scripts_read_the_version_from_pyproject(script: str) -> None:
    lines = [line for line in (PACKAGING / script).read_text(encoding="utf-8").splitlines()
             if line.startswith("VERSION=")]
    assert len(lines) == 1, "expected one VERSION= line"
    assert "pyproject.toml" in lines[0]
    result = subprocess.run(["bash", "-c", f'{lines[0]}\nprintf %s "$VERSION"'],
                            env={"ROOT": str(ROOT), "PATH": "/usr/bin:/bin"},
                            capture_output=True, text=True, check=True)
    assert result.stdout == _project_version()


def test_bundle_script_passes_the_installed_version_to_the_spec() -> None:
    script = (PACKAGING / "build_bundle.sh").read_text(encoding="utf-8")
    assert 'm.version("hearth")' in script
    assert 'HEARTH_VERSION="$VERSION"' in script
    assert 'os.environ.get("HEARTH_VERSION"' in SPEC.read_text(encoding="utf-8")
