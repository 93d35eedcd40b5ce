"""Base classes from outside the repository whose members the checker knows.

A class deriving from ``torch.nn.Module`` still has a closed set of attributes: its own,
those it assigns, and nn.Module's. Knowing that set lets the checker say that
``model.encode(...)`` names nothing when ``encode`` was renamed, without importing torch
(not installed where code is checked, often). Bases not listed here leave a class open:
any attribute may exist, so nothing is reported on it.
"""

from __future__ import annotations

from dataclasses import dataclass

_OBJECT = frozenset({
    "__class__", "__dict__", "__doc__", "__module__", "__init__", "__repr__", "__str__", "__eq__",
    "__hash__", "__getattribute__", "__setattr__", "__delattr__", "__dir__", "__reduce__",
    "__init_subclass__", "__subclasshook__", "__format__", "__sizeof__", "__ne__", "__new__",
})

_MODULE = _OBJECT | frozenset({
    "forward", "training", "parameters", "named_parameters", "buffers", "named_buffers", "children",
    "named_children", "modules", "named_modules", "train", "eval", "to", "cuda", "cpu", "xpu", "mps",
    "ipu", "double", "float", "half", "bfloat16", "type", "to_empty", "apply", "zero_grad",
    "requires_grad_", "state_dict", "load_state_dict", "register_buffer", "register_parameter",
    "add_module", "register_module", "get_submodule", "set_submodule", "get_parameter", "get_buffer",
    "get_extra_state", "set_extra_state", "register_forward_hook", "register_forward_pre_hook",
    "register_full_backward_hook", "register_full_backward_pre_hook", "register_backward_hook",
    "register_state_dict_pre_hook", "register_load_state_dict_post_hook", "extra_repr",
    "share_memory", "compile", "dump_patches", "call_super_init", "T_destination", "_parameters",
    "_buffers", "_modules", "_apply", "_get_name", "_version", "__call__", "__getattr__",
    "__setstate__", "_load_from_state_dict", "_save_to_state_dict", "_register_state_dict_hook",
    "_register_load_state_dict_pre_hook", "_named_members", "_forward_hooks", "_backward_hooks",
})

_LIGHTNING = _MODULE | frozenset({
    "log", "log_dict", "trainer", "logger", "loggers", "device", "dtype", "global_step",
    "current_epoch", "hparams", "hparams_initial", "save_hyperparameters", "training_step",
    "validation_step", "test_step", "predict_step", "configure_optimizers", "optimizers",
    "lr_schedulers", "manual_backward", "automatic_optimization", "example_input_array",
    "on_train_start", "on_train_end", "on_train_epoch_start", "on_train_epoch_end",
    "on_validation_epoch_start", "on_validation_epoch_end", "on_test_epoch_end", "on_fit_start",
    "on_fit_end", "on_train_batch_start", "on_train_batch_end", "on_validation_start",
    "on_validation_end", "on_before_optimizer_step", "on_after_backward", "on_save_checkpoint",
    "on_load_checkpoint", "load_from_checkpoint", "to_onnx", "to_torchscript", "print", "all_gather",
    "freeze", "unfreeze", "clip_gradients", "configure_gradient_clipping", "setup", "teardown",
    "prepare_data", "train_dataloader", "val_dataloader", "test_dataloader", "predict_dataloader",
    "on_before_batch_transfer", "transfer_batch_to_device", "on_after_batch_transfer", "fabric",
    "local_rank", "global_rank", "on_gpu", "precision", "strict_loading", "toggle_optimizer",
    "untoggle_optimizer", "backward", "optimizer_step", "optimizer_zero_grad", "lr_scheduler_step",
    "configure_callbacks", "configure_model", "on_validation_model_eval", "on_validation_model_train",
    "on_test_model_eval", "on_test_model_train", "on_predict_model_eval", "on_validation_batch_start", "on_validation_batch_end", "on_test_batch_start",
    "on_test_batch_end", "on_predict_batch_start", "on_predict_batch_end", "on_predict_epoch_start",
    "on_predict_epoch_end", "on_test_epoch_start", "on_test_start", "on_test_end",
    "on_predict_start", "on_predict_end", "on_before_backward", "on_before_zero_grad",
    "on_validation_model_zero_grad", "truncated_bptt_steps",
})

_DATASET = _OBJECT | frozenset({"__getitem__", "__len__", "__add__", "__iter__"})


@dataclass(frozen=True)
class KnownBase:
    members: frozenset[str]
    call_method: str | None = None  # calling an instance runs this method (nn.Module: forward)
    init_free: bool = True  # its __init__ takes no arguments a subclass must pass
    returns_self: frozenset[str] = frozenset()  # model.to(device) is the model itself


_MODULE_SELF = frozenset({"to", "cuda", "cpu", "xpu", "train", "eval", "float", "half", "double", "bfloat16",
                          "type", "requires_grad_", "apply", "to_empty", "share_memory"})


_TABLE = {
    "torch.nn.Module": KnownBase(_MODULE, "forward", returns_self=_MODULE_SELF),
    "torch.nn.modules.module.Module": KnownBase(_MODULE, "forward", returns_self=_MODULE_SELF),
    "pytorch_lightning.LightningModule": KnownBase(_LIGHTNING, "forward", returns_self=_MODULE_SELF),
    "lightning.LightningModule": KnownBase(_LIGHTNING, "forward", returns_self=_MODULE_SELF),
    "lightning.pytorch.LightningModule": KnownBase(_LIGHTNING, "forward", returns_self=_MODULE_SELF),
    "torch.utils.data.Dataset": KnownBase(_DATASET),
    "torch.utils.data.dataset.Dataset": KnownBase(_DATASET),
    "object": KnownBase(_OBJECT),
    "abc.ABC": KnownBase(_OBJECT),
}


def known_base(qualified: str) -> KnownBase | None:
    """The members of a base named by its full dotted path (``torch.nn.Module``)."""
    return _TABLE.get(qualified)
