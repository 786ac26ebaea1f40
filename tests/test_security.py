"""Static security checks on the source tree and the server configuration.

These are deliberately simple static checks (Python's ``ast``, not a security scanner): they
read every ``.py`` file of the app and look for calls that should never be there. Each checker
is first shown a small snippet that breaks the rule, so a checker that silently found nothing
would fail here too.

* no ``eval``/``exec`` anywhere: kernel text is parsed by a tokenizer, never evaluated;
* no HTML from anything but a constant: ``unsafe_allow_html=True``, ``st.html`` and
  ``components.html`` may only render a string literal or a module-level string constant;
* uploads stay in memory: the modules that read uploads never open, save or spool a file;
* the server refuses cross-site requests and large uploads, and shows no tracebacks.
"""

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SOURCES = sorted(
    p
    for folder in ("app_pages", "ui", "sepconv_core", "scripts", "bench", "tests")
    for p in (ROOT / folder).rglob("*.py")
) + [ROOT / "app.py"]
UPLOAD_READERS = [ROOT / "sepconv_core" / "image.py", ROOT / "ui" / "sidebar.py"]
HTML_CALLS = {"html"}  # st.html, components.html, components.v1.html
FILE_WRITERS = {"write_bytes", "write_text", "save", "tofile", "savez", "savez_compressed"}
TEMP_FILES = {"TemporaryFile", "NamedTemporaryFile", "SpooledTemporaryFile", "mkstemp"}


def _tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def _name(func: ast.expr) -> str:
    """``eval`` for eval(...), ``html`` for st.html(...) or components.v1.html(...)."""
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return ""


def _calls(tree: ast.Module):
    return (node for node in ast.walk(tree) if isinstance(node, ast.Call))


def eval_or_exec(tree: ast.Module) -> list[int]:
    """Lines that call eval or exec (by name, or as builtins.eval)."""
    return [c.lineno for c in _calls(tree) if _name(c.func) in ("eval", "exec")]


def _module_constants(tree: ast.Module) -> set[str]:
    """Names assigned a string literal at module level (and never anything else there)."""
    constant, other = set(), set()
    for node in tree.body:
        if isinstance(node, ast.Assign):
            is_str = isinstance(node.value, ast.Constant) and isinstance(node.value.value, str)
            for target in node.targets:
                if isinstance(target, ast.Name):
                    (constant if is_str else other).add(target.id)
    return constant - other


def html_from_variables(tree: ast.Module) -> list[int]:
    """Lines that render HTML from something other than a literal or a module constant."""
    constants = _module_constants(tree)

    def constant(arg: ast.expr | None) -> bool:
        if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
            return True
        return isinstance(arg, ast.Name) and arg.id in constants

    bad = []
    for call in _calls(tree):
        unsafe = any(
            kw.arg == "unsafe_allow_html"
            and not (isinstance(kw.value, ast.Constant) and kw.value.value is False)
            for kw in call.keywords
        )
        if unsafe or (_name(call.func) in HTML_CALLS and isinstance(call.func, ast.Attribute)):
            body = call.args[0] if call.args else None
            if not constant(body):
                bad.append(call.lineno)
    return bad


def file_writes(tree: ast.Module) -> list[int]:
    """Lines that open a file, save one, or make a temporary file (reading assets by
    ``Path.read_bytes`` is fine; ``Image.open`` of a BytesIO is not the builtin ``open``)."""
    bad = []
    for call in _calls(tree):
        name = _name(call.func)
        builtin_open = isinstance(call.func, ast.Name) and name == "open"
        if builtin_open or name in FILE_WRITERS or name in TEMP_FILES:
            bad.append(call.lineno)
    for node in ast.walk(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            modules = [a.name for a in node.names] + [getattr(node, "module", None) or ""]
            if any(m.split(".")[0] in ("tempfile", "shutil") for m in modules):
                bad.append(node.lineno)
    return bad


# ------------------------------------------------------------- the checkers can find things


@pytest.mark.parametrize(
    ("checker", "snippet"),
    [
        (eval_or_exec, "x = eval(text)"),
        (eval_or_exec, "import builtins\nbuiltins.exec(code)"),
        (html_from_variables, "st.markdown(f'<b>{name}</b>', unsafe_allow_html=True)"),
        (html_from_variables, "st.html(user_text)"),
        (html_from_variables, "CSS = '<style>'\nCSS = user\nst.html(CSS)"),
        (file_writes, "open('/tmp/x', 'wb').write(data)"),
        (file_writes, "Image.fromarray(a).save(path)"),
        (file_writes, "import tempfile"),
    ],
)
def test_each_checker_finds_a_violation(checker, snippet):
    """A checker that flags nothing would make the checks below pass vacuously."""
    assert checker(ast.parse(snippet))


@pytest.mark.parametrize(
    ("checker", "snippet"),
    [
        (html_from_variables, "st.markdown(text)"),
        (html_from_variables, "st.markdown('<br>', unsafe_allow_html=True)"),
        (html_from_variables, "CSS = '<style>p {}</style>'\nst.html(CSS)"),
        (html_from_variables, "st.markdown(name, unsafe_allow_html=False)"),
        (file_writes, "Image.open(io.BytesIO(data))\n(ASSETS / name).read_bytes()"),
    ],
)
def test_each_checker_lets_the_safe_form_through(checker, snippet):
    """The safe patterns the app uses are not flagged."""
    assert checker(ast.parse(snippet)) == []


# ------------------------------------------------------------------------ the source tree


def test_the_tree_is_found():
    """The checks below look at the real files: the app, its pages and helpers."""
    names = {p.relative_to(ROOT).as_posix() for p in SOURCES}
    assert {"app.py", "ui/sidebar.py", "ui/widgets.py", "sepconv_core/parse.py"} <= names


# The one file allowed to exec: it runs the PyTorch/Keras code that sepconv_core.codegen writes
# (our own text, not a user's), which is how it checks that code.
RUNS_GENERATED_CODE = ROOT / "tests" / "test_lesson_tools.py"


@pytest.mark.parametrize(
    "path",
    [p for p in SOURCES if p != RUNS_GENERATED_CODE],
    ids=lambda p: p.relative_to(ROOT).as_posix(),
)
def test_no_eval_or_exec(path):
    """Nothing typed (kernels) or linked (query parameters) is ever evaluated as code."""
    assert eval_or_exec(_tree(path)) == [], path


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_html_only_from_constants(path):
    """User text (file names, kernel text, query parameters) never reaches raw HTML."""
    assert html_from_variables(_tree(path)) == [], path


@pytest.mark.parametrize("path", UPLOAD_READERS, ids=lambda p: p.name)
def test_upload_readers_never_write_files(path):
    """An upload is decoded from bytes in memory; nothing is written or spooled to disk."""
    assert file_writes(_tree(path)) == [], path


# --------------------------------------------------------------------- server configuration


def _config() -> dict[str, dict[str, str]]:
    """``.streamlit/config.toml`` as {section: {key: raw value}} (flat TOML, as this file is)."""
    sections: dict[str, dict[str, str]] = {}
    current = sections.setdefault("", {})
    for line in (ROOT / ".streamlit" / "config.toml").read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if header := re.fullmatch(r"\[([\w.]+)\]", line):
            current = sections.setdefault(header.group(1), {})
        elif "=" in line:
            key, value = (part.strip() for part in line.split("=", 1))
            current[key] = value
    return sections


def test_server_refuses_cross_site_requests_and_shows_no_tracebacks():
    """XSRF protection on (uploads need the cookie's token); CORS not switched off; errors
    reach the page as a sentence, not a traceback with file paths."""
    config = _config()
    assert config["server"]["enableXsrfProtection"] == "true"
    assert config["server"].get("enableCORS", "true") == "true"
    assert config["client"]["showErrorDetails"] == '"none"'


def test_upload_size_limit_matches_what_the_uploader_promises():
    """Streamlit refuses larger uploads before the app sees them; the sidebar's help text
    states the same number (read from Streamlit's option, so the two cannot drift apart)."""
    from streamlit.testing.v1 import AppTest

    limit = int(_config()["server"]["maxUploadSize"])
    assert 1 <= limit <= 50
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    assert f"Up to {limit} MB." in at.file_uploader(key="uploader").proto.help
