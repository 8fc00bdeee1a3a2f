"""Reading on onnxruntime gives torch's answers: the same digit on all of MNIST's test set and on generated photos,
probabilities within 1e-4, the same guard decisions and the same numbers read; the shipped ONNX files are the exports
of the shipped weights; predict and read load no torch; a checkpoint without an ONNX file still reads, saying so."""
import hashlib, json, shutil, subprocess, sys
from pathlib import Path
import numpy as np
import pytest
from conftest import ROOT, cli

EXAMPLES = ROOT/'mnist_digits'/'examples'
CHECKPOINTS = [ROOT/'mnist_digits'/'handwriting.safetensors', ROOT/'mnist_digits'/'not_a_digit.safetensors',
               ROOT/'nbs'/'models'/'classic.safetensors']

@pytest.fixture(scope='module')
def both():
    "The shipped model and guard, loaded once on each runtime."
    from mnist_digits.runtime import SHIPPED_MODEL, load_recognizer
    return load_recognizer(SHIPPED_MODEL, runtime='onnx'), load_recognizer(SHIPPED_MODEL, runtime='torch')

@pytest.mark.parametrize('weights', CHECKPOINTS, ids=lambda p: p.stem)
def test_shipped_onnx_files_are_the_exports_of_their_weights(weights):
    "The SHA-256 of the weights, the one their JSON records and the one the ONNX metadata names are one."
    import onnxruntime as ort
    recorded = json.loads(weights.with_suffix('.json').read_text())['weights_sha256']
    exported_from = ort.InferenceSession(str(weights.with_suffix('.onnx'))).get_modelmeta().custom_metadata_map
    assert hashlib.sha256(weights.read_bytes()).hexdigest() == recorded == exported_from['weights_sha256']
    if weights.parent.name == 'mnist_digits':  # in the package, beside their weights
        assert f'include mnist_digits/{weights.stem}.onnx' in (ROOT/'MANIFEST.in').read_text().splitlines()

def test_same_answers_on_all_of_mnist_test(both, mnist_folder):
    from mnist_digits.data import load_mnist
    from mnist_digits.inference import predict_mnist
    _, _, x_test, _ = load_mnist(mnist_folder)
    on_onnx, on_torch = both
    assert (type(on_onnx.net).__name__, type(on_torch.net).__name__) == ('OnnxNet', 'TorchNet')
    p, q = on_onnx.probabilities(x_test), on_torch.probabilities(x_test)
    assert (p.argmax(1) == q.argmax(1)).all() and np.abs(p - q).max() < 1e-4
    a, b = predict_mnist(x_test, on_onnx), predict_mnist(x_test, on_torch)
    assert [x.digit for x in a] == [x.digit for x in b]  # the guard's decisions included
    assert np.abs(np.array([x.not_a_digit for x in a]) - np.array([x.not_a_digit for x in b])).max() < 1e-4

def test_same_answers_on_generated_photos_and_non_digits(both, mnist_folder):
    "MNIST test digits made into users' photos (pen on uneven paper, blur, noise, JPEG), and 300 non-digits."
    from mnist_digits.data import load_mnist
    from mnist_digits.inference import predict
    from mnist_digits.not_a_digit import _mnist_ink, negatives, on_paper
    _, _, x_test, _ = load_mnist(mnist_folder)
    rng = np.random.default_rng(0)
    photos = [on_paper(_mnist_ink(x_test[i], rng), rng) for i in range(300)]
    others = list(negatives(300, rng)[0])
    on_onnx, on_torch = both
    a, b = predict(photos + others, on_onnx), predict(photos + others, on_torch)
    assert [x.digit for x in a] == [x.digit for x in b] and [x.best_guess for x in a] == [x.best_guess for x in b]
    assert np.abs(np.array([x.probabilities for x in a]) - np.array([x.probabilities for x in b])).max() < 1e-4
    assert sum(x.digit is None for x in a[300:]) > 150  # the guard refuses most non-digits, on either runtime

def test_same_numbers_read(both, mnist_folder):
    from mnist_digits.data import load_mnist
    from mnist_digits.reading import read_number
    from scaffold import compose
    _, _, x_test, y_test = load_mnist(mnist_folder)
    rng, on_onnx, on_torch = np.random.default_rng(1), *both
    for _ in range(40):
        pick = rng.choice(len(x_test), rng.integers(2, 6))
        image = compose(list(x_test[pick]), rng, touching=bool(rng.random() < 0.5))
        a, b = read_number(image, on_onnx), read_number(image, on_torch)
        assert (a.number, a.reason, [d.box for d in a.digits]) == (b.number, b.reason, [d.box for d in b.digits])
        assert [d.digit for d in a.digits] == [d.digit for d in b.digits]
        assert np.abs(np.array([d.probability for d in a.digits]) -
                      np.array([d.probability for d in b.digits])).max() < 1e-4

def test_predict_and_read_load_no_torch(tmp_path):
    "The whole command, run as the console script runs it: torch and fastai are never imported."
    code = ("import sys; from mnist_digits.cli import main; code = main(sys.argv[1:]); "
            "print(sorted({m.split('.')[0] for m in sys.modules} & {'torch', 'fastai'})); sys.exit(code)")
    for command, image in (('predict', 'seven.png'), ('read', 'number.png')):
        proc = subprocess.run([sys.executable, '-c', code, command, str(EXAMPLES/image)], cwd=tmp_path,
                              capture_output=True, text=True, timeout=60)
        assert proc.returncode == 0 and proc.stdout.endswith('\n[]\n'), (proc.stdout, proc.stderr)

def test_a_checkpoint_without_onnx_reads_through_torch_saying_so(tmp_path):
    (tmp_path/'models').mkdir()
    for suffix in ('.safetensors', '.json'): shutil.copy(CHECKPOINTS[0].with_suffix(suffix), tmp_path/'models'/f'old{suffix}')
    with_onnx = cli('predict', str(EXAMPLES/'seven.png'), cwd=ROOT/'nbs')  # nbs/models/classic, with its ONNX file
    old = cli('predict', str(EXAMPLES/'seven.png'), cwd=tmp_path)
    assert with_onnx.returncode == old.returncode == 0 and with_onnx.stderr == '', with_onnx.stderr
    assert old.stderr == ("models/old.safetensors has no old.onnx beside it: reading it through torch, which starts "
                          "slower; `mnist-digits export models/old.safetensors --onnx models/old.onnx --no-guard "
                          "--overwrite` writes a good one\n"), old.stderr
    assert old.stdout.split(': ')[1][0] == '7'
    fixed = cli('export', 'models/old.safetensors', '--onnx', 'models/old.onnx', '--no-guard', '--overwrite', cwd=tmp_path)
    assert fixed.returncode == 0, fixed.stderr
    again = cli('predict', str(EXAMPLES/'seven.png'), cwd=tmp_path)
    assert again.returncode == 0 and again.stderr == '' and again.stdout == old.stdout, again.stderr
