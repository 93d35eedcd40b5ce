"""Static safety scan of generated code, shown to the user before anything runs.

Generated code is untrusted: a paper can carry prompt injection, and a weak model can
write surprising things. The scan reads the code (AST, with a line-pattern fallback for
files that do not parse) and never executes it. It is a warning light, not a proof of
safety: the sandbox is what contains a run.
"""

from __future__ import annotations

import ast
import re
from dataclasses import asdict, dataclass

from ..util.pyparse import parse_python

CATEGORIES = ("network", "process", "filesystem", "secrets", "home", "dynamic-code")

_SECRET_WORDS = re.compile(r"KEY|TOKEN|SECRET|PASSW|CREDENTIAL|AUTH|COOKIE|SESSION", re.I)

_NETWORK_MODULES = {
    "socket",
    "socketserver",
    "ssl",
    "urllib",
    "urllib.request",
    "urllib3",
    "requests",
    "httpx",
    "http",
    "http.client",
    "http.server",
    "aiohttp",
    "ftplib",
    "smtplib",
    "telnetlib",
    "poplib",
    "imaplib",
    "nntplib",
    "xmlrpc",
    "xmlrpc.client",
    "websocket",
    "websockets",
    "paramiko",
    "grpc",
    "pycurl",
    "asyncssh",
    "webbrowser",
}
_PROCESS_MODULES = {"subprocess", "pty", "pexpect", "sh", "plumbum"}
_PROCESS_CALLS = re.compile(
    r"^os\.(system|popen|exec\w*|spawn\w*|fork|forkpty|posix_spawnp?|kill|killpg)$"
    r"|^asyncio\.create_subprocess_\w+$"
    r"|^(subprocess|pty|pexpect)\.\w+$"
)
# Calls that fetch from the internet inside ML libraries; legitimate, but they fail in an
# offline sandbox and pull untrusted data, so the user should know.
_DOWNLOAD_CALLS = re.compile(
    r"(^|\.)(urlretrieve|urlopen|hf_hub_download|snapshot_download|load_dataset|"
    r"from_pretrained|load_state_dict_from_url|download_url)$|^torch\.hub\.\w+$"
)
_DELETE_CALLS = {
    "shutil.rmtree",
    "os.remove",
    "os.unlink",
    "os.rmdir",
    "os.removedirs",
    "shutil.move",
}
_DYNAMIC_CALLS = {
    "exec",
    "eval",
    "__import__",
    "importlib.import_module",
    "marshal.loads",
    "pickle.loads",
    "ctypes.CDLL",
    "ctypes.cdll.LoadLibrary",
}
_HOME_PREFIXES = ("~", "/home/", "/root", "/Users/")


@dataclass
class SafetyFlag:
    file: str
    line: int
    category: str  # one of CATEGORIES
    message: str
    severity: str = "high"  # "high" | "low" (low: needs a look, common in honest code)

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> SafetyFlag:
        return cls(**data)

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: [{self.category}] {self.message}"


def scan_code(files: dict[str, str]) -> list[SafetyFlag]:
    """Flag risky operations in ``{path: source}``; sorted by file and line."""
    flags: list[SafetyFlag] = []
    for path, source in files.items():
        if path.endswith(".py"):
            try:
                tree = parse_python(source)
            except (SyntaxError, ValueError, RecursionError, MemoryError):
                flags.extend(_scan_by_pattern(path, source))
                continue
            scanner = _Scanner(path)
            scanner.visit(tree)
            flags.extend(scanner.flags)
        elif path.endswith((".sh", ".bash")):
            flags.extend(_scan_shell(path, source))
    flags.sort(key=lambda f: (f.file, f.line, f.category))
    return _dedupe(flags)


def _dedupe(flags: list[SafetyFlag]) -> list[SafetyFlag]:
    seen: set[tuple[str, int, str, str]] = set()
    out = []
    for f in flags:
        key = (f.file, f.line, f.category, f.message)
        if key not in seen:
            seen.add(key)
            out.append(f)
    return out


def _is_outside_path(text: str) -> bool:
    """A literal path that points outside the project folder."""
    t = text.strip()
    return (
        t.startswith(("/", "\\", "~"))
        or re.match(r"^[A-Za-z]:[\\/]", t) is not None
        or ".." in re.split(r"[\\/]", t)
    )


def _is_home_literal(text: str) -> bool:
    t = text.strip()
    return t == "~" or t.startswith(("~/", "~\\")) or t.startswith(_HOME_PREFIXES[1:])


class _Scanner(ast.NodeVisitor):
    def __init__(self, path: str) -> None:
        self.path = path
        self.flags: list[SafetyFlag] = []
        self.aliases: dict[str, str] = {}  # local name -> dotted module/attribute path

    def flag(self, node: ast.AST, category: str, message: str, severity: str = "high") -> None:
        self.flags.append(
            SafetyFlag(self.path, getattr(node, "lineno", 0), category, message, severity)
        )

    # -- names --------------------------------------------------------------------------
    def qualname(self, node: ast.AST) -> str | None:
        """Dotted name of a Name/Attribute chain with import aliases resolved."""
        parts: list[str] = []
        while isinstance(node, ast.Attribute):
            parts.append(node.attr)
            node = node.value
        if not isinstance(node, ast.Name):
            return None
        parts.append(self.aliases.get(node.id, node.id))
        return ".".join(reversed(parts))

    # -- imports ------------------------------------------------------------------------
    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            if alias.asname:
                self.aliases[alias.asname] = alias.name
            else:
                top = alias.name.split(".")[0]
                self.aliases[top] = top
            self._check_module(node, alias.name)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if node.level or not node.module:
            return
        for alias in node.names:
            full = f"{node.module}.{alias.name}"
            self.aliases[alias.asname or alias.name] = full
            self._check_module(node, node.module, imported=full)

    def _check_module(self, node: ast.AST, module: str, imported: str | None = None) -> None:
        top = module.split(".")[0]
        what = imported or module
        if module in _NETWORK_MODULES or top in _NETWORK_MODULES:
            self.flag(node, "network", f"imports {what} (network access)")
        if module in _PROCESS_MODULES or top in _PROCESS_MODULES:
            self.flag(node, "process", f"imports {what} (spawns processes)")
        if imported and _PROCESS_CALLS.match(imported):
            self.flag(node, "process", f"imports {imported} (spawns processes)")

    # -- calls --------------------------------------------------------------------------
    def visit_Call(self, node: ast.Call) -> None:
        name = self.qualname(node.func) or ""
        method = node.func.attr if isinstance(node.func, ast.Attribute) else ""
        if _PROCESS_CALLS.match(name):
            self.flag(node, "process", f"calls {name} (runs a command or process)")
        if _DOWNLOAD_CALLS.search(name) or _DOWNLOAD_CALLS.search("." + method):
            self.flag(
                node, "network", f"calls {name or method} (downloads from the internet)", "low"
            )
        if any(kw.arg == "download" and _is_true(kw.value) for kw in node.keywords):
            self.flag(node, "network", f"calls {name or method}(download=True)", "low")
        if name in _DELETE_CALLS:
            self._check_delete(node, name)
        if method in {"unlink", "rmdir"} and isinstance(node.func, ast.Attribute):
            target = _literal_path_arg(node.func.value)
            if target is not None and _is_outside_path(target):
                self.flag(node, "filesystem", f"deletes {target!r}, outside the project folder")
        if name in {"open", "io.open"} or method in {"write_text", "write_bytes"}:
            self._check_write(node, name, method)
        if name in {"os.getenv", "os.environ.get", "os.environ.pop", "os.getenvb"}:
            self._check_env_name(node, node.args[0] if node.args else None)
        if name in {"os.path.expanduser", "pathlib.Path.home"} or name.endswith("Path.home"):
            self.flag(node, "home", f"calls {name} (reads the home directory)")
        elif method == "expanduser":
            self.flag(node, "home", "calls .expanduser() (reads the home directory)")
        if name in _DYNAMIC_CALLS and not _all_literal(node.args):
            self.flag(node, "dynamic-code", f"calls {name} on computed input", "low")
        self.generic_visit(node)

    def _check_delete(self, node: ast.Call, name: str) -> None:
        target = _literal_path_arg(node.args[0]) if node.args else None
        if target is not None:
            if _is_outside_path(target):
                self.flag(node, "filesystem", f"{name}({target!r}) deletes outside the project")
            return
        arg = node.args[0] if node.args else None
        if arg is not None and self._mentions_home_or_env(arg):
            self.flag(node, "filesystem", f"{name} on a path from the home dir or environment")
        elif name == "shutil.rmtree":
            self.flag(
                node,
                "filesystem",
                "shutil.rmtree on a path computed at run time; check it stays inside the project",
                "low",
            )

    def _check_write(self, node: ast.Call, name: str, method: str) -> None:
        if method in {"write_text", "write_bytes"} and isinstance(node.func, ast.Attribute):
            target = _literal_path_arg(node.func.value)
            if target is not None and _is_outside_path(target):
                self.flag(node, "filesystem", f"writes {target!r}, outside the project folder")
            return
        target = _literal_path_arg(node.args[0]) if node.args else None
        mode = "r"
        if len(node.args) > 1 and isinstance(node.args[1], ast.Constant):
            mode = str(node.args[1].value)
        for kw in node.keywords:
            if kw.arg == "mode" and isinstance(kw.value, ast.Constant):
                mode = str(kw.value.value)
        if target is not None and _is_outside_path(target) and set(mode) & set("wax+"):
            self.flag(node, "filesystem", f"writes {target!r}, outside the project folder")

    def _mentions_home_or_env(self, node: ast.AST) -> bool:
        for sub in ast.walk(node):
            q = self.qualname(sub) if isinstance(sub, (ast.Name, ast.Attribute)) else None
            if q and (
                q.startswith("os.environ")
                or q in {"os.getenv", "pathlib.Path.home", "os.path.expanduser"}
            ):
                return True
            if isinstance(sub, ast.Constant) and isinstance(sub.value, str):
                if _is_home_literal(sub.value):
                    return True
        return False

    def _check_env_name(self, node: ast.AST, arg: ast.AST | None) -> None:
        if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
            if _SECRET_WORDS.search(arg.value):
                self.flag(node, "secrets", f"reads environment variable {arg.value!r}")
            elif arg.value in {"HOME", "USERPROFILE"}:
                self.flag(node, "home", f"reads ${arg.value} (the home directory)")
        else:
            self.flag(node, "secrets", "reads an environment variable chosen at run time", "low")

    # -- os.environ as a whole, subscripts, literals -----------------------------------
    def visit_Subscript(self, node: ast.Subscript) -> None:
        if self.qualname(node.value) == "os.environ" and isinstance(node.ctx, ast.Load):
            self._check_env_name(node, node.slice)
            self.generic_visit(node.slice)
            return
        self.generic_visit(node)

    def visit_Attribute(self, node: ast.Attribute) -> None:
        q = self.qualname(node)
        # os.environ used whole: copied, iterated, printed, passed on.
        if q in {"os.environ.copy", "os.environ.items", "os.environ.values", "os.environ.keys"}:
            self.flag(node, "secrets", f"reads the whole environment ({q})")
            return
        self.generic_visit(node)

    def visit_Assign(self, node: ast.Assign) -> None:
        # os.environ["X"] = ... sets, it does not read.
        for target in node.targets:
            if isinstance(target, ast.Subscript) and self.qualname(target.value) == "os.environ":
                self.visit(node.value)
                return
        self.generic_visit(node)

    def generic_visit(self, node: ast.AST) -> None:
        # ``os.environ`` used whole (copied, iterated, printed, passed on) exposes every
        # secret; ``os.environ[...]`` and ``os.environ.get(...)`` are targeted reads,
        # checked by name in visit_Subscript / visit_Call.
        for child in ast.iter_child_nodes(node):
            if (
                isinstance(child, (ast.Name, ast.Attribute))
                and self.qualname(child) == "os.environ"
            ):
                if not isinstance(node, (ast.Subscript, ast.Attribute)):
                    self.flag(child, "secrets", "reads the whole environment (os.environ)")
                continue
            self.visit(child)

    def visit_Constant(self, node: ast.Constant) -> None:
        if isinstance(node.value, str) and _is_home_literal(node.value) and len(node.value) < 300:
            self.flag(node, "home", f"refers to a home directory path {node.value!r}", "low")


def _is_true(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and node.value is True


def _all_literal(args: list[ast.expr]) -> bool:
    return all(isinstance(a, ast.Constant) for a in args)


def _literal_path_arg(node: ast.AST) -> str | None:
    """The literal path in ``"x"``, ``Path("x")``, ``Path("/a") / "b"``; else None."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
        func = node.func
        fname = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        if fname in {"Path", "PurePath", "PosixPath"} and isinstance(node.args[0].value, str):
            return node.args[0].value
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div):
        return _literal_path_arg(node.left)
    return None


# -- fallbacks -------------------------------------------------------------------------
_PATTERNS: list[tuple[str, re.Pattern[str], str]] = [
    (
        "network",
        re.compile(
            r"\b(import|from)\s+(socket|urllib|requests|httpx|http\.client|"
            r"aiohttp|ftplib|smtplib|paramiko|websockets?)\b"
        ),
        "network module",
    ),
    (
        "process",
        re.compile(r"\bsubprocess\b|\bos\.(system|popen|exec\w*|spawn\w*)\b|\bpty\b"),
        "process spawning",
    ),
    ("filesystem", re.compile(r"\bshutil\.rmtree\b|\bos\.(remove|unlink|rmdir)\b"), "deletion"),
    ("secrets", re.compile(r"\bos\.environ\b|\bgetenv\b"), "environment access"),
    ("home", re.compile(r"expanduser|Path\.home|['\"]~[/\\'\"]"), "home directory"),
    ("dynamic-code", re.compile(r"\b(exec|eval)\s*\("), "dynamic code"),
]


def _scan_by_pattern(path: str, source: str) -> list[SafetyFlag]:
    flags = []
    for lineno, line in enumerate(source.splitlines(), 1):
        for category, pattern, what in _PATTERNS:
            if pattern.search(line):
                flags.append(
                    SafetyFlag(
                        path, lineno, category, f"{what} (file does not parse; matched by pattern)"
                    )
                )
    return flags


_SHELL_PATTERNS: list[tuple[str, re.Pattern[str], str]] = [
    ("network", re.compile(r"\b(curl|wget|nc|ssh|scp|rsync)\b"), "network command"),
    (
        "filesystem",
        re.compile(r"\brm\s+-\w*[rf]\w*\s+(/|~|\$HOME|\.\.)"),
        "deletes outside the project",
    ),
    ("secrets", re.compile(r"\$\{?\w*(KEY|TOKEN|SECRET|PASSW)\w*", re.I), "reads a secret"),
    ("home", re.compile(r"~/|\$HOME\b"), "home directory"),
]


def _scan_shell(path: str, source: str) -> list[SafetyFlag]:
    flags = []
    for lineno, line in enumerate(source.splitlines(), 1):
        if line.lstrip().startswith("#"):
            continue
        for category, pattern, what in _SHELL_PATTERNS:
            if pattern.search(line):
                flags.append(SafetyFlag(path, lineno, category, f"{what} (shell script)"))
    return flags
