"""Static safety scan: what generated code touches, found without running it."""

from __future__ import annotations

import textwrap

import pytest

from papercoder_nb.checks.safety import SafetyFlag, scan_code


def _scan(source: str, path: str = "gen.py") -> list[tuple[int, str, str]]:
    return [(f.line, f.category, f.severity) for f in scan_code({path: textwrap.dedent(source)})]


def _cats(source: str) -> set[str]:
    return {c for _, c, _ in _scan(source)}


def test_clean_ml_code_has_no_flags() -> None:
    source = """
        import argparse, os, json, multiprocessing
        import numpy as np
        import torch.nn as nn
        from pathlib import Path

        def main(cfg):
            out = Path(cfg["out_dir"])
            out.mkdir(parents=True, exist_ok=True)
            rank = int(os.environ.get("LOCAL_RANK", 0))
            os.environ["OMP_NUM_THREADS"] = "1"
            with open(out / "metrics.json", "w") as fh:
                json.dump({"rank": rank}, fh)
            with open("config.yaml") as fh:
                pass
        """
    assert scan_code({"train.py": textwrap.dedent(source)}) == []


@pytest.mark.parametrize(
    "source",
    [
        "import socket\n",
        "import requests\nrequests.get('http://x')\n",
        "from urllib.request import urlopen\n",
        "import http.client\n",
        "import httpx as h\n",
        "import aiohttp\n",
    ],
)
def test_network(source: str) -> None:
    assert "network" in _cats(source)


def test_downloads_are_low_severity_network() -> None:
    flags = _scan("""
        from transformers import AutoModel
        import torchvision
        m = AutoModel.from_pretrained("bert-base-uncased")
        ds = torchvision.datasets.MNIST("data", download=True)
        """)
    assert (4, "network", "low") in flags and (5, "network", "low") in flags


@pytest.mark.parametrize(
    "source",
    [
        "import subprocess\n",
        "import subprocess as sp\nsp.run(['ls'])\n",
        "import os\nos.system('ls')\n",
        "import os\nos.popen('ls')\n",
        "import os\nos.execvp('sh', ['sh'])\n",
        "from os import system\nsystem('x')\n",
        "import pty\n",
    ],
)
def test_process_spawning(source: str) -> None:
    assert "process" in _cats(source)


def test_multiprocessing_is_not_flagged() -> None:
    assert _cats("import multiprocessing\nfrom torch.utils.data import DataLoader\n") == set()


def test_deleting_outside_the_folder() -> None:
    flags = _scan("""
        import os, shutil
        from pathlib import Path
        shutil.rmtree("/")
        os.remove("../other/file")
        Path("/etc/passwd").unlink()
        shutil.rmtree(os.path.expanduser("~/data"))
        shutil.rmtree("checkpoints/tmp")
        shutil.rmtree(args.out_dir)
        """)
    high_fs = {line for line, cat, sev in flags if cat == "filesystem" and sev == "high"}
    assert high_fs == {4, 5, 6, 7}
    assert (9, "filesystem", "low") in flags  # computed path: worth a look
    assert not any(line == 8 and cat == "filesystem" for line, cat, _ in flags)  # relative


def test_writing_outside_the_folder() -> None:
    flags = _scan("""
        open("/etc/cron.d/x", "w")
        open("../../x.txt", mode="a")
        open("/data/train.csv")
        """)
    assert [(line, cat) for line, cat, _ in flags] == [(2, "filesystem"), (3, "filesystem")]


def test_environment_secrets() -> None:
    flags = _scan("""
        import os
        from os import environ, getenv
        a = os.environ["ANTHROPIC_API_KEY"]
        b = os.getenv("HF_TOKEN")
        c = environ.get("DB_PASSWORD")
        d = dict(os.environ)
        e = os.environ.copy()
        f = os.environ.get(name)
        g = os.environ.get("CUDA_VISIBLE_DEVICES")
        for k in environ:
            pass
        """)
    secrets = {(line, sev) for line, cat, sev in flags if cat == "secrets"}
    assert secrets == {
        (4, "high"),
        (5, "high"),
        (6, "high"),
        (7, "high"),
        (8, "high"),
        (9, "low"),
        (11, "high"),
    }


def test_home_directories() -> None:
    flags = _scan("""
        import os
        from pathlib import Path
        a = Path.home() / ".cache"
        b = os.path.expanduser("~/.ssh/id_rsa")
        c = Path("~/.aws/credentials").expanduser()
        d = os.environ["HOME"]
        e = "/home/alice/data"
        """)
    home_lines = {line for line, cat, _ in flags if cat == "home"}
    assert home_lines == {4, 5, 6, 7, 8}


def test_dynamic_code_is_flagged_low() -> None:
    assert (2, "dynamic-code", "low") in _scan("import base64\nexec(base64.b64decode(x))\n")
    assert _scan("eval('1 + 1')\n") == []


def test_unparseable_file_falls_back_to_patterns() -> None:
    flags = scan_code({"bad.py": "import requests\ndef f(:\n    os.system('x')\n"})
    assert [(f.line, f.category) for f in flags] == [(1, "network"), (3, "process")]
    assert all("does not parse" in f.message for f in flags)


def test_shell_scripts_are_scanned() -> None:
    flags = scan_code({"run.sh": "# comment curl\nwget http://x\nrm -rf ~/data\npython a.py\n"})
    assert [(f.line, f.category) for f in flags] == [(2, "network"), (3, "filesystem"), (3, "home")]


def test_flags_are_sorted_and_serialisable() -> None:
    flags = scan_code({"b.py": "import socket\n", "a.py": "import os\nos.system('x')\n"})
    assert [(f.file, f.line) for f in flags] == [("a.py", 2), ("b.py", 1)]
    assert SafetyFlag.from_dict(flags[0].to_dict()) == flags[0]
    assert str(flags[1]) == "b.py:1: [network] imports socket (network access)"


def test_non_code_files_are_ignored() -> None:
    assert scan_code({"README.md": "import socket\n", "config.yaml": "url: http://x\n"}) == []
