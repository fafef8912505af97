"""Reading checkpoints written by earlier versions of motifzoo.

Format 1 (motifzoo up to the one-scanner refactor) stored only the constructor arguments that
were passed to :func:`~motifzoo.models.get_model`, so a model rebuilt from it takes every other
argument from the defaults of the version that reads it. :data:`FORMAT1_DEFAULTS` freezes the
defaults of the last format-1 version, so an old checkpoint rebuilds the model it was trained as
whatever the defaults become (e.g. argminn's ``relative_range`` stays 0, off). Arguments renamed
since are mapped by :func:`upgrade_hparams`, and state-dict keys by :func:`upgrade_state`.

An argument added after format 1 must default to the old behaviour, or be added here with the
value that keeps it.

Format 2 stores every argument, defaults filled in, under today's names.
"""
from __future__ import annotations

from .scanner import STRAND_ALIASES

#: the checkpoint format :func:`motifzoo.save` writes
FORMAT_VERSION = 2

#: every argument's default (except n_targets, input_length) in the last version that wrote format 1
FORMAT1_DEFAULTS: dict[str, dict] = {
    "argminn": {"n_filters": 8, "filter_width": 15, "activation": "relu", "both_strands": True, "pos_dim": 16,
                "hidden_dim": 32, "stream_dim": 128, "n_layers": 2, "n_heads": 4, "dropout": 0.0,
                "relative_range": 0, "relative_scale": 1.0, "l1_weight": 0.01, "l1_burn_in": 10, "l1_ramp": 5,
                "overlap_weight": 0.1, "overlap_burn_in": 10, "overlap_ramp": 5, "entropy_weight": 0.0,
                "entropy_burn_in": 10, "entropy_ramp": 5, "ramp_start": 0.001},
    "argminn_pairwise": {"n_filters": 8, "filter_width": 15, "activation": "relu", "both_strands": True,
                         "max_distance": 60, "pair_l1": 0.0001, "pair_smooth": 0.001, "dropout": 0.0,
                         "l1_weight": 0.05, "l1_burn_in": 2, "l1_ramp": 4, "overlap_weight": 0.5,
                         "overlap_burn_in": 2, "overlap_ramp": 4, "ramp_start": 0.001},
    "expcnn_deep": {"n_filters": 32, "filter_width": 19, "activation": "exp", "first_pool": 4, "channels": [64, 96],
                    "widths": [7, 5], "pool_size": 4, "hidden": 256, "dropout": 0.2, "first_layer": "free",
                    "strands": "single"},
    "expcnn_shallow": {"n_filters": 32, "filter_width": 19, "activation": "exp", "pool_size": 25, "hidden": 128,
                       "dropout": 0.1, "first_layer": "free", "strands": "single"},
    "explainn": {"n_units": 100, "filter_width": 19, "pool_size": 7, "pool_stride": 7, "n_fc": 2, "fc_hidden": 100,
                 "dropout": 0.3, "activation": "exp"},
}



def _both_strands(value: bool) -> str:
    return "both" if value else "forward"


def _strand_spelling(value: str) -> str:
    return STRAND_ALIASES.get(value, value)


#: format-1 argument -> (today's name, value converter), per model: one name per idea across models
RENAMED: dict[str, dict[str, tuple[str, object]]] = {
    "argminn": {"both_strands": ("strands", _both_strands), "hidden_dim": ("hidden", None)},
    "argminn_pairwise": {"both_strands": ("strands", _both_strands)},
    "expcnn_shallow": {"strands": ("strands", _strand_spelling)},
    "expcnn_deep": {"strands": ("strands", _strand_spelling)},
    "explainn": {"fc_hidden": ("hidden", None)},
}


def upgrade_hparams(model: str, hparams: dict, fmt: int) -> dict:
    """Constructor arguments of a checkpoint of format ``fmt``, as today's ``get_model(model, ...)`` takes them.

    Format 1: the stored arguments over :data:`FORMAT1_DEFAULTS`, renamed by :data:`RENAMED`.
    Format 2: unchanged.
    """
    if fmt >= 2:
        return dict(hparams)
    full = {**FORMAT1_DEFAULTS.get(model, {}), **hparams}
    renames = RENAMED.get(model, {})
    out = {}
    for key, value in full.items():
        new, convert = renames.get(key, (key, None))
        out[new] = convert(value) if convert is not None else value
    return out


#: format-1 state-dict key prefix -> today's prefix, per model
RENAMED_STATE: dict[str, dict[str, str]] = {
    # ExplaiNN's conv and batch norm became its Scanner
    "explainn": {"conv.": "scanner.conv.", "bn.": "scanner.bn."},
}


def upgrade_state(model: str, state: dict, fmt: int) -> dict:
    """State dict of a checkpoint of format ``fmt`` (prefix already stripped) under today's keys."""
    prefixes = RENAMED_STATE.get(model, {}) if fmt < 2 else {}
    out = {}
    for key, value in state.items():
        for old, new in prefixes.items():
            if key.startswith(old):
                key = new + key[len(old):]
                break
        out[key] = value
    return out
