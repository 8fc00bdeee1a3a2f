"""The digit model that ships with the package: what `predict`, `read` and `finetune` use before anyone has trained
one, said in one line on stderr, and what its JSON records about it."""
import json, re
from pathlib import Path
import pytest
from conftest import ROOT, cli

EXAMPLES = ROOT/'mnist_digits'/'examples'

@pytest.fixture(scope='module')
def shipped() -> dict:
    "The shipped model's JSON, read from the installed package."
    from mnist_digits.runtime import SHIPPED_MODEL
    return json.loads(Path(SHIPPED_MODEL).with_suffix('.json').read_text())

def said(meta:dict) -> str:
    "The line on stderr when the shipped model stands in for models/."
    return (f"no model in models/: using the model that ships with mnist_digits (handwriting, "
            f"{meta['test_accuracy']:.2%} on MNIST's test set; train your own with mnist-digits train)\n")

def test_predict_without_a_model(tmp_path, shipped):
    proc = cli('predict', str(EXAMPLES/'seven.png'), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == said(shipped)  # exactly one line
    assert re.fullmatch(r'.*seven\.png: \d, \d+\.\d% sure \(runner-up \d, \d+\.\d%\)\n', proc.stdout), proc.stdout
    as_json = cli('predict', str(EXAMPLES/'seven.png'), '--json', cwd=tmp_path)
    assert as_json.returncode == 0 and as_json.stderr == said(shipped), as_json.stderr
    answer, = json.loads(as_json.stdout)  # standard output stays pure JSON
    assert answer['digit'] in range(10) and f": {answer['digit']}, " in proc.stdout
    assert not (tmp_path/'models').exists()  # nothing written

def test_read_without_a_model(tmp_path, shipped):
    proc = cli('read', str(EXAMPLES/'number.png'), cwd=tmp_path)
    assert proc.returncode == 0 and proc.stderr == said(shipped), proc.stderr
    assert re.fullmatch(r'.*number\.png: \d+ \(.*\)\n', proc.stdout), proc.stdout
    as_json = cli('read', str(EXAMPLES/'number.png'), '--json', cwd=tmp_path)
    assert as_json.returncode == 0 and as_json.stderr == said(shipped), as_json.stderr
    answer, = json.loads(as_json.stdout)
    assert answer['number'].isdigit() and f": {answer['number']} (" in proc.stdout

def test_a_named_model_must_exist(tmp_path):
    "A model you name is never replaced by the shipped one: a typo is one line and exit code 2."
    for command, image in (('predict', 'seven.png'), ('read', 'number.png')):
        proc = cli(command, str(EXAMPLES/image), '--model', 'nothing', cwd=tmp_path)
        assert proc.returncode == 2 and proc.stderr == (
            f"mnist-digits {command}: error: no model at nothing.json: train one with `mnist-digits train`, "
            "or give the path of a .safetensors file with its .json beside it\n"), proc.stderr

def test_evaluate_still_asks_for_a_model(tmp_path):
    "evaluate writes its report beside the model, and the shipped one lives inside the package: it asks for one."
    proc = cli('evaluate', cwd=tmp_path)
    assert proc.returncode == 2 and proc.stderr.count('\n') == 1 and 'no model in models/' in proc.stderr, proc.stderr

def test_json_records_accuracy_and_origin(shipped):
    assert isinstance(shipped['test_accuracy'], float) and 0.9 < shipped['test_accuracy'] <= 1
    assert {'command', 'seed', 'commit'} <= set(shipped['made_by']), shipped.get('made_by')
    manifest = (ROOT/'MANIFEST.in').read_text().splitlines()
    assert {'include mnist_digits/handwriting.safetensors', 'include mnist_digits/handwriting.json'} <= set(manifest)

def test_recorded_accuracy_is_measured(shipped, mnist_folder):
    "Loaded as any checkpoint (its weights' SHA-256 checked), it reads MNIST's test set as well as its JSON says."
    from mnist_digits.data import load_mnist
    from mnist_digits.runtime import SHIPPED_MODEL
    from mnist_digits.model import model_accuracy
    from mnist_digits.checkpoints import load_model
    _, _, x_test, y_test = load_mnist(mnist_folder)
    assert model_accuracy(load_model(SHIPPED_MODEL), x_test, y_test) == pytest.approx(shipped['test_accuracy'], abs=2e-4)
