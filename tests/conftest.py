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
    import motifzoo
    root = tmp_path_factory.mktemp("run")
    result = motifzoo.fit("configs/expcnn.yaml", data={"path": str(tiny_table)},
                          trainer={"max_epochs": 6, "default_root_dir": str(root), "enable_model_summary": False},
                          model={"arch_kwargs": {"n_filters": 8}})
    assert result.best_checkpoint.exists() and result.best_checkpoint.name == "best.ckpt"
    assert (result.run_dir / "config.yaml").exists() and "val/score" in result.metrics
    return str(result.best_checkpoint)
