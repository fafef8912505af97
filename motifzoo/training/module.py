"""One LightningModule for every model and task: it owns loss, metrics, optimiser and scheduler."""
from __future__ import annotations

import lightning as L
import torch
import torch.nn as nn
import torch.nn.functional as F
from torchmetrics import MeanSquaredError, MetricCollection
from torchmetrics.classification import (BinaryAUROC, BinaryAveragePrecision, MultilabelAUROC,
                                         MultilabelAveragePrecision)
from torchmetrics.regression import PearsonCorrCoef, SpearmanCorrCoef

from ..models.io import checkpoint_metadata
from ..models.registry import coerce_hyperparameters, get_model, model_class
from .errors import ConfigError
from .ranges import check, document_ranges


class _PerTarget(nn.Module):
    """Binary metrics that also work for a single target (torchmetrics' multilabel needs >= 2)."""

    def __init__(self, n_targets: int):
        super().__init__()
        if n_targets == 1:
            self.metrics = MetricCollection({"auroc": BinaryAUROC(), "auprc": BinaryAveragePrecision()})
        else:
            self.metrics = MetricCollection({"auroc": MultilabelAUROC(n_targets, average=None),
                                             "auprc": MultilabelAveragePrecision(n_targets, average=None)})
        self.single = n_targets == 1

    def update(self, logits, y):
        if self.single:
            self.metrics.update(logits[:, 0], y[:, 0].long())
        else:
            self.metrics.update(logits, y.long())

    def compute(self) -> dict[str, torch.Tensor]:
        return {k: v.reshape(-1) for k, v in self.metrics.compute().items()}

    def reset(self):
        self.metrics.reset()


@document_ranges("model")
class MotifZooModule(L.LightningModule):
    """Wrap any registered architecture for training.

    Parameters
    ----------
    arch : str
        Registered model name (``motifzoo list`` shows them).
    arch_kwargs : dict, optional
        The architecture's hyper-parameters (constructor arguments).
    n_targets, input_length, task, target_names
        Normally linked from the data module; set them only when training by hand.
    lr : float
        AdamW learning rate.
    weight_decay : float
        AdamW's decoupled weight decay.
    scheduler : str
        ``plateau`` (halve the LR when the validation score stalls), ``cosine`` or ``none``.
    lr_patience : int
        Epochs without improvement before ``plateau`` lowers the LR.
    """

    def __init__(self, arch: str = "expcnn_shallow", arch_kwargs: dict | None = None, n_targets: int = 1,
                 input_length: int = 200, task: str = "binary", target_names: list[str] | None = None,
                 lr: float = 3e-3, weight_decay: float = 1e-6, scheduler: str = "plateau", lr_patience: int = 2):
        super().__init__()
        for key, value in (("lr", lr), ("weight_decay", weight_decay), ("lr_patience", lr_patience),
                           ("n_targets", n_targets), ("input_length", input_length)):
            check(f"model.{key}", value)
        self.save_hyperparameters()
        arch_kwargs = dict(arch_kwargs or {})
        if task not in ("binary", "regression"):
            raise ConfigError(f"model.task must be 'binary' or 'regression', got {task!r}")
        if scheduler not in ("plateau", "cosine", "none"):
            raise ConfigError(f"model.scheduler must be plateau, cosine or none, got {scheduler!r}")
        try:
            model_class(arch)
        except KeyError as err:
            raise ConfigError(f"model.arch: {err.args[0]}") from None
        for key in ("n_targets", "input_length"):
            if key in arch_kwargs:
                raise ConfigError(f"model.arch_kwargs.{key}: set by the data; remove it from arch_kwargs")
        arch_kwargs = coerce_hyperparameters(arch, arch_kwargs)
        try:
            self.model = get_model(arch, n_targets=n_targets, input_length=input_length, **arch_kwargs)
        except TypeError as err:
            raise ConfigError(f"model.arch_kwargs: {err}") from None
        except ValueError as err:
            raise ConfigError(f"model.arch_kwargs: {err}") from None
        self.task = task
        self.target_names = list(target_names) if target_names else [f"target{i}" for i in range(n_targets)]
        if len(self.target_names) != n_targets:
            raise ConfigError(f"model.target_names has {len(self.target_names)} names for {n_targets} targets")
        self.val_metrics = self._metrics()
        self.test_metrics = self._metrics()

    def _metrics(self) -> nn.Module:
        n = self.hparams.n_targets
        if self.task == "binary":
            return _PerTarget(n)
        return MetricCollection({"pearson": PearsonCorrCoef(num_outputs=n), "spearman": SpearmanCorrCoef(num_outputs=n),
                                 "mse": MeanSquaredError(num_outputs=n)})

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.model(x)

    def _loss(self, out, y):
        if self.task == "binary":
            return F.binary_cross_entropy_with_logits(out, y)
        return F.mse_loss(out, y)

    def training_step(self, batch, batch_idx):
        x, y = batch
        out = self.model(x)
        loss = self._loss(out, y)
        reg = self.model.regularization(self.current_epoch)
        total = loss + reg
        if not torch.isfinite(total):
            raise FloatingPointError(
                f"training loss became {total.item()} at epoch {self.current_epoch}, batch {batch_idx}. Likely causes: "
                "a learning rate too high for exp activations (try --model.lr 1e-4), extreme target values "
                "(standardise regression targets), or NaN/inf in the inputs")
        self.log("train/loss", loss, prog_bar=True, on_step=False, on_epoch=True, batch_size=len(x), sync_dist=True)
        if torch.is_tensor(reg):
            self.log("train/regularization", reg, on_step=False, on_epoch=True, batch_size=len(x))
        return total

    def _eval_step(self, batch, metrics, stage):
        x, y = batch
        out = self.model(x)
        self.log(f"{stage}/loss", self._loss(out, y), on_step=False, on_epoch=True, batch_size=len(x), sync_dist=True)
        if self._sanity_checking():
            # Lightning's sanity check runs a couple of batches: metrics over them mean nothing, and a
            # batch holding one class makes torchmetrics warn; the epochs' metrics use whole-epoch data
            return
        if self.task == "binary":
            metrics.update(out, y)
        else:
            metrics.update(out.squeeze(-1) if out.shape[-1] == 1 else out, y.squeeze(-1) if y.shape[-1] == 1 else y)

    def _sanity_checking(self) -> bool:
        return self._trainer is not None and self.trainer.sanity_checking

    def _eval_end(self, metrics, stage):
        if self._sanity_checking():
            metrics.reset()
            return
        values = metrics.compute()
        metrics.reset()
        for name, v in values.items():
            v = torch.nan_to_num(v.float().reshape(-1), nan=0.0)
            self.log(f"{stage}/{name}", v.mean(), prog_bar=name in ("auroc", "pearson"))
            if len(v) > 1:
                for t, val in zip(self.target_names, v):
                    self.log(f"{stage}/{name}/{t}", val)
        main = values["auroc" if self.task == "binary" else "pearson"]
        self.log(f"{stage}/score", torch.nan_to_num(main.float().reshape(-1), nan=0.0).mean())

    def validation_step(self, batch, batch_idx):
        self._eval_step(batch, self.val_metrics, "val")

    def on_validation_epoch_end(self):
        self._eval_end(self.val_metrics, "val")

    def test_step(self, batch, batch_idx):
        self._eval_step(batch, self.test_metrics, "test")

    def on_test_epoch_end(self):
        self._eval_end(self.test_metrics, "test")

    def predict_step(self, batch, batch_idx):
        out = self.model(batch[0])
        return torch.sigmoid(out) if self.task == "binary" else out

    def configure_optimizers(self):
        opt = torch.optim.AdamW(self.parameters(), lr=self.hparams.lr, weight_decay=self.hparams.weight_decay)
        if self.hparams.scheduler == "none":
            return opt
        if self.hparams.scheduler == "cosine":
            epochs = self.trainer.max_epochs if self.trainer and self.trainer.max_epochs and self.trainer.max_epochs > 0 else 10
            return {"optimizer": opt, "lr_scheduler": torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=epochs)}
        sched = torch.optim.lr_scheduler.ReduceLROnPlateau(opt, mode="max", factor=0.5, patience=self.hparams.lr_patience)
        return {"optimizer": opt, "lr_scheduler": {"scheduler": sched, "monitor": "val/score"}}

    def on_save_checkpoint(self, checkpoint: dict) -> None:
        checkpoint["motifzoo"] = checkpoint_metadata(self.model, target_names=self.target_names, task=self.task,
                                                     input_length=self.hparams.input_length)
        # dropout draws from the global RNG: keep its state so a resumed run continues identically
        checkpoint["rng_torch"] = torch.get_rng_state()

    def on_load_checkpoint(self, checkpoint: dict) -> None:
        if "rng_torch" in checkpoint:
            torch.set_rng_state(checkpoint["rng_torch"])
