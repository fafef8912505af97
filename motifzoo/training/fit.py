"""Training from YAML configs: :func:`fit` (the Python API) and :func:`run_lightning` (``fit``,
``validate``, ``test`` and ``predict`` with LightningCLI's arguments).

Every key of a config can be overridden, from Python as nested dicts
(``fit("configs/expcnn.yaml", data={"path": "sim.tsv.gz"}, trainer={"max_epochs": 5})``) or on
the command line as dotted flags (``--data.path sim.tsv.gz --trainer.max_epochs 5``).
"""
from __future__ import annotations

import json
import sys
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


def _one_line(message: str) -> str:
    """A parser message on one line; jsonargparse's list of Union sub-errors becomes "expected one of ...; got ..."."""
    import re
    text = " ".join(str(message).split())
    m = re.search(r"Does not validate against any of the Union subtypes Subtypes: \[(.*?)\] Errors: .*?"
                  r"Given value type: .*? Given value: (.*)$", text)
    if m:
        kinds = re.sub(r"<class '(\w+)'>", r"\1", m.group(1)).replace("NoneType", "null").replace("typing.", "")
        text = text[:m.start()] + f"expected one of {kinds}; got {m.group(2)}"
    return text


def check_config_files(argv: list[str]) -> None:
    """Parse every ``--config`` file of ``argv`` as YAML first, so a syntax error is one line that
    names the file, the line and column, and what the parser expected (jsonargparse would print its
    usage block and a position in "<unicode string>")."""
    import yaml
    values = [argv[i + 1] for i, a in enumerate(argv[:-1]) if a == "--config"]
    values += [a.split("=", 1)[1] for a in argv if a.startswith("--config=")]
    for value in values:
        path = Path(value)
        try:
            is_file = "\n" not in value and path.is_file()
        except OSError:  # a name too long to be a path: inline YAML
            is_file = False
        if is_file:
            try:
                text = path.read_text()
            except UnicodeDecodeError:
                raise ConfigError(f"{path}: not a text (UTF-8) YAML file") from None
            where = str(path)
        elif "\n" in value or ": " in value or value.lstrip().startswith("{"):  # YAML given inline
            text, where = value, "--config"
        else:
            continue  # a missing file: jsonargparse names it
        try:
            loaded = yaml.safe_load(text)
        except yaml.MarkedYAMLError as err:
            mark = err.problem_mark or err.context_mark
            at = f" line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
            context = f" ({err.context})" if err.context else ""
            raise ConfigError(f"{where}{at}: invalid YAML: {err.problem}{context}") from None
        except yaml.YAMLError as err:
            raise ConfigError(f"{where}: invalid YAML: {_one_line(err)}") from None
        if loaded is not None and not isinstance(loaded, dict):
            raise ConfigError(f"{where}: a config must be a YAML mapping of sections (model:, data:, trainer:, ...), "
                              f"got a {type(loaded).__name__}")


def check_section_ranges(config) -> None:
    """Check the trainer, early-stopping and checkpoint keys of a parsed config against
    :data:`~motifzoo.training.ranges.RANGES` before Lightning sees them."""
    from .ranges import check_all
    for section in ("trainer", "early_stopping", "checkpoint"):
        values = config.get(section) if hasattr(config, "get") else None
        if values is None:
            continue
        values = values.as_dict() if hasattr(values, "as_dict") else dict(values)
        check_all(section, values)


def _add_range_help(parser) -> None:
    """Append each option's range (from :data:`~motifzoo.training.ranges.RANGES`) to its ``--help`` text."""
    from .ranges import RANGES, range_help
    for action in getattr(parser, "_actions", []):
        key = getattr(action, "dest", None)
        if key in RANGES and not key.startswith(("model.", "data.")):  # model/data: in their docstrings
            action.help = f"{action.help or ''} {range_help(key)}".strip()


def _same_run_config(saved: dict, current: dict) -> str | None:
    """The first key of ``model``, ``data`` or ``seed_everything`` whose value differs between two
    configs (``None`` when they agree): a ``last.ckpt`` resumes only the run it came from."""
    def flat(d, prefix=""):
        out = {}
        for k, v in (d or {}).items():
            if isinstance(v, dict):
                out.update(flat(v, f"{prefix}{k}."))
            else:
                out[f"{prefix}{k}"] = v
        return out
    a = flat({k: saved.get(k) for k in ("model", "data", "seed_everything")})
    b = flat({k: current.get(k) for k in ("model", "data", "seed_everything")})
    for key in sorted(set(a) | set(b)):
        if a.get(key) != b.get(key):
            return f"{key}: {a.get(key)!r} there, {b.get(key)!r} now"
    return None


def find_last_checkpoint(root: Path, current: dict | None) -> Path:
    """The newest ``last.ckpt`` under ``root`` whose run has the same model, data and seed as
    ``current`` (its ``config.yaml`` beside ``checkpoints/``); a clear :class:`ConfigError` when
    there is none, or only other runs' checkpoints."""
    import yaml
    found = sorted(root.glob("**/checkpoints/last*.ckpt"), key=lambda p: p.stat().st_mtime, reverse=True)
    if not found:
        raise ConfigError(f"--ckpt_path last: no last.ckpt under {root}; nothing to resume")
    if current is None:
        return found[0]
    differences = []
    for ckpt in found:
        cfg = ckpt.parent.parent / "config.yaml"
        try:
            saved = yaml.safe_load(cfg.read_text())
        except (OSError, yaml.YAMLError):
            saved = None
        if not isinstance(saved, dict):
            differences.append(f"{ckpt} (no readable config.yaml beside it)")
            continue
        diff = _same_run_config(saved, current)
        if diff is None:
            return ckpt
        differences.append(f"{ckpt} ({diff})")
    raise ConfigError(f"--ckpt_path last: the {len(found)} last.ckpt under {root} come from other runs (different "
                      f"config): {differences[0]}{' ...' if len(differences) > 1 else ''}; pass the checkpoint "
                      "itself (--ckpt_path PATH) or use a separate --trainer.default_root_dir for each run")


def claim_version(logger) -> None:
    """Give a CSV/TensorBoard ``logger`` a version directory no other run has, created atomically
    (``mkdir`` fails if it exists), so two runs that share a ``default_root_dir`` never write their
    checkpoints or ``config.yaml`` into the same directory."""
    import os
    if logger is None or getattr(logger, "_version", 0) is not None or not hasattr(logger, "_get_next_version"):
        return
    root = Path(logger.root_dir)
    root.mkdir(parents=True, exist_ok=True)
    version = logger._get_next_version()
    while True:
        try:
            os.mkdir(root / f"version_{version}")
        except FileExistsError:
            version += 1
            continue
        logger._version = version
        return


class Interrupted(KeyboardInterrupt):
    """A run stopped by SIGINT or SIGTERM; its ``last.ckpt`` (if one was written) is intact."""


def _atomic_checkpoint_io():
    """A Lightning CheckpointIO that writes each checkpoint to a temporary file beside it and renames
    it into place: an interrupted or failed save (a full disk included) leaves the previous
    ``last.ckpt`` intact and no partial file. Files get the mode the umask gives."""
    import io

    import torch
    from lightning.pytorch.plugins.io import TorchCheckpointIO

    from ..motifs.files import atomic_write_bytes

    class AtomicCheckpointIO(TorchCheckpointIO):
        def save_checkpoint(self, checkpoint, path, storage_options=None):
            buffer = io.BytesIO()
            torch.save(checkpoint, buffer)
            path = Path(path)
            path.parent.mkdir(parents=True, exist_ok=True)
            atomic_write_bytes(path, buffer.getvalue())

    return AtomicCheckpointIO()


def check_checkpoint_fits_data(ckpt_path, data_config) -> None:
    """``validate``/``test``/``predict``: the data's sequence length must be the checkpoint's input
    length; the error names the file, the lengths and the ``--data.seq_len`` fix."""
    import importlib

    from ..data.tables import DataError
    from ..models.io import CheckpointError, read_checkpoint
    if not ckpt_path or ckpt_path in ("last", "best") or data_config is None:
        return
    try:
        meta = read_checkpoint(ckpt_path)["motifzoo"]
        needed = int(meta["input_length"])
    except (CheckpointError, KeyError, TypeError, ValueError):
        return  # Lightning reports what is wrong with the checkpoint itself
    class_path = data_config.get("class_path") if hasattr(data_config, "get") else None
    init_args = data_config.get("init_args") if hasattr(data_config, "get") else None
    if not class_path or init_args is None:
        return
    module, _, name = class_path.rpartition(".")
    datamodule = getattr(importlib.import_module(module), name)(
        **(init_args.as_dict() if hasattr(init_args, "as_dict") else dict(init_args)))
    found = datamodule.input_length
    if found != needed:
        jitter = getattr(datamodule, "jitter", 0) or 0
        path = getattr(datamodule, "path", None) or getattr(datamodule, "genome_path", "the data")
        fix = (f"set --data.seq_len {needed + 2 * jitter}" if hasattr(datamodule, "seq_len")
               else f"re-encode it with `motifzoo encode --seq-len {needed + 2 * jitter}`")
        raise DataError(f"{path}: sequences are {found} bp (after jitter) but checkpoint {ckpt_path} needs "
                        f"{needed} bp; {fix}")


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
    check_config_files(argv)
    from lightning.pytorch import LightningDataModule
    from lightning.pytorch.callbacks import EarlyStopping, ModelCheckpoint
    from lightning.pytorch.cli import LightningArgumentParser, LightningCLI

    from . import array_datamodule, datamodule, genome_datamodule  # noqa: F401  (class_path short names resolve)
    from .module import MotifZooModule

    class SuggestingParser(LightningArgumentParser):
        def error(self, message, *args, **kwargs):
            message = _suggest_key(_flatten_data_error(str(message)), _parser_keys(self))
            if not getattr(self, "exit_on_error", True):
                return super().error(message, *args, **kwargs)
            # one line, not the usage block: motifzoo's CLI prints it as `motifzoo: error: ...`
            raise ConfigError(f"{_one_line(message)} (`motifzoo {argv[0] if argv else 'fit'} --help` lists the options)")

        def add_lightning_class_args(self, lightning_class, nested_key, subclass_mode=False, required=True):
            if nested_key == "data" and subclass_mode:
                # with a default class the type stays LightningDataModule, not Optional[...]: jsonargparse
                # then lets a DataModule's own error (DataError) through instead of wrapping it in a union error
                return self.add_subclass_arguments(lightning_class, nested_key, fail_untyped=False, required=required,
                                                   default={"class_path": "motifzoo.training.datamodule.SequenceDataModule"})
            return super().add_lightning_class_args(lightning_class, nested_key, subclass_mode, required)

    def in_warmup(trainer, pl_module, after_warmup: bool) -> int | None:
        """The model's warm-up length W (:meth:`~motifzoo.models.MotifModel.warmup_epochs`) while the current epoch
        is at most W and selection waits for it (``after_warmup``, and ``max_epochs`` goes past W); else None."""
        if not after_warmup:
            return None
        warmup = pl_module.model.warmup_epochs()
        max_epochs = trainer.max_epochs if trainer.max_epochs is not None else -1
        if 0 <= max_epochs <= warmup or trainer.current_epoch > warmup:
            return None
        return warmup

    class EveryEpochLastCheckpoint(ModelCheckpoint):
        """ModelCheckpoint whose ``last.ckpt`` is the last epoch's. Lightning >= 2.5 writes ``last.ckpt`` only
        in a step that also wrote a top-k checkpoint, so after the best epoch it froze there and
        ``--ckpt_path last`` silently resumed from the best epoch, not the last.

        ``after_warmup``: the best checkpoint is chosen among the epochs from the model's
        :meth:`~motifzoo.models.MotifModel.warmup_epochs` on (the epochs before only hold it until then), so
        a model whose penalties ramp up is kept as the penalties shaped it. Ignored when ``max_epochs`` does
        not reach past the warm-up."""

        def __init__(self, *args, after_warmup: bool = False, **kwargs):
            super().__init__(*args, **kwargs)
            if after_warmup and self.save_top_k != 1:
                raise ConfigError(f"checkpoint.after_warmup needs checkpoint.save_top_k 1, got {self.save_top_k}")
            self.after_warmup = after_warmup

        def check_monitor_top_k(self, trainer, current=None) -> bool:
            # during the warm-up and at its end every epoch replaces the held checkpoint, whatever its score
            if current is not None and in_warmup(trainer, trainer.lightning_module, self.after_warmup) is not None:
                return True
            return super().check_monitor_top_k(trainer, current)

        @property
        def state_key(self) -> str:
            # as ModelCheckpoint's: older checkpoints resume with their best score, and readers of the
            # checkpoint (the report) find it under the usual key
            return super().state_key.replace(type(self).__qualname__, "ModelCheckpoint", 1)

        def on_validation_end(self, trainer, pl_module):
            super().on_validation_end(trainer, pl_module)
            if not self._should_save_on_train_epoch_end(trainer):
                self._save_last_every_epoch(trainer)

        def on_train_epoch_end(self, trainer, pl_module):
            super().on_train_epoch_end(trainer, pl_module)
            if self._should_save_on_train_epoch_end(trainer):
                self._save_last_every_epoch(trainer)

        def _save_last_every_epoch(self, trainer):
            if self.save_last and not self._should_skip_saving_checkpoint(trainer):
                self._save_last_checkpoint(trainer, self._monitor_candidates(trainer))

    class WarmupEarlyStopping(EarlyStopping):
        """EarlyStopping that, with ``after_warmup``, starts counting at the end of the model's warm-up
        (:meth:`~motifzoo.models.MotifModel.warmup_epochs`): scores from before the penalties reached full
        weight neither stop the run nor set the best score to beat."""

        def __init__(self, *args, after_warmup: bool = False, **kwargs):
            super().__init__(*args, **kwargs)
            self.after_warmup = after_warmup

        @property
        def state_key(self) -> str:
            # as EarlyStopping's: runs saved before this subclass resume with their patience count
            return super().state_key.replace(type(self).__qualname__, "EarlyStopping", 1)

        def _run_early_stopping_check(self, trainer) -> None:
            warmup = in_warmup(trainer, trainer.lightning_module, self.after_warmup)
            if warmup is not None and trainer.current_epoch < warmup:
                return
            super()._run_early_stopping_check(trainer)

    class MotifZooCLI(LightningCLI):
        def add_arguments_to_parser(self, parser):
            parser.add_lightning_class_args(EveryEpochLastCheckpoint, "checkpoint")
            parser.set_defaults({"checkpoint.monitor": "val/score", "checkpoint.mode": "max",
                                 "checkpoint.filename": "best", "checkpoint.save_last": True})
            parser.add_lightning_class_args(WarmupEarlyStopping, "early_stopping")
            parser.set_defaults({"early_stopping.monitor": "val/score", "early_stopping.mode": "max",
                                 "early_stopping.patience": 5})
            for key in ("n_targets", "input_length", "task", "target_names"):
                parser.link_arguments(f"data.{key}", f"model.{key}", apply_on="instantiate")
            _add_range_help(parser)

        def before_instantiate_classes(self):
            config = self.config.get(self.subcommand) if self.subcommand else self.config
            check_section_ranges(config)
            if self.subcommand in ("validate", "test", "predict"):
                check_checkpoint_fits_data(config.get("ckpt_path"), config.get("data"))

        def instantiate_trainer(self, **kwargs):
            trainer = super().instantiate_trainer(**kwargs)
            # a failed or interrupted save never leaves a partial checkpoint (or replaces a good one)
            trainer.strategy.checkpoint_io = _atomic_checkpoint_io()
            return trainer

        def _current_config(self) -> dict | None:
            import yaml
            try:
                return yaml.safe_load(self._parser("fit").dump(self.config["fit"], skip_none=False))
            except Exception:  # noqa: BLE001 - a config that does not dump: compare nothing
                return None

        def before_fit(self):
            if self.trainer.is_global_zero and self.trainer.world_size == 1:
                claim_version(self.trainer.logger)
            # `--ckpt_path last`: the newest last.ckpt of this run (same model, data and seed) under the
            # run's root, so re-running an interrupted command resumes it (each run gets a new version directory)
            if self.config_init["fit"].get("ckpt_path") == "last":
                found = find_last_checkpoint(Path(self.trainer.default_root_dir), self._current_config())
                print(f"resuming from {found}")
                self.config_init["fit"]["ckpt_path"] = str(found)

        def _run_subcommand(self, subcommand):
            from lightning.pytorch.trainer.states import TrainerStatus
            try:
                return super()._run_subcommand(subcommand)
            except SystemExit:
                # Lightning ends a run on SIGINT with sys.exit(1), and on SIGTERM with SIGTERMException
                if self.trainer.state.status != TrainerStatus.INTERRUPTED:
                    raise
                callback = self.trainer.checkpoint_callback
                last = Path(callback.dirpath) / "last.ckpt" if callback and callback.dirpath else None
                kept = (f"kept {last}; " if last is not None and last.exists() else "no checkpoint was written yet; ")
                print(f"motifzoo: stopped by a signal at epoch {self.trainer.current_epoch}: {kept}"
                      "run the same command with --ckpt_path last to resume", file=sys.stderr)
                raise Interrupted() from None

    cli = MotifZooCLI(MotifZooModule, LightningDataModule, args=argv, seed_everything_default=0, subclass_mode_data=True,
                      parser_kwargs={"parser_mode": "yaml"}, parser_class=SuggestingParser,
                      trainer_defaults={"max_epochs": 30, "default_root_dir": "runs", "deterministic": "warn"},
                      save_config_kwargs={"overwrite": True}, auto_configure_optimizers=False)
    # on every process: trainer.log_dir is a collective call under DDP, so before the group ends
    result = _result(cli.trainer) if argv and argv[0] == "fit" else None
    _end_process_group()
    return result if cli.trainer.is_global_zero else None  # reported once, not once per process


def _end_process_group() -> None:
    """Destroy the process group of a finished multi-process run (DDP), on every process.

    Lightning leaves it alive; a gloo group still alive when the interpreter shuts down can abort a run that
    succeeded ("terminate called without an active exception", exit -6). Only called after a run that
    returned normally: destroying the group while another process is still in a collective would hang.
    """
    import torch.distributed as dist
    if dist.is_available() and dist.is_initialized():
        dist.destroy_process_group()


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
    except SystemExit as err:  # --help, or an error jsonargparse reports by exiting
        raise ConfigError(f"invalid config or override (see the message above): exit status {err.code}") from None
    if result is None:
        raise RuntimeError("fit() returned no result: not the rank-0 process")
    return result
