"""Training from YAML configs: :func:`fit` (the Python API) and :func:`run_lightning` (``fit``,
``validate``, ``test`` and ``predict`` with LightningCLI's arguments).

Every key of a config can be overridden, from Python as nested dicts
(``fit("configs/expcnn.yaml", data={"path": "sim.tsv.gz"}, trainer={"max_epochs": 5})``) or on
the command line as dotted flags (``--data.path sim.tsv.gz --trainer.max_epochs 5``).
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from .errors import ConfigError

#: subcommands handled by LightningCLI
LIGHTNING_COMMANDS = ("fit", "validate", "test", "predict")


@dataclass
class FitResult:
    """What a training run produced.

    Attributes
    ----------
    best_checkpoint : pathlib.Path
        The checkpoint with the best ``val/score`` (``last.ckpt`` when no validation ran);
        :func:`motifzoo.load` reads it.
    last_checkpoint : pathlib.Path or None
        The checkpoint of the last epoch, for ``ckpt_path="last"`` resumes.
    run_dir : pathlib.Path
        The run's log directory (``config.yaml``, ``metrics.csv``, ``checkpoints/``).
    metrics : dict
        The logged metrics of the last epoch as floats (``val/score``, ``val/auroc``, ``train/loss``, ...).
    epochs : int
        Epochs trained.
    """

    best_checkpoint: Path
    last_checkpoint: Path | None
    run_dir: Path
    metrics: dict = field(default_factory=dict)
    epochs: int = 0


def _quiet_lightning() -> None:
    """Silence Lightning notices that do not concern motifzoo users."""
    import logging
    import warnings
    for pattern in (".*LightningCLI's args parameter.*", ".*tensorboardX.*", ".*LeafSpec.*",
                    ".*does not have many workers.*", ".*smaller than the logging interval.*",
                    ".*Checkpoint directory .* exists and is not empty.*",
                    # a resumed run logs into a new version directory; best_model_path is still restored
                    ".*The dirpath has changed from.*"):
        warnings.filterwarnings("ignore", message=pattern)
    logging.getLogger("lightning.pytorch.utilities.rank_zero").addFilter(
        lambda rec: "litlogger" not in rec.getMessage() and "available:" not in rec.getMessage())


def _parser_keys(parser) -> set[str]:
    """Every option key a (jsonargparse) parser and its subcommand parsers accept."""
    keys = set()
    for action in getattr(parser, "_actions", []):
        choices = getattr(action, "choices", None)
        if isinstance(choices, dict) and choices and all(hasattr(p, "_actions") for p in choices.values()):
            for sub in choices.values():
                keys |= _parser_keys(sub)
        elif action.dest and action.dest != "help":
            keys.add(action.dest)
    return keys


def _suggest_key(message: str, keys: set[str]) -> str:
    """Append a did-you-mean for an unknown option named in a jsonargparse error message."""
    import difflib
    import re
    m = re.search(r"option '([\w.]+)'|unrecognized arguments: --([\w.]+)|[Kk]ey \"?'?([\w.]+)'?\"? (?:is not|not)", message)
    if not m:
        return message
    key = next(g for g in m.groups() if g)
    close = difflib.get_close_matches(key, sorted(keys), n=3, cutoff=0.6)
    return f"{message}. Did you mean {' or '.join(repr(c) for c in close)}?" if close else message


def _flatten_data_error(message: str) -> str:
    """'Parser key "data": Problem with given class_path '...': Parser key "k": ...' -> 'Parser key "data.k": ...'."""
    import re
    return re.sub(r'Parser key "data":\s*Problem with given class_path \'[\w.]+\':\s*Parser key "([\w.]+)":',
                  r'Parser key "data.\1":', message)


def _result(trainer) -> FitResult:
    callback = trainer.checkpoint_callback
    best = callback.best_model_path if callback else ""
    last = Path(callback.dirpath) / "last.ckpt" if callback and callback.dirpath else None
    if not best and last is not None:
        best = str(last)
    metrics = {k: float(v) for k, v in trainer.callback_metrics.items() if getattr(v, "numel", lambda: 1)() == 1}
    run_dir = Path(trainer.log_dir) if trainer.log_dir else Path(trainer.default_root_dir)
    return FitResult(Path(best), last if last is not None and last.exists() else None, run_dir, metrics,
                     int(trainer.current_epoch))


def run_lightning(argv: list[str]) -> FitResult | None:
    """Run a LightningCLI subcommand (``argv[0]`` in :data:`LIGHTNING_COMMANDS`) with command-line arguments.

    Returns the :class:`FitResult` of ``fit`` (``None`` for the other subcommands, and on
    processes other than rank 0).
    """
    _quiet_lightning()
    from lightning.pytorch import LightningDataModule
    from lightning.pytorch.callbacks import EarlyStopping, ModelCheckpoint
    from lightning.pytorch.cli import LightningArgumentParser, LightningCLI

    from . import array_datamodule, datamodule, genome_datamodule  # noqa: F401  (class_path short names resolve)
    from .module import MotifZooModule

    class SuggestingParser(LightningArgumentParser):
        def error(self, message, *args, **kwargs):
            message = _flatten_data_error(str(message))
            return super().error(_suggest_key(message, _parser_keys(self)), *args, **kwargs)

        def add_lightning_class_args(self, lightning_class, nested_key, subclass_mode=False, required=True):
            if nested_key == "data" and subclass_mode:
                # with a default class the type stays LightningDataModule, not Optional[...]: jsonargparse
                # then lets a DataModule's own error (DataError) through instead of wrapping it in a union error
                return self.add_subclass_arguments(lightning_class, nested_key, fail_untyped=False, required=required,
                                                   default={"class_path": "motifzoo.training.datamodule.SequenceDataModule"})
            return super().add_lightning_class_args(lightning_class, nested_key, subclass_mode, required)

    class MotifZooCLI(LightningCLI):
        def add_arguments_to_parser(self, parser):
            parser.add_lightning_class_args(ModelCheckpoint, "checkpoint")
            parser.set_defaults({"checkpoint.monitor": "val/score", "checkpoint.mode": "max",
                                 "checkpoint.filename": "best", "checkpoint.save_last": True})
            parser.add_lightning_class_args(EarlyStopping, "early_stopping")
            parser.set_defaults({"early_stopping.monitor": "val/score", "early_stopping.mode": "max",
                                 "early_stopping.patience": 5})
            for key in ("n_targets", "input_length", "task", "target_names"):
                parser.link_arguments(f"data.{key}", f"model.{key}", apply_on="instantiate")

        def before_fit(self):
            # `--ckpt_path last`: the newest last.ckpt under the run's root, so re-running an
            # interrupted command resumes it (each run gets a new version directory)
            if self.config_init["fit"].get("ckpt_path") == "last":
                root = Path(self.trainer.default_root_dir)
                found = sorted(root.glob("**/checkpoints/last*.ckpt"), key=lambda p: p.stat().st_mtime)
                if not found:
                    raise ConfigError(f"--ckpt_path last: no last.ckpt under {root}; nothing to resume")
                print(f"resuming from {found[-1]}")
                self.config_init["fit"]["ckpt_path"] = str(found[-1])

    cli = MotifZooCLI(MotifZooModule, LightningDataModule, args=argv, seed_everything_default=0, subclass_mode_data=True,
                      parser_kwargs={"parser_mode": "yaml"}, parser_class=SuggestingParser,
                      trainer_defaults={"max_epochs": 30, "default_root_dir": "runs", "deterministic": "warn"},
                      save_config_kwargs={"overwrite": True}, auto_configure_optimizers=False)
    if not argv or argv[0] != "fit":
        return None
    result = _result(cli.trainer)  # on every process: trainer.log_dir is a collective call under DDP
    return result if cli.trainer.is_global_zero else None  # reported once, not once per process


def _as_arg(value) -> str:
    """A Python value as command-line text that jsonargparse parses back to the same value."""
    if isinstance(value, str):
        return value
    if isinstance(value, Path):
        return str(value)
    return json.dumps(value)


def overrides_to_args(overrides: dict, prefix: str = "") -> list[str]:
    """Nested override dicts -> dotted flags: ``{"data": {"path": "x"}}`` -> ``["--data.path", "x"]``."""
    args: list[str] = []
    for key, value in overrides.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict) and value:
            args += overrides_to_args(value, name + ".")
        else:
            args += [f"--{name}", _as_arg(value)]
    return args


def fit(config: str | Path | dict | None = None, *, args: list[str] | tuple = (), **overrides) -> FitResult:
    """Train a model as ``motifzoo fit`` does, and say where its checkpoints are.

    Parameters
    ----------
    config : path or dict, optional
        A YAML config (e.g. ``configs/expcnn.yaml``) or the same content as a dict.
    **overrides
        Config sections as nested dicts, e.g. ``data={"path": "sim.tsv.gz"}``,
        ``trainer={"max_epochs": 5, "default_root_dir": "runs/x"}``,
        ``model={"arch": "explainn", "arch_kwargs": {"n_units": 16}}``, or top-level keys such as
        ``seed_everything=1`` and ``ckpt_path="last"``.
    args : list of str
        Further overrides as ``motifzoo fit`` flags (``["--trainer.max_epochs", "5"]``), applied after
        ``overrides``.

    Returns
    -------
    FitResult
        ``best_checkpoint``, ``last_checkpoint``, ``run_dir``, ``metrics`` and ``epochs``.

    Raises
    ------
    motifzoo.training.module.ConfigError, motifzoo.data.tables.DataError
        For a bad config value or bad data, with a message that names the key or file.
    """
    import yaml
    argv = ["fit"]
    if config is not None:
        argv += ["--config", yaml.safe_dump(config) if isinstance(config, dict) else str(config)]
    argv += overrides_to_args(overrides) + [str(a) for a in args]
    try:
        result = run_lightning(argv)
    except SystemExit as err:  # jsonargparse reports a bad key or value by exiting
        raise ConfigError(f"invalid config or override (see the message above): exit status {err.code}") from None
    if result is None:
        raise RuntimeError("fit() returned no result: not the rank-0 process")
    return result
