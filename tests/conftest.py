import os

import pytest
import torch

os.environ.setdefault("OMP_NUM_THREADS", "2")
torch.set_num_threads(2)


@pytest.fixture(scope="session")
def tiny_sim():
    from motifzoo.data.simulate import simulate
    return simulate("tiny", seed=1)


@pytest.fixture(scope="session")
def tiny_table(tmp_path_factory, tiny_sim):
    d = tmp_path_factory.mktemp("tiny")
    path = d / "tiny.tsv.gz"
    tiny_sim.write(path, d / "planted.meme", d / "sites.tsv")
    return path


@pytest.fixture(scope="session")
def trained_ckpt(tmp_path_factory, tiny_table):
    """A shallow exp CNN trained briefly on the tiny preset through `motifzoo fit`."""
    import contextlib
    import io

    from motifzoo.training.cli import main
    root = tmp_path_factory.mktemp("run")
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        rc = main(["fit", "--config", "configs/expcnn.yaml", "--data.path", str(tiny_table),
                   "--trainer.max_epochs", "6", "--trainer.default_root_dir", str(root),
                   "--model.arch_kwargs.n_filters", "8", "--trainer.enable_model_summary", "false"])
    assert rc == 0, buf.getvalue()
    last = buf.getvalue().strip().splitlines()[-1]
    assert last.startswith("best checkpoint: ")
    return last.split(": ", 1)[1]
