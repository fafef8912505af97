"""The one interface every interpretable model in the zoo implements.

``motifzoo.interpret`` reads models only through :class:`MotifModel`: every attribute and
method below exists on every model, with one default each, so no reader probes with
``getattr``/``hasattr``. A new architecture plugs into motif export, syntax tables, variant
effects and reports by subclassing :class:`MotifModel`, implementing :meth:`motif_filters`,
:meth:`motif_bias` and :meth:`stranded_activations` (and the optional readouts its layers
support), and registering it (:func:`motifzoo.models.register_model`).
"""
from __future__ import annotations

import torch
import torch.nn as nn


def filter_name(index: int) -> str:
    """Name of first-layer filter ``index`` in every export (MEME ids, syntax tables, reports)."""
    return f"filter{index}"


#: slack of the one-hot check: soft inputs (interpolations, "N" as 0.25 each) sum to at most 1 per position
ONE_HOT_TOLERANCE = 1e-3


def check_input(model: "MotifModel", x) -> None:
    """Raise a ``ValueError`` saying what was expected unless ``x`` is a one-hot batch the model can read.

    Expected: a floating-point tensor (N, 4, L) with a length L the model reads
    (:meth:`MotifModel.accepts_length`: ``model.input_length`` unless the architecture says otherwise), values in
    [0, 1] and at most 1 per position summed over the 4 letters (one-hot; all zeros for ``N``; soft
    encodings and interpolations toward them are accepted).
    """
    name = model.model_name or type(model).__name__
    if not isinstance(x, torch.Tensor):
        raise ValueError(f"{name} expects a tensor of one-hot sequences (N, 4, L), got {type(x).__name__}")
    if x.dim() != 3:
        raise ValueError(f"{name} expects one-hot input of shape (batch, 4, length), got {x.dim()} dimensions "
                         f"{tuple(x.shape)}" + (" (add a batch axis: x[None])" if x.dim() == 2 else ""))
    if x.shape[1] != 4:
        hint = " (channels last? use x.transpose(1, 2))" if x.shape[-1] == 4 else ""
        raise ValueError(f"{name} expects one-hot input of shape (batch, 4, length), 4 channels (A, C, G, T) on "
                         f"axis 1, got shape {tuple(x.shape)}{hint}")
    if model.input_length and not model.accepts_length(x.shape[-1]):
        raise ValueError(f"{name} was built for {model.input_length} bp inputs (input_length={model.input_length}), "
                         f"got {x.shape[-1]} bp; pad or crop the sequences to {model.input_length} bp")
    if not x.is_floating_point():
        raise ValueError(f"{name} expects floating-point one-hot input, got dtype {x.dtype}; use x.float()")
    if x.numel() and (float(x.detach().amin()) < -ONE_HOT_TOLERANCE
                      or float(x.detach().sum(1).amax()) > 1 + ONE_HOT_TOLERANCE):
        raise ValueError(f"{name} expects one-hot input: values in [0, 1] summing to at most 1 over the 4 channels "
                         f"at each position, got values in [{float(x.amin()):.3g}, {float(x.amax()):.3g}] and up to "
                         f"{float(x.sum(1).amax()):.3g} per position (encode sequences with motifzoo.one_hot)")


def _check_input(model: "MotifModel", args: tuple, kwargs: dict) -> None:
    check_input(model, args[0] if args else kwargs.get("x"))


class MotifModel(nn.Module):
    """Base class and interface of the zoo's interpretable models.

    Attributes (set on every model, whether built by :func:`~motifzoo.models.get_model` or
    read by :func:`~motifzoo.models.load`)
    ----------
    model_name : str
        Registry name (``"expcnn_shallow"``, ...).
    hparams : dict
        Every constructor argument, defaults filled in: ``get_model(model_name, **hparams)``
        rebuilds the architecture.
    input_length : int
        Sequence length L the model was built for.
    target_names : list of str
        One name per output (``target0``, ... until a checkpoint or the caller names them).
    task : {"binary", "regression"}
        What the outputs are: logits of binary targets, or real values.
    alphabet : str
        Letters of the one-hot channels, in order (``"ACGT"``).
    motif_activation : str
        Name of the first-layer nonlinearity (``"exp"``, ``"relu"``, ...); ``"exp"`` makes a
        filter a log-odds scan.
    motif_strand_aware : bool
        Whether every filter also scans the reverse strand with shared weights
        (:meth:`stranded_activations` then has S = 2).
    has_position_attention : bool
        Whether :meth:`position_attention` returns attention (not ``None``), so readers can
        choose a method before they have data.
    has_units : bool
        Whether the model is built of independent units that a final linear layer combines
        (ExplaiNN): :meth:`unit_outputs` then returns them, and the model also has the unit
        readouts of :mod:`motifzoo.interpret.units` (``pooled_activations(x)`` (N, F, P),
        ``unit_response(pooled)`` (N, F, P) -> (N, F) and ``pooled_bins()`` (P, 2)).

    Every ``model(x)`` call checks ``x`` first (:func:`check_input`): a ``ValueError`` says what was
    expected when it is not a floating-point one-hot batch (N, 4, input_length).
    """

    model_name: str = ""
    alphabet: str = "ACGT"
    motif_activation: str = "exp"
    motif_strand_aware: bool = False
    has_position_attention: bool = False
    has_units: bool = False

    def __init__(self) -> None:
        super().__init__()
        self.hparams: dict = {}
        self.input_length: int = 0
        self.target_names: list[str] = []
        self.task: str = "binary"
        # every model(x) call checks its input once, here, before any architecture sees it
        self.register_forward_pre_hook(_check_input, with_kwargs=True)

    def accepts_length(self, length: int) -> bool:
        """Whether ``model(x)`` reads inputs of ``length`` bp: :attr:`input_length` only, unless the
        architecture computes the same function for other lengths (checked by :func:`check_input`)."""
        return length == self.input_length

    # ------------------------------------------------------------------ first layer (required)
    def motif_filters(self) -> torch.Tensor:
        """First-layer weights, (F, 4, W), with any batch-norm affine folded in."""
        raise NotImplementedError

    def motif_bias(self) -> torch.Tensor:
        """First-layer bias, (F,), with any batch-norm affine folded in."""
        raise NotImplementedError

    def stranded_activations(self, x: torch.Tensor) -> torch.Tensor:
        """Activations per scanned strand, (N, 4, L) -> (N, S, F, L - W + 1); S = 2 when
        :attr:`motif_strand_aware`: strand 1 at position i scores the reverse complement of the
        window starting at i."""
        raise NotImplementedError

    def motif_activations(self, x: torch.Tensor) -> torch.Tensor:
        """First-layer activations after the nonlinearity, forward strand: (N, 4, L) -> (N, F, L - W + 1).

        Position i scans the window ``x[:, :, i:i + W]``.
        """
        return self.stranded_activations(x)[:, 0]

    # ------------------------------------------------------------------ optional readouts
    def motif_pwms(self):
        """Exact PWMs of the first-layer filters, numpy (F, W, 4) with rows summing to 1, when the
        layer is a PWM by construction (``first_layer="pwm"``); ``None`` otherwise, and
        ``model_motifs(method="weights")`` then inverts :meth:`motif_filters`."""
        return None

    def filter_names(self) -> list[str]:
        """One name per first-layer filter, as written to MEME files."""
        return [filter_name(i) for i in range(self.motif_filters().shape[0])]

    def motif_target_weights(self) -> torch.Tensor | None:
        """(F, T) weight of each first-layer filter on each target where the architecture makes it
        readable (e.g. ExplaiNN's final linear layer); ``None`` otherwise."""
        return None

    def motif_site_weights(self) -> torch.Tensor | None:
        """(F, T) weight of each filter's summed site strength on each target, for architectures with a
        per-site (dosage) term beside :meth:`motif_target_weights`: every further site adds this much per
        unit of its strength; ``None`` otherwise."""
        return None

    def motif_position_weights(self) -> torch.Tensor | None:
        """(F, T, B) weight of each filter's strongest instance in each of B position bins on each target, for
        architectures with a per-bin term beside :meth:`motif_target_weights` (``argminn_pairwise`` with
        ``position_bins``): a site that is the filter's strongest in bin b adds this much per unit of its
        strength on top of the position-free weight. The bins cut the window starts 0 .. L - W into B equal
        parts as ``torch.nn.functional.adaptive_max_pool1d`` does. ``None`` otherwise."""
        return None

    def pair_weights(self) -> torch.Tensor | None:
        """Weights of a pairwise syntax layer, (T, C, C, D + 1) with C = S F channels (channel
        ``s * F + f`` = filter f on strand s) and window offsets 0..D; ``None`` for models without one."""
        return None

    def pair_inputs(self, activations: torch.Tensor) -> torch.Tensor:
        """What a pairwise syntax layer multiplies, from first-layer activations (elementwise, any shape):
        ``pair_weights()[t, a, b, k] * pair_inputs(s_a) * pair_inputs(s_b)`` is the change in output from two
        sites of activations s_a and s_b in that arrangement. The activations themselves by default."""
        return activations

    def forward_from_activations(self, stranded: torch.Tensor) -> torch.Tensor | None:
        """The outputs computed from first-layer activations instead of sequences, (N, S, F, L') -> (N, T):
        equals ``model(x)`` for ``stranded_activations(x)`` in eval mode, so readers can ask what the
        model predicts with an activation changed (variant effects). ``None`` where the architecture
        cannot."""
        return None

    def position_attention(self, x: torch.Tensor) -> torch.Tensor | None:
        """Attention on each position relative to uniform, (N, 4, L) -> (N, L - W + 1), for models
        with attention; ``None`` otherwise."""
        return None

    def unit_outputs(self, x: torch.Tensor) -> torch.Tensor | None:
        """Outputs of independent units that a final linear layer combines, (N, 4, L) -> (N, F), for
        unit models (ExplaiNN); ``None`` otherwise."""
        return None

    # ------------------------------------------------------------------ training
    def warmup_epochs(self) -> int:
        """Epochs before :meth:`regularization` reaches its final form (penalty burn-ins and ramps); 0 by default.

        A trainer may choose checkpoints and stop early only from this epoch on (``motifzoo fit`` with
        ``checkpoint.after_warmup`` / ``early_stopping.after_warmup``), so that the kept model is one the
        penalties have shaped, not one from before they acted.
        """
        return 0

    def regularization(self, epoch: int) -> torch.Tensor | float:
        """Extra loss terms (e.g. filter penalties), given the current epoch for schedules; added to
        the task loss by the trainer right after each training forward pass. 0 by default.

        Terms that depend on activations use those of the most recent forward pass *in training
        mode*; every forward pass replaces them, and one in eval mode clears them, so a call after
        an evaluation never reuses activations of an earlier training batch (only terms of the
        weights alone remain).
        """
        return 0.0
