"""Logos and the per-model HTML report."""
import os
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from html import unescape as html_unescape
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

pytest.importorskip("memelite")
pytest.importorskip("logomaker")

import motifzoo  # noqa: E402
from motifzoo.data.encoding import one_hot  # noqa: E402
from motifzoo.motifs import load_jaspar  # noqa: E402
from motifzoo.interpret import read_meme  # noqa: E402
from motifzoo.interpret.annotate import DatabaseError  # noqa: E402
from motifzoo.interpret.logos import (centered_weights, information_matrix, reverse_complement_matrix,  # noqa: E402
                                      save_pwm_logo, save_weight_logo)
from motifzoo.interpret.report import ReportError, write_report  # noqa: E402
from clirun import run

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
#: CTCF, GATA1, SRF: planted as filters 0-2 of a hand-built model; filter 3 stays blank
PLANTED = ["MA0139.2", "MA0035.5", "MA0083.3"]
TARGETS = ["cell_a", "cell_b"]


# --------------------------------------------------------------------------------------------
# Logos
# --------------------------------------------------------------------------------------------
def test_logo_matrices():
    pwm = np.array([[1.0, 0, 0, 0], [0.25, 0.25, 0.25, 0.25], [0.5, 0.5, 0, 0]])
    heights = information_matrix(pwm).to_numpy()
    np.testing.assert_allclose(heights.sum(1), [2.0, 0.0, 1.0], atol=1e-6)
    rc = reverse_complement_matrix(information_matrix(pwm))
    np.testing.assert_allclose(rc.iloc[0].to_numpy(), [0, 0, 0.5, 0.5], atol=1e-6)  # AC column -> GT, now first
    np.testing.assert_allclose(rc.iloc[2].to_numpy(), [0, 0, 0, 2.0], atol=1e-6)  # A -> T, now last
    w = np.random.default_rng(0).normal(size=(4, 7)) + 5.0
    centered = centered_weights(w)
    np.testing.assert_allclose(centered.sum(1), 0, atol=1e-12)
    np.testing.assert_allclose(centered.to_numpy().T, w - w.mean(0), atol=1e-12)
    with pytest.raises(ValueError, match=r"shape \(4, W\)"):
        centered_weights(np.zeros((7, 4)))
    with pytest.raises(ValueError, match="NaN or infinite"):
        centered_weights(np.full((4, 3), np.nan))


def test_logos_write_valid_png_and_svg(tmp_path):
    ctcf = load_jaspar(["MA0139.2"])[0]
    png = save_pwm_logo(ctcf.pwm, tmp_path / "ctcf.png", title="CTCF")
    svg = save_pwm_logo(ctcf.pwm, tmp_path / "ctcf_rc.svg", reverse_complement=True)
    wpng = save_weight_logo(np.log(np.clip(ctcf.pwm.T, 0.01, 1) / 0.25), tmp_path / "weights.png")
    assert png.read_bytes()[:8] == PNG_SIGNATURE and wpng.read_bytes()[:8] == PNG_SIGNATURE
    assert png.stat().st_size > 2000  # not a blank image
    root = ET.parse(svg).getroot()
    assert root.tag.endswith("svg") and len(list(root.iter())) > 50
    with pytest.raises(ValueError, match=r"\.png or \.svg"):
        save_pwm_logo(ctcf.pwm, tmp_path / "ctcf.jpg")


# --------------------------------------------------------------------------------------------
# A model with known motifs
# --------------------------------------------------------------------------------------------
def planted_model(blank: bool = False, ids=PLANTED):
    """An exp CNN whose first filters are the log-odds PWMs of ``ids`` (the others blank): reading PWMs
    from the weights (p ∝ 0.25·exp(w)) gives the JASPAR matrices back exactly."""
    model = motifzoo.get_model("expcnn_shallow", n_targets=len(TARGETS), input_length=100, n_filters=4,
                               filter_width=19, pool_size=25, hidden=8)
    with torch.no_grad():
        model.scanner.conv.weight.zero_()
        if not blank:
            for f, motif in enumerate(load_jaspar(ids)):
                logodds = np.log(np.clip(motif.pwm, 1e-3, 1) / 0.25).T
                model.scanner.conv.weight[f, :, 2:2 + motif.width] = torch.as_tensor(logodds, dtype=torch.float32)
        model.scanner.bn.weight.fill_(1.0)
        model.scanner.bn.bias.zero_()
    model.target_names, model.task, model.input_length = TARGETS, "binary", 100
    return model.eval()


class Page(HTMLParser):
    """Collects the ids, image sources and links of a page."""

    def __init__(self, text):
        super().__init__()
        self.ids, self.images, self.links, self.scripts = set(), [], [], 0
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "id" in attrs:
            self.ids.add(attrs["id"])
        if tag == "img":
            self.images.append(attrs["src"])
        if tag == "a":
            self.links.append(attrs["href"])
        if tag in ("script", "link", "iframe"):
            self.scripts += 1


class ReadableModel(type(planted_model())):
    """The planted model plus the two optional readouts of the interface (as ExplaiNN and
    argminn_pairwise provide them): target weights and a pairwise syntax layer with one rule,
    filter0 then filter1 25 windows downstream, raising cell_a."""

    #: window offsets 0..MAX_DISTANCE in the pairwise layer
    MAX_DISTANCE = 30

    def motif_target_weights(self):
        return torch.tensor([[2.0, -0.5], [0.1, 1.5], [-1.0, 0.0], [0.0, 0.0]])

    def motif_site_weights(self):
        """per-site (dosage) weights, as argminn_pairwise(dosage=True) has them"""
        return torch.tensor([[0.3, 0.0], [0.0, -0.7], [0.0, 0.0], [0.0, 0.0]])

    def motif_position_weights(self):
        """(F, T, 3) per-bin weights, as argminn_pairwise(position_bins=3) has them"""
        w = self.motif_target_weights()[:, :, None].repeat(1, 1, 3)
        w[0, 0] = torch.tensor([1.0, 4.0, 1.0])  # filter0 on cell_a: counts more when centred
        return w

    @property
    def pair_mask(self) -> torch.Tensor:
        """(C, C, D + 1): the one stored arrangement (as argminn_pairwise masks its kernel)."""
        mask = torch.zeros(4, 4, self.MAX_DISTANCE + 1)
        mask[0, 1, 25] = 1.0
        return mask

    def pair_weights(self) -> torch.Tensor:
        # tiny: a rule's effect is K times the activations of two typical sites (~1e4 to 1e7 here)
        kernel = torch.zeros(len(TARGETS), 4, 4, self.MAX_DISTANCE + 1)
        kernel[0, 0, 1, 25] = 1e-9
        return kernel


def lightning_like_checkpoint(run: Path) -> Path:
    """The planted model saved the way `motifzoo fit` leaves a run: checkpoints/best.ckpt with the
    training state, beside config.yaml and metrics.csv."""
    plain = run / "plain.ckpt"
    motifzoo.save(planted_model(), plain, target_names=TARGETS, task="binary")
    raw = torch.load(plain, weights_only=True)
    raw.update(epoch=3, global_step=120, hyper_parameters={"lr": 0.002, "weight_decay": 1e-6},
               callbacks={"ModelCheckpoint{'monitor': 'val/score'}": {"monitor": "val/score",
                                                                     "best_model_score": torch.tensor(0.875)}})
    (run / "checkpoints").mkdir()
    torch.save(raw, run / "checkpoints" / "best.ckpt")
    (run / "config.yaml").write_text("seed_everything: 7\ndata:\n  class_path: motifzoo.SequenceDataModule\n"
                                     "  init_args:\n    path: /data/cells.tsv.gz\n    batch_size: 64\n")
    (run / "metrics.csv").write_text("epoch,step,train/loss,val/auroc/cell_a,val/score\n0,30,0.69,,\n0,30,,0.6,0.6\n"
                                     "1,60,0.5,,\n1,60,,0.7,0.7\n2,90,,0.8,0.8\n3,120,,0.91,0.875\n")
    return run / "checkpoints" / "best.ckpt"


@pytest.fixture(scope="module")
def report(tmp_path_factory, tiny_sim):
    """A report of the planted model with both readouts, its checkpoint and sequences (the tiny preset
    plants CTCF and GATA1, so the syntax readout finds co-occurring instances)."""
    model = ReadableModel(n_targets=len(TARGETS), input_length=100, n_filters=4, filter_width=19, pool_size=25,
                          hidden=8)
    model.load_state_dict(planted_model().state_dict())
    model.target_names, model.task, model.input_length = TARGETS, "binary", 100
    ckpt = lightning_like_checkpoint(tmp_path_factory.mktemp("run"))
    out = tmp_path_factory.mktemp("report") / "planted"
    data = one_hot(tiny_sim.sequences)
    labels = pd.DataFrame({"cell_a": tiny_sim.targets.iloc[:, 0].to_numpy(),
                           "split": np.where(np.arange(len(data)) % 5 == 0, "test", "train")})
    index = write_report(model.eval(), out, data, checkpoint=ckpt, method="weights", labels=labels)
    return out, index.read_text()


def test_report_names_the_planted_motifs(report):
    out, page = report
    table = pd.read_csv(out / "annotation.tsv", sep="\t").set_index("filter")
    assert list(table.loc[[0, 1, 2], "match_id"]) == PLANTED
    assert table.loc[[0, 1, 2], "significant"].all() and 3 not in table.index  # the blank filter is left out
    assert list(table.loc[[0, 1, 2], "weight:cell_a"]) == [2.0, 0.1, -1.0]
    assert table["cluster"].nunique() == 3  # three different motifs, three groups
    motif_section = page.split("id='motif-table'")[1].split("</table>")[0]
    for motif_id, tf in zip(PLANTED, ["CTCF", "GATA1", "SRF"]):
        assert motif_id in motif_section and tf in motif_section
    # the annotated MEME names every motif by its match
    assert {m.name: m.altname for m in read_meme(out / "motifs.meme")}["filter1"] == "GATA1_MA0035.5"


def test_report_sections_links_and_files(report, tiny_sim):
    out, page = report
    parsed = Page(page)
    assert {"model-card", "performance", "importance", "motifs", "filters", "syntax", "downloads"} <= parsed.ids
    for heading in ("Model card", "Hyper-parameters", "Motif extraction", "Which motif drives which target",
                    "Test metrics", "Syntax rules", "Downloads"):
        assert heading in page
    assert "expcnn_shallow" in page and "JASPAR 2024 CORE vertebrates" in page
    card = page.split("id='model-card'")[1].split("</section>")[0]
    for row in ("<td>best val/score</td><td>0.875</td>", "<td>val/auroc/cell_a</td><td>0.91</td>",
                "<td>epoch saved</td><td>3</td>", "<td>training path</td><td>/data/cells.tsv.gz</td>",
                "<td>training: lr</td><td>0.002</td>", "<td>training: seed</td><td>7</td>",
                "<td>n_filters</td><td>4</td>", "<td>targets</td><td>cell_a, cell_b</td>"):
        assert row in card, row
    # index.html stands alone: every image embedded, one inline script (table sorting), nothing fetched
    assert parsed.scripts == 1 and "<script src" not in page
    assert all(src.startswith("data:image/png;base64,") for src in parsed.images)
    assert len(parsed.images) >= 2 * 3 + 3  # logos, weight logos, heatmap, training curve, spacing
    local = [h for h in parsed.links if not h.startswith(("http", "#"))]
    for ref in local:
        assert (out / ref).exists(), ref
    for name in ("motifs.meme", "annotation.tsv", "filters.tsv", "importance.tsv", "target_weights.tsv"):
        assert name in local
    assert sorted(p.name for p in out.iterdir()) == sorted(set(local) | {"index.html"})  # no unused files
    assert pd.read_csv(out / "target_weights.tsv", sep="\t", index_col=0).shape == (4, 2)
    # the dosage term's weights: downloadable and drawn beside the strongest-site weights
    site = pd.read_csv(out / "site_weights.tsv", sep="\t", index_col=0)
    assert site.loc["filter0", "cell_a"] == pytest.approx(0.3) and site.loc["filter1", "cell_b"] == pytest.approx(-0.7)
    importance = page.split("id='importance'")[1].split("</section>")[0]
    assert "site_weights.tsv" in importance
    # the per-bin weights: columns named by target and the bp range of window starts (100 bp, width 19: 82 windows)
    bins = pd.read_csv(out / "position_weights.tsv", sep="\t", index_col=0)
    assert list(bins.columns) == ["cell_a 1-28", "cell_a 28-55", "cell_a 55-82", "cell_b 1-28", "cell_b 28-55",
                                  "cell_b 55-82"]
    assert list(bins.loc["filter0"])[:3] == [1.0, 4.0, 1.0] and bins.loc["filter1", "cell_b 55-82"] == 1.5
    assert "position_weights.tsv" in importance and importance.count("<img") == 3
    # test metrics with the positives per target, from the labels' split column
    metrics = page.split("id='metrics-table'")[1].split("</table>")[0]
    n_test = int((np.arange(len(tiny_sim.sequences)) % 5 == 0).sum())
    assert "cell_a" in metrics and "positives" in metrics and "AUROC" in metrics and f">{n_test}<" in metrics
    assert "training curve" in page
    # sortable tables; site counts, fraction of sequences with a site and enrichment on the page
    assert page.count("class='sortable'") >= 3 and "seqs with site" in page and "enrichment vs shuffled" in page
    rules = page.split("id='syntax-table'")[1].split("</table>")[0]
    assert "filter0" in rules and "filter1" in rules and "cell_a" in rules
    table = pd.read_csv(out / "syntax_rules.tsv", sep="\t")
    top = table.iloc[0]
    assert (top["motif_a"], top["motif_b"], top["target"]) == ("filter0", "filter1", "cell_a")
    assert top["effect"] > 0 and top["method"] == "weights"
    assert "spacing histograms" in page


def test_report_without_readouts_says_why(tmp_path):
    index = write_report(planted_model(ids=PLANTED[:1]), tmp_path / "r", method="weights")
    page = index.read_text()
    ids = Page(page).ids
    assert "motifs" in ids and "syntax" not in ids
    importance = page.split("id='importance'")[1].split("</section>")[0]
    assert "no readable motif -&gt; target weights" in importance and "pass --data" in importance
    assert "Test metrics need --data" in page
    assert not (tmp_path / "r" / "target_weights.tsv").exists() and not (tmp_path / "r" / "importance.tsv").exists()
    assert not (tmp_path / "r" / "site_weights.tsv").exists() and "dosage" not in importance
    assert not (tmp_path / "r" / "position_weights.tsv").exists() and "position bin" not in importance


def test_report_measures_importance_for_models_without_weights(tmp_path, tiny_sim):
    """The planted model has no readable weights: occluding each motif's sites gives the heatmap."""
    data = one_hot(tiny_sim.sequences)
    index = write_report(planted_model(), tmp_path / "r", data[:300], method="weights", syntax=False)
    page = index.read_text()
    importance = pd.read_csv(tmp_path / "r" / "importance.tsv", sep="\t", index_col=0)
    assert list(importance.columns) == TARGETS and set(importance.index) == {"filter0", "filter1", "filter2"}
    assert np.isfinite(importance.to_numpy()).all() and np.abs(importance.to_numpy()).max() > 0
    assert "replaced by N" in page and "has no readable motif -&gt; target weights, so the effect is measured" in page
    assert "motif to target importance heatmap" in page


def test_occlusion_importance_finds_the_motif_that_drives_a_target():
    """A target driven by one planted motif: occluding that motif's sites lowers it most."""
    from motifzoo.interpret.importance import occlusion_importance
    gata = "".join("ACGT"[i] for i in load_jaspar(["MA0035.5"])[0].pwm.argmax(1))
    rng = np.random.default_rng(0)
    seqs = ["".join(rng.choice(list("ACGT"), 100)) for _ in range(40)]
    seqs = [s[:40] + gata + s[40 + len(gata):] if i % 2 else s for i, s in enumerate(seqs)]
    model = planted_model()
    table = occlusion_importance(model, one_hot(seqs), filters=[0, 1, 2], threshold=0.5)
    assert table.shape == (3, 2) and list(table.index) == ["filter0", "filter1", "filter2"]
    assert table.attrs["measure"] == "change of the mean predicted probability"
    assert np.abs(table.loc["filter1"]).max() > 0
    with torch.no_grad():  # a model that ignores its input: occluding changes nothing
        for p in model.head.parameters():
            p.zero_()
    table = occlusion_importance(model, one_hot(seqs), filters=[0, 1, 2], threshold=0.5)
    np.testing.assert_allclose(table.to_numpy(), 0, atol=1e-6)


def test_logo_text_is_at_least_10_px_on_the_page():
    from matplotlib.text import Text

    from motifzoo.interpret.logos import match_logo_figure, pwm_logo_figure, weight_logo_figure
    from motifzoo.interpret.report import DISPLAY_DPI, heatmap_figure, training_curve_figure
    ctcf, gata = load_jaspar(["MA0139.2", "MA0035.5"])
    figures = [pwm_logo_figure(ctcf.pwm, title="CTCF"), weight_logo_figure(np.log(ctcf.pwm.T + 0.01), "w"),
               match_logo_figure(gata, ctcf, 0, "+"),
               heatmap_figure(pd.DataFrame([[1.0, -1.0]], columns=TARGETS, index=["filter0"]), ["filter0"]),
               training_curve_figure(pd.DataFrame({"epoch": [0, 1], "train/loss": [0.7, 0.5],
                                                   "val/score": [0.6, 0.7]}))]
    for fig in figures:
        fig.canvas.draw()
        sizes = [t.get_fontsize() * DISPLAY_DPI / 72 for t in fig.findobj(Text) if t.get_text().strip()
                 and t.get_visible()]
        # logomaker's letters are paths, not text: every Text is a label, tick or title
        assert sizes and min(sizes) >= 10, sorted(sizes)[:3]


def test_report_errors(tmp_path, report):
    out, _ = report
    with pytest.raises(DatabaseError, match="motif database not found: .*missing.meme"):
        write_report(planted_model(), tmp_path / "r", database=tmp_path / "missing.meme")
    assert not (tmp_path / "r").exists()  # nothing written
    with pytest.raises(ReportError, match="no informative motifs: of 4 filters.*4 flat"):
        write_report(planted_model(blank=True), tmp_path / "r", method="weights")
    assert not (tmp_path / "r").exists()
    with pytest.raises(ReportError, match="already exists; pass --force"):
        write_report(planted_model(), out, method="weights")
    with pytest.raises(ReportError, match="does not exist"):
        write_report(planted_model(), tmp_path / "no" / "dir", method="weights")


def test_report_cli_help_documents_every_option():
    from motifzoo.cli.report import add_report_arguments
    import argparse
    parser = argparse.ArgumentParser()
    add_report_arguments(parser)
    undocumented = [a.dest for a in parser._actions if not a.help]
    assert not undocumented
    rc, out, _ = run(["report", "--help"])
    assert rc == 0
    for option in ("--data", "--database", "--force", "--q-threshold", "--method", "-d", "--min-sites",
                   "--enrichment-p", "--trim-ic", "--keep-all", "--min-enrichment", "--min-site-fraction", "--device"):
        assert option in out


def test_report_cli_errors(tmp_path):
    ckpt = tmp_path / "blank.ckpt"
    motifzoo.save(planted_model(blank=True), ckpt, target_names=TARGETS, task="binary")
    rc, _, err = run(["report", str(ckpt), "-o", str(tmp_path / "r")])
    assert rc == 2 and "no informative motifs" in err and "pass --data" in err
    rc, _, err = run(["report", str(ckpt), "-o", str(tmp_path / "r"), "--database", "nope.meme"])
    assert rc == 2 and "motif database not found: nope.meme" in err
    rc, _, err = run(["report", str(tmp_path / "none.ckpt"), "-o", str(tmp_path / "r")])
    assert rc == 2 and "checkpoint not found" in err


@pytest.mark.slow
def test_report_cli_on_a_trained_checkpoint(trained_ckpt, tiny_table, tmp_path):
    """The command `motifzoo demo` runs: a Lightning checkpoint, its run files and --data."""
    out = tmp_path / "report"
    rc, stdout, err = run(["report", trained_ckpt, "-o", str(out), "--data", str(tiny_table), "--force",
                           "--min-ic", "0"])
    assert rc == 0, err
    page = (out / "index.html").read_text()
    assert "best val/score" in page and "training path" in page and str(tiny_table) in page
    assert "activations on" in page
    rc, _, err = run(["report", trained_ckpt, "-o", str(out), "--data", str(tiny_table), "--min-ic", "0"])
    assert rc == 2 and "already exists; pass --force" in err


def _chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


MEASURE = """<script>window.addEventListener('load', function () {
  var widest = 0, who = '';
  document.querySelectorAll('body *').forEach(function (el) {
    var r = el.getBoundingClientRect();
    if (r.right > widest && !el.closest('.wide')) { widest = r.right; who = el.tagName + '.' + el.className; }
  });
  var table = document.getElementById('filter-table'), heads = Array.from(table.querySelectorAll('thead th'));
  var col = heads.findIndex(function (h) { return h.textContent.trim() === 'bits'; });
  heads[col].click();  // the inline script sorts by the clicked column
  var bits = Array.from(table.tBodies[0].rows).map(function (r) { return parseFloat(r.cells[col].textContent); });
  parent.postMessage(JSON.stringify({scroll: document.documentElement.scrollWidth,
    inner: window.innerWidth, widest: widest, who: who, bits: bits}), '*');
});</script>"""
#: headless Chromium windows are at least 500 px wide: the page is shown in a 400 px frame instead, and
#: reports its measures to the frame's parent, whose DOM --dump-dom prints
FRAME = """<!DOCTYPE html><html><body style='margin:0'>
<iframe src='probe.html' style='width:400px;height:3000px;border:0'></iframe>
<script>window.addEventListener('message', function (e) { document.body.setAttribute('data-measure', e.data); });
</script></body></html>"""


def _render(browser: str, page: Path, width: int, tmp_path: Path, extra=()) -> subprocess.CompletedProcess:
    cmd = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
           "--disable-component-update", "--disable-sync", "--hide-scrollbars", f"--user-data-dir={tmp_path / 'profile'}",
           f"--window-size={width},2000", "--virtual-time-budget=5000", *extra, page.resolve().as_uri()]
    env = {**os.environ, "HOME": str(tmp_path)}
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120, env=env)


def test_report_renders_in_headless_chromium_at_400_px(report, tmp_path):
    """The page in a real browser: it draws, and at 400 px wide nothing but the scrolling table boxes is wider
    than the window (no horizontal page scroll)."""
    import json
    browser = _chromium()
    if browser is None:
        message = ("headless Chromium not installed (Debian: apt-get install chromium), so the report was not "
                   "rendered and its 400 px layout not checked")
        print(f"SKIPPED: {message}")
        pytest.skip(message)
    out, page = report
    shot = tmp_path / "report.png"
    result = _render(browser, out / "index.html", 1200, tmp_path, [f"--screenshot={shot}"])
    assert shot.exists(), result.stderr[-2000:]
    data = shot.read_bytes()
    assert data[:8] == PNG_SIGNATURE and len(data) > 20_000  # a page with logos, not a blank screen
    probe = tmp_path / "probe.html"  # the page plus a script that measures it once loaded
    probe.write_text(page.replace("</body>", MEASURE + "</body>"))
    (tmp_path / "frame.html").write_text(FRAME)
    result = _render(browser, tmp_path / "frame.html", 800, tmp_path, ["--dump-dom"])
    found = re.search(r"data-measure=\"([^\"]+)\"", result.stdout)
    assert found, result.stderr[-2000:]
    measure = json.loads(html_unescape(found.group(1)))
    print(f"400 px window: page {measure['scroll']} px wide, widest element outside scroll boxes "
          f"{measure['widest']:.0f} px ({measure['who']})")
    assert measure["inner"] == 400
    assert measure["scroll"] <= measure["inner"], measure
    assert measure["widest"] <= measure["inner"] + 0.5, measure
    # a click on a column header sorts the table by it
    assert len(measure["bits"]) >= 3 and measure["bits"] == sorted(measure["bits"]), measure["bits"]


def test_metric_helpers():
    from motifzoo.interpret.metrics import auroc, average_precision
    from motifzoo.interpret.report import split_metrics
    y = np.array([0, 0, 1, 1])
    assert auroc(y, np.array([0.1, 0.4, 0.35, 0.8])) == 0.75
    assert auroc(y, np.array([0.1, 0.2, 0.3, 0.4])) == 1.0 and np.isnan(auroc(np.ones(3), np.arange(3.0)))
    assert auroc(y, np.array([0.5, 0.5, 0.5, 0.5])) == 0.5  # ties count half
    assert average_precision(y, np.array([0.1, 0.4, 0.35, 0.8])) == pytest.approx((1 + 2 / 3) / 2)
    model = planted_model()
    model.task = "regression"
    x = one_hot(["ACGT" * 25] * 6)
    labels = pd.DataFrame({"cell_a": np.arange(6.0), "cell_b": np.ones(6), "split": ["test"] * 4 + ["train"] * 2})
    table, note = split_metrics(model, x, labels)
    assert list(table.columns) == ["target", "n", "Pearson r", "Spearman r"] and set(table["n"]) == {4}
    assert "split = test" in note
    table, note = split_metrics(model, x, labels.drop(columns="split"))
    assert table is None and "no split column" in note


def test_predict_writes_raw_values_for_regression(tmp_path):
    model = planted_model()
    ckpt = tmp_path / "reg.ckpt"
    motifzoo.save(model, ckpt, target_names=TARGETS, task="regression")
    seqs = ["ACGT" * 25, "A" * 100, "GATA" * 25]
    (tmp_path / "x.fa").write_text("".join(f">s{i}\n{s}\n" for i, s in enumerate(seqs)))
    rc, _, err = run(["predict", str(ckpt), "--data", str(tmp_path / "x.fa"), "-o", str(tmp_path / "p.tsv")])
    assert rc == 0, err
    preds = pd.read_csv(tmp_path / "p.tsv", sep="\t")
    assert list(preds.columns) == ["name", *TARGETS] and list(preds["name"]) == ["s0", "s1", "s2"]
    expected = model.eval()(one_hot(seqs)).detach().numpy()
    np.testing.assert_allclose(preds[TARGETS].to_numpy(), expected, rtol=1e-4, atol=1e-5)
