"""The checker models what Python does: scopes, classes, packages, cycles, requirements.

Each case is a small repository in the form real code takes; the false-alarm cases are
the forms seen flagged on working repositories, the others the mistakes models make.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

from papercoder_nb.checks.check import check_repository
from papercoder_nb.checks.checker import check_code
from papercoder_nb.checks.requirements_check import check_requirements


def repo(tmp_path: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    return tmp_path


def errors(folder: Path) -> list[str]:
    found = sorted(check_code(folder), key=lambda f: (f.file, f.line))
    return [str(f) for f in found if f.severity == "error"]


MODEL = """
    import torch
    from torch import nn


    class Encoder(nn.Module):
        def __init__(self, dim, layers=2):
            super().__init__()
            self.dim = dim
            self.proj = nn.Linear(dim, dim)

        def forward(self, x, mask=None):
            return self.proj(x)

        def encode(self, x):
            return self(x)


    class Model(nn.Module):
        def __init__(self, dim):
            super().__init__()
            self.encoder = Encoder(dim)

        def forward(self, x):
            return self.encoder.encode(x)
"""


# -- no false alarms on working code ---------------------------------------------------------

def test_a_parameter_named_like_a_module_shadows_it(tmp_path: Path) -> None:
    repo(tmp_path, {"data.py": "def load():\n    return []\n",
                    "train.py": "import data\n\ndef step(data):\n    return data.narrow(0, 1)\n\n"
                                "def run():\n    return data.load()\n"})
    assert errors(tmp_path) == []


def test_decorated_entry_points_are_not_called_like_their_definition(tmp_path: Path) -> None:
    repo(tmp_path, {"main.py": """
        import click
        import hydra


        @hydra.main(config_path="conf", config_name="config")
        def main(cfg):
            print(cfg)


        @click.command()
        @click.option("--n")
        def cli(n):
            print(n)


        if __name__ == "__main__":
            main()
            cli()
    """})
    assert errors(tmp_path) == []


def test_base_class_using_what_subclasses_define_is_fine(tmp_path: Path) -> None:
    repo(tmp_path, {"base.py": """
        class Trainer:
            def fit(self):
                return self.step(self.batch_size)
    """, "sgd.py": """
        from base import Trainer


        class SGDTrainer(Trainer):
            batch_size = 4

            def step(self, n):
                return n
    """})
    assert errors(tmp_path) == []


def test_working_torch_package_with_relative_imports_is_clean(tmp_path: Path) -> None:
    repo(tmp_path, {"pkg/__init__.py": "from .model import Model\nfrom .encoder import *\n",
                    "pkg/model.py": MODEL,
                    "pkg/encoder.py": "from .model import Encoder\n__all__ = ['Encoder']\n",
                    "pkg/utils/io.py": "def save(x, path):\n    return path\n",
                    "scripts/train.py": """
                        from dataclasses import dataclass, field
                        from pkg import Model, Encoder
                        from pkg.utils.io import save


                        @dataclass
                        class Config:
                            dim: int
                            lr: float = 1e-3
                            tags: list = field(default_factory=list)


                        def main():
                            cfg = Config(8, lr=0.1)
                            model = Model(cfg.dim)
                            out = model(None)
                            enc = Encoder(cfg.dim, layers=3)
                            enc.encode(out)
                            save(model.encoder.proj, "m.pt")


                        if __name__ == "__main__":
                            main()
                    """})
    assert errors(tmp_path) == []


def test_declared_distributions_cover_their_import_names_and_dependencies(tmp_path: Path) -> None:
    repo(tmp_path, {"requirements.txt": "PyYAML>=6\npillow\nscikit-learn\nhydra-core\ntorchvision\n",
                    "a.py": "import yaml\nfrom PIL import Image\nimport sklearn.metrics\nimport hydra\n"
                            "import numpy as np\nimport torch\n"})
    assert check_repository(tmp_path) == []


# -- the mistakes models make ------------------------------------------------------------------

def test_method_renamed_in_one_file_is_found_through_the_object(tmp_path: Path) -> None:
    repo(tmp_path, {"model.py": MODEL.replace("def encode(self, x)", "def encode_seq(self, x)"),
                    "train.py": "from model import Encoder\n\ndef run():\n    enc = Encoder(4)\n"
                                "    return enc.encode(None)\n"})
    found = errors(tmp_path)
    assert any("train.py:5:" in f and "'encode'" in f and "encode_seq" in f for f in found), found
    assert any("model.py:" in f and "'encode'" in f for f in found)  # Model.forward's self.encoder.encode


def test_module_call_runs_forward_with_its_signature(tmp_path: Path) -> None:
    repo(tmp_path, {"model.py": MODEL, "train.py": "from model import Encoder\n\n"
                                                   "def run(x):\n    enc = Encoder(4)\n    return enc(x, None, 3)\n"})
    [f] = errors(tmp_path)
    assert "train.py:5:" in f and "at most 2 positional" in f


def test_constructor_of_a_subclass_and_of_a_dataclass(tmp_path: Path) -> None:
    repo(tmp_path, {"model.py": MODEL, "cfg.py": """
        from dataclasses import dataclass


        @dataclass
        class Config:
            dim: int
            lr: float = 0.1
    """, "train.py": "from model import Model\nfrom cfg import Config\n\n"
                     "def run():\n    Model()\n    Config(lr=1.0)\n    Config(1, 2, 3)\n"})
    found = errors(tmp_path)
    assert len(found) == 3, found
    assert "missing argument(s) dim" in found[0] and "missing argument(s) dim" in found[1]
    assert "at most 2 positional" in found[2]


def test_attribute_renamed_in_init_is_found_where_it_is_read(tmp_path: Path) -> None:
    repo(tmp_path, {"model.py": MODEL.replace("self.dim = dim", "self.hidden = dim"),
                    "train.py": "from model import Encoder\n\ndef size():\n    return Encoder(2).dim\n"})
    [f] = errors(tmp_path)
    assert "train.py:4:" in f and "'dim'" in f


def test_package_init_relative_and_submodule_imports(tmp_path: Path) -> None:
    repo(tmp_path, {"pkg/__init__.py": "from .model import Model\n",
                    "pkg/model.py": "from .layers import Block\n\nclass Model:\n    pass\n",
                    "pkg/layers.py": "class Layer:\n    pass\n",
                    "main.py": "from pkg import Model, Trainer\nfrom pkg.optim import adam\nimport pkg.data\n"})
    found = errors(tmp_path)
    assert any("pkg/model.py:1:" in f and "'Block'" in f and "Layer" in f for f in found), found
    assert any("main.py:1:" in f and "'Trainer'" in f for f in found)
    assert any("main.py:2:" in f and "'pkg.optim'" in f for f in found)
    assert any("main.py:3:" in f and "'pkg.data'" in f for f in found)


def test_circular_import_that_fails_at_import_time(tmp_path: Path) -> None:
    repo(tmp_path, {"a.py": "from b import helper\n\ndef base():\n    return 1\n",
                    "b.py": "from a import base\n\ndef helper():\n    return base()\n"})
    found = errors(tmp_path)
    assert found and all("circular import" in f for f in found)
    # the same cycle is harmless when each name is bound before the import that closes it,
    # starting where the program starts (importing b first would fail: a warning)
    (tmp_path / "b.py").unlink()
    repo(tmp_path, {"a.py": "def base():\n    return 1\n\nfrom b2 import helper\n",
                    "b2.py": "import a\n\ndef helper():\n    return a.base()\n", "main.py": "import a\n"})
    assert errors(tmp_path) == []
    [warning] = [f for f in check_code(tmp_path) if f.severity == "warning"]
    assert "circular import" in warning.problem and "b2.py" in warning.problem


def test_main_that_no_longer_exists(tmp_path: Path) -> None:
    repo(tmp_path, {"main.py": "def run():\n    pass\n\nif __name__ == '__main__':\n    main()\n"})
    [f] = errors(tmp_path)
    assert "main.py:5:" in f and "'main'" in f


def test_a_misspelt_local_module_is_not_called_a_missing_package(tmp_path: Path) -> None:
    repo(tmp_path, {"model.py": "class Net:\n    pass\n", "train.py": "from modle import Net\n",
                    "requirements.txt": "numpy\n"})
    found = [str(f) for f in check_repository(tmp_path)]
    assert len(found) == 1 and "'modle'" in found[0] and "local module 'model'" in found[0], found
    assert "warning" not in found[0]


def test_undeclared_packages_are_one_warning_per_package(tmp_path: Path) -> None:
    files = {f"m{i}.py": "import einops\nfrom einops import rearrange\n" for i in range(5)}
    repo(tmp_path, {**files, "requirements.txt": "torch\n"})
    found = check_requirements(tmp_path, None, extra={"torch"})
    assert len(found) == 1 and found[0].severity == "warning"
    assert "'einops'" in found[0].problem and "9 more" in found[0].problem


def test_config_keys_through_aliases_self_and_defaults(tmp_path: Path) -> None:
    from papercoder_nb.checks.config_keys import check_config_keys

    repo(tmp_path, {"config.yaml": "model:\n  dim: 8\n  layers: 2\ntrain:\n  lr: 0.1\n", "m.py": """
        import yaml


        class Trainer:
            def __init__(self, config, hf_model):
                self.config = config
                self.hidden = hf_model.config.hidden_size  # a model's own config, not config.yaml

            def lr(self):
                return self.config["train"]["lr_max"]


        def build(cfg):
            model_cfg = cfg["model"]
            warm = cfg["train"].get("warmup", 0)  # optional by intent
            return model_cfg["dim"], model_cfg["depth"], warm


        def load(path):
            params = yaml.safe_load(open(path))
            return params["trian"]
    """})
    found = sorted((f.line, f.problem, f.severity) for f in check_config_keys(tmp_path, tmp_path / "config.yaml"))
    assert [(line, sev) for line, _, sev in found] == [(11, "error"), (17, "error"), (22, "error")], found
    assert "'train.lr_max'" in found[0][1] and "'model.depth'" in found[1][1] and "'trian'" in found[2][1]


def test_requirements_are_read_from_the_repositorys_install_files(tmp_path: Path) -> None:
    from papercoder_nb.checks.declared import declared_in

    repo(tmp_path, {
        "requirements.txt": "-r requirements/base.txt\ntorch>=2  # the model\n",
        "requirements/base.txt": "numpy\ngit+https://example.org/x.git#egg=extra_pkg\n",
        "pyproject.toml": "[project]\ndependencies = ['einops>=0.6']\n"
                          "[project.optional-dependencies]\ndev = ['pytest']\n",
        "setup.cfg": "[options]\ninstall_requires =\n    scipy\n",
        "setup.py": "from setuptools import setup\nREQS = ['tqdm']\nsetup(install_requires=REQS)\n",
        "environment.yml": "dependencies:\n  - python=3.11\n  - pandas=2.0\n  - pip:\n    - wandb\n"})
    assert declared_in(tmp_path) == {"torch", "numpy", "extra-pkg", "einops", "pytest", "scipy", "tqdm",
                                     "python", "pandas", "wandb"}
    assert declared_in(tmp_path / "requirements") is None  # no install file of its own


def test_console_scripts_name_functions_that_exist(tmp_path: Path) -> None:
    repo(tmp_path, {"tool/__init__.py": "", "tool/cli.py": "def run():\n    pass\n",
                    "setup.py": "from setuptools import setup\n"
                                "setup(entry_points={'console_scripts': ['tool = tool.cli:main']})\n"})
    found = [f for f in check_repository(tmp_path) if f.severity == "error"]
    assert len(found) == 1 and found[0].file == "setup.py"
    assert "tool.cli:main" in found[0].problem and "run" in found[0].expected


def test_a_folder_put_on_sys_path_is_a_root(tmp_path: Path) -> None:
    repo(tmp_path, {"pkg/__init__.py": "", "pkg/version.py": "__version__ = '1'\n",
                    "setup.py": "import sys\nsys.path[0:0] = ['pkg']\nfrom version import __version__\n",
                    "requirements.txt": "numpy\n"})
    assert [f for f in check_repository(tmp_path) if f.severity == "error"] == []


def test_model_to_device_keeps_the_model(tmp_path: Path) -> None:
    repo(tmp_path, {"model.py": MODEL, "train.py": "from model import Encoder\n\n"
                                                   "def run(device):\n    enc = Encoder(4).to(device)\n"
                                                   "    return enc.encode_all(None)\n"})
    [f] = errors(tmp_path)
    assert "train.py:5:" in f and "'encode_all'" in f and "encode" in f


def test_latent_mistakes_off_the_start_path_are_warnings(tmp_path: Path) -> None:
    repo(tmp_path, {"requirements.txt": "numpy\n", "main.py": """
        def used():
            return np.zeros(3)


        def never_called():
            return undefined_helper(1)


        if __name__ == "__main__":
            used()
    """})
    found = {f.line: f for f in check_repository(tmp_path)}
    assert found[3].severity == "error" and "'np'" in found[3].problem  # runs from the entry point
    assert found[7].severity == "warning" and "never_called()" in found[7].problem


def test_hydra_entry_points_are_checked_against_their_default_composition(tmp_path: Path) -> None:
    repo(tmp_path, {
        "requirements.txt": "hydra-core\n",
        "conf/train.yaml": "defaults:\n  - _self_\n  - model: small\n  - trainer: cpu\nseed: 1\n",
        "conf/model/small.yaml": "dim: 8\noptimizer:\n  lr: 0.1\n",
        "conf/trainer/cpu.yaml": "# @package _global_\ndevices: 1\n",
        "train.py": """
            import hydra


            @hydra.main(version_base=None, config_path="conf", config_name="train")
            def main(cfg):
                return cfg.model.dim, cfg.model.optimizer.lr, cfg.devices, cfg.seed, cfg.model.depth


            if __name__ == "__main__":
                main()
        """})
    [f] = check_repository(tmp_path)
    assert f.file == "train.py" and "'model.depth'" in f.problem and "conf/train.yaml" in f.problem
    assert f.severity == "warning"  # a run may add keys from the command line
