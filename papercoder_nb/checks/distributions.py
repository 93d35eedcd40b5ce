"""Which distribution provides an import name, and what a declared one brings with it.

``import yaml`` is provided by the distribution ``PyYAML``, ``import PIL`` by ``pillow``.
The installed environment knows its own mapping (``packages_distributions()``); the table
here covers the common ML stack when it is not installed where the code is checked. What a
declared package installs with it (``torchvision`` brings ``pillow`` and ``numpy``) comes
from the installed metadata, else from the table of well-known dependencies.
"""

from __future__ import annotations

import functools
import re
from importlib import metadata

# import name -> distributions that provide it (where the names differ or are ambiguous)
PROVIDERS: dict[str, tuple[str, ...]] = {
    "yaml": ("PyYAML",), "PIL": ("Pillow",), "sklearn": ("scikit-learn",), "skimage": ("scikit-image",),
    "cv2": ("opencv-python", "opencv-python-headless", "opencv-contrib-python", "opencv-contrib-python-headless"),
    "bs4": ("beautifulsoup4",), "hydra": ("hydra-core",), "attr": ("attrs",), "dateutil": ("python-dateutil",),
    "dotenv": ("python-dotenv",), "fitz": ("pymupdf",), "docx": ("python-docx",), "git": ("gitpython",),
    "jwt": ("pyjwt",), "Crypto": ("pycryptodome",), "google.protobuf": ("protobuf",), "serial": ("pyserial",),
    "OpenGL": ("pyopengl",), "pytorch_lightning": ("pytorch-lightning", "lightning"),
    "lightning": ("lightning",), "lightning_fabric": ("lightning-fabric", "lightning"),
    "tensorflow": ("tensorflow", "tensorflow-cpu", "tensorflow-gpu", "tensorflow-macos"),
    "mpl_toolkits": ("matplotlib",), "pkg_resources": ("setuptools",), "faiss": ("faiss-cpu", "faiss-gpu"),
    "sentencepiece": ("sentencepiece",), "Levenshtein": ("python-levenshtein", "levenshtein"),
    "magic": ("python-magic",), "wx": ("wxpython",), "zmq": ("pyzmq",), "tables": ("tables",),
    "lxml": ("lxml",), "jose": ("python-jose",), "multipart": ("python-multipart",),
    "huggingface_hub": ("huggingface-hub",), "tensorboardX": ("tensorboardx",),
    "torch_geometric": ("torch-geometric",), "torch_scatter": ("torch-scatter",),
    "pytorch_fid": ("pytorch-fid",), "gym": ("gym", "gymnasium"), "mujoco_py": ("mujoco-py",),
    "ruamel": ("ruamel.yaml",), "typing_extensions": ("typing-extensions",), "jax": ("jax",),
    "absl": ("absl-py",), "tree": ("dm-tree",), "haiku": ("dm-haiku",), "cupy": ("cupy", "cupy-cuda12x"),
    "mmcv": ("mmcv", "mmcv-full"), "Bio": ("biopython",), "igraph": ("python-igraph", "igraph"),
    "kornia": ("kornia",), "einops": ("einops",), "timm": ("timm",), "wandb": ("wandb",),
    "websocket": ("websocket-client",), "win32api": ("pywin32",), "usb": ("pyusb",),
    "nacl": ("pynacl",), "OpenSSL": ("pyopenssl",), "grpc": ("grpcio",), "slugify": ("python-slugify",),
    "Image": ("Pillow",), "lmdb": ("lmdb",), "h5py": ("h5py",), "llama_cpp": ("llama-cpp-python",),
}

# distribution -> what installing it brings (when its metadata is not installed here)
IMPLIES: dict[str, tuple[str, ...]] = {
    "torch": ("filelock", "typing-extensions", "sympy", "networkx", "jinja2", "fsspec"),
    "torchvision": ("torch", "numpy", "pillow"), "torchaudio": ("torch",),
    "pytorch-lightning": ("torch", "pyyaml", "tqdm", "fsspec", "torchmetrics", "packaging",
                          "lightning-utilities", "typing-extensions"),
    "lightning": ("torch", "pyyaml", "tqdm", "fsspec", "torchmetrics", "packaging", "lightning-utilities",
                  "pytorch-lightning", "lightning-fabric"),
    "transformers": ("numpy", "pyyaml", "tqdm", "huggingface-hub", "tokenizers", "safetensors", "regex",
                     "requests", "filelock", "packaging"),
    "datasets": ("numpy", "pandas", "pyarrow", "tqdm", "requests", "pyyaml", "huggingface-hub", "fsspec",
                 "dill", "multiprocess", "filelock", "packaging"),
    "timm": ("torch", "torchvision", "pyyaml", "huggingface-hub", "safetensors"),
    "accelerate": ("numpy", "torch", "pyyaml", "psutil", "packaging", "huggingface-hub", "safetensors"),
    "diffusers": ("numpy", "pillow", "requests", "regex", "safetensors", "huggingface-hub", "filelock"),
    "scipy": ("numpy",), "pandas": ("numpy", "python-dateutil", "pytz"),
    "matplotlib": ("numpy", "pillow", "pyparsing", "python-dateutil", "packaging", "cycler", "kiwisolver"),
    "scikit-learn": ("numpy", "scipy", "joblib", "threadpoolctl"), "scikit-image": ("numpy", "scipy", "pillow",
                                                                                      "imageio", "networkx"),
    "seaborn": ("numpy", "pandas", "matplotlib"), "hydra-core": ("omegaconf", "pyyaml", "packaging"),
    "omegaconf": ("pyyaml",), "opencv-python": ("numpy",), "opencv-python-headless": ("numpy",),
    "tensorboard": ("numpy", "protobuf", "grpcio", "markdown", "werkzeug"), "torchmetrics": ("numpy", "torch"),
    "kornia": ("torch",), "lpips": ("torch", "torchvision", "numpy", "scipy", "tqdm"),
    "imageio": ("numpy", "pillow"), "h5py": ("numpy",), "numba": ("numpy", "llvmlite"),
    "wandb": ("pyyaml", "requests", "protobuf", "psutil", "click"), "jax": ("numpy", "scipy"),
    "tensorflow": ("numpy", "protobuf", "absl-py", "h5py", "six", "packaging"),
    "gym": ("numpy", "cloudpickle"), "gymnasium": ("numpy", "cloudpickle"), "einops": (),
    "pytorch-fid": ("numpy", "pillow", "scipy", "torch", "torchvision"),
    "sentence-transformers": ("transformers", "torch", "numpy", "scikit-learn", "scipy", "tqdm"),
}


def normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


@functools.lru_cache(maxsize=1)
def _installed() -> dict[str, list[str]]:
    try:
        return {k: [normal(d) for d in v] for k, v in metadata.packages_distributions().items()}
    except Exception:  # broken metadata in the environment: fall back to the table
        return {}


def providers(import_name: str) -> list[str]:
    """Distributions (normalised) that may provide a top-level import name."""
    found = [normal(d) for d in PROVIDERS.get(import_name, ())] + _installed().get(import_name, [])
    return found + [normal(import_name)]


@functools.lru_cache(maxsize=1024)
def _requires(dist: str) -> tuple[str, ...]:
    try:
        reqs = metadata.requires(dist) or []
    except metadata.PackageNotFoundError:
        return IMPLIES.get(dist, ())
    out = []
    for line in reqs:
        if "extra ==" in line:
            continue
        m = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", line)
        if m:
            out.append(normal(m.group(1)))
    return (*out, *IMPLIES.get(dist, ()))


def with_dependencies(declared: set[str]) -> set[str]:
    """The declared distributions and everything installing them brings along."""
    seen = set(declared)
    stack = list(declared)
    while stack:
        for dep in _requires(stack.pop()):
            dep = normal(dep)
            if dep not in seen:
                seen.add(dep)
                stack.append(dep)
    return seen
